"""Hex text in and out: hexdump lines for any offset, and hex typed by people."""

from __future__ import annotations

import re
from collections.abc import Iterator

import hexdump

from .errors import FormatError

BYTES_PER_LINE = 16


def hexdump_lines(data: bytes, base: int = 0) -> Iterator[str]:
    """Lines in the ``hexdump`` package's format, addressed from ``base``.

    ``00000010: 54 68 65 20 ...  The ...`` — the format ``hexdump.restore`` reads back.
    """
    for i, line in enumerate(hexdump.dumpgen(data)):
        yield f"{base + i * BYTES_PER_LINE:08X}:{line.split(':', 1)[1]}"


def hexdump_text(data: bytes, base: int = 0) -> str:
    """:func:`hexdump_lines` joined with newlines."""
    return "\n".join(hexdump_lines(data, base))


_SEPARATORS = re.compile(r"[\s,:;\-]+")


def parse_hex_bytes(text: str) -> bytes:
    """Bytes from hex as people type it: ``"54 68 65"``, ``"546865"``, ``"0x54,0x68"``,
    ``"54:68:65"`` or ``\\x54\\x68``. Raises :class:`FormatError` saying what is wrong."""
    cleaned = text.strip().replace("\\x", " ")
    tokens = [t for t in _SEPARATORS.split(cleaned) if t]
    out = bytearray()
    for token in tokens:
        digits = token[2:] if token.lower().startswith("0x") else token
        if not digits or not re.fullmatch(r"[0-9a-fA-F]+", digits):
            raise FormatError(f"{token!r} is not hex; write bytes like '54 68 65' or '546865'")
        if len(digits) % 2:
            raise FormatError(f"{token!r} has an odd number of hex digits")
        out += bytes.fromhex(digits)
    return bytes(out)
