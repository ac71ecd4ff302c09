"""Sending into a segment, whatever its layout: what ``mmfviewer send`` and the GUI's
compose panel both do.

On a channel a message goes out through a writer (a lane claimed on the first send
and kept until :meth:`Sender.close`); on value layouts it overwrites offset 0
(a mailbox value as msgpack, a .NET value as BinaryFormatter would write it, text as
UTF-8); raw bytes go wherever they are told.
"""

from __future__ import annotations

from typing import Any

from .channel import Channel
from .channel_writer import Writer
from .codec import Layout, detect_layout, write_dotnet, write_list_items, write_mailbox, write_text
from .errors import FormatError, ReadOnlyError
from .nrbf_encode import ClassShape
from .segment import Segment


class Sender:
    """Sends values into one open segment according to its layout.

    ``layout`` defaults to the detected one; on a fresh all-zero (raw) segment the
    kind of value decides: text makes it a text segment, anything else a mailbox.
    ``channel`` may be given when the caller already has one over ``segment``.
    ``dotnet_shape`` is the .NET class to write where the segment holds no .NET
    value to send one like (a new one, or another class).
    """

    def __init__(self, segment: Segment, layout: Layout | str | None = None, *,
                 channel: Channel | None = None, name: str = "mmfviewer",
                 dotnet_shape: ClassShape | None = None) -> None:
        self.segment = segment
        self.layout = Layout(layout) if layout is not None else detect_layout(segment)
        self.dotnet_shape = dotnet_shape
        self.name = name
        self._channel = channel
        self._owns_channel = False
        self._writer: Writer | None = None

    @property
    def lane(self) -> int | None:
        """The channel lane this sender writes on, once it has sent."""
        return self._writer.lane if self._writer is not None else None

    def send(self, value: Any) -> str:
        """Send a value (a msgpack message, or a mailbox write); returns what was done."""
        if self.layout == Layout.CHANNEL:
            writer = self._channel_writer()
            return f"sent message {writer.send(value)} on lane {writer.lane}"
        if self.layout == Layout.TEXT:
            if not isinstance(value, str):
                raise FormatError(f"{self.segment.label} holds text: send text, or treat it as a mailbox")
            return self.send_text(value)
        if self.layout == Layout.DOTNET:
            return self.send_dotnet(value)
        if self.layout == Layout.SHAREABLE_LIST:
            raise FormatError(f"{self.segment.label} holds a ShareableList: its items are written "
                              "one at a time, in place (in the window, edit an item's value)")
        self._check_writable()
        n = write_mailbox(self.segment, value)
        return f"wrote a {n}-byte msgpack value at offset 0 (mailbox)"

    def send_dotnet(self, members: Any) -> str:
        """Write a .NET object at offset 0: ``members`` maps member names to values.
        The class is the one already there (other members keep their values), or
        :attr:`dotnet_shape`."""
        if not isinstance(members, dict):
            raise FormatError(f"{self.segment.label} holds a .NET object: send its members "
                              "(title and content, or a JSON object of member values)")
        self._check_writable()
        n, shape = write_dotnet(self.segment, members, self.dotnet_shape)
        return f"wrote a {n}-byte .NET {shape.name} (BinaryFormatter) at offset 0"

    def send_items(self, changes: dict[int, Any]) -> str:
        """Write items of a ShareableList in place: ``changes`` maps indexes to values
        (or text to read as each item's kind)."""
        if self.layout != Layout.SHAREABLE_LIST:
            raise FormatError(f"{self.segment.label} holds no ShareableList")
        if not changes:
            raise FormatError("no item changed: nothing to write")
        self._check_writable()
        written = write_list_items(self.segment, changes)
        return "wrote ShareableList item" + ("s " if len(written) > 1 else " ") + \
            ", ".join(f"[{i}]" for i in written) + " in place"

    def send_text(self, text: str) -> str:
        """Send a string: a text record on a channel, UTF-8 at offset 0 elsewhere (a
        msgpack string in a mailbox)."""
        if self.layout == Layout.CHANNEL:
            writer = self._channel_writer()
            return f"sent text message {writer.send_text(text)} on lane {writer.lane}"
        if self.layout in (Layout.MAILBOX, Layout.DOTNET, Layout.SHAREABLE_LIST):
            return self.send(text)
        self._check_writable()
        n = write_text(self.segment, text)
        return f"wrote {n} bytes of text at offset 0"

    def send_bytes(self, data: bytes, offset: int = 0) -> str:
        """Send raw bytes: a bytes record on a channel, else written at ``offset``."""
        if self.layout == Layout.CHANNEL:
            writer = self._channel_writer()
            return f"sent {len(data)} bytes as message {writer.send_bytes(data)} on lane {writer.lane}"
        self._check_writable()
        self.segment.write(offset, data)
        return f"wrote {len(data)} bytes at offset {offset}"

    def close(self) -> None:
        """Give back the channel lane (and the channel, if this sender opened it)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._owns_channel and self._channel is not None:
            self._channel.detach()
            self._channel = None

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_writable(self) -> None:
        if self.segment.readonly:
            raise ReadOnlyError(f"{self.segment.label} is open read-only; open it read-write to send")

    def _channel_writer(self) -> Writer:
        self._check_writable()
        if self._writer is None:
            if self._channel is None:
                self._channel = Channel.attach(self.segment, own=False)
                self._owns_channel = True
            self._writer = self._channel.writer(self.name, access="syscall")
        return self._writer
