"""Which writer owns which lane of a channel: claimed with a file lock, freed at exit.

A writer owns a lane by holding a write lock on the first byte of the lane's header.
On Linux these are open-file-description locks, on a descriptor of the writer's own:
unlike classic POSIX locks they are not dropped when the process closes some other
descriptor of the same segment, and two writers in one process exclude each other.
The kernel releases them when the process dies, which is how a dead writer's lane
becomes free. Kept apart from the channel because the locking is platform code
(``fcntl`` and its ``struct flock`` layout) that nothing else needs to see.
"""

from __future__ import annotations

import fcntl
import os
import struct
import sys

from . import wire
from .errors import NoFreeLaneError
from .segment import Segment

_FLOCK = "hhqqi4x"  # struct flock on Linux (x86_64, aarch64): type, whence, start, len, pid
_OFD = sys.platform.startswith("linux") and hasattr(fcntl, "F_OFD_SETLK")
_claimed_here: set[tuple[int, int, int]] = set()  # fallback: (dev, inode, lane) in this process


def claim_lane(segment: Segment, lanes: int, capacity: int) -> tuple[int, int]:
    """Lock the first free lane, on a descriptor of our own: (that descriptor, the lane)."""
    if _OFD:
        fd = os.open(f"/proc/self/fd/{segment.fd}", os.O_RDWR)  # a new open file description
    else:
        fd = os.dup(segment.fd)
    try:
        st = os.fstat(fd)
        for lane in range(lanes):
            key = (st.st_dev, st.st_ino, lane)
            if key in _claimed_here or not _try_lock(fd, wire.lane_offset(lane, capacity)):
                continue
            _claimed_here.add(key)
            return fd, lane
    except BaseException:
        os.close(fd)
        raise
    os.close(fd)
    raise NoFreeLaneError(
        f"all {lanes} lanes of {segment.label} have a live writer; "
        "close one, or create the channel with more lanes (--lanes)")


def _try_lock(fd: int, offset: int) -> bool:
    try:
        if _OFD:
            fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, offset, 1, 0))
        else:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset, os.SEEK_SET)
    except (BlockingIOError, PermissionError):
        return False
    return True


def release_lane(fd: int, segment: Segment, lane: int) -> None:
    """Give back a lane that :func:`claim_lane` locked on ``fd``."""
    try:
        st = os.fstat(fd)
        _claimed_here.discard((st.st_dev, st.st_ino, lane))
    finally:
        os.close(fd)  # closing our own description drops its lock


def lock_holder_alive(fd: int, offset: int) -> bool:
    """True if a live process holds the write lock on the byte at ``offset``."""
    if _OFD:
        probe = struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, offset, 1, 0)
        answer = fcntl.fcntl(fd, fcntl.F_OFD_GETLK, probe)
        return bool(struct.unpack(_FLOCK, answer)[0] != fcntl.F_UNLCK)
    try:
        fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB, 1, offset, os.SEEK_SET)
    except OSError:
        return True
    fcntl.lockf(fd, fcntl.LOCK_UN, 1, offset, os.SEEK_SET)
    return False

