"""One small exception tree for everything mmfviewer raises on purpose.

Every error a user can cause derives from :class:`MmfError`, so the CLI and the GUI
catch that one class and show its message. Subclasses also derive from the builtin
exception that fits (``ValueError``, ``FileNotFoundError``...), so callers that
already handle those keep working. Messages state the rule and the value.
"""

from __future__ import annotations


class MmfError(Exception):
    """Base of every error mmfviewer raises on purpose; its message is for the user."""


class InvalidNameError(MmfError, ValueError):
    """A segment name breaks a rule (empty, contains '/', NUL, '.'/'..', too long)."""


class InvalidSizeError(MmfError, ValueError):
    """A size or offset could not be parsed, or is out of range."""


class SegmentError(MmfError):
    """Something about a named mapping or file-backed mapping went wrong."""


class SegmentNotFoundError(SegmentError, FileNotFoundError):
    """OpenExisting on a name (or path) that does not exist."""


class SegmentExistsError(SegmentError, FileExistsError):
    """CreateNew on a name (or path) that already exists."""


class SegmentPermissionError(SegmentError, PermissionError):
    """The operating system refused access to the segment."""


class SegmentSpaceError(SegmentError):
    """There is not enough room in shared memory (or on disk) for the segment."""


class SegmentBoundsError(SegmentError, IndexError):
    """A read or write does not fit inside the segment."""


class SegmentClosedError(SegmentError):
    """The segment was used after ``close()``."""


class ReadOnlyError(SegmentError, PermissionError):
    """A write was attempted on a segment opened read-only."""


class FormatError(MmfError, ValueError):
    """Bytes do not follow the format they claim (bad magic, version, length...)."""


class MessageTooLargeError(MmfError, ValueError):
    """A message does not fit in one record of the channel's lanes."""


class NoFreeLaneError(MmfError):
    """Every lane of a channel has a live writer."""


class ChannelTruncatedError(SegmentError):
    """The segment under a channel became smaller than the channel."""
