"""How channel code reaches a segment's bytes: by system call, or through the mapping.

A mapping is the fastest way to reach shared memory and the most fragile one: when
another process truncates the file under it, the next load or store past the new
end raises SIGBUS, which kills the process (Python cannot catch it: the faulting
instruction runs again). ``pread`` and ``pwrite`` reach the same pages of the page
cache, but the kernel reports a shrunk file as a short read, so nothing we read or
send through them can kill us.

Readers take lane-header words and record bytes through :class:`SyscallBytes` (one
``pread`` per word or span: a poll costs one call per lane plus one per copied
span, never one per message). :class:`MappedBytes` is the mapping itself, kept for
systems without ``pread`` on shared memory (macOS) and for ``bench channel``, which
measures what the safety costs. Writers store through :class:`SyscallStores` or
:class:`MappedStores` the same way.

Aligned 8-byte words copied by the kernel were never seen torn (the x86-64 kernel
copies them whole), and readers do not depend on it: a tail that is not plausible is
loaded again before it is believed.
"""

from __future__ import annotations

import os
import struct
from typing import Any, Protocol

from .errors import ChannelTruncatedError
from .segment import Segment, pread_works

_WORD = struct.Struct("<Q")
_from_bytes = int.from_bytes


class ChannelBytes(Protocol):
    """Loads from a channel's bytes: words (8-byte, aligned) and spans."""

    def check(self) -> None:
        """Raise :class:`ChannelTruncatedError` if loads could fault now (mapped only)."""

    def word(self, index: int) -> int:
        """The ``index``-th 8-byte word of the segment."""

    def words(self, index: int, n: int) -> tuple[int, ...]:
        """``n`` consecutive words from the ``index``-th."""

    def read(self, offset: int, n: int) -> bytes:
        """Exactly ``n`` bytes at ``offset``."""


def shrank(segment: Segment, needed: int, outcome: str = "reading stopped") -> ChannelTruncatedError:
    """The error for a channel whose segment no longer holds ``needed`` bytes."""
    try:
        size = f"{segment.current_size()} bytes"
    except OSError:
        size = "an unknown size"
    return ChannelTruncatedError(f"{segment.label} shrank to {size} under the channel "
                                 f"({needed} bytes); {outcome}")


class SyscallBytes:
    """Loads through ``pread``: a truncated segment is a :class:`ChannelTruncatedError`."""

    def __init__(self, segment: Segment, size: int) -> None:
        self._segment = segment
        self._fd = segment.fd
        self._size = size

    def check(self) -> None:
        """Nothing to do: a short read says it."""

    def word(self, index: int) -> int:
        """The ``index``-th 8-byte word of the segment."""
        data = os.pread(self._fd, 8, index * 8)
        if len(data) < 8:
            raise shrank(self._segment, self._size)
        return _from_bytes(data, "little")

    def words(self, index: int, n: int) -> tuple[int, ...]:
        """``n`` consecutive words from the ``index``-th."""
        return struct.unpack(f"<{n}Q", self.read(index * 8, n * 8))

    def read(self, offset: int, n: int) -> bytes:
        """Exactly ``n`` bytes at ``offset``."""
        data = os.pread(self._fd, n, offset)
        if len(data) < n:
            # tmpfs answers a whole read at once; a short one means the file ends here.
            rest = os.pread(self._fd, n - len(data), offset + len(data)) if data else b""
            data += rest
            if len(data) < n:
                raise shrank(self._segment, self._size)
        return data


class MappedBytes:
    """Loads through the mapping, after one ``fstat`` per :meth:`check`. A truncation
    between that check and a load still kills the process: this is the fast, unsafe
    path."""

    def __init__(self, segment: Segment, size: int) -> None:
        self._segment = segment
        self._size = size
        self._buf = segment.buf[:size]
        self._words = self._buf.cast("Q")

    def check(self) -> None:
        """Refuse to go on if the segment is shorter than the channel."""
        if self._segment.current_size() < self._size:
            raise shrank(self._segment, self._size)

    def word(self, index: int) -> int:
        """The ``index``-th 8-byte word of the segment."""
        return self._words[index]

    def words(self, index: int, n: int) -> tuple[int, ...]:
        """``n`` consecutive words from the ``index``-th."""
        return tuple(self._words[index:index + n])

    def read(self, offset: int, n: int) -> bytes:
        """Exactly ``n`` bytes at ``offset``."""
        return self._buf[offset:offset + n].tobytes()


class ChannelStores(Protocol):
    """Stores into a channel's bytes, each word whole."""

    def check(self) -> None:
        """Raise :class:`ChannelTruncatedError` if the segment is shorter than the channel."""

    def buffers(self) -> tuple[Any, Any]:
        """``(bytes, words)``: objects that take ``bytes[a:b] = data`` and
        ``words[i] = value`` (an 8-byte word, stored whole)."""


class SyscallStores:
    """Stores through ``pwrite``. Each send first checks the segment's size, so a
    truncated channel is refused rather than grown back; a truncation in the
    microseconds between that check and the write grows the file back to the end of
    what was written (zeros before it): a changed file, never a SIGBUS."""

    def __init__(self, segment: Segment, size: int) -> None:
        self._segment = segment
        self._fd = segment.fd
        self._size = size

    def check(self) -> None:
        """Refuse to go on if the segment is shorter than the channel."""
        if os.fstat(self._fd).st_size < self._size:
            raise shrank(self._segment, self._size, "nothing was sent")

    def buffers(self) -> tuple[_PwriteBytes, _PwriteWords]:
        """Stand-ins for the mapping's bytes and words that store with ``pwrite``."""
        return _PwriteBytes(self._fd), _PwriteWords(self._fd)


class _PwriteBytes:
    __slots__ = ("_fd",)

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def __setitem__(self, span: slice, data: bytes) -> None:
        view, offset, done = memoryview(data), span.start, 0
        while done < len(view):
            done += os.pwrite(self._fd, view[done:], offset + done)


class _PwriteWords:
    __slots__ = ("_fd",)

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def __setitem__(self, index: int, value: int) -> None:
        os.pwrite(self._fd, _WORD.pack(value), index * 8)


class MappedStores:
    """Stores through the mapping: fast, and fatal if the segment shrinks under it."""

    def __init__(self, segment: Segment, size: int) -> None:
        self._segment = segment
        self._size = size
        self._buf = segment.buf[:size]

    def check(self) -> None:
        """Refuse to go on if the segment is shorter than the channel."""
        if self._segment.current_size() < self._size:
            raise shrank(self._segment, self._size, "nothing was sent")

    def buffers(self) -> tuple[memoryview, memoryview]:
        """The mapping's bytes, and the same as 8-byte words."""
        return self._buf, self._buf.cast("Q")


def channel_bytes(segment: Segment, size: int, access: str | None = None) -> ChannelBytes:
    """Loads for a reader: ``"syscall"`` (the default wherever ``pread`` reaches shared
    memory) or ``"mapped"``."""
    if (access or ("syscall" if pread_works() else "mapped")) == "syscall":
        return SyscallBytes(segment, size)
    return MappedBytes(segment, size)


def channel_stores(segment: Segment, size: int, access: str | None = None) -> ChannelStores:
    """Stores for a writer: ``"mapped"`` (the default: fastest) or ``"syscall"``."""
    if access == "syscall" and pread_works():
        return SyscallStores(segment, size)
    return MappedStores(segment, size)
