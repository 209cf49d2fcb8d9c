"""The nbsec version, read by the build and reported by the kernel handshake."""

__version__ = "0.1.0"
