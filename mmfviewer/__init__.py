"""mmfviewer: create, inspect and talk through named shared-memory segments.

The core (this package, minus ``mmfviewer.qt``) never imports Qt.
"""

__version__ = "0.1.0"

from .channel import Channel  # noqa: E402
from .channel_reader import Reader  # noqa: E402
from .channel_writer import Writer  # noqa: E402
from .codec import Layout, detect_layout  # noqa: E402
from .discovery import Attachment, SegmentInfo, list_segments, segment_info  # noqa: E402
from .errors import (  # noqa: E402
    ChannelTruncatedError,
    FormatError,
    InvalidNameError,
    InvalidSizeError,
    MessageTooLargeError,
    MmfError,
    NoFreeLaneError,
    ReadOnlyError,
    SegmentBoundsError,
    SegmentClosedError,
    SegmentError,
    SegmentExistsError,
    SegmentNotFoundError,
    SegmentPermissionError,
    SegmentSpaceError,
)
from .message import Message  # noqa: E402
from .segment import Segment, SegmentState, segment_exists, unlink_segment, validate_name  # noqa: E402

__all__ = [
    "Attachment", "Channel", "ChannelTruncatedError", "Layout", "Message", "MessageTooLargeError",
    "NoFreeLaneError", "Reader", "Writer", "detect_layout", "FormatError", "InvalidNameError",
    "InvalidSizeError", "MmfError",
    "ReadOnlyError", "Segment", "SegmentBoundsError", "SegmentClosedError", "SegmentError",
    "SegmentExistsError", "SegmentInfo", "SegmentNotFoundError", "SegmentPermissionError",
    "SegmentSpaceError", "SegmentState", "__version__", "list_segments", "segment_exists",
    "segment_info", "unlink_segment", "validate_name",
]
