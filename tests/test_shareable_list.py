"""ShareableList segments made by real CPython processes: decoded, written, attacked.

Each CPython here is its own oracle: a child process owns the list, reads it back
with its own ``ShareableList(name=...)`` and reports where CPython puts every item;
we only open the segment (never destroying it) and must agree byte for byte.
"""

from __future__ import annotations

import glob
import json
import os
import random
import select
import struct
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmfviewer.errors import FormatError, ReadOnlyError
from mmfviewer.segment import Segment, segment_exists, unlink_segment
from mmfviewer.shareable_list import (
    decode_shareable_list,
    looks_like_shareable_list,
    write_item,
)

from .conftest import needs_dev_shm

pytestmark = needs_dev_shm

# Runs on every CPython from 3.8 on, so no newer syntax. It owns lists made of
# VALUES under each name in argv[1], reads the first back through a second
# attachment (as any other process would), prints what it read and where CPython
# keeps each item, then obeys "read", "set I LITERAL" (on the second list) and "quit"
# (unlink and exit) from stdin.
CHILD = r'''
import ast, json, sys
from multiprocessing.shared_memory import ShareableList

def items(sl):
    out = []
    for i in range(len(sl)):
        try:
            out.append(repr(sl[i]))
        except Exception as err:
            out.append("!" + type(err).__name__)
    return out

def slots(sl):
    if hasattr(sl, "_allocated_offsets"):
        offsets = list(sl._allocated_offsets)
    else:  # Python 3.8 kept sizes
        offsets = [0]
        for size in sl._allocated_bytes:
            offsets.append(offsets[-1] + size)
    base = sl._offset_data_start
    return [[base + a, base + b] for a, b in zip(offsets, offsets[1:])]

names = sys.argv[1].split(",")
values = ast.literal_eval(sys.argv[2])
owned = [ShareableList(values, name=name) for name in names]
reader = ShareableList(name=names[0])
print(json.dumps({"names": [sl.shm.name for sl in owned], "items": items(reader),
                  "slots": slots(reader), "end": reader._offset_back_transform_codes + len(reader)}),
      flush=True)
for line in sys.stdin:
    command, _, arg = line.strip().partition(" ")
    if command == "read":
        print(json.dumps(items(reader)), flush=True)
    elif command == "set":
        index, literal = arg.split(" ", 1)
        owned[1][int(index)] = ast.literal_eval(literal)
        print(json.dumps("ok"), flush=True)
    else:
        break
reader.shm.close()
for sl in owned:
    sl.shm.close()
    sl.shm.unlink()
'''

#: Every kind of item, with the edges: negative and extreme ints, -0.0, empty and
#: non-ASCII strings (that fit their slots: see the truncation test), bytes with
#: NULs inside and at the end (CPython strips trailing NULs on reading), None.
EVERY_KIND: list[Any] = [
    0, 1, -1, 2**63 - 1, -2**63, 123456789012345, 3.5, -0.0, 1e308, -2.5e-300,
    True, False, "", "hello", "exactly8", "x" * 100, "é✓", "Grüße, 世界",
    b"", b"\x00\x01\x00\x02", b"ab\x00\x00", bytes(range(1, 20)), None,
]


def _pyenv_pythons() -> list[Any]:
    """This Python, then the newest patch release of each CPython 3.8+ pyenv has."""
    root = os.environ.get("PYENV_ROOT") or "/root/.pyenv"
    found = [pytest.param(sys.executable, id="this-python")]
    for minor in range(8, 14):
        paths = sorted(glob.glob(os.path.join(root, "versions", f"3.{minor}.*", "bin", "python3")))
        found.append(pytest.param(
            paths[-1] if paths else None, id=f"3.{minor}",
            marks=() if paths else pytest.mark.skip(reason=f"no Python 3.{minor} under {root}/versions")))
    return found


PYTHONS = _pyenv_pythons()


class Owner:
    """A child CPython owning ShareableLists; it reads them back on request."""

    def __init__(self, python: str, names: list[str], values: list[Any]):
        self.proc = subprocess.Popen(
            [python, "-I", "-c", CHILD, ",".join(names), repr(values)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            self.info = self._answer()
        except BaseException:
            self.proc.kill()
            self.proc.communicate(timeout=30)
            raise
        assert self.info["names"] == names

    def _answer(self) -> Any:
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.proc.kill()
            raise AssertionError(f"the owner process said nothing: {self.proc.communicate()[1]}")
        return json.loads(line)

    def _ask(self, command: str) -> Any:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._answer()

    def read(self) -> list[str]:
        """``repr`` of each item as the owner's ``ShareableList`` reads it now."""
        return self._ask("read")

    def set(self, index: int, value: Any) -> None:
        """``second_list[index] = value``, done by CPython itself."""
        assert self._ask(f"set {index} {value!r}") == "ok"

    def close(self) -> None:
        """The owner unlinks its lists and exits."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
            except BrokenPipeError:
                pass
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        assert self.proc.returncode == 0, err
        assert "leaked" not in err, err  # the resource tracker found nothing left behind


@pytest.fixture
def owner_factory(shm_names: list[str]) -> Iterator[Any]:
    """Start owners of fresh uniquely named lists; each is told to quit afterwards."""
    owners: list[Owner] = []

    def start(values: list[Any], python: str = sys.executable, lists: int = 1) -> Owner:
        names = [f"mmfv-test-{uuid.uuid4().hex[:12]}" for _ in range(lists)]
        shm_names.extend(names)
        owner = Owner(python, names, values)
        owners.append(owner)
        return owner

    yield start
    for owner in owners:
        owner.close()


def segment_bytes(name: str) -> bytes:
    with Segment.open(name, readonly=True) as seg:
        return seg.read(0, seg.size)


@pytest.fixture(scope="module")
def real_list() -> bytes:
    """The bytes of a ShareableList of every kind, as this Python made them."""
    name = f"mmfv-test-{uuid.uuid4().hex[:12]}"
    owner = Owner(sys.executable, [name], EVERY_KIND)
    try:
        return segment_bytes(name)
    finally:
        owner.close()
        if segment_exists(name):
            unlink_segment(name)


# ------------------------------------------------------------------ decoding


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


# ------------------------------------------------------------------ writing

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


# ------------------------------------------------------------------ hostile bytes

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


# ------------------------------------------------------------------ detection

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



# --------------------------------------------------------------- the CLI and the window

def test_ls_info_and_listen_show_the_items_and_our_exit_leaves_the_list(owner_factory):
    from .conftest import run_cli

    owner = owner_factory([7, 2.5, True, "seven", b"\x01\x02", None])
    name = owner.info["names"][0]
    ls = json.loads(run_cli("ls", "--json", check=True).stdout)
    assert [r["layout"] for r in ls if r["name"] == name] == ["shareable-list"]
    info = run_cli("info", name, check=True).stdout
    assert "layout:    ShareableList" in info
    assert "value:     [7, 2.5, true, 'seven', 0x0102, null]" in info
    listen = run_cli("listen", name, "--count", "1", timeout=60, check=True)
    assert listen.stdout.count("[7, 2.5, true, 'seven', 0x0102, null]") == 1
    assert owner.read() == ["7", "2.5", "True", "'seven'", "b'\\x01\\x02'", "None"]


def test_listen_prints_each_change_the_owner_makes(owner_factory):
    owner = owner_factory([0, "a"], lists=2)
    name = owner.info["names"][1]  # the list the owner's "set" changes
    listen = subprocess.Popen([sys.executable, "-m", "mmfviewer", "listen", name, "--json",
                               "--interval", "0.02", "--count", "3"], stdout=subprocess.PIPE, text=True)
    try:
        first = json.loads(listen.stdout.readline())
        assert first["layout"] == "shareable-list"
        assert [c["value"] for c in first["value"]["children"]] == [0, "a"]
        owner.set(0, 41)
        assert [c["value"] for c in json.loads(listen.stdout.readline())["value"]["children"]] == [41, "a"]
        owner.set(1, "b")
        assert [c["value"] for c in json.loads(listen.stdout.readline())["value"]["children"]] == [41, "b"]
        assert listen.wait(30) == 0
    finally:
        listen.kill()
        listen.wait()
        listen.stdout.close()


def test_the_window_shows_the_items_and_writes_a_changed_one_in_place(owner_factory, qtbot):
    from mmfviewer.qt.segment_tab import SegmentTab

    owner = owner_factory([7, "seven", 2.5, None])
    name = owner.info["names"][0]
    with Segment.open(name, readonly=False) as seg:
        tab = SegmentTab(seg)
        qtbot.addWidget(tab)
        tab.tick()
        top = tab.messages.value_tree.topLevelItem(0)
        assert [(top.child(i).text(0), top.child(i).text(2)) for i in range(4)] == [
            ("[0]", "int"), ("[1]", "str"), ("[2]", "float"), ("[3]", "None")]
        tab.messages.value_tree.setCurrentItem(top.child(1))
        start, length = tab.hex_view.highlighted()
        assert seg.read(start, length).rstrip(b"\0") == b"seven"
        panel = tab.compose
        assert panel.form == "members" and not panel.send_button.isEnabled()  # nothing changed yet
        panel.members.edits["[1]"].setText("eight")
        panel.members.edits["[0]"].setText("8")
        assert panel.send(), panel.error_label.text()
        assert owner.read() == ["8", "'eight'", "2.5", "None"]
        panel.members.edits["[1]"].setText("far too long for its slot")
        assert not panel.send()
        assert "25 bytes do not fit its 8-byte slot" in panel.error_label.text()
        assert owner.read() == ["8", "'eight'", "2.5", "None"]
        tab.close()


def test_a_list_longer_than_the_first_window_is_still_recognised_and_read(owner_factory):
    from mmfviewer.codec import Layout, detect_layout, read_value

    owner = owner_factory(list(range(3000)) + ["x" * 70_000])
    with Segment.open(owner.info["names"][0], readonly=True) as seg:
        assert detect_layout(seg) == Layout.SHAREABLE_LIST
        decoded = read_value(seg, Layout.SHAREABLE_LIST)[1]
    assert len(decoded.tree.children) == 3001 and decoded.tree.children[-1].value == "x" * 70_000
