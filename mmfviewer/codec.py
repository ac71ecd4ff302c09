"""What the bytes of a segment mean: the layouts, and how to tell them apart.

* ``channel`` — ours (see :mod:`mmfviewer.wire`): lanes of records.
* ``dotnet`` — what .NET programs sharing a memory-mapped file write: a .NET BinaryFormatter value
  (MS-NRBF, :mod:`mmfviewer.nrbf`) at offset 0, overwritten on every send; listed
  as ``mailbox (.NET)``. Their ``Message`` class has ``title`` and ``content``.
* ``mailbox`` — the same pattern with msgpack in place of BinaryFormatter: one
  value at offset 0, overwritten on every send.
* ``shareable-list`` — Python's ``multiprocessing.shared_memory.ShareableList``
  (:mod:`mmfviewer.shareable_list`).
* ``text`` — a .NET server's other pattern: UTF-8 text at offset 0, read back with trailing NULs
  trimmed. Trimming hides real bytes, so :class:`Text` keeps both lengths.
* ``raw`` — nothing to decode (all zeros, or bytes of unknown meaning).

Garbage is never fatal: every decoder here either returns a value or raises
:class:`~mmfviewer.errors.FormatError`, and msgpack's own limits (and the .NET
decoder's) bound what a hostile payload can allocate. :func:`decode_value` gives
every value layout one shape (:class:`Decoded`), which ``listen``, ``info`` and the
GUI show.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import msgpack

from . import msgpack_bounds as bounded
from . import nrbf, nrbf_encode
from .errors import (
    FormatError,
    SegmentBoundsError,
    SegmentError,
    SegmentNotFoundError,
    SegmentPermissionError,
)
from .hextext import parse_hex_bytes
from .message import msgpack_error_text
from .nrbf_format import NrbfError
from .segment import Segment
from .shareable_list import (
    decode_shareable_list,
    looks_like_shareable_list,
    shareable_list_length,
    write_item,
)
from .tree import Node, one_line, to_json, value_json, value_text
from .wire import looks_like_channel

if TYPE_CHECKING:
    from .discovery import SegmentInfo

#: How many bytes from offset 0 layout detection and the value decoders look at.
WINDOW = 64 * 1024
#: The most a value at offset 0 may take: larger values are reported, not read.
MAX_VALUE_BYTES = 16 << 20


class Layout(str, enum.Enum):
    """The meaning of a segment's bytes."""

    CHANNEL = "channel"
    MAILBOX = "mailbox"
    DOTNET = "dotnet"
    SHAREABLE_LIST = "shareable-list"
    TEXT = "text"
    RAW = "raw"

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """How listings and the window name it: ``mailbox (.NET)``, ``ShareableList``..."""
        return _LABELS.get(self, self.value)

    @property
    def holds_a_value(self) -> bool:
        """True for layouts that hold one value at offset 0, overwritten by senders."""
        return self in (Layout.MAILBOX, Layout.DOTNET, Layout.SHAREABLE_LIST, Layout.TEXT)


_LABELS = {Layout.DOTNET: "mailbox (.NET)", Layout.SHAREABLE_LIST: "ShareableList"}


@dataclass(frozen=True)
class Mailbox:
    """The value in a mailbox segment and the bytes it takes at offset 0."""

    value: Any
    length: int


@dataclass(frozen=True)
class Text:
    """The text in a text segment.

    ``text`` is what a .NET client prints (up to the first NUL); ``length`` is
    its size in bytes; ``untrimmed_length`` is how many bytes were looked at, NULs
    and all, so nothing trimmed goes unseen.
    """

    text: str
    length: int
    untrimmed_length: int


class Decoded:
    """The value a value layout holds now, in every form it is shown in.

    ``length`` is how many bytes from offset 0 it takes, ``raw`` those bytes, and
    ``looked_at`` how many bytes were read to find it (for text: NULs and all, so
    nothing trimmed goes unseen); ``tree`` the value with the byte range of every
    part, where the format gives one (.NET, ShareableList). ``text`` (one line, as
    ``listen`` prints it) and ``json`` (as ``--json`` prints it) are made on first use:
    the window shows the tree and needs neither. Two values are equal when their
    layouts and bytes are.
    """

    def __init__(self, layout: Layout, raw: bytes, looked_at: int, *, tree: Node | None = None,
                 value: Any = None) -> None:
        self.layout, self.raw, self.looked_at, self.tree = layout, raw, looked_at, tree
        self._value = value

    @property
    def length(self) -> int:
        return len(self.raw)

    @cached_property
    def text(self) -> str:
        if self.tree is not None:
            return one_line(self.tree)
        return self._value if self.layout == Layout.TEXT else value_text(self._value)

    @cached_property
    def json(self) -> Any:
        if self.tree is not None:
            return to_json(self.tree)
        return self._value if self.layout == Layout.TEXT else value_json(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Decoded) and (self.layout, self.raw) == (other.layout, other.raw)

    def __hash__(self) -> int:
        return hash((self.layout, self.raw))

    def __repr__(self) -> str:
        return f"<Decoded {self.layout.value}, {self.length} bytes>"


def detect_layout(source: Segment | bytes) -> Layout:
    """Tell which layout a segment (or the bytes at its offset 0) follows."""
    data = source.read(0, WINDOW) if isinstance(source, Segment) else bytes(source[:WINDOW])
    if looks_like_channel(data):
        return Layout.CHANNEL
    if nrbf.looks_like_nrbf(data):
        return Layout.DOTNET
    if looks_like_shareable_list(data):
        return Layout.SHAREABLE_LIST
    if isinstance(source, Segment) and len(data) == WINDOW:
        # A list longer than the window: its count and slot table say how long.
        needed = _list_length(source)
        if needed is not None and needed > WINDOW and looks_like_shareable_list(source.read(0, needed)):
            return Layout.SHAREABLE_LIST
    try:
        decode_mailbox(data)
        return Layout.MAILBOX
    except FormatError:
        pass
    try:
        decode_text(data)
        return Layout.TEXT
    except FormatError:
        pass
    try:  # not text: a lone msgpack string or number, with only zeros after it
        box = decode_mailbox(data, any_value=True)
        if box.length >= 2 and not any(data[box.length:]):  # one byte alone is too likely noise
            return Layout.MAILBOX
    except FormatError:
        pass
    return Layout.RAW


class CutShortError(FormatError):
    """The bytes end inside the value: more of them may hold all of it."""


def decode_mailbox(data: bytes, *, any_value: bool = False) -> Mailbox:
    """The msgpack value at offset 0. To be taken for a mailbox unasked it must be a
    non-empty map or array (a bare number or string is more likely text or noise);
    with ``any_value`` any msgpack value will do, followed by a zero byte or nothing
    (what a mailbox holds once it is known to be one, and what detection accepts
    when the bytes are not text)."""
    if not data or data[0] == 0:
        raise FormatError("no mailbox value: the segment starts with a zero byte")
    unpacker = bounded.unpacker(len(data), strict_map_key=False)
    unpacker.feed(data)
    try:
        value = unpacker.unpack()
    except msgpack.OutOfData:
        raise CutShortError("the mailbox value is cut short: the segment ends inside it") from None
    except bounded.TooManyObjectsError:
        raise
    except Exception as err:  # msgpack raises several unrelated types on bad input
        if isinstance(err, ValueError) and "exceeds max_" in str(err):
            # A length that claims more than the bytes read: cut short, if it is true.
            raise CutShortError(f"the mailbox value is cut short: {err}") from None
        raise FormatError(f"no mailbox value at offset 0: {msgpack_error_text(err)}") from None
    length = unpacker.tell()
    if any_value:
        if length < len(data) and data[length] != 0:
            raise FormatError("offset 0 holds a msgpack value followed by more bytes: not one value")
        return Mailbox(value, length)
    if not isinstance(value, (dict, list)) or not value:
        raise FormatError(f"offset 0 holds a msgpack {type(value).__name__}, not a map or array")
    if isinstance(value, dict) and not all(isinstance(k, str) for k in value):
        raise FormatError("the msgpack map at offset 0 has keys that are not strings")
    return Mailbox(value, length)


def decode_text(data: bytes) -> Text:
    """The UTF-8 text at offset 0, up to the first NUL, as a .NET client reads it."""
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


def decode_value(data: bytes, layout: Layout) -> Decoded:
    """Decode the value at offset 0 of ``data`` as ``layout`` (a value layout)."""
    if layout == Layout.TEXT:
        text = decode_text(data)
        return Decoded(layout, bytes(data[:text.length]), text.untrimmed_length, value=text.text)
    if layout == Layout.MAILBOX:
        box = decode_mailbox(data, any_value=True)
        return Decoded(layout, bytes(data[:box.length]), len(data), value=box.value)
    if layout == Layout.DOTNET:
        root = nrbf.decode(data)
    elif layout == Layout.SHAREABLE_LIST:
        root = decode_shareable_list(data)
    else:
        raise FormatError(f"a {layout} segment holds no single value at offset 0")
    return Decoded(layout, bytes(data[:root.end]), len(data), tree=root)


def read_value(segment: Segment, layout: Layout, data: bytes | None = None) -> tuple[bytes, Decoded]:
    """Read and decode the value at offset 0 of ``segment``: the bytes read (as
    :func:`read_stable` reads them) and the value. A value longer than the first
    :data:`WINDOW` bytes is read again with more, up to :data:`MAX_VALUE_BYTES`.
    ``data``, when given, is what was just read from offset 0 (it is decoded first)."""
    n = len(data) if data is not None else WINDOW
    if layout == Layout.SHAREABLE_LIST:
        needed = _list_length(segment)
        if needed is not None and needed > n:
            n, data = needed, None
    while True:
        if data is None:
            data = read_stable(segment, n)
        try:
            return data, decode_value(data, layout)
        except (NrbfError, CutShortError) as err:
            cut_short = isinstance(err, CutShortError) or err.truncated
            if not cut_short or len(data) < n or n >= MAX_VALUE_BYTES:
                raise
            n, data = min(n * 16, MAX_VALUE_BYTES), None


def _list_length(segment: Segment) -> int | None:
    """How long the ShareableList at offset 0 of ``segment`` is (None: it is none),
    looking at no more than :data:`MAX_VALUE_BYTES`."""
    return shareable_list_length(segment.read, min(segment.current_size(), MAX_VALUE_BYTES))


def read_stable(segment: Segment, n: int = WINDOW, tries: int = 5) -> bytes:
    """Read the first ``n`` bytes twice until both reads agree, so a value being
    overwritten right now is not taken half old, half new (these value layouts have no
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
    return _overwrite(segment, packed, value_length(segment))


def write_dotnet(segment: Segment, values: dict[str, Any],
                 shape: nrbf_encode.ClassShape | None = None) -> tuple[int, nrbf_encode.ClassShape]:
    """Overwrite the .NET value at offset 0 with an object of the same class (or of
    ``shape``) whose members take ``values``, zeroing what is left of the previous
    value. Members not given keep their current value. Returns the bytes written
    and the class written."""
    previous_length = 0
    current: dict[str, Any] = {}
    try:
        _, decoded = read_value(segment, Layout.DOTNET)
    except FormatError:
        if shape is None:
            raise FormatError(f"{segment.label} holds no .NET value to send one like; name the "
                              "class and its library (assembly) to write a new one") from None
        previous_length = value_length(segment)
    else:
        assert decoded.tree is not None
        previous_length = decoded.length
        like = nrbf_encode.ClassShape.of(decoded.tree)
        shape = shape or like
        if shape == like:
            current = {m.name: m.value for m in decoded.tree.children if m.type in nrbf_encode.WRITABLE_TYPES}
    assert shape is not None
    data = nrbf_encode.encode_object(shape, {**current, **coerce_members(shape, values)})
    return _overwrite(segment, data, previous_length), shape


def value_length(segment: Segment) -> int:
    """How many bytes the value at offset 0 takes, whatever its layout (0 if none):
    what a new value written over it must zero, so nothing of the old one trails it
    even when the kind of value changes."""
    layout = detect_layout(segment)
    if not layout.holds_a_value:
        return 0
    try:
        return read_value(segment, layout)[1].length
    except FormatError:
        return 0


def looks_like_one_msgpack_value(data: bytes) -> bool:
    """True when the bytes before the first zero byte are exactly one msgpack value:
    such a segment may be read as text or as a mailbox ("*" is also the number 42)."""
    try:
        decode_mailbox(data, any_value=True)
    except FormatError:
        return False
    return True


def coerce_members(shape: nrbf_encode.ClassShape, values: dict[str, Any]) -> dict[str, Any]:
    """Member values as the encoder takes them: text typed into a form, or JSON
    numbers, made into each member's .NET type (``"42"`` into an Int32 is 42)."""
    types = dict(shape.members)
    out: dict[str, Any] = {}
    for name, value in values.items():
        kind = types.get(name)
        if kind is None:
            raise FormatError(f"{shape.name} has no member {name!r}; its members are "
                              + ", ".join(repr(n) for n, _ in shape.members))
        out[name] = _coerce(name, kind, value)
    return out


def _coerce(name: str, kind: str, value: Any) -> Any:
    if not isinstance(value, str) or kind in ("System.String", "System.Char"):
        return value
    text = value.strip()
    try:
        if kind == "System.Boolean":
            if text.lower() not in ("true", "false"):
                raise ValueError
            return text.lower() == "true"
        if kind in ("System.Single", "System.Double"):
            return float(text)
        return int(text, 0)
    except ValueError:
        raise FormatError(f"member {name!r} ({kind}) cannot be {value!r}") from None


def write_list_items(segment: Segment, changes: dict[int, Any]) -> list[int]:
    """Overwrite items of the ShareableList at offset 0 in place, each with a value of
    its own kind that fits its slot (as CPython's ``ShareableList.__setitem__``
    would). Text typed into a form is read as the item's kind (``"7"`` into an int
    item is 7; bytes as hex). Nothing is written unless every change is valid.
    Returns the indexes written."""
    root = read_value(segment, Layout.SHAREABLE_LIST)[1].tree
    assert root is not None
    items = root.children
    values: dict[int, Any] = {}
    for index, value in changes.items():
        if not -len(items) <= index < len(items):
            raise FormatError(f"the ShareableList has {len(items)} items: there is no item {index}")
        values[index] = _coerce_item(index, items[index].type, value)
    for index, value in values.items():
        write_item(segment, index, value)
    return sorted(values)


def _coerce_item(index: int, kind: str, value: Any) -> Any:
    if not isinstance(value, str) or kind == "str":
        return value
    text = value.strip()
    try:
        if kind == "int":
            return int(text, 0)
        if kind == "float":
            return float(text)
        if kind == "bool" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        if kind == "bytes":
            return parse_hex_bytes(text)
    except ValueError:
        pass
    raise FormatError(f"item [{index}] holds {kind}: {value!r} is not one")


def write_text(segment: Segment, text: str) -> int:
    """Overwrite the text at offset 0, zeroing what is left of the previous text."""
    encoded = text.encode("utf-8")
    return _overwrite(segment, encoded, value_length(segment))


def _overwrite(segment: Segment, data: bytes, previous: int) -> int:
    if len(data) > segment.size:
        raise SegmentBoundsError(
            f"{len(data)} bytes do not fit in {segment.label} ({segment.size} bytes)")
    stale = min(max(previous - len(data), 0), segment.size - len(data))
    segment.write(0, data + bytes(stale))
    return len(data)


class Unreadable(str, enum.Enum):
    """Why a listing cannot tell a segment's :class:`Layout`."""

    DELETED = "deleted"
    NO_ACCESS = "no access"
    GONE = "gone"
    UNKNOWN = "?"

    @property
    def label(self) -> str:
        """How listings show it: the word itself."""
        return self.value


#: Layouts a listing found, by (name, size, mtime): a segment that did not change
#: between two listings is not opened again.
LayoutCache = dict[tuple[str, int | None, float], "Layout | Unreadable"]


def layout_of(name: str | None = None, *, path: str | None = None) -> Layout | Unreadable:
    """The layout of a named segment (or mapped file) for listings, or why it cannot
    be read."""
    try:
        seg = Segment.from_file(path) if path is not None else Segment.open(name or "")
    except SegmentPermissionError:
        return Unreadable.NO_ACCESS
    except SegmentNotFoundError:
        return Unreadable.GONE
    except (SegmentError, OSError):
        return Unreadable.UNKNOWN
    with seg:
        return detect_layout(seg)


def listed_layout(info: SegmentInfo, cache: LayoutCache | None = None) -> Layout | Unreadable:
    """What a listing shows as a segment's layout: :attr:`Unreadable.DELETED`,
    :attr:`Unreadable.NO_ACCESS`, or its :func:`layout_of`, looked up in ``cache``
    first."""
    if info.deleted:
        return Unreadable.DELETED
    if not info.readable:
        return Unreadable.NO_ACCESS
    key = (info.name, info.size, info.modified)
    if cache is not None and key in cache:
        return cache[key]
    layout = layout_of(info.name)
    if cache is not None:
        cache[key] = layout
    return layout
