"""Tell a model file's format from its first bytes, never from its name.

A pickle renamed ``weights.bin``, a PyTorch zip saved as ``model.safetensors`` or a joblib file
compressed with lzma are all recognised by content. :func:`detect` looks at a short head of the
data (and, for safetensors, at the total size).
"""

from __future__ import annotations

HEAD_BYTES = 512

# Protocol 0/1 pickles have no header; these are the opcodes they commonly start with.
_TEXT_PICKLE_STARTS = frozenset(b"(cilIJKLMNSVXUT]})FGp")

_LZMA_ALONE_PROPS = frozenset((0x5D, 0x5E, 0x6C))


def detect(head: bytes, size: int) -> str:
    """One of: pickle, pickle-text (a protocol 0/1 candidate), zip, npy, hdf5, 7z, gzip, bz2, xz,
    lzma, zlib, lz4, tar, safetensors, unknown."""
    if len(head) >= 2 and head[0] == 0x80 and head[1] <= 5:
        return "pickle"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return "zip"
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return "hdf5"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x04\x22\x4d\x18"):
        return "lz4"
    if len(head) >= 13 and head[0] in _LZMA_ALONE_PROPS and head[5:13] == b"\xff" * 8:
        return "lzma"
    if head.startswith(b"ZF"):  # joblib < 0.10 zlib files: "ZF" + 16-byte length + zlib data
        return "zlib-joblib-legacy"
    if len(head) >= 2 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0:
        return "zlib"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    # an absurd header length (beyond the file) is still safetensors: the handler reports it
    if head[8:10] in (b'{"', b"{}", b"{ ", b"{\n") and int.from_bytes(head[:8], "little") > 1:
        return "safetensors"
    if head[:1] and head[0] in _TEXT_PICKLE_STARTS:
        return "pickle-text"
    return "unknown"
