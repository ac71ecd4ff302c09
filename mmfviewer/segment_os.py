"""The system calls under segments: opening shared-memory objects and files safely,
reserving their space, and OS errors as messages for users.

:mod:`mmfviewer.segment` is the API (create, open, read, write, state); this is what
it asks of the operating system. It is apart because each call here carries its own
defence against what anyone may plant in the world-writable ``/dev/shm`` — a link is
never followed, a FIFO never waited on, only a regular file mapped — and because
listing segments (:mod:`mmfviewer.discovery`) makes the same checks without opening
a segment.
"""

from __future__ import annotations

import errno
import os
import stat

from .errors import (
    SegmentError,
    SegmentExistsError,
    SegmentNotFoundError,
    SegmentPermissionError,
    SegmentSpaceError,
)
from .names import printable, quoted
from .units import format_size

try:  # CPython's own binding of shm_open/shm_unlink, as used by multiprocessing.
    import _posixshmem
except ImportError:  # Windows
    _posixshmem = None

#: Where POSIX shared-memory objects live as files (Linux). Elsewhere names still
#: work through ``shm_open``, but listing them is not possible.
SHM_DIR = "/dev/shm"

#: Added to every open of a segment: opening a FIFO must not wait for a writer, and a
#: descriptor must not leak into programs we start.
OPEN_FLAGS = os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def shm_file(name: str) -> str:
    """The path messages give for a named segment: its file, or ``/NAME`` where there is none."""
    return os.path.join(SHM_DIR, name) if os.path.isdir(SHM_DIR) else "/" + name


def _display_path(name: str) -> str:
    return printable(shm_file(name))


def shm_open(name: str, flags: int, mode: int, *, readonly: bool) -> int:
    """Open the named segment ``name`` (already validated) with these ``os.open`` flags."""
    what = f"shared-memory segment {quoted(name)}"
    try:
        if os.path.isdir(SHM_DIR):
            # What glibc's shm_open does, but never following a link and never waiting
            # on a FIFO (anyone may plant either in /dev/shm), and taking names that
            # are not UTF-8 (shm_open's Python binding cannot).
            fd = os.open(os.path.join(SHM_DIR, name), flags | OPEN_FLAGS | os.O_NOFOLLOW, mode or 0o600)
        elif _posixshmem is not None:
            # No /dev/shm to plant FIFOs in here; some systems refuse other flags.
            fd = _posixshmem.shm_open("/" + name, flags, mode or 0o600)
        else:
            # Windows named mappings (CreateFileMapping) would go here, behind this API.
            raise SegmentError(
                "named segments are not supported on this platform yet; use a file-backed mapping")
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise SegmentError(f"{_display_path(name)} is a symbolic link, not a segment; "
                               "refusing to follow it") from None
        if err.errno == errno.ENXIO:  # a socket someone put there
            raise SegmentError(f"{_display_path(name)} is a socket, not a regular file: "
                               "nothing to map") from None
        raise segment_error(err, what, path=shm_file(name), readonly=readonly) from None
    try:
        check_regular_fd(fd, _display_path(name))
    except BaseException:
        close_quietly(fd)
        raise
    return fd


def shm_unlink(name: str) -> None:
    """Remove the named segment ``name`` (already validated)."""
    try:
        if os.path.isdir(SHM_DIR):  # as shm_unlink does; also takes names that are not UTF-8
            os.unlink(os.path.join(SHM_DIR, name))
        elif _posixshmem is not None:
            _posixshmem.shm_unlink("/" + name)
        else:
            raise SegmentError("named segments are not supported on this platform yet")
    except OSError as err:
        raise segment_error(err, f"shared-memory segment {quoted(name)}", path=shm_file(name),
                            action="removing") from None


def check_regular_fd(fd: int, shown: str) -> None:
    """Refuse anything but a regular file: a FIFO, device or directory is no segment."""
    check_regular(os.fstat(fd).st_mode, shown)


def check_regular(mode: int, shown: str) -> None:
    """Raise :class:`SegmentError` unless ``mode`` (an ``st_mode``) is a regular file's."""
    if not stat.S_ISREG(mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a directory" if stat.S_ISDIR(mode)
                else "a socket" if stat.S_ISSOCK(mode) else "a symbolic link" if stat.S_ISLNK(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "something else")
        raise SegmentError(f"{shown} is {kind}, not a regular file: nothing to map")


def reserve(fd: int, size: int, *, label: str) -> None:
    """Give the object its size and claim the space now, not at the first write."""
    try:
        os.ftruncate(fd, size)
    except OSError as err:
        raise SegmentError(f"cannot make {label} {size} bytes long: {err.strerror}") from None
    if not hasattr(os, "posix_fallocate"):
        return
    try:
        os.posix_fallocate(fd, 0, size)
    except OSError as err:
        if err.errno in (errno.ENOSPC, errno.EFBIG, errno.ENOMEM):
            raise SegmentSpaceError(
                f"not enough space for {label}: asked for {format_size(size)} "
                f"({size} bytes), {_free_space(fd)}"
            ) from None
        if err.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
            raise SegmentError(f"cannot reserve {size} bytes for {label}: {err.strerror}") from None


def _free_space(fd: int) -> str:
    try:
        st = os.fstatvfs(fd)
    except OSError:
        return "and the free space could not be read"
    return f"{format_size(st.f_bavail * st.f_frsize)} free of {format_size(st.f_blocks * st.f_frsize)}"


def segment_error(err: OSError, what: str, *, path: str | None = None,
                  readonly: bool | None = None, action: str = "opening") -> SegmentError:
    """Turn an OSError into the matching SegmentError with a message for users."""
    where = f" ({printable(path)})" if path else ""
    if isinstance(err, FileNotFoundError):
        return SegmentNotFoundError(f"no {what} exists{where}")
    if isinstance(err, FileExistsError):
        return SegmentExistsError(f"{what} already exists{where}; open it, or remove it first")
    if isinstance(err, PermissionError):
        access = {True: " for reading", False: " for reading and writing", None: ""}[readonly]
        return SegmentPermissionError(
            f"permission denied {action} {what}{where}{access}{_ownership(path)}")
    return SegmentError(f"{what}{where}: {err.strerror or err}")


def _ownership(path: str | None) -> str:
    try:
        st = os.stat(path) if path else None
    except OSError:
        return ""
    if st is None:
        return ""
    return f"; it belongs to {owner_name(st.st_uid)} with mode {stat.S_IMODE(st.st_mode):04o}"


def owner_name(uid: int) -> str:
    """The user name for ``uid``, or the number when it has none."""
    try:
        import pwd
        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return str(uid)


def close_quietly(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass
