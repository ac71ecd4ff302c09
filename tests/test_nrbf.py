"""The MS-NRBF (BinaryFormatter) decoder on streams built record by record from the
specification, the attack shapes .NET tests its own decoder with, truncations and
mutations. The real runtime's own output is checked in tests/test_dotnet.py."""

from __future__ import annotations

import json
import random
import struct
import time
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmfviewer import nrbf
from mmfviewer.errors import FormatError
from mmfviewer.nrbf import decode
from mmfviewer.nrbf_encode import ClassShape, encode_object
from mmfviewer.nrbf_format import DotNetDateTime, DotNetTimeSpan, NrbfError
from mmfviewer.tree import one_line, to_json

LIB = "MessageLib, Version=0.0.0.0, Culture=neutral, PublicKeyToken=null"
MESSAGE = ClassShape("Message", LIB, (("title", "System.String"), ("content", "System.String")))


# ------------------------------------------------------------- a record builder

def i32(n: int) -> bytes:
    return struct.pack("<i", n)


def lps(text: str | bytes) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    n, out = len(raw), bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n >> 7 else 0))
        n >>= 7
        if not n:
            return bytes(out) + raw


def header(root: int = 1) -> bytes:
    return bytes([0]) + i32(root) + i32(-1) + i32(1) + i32(0)


def library(lib_id: int = 2, name: str = LIB) -> bytes:
    return bytes([12]) + i32(lib_id) + lps(name)


def class_with_types(obj_id: int, name: str, members: list[tuple[str, int, bytes]], lib_id: int = 2) -> bytes:
    """ClassWithMembersAndTypes: members as (name, binary type, additional info bytes)."""
    out = bytes([5]) + i32(obj_id) + lps(name) + i32(len(members))
    out += b"".join(lps(m) for m, _, _ in members)
    out += bytes(t for _, t, _ in members) + b"".join(info for _, _, info in members)
    return out + i32(lib_id)


def string(obj_id: int, text: str) -> bytes:
    return bytes([6]) + i32(obj_id) + lps(text)


def ref(obj_id: int) -> bytes:
    return bytes([9]) + i32(obj_id)


END = bytes([11])
NULL = bytes([10])


# ------------------------------------------------------------- values

def test_the_seed_message_decodes_to_its_class_members_and_byte_ranges():
    data = header() + library() + class_with_types(1, "Message", [("title", 1, b""), ("content", 1, b"")]) \
        + string(3, "test") + string(4, "hello world") + END
    root = decode(data + bytes(1000))  # what follows MessageEnd is ignored
    assert (root.type, root.library, root.kind, root.id) == ("Message", LIB, "class", 1)
    assert [(c.name, c.type, c.value) for c in root.children] == [
        ("title", "System.String", "test"), ("content", "System.String", "hello world")]
    title = root.child("title")
    assert data[title.start:title.end] == string(3, "test")
    assert root.end == len(data)
    assert one_line(root) == "Message {title: 'test', content: 'hello world'}"


def test_every_primitive_member_type_decodes_to_its_value():
    ticks = 638_000_000_000_000_123
    values = [
        ("b", 1, bytes([1])), ("u8", 2, bytes([200])), ("ch", 3, "é".encode()),
        ("dec", 5, lps("-12.345")), ("d", 6, struct.pack("<d", 2.5)), ("i16", 7, struct.pack("<h", -2)),
        ("i32", 8, i32(-7)), ("i64", 9, struct.pack("<q", -(1 << 40))), ("i8", 10, struct.pack("<b", -3)),
        ("f", 11, struct.pack("<f", 0.5)), ("span", 12, struct.pack("<q", -15_000_000)),
        ("when", 13, struct.pack("<Q", ticks | 1 << 62)), ("u16", 14, struct.pack("<H", 65535)),
        ("u32", 15, struct.pack("<I", 4_000_000_000)), ("u64", 16, struct.pack("<Q", 1 << 63)),
    ]
    data = header() + library() + class_with_types(
        1, "All", [(name, 0, bytes([code])) for name, code, _ in values]) + b"".join(v for *_, v in values) + END
    got = {c.name: c.value for c in decode(data).children}
    assert got == {
        "b": True, "u8": 200, "ch": "é", "dec": __import__("decimal").Decimal("-12.345"), "d": 2.5,
        "i16": -2, "i32": -7, "i64": -(1 << 40), "i8": -3, "f": 0.5, "span": DotNetTimeSpan(-15_000_000),
        "when": DotNetDateTime(ticks, "Utc"), "u16": 65535, "u32": 4_000_000_000, "u64": 1 << 63}
    assert str(got["span"]) == "-00:00:01.5000000"
    assert str(DotNetDateTime(ticks, "Utc")).endswith(".0000123Z")


def test_nested_objects_arrays_and_nulls_are_placed_at_their_first_reference():
    data = (header() + library() + class_with_types(1, "Sample", [
        ("nested", 4, lps("Message") + i32(2)), ("numbers", 7, bytes([8])), ("words", 6, b""),
        ("nothing", 1, b"")]) + ref(5) + ref(6) + ref(7) + NULL
        + class_with_types(5, "Message", [("title", 1, b""), ("content", 1, b"")]) + string(8, "t") + NULL
        + bytes([15]) + i32(6) + i32(3) + bytes([8]) + i32(1) + i32(-2) + i32(2147483647)
        + bytes([17]) + i32(7) + i32(3) + string(9, "alpha") + NULL + ref(8) + END)
    root = decode(data)
    assert one_line(root) == ("Sample {nested: Message {title: 't', content: null}, numbers: [1, -2, 2147483647], "
                              "words: ['alpha', null, 't'], nothing: null}")
    nested = root.child("nested")
    assert nested.id == 5 and data[nested.start] == 5  # its bytes are the class record's
    numbers = root.child("numbers")
    assert [n.value for n in numbers.items()] == [1, -2, 2147483647]
    assert data[numbers.items()[2].start:numbers.items()[2].end] == i32(2147483647)
    assert root.child("nothing").type == "System.String"  # a null says what it was declared as
    assert root.child("words").items()[2].note == "same string as #8"
    assert json.loads(json.dumps(to_json(root)))["children"][1]["items"] == [1, -2, 2147483647]


def test_class_with_id_reuses_the_members_of_an_earlier_class():
    data = (header() + library() + bytes([16]) + i32(1) + i32(2) + ref(3) + ref(4)
            + class_with_types(3, "Point", [("x", 0, bytes([8])), ("y", 0, bytes([8]))]) + i32(1) + i32(2)
            + bytes([1]) + i32(4) + i32(3) + i32(5) + i32(6) + END)
    assert one_line(decode(data)) == "[Point {x: 1, y: 2}, Point {x: 5, y: 6}]"


def test_binary_arrays_rectangular_jagged_and_with_offsets():
    rect = (bytes([7]) + i32(1) + bytes([2]) + i32(2) + i32(2) + i32(3) + bytes([0, 8])
            + b"".join(i32(i) for i in range(6)))
    root = decode(header() + rect + END)
    assert root.type == "System.Int32[,]" and [n.value for n in root.items()] == list(range(6))
    jagged = (bytes([7]) + i32(1) + bytes([1]) + i32(1) + i32(2) + bytes([7, 8]) + ref(2) + NULL
              + bytes([15]) + i32(2) + i32(1) + bytes([8]) + i32(9) + END)
    assert one_line(decode(header() + jagged)) == "[[9], null]"
    offset = bytes([7]) + i32(1) + bytes([3]) + i32(1) + i32(2) + i32(10) + bytes([1]) + string(2, "a") + string(3, "b")
    assert one_line(decode(header() + offset + END)) == "['a', 'b']"
    objects = bytes([7]) + i32(1) + bytes([2]) + i32(2) + i32(2) + i32(2) + bytes([2]) + bytes([13, 3]) + string(2, "x")
    assert [n.name for n in decode(header() + objects + END).children] == ["[0,0]…[1,0]", "[1,1]"]


def test_members_without_type_information_are_shown_until_one_cannot_be_read():
    untyped = (bytes([3]) + i32(1) + lps("Old") + i32(3) + lps("a") + lps("b") + lps("c") + i32(2)
               + string(2, "readable") + bytes([8, 8]) + i32(7) + struct.pack("<i", 100) + END)
    with pytest.raises(NrbfError, match="member 'c' of Old has no type information") as err:
        decode(header() + library() + untyped)
    assert err.value.partial is not None
    assert one_line(err.value.partial) == "Old {a: 'readable', b: 7}"


# ------------------------------------------------------------- attack shapes

def decode_bounded(data: bytes) -> object:
    """Decode under a clock and a memory meter: a value or a FormatError, quickly,
    allocating at most a small multiple of the input."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result: object = decode(data)
    except FormatError as err:
        result = err
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.perf_counter() - start < 10
    assert peak < 64 * len(data) + (4 << 20), f"{peak} bytes for {len(data)} bytes of input"
    return result


def test_an_object_that_references_itself_is_shown_once_with_a_reference():
    data = header() + library() + class_with_types(1, "Loop", [("me", 2, b"")]) + ref(1) + END
    root = decode_bounded(data)
    assert one_line(root) == "Loop {me: →#1}"


def test_an_inline_object_that_references_itself_ends():
    data = (header() + library() + class_with_types(1, "Root", [("a", 2, b"")])
            + class_with_types(2, "A", [("self", 2, b"")]) + ref(2) + END)
    assert one_line(decode_bounded(data)) == "Root {a: A {self: →#2}}"


def test_references_to_inline_objects_do_not_multiply_the_tree():
    # Each object holds its child inline and refers to it again: expanding every
    # reference would double the tree at every level (2^60 nodes here).
    depth = 60
    data = header() + library() + class_with_types(1, "N", [("inline", 2, b""), ("again", 2, b"")])
    data += b"".join(bytes([1]) + i32(i) + i32(1) for i in range(2, depth + 2)) + NULL + NULL
    data += b"".join(ref(depth + 1 - d) for d in range(depth)) + END
    root = decode_bounded(data)
    assert sum(1 for _ in root.walk()) == 2 * depth + 3


def test_ten_thousand_nested_classes_decode_without_recursion():
    depth = 10_000
    data = header() + library() + class_with_types(1, "Node", [("next", 2, b"")])
    data += b"".join(bytes([1]) + i32(i) + i32(1) for i in range(2, depth + 1)) + NULL + END
    root = decode_bounded(data)
    assert sum(1 for _ in root.walk()) == depth + 1
    text = one_line(root)
    assert len(text) <= nrbf_line_limit() + 1 and text.startswith("Node {next: Node {next:")
    json.dumps(to_json(root))  # bounded depth: no RecursionError


def nrbf_line_limit() -> int:
    from mmfviewer.tree import LINE_LIMIT
    return LINE_LIMIT


def test_a_run_of_two_billion_nulls_is_one_node_not_two_billion():
    n = 2**31 - 1
    data = header() + bytes([16]) + i32(1) + i32(n) + bytes([14]) + i32(n) + END
    root = decode_bounded(data)
    assert len(root.children) == 1 and root.children[0].note == f"{n} nulls"


@pytest.mark.parametrize("payload, reason", [
    (bytes([15]) + i32(1) + i32(2**31 - 1) + bytes([8]), "ends inside"),
    (bytes([6]) + i32(1) + b"\xff\xff\xff\xff\x07", "ends inside a string"),
    (bytes([16]) + i32(1) + i32(3) + bytes([14]) + i32(2**31 - 1), "a run of 2147483647 nulls"),
    (bytes([5]) + i32(1) + lps("X") + i32(2**31 - 1), "member count is 2147483647"),
    (bytes([7]) + i32(1) + bytes([2]) + i32(2) + i32(65536) + i32(65536) + bytes([2]), "past 2^31-1"),
    (bytes([6]) + i32(1) + b"\xff\xff\xff\xff\xff\x01", "runs past 5 bytes"),
    (bytes([9]) + i32(7), "outside any object"),
    (string(1, "a") + string(1, "b"), "used twice"),
    (bytes([1]) + i32(1) + i32(99), "not defined before"),
    (bytes([21]), "remoting"),
    (bytes([99]), "unknown record type 99"),
])
def test_hostile_counts_and_records_are_clear_format_errors(payload, reason):
    result = decode_bounded(header() + payload + END)
    assert isinstance(result, NrbfError) and reason in str(result), result


def test_too_many_values_is_refused_with_the_reason():
    many = header() + bytes([16]) + i32(1) + i32(1000) + NULL * 1000 + END
    with pytest.raises(NrbfError, match="too many objects to decode"):
        decode(many, max_nodes=500)
    assert len(decode(many).children) == 1000


def test_not_a_stream_and_other_versions_are_refused():
    with pytest.raises(NrbfError, match="not a BinaryFormatter stream"):
        decode(b'\x82\xa5title')
    with pytest.raises(NrbfError, match="version 2.0"):
        decode(bytes([0]) + i32(1) + i32(-1) + i32(2) + i32(0) + END)
    with pytest.raises(NrbfError, match="root object #5 is not in the stream"):
        decode(header(5) + string(1, "x") + END)


def test_every_truncation_of_a_real_shape_is_a_value_or_a_format_error():
    data = encode_object(MESSAGE, {"title": "test", "content": "hello world"})
    for cut in range(len(data)):
        with pytest.raises(FormatError):
            decode(data[:cut])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_mutations_give_a_value_or_a_format_error(draw):
    base = (header() + library() + class_with_types(1, "Sample", [
        ("n", 0, bytes([8])), ("s", 1, b""), ("arr", 7, bytes([8])), ("o", 2, b"")])
        + i32(5) + string(3, "x") + ref(4) + ref(1) + bytes([15]) + i32(4) + i32(2) + bytes([8])
        + i32(1) + i32(2) + END)
    data = bytearray(base)
    for _ in range(draw.draw(st.integers(1, 8))):
        at = draw.draw(st.integers(0, len(data) - 1))
        data[at] = draw.draw(st.integers(0, 255))
    result = decode_bounded(bytes(data))
    if not isinstance(result, FormatError):
        one_line(result)  # type: ignore[arg-type]
        json.dumps(to_json(result))  # type: ignore[arg-type]


_RECORDS = st.one_of(
    st.builds(lambda i: string(i, "s"), st.integers(1, 8)),
    st.builds(ref, st.integers(-1, 8)),
    st.just(NULL),
    st.builds(lambda i: bytes([13, i]), st.integers(0, 4)),
    st.builds(lambda i, n: class_with_types(i, "C", [(f"m{k}", 2, b"") for k in range(n)]),
              st.integers(1, 8), st.integers(0, 3)),
    st.builds(lambda i, m: bytes([1]) + i32(i) + i32(m), st.integers(1, 8), st.integers(1, 8)),
    st.builds(lambda i, n: bytes([16]) + i32(i) + i32(n), st.integers(1, 8), st.integers(0, 4)),
    st.just(library()),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_RECORDS, max_size=40))
def test_random_sequences_of_records_and_references_give_a_value_or_a_format_error(records):
    # Structure, not noise: objects that nest, share and refer to each other in any order.
    result = decode_bounded(header() + library() + b"".join(records) + END)
    if not isinstance(result, FormatError):
        assert sum(1 for _ in result.walk()) <= 4 * (len(records) + 1)  # type: ignore[attr-defined]
        one_line(result)  # type: ignore[arg-type]
        json.dumps(to_json(result))  # type: ignore[arg-type]


def test_random_bytes_after_a_valid_header_never_escape_as_another_exception():
    rng = random.Random(1)
    for _ in range(2000):
        tail = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 60)))
        decode_bounded(header() + tail)


# ------------------------------------------------------------- encoding

def test_an_encoded_object_decodes_to_the_same_members():
    shape = ClassShape("Sample", LIB, (("name", "System.String"), ("count", "System.Int32"),
                                       ("flag", "System.Boolean"), ("ratio", "System.Double"),
                                       ("letter", "System.Char"), ("big", "System.UInt64"),
                                       ("nothing", "System.String")))
    values = {"name": "ünïcode", "count": -5, "flag": True, "ratio": 0.1, "letter": "é",
              "big": 2**64 - 1, "nothing": None}
    root = decode(encode_object(shape, values))
    assert {c.name: c.value for c in root.children} == values
    assert ClassShape.of(root) == shape and shape.writable()


@pytest.mark.parametrize("values, message", [
    ({"title": "a"}, r"'content' \(System.String\) is missing"),
    ({"title": "a", "content": "b", "extra": 1}, "no member 'extra'"),
])
def test_encoding_mistakes_are_clear_errors(values, message):
    with pytest.raises(FormatError, match=message):
        encode_object(MESSAGE, values)


@pytest.mark.parametrize("type_name, value, message", [
    ("System.Int32", 2**31, "cannot hold 2147483648"),
    ("System.Int32", "7", "takes a whole number"),
    ("System.Boolean", 1, "takes true or false"),
    ("System.Char", "ab", "takes one character"),
    ("System.DateTime", 0, "cannot be written"),
])
def test_values_that_do_not_fit_their_member_type_are_refused(type_name, value, message):
    with pytest.raises(FormatError, match=message):
        encode_object(ClassShape("C", LIB, (("m", type_name),)), {"m": value})


def test_detection_wants_a_header_record_and_a_record_after_it():
    assert nrbf.looks_like_nrbf(encode_object(MESSAGE, {"title": "a", "content": "b"}))
    assert not nrbf.looks_like_nrbf(bytes(64))
    assert not nrbf.looks_like_nrbf(b"The world is going down." + bytes(40))
    assert not nrbf.looks_like_nrbf(header()[:10])


def test_bench_decode_runs_every_variant_interleaved_and_reports_ratios():
    from mmfviewer.bench_decode import dotnet_int_array, dotnet_messages, format_decode_report, run_decode_bench

    assert len(decode(dotnet_messages(50)).items()) == 50
    assert [n.value for n in decode(dotnet_int_array(5)).child("values").items()] == [0, 1, 2, 3, 4]
    result = run_decode_bench(size=32 << 10, rounds=2)
    assert [r["variant"] for r in result["rows"]] == [".NET Message[]", "msgpack list", ".NET int[]"]
    assert all(r["min_ms"] <= r["median_ms"] <= r["max_ms"] for r in result["rows"])
    assert [r["bytes"] >= 32 << 10 for r in result["rows"]] == [True, False, True]  # msgpack is smaller
    assert "as long as the same messages in msgpack" in format_decode_report(result)
