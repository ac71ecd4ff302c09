"""Sending into a segment, whatever its layout: what ``mmfviewer send`` and the GUI's
compose panel both do.

On a channel a message goes out through a writer (a lane claimed on the first send
and kept until :meth:`Sender.close`); on the seeds' layouts it overwrites offset 0
(a mailbox value as msgpack, text as UTF-8); raw bytes go wherever they are told.
"""

from __future__ import annotations

from typing import Any

from .channel import Channel, Writer
from .codec import Layout, detect_layout, write_mailbox, write_text
from .errors import FormatError, ReadOnlyError
from .segment import Segment


class Sender:
    """Sends values into one open segment according to its layout.

    ``layout`` defaults to the detected one; on a fresh all-zero (raw) segment the
    kind of value decides: text makes it a text segment, anything else a mailbox.
    ``channel`` may be given when the caller already has one over ``segment``.
    """

    def __init__(self, segment: Segment, layout: Layout | str | None = None, *,
                 channel: Channel | None = None, name: str = "mmfviewer") -> None:
        self.segment = segment
        self.layout = Layout(layout) if layout is not None else detect_layout(segment)
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
            seq = self._channel_writer().send(value)
            return f"sent message {seq} on lane {self._writer.lane}"
        if self.layout == Layout.TEXT:
            if not isinstance(value, str):
                raise FormatError(f"{self.segment.label} holds text: send text, or treat it as a mailbox")
            return self.send_text(value)
        self._check_writable()
        n = write_mailbox(self.segment, value)
        return f"wrote a {n}-byte msgpack value at offset 0 (mailbox)"

    def send_text(self, text: str) -> str:
        """Send a string: a text record on a channel, UTF-8 at offset 0 elsewhere (a
        msgpack string in a mailbox)."""
        if self.layout == Layout.CHANNEL:
            seq = self._channel_writer().send_text(text)
            return f"sent text message {seq} on lane {self._writer.lane}"
        if self.layout == Layout.MAILBOX:
            return self.send(text)
        self._check_writable()
        n = write_text(self.segment, text)
        return f"wrote {n} bytes of text at offset 0"

    def send_bytes(self, data: bytes, offset: int = 0) -> str:
        """Send raw bytes: a bytes record on a channel, else written at ``offset``."""
        if self.layout == Layout.CHANNEL:
            seq = self._channel_writer().send_bytes(data)
            return f"sent {len(data)} bytes as message {seq} on lane {self._writer.lane}"
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
            self._writer = self._channel.writer(self.name)
        return self._writer
