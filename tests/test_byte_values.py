"""The data inspector's readings: known values, short input, and garbage."""

from __future__ import annotations

import struct
import subprocess
import sys
from datetime import datetime, timezone

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmfviewer.byte_values import (
    MISSING,
    ROW_NAMES,
    SINGLE_VALUE_ROWS,
    InspectorRow,
    inspect_bytes,
    selection_summary,
    short_repr,
)

SEED_MESSAGE = msgpack.packb({"title": "Hi", "content": "There"})


def rows_of(data: bytes, offset: int = 0) -> dict[str, InspectorRow]:
    return {row.name: row for row in inspect_bytes(data, offset)}


def test_the_module_does_not_import_qt():
    code = "import sys, mmfviewer.byte_values; sys.exit(any(m.startswith('PySide6') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_rows_come_in_the_documented_order():
    assert [row.name for row in inspect_bytes(bytes(range(32)))] == list(ROW_NAMES)


def test_integers_of_every_width_in_both_byte_orders():
    rows = rows_of(bytes([1, 2, 3, 4, 5, 6, 7, 8]))
    assert (rows["u8"].little, rows["i8"].little, rows["binary"].little) == ("1", "1", "0000 0001")
    assert (rows["u16"].little, rows["u16"].big) == ("513", "258")
    assert (rows["u32"].little, rows["u32"].big) == (str(0x04030201), str(0x01020304))
    assert (rows["u64"].little, rows["u64"].big) == (str(0x0807060504030201), str(0x0102030405060708))
    assert "0x0201" in rows["u16"].note and "0x0102" in rows["u16"].note


def test_signed_integers_and_binary_of_a_high_byte():
    rows = rows_of(b"\xfe\xff\xff\xff\xff\xff\xff\xff")
    assert (rows["u8"].little, rows["i8"].little, rows["binary"].little) == ("254", "-2", "1111 1110")
    assert (rows["i16"].little, rows["i16"].big) == ("-2", "-257")
    assert rows["i32"].little == "-2" and rows["i64"].little == "-2"
    assert rows["u64"].little == str(2**64 - 2)


def test_endian_independent_rows_leave_big_empty_and_the_others_fill_it():
    for row in inspect_bytes(bytes(range(40))):
        assert row.single == (row.name in SINGLE_VALUE_ROWS)
        assert (row.big == "") == row.single, row


def test_floats_read_back_as_the_shortest_decimal():
    rows = rows_of(b"\x3f\x80\x00\x00")
    assert rows["f32"].big == "1.0"
    assert rows_of(b"\x00\x00\x80\x3f")["f32"].little == "1.0"
    assert rows_of(struct.pack("<f", 0.1))["f32"].little == "0.1"  # not 0.10000000149011612
    assert rows_of(struct.pack("<f", 3.4028234663852886e38))["f32"].little == "3.4028235e+38"
    assert rows_of(struct.pack(">d", 0.1))["f64"].big == "0.1"
    assert rows_of(struct.pack("<d", -2.5e-300))["f64"].little == "-2.5e-300"


@pytest.mark.parametrize("raw, little", [
    (b"\x00\x00\x80\x7f", "inf"),
    (b"\x00\x00\x80\xff", "-inf"),
    (b"\x00\x00\xc0\x7f", "nan"),
    (b"\xff\xff\xff\xff", "-nan"),
    (b"\x01\x00\x80\x7f", "nan"),  # a signalling NaN is still a NaN
    (b"\x00\x00\x00\x80", "-0.0"),
])
def test_float_special_values(raw, little):
    assert rows_of(raw)["f32"].little == little


def test_utf8_up_to_the_first_nul():
    row = rows_of(b"Hello\x00World", offset=0x20)["UTF-8"]
    assert row.little == '"Hello"'
    assert "5 bytes" in row.note and "NUL at 0x25" in row.note


def test_utf8_invalid_bytes_are_replaced_and_reported():
    row = rows_of(b"H\xc3\xa9\xffllo\x00")["UTF-8"]
    assert row.little == '"Hé\ufffdllo"'
    assert "invalid UTF-8 at +3" in row.note


def test_a_character_cut_by_the_end_of_the_window_is_not_called_invalid():
    row = rows_of(b"caf\xc3")["UTF-8"]
    assert row.little == '"caf"' and "invalid" not in row.note


def test_strings_are_one_line_and_cut_at_64_characters():
    assert rows_of(b"a\nb\x1b[0m\x00")["UTF-8"].little == '"a\\nb\\x1b[0m"'
    long = rows_of(b"x" * 200)["UTF-8"]
    assert long.little == '"' + "x" * 64 + '"…' and "no NUL" in long.note


def test_utf16_in_both_byte_orders():
    row = rows_of("Hi!".encode("utf-16-le") + b"\x00\x00")["UTF-16"]
    assert row.little == '"Hi!"'
    assert row.big == '"' + "\u4800\u6900\u2100" + '"'
    assert rows_of("Hi".encode("utf-16-be") + b"\x00\x00")["UTF-16"].big == '"Hi"'


def test_utf16_lone_surrogate_is_flagged():
    row = rows_of(b"\x00\xd8A\x00\x00\x00")["UTF-16"]
    assert row.little == '"\ufffdA" (invalid)'


def test_unix_times_in_every_width():
    moment = datetime(2024, 3, 5, 6, 7, 8, tzinfo=timezone.utc)
    seconds = int(moment.timestamp())
    assert rows_of(struct.pack("<I", seconds))["time u32 s"].little == "2024-03-05T06:07:08Z"
    assert rows_of(struct.pack(">I", seconds))["time u32 s"].big == "2024-03-05T06:07:08Z"
    assert rows_of(struct.pack("<q", seconds))["time i64 s"].little == "2024-03-05T06:07:08Z"
    assert rows_of(struct.pack(">Q", seconds * 1000 + 123))["time u64 ms"].big == "2024-03-05T06:07:08.123Z"
    ns = seconds * 10**9 + 123_456_789  # exact: a float would round the last digits
    assert rows_of(struct.pack("<Q", ns))["time u64 ns"].little == "2024-03-05T06:07:08.123456789Z"


def test_implausible_times_are_out_of_range():
    rows = rows_of(struct.pack("<q", -1))
    assert rows["time i64 s"].little == "out of range"
    year_2200 = int(datetime(2200, 1, 1, tzinfo=timezone.utc).timestamp())
    assert rows_of(struct.pack("<q", year_2200))["time i64 s"].little == "out of range"
    assert rows_of(struct.pack("<q", year_2200 - 1))["time i64 s"].little == "2199-12-31T23:59:59Z"
    assert rows_of(bytes(8))["time u64 ns"].little == "1970-01-01T00:00:00.000000000Z"


def test_the_seed_message_as_msgpack():
    row = rows_of(SEED_MESSAGE + b"\x00" * 16, offset=0x10)["msgpack"]
    assert row.little == "{'title': 'Hi', 'content': 'There'}"
    assert row.note == f"{len(SEED_MESSAGE)} bytes, 0x10–0x{0x10 + len(SEED_MESSAGE) - 1:X}"


def test_msgpack_scalars_and_arrays():
    assert rows_of(b"\x05")["msgpack"].little == "5"
    assert rows_of(b"\x05")["msgpack"].note == "1 byte at 0x0"
    assert rows_of(msgpack.packb([1, "a", None]))["msgpack"].little == "[1, 'a', None]"
    assert rows_of(msgpack.packb(b"\x00\x01"))["msgpack"].little == "b'\\x00\\x01'"


def test_msgpack_that_needs_more_bytes():
    assert rows_of(SEED_MESSAGE[:10])["msgpack"].little == "incomplete (needs more bytes)"


@pytest.mark.parametrize("garbage, reason", [
    (b"\xc1", "not msgpack: a type byte"),
    (b"\xdd\xff\xff\xff\xff", "not msgpack: claims an array of 4294967295 items"),
    (b"\xdf\xff\xff\xff\xff\x00", "not msgpack: claims a map of 4294967295 entries"),
    (b"\x91" * 5000, "not msgpack: nested too deep"),
    (b"\xa2\xff\xfe", "not msgpack: a str that is not valid UTF-8"),
    (b"\xd7\xff" + b"\xff" * 8, "not msgpack: ValueError"),  # a timestamp with 2**30+ ns
])
def test_msgpack_garbage_says_why(garbage, reason):
    assert rows_of(garbage)["msgpack"].little.startswith(reason)


def test_long_msgpack_values_are_cut_to_one_short_line():
    value = {"text": "line\n" * 100, "list": list(range(1000))}
    text = rows_of(msgpack.packb(value))["msgpack"].little
    assert len(text) <= 80 and text.endswith("…") and "\n" not in text


def test_short_repr_stays_bounded_for_deep_values():
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    assert len(short_repr(deep)) <= 80


def test_short_data_says_missing_and_never_raises():
    empty = inspect_bytes(b"")
    assert [row.name for row in empty] == list(ROW_NAMES)
    assert all(row.little == MISSING for row in empty)
    rows = rows_of(b"\x01\x02\x03")
    assert rows["u16"].little == "513"
    assert rows["u32"].little == rows["u32"].big == MISSING
    assert rows["f32"].little == rows["f64"].big == MISSING
    assert rows["time u32 s"].little == MISSING
    assert rows_of(b"\x01")["UTF-16"].little == MISSING


def test_selection_summary():
    assert selection_summary(0x10, 16) == "selection 0x10–0x1F (16–31, 16 bytes)"
    assert selection_summary(255, 1) == "selection 0xFF (255, 1 byte)"
    assert selection_summary(5, 0) == "no selection"
    with pytest.raises(ValueError):
        selection_summary(-1, 4)


@settings(max_examples=400, deadline=None)
@given(data=st.binary(max_size=300), offset=st.integers(min_value=0, max_value=2**40))
def test_any_bytes_give_the_same_rows_and_never_raise(data, offset):
    rows = inspect_bytes(data, offset)
    assert tuple(row.name for row in rows) == ROW_NAMES
    for row in rows:
        assert row.little and (row.big == "") == row.single
        for text in (row.little, row.big, row.note):
            assert isinstance(text, str) and "\n" not in text and len(text) < 400


@settings(max_examples=200, deadline=None)
@given(value=st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**64 - 1) | st.floats() | st.text() | st.binary(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
))
def test_any_msgpack_value_is_shown_with_its_length(value):
    packed = msgpack.packb(value, use_bin_type=True)
    row = rows_of(packed + b"\xc1")["msgpack"]
    assert len(row.little) <= 80 and not row.little.startswith(("not msgpack", "incomplete"))
    assert row.note.startswith(f"{len(packed)} byte")
