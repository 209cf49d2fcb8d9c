// Generated from package.json by scripts/write-version.mjs; do not edit.
export const CLIENT_VERSION = '0.1.0';
