"""What is taken for a ShareableList: real ones (padded, or longer than the first window
read), never other layouts or noise; and what a list that breaks a rule is told.

The owner processes are in tests/shareable_list_owner.py.
"""

from __future__ import annotations

import random
import struct

import msgpack
import pytest

from mmfviewer.errors import FormatError
from mmfviewer.segment import Segment
from mmfviewer.shareable_list import decode_shareable_list, looks_like_shareable_list

from .conftest import needs_dev_shm

pytestmark = needs_dev_shm


DOTNET_HEADER = bytes.fromhex("0001000000ffffffff01000000000000000c02000000")


@pytest.mark.parametrize("data", [
    pytest.param(bytes(n), id=f"zeros-{n}") for n in (0, 1, 7, 9, 15, 17, 24, 32, 64, 4096, 65536)
] + [
    pytest.param(b"The world is going down. " * 40, id="text"),
    pytest.param(b"hello world 3" + bytes(4083), id="text-then-zeros"),
    pytest.param(msgpack.packb({"title": "a"}), id="msgpack"),
    pytest.param(msgpack.packb({"title": "test", "content": "hello world 3"}) + bytes(4000),
                 id="msgpack-mailbox"),
    pytest.param(msgpack.packb([1, 2, 3]) + bytes(100), id="msgpack-array"),
    pytest.param(DOTNET_HEADER, id="binaryformatter"),
    pytest.param(DOTNET_HEADER + bytes(4096), id="binaryformatter-in-segment"),
    pytest.param(struct.pack("4q", 1, 2, 3, 4) + bytes(64), id="int64-array"),
])
def test_detection_is_not_fooled(data):
    assert not looks_like_shareable_list(data)


def test_random_bytes_are_never_taken_for_a_list():
    rng = random.Random(20240611)
    for _ in range(3000):
        data = rng.randbytes(rng.randrange(0, 600))
        assert not looks_like_shareable_list(data)


def test_a_real_list_followed_by_more_bytes_is_still_recognised(real_list):
    # macOS rounds segments up to a page; a reader may hand us the whole window.
    padded = real_list + bytes(4096 - len(real_list) % 4096)
    assert looks_like_shareable_list(padded)
    assert [c.value for c in decode_shareable_list(padded).children] == \
        [c.value for c in decode_shareable_list(real_list).children]


def test_format_errors_name_the_offset_and_the_reason(real_list):
    count = struct.unpack_from("q", real_list)[0]
    root = decode_shareable_list(real_list)
    formats = root.end - 9 * count
    bad_format = bytearray(real_list)
    bad_format[formats:formats + 8] = b"Z\0\0\0\0\0\0\0"
    with pytest.raises(FormatError, match=rf"at offset {formats}, item 0's format b'Z"):
        decode_shareable_list(bytes(bad_format))
    bad_code = bytearray(real_list)
    bad_code[root.end - count] = 7
    with pytest.raises(FormatError, match=rf"at offset {root.end - count}, item 0 has format "
                                          r"'q' but back-transform code 7"):
        decode_shareable_list(bytes(bad_code))
    sixteen = next(i for i, c in enumerate(root.children) if c.end - c.start == 16)
    at = formats + 8 * sixteen
    too_small = bytearray(real_list)
    too_small[at:at + 8] = b"8s\0\0\0\0\0\0"
    with pytest.raises(FormatError, match=rf"at offset {at}, item {sixteen}'s format '8s' does "
                                          "not match its 16-byte slot"):
        decode_shareable_list(bytes(too_small))
    uneven = bytearray(real_list)
    uneven[16:24] = struct.pack("q", 12)
    with pytest.raises(FormatError, match="at offset 16, item 0's slot .* is 12 bytes"):
        decode_shareable_list(bytes(uneven))


def test_a_list_longer_than_the_first_window_is_still_recognised_and_read(owner_factory):
    from mmfviewer.codec import Layout, detect_layout, read_value

    owner = owner_factory(list(range(3000)) + ["x" * 70_000])
    with Segment.open(owner.info["names"][0], readonly=True) as seg:
        assert detect_layout(seg) == Layout.SHAREABLE_LIST
        decoded = read_value(seg, Layout.SHAREABLE_LIST)[1]
    assert len(decoded.tree.children) == 3001 and decoded.tree.children[-1].value == "x" * 70_000
