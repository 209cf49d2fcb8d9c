// Writes src/version.ts from package.json, so the handshake's client_version follows the package.
import { readFileSync, writeFileSync } from 'node:fs';

const pkg = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8')
);
const target = new URL('../src/version.ts', import.meta.url);
const text =
  '// Generated from package.json by scripts/write-version.mjs; do not edit.\n' +
  `export const CLIENT_VERSION = '${pkg.version}';\n`;
let current = '';
try {
  current = readFileSync(target, 'utf8');
} catch {
  current = '';
}
if (current !== text) {
  writeFileSync(target, text);
}
