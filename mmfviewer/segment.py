"""Named memory mappings: create, open, create-or-open, file-backed; safe reads.

A segment is what .NET calls a memory-mapped file: a named block of memory that
several processes map. On Linux and macOS a *name* is a POSIX shared-memory object
(``shm_open``; ``/dev/shm/NAME`` on Linux), so segments made by C ``shm_open``,
Boost.Interprocess, ``multiprocessing.shared_memory`` or numpy are all visible here.
A *path* is a file-backed mapping, which is how a .NET program on Linux shares memory.

The three ways to get a named mapping mean what they mean in .NET:

* :meth:`Segment.create` — CreateNew: fails if the name exists.
* :meth:`Segment.open` — OpenExisting: fails if it does not.
* :meth:`Segment.create_or_open` — CreateOrOpen.

Safety rules this module keeps (each one has hurt real projects):

* :meth:`Segment.read` goes through ``os.pread`` on the descriptor, never through
  the mapping, so a segment truncated by another process gives a short read instead
  of a SIGBUS that would kill us.
* Space is reserved at creation (``posix_fallocate``) so a full ``/dev/shm`` is a
  clear :class:`SegmentSpaceError` now rather than a SIGBUS at the first write.
* Nothing here registers with ``multiprocessing``'s resource tracker, so a process
  that only opened a segment never destroys it when it exits. Only
  :meth:`Segment.unlink` (or :func:`unlink_segment`) removes a segment.

The system calls under all this, each with its own defence, are in
:mod:`mmfviewer.segment_os`.
"""

from __future__ import annotations

import mmap
import os
import sys
from dataclasses import dataclass
from types import TracebackType

from .errors import (
    InvalidNameError,
    InvalidSizeError,
    ReadOnlyError,
    SegmentBoundsError,
    SegmentClosedError,
    SegmentError,
    SegmentExistsError,
    SegmentNotFoundError,
)
from .names import quoted
from .segment_os import (
    OPEN_FLAGS,
    SHM_DIR,
    check_regular_fd,
    close_quietly,
    reserve,
    segment_error,
    shm_file,
    shm_open,
    shm_unlink,
)

# Linux keeps shm objects as files in a tmpfs, so a name is a file name (NAME_MAX);
# macOS limits shm names to PSHMNAMLEN = 31 bytes including the leading slash.
NAME_MAX = 30 if sys.platform == "darwin" else 255

_HAS_PREAD = hasattr(os, "pread") and sys.platform.startswith("linux")


def pread_works() -> bool:
    """Whether ``pread``/``pwrite`` reach shared memory here (Linux: yes; macOS: its
    shm objects refuse them, so only the mapping reaches their bytes)."""
    return _HAS_PREAD


def validate_name(name: str) -> str:
    """Return ``name`` as a shared-memory name, or raise :class:`InvalidNameError`.

    A single leading ``/`` is accepted, as C's ``shm_open("/name")`` writes it, and
    dropped. The name must not be empty, ``.`` or ``..``, contain ``/`` or NUL, or be
    longer than the platform allows; a name is never a path.
    """
    if not isinstance(name, str):
        raise InvalidNameError(f"a segment name must be a string, got {type(name).__name__}")
    bare = name[1:] if name.startswith("/") else name
    if not bare:
        raise InvalidNameError("a segment name must not be empty")
    if "\0" in bare:
        raise InvalidNameError(f"a segment name must not contain a NUL byte: {quoted(name)}")
    if any(0xD800 <= ord(ch) <= 0xDFFF and not 0xDC80 <= ord(ch) <= 0xDCFF for ch in bare):
        raise InvalidNameError(f"a segment name must be text or bytes, not lone surrogates: {quoted(name)}")
    if "/" in bare:
        raise InvalidNameError(
            f"a segment name must not contain '/' (it is a name, not a path): {quoted(name)}; "
            "use a file-backed mapping (--file PATH) for a path"
        )
    if bare in (".", ".."):
        raise InvalidNameError(f"a segment name must not be '.' or '..': {quoted(name)}")
    if len(bare.encode("utf-8", "surrogateescape")) > NAME_MAX:
        raise InvalidNameError(
            f"a segment name must be at most {NAME_MAX} bytes, got "
            f"{len(bare.encode('utf-8', 'surrogateescape'))}: {bare[:40]!r}..."
        )
    return bare


def shm_path(name: str) -> str:
    """Where a named segment lives in the file system (Linux): ``/dev/shm/NAME``."""
    return os.path.join(SHM_DIR, validate_name(name))


@dataclass(frozen=True)
class SegmentState:
    """What the segment looks like right now, as seen through our descriptor.

    ``size`` is its live size (another process may have truncated or grown it);
    ``removed`` is true when its name or path no longer leads to the object we hold
    (unlinked, or replaced by a new one of the same name). Our view of the old
    object keeps working either way.
    """

    size: int
    mapped_size: int
    removed: bool

    @property
    def truncated(self) -> bool:
        """True when the segment is now smaller than when we mapped it."""
        return self.size < self.mapped_size

    @property
    def grown(self) -> bool:
        """True when the segment is now larger than when we mapped it."""
        return self.size > self.mapped_size


class Segment:
    """A named shared-memory mapping or a file-backed mapping.

    Use the class methods to get one; close it with :meth:`close` or a ``with``
    block. Closing never removes the segment: :meth:`unlink` does that, and only
    when asked.
    """

    # Safe defaults so that close()/__del__ work on a half-built instance.
    _fd: int = -1
    _mmap: mmap.mmap | None = None
    _view: memoryview | None = None
    name: str | None = None
    path: str = ""
    readonly: bool = True
    created: bool = False
    _mapped_size: int = 0
    _identity: tuple[int, int] = (0, 0)

    def __init__(self, fd: int, *, name: str | None, path: str, readonly: bool, created: bool):
        """Wrap an open descriptor; prefer :meth:`create`, :meth:`open` and friends."""
        self._fd = fd
        self.name = name
        self.path = path
        self.readonly = readonly
        self.created = created
        try:
            self._map(fd)
        except BaseException:
            self.close()
            raise

    def _map(self, fd: int) -> None:
        access = mmap.ACCESS_READ if self.readonly else mmap.ACCESS_WRITE
        for _attempt in range(5):
            st = os.fstat(fd)
            self._identity = (st.st_dev, st.st_ino)
            self._mapped_size = st.st_size
            if st.st_size == 0:
                return
            try:
                self._mmap = mmap.mmap(fd, st.st_size, access=access)
            except ValueError:
                continue  # another process shrank it between fstat and mmap: look again
            self._view = memoryview(self._mmap)
            return
        raise SegmentError(f"{self.label} keeps changing size while it is being opened "
                           "(another process is truncating it); try again")

    # ------------------------------------------------------------------ factories

    @classmethod
    def create(cls, name: str, size: int, *, mode: int = 0o600) -> Segment:
        """CreateNew: make a new named segment of ``size`` bytes, zero-filled.

        Fails with :class:`SegmentExistsError` if the name is taken. The segment is
        readable and writable by its owner only unless ``mode`` says otherwise.
        """
        name = validate_name(name)
        _check_new_size(size)
        fd = shm_open(name, os.O_CREAT | os.O_EXCL | os.O_RDWR, mode, readonly=False)
        try:
            os.fchmod(fd, mode)  # shm_open's mode is filtered by the umask; be exact
            reserve(fd, size, label=f"shared-memory segment {quoted(name)}")
            return cls(fd, name=name, path=shm_file(name), readonly=False, created=True)
        except BaseException:
            close_quietly(fd)
            _shm_unlink_quietly(name)
            raise

    @classmethod
    def open(cls, name: str, *, readonly: bool = True) -> Segment:
        """OpenExisting: map an existing named segment, read-only unless asked.

        Fails with :class:`SegmentNotFoundError` naming where it looked.
        """
        name = validate_name(name)
        fd = shm_open(name, os.O_RDONLY if readonly else os.O_RDWR, 0, readonly=readonly)
        return cls(fd, name=name, path=shm_file(name), readonly=readonly, created=False)

    @classmethod
    def create_or_open(cls, name: str, size: int, *, mode: int = 0o600) -> Segment:
        """CreateOrOpen: create the segment, or open it read-write if it exists.

        An existing segment is opened as it is, never resized: it may belong to
        someone else. Check :attr:`created` to know which happened.
        """
        try:
            return cls.create(name, size, mode=mode)
        except SegmentExistsError:
            return cls.open(name, readonly=False)

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], size: int | None = None, *,
        readonly: bool = True, mode: int = 0o600,
    ) -> Segment:
        """Map a regular file. With ``size`` and ``readonly=False`` a missing file is
        created and a shorter one is extended to ``size``; otherwise the file is
        mapped at its current size."""
        path = os.fspath(path)
        if not path:
            raise InvalidNameError("a file path must not be empty")
        created = False
        # O_NONBLOCK: opening a FIFO someone put in the way must not wait for a writer.
        flags = (os.O_RDONLY if readonly else os.O_RDWR) | OPEN_FLAGS
        shown = quoted(path)
        try:
            fd = os.open(path, flags)
        except FileNotFoundError:
            if readonly or size is None:
                raise SegmentNotFoundError(f"no file {shown} to map") from None
            _check_new_size(size)
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | OPEN_FLAGS, mode)
            except OSError as err:
                raise segment_error(err, f"file {shown}") from None
            created = True
            try:
                os.fchmod(fd, mode)  # the mode asked for, exactly: not filtered by the umask
            except BaseException:
                close_quietly(fd)
                os.unlink(path)
                raise
        except OSError as err:
            raise segment_error(err, f"file {shown}", readonly=readonly) from None
        try:
            check_regular_fd(fd, shown)
            st = os.fstat(fd)
            if size is not None and not readonly and st.st_size < size:
                reserve(fd, size, label=f"file {shown}")
            return cls(fd, name=None, path=os.path.abspath(path), readonly=readonly, created=created)
        except BaseException:
            close_quietly(fd)
            if created:
                os.unlink(path)
            raise

    # ------------------------------------------------------------------ access

    @property
    def size(self) -> int:
        """Size in bytes when we mapped it (see :meth:`state` for the live size)."""
        return self._mapped_size

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._fd < 0

    @property
    def label(self) -> str:
        """How messages name this segment: ``'mmf1'`` or ``file '/tmp/x'`` (control
        characters and bytes that are not UTF-8 escaped, see :func:`printable`)."""
        return quoted(self.name) if self.name is not None else f"file {quoted(self.path)}"

    def identity(self) -> tuple[int, int]:
        """``(device, inode)`` of the object we hold: two segments are the same
        memory exactly when these are equal (a name removed and made again is not)."""
        self._check_open()
        return self._identity  # taken from this descriptor when it was mapped; it cannot change

    @property
    def fd(self) -> int:
        """The open file descriptor (e.g. for ``fcntl`` locks)."""
        self._check_open()
        return self._fd

    @property
    def buf(self) -> memoryview:
        """The mapping itself, for fast paths that accept the SIGBUS risk.

        Touching it past the live end of a segment that another process truncated
        kills the process; viewers use :meth:`read` instead.
        """
        self._check_open()
        return self._view if self._view is not None else memoryview(b"")

    def current_size(self) -> int:
        """The segment's live size: another process may have truncated or grown it."""
        self._check_open()
        return os.fstat(self._fd).st_size

    def state(self) -> SegmentState:
        """Live size, and whether the segment was removed or replaced under us."""
        return SegmentState(size=self.current_size(), mapped_size=self._mapped_size,
                            removed=not self._still_linked())

    def _still_linked(self) -> bool:
        if self.name is not None and not os.path.isdir(SHM_DIR):
            return True  # no file-system view of shm names here (macOS): cannot tell
        try:
            # A name is never followed (a link planted under it is not our segment).
            st = os.lstat(self.path) if self.name is not None else os.stat(self.path)
        except FileNotFoundError:
            return False
        except OSError:
            return True
        return (st.st_dev, st.st_ino) == self._identity

    def read(self, offset: int, n: int) -> bytes:
        """Read up to ``n`` bytes at ``offset``; never crashes.

        The result is shorter than ``n`` (possibly empty) where the segment ends,
        including when another process truncated it after we opened it; it may
        reach past :attr:`size` if the segment has grown since.
        """
        self._check_open()
        if offset < 0 or n < 0:
            raise SegmentBoundsError(f"offset and length must not be negative (got {offset}, {n})")
        if not _HAS_PREAD:
            end = min(offset + n, self.current_size(), self._mapped_size)
            return bytes(self._view[offset:end]) if self._view is not None and end > offset else b""
        parts: list[bytes] = []
        want = n
        while want > 0:
            chunk = os.pread(self._fd, want, offset)
            if not chunk:
                break
            parts.append(chunk)
            offset += len(chunk)
            want -= len(chunk)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def write(self, offset: int, data: bytes | bytearray | memoryview) -> int:
        """Write ``data`` at ``offset``; the whole write must fit in the live segment.

        Raises :class:`ReadOnlyError` on a read-only segment and
        :class:`SegmentBoundsError` when the write would pass the end.
        """
        self._check_open()
        if self.readonly:
            raise ReadOnlyError(f"{self.label} is open read-only; open it read-write to write")
        data = memoryview(data).cast("B")
        live = self.current_size()
        if offset < 0 or offset + len(data) > live:
            raise SegmentBoundsError(
                f"writing {len(data)} bytes at offset {offset} does not fit in {self.label} "
                f"({live} bytes)"
            )
        # pwrite, not the mapping: if another process truncates the segment right now,
        # the worst case is a file grown back, never a SIGBUS.
        done = 0
        while done < len(data):
            done += os.pwrite(self._fd, data[done:], offset + done)
        return done

    # ------------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Unmap and close. The segment itself stays; calling twice is harmless."""
        if self._view is not None:
            try:
                self._view.release()
            except BufferError:
                pass  # a caller still holds a slice; the mapping outlives this object
            self._view = None
        if self._mmap is not None:
            try:
                self._mmap.close()
            except BufferError:
                pass  # exported views keep it alive; it unmaps when the last one goes
            self._mmap = None
        if self._fd >= 0:
            close_quietly(self._fd)
            self._fd = -1

    def unlink(self) -> None:
        """Remove the segment's name (or file). Processes that map it keep their view."""
        if self.name is not None:
            unlink_segment(self.name)
        else:
            try:
                os.unlink(self.path)
            except OSError as err:
                raise segment_error(err, f"file {self.path!r}", action="removing") from None

    def __enter__(self) -> Segment:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        kind = "Segment" if self.name is not None else "Segment file"
        where = self.name if self.name is not None else self.path
        if self.closed:
            return f"<{kind} {where!r} closed>"
        flags = "ro" if self.readonly else "rw"
        extra = " created" if self.created else ""
        return f"<{kind} {where!r} size={self._mapped_size} {flags}{extra}>"

    def _check_open(self) -> None:
        if self._fd < 0:
            raise SegmentClosedError(f"segment {self.name or self.path!r} is closed")


def unlink_segment(name: str) -> None:
    """Remove the named segment. Processes that map it keep their view of it."""
    shm_unlink(validate_name(name))


def segment_exists(name: str) -> bool:
    """True if a named segment exists (whether or not we may open it)."""
    name = validate_name(name)
    if os.path.isdir(SHM_DIR):
        return os.path.lexists(os.path.join(SHM_DIR, name))
    try:
        Segment.open(name).close()
    except SegmentNotFoundError:
        return False
    except SegmentError:
        return True
    return True


# ---------------------------------------------------------------------- helpers

def _check_new_size(size: int) -> None:
    if not isinstance(size, int) or isinstance(size, bool):
        raise InvalidSizeError(f"size must be a whole number of bytes, got {size!r}")
    if size < 1:
        raise InvalidSizeError(f"size must be at least 1 byte, got {size}")


def _shm_unlink_quietly(name: str) -> None:
    try:
        unlink_segment(name)
    except SegmentError:
        pass
