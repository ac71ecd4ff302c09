"""What the compose panel's forms mean, without a widget: the forms, what people type
into them read into values, whether a form can be sent to a segment and where it
goes, the fields the Members form offers, and the history lines of what was sent.

Separate from the panel so that every rule about what may be sent is a plain
function, tested without Qt; the panel only shows what these say and sends through
a :class:`~mmfviewer.sender.Sender`.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

import hexdump

from .codec import Layout, read_value
from .errors import FormatError, MmfError
from .hextext import BYTES_PER_LINE, parse_hex_bytes
from .message import encode_msgpack
from .nrbf_encode import WRITABLE_TYPES
from .segment import Segment
from .tree import Node, node_text
from .units import parse_size

#: The forms, in tab order, as :meth:`ComposePanel.set_form` names them.
FORMS = ("message", "members", "json", "text", "raw")
FORM_TITLES = {"message": "Message", "members": "Members", "json": "JSON", "text": "Text",
               "raw": "Raw bytes"}
#: What a history line calls each form.
FORM_KINDS = {"message": "Message", "members": "Members", "json": "JSON", "text": "Text", "raw": "Raw"}
#: The form a segment opens on: what its layout holds.
DEFAULT_FORM = {Layout.CHANNEL: "message", Layout.MAILBOX: "message", Layout.DOTNET: "members",
                Layout.SHAREABLE_LIST: "members", Layout.TEXT: "text", Layout.RAW: "raw"}

#: A history line is cut here (with "…"): the list is one line per send.
SUMMARY_CHARS = 90
#: The Members form shows a field per member or item up to this many (a widget each),
#: each holding at most MAX_FIELD_CHARS characters.
MAX_MEMBER_FIELDS = 500
MAX_FIELD_CHARS = 10_000


# A hexdump line as the hexdump package (and our hex view's copy) writes it:
# an 8-digit address, a colon, then bytes as two-digit pairs.
_HEXDUMP_LINE = re.compile(r"^\s*([0-9A-Fa-f]{8}):\s+[0-9A-Fa-f]{2}(?:\s|$)")


# ----------------------------------------------------------------- reading what was typed


def describe_json(value: Any) -> str:
    """What a parsed JSON value is, for the status line: ``object with 2 keys``,
    ``array of 3 items``, ``number``, ``string``, ``boolean`` or ``null``."""
    if isinstance(value, dict):
        return f"object with {len(value)} key{'' if len(value) == 1 else 's'}"
    if isinstance(value, list):
        return f"array of {len(value)} item{'' if len(value) == 1 else 's'}"
    if isinstance(value, bool):  # before numbers: a bool is an int in Python
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "null"


class JsonError(FormatError):
    """Invalid JSON; ``position`` is the character index where it goes wrong (or -1)."""

    def __init__(self, message: str, position: int = -1) -> None:
        super().__init__(message)
        self.position = position


def parse_json(text: str) -> Any:
    """The JSON value in ``text``; :class:`JsonError` says where it goes wrong."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise JsonError(f"{err.msg} (line {err.lineno}, column {err.colno})", err.pos) from None
    except RecursionError:
        raise JsonError("nested too deeply") from None
    except ValueError as err:  # e.g. an integer over Python's 4300-digit limit
        raise JsonError(str(err)) from None


def looks_like_hexdump(text: str) -> bool:
    """True when the first non-blank line is a hexdump line (``00000000: 54 68 ...``)."""
    for line in text.splitlines():
        if line.strip():
            return _HEXDUMP_LINE.match(line) is not None
    return False


def parse_hexdump(text: str) -> tuple[bytes, int]:
    """Bytes and start address of a pasted hexdump, read back with ``hexdump.restore``.

    Line by line, so an error names its line; lines must follow each other (a gap
    means part of the dump was not copied, and the bytes would land shifted).
    """
    out = bytearray()
    start = -1
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _HEXDUMP_LINE.match(line)
        if match is None:
            raise FormatError(f"hexdump line {number} does not start with an address and bytes: "
                              f"{line.strip()[:40]!r}")
        address = int(match.group(1), 16)
        if start < 0:
            start = address
        elif address != start + len(out):
            raise FormatError(f"hexdump line {number} starts at 0x{address:X}, expected "
                              f"0x{start + len(out):X}: lines are missing from the paste")
        try:
            chunk = hexdump.restore(line)
        except (ValueError, IndexError, TypeError) as err:  # restore's own failures
            raise FormatError(f"hexdump line {number} cannot be read: {err}") from None
        if len(chunk) > BYTES_PER_LINE:
            raise FormatError(f"hexdump line {number} holds {len(chunk)} bytes, "
                              f"more than {BYTES_PER_LINE}")
        out += chunk
    return bytes(out), max(start, 0)


def parse_raw(text: str) -> tuple[bytes, str]:
    """Bytes from the Raw form: typed hex, or a pasted hexdump. Returns the bytes and
    a note on where they came from (``""`` for typed hex)."""
    if looks_like_hexdump(text):
        data, start = parse_hexdump(text)
        return data, f"read from a hexdump starting at 0x{start:X}"
    return parse_hex_bytes(text), ""


def parse_offset(text: str) -> int:
    """An offset as typed: decimal or ``0x`` hex; empty means 0."""
    return parse_size(text.strip() or "0", what="offset")


@dataclass(frozen=True)
class Checked:
    """What an editor holds, checked as it is typed: the value to send, or why not.

    ``error`` is ``"empty"`` when nothing is typed; ``status`` is the line shown under
    the editor, in green (``ok`` True), red (False) or plain (None); ``position`` is
    where invalid JSON goes wrong (or -1).
    """

    value: Any
    error: str | None
    status: str
    ok: bool | None
    position: int = -1


def check_json(text: str) -> Checked:
    """The JSON form's text: its value and its size as msgpack, or what is wrong with it."""
    if not text.strip():
        return Checked(None, "empty", "type a JSON value: an object, array, string or number", None)
    position = -1
    try:
        value = parse_json(text)
        size = len(encode_msgpack(value))  # what it will cost in a lane
    except JsonError as err:
        error = f"invalid JSON: {err}"
        position = err.position
    except FormatError as err:  # e.g. an integer beyond msgpack's 64 bits
        error = f"valid JSON, but it cannot be sent: {err}"
    except Exception as err:  # never let a validator break typing
        error = f"cannot check this JSON: {type(err).__name__}: {err}"
    else:
        return Checked(value, None, f"valid JSON: {describe_json(value)} ({size} bytes as msgpack)", True)
    return Checked(None, error, error, False, position)


def check_raw(text: str, offset: str | None) -> Checked:
    """The Raw form's text and its offset as typed (None on a channel, where a message
    has no offset): the bytes and where they land, or what is wrong with either."""
    if not text.strip():
        return Checked(None, "empty", "type hex bytes, or paste a hexdump", None)
    try:
        data, note = parse_raw(text)
        if not data:
            raise FormatError("no bytes")
        start = None if offset is None else parse_offset(offset)
    except (MmfError, ValueError) as err:
        return Checked(None, str(err), str(err), False)
    where = "" if start is None else f" at 0x{start:X}–0x{start + len(data) - 1:X}"
    status = f"{len(data)} byte{'' if len(data) == 1 else 's'}{where}"
    return Checked(data, None, f"{status} ({note})" if note else status, True)


def describe_text(text: str) -> str:
    """The Text form's status line: its length in characters and in UTF-8 bytes."""
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate pasted in
        size = len(text.encode("utf-8", "replace"))
    return f"{len(text)} characters, {size} bytes as UTF-8"


# ----------------------------------------------------------------- what can be sent where


def form_problem(form: str, layout: Layout | None, typed: Checked | None = None,
                 members_problem: str | None = None) -> str | None:
    """Why ``form`` cannot be sent into a segment of ``layout`` as it is, or None.

    ``typed`` is the check of the JSON or Raw form's editor when ``form`` is one of
    them; ``members_problem`` why the Members form cannot be sent, when it is ``form``.
    """
    if typed is not None and typed.error is not None:
        return typed.error
    value = typed.value if typed is not None else None
    if (layout == Layout.TEXT and form in ("message", "json", "members")
            and not (form == "json" and isinstance(value, str))):
        return "this segment holds text: use the Text or Raw bytes form"
    if form == "members" and members_problem:
        return members_problem
    if layout == Layout.DOTNET and form == "text":
        return "this segment holds a .NET object: use the Members, Message or JSON form"
    if layout == Layout.DOTNET and form == "json" and not isinstance(value, dict):
        return "a .NET object is sent as a JSON object of its members' values"
    return None


def describe_target(layout: Layout, form: str, lane: int | None) -> str:
    """Where a send of ``form`` into a segment of ``layout`` goes, as the panel's top
    line says it; ``lane`` is the channel lane already claimed, if any."""
    if layout == Layout.CHANNEL:
        where = ("a lane is claimed on the first send" if lane is None
                 else f"lane {lane}, held by this panel")
        return f"channel: sends a message on the channel ({where})"
    if form == "raw":
        return f"{layout}: writes bytes at the offset below"
    if layout == Layout.TEXT:
        if form == "text":
            return "text: overwrites the text at offset 0"
        return "text: this segment holds text; send it from the Text or Raw bytes form"
    if layout == Layout.MAILBOX:
        how = " (as a msgpack string)" if form == "text" else ""
        return f"mailbox: overwrites the mailbox value at offset 0{how}"
    if layout == Layout.DOTNET:
        if form == "text":
            return "mailbox (.NET): this segment holds a .NET object; send its members"
        return ("mailbox (.NET): overwrites the object at offset 0 with one of the same class, "
                "as BinaryFormatter writes it")
    if layout == Layout.SHAREABLE_LIST:
        return "ShareableList: its items are written one at a time, in place"
    # A raw (all-zero) segment: the first value written decides what it becomes.
    if form == "text":
        return "raw: writes the text at offset 0 (the segment becomes a text segment)"
    return "raw: writes a msgpack value at offset 0 (the segment becomes a mailbox)"


# ----------------------------------------------------------------- the Members form


def scalar_text_for_edit(value: Any) -> str:
    """A member's value as it is typed into a field (``true``, ``3.5``, text as is)."""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex(" ")  # read back as hex
    return str(value)


@dataclass(frozen=True)
class MemberField:
    """One field of the Members form: a member of a .NET object or an item of a
    ShareableList. A field that is not ``writable`` shows its value and ``kept_because``
    says why it is not written; ``type_tip`` is the member's type (and any note on it)."""

    name: str
    text: str
    writable: bool
    placeholder: str
    kept_because: str
    type_tip: str


@dataclass(frozen=True)
class EditableValue:
    """What the Members form shows for the value a segment holds now.

    ``shape`` is the layout and each member's name and type (None when there is
    nothing to edit, and ``problem`` says why): fields typed into are kept while it
    stays the same. ``note`` is the status line; ``problem`` is set too when some
    members cannot be written, which keeps the value from being sent.
    """

    shape: tuple[Layout, tuple[tuple[str, str], ...]] | None
    fields: tuple[MemberField, ...] = ()
    note: str = ""
    problem: str = ""


def editable_value(segment: Segment | None, layout: Layout | None) -> EditableValue:
    """The members of the .NET object, or the items of the ShareableList, that
    ``segment`` holds now, as the Members form's fields."""
    root = None
    problem = "this segment holds no .NET object or ShareableList to edit"
    if segment is not None and layout in (Layout.DOTNET, Layout.SHAREABLE_LIST) and not segment.closed:
        try:
            root = read_value(segment, layout)[1].tree
        except (MmfError, OSError) as err:
            problem = f"the {layout} value cannot be read: {err}"
    if root is not None and len(root.children) > MAX_MEMBER_FIELDS:
        problem = (f"this {layout} value has {len(root.children):,} members or items: the form "
                   f"edits values of at most {MAX_MEMBER_FIELDS} (use JSON or Raw bytes)")
        root = None
    if root is None or layout is None:  # a value was read only under a layout: said for mypy
        return EditableValue(None, problem=problem)
    dotnet = layout == Layout.DOTNET
    fields = tuple(_member_field(node, dotnet) for node in root.children)
    fixed = [f.name for f in fields if not f.writable]
    problem = ""
    if dotnet:
        note = f"{root.type} from {root.library.split(',')[0]}: each field takes its member's .NET type"
        if fixed:
            note += f"; {', '.join(fixed)} cannot be written"
            problem = f"{root.type} has members that cannot be written ({', '.join(fixed)})"
    else:
        note = "ShareableList: changed items are written in place, each within its own size and kind"
    shape = (layout, tuple((m.name, m.type) for m in root.children))
    return EditableValue(shape, fields, note, problem)


def _member_field(node: Node, dotnet: bool) -> MemberField:
    text = "" if node.value is None else scalar_text_for_edit(node.value)
    type_tip = node.type + (f"  ({node.note})" if node.note else "")
    if len(text) > MAX_FIELD_CHARS:  # a field of megabytes would freeze the window
        return MemberField(node.name, text[:MAX_FIELD_CHARS] + "…", False, "",
                           f"{len(text):,} characters: too long to edit here (use JSON)", type_tip)
    writable = node.type in WRITABLE_TYPES if dotnet else node.type != "None"
    if writable:
        placeholder = "null" if node.type == "System.String" else node.type
        return MemberField(node.name, text, True, placeholder, "", type_tip)
    return MemberField(node.name, node_text(node), False, "",
                       "kept as it is: only primitive and string members are written"
                       if dotnet else "None stays None in a ShareableList", type_tip)


def changed_members(typed: dict[str, str], filled: dict[str, str],
                    layout: Layout | None) -> dict[str, str] | dict[int, str]:
    """What the Members form sends: the fields changed since they were filled —
    members by name, ShareableList items by index. Members not changed keep
    whatever value they have when it is sent (another process may change them)."""
    changed = {name: text for name, text in typed.items() if text != filled.get(name)}
    if layout == Layout.SHAREABLE_LIST:
        return {int(name.strip("[]")): text for name, text in changed.items()}
    return changed


# ----------------------------------------------------------------- history


def one_line(text: str, limit: int = SUMMARY_CHARS) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def summarize(form: str, payload: Any, offset: int | None = None) -> str:
    """How a sent payload reads in the history (before shortening)."""
    if form == "members":
        return ", ".join(f"{k if isinstance(k, str) else f'[{k}]'}={v!r}" for k, v in payload.items())
    if form == "json":
        return json.dumps(payload, ensure_ascii=False)
    if form == "text":
        return repr(payload)
    if form == "raw":
        where = f" at 0x{offset:X}" if offset is not None else ""
        return f"{len(payload)} bytes{where}: {payload[:32].hex(' ')}{' …' if len(payload) > 32 else ''}"
    return repr(payload)


@dataclass(frozen=True)
class Sent:
    """One history entry: enough to send exactly the same thing again."""

    form: str
    payload: Any             # a dict (message), a JSON value, a str, or bytes
    offset: int | None       # raw bytes only, and only off a channel
    when: float
    description: str         # what the sender said it did

    @property
    def text(self) -> str:
        """The history line: time, form, payload on one line."""
        stamp = time.strftime("%H:%M:%S", time.localtime(self.when))
        return one_line(f"{stamp} {FORM_KINDS[self.form]} {summarize(self.form, self.payload, self.offset)}")
