"""Parsing and printing byte sizes and offsets the way people type them."""

from __future__ import annotations

import re

from .errors import InvalidSizeError

# dd(1)'s convention: a bare letter or "iB" is a power of 1024, "B" after the letter
# is a power of 1000. "64K" and "64KiB" are 65536, "64KB" is 64000.
_UNITS = {
    "": 1, "b": 1,
    "k": 1024, "kib": 1024, "kb": 1000,
    "m": 1024**2, "mib": 1024**2, "mb": 1000**2,
    "g": 1024**3, "gib": 1024**3, "gb": 1000**3,
    "t": 1024**4, "tib": 1024**4, "tb": 1000**4,
}
_SIZE_RE = re.compile(r"^\s*(0x[0-9a-f]+|\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)

SIZE_HELP = "bytes, or with a unit: 4096, 0x1000, 64KiB, 1MiB, 1GiB (K/KiB = 1024, KB = 1000)"


def parse_size(text: str | int, *, what: str = "size") -> int:
    """Parse ``"4096"``, ``"0x1000"``, ``"64KiB"``, ``"1.5MiB"`` into a byte count.

    Raises :class:`InvalidSizeError` naming ``what`` and the accepted forms.
    """
    if isinstance(text, int):
        value = text
    else:
        match = _SIZE_RE.match(text)
        unit = match.group(2).lower() if match else None
        if match is None or unit not in _UNITS:
            raise InvalidSizeError(f"{what} {text!r} is not a byte count ({SIZE_HELP})")
        number = match.group(1)
        if number.lower().startswith("0x"):
            if unit:
                raise InvalidSizeError(f"{what} {text!r}: a hex number takes no unit")
            value = int(number, 16)
        else:
            scaled = float(number) * _UNITS[unit] if "." in number else int(number) * _UNITS[unit]
            if scaled != int(scaled):
                raise InvalidSizeError(f"{what} {text!r} is not a whole number of bytes")
            value = int(scaled)
    if value < 0:
        raise InvalidSizeError(f"{what} must not be negative, got {value}")
    return value


def format_size(n: int) -> str:
    """``65536`` -> ``"64 KiB"``; exact byte counts below 1 KiB; one decimal above."""
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            text = f"{value:.1f}".removesuffix(".0")
            return f"{text} {unit}"
    raise AssertionError("unreachable")


def parse_mode(text: str) -> int:
    """Parse an octal permission mode such as ``"600"`` or ``"0o644"``."""
    digits = text.lower().removeprefix("0o")
    if not re.fullmatch(r"[0-7]{1,4}", digits):
        raise InvalidSizeError(f"mode {text!r} is not an octal permission such as 600 or 644")
    mode = int(digits, 8)
    if mode > 0o777:
        raise InvalidSizeError(f"mode {text!r} sets setuid, setgid or sticky bits, which mean nothing "
                               "for a segment; give read/write bits only, such as 600 or 644")
    return mode
