"""ShareableLists made by real CPython processes, decoded as each CPython reads them.

The owner processes are in tests/shareable_list_owner.py.
"""

from __future__ import annotations

import pytest

from mmfviewer.segment import Segment, segment_exists
from mmfviewer.shareable_list import decode_shareable_list, looks_like_shareable_list

from .conftest import needs_dev_shm
from .shareable_list_owner import EVERY_KIND, PYTHONS, segment_bytes

pytestmark = needs_dev_shm


@pytest.mark.parametrize("python", PYTHONS)
def test_every_kind_decodes_as_the_owning_cpython_reads_it_at_its_offsets(owner_factory, python):
    owner = owner_factory(EVERY_KIND, python)
    name = owner.info["names"][0]
    with Segment.open(name, readonly=True) as seg:
        data = seg.read(0, seg.size)
    assert looks_like_shareable_list(data)
    root = decode_shareable_list(data)
    assert (root.name, root.type, root.kind, root.start, root.end) == (
        "", "ShareableList", "list", 0, owner.info["end"])
    assert [c.name for c in root.children] == [f"[{i}]" for i in range(len(EVERY_KIND))]
    assert [repr(c.value) for c in root.children] == owner.info["items"]
    assert [[c.start, c.end] for c in root.children] == owner.info["slots"]
    python_types = {int: "int", float: "float", bool: "bool", str: "str", bytes: "bytes",
                    type(None): "None"}
    assert [c.type for c in root.children] == [python_types[type(v)] for v in EVERY_KIND]
    # After we closed it the owner still reads the same list: opening destroyed nothing.
    assert segment_exists(name)
    assert owner.read() == owner.info["items"]


def test_str_and_bytes_items_say_how_much_of_their_slot_they_use(real_list):
    items = decode_shareable_list(real_list).children
    by_value = {c.value: c for c in items if c.type in ("str", "bytes")}
    assert by_value["hello"].note == "5 of 8 bytes"
    assert by_value["exactly8"].note == "8 of 16 bytes"  # CPython always leaves room
    assert by_value[""].note == "0 of 8 bytes"
    assert by_value["é✓"].note == "5 of 8 bytes"  # UTF-8 bytes, not characters
    assert by_value[b"ab"].note == "2 of 8 bytes"
    assert all(c.note == "" for c in items if c.type not in ("str", "bytes"))


@pytest.mark.parametrize("python", PYTHONS)
def test_an_empty_list_is_recognised_only_as_exactly_its_own_bytes(owner_factory, python):
    owner = owner_factory([], python)
    data = segment_bytes(owner.info["names"][0])
    assert data == bytes(len(data)) and len(data) == owner.info["end"]
    assert looks_like_shareable_list(data)
    root = decode_shareable_list(data)
    assert root.children == [] and root.end == owner.info["end"]


def test_a_str_cpython_cut_inside_a_character_is_shown_with_a_note(owner_factory):
    # CPython sizes a str's slot by characters and cuts the UTF-8 bytes to fit:
    # three 3-byte characters get 8 bytes, and reading them raises in CPython.
    owner = owner_factory(["日本語", "ok"])
    assert owner.info["items"] == ["!UnicodeDecodeError", "'ok'"]
    root = decode_shareable_list(segment_bytes(owner.info["names"][0]))
    broken, fine = root.children
    assert broken.type == "str" and broken.value == "日本\ufffd"
    assert broken.note.startswith("8 of 8 bytes; not UTF-8 from byte 6")
    assert "UnicodeDecodeError" in broken.note
    assert fine.value == "ok"


def test_items_cpython_changed_to_another_kind_decode_in_their_old_slot(owner_factory):
    owner = owner_factory(["a long string of 24 bytes", 7], lists=2)
    owner.set(0, 42)       # a 32-byte str slot now holds an int ("q")
    owner.set(1, "seven")  # an 8-byte int slot now holds a str ("8s")
    root = decode_shareable_list(segment_bytes(owner.info["names"][1]))
    first, second = root.children
    assert (first.type, first.value, first.end - first.start, first.note) == ("int", 42, 32, "8 of 32 bytes")
    assert (second.type, second.value, second.note) == ("str", "seven", "5 of 8 bytes")
