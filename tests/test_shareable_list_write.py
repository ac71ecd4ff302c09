"""Items written into ShareableLists of real CPython processes: the bytes CPython's own
``__setitem__`` writes, or a refusal that says why and changes nothing.

The owner processes are in tests/shareable_list_owner.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from mmfviewer.errors import FormatError, ReadOnlyError
from mmfviewer.segment import Segment
from mmfviewer.shareable_list import decode_shareable_list, write_item

from .conftest import needs_dev_shm
from .shareable_list_owner import PYTHONS, segment_bytes

pytestmark = needs_dev_shm


#: (index, new value) over WRITABLE: every kind; shorter, empty and exactly fitting.
WRITABLE: list[Any] = ["abcdefghijklmno", b"\x01\x02\x03", 5, 1.5, False, None, "short"]
WRITES = [
    (0, "new"), (0, "0123456789abcdef"), (0, ""), (0, "日本語!"), (0, "tail\x00"),
    (1, b"\x00\x00x\x00"), (1, b""), (1, b"12345678"),
    (2, -2**63), (2, 2**63 - 1), (3, -1e300), (3, -0.0),
    (4, True), (5, None), (-1, "SHORT"),
]


def test_write_item_writes_the_same_bytes_as_cpython_setitem(owner_factory):
    # One list written by us, its twin by CPython's __setitem__, the same writes in
    # the same order (each over what the previous one left): equal bytes every time.
    owner = owner_factory(WRITABLE, lists=2)
    ours, cpythons = owner.info["names"]
    expected = list(WRITABLE)
    with Segment.open(ours, readonly=False) as seg:
        for index, value in WRITES:
            write_item(seg, index, value)
            owner.set(index, value)
            assert segment_bytes(ours) == segment_bytes(cpythons), (index, value)
            # CPython strips trailing NULs from str and bytes when it reads them.
            expected[index] = value.rstrip("\x00" if isinstance(value, str) else b"\x00") \
                if isinstance(value, (str, bytes)) else value
            assert owner.read() == [repr(v) for v in expected]  # the owner reads what we wrote
    assert [c.value for c in decode_shareable_list(segment_bytes(ours)).children] == expected


def test_write_item_on_a_python_38_list(owner_factory):
    python = PYTHONS[1].values[0]
    if python is None:
        pytest.skip("no Python 3.8 to make a list in its layout")
    owner = owner_factory(WRITABLE, python, lists=2)
    ours, cpythons = owner.info["names"]
    assert decode_shareable_list(segment_bytes(ours)).note == "Python 3.8 layout"
    with Segment.open(ours, readonly=False) as seg:
        write_item(seg, 6, "longer!")
        write_item(seg, 2, -7)
    owner.set(6, "longer!")
    owner.set(2, -7)
    assert segment_bytes(ours) == segment_bytes(cpythons)
    assert owner.read()[2] == "-7" and owner.read()[6] == "'longer!'"


REFUSED = [
    (0, "0123456789abcdefg", "do not fit its 16-byte slot"),
    (6, "日本語", "do not fit its 8-byte slot"),  # 3 characters, 9 bytes
    (1, b"123456789", "do not fit its 8-byte slot"),
    (0, b"bytes", "holds a str; write a str, not bytes"),
    (1, "text", "holds bytes; write bytes, not a str"),
    (2, True, "holds an int; write an int, not a bool"),
    (2, 1.0, "holds an int; write an int, not a float"),
    (2, 2**63, "out of its range"),
    (2, -2**63 - 1, "out of its range"),
    (3, 1, "holds a float; write a float, not an int"),
    (4, 1, "holds a bool; write a bool, not an int"),
    (5, 0, "holds None; write None, not an int"),
    (2, None, "holds an int; write an int, not None"),
    (0, "\ud800", "cannot be encoded as UTF-8"),
    (7, "x", "has no item 7: the ShareableList has 7 items"),
    (-8, "x", "has no item -8"),
]


def test_refused_writes_say_why_and_change_nothing(owner_factory):
    owner = owner_factory(WRITABLE)
    name = owner.info["names"][0]
    before = segment_bytes(name)
    with Segment.open(name, readonly=False) as seg:
        for index, value, message in REFUSED:
            with pytest.raises(FormatError, match=message.replace("(", r"\(")):
                write_item(seg, index, value)
    assert segment_bytes(name) == before
    assert owner.read() == [repr(v) for v in WRITABLE]


def test_a_str_that_fits_in_bytes_but_not_in_characters_is_written(owner_factory):
    # The 8-byte slot of "short" takes 4 two-byte characters: the limit is bytes.
    owner = owner_factory(WRITABLE)
    with Segment.open(owner.info["names"][0], readonly=False) as seg:
        write_item(seg, 6, "éééé")
    assert owner.read()[6] == repr("éééé")


def test_writing_through_a_read_only_segment_raises_read_only_error(owner_factory):
    owner = owner_factory(WRITABLE)
    name = owner.info["names"][0]
    before = segment_bytes(name)
    with Segment.open(name, readonly=True) as seg, pytest.raises(ReadOnlyError, match="read-only"):
        write_item(seg, 6, "x")
    assert segment_bytes(name) == before
    assert owner.read() == [repr(v) for v in WRITABLE]


def test_writing_into_a_segment_that_is_no_shareable_list_is_refused(shm_name):
    with Segment.create(shm_name, 4096) as seg:
        seg.write(0, b"hello world, this is text" + bytes(100))
        with pytest.raises(FormatError, match="not a ShareableList: at offset 0"):
            write_item(seg, 0, "x")
        assert seg.read(0, 25) == b"hello world, this is text"
