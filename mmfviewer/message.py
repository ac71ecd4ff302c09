"""A received message, and the msgpack encoding and decoding channels use.

:class:`Message` is what a reader hands out: one per message, millions of them, so it
is a bare tuple with named fields, decoded lazily. A batch record holds many messages;
:func:`split_batch` cuts one into its messages in a single decoding pass. Kept apart
from the channel itself because everything that shows or decodes messages (the CLI,
the GUI, the codec) needs these and none of the lane machinery.
"""

from __future__ import annotations

from itertools import repeat
from operator import itemgetter
from typing import Any

import msgpack

from . import msgpack_bounds as bounded
from . import wire
from .errors import FormatError
from .msgpack_bounds import TooManyObjectsError


def msgpack_error_text(err: Exception) -> str:
    """What went wrong in msgpack's words, with a reason where msgpack gives none."""
    if isinstance(err, msgpack.StackError):
        return "nested too deeply (msgpack stops at 1024 levels)"
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


def decode_msgpack(payload: bytes) -> Any:
    """Decode one msgpack value with msgpack's size limits (no bombs, no deep nests)."""
    return Message(0, 0, 0, 0, wire.TYPE_MSGPACK, payload).value


def encode_msgpack(obj: Any) -> bytes:
    """Encode a value as msgpack; an unsupported type is a clear error."""
    try:
        packed: bytes = msgpack.packb(obj, use_bin_type=True)
        return packed
    except (TypeError, ValueError, OverflowError) as err:
        raise FormatError(f"cannot send {type(obj).__name__} as msgpack: {err}") from None


class Message(tuple):  # type: ignore[type-arg]  # fields of several types, by position
    """One message as a reader received it: lane, pid, seq, timestamp_ns, type, payload.

    ``value`` is the decoded payload. Messages from a batch record arrive decoded (the
    whole batch is decoded in one pass); others are decoded each time ``value`` is
    read, so only what is looked at costs anything. A message is an immutable tuple
    underneath because readers make millions of them and a tuple is the cheapest
    object Python can build.
    """

    __slots__ = ()

    lane = property(itemgetter(0), doc="The lane (writer slot) it came through.")
    pid = property(itemgetter(1), doc="The sending process's id.")
    seq = property(itemgetter(2), doc="Its sequence number within the lane.")
    timestamp_ns = property(itemgetter(3), doc="When it was sent (Unix time, ns).")
    type = property(itemgetter(4), doc="Record type: 1 msgpack, 2 bytes, 3 text.")
    payload = property(itemgetter(5), doc="The raw payload bytes.")
    position = property(itemgetter(6), doc="Where its record starts in the lane (a position, see "
                                           ":meth:`Channel.record_span`).")

    def __new__(cls, lane: int, pid: int, seq: int, timestamp_ns: int, type: int,
                payload: bytes, position: int = -1) -> Message:
        return _new_tuple(cls, (lane, pid, seq, timestamp_ns, type, payload, position, UNDECODED))

    @property
    def value(self) -> Any:
        """The decoded payload: a msgpack value, a ``str`` for text, ``bytes`` for bytes.

        Raises :class:`FormatError` when a msgpack payload does not decode.
        """
        value = self[7]
        if value is not UNDECODED:
            return value
        kind = self[4]
        if kind == _MSGPACK:
            payload = self[5]
            try:
                if len(payload) <= _UNGUARDED:  # the common case, without a call more
                    return _unpackb(payload, strict_map_key=False)
                return bounded.unpackb(payload, strict_map_key=False)
            except TooManyObjectsError:
                raise
            except Exception as err:  # msgpack raises several unrelated types
                raise FormatError(f"payload is not valid msgpack: {msgpack_error_text(err)}") from None
        if kind == _TEXT:
            return self[5].decode("utf-8", "replace")
        return self[5]

    @property
    def type_name(self) -> str:
        """``msgpack``, ``text`` or ``bytes``."""
        return wire.TYPE_NAMES.get(self.type, f"type {self.type}")

    def to_json(self) -> dict[str, Any]:
        """The message as ``listen --json`` prints it."""
        return {"lane": self.lane, "pid": self.pid, "seq": self.seq, "ts": self.timestamp_ns,
                "type": self.type_name, "value": self.value}

    def __repr__(self) -> str:
        return (f"<Message lane={self.lane} seq={self.seq} pid={self.pid} "
                f"{self.type_name} {len(self.payload)} bytes>")


#: A message's value until its payload is decoded (readers build messages with it).
UNDECODED: Any = object()
_unpackb = msgpack.unpackb
_UNGUARDED = bounded.UNGUARDED
_new_tuple = tuple.__new__
_MSGPACK = wire.TYPE_MSGPACK
_TEXT = wire.TYPE_TEXT


def record_payload(message: Message) -> bytes:
    """The payload of the whole record the message came in: a batch's for a message
    cut from a batch, else the message's own."""
    payload: bytes = message[8].payload if isinstance(message, _BatchMessage) else message.payload
    return payload


class _Batch:
    """The payload of one batch record, shared by the messages cut from it."""

    __slots__ = ("payload", "_offsets")

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self._offsets: list[int] | None = None

    def slice(self, index: int) -> bytes:
        """The raw bytes of value ``index``, found on first need (reading rarely needs
        them: the values come decoded)."""
        if self._offsets is None:
            unpacker = bounded.unpacker(len(self.payload))
            unpacker.feed(self.payload)
            offsets = [0]
            while offsets[-1] < len(self.payload):
                unpacker.skip()
                offsets.append(unpacker.tell())
            self._offsets = offsets
        return self.payload[self._offsets[index]:self._offsets[index + 1]]


class _BatchMessage(Message):
    """A message from a batch record: decoded already, raw bytes cut on demand."""

    __slots__ = ()

    @property
    def payload(self) -> bytes:
        """The raw payload bytes."""
        part: bytes = self[8].slice(self[9])
        return part


def split_batch(lane: int, pid: int, seq: int, ts: int, payload: bytes, count: int,
                position: int, out: list[Message]) -> bool:
    """Cut a batch record into its messages; False if it does not hold ``count`` values.

    The whole batch is decoded in one call into msgpack's C unpacker and the messages
    are built by C iterators: no Python code runs per message, which is what makes
    batches cheap to read.
    """
    unpacker = bounded.unpacker(len(payload), strict_map_key=False)
    unpacker.feed(payload)
    try:
        values = list(unpacker)
    except TooManyObjectsError:  # valid, but too costly to decode at once: cut it raw
        return _split_batch_undecoded(lane, pid, seq, ts, payload, count, position, out)
    except Exception:  # a malformed value: the record is corrupt
        return False
    if len(values) != count or unpacker.tell() != len(payload):
        return False
    batch = _Batch(payload)
    out.extend(map(_new_tuple, repeat(_BatchMessage), zip(
        repeat(lane), repeat(pid), range(seq, seq + count), repeat(ts), repeat(_MSGPACK),
        repeat(None), repeat(position), values, repeat(batch), range(count))))
    return True


def _split_batch_undecoded(lane: int, pid: int, seq: int, ts: int, payload: bytes, count: int,
                           position: int, out: list[Message]) -> bool:
    """Cut a batch record into messages that each decode (within the bound) when asked."""
    unpacker = msgpack.Unpacker(max_buffer_size=max(len(payload), 1))
    unpacker.feed(payload)
    ends = []
    try:
        while unpacker.tell() < len(payload):
            unpacker.skip()  # walks a value without building it
            ends.append(unpacker.tell())
    except Exception:
        return False
    if len(ends) != count:
        return False
    for k, (start, end) in enumerate(zip([0, *ends], ends, strict=False)):
        out.append(Message(lane, pid, seq + k, ts, _MSGPACK, payload[start:end], position))
    return True

