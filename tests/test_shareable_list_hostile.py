"""Hostile bytes as a ShareableList: truncated, corrupted, mutated, random or huge, they
decode to a sane tree or a FormatError, and fast.

The owner processes are in tests/shareable_list_owner.py.
"""

from __future__ import annotations

import struct
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmfviewer.errors import FormatError
from mmfviewer.shareable_list import decode_shareable_list, looks_like_shareable_list

from .conftest import needs_dev_shm

pytestmark = needs_dev_shm


def _decodes_or_refuses(data: bytes) -> None:
    """decode gives a sane tree or FormatError; looks_like agrees; both are fast."""
    began = time.perf_counter()
    try:
        root = decode_shareable_list(data)
    except FormatError as err:
        assert "at offset" in str(err)
        assert not looks_like_shareable_list(data)
    else:
        assert 0 < root.end <= len(data)
        assert all(16 <= c.start < c.end <= root.end for c in root.children)
        if root.children:
            assert looks_like_shareable_list(data)
    assert time.perf_counter() - began < 1.0


def test_every_truncation_of_a_real_list_is_a_format_error(real_list):
    end = decode_shareable_list(real_list).end
    assert end == len(real_list)  # Linux sizes the segment exactly
    for cut in range(end):
        with pytest.raises(FormatError, match="at offset"):
            decode_shareable_list(real_list[:cut])
        assert not looks_like_shareable_list(real_list[:cut])


def test_every_single_byte_corruption_gives_a_tree_or_a_format_error(real_list):
    for at in range(len(real_list)):
        for flip in (0x01, 0x80, 0xFF):
            data = bytearray(real_list)
            data[at] ^= flip
            _decodes_or_refuses(bytes(data))


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_random_mutations_of_a_real_list_give_a_tree_or_a_format_error(real_list, data):
    mutated = bytearray(real_list)
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(mutated) - 1))
        mutated[at] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        mutated += data.draw(st.binary(max_size=64))
    _decodes_or_refuses(bytes(mutated))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_random_bytes_give_a_tree_or_a_format_error(data):
    _decodes_or_refuses(data)


def test_huge_counts_and_offsets_are_refused_without_allocating(real_list):
    count = struct.unpack_from("q", real_list)[0]
    table_end = 8 * (count + 2)
    cases = [struct.pack("q", n) + real_list[8:] for n in
             (2**63 - 1, 2**62, 2**40, count + 1, -1, -2**63)]
    cases.append(real_list[:table_end - 8] + struct.pack("q", 2**62) + real_list[table_end:])
    cases.append(real_list[:16] + struct.pack("q", 2**63 - 1) + real_list[24:])
    cases.append(struct.pack("qqq", 1, 0, 9_999_992) + bytes(64))  # a 10 MB slot in 88 bytes
    cases.append(struct.pack("qq", 2**62, 0) + bytes(10**6))
    began = time.perf_counter()
    for data in cases:
        with pytest.raises(FormatError, match="at offset"):
            decode_shareable_list(data)
        assert not looks_like_shareable_list(data)
    assert time.perf_counter() - began < 1.0


def _ints_list(count: int) -> bytes:
    """A valid list of ``count`` ints, laid out as CPython 3.9+ does."""
    return (struct.pack(f"{count + 2}q", count, *range(0, 8 * count + 1, 8))
            + struct.pack(f"{count}q", *range(count)) + b"q\0\0\0\0\0\0\0" * count + bytes(count))


def test_a_list_of_twenty_thousand_items_decodes_in_well_under_a_second():
    data = _ints_list(20_000)
    began = time.perf_counter()
    assert looks_like_shareable_list(data)
    root = decode_shareable_list(data)
    assert time.perf_counter() - began < 1.0
    assert len(root.children) == 20_000 and root.children[-1].value == 19_999
    assert root.end == len(data)
