"""A laid-out type as rows of fields: decoding leaves, their text, encoding edits."""

from __future__ import annotations

import math
import struct

import pytest

from mmfviewer.c_header import read_header
from mmfviewer.struct_fields import EncodeError, FieldTable, encode

HEADER = """
#include <stdint.h>
#define NAME_LEN 12
enum mode { MODE_OFF = 0, MODE_ON = 1, MODE_AUTO = 7 };
struct inner { uint8_t a; uint32_t b; };
union value { int32_t i; float f; uint8_t raw[6]; };
struct sample {
    uint8_t flag;
    uint64_t counter;
    int16_t temps[3];
    struct inner in;
    union value v;
    char name[NAME_LEN];
    enum mode m;
    double d;
};
struct bits { uint32_t a:3; int32_t b:5; uint8_t c; uint16_t d:9; };
"""


@pytest.fixture(scope="module")
def decls():
    return read_header(HEADER, "defs.h")


def values_by_path(table, data):
    return {table.rows[row].path: table.text(row, value) for row, value in
            zip(table.leaves, table.decode(data), strict=True)}


def test_every_leaf_decodes_from_its_offset_including_union_members_that_overlap(decls):
    table = FieldTable(decls.resolve("sample"))
    data = bytearray(64)
    struct.pack_into("<B", data, 0, 1)
    struct.pack_into("<Q", data, 8, 123456789)
    struct.pack_into("<hhh", data, 16, -1, 2, 300)
    struct.pack_into("<BxxxI", data, 24, 9, 70000)
    struct.pack_into("<f", data, 32, 1.5)
    data[40:46] = b"pump 3"
    struct.pack_into("<i", data, 52, 7)
    struct.pack_into("<d", data, 56, 21.5)
    got = values_by_path(table, bytes(data))
    assert got["flag"] == "1" and got["counter"] == "123456789"
    assert [got[f"temps[{i}]"] for i in range(3)] == ["-1", "2", "300"]
    assert got["in.a"] == "9" and got["in.b"] == "70000"
    assert got["v.f"] == "1.5" and got["v.i"] == str(struct.unpack("<i", struct.pack("<f", 1.5))[0])
    assert got["v.raw[3]"] == str(struct.pack("<f", 1.5)[3])
    assert got["name"] == '"pump 3"'
    assert got["m"] == "MODE_AUTO (7)"
    assert got["d"] == "21.5"


def test_a_short_read_leaves_the_fields_past_its_end_empty(decls):
    table = FieldTable(decls.resolve("sample"))
    got = values_by_path(table, bytes(20))
    assert got["flag"] == "0" and got["temps[1]"] == "0"
    assert got["d"] == "—" and got["name"] == "—"


def test_bitfields_encode_without_touching_their_neighbours(decls):
    table = FieldTable(decls.resolve("bits"))
    raw = bytearray(b"\xff" * 4)
    for path, text in (("a", "5"), ("b", "-3"), ("c", "200"), ("d", "300")):
        field = table.rows[table.find(path)]
        new = encode(field, text, bytes(raw[field.offset:]))
        raw[field.offset:field.offset + len(new)] = new
    assert values_by_path(table, bytes(raw)) == {"a": "5", "b": "-3", "c": "200", "d": "300"}
    assert raw[3] >> 1 == 0x7F  # the bits after d kept their ones


@pytest.mark.parametrize(("path", "text", "why"), [
    ("flag", "256", "does not fit"), ("flag", "-1", "does not fit"), ("counter", "twelve", "not a whole number"),
    ("name", "x" * 13, "do not fit"), ("d", "abc", "not a number"),
])
def test_a_value_that_does_not_fit_its_field_is_refused_with_the_reason(decls, path, text, why):
    table = FieldTable(decls.resolve("sample"))
    with pytest.raises(EncodeError, match=why):
        encode(table.rows[table.find(path)], text, bytes(64))


def test_enum_values_are_written_by_name_and_strings_are_padded_with_nuls(decls):
    table = FieldTable(decls.resolve("sample"))
    assert encode(table.rows[table.find("m")], "MODE_ON", b"") == (1).to_bytes(4, "little")
    assert encode(table.rows[table.find("name")], '"ab\\n"', b"") == b"ab\n" + bytes(9)


def test_an_array_of_n_at_a_stride_names_each_element_and_finds_the_field_at_a_byte(decls):
    table = FieldTable(decls.resolve("inner"), count=3, stride=12)
    assert [f.path for f in table.rows] == ["[0]", "[0].a", "[0].b", "[1]", "[1].a", "[1].b",
                                            "[2]", "[2].a", "[2].b"]
    assert table.span == 32
    assert table.rows[table.leaf_at(12 + 5)].path == "[1].b"
    assert table.leaf_at(12 + 1) is None  # padding between a and b


def test_long_double_reads_as_the_x87_extended_float(decls):
    decls = read_header("struct ld { long double x; };")
    table = FieldTable(decls.resolve("ld"))
    # 1.5 as x87: mantissa 0xC000000000000000, exponent 16383
    raw = (0xC000000000000000).to_bytes(8, "little") + (16383).to_bytes(2, "little") + bytes(6)
    assert table.decode(raw) == [1.5]
    nan = (0xC000000000000000).to_bytes(8, "little") + (0x7FFF).to_bytes(2, "little") + bytes(6)
    assert math.isnan(table.decode(nan)[0])


def test_members_after_an_array_too_big_to_list_keep_their_rows(decls):
    big = read_header("struct s { struct { int x, y; } p[40000]; int last; char tail[]; };")
    table = FieldTable(big.resolve("s"))
    assert [(f.path, f.kind) for f in table.rows[1:]] == [("p", "bytes"), ("last", "int"), ("tail", "bytes")]
    assert table.decode(bytes(320_000) + (7).to_bytes(4, "little"))[1] == 7


def test_an_array_of_many_structs_lists_the_first_ones_and_says_how_many(decls):
    table = FieldTable(decls.resolve("inner"), count=100_000)
    assert table.shown < table.count and len(table.rows) <= 65_536
    assert table.span == 100_000 * 8


def test_values_typed_back_as_the_dock_shows_them_are_accepted(decls):
    enums = read_header("enum e { NEG = -1 }; struct t { enum e m; char c; char name[8]; };")
    table = FieldTable(enums.resolve("t"))
    row = table.find
    assert encode(table.rows[row("m")], "NEG (-1)", b"") == b"\xff\xff\xff\xff"
    assert encode(table.rows[row("c")], "65 'A'", b"") == b"A"
    assert encode(table.rows[row("name")], '"\\u00e9\\x41\\n"', b"") == "é".encode() + b"A\n" + bytes(4)
