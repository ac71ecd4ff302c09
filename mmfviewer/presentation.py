"""How the command line and the window write the same things: times, message
previews, segment rows. One place, so ``ls`` and the segment list, ``listen`` and
the message pane never disagree."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from .byte_values import short_repr
from .discovery import SegmentInfo
from .message import Message
from .names import printable
from .units import format_size

#: How many characters a message preview shows.
PREVIEW_CHARS = 200


def ago_text(seconds: float | None) -> str:
    """How long ago, as the "Last change" column says it: ``"2.3 s ago"``,
    ``"12 s ago"``, ``"4 min ago"``, ``"1 h 5 min ago"``; ``"never"`` for None."""
    if seconds is None:
        return "never"
    seconds = max(0.0, seconds)
    if seconds < 10:
        return f"{int(seconds * 10) / 10:.1f} s ago"  # rounded down: never "10.0 s"
    if seconds < 60:
        return f"{int(seconds)} s ago"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours} h {rest // 60} min ago"


def clock_time(timestamp_ns: int) -> str:
    """``HH:MM:SS.ffffff`` in local time."""
    seconds, ns = divmod(timestamp_ns, 1_000_000_000)
    return time.strftime("%H:%M:%S", time.localtime(seconds)) + f".{ns // 1000:06d}"


def full_time(timestamp_ns: int) -> str:
    """The date and time to the nanosecond, local time (for tooltips)."""
    seconds, ns = divmod(timestamp_ns, 1_000_000_000)
    return datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S") + f".{ns:09d}"


def file_time(mtime: float | None) -> str:
    """A file's time to the second, local time; ``-`` when unknown."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(mtime)) if mtime else "-"


def preview_of(message: Message, limit: int = PREVIEW_CHARS) -> tuple[str, str | None]:
    """A one-line preview of a message and, if its value does not decode, the error.

    A message that does not decode previews as ``"⚠ "`` + the error. Never raises:
    whatever a hostile payload makes the decoder do ends up as an error text.
    """
    try:
        return short_repr(message.value, limit), None
    except Exception as err:  # FormatError mostly; anything else is still just bad data
        # msgpack's own messages are sometimes empty ("...: FormatError: "): no dangling colon.
        text = str(err).rstrip(": ") or type(err).__name__
        return "⚠ " + text, text


@dataclass(frozen=True)
class SegmentRow:
    """One segment as ``ls`` and the segment list show it; every text escaped
    (names and owners come from anyone who can write to /dev/shm)."""

    name: str
    size: str
    layout: str
    owner: str
    mode: str
    attached: str
    modified: str

    @classmethod
    def of(cls, info: SegmentInfo, layout: str) -> SegmentRow:
        """The row of ``info``, whose layout reads ``layout``."""
        return cls(
            name=printable(info.name) + (" (deleted)" if info.deleted else ""),
            size=format_size(info.size) if info.size is not None else "?",
            layout=layout,
            owner=printable(info.owner),
            mode="-" if info.deleted else info.mode_text,
            attached=printable(", ".join(str(a) for a in info.attached)) or "-",
            modified=file_time(info.modified),
        )
