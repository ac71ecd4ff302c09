"""What the bytes of a segment mean: the four layouts, and how to tell them apart.

* ``channel`` — ours (see :mod:`mmfviewer.layout`): lanes of records.
* ``mailbox`` — seed 1's pattern: one serialized value at offset 0, overwritten on
  every send. Here the value is msgpack (the seed used BinaryFormatter, which .NET
  has since removed as unsafe); the seed's ``Message`` class is ``{title, content}``.
* ``text`` — seed 2's pattern: UTF-8 text at offset 0, read back with trailing NULs
  trimmed. Trimming hides real bytes, so :class:`Text` keeps both lengths.
* ``raw`` — nothing to decode (all zeros, or bytes of unknown meaning).

Garbage is never fatal: every decoder here either returns a value or raises
:class:`~mmfviewer.errors.FormatError`, and msgpack's own limits bound what a
hostile payload can allocate.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgpack

from .errors import (
    FormatError,
    SegmentBoundsError,
    SegmentError,
    SegmentNotFoundError,
    SegmentPermissionError,
)
from .layout import looks_like_channel
from .segment import Segment

if TYPE_CHECKING:
    from .discovery import SegmentInfo

#: How many bytes from offset 0 layout detection and the seed decoders look at.
WINDOW = 64 * 1024


class Layout(str, enum.Enum):
    """The meaning of a segment's bytes."""

    CHANNEL = "channel"
    MAILBOX = "mailbox"
    TEXT = "text"
    RAW = "raw"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Mailbox:
    """The value in a mailbox segment and the bytes it takes at offset 0."""

    value: Any
    length: int


@dataclass(frozen=True)
class Text:
    """The text in a text segment.

    ``text`` is what the seed's client prints (up to the first NUL); ``length`` is
    its size in bytes; ``untrimmed_length`` is how many bytes were looked at, NULs
    and all, so nothing trimmed goes unseen.
    """

    text: str
    length: int
    untrimmed_length: int


def detect_layout(source: Segment | bytes) -> Layout:
    """Tell which layout a segment (or the bytes at its offset 0) follows."""
    data = source.read(0, WINDOW) if isinstance(source, Segment) else bytes(source[:WINDOW])
    if looks_like_channel(data):
        return Layout.CHANNEL
    try:
        decode_mailbox(data)
        return Layout.MAILBOX
    except FormatError:
        pass
    try:
        decode_text(data)
        return Layout.TEXT
    except FormatError:
        return Layout.RAW


def decode_mailbox(data: bytes) -> Mailbox:
    """The msgpack value at offset 0. To count as a mailbox it must be a non-empty
    map or array (a bare number or string is more likely text or noise)."""
    if not data or data[0] == 0:
        raise FormatError("no mailbox value: the segment starts with a zero byte")
    unpacker = msgpack.Unpacker(max_buffer_size=max(len(data), 1), strict_map_key=False)
    unpacker.feed(data)
    try:
        value = unpacker.unpack()
    except msgpack.OutOfData:
        raise FormatError("the mailbox value is cut short: the segment ends inside it") from None
    except Exception as err:  # msgpack raises several unrelated types on bad input
        raise FormatError(f"no mailbox value at offset 0: {type(err).__name__}: {err}") from None
    if not isinstance(value, (dict, list)) or not value:
        raise FormatError(f"offset 0 holds a msgpack {type(value).__name__}, not a map or array")
    if isinstance(value, dict) and not all(isinstance(k, str) for k in value):
        raise FormatError("the msgpack map at offset 0 has keys that are not strings")
    return Mailbox(value, unpacker.tell())


def decode_text(data: bytes) -> Text:
    """The UTF-8 text at offset 0, up to the first NUL, as seed 2's client reads it."""
    end = data.find(b"\0")
    raw = data if end < 0 else data[:end]
    if not raw:
        raise FormatError("no text: the segment starts with a NUL byte")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise FormatError(f"the bytes at offset 0 are not UTF-8 text ({err.reason} at byte {err.start})") from None
    if not all(ch.isprintable() or ch in "\t\r\n" for ch in text):
        raise FormatError("the bytes at offset 0 include control characters: not text")
    return Text(text, len(raw), len(data))


def read_stable(segment: Segment, n: int = WINDOW, tries: int = 5) -> bytes:
    """Read the first ``n`` bytes twice until both reads agree, so a value being
    overwritten right now is not taken half old, half new (the seed layouts have no
    other protection). Returns the last read if it never settles."""
    previous = segment.read(0, n)
    for _ in range(tries):
        current = segment.read(0, n)
        if current == previous:
            return current
        previous = current
    return previous


def write_mailbox(segment: Segment, value: Any) -> int:
    """Overwrite the mailbox with ``value`` (msgpack), zeroing what is left of the
    previous value so no stale bytes trail the new one. Returns bytes written."""
    try:
        packed = msgpack.packb(value, use_bin_type=True)
    except (TypeError, ValueError, OverflowError) as err:
        raise FormatError(f"cannot write {type(value).__name__} as msgpack: {err}") from None
    try:
        previous = decode_mailbox(read_stable(segment)).length
    except FormatError:
        previous = 0
    return _overwrite(segment, packed, previous)


def write_text(segment: Segment, text: str) -> int:
    """Overwrite the text at offset 0, zeroing what is left of the previous text."""
    encoded = text.encode("utf-8")
    try:
        previous = decode_text(read_stable(segment)).length
    except FormatError:
        previous = 0
    return _overwrite(segment, encoded, previous)


def _overwrite(segment: Segment, data: bytes, previous: int) -> int:
    if len(data) > segment.size:
        raise SegmentBoundsError(
            f"{len(data)} bytes do not fit in {segment.label} ({segment.size} bytes)")
    stale = min(max(previous - len(data), 0), segment.size - len(data))
    segment.write(0, data + bytes(stale))
    return len(data)


def layout_of(name: str | None = None, *, path: str | None = None) -> str:
    """The layout of a named segment (or mapped file) as a word for listings:
    a :class:`Layout` value, or ``no access`` / ``gone`` when it cannot be read."""
    try:
        seg = Segment.from_file(path) if path is not None else Segment.open(name or "")
    except SegmentPermissionError:
        return "no access"
    except SegmentNotFoundError:
        return "gone"
    except (SegmentError, OSError):
        return "?"
    with seg:
        return detect_layout(seg).value


def layout_label(info: "SegmentInfo", cache: dict | None = None) -> str:
    """What a listing shows as a segment's layout: ``deleted``, ``no access``, or its
    :func:`layout_of`. ``cache`` (keyed by name, size and mtime) spares re-opening
    segments that did not change between two listings."""
    if info.deleted:
        return "deleted"
    if not info.readable:
        return "no access"
    key = (info.name, info.size, info.modified)
    if cache is not None and key in cache:
        return cache[key]
    label = layout_of(info.name)
    if cache is not None:
        cache[key] = label
    return label
