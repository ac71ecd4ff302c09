"""Names and strings from other processes, made safe to show — and names read back.

Anyone may create files in the world-writable ``/dev/shm``, and any process may put
any text in a segment. Printed raw, a name or a string can clear the screen, set the
terminal's title, forge table rows with newlines, or reverse what follows it (bidi
overrides). Everything the CLI and the window show that came from outside goes
through :func:`printable`.

A name that is not valid UTF-8 reaches Python with its bad bytes as lone surrogates
(``os.fsdecode``). :func:`printable` shows those bytes as ``\\xHH``, and
:func:`parse_name` turns what ``ls`` printed back into the real name, so every
segment ``ls`` lists can be given to ``info``, ``dump`` or ``rm`` as shown.
"""

from __future__ import annotations

import re

_ESCAPE = re.compile(r"\\(\\|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})")


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if ch == "\\":
        return "\\\\"
    if ch.isprintable():
        return ch
    # Controls, direction overrides, invisible and unassigned characters, separators.
    if code < 0x80:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def printable(text: str) -> str:
    """``text`` with every character that is not printable (controls, direction
    overrides, invisible ones, bytes that were not UTF-8) written as an escape
    (``\\x1b``, ``\\u202e``, ``\\xff``) and ``\\`` as ``\\\\``, so it prints as
    one line that looks like what it is."""
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(map(_escape, text))


def quoted(text: str) -> str:
    """``text`` in quotes, escaped as :func:`printable` does: how messages name things."""
    return f"'{printable(text)}'"


def parse_name(text: str) -> str:
    """The name :func:`printable` showed as ``text``: ``\\\\`` is a backslash,
    ``\\xHH`` a byte (a control character below 0x80, else a byte that was not UTF-8),
    ``\\uHHHH`` or ``\\UHHHHHHHH`` that character. Anything else stays as written."""
    if "\\" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        token = match.group(1)
        if token == "\\":
            return "\\"
        code = int(token[1:], 16)
        if token[0] == "x" and code >= 0x80:
            return chr(0xDC00 + code)  # the undecodable byte, as os.fsdecode spells it
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return match.group(0)  # no such character: keep what was written
        return chr(code)

    return _ESCAPE.sub(replace, text)
