"""Random headers (text, C tokens, mutations of valid ones) are read or refused with a
HeaderError, never another exception or a hang."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmfviewer.c_header import HeaderError, read_header
from mmfviewer.c_types import Record

from .header_refusals import HANG_SECONDS, deadline

#: Pieces of C (and of what goes wrong in it) that random headers are made of.
_PIECES = [
    "struct", "union", "enum", "typedef", "int", "char", "unsigned", "long", "double", "uint8_t", "uint64_t",
    "_Bool", "void", "const", "volatile", "_Atomic", "_Alignas(8)", "_Static_assert(", "sizeof(", "__attribute__((",
    "packed", "aligned(4)", "))", "#define N 4\n", "#if N\n", "#else\n", "#endif\n", "#pragma pack(push, 1)\n",
    "#pragma pack(pop)\n", "/*", "*/", "//", "\n", "{", "}", "(", ")", "[", "]", ";", ",", ":", "*", "=", "-", "<<",
    "/", "?", "'", '"', "\\\n", "s", "t", "a", "b", "N", "0", "1", "3", "-1", "0x7fffffff", "1ULL << 63", " ",
]

#: Valid headers to mutate (small: each example is read a few times over).
_SEEDS = [
    "#include <stdint.h>\nstruct s { uint8_t a; uint32_t b:5, c:3; union { int i; float f; }; char name[8]; };\n",
    "#define N 3\ntypedef struct __attribute__((packed)) { char c; int v[N * 2]; } p_t;\n"
    "enum e { A = -1, B = 1 << 4 };\n",
    "#pragma pack(push, 2)\nstruct q { char c; long l __attribute__((aligned(8))); _Alignas(4) short s; };\n"
    "#pragma pack(pop)\ntypedef struct q q_t;\n_Static_assert(sizeof(q_t) == 12, \"q\");\n",
]


def _read_or_refuse(text: str) -> None:
    try:
        with deadline(HANG_SECONDS):
            decls = read_header(text, "fuzz.h")
    except HeaderError:
        return
    for name in decls.records:  # what was read is laid out, and found by its name
        t = decls.resolve(name)
        assert isinstance(t, Record) and t.size >= 0 and t.align >= 1


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(st.characters(min_codepoint=32, max_codepoint=126) | st.sampled_from("\n\t\0\x7f\u00e9\ufeff"),
               max_size=300))
def test_random_text_is_read_or_refused_with_a_header_error(text):
    _read_or_refuse(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_PIECES), max_size=60).map(" ".join))
def test_random_c_tokens_are_read_or_refused_with_a_header_error(text):
    _read_or_refuse(text)


@st.composite
def _mutated_headers(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(_SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        change = draw(st.sampled_from(["delete", "insert", "repeat"]))
        if change == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 12)):]
        elif change == "insert":
            text = text[:at] + draw(st.sampled_from(_PIECES)) + text[at:]
        else:
            text = text[:at] + text[at:at + draw(st.integers(1, 20))] * draw(st.integers(2, 8)) + text[at:]
    return text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated_headers())
def test_mutations_of_a_valid_header_are_read_or_refused_with_a_header_error(text):
    _read_or_refuse(text)


def test_the_fuzzed_seeds_are_themselves_valid():
    for seed in _SEEDS:
        assert read_header(seed).records
