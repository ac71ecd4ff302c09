"""Hostile and bad C headers.

Every one must end in a HeaderError (a ValueError) naming the line where there is
one, within a few seconds: never another exception, never a hang.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import pytest

from mmfviewer.c_header import HeaderError, read_header

from .header_refusals import HANG_SECONDS, deadline, refused


def peak_megabytes(action: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        try:
            action()
        except HeaderError:
            pass
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def test_an_unknown_type_is_named_with_its_line_and_how_to_declare_it():
    message = refused("struct s {\n    int a;\n    DWORD flags;\n};\n")
    assert message.startswith("hostile.h:3: unknown type name 'DWORD'") and "typedef uint32_t DWORD;" in message


@pytest.mark.parametrize("text, start", [
    ("struct s {\n    int a\n    int b;\n};\n", "hostile.h:3:5: cannot read the header here (just before 'int')"),
    ("struct s { int a; }}\n", "hostile.h:1:20:"),
    ("struct s {\n    int a[;\n};\n", "hostile.h:2:"),
    ("struct s {\n    int a;\n", "hostile.h:2: the header ends inside a declaration"),
    ("\n\nint int x;\n", "hostile.h:3: 'int int' is not a type"),
    ("struct s {\n    char b[2 MiB];\n};\n", "hostile.h:2:"),
    ("struct s {\n    char c[1.5];\n};\n", "hostile.h:2: 1.5 is not an integer"),
])
def test_a_syntax_error_names_its_line(text, start):
    assert refused(text).startswith(start)


def test_an_unterminated_comment_names_the_line_it_starts_on():
    message = refused("struct s { int a; };\n/* never\nclosed\nstruct t { int b; };\n")
    assert message == "hostile.h:2: a comment starts here and never ends"


@pytest.mark.parametrize("text, message", [
    ("#ifdef X\nstruct s { int a; };\n", "hostile.h:1: this #if is never closed by #endif"),
    ("#if 1\n\n#if 0\n#endif\n", "hostile.h:1: this #if is never closed by #endif"),
    ("struct s { int a; };\n#else\n", "hostile.h:2: #else without #if"),
    ("#elif 1\n", "hostile.h:1: #elif without #if"),
    ("#endif\n", "hostile.h:1: #endif without #if"),
    ("#if 0\n#else\n#else\n#endif\n", "hostile.h:3: #else after the #else of the #if on line 1"),
])
def test_unbalanced_conditionals_are_refused_naming_their_line(text, message):
    assert refused(text) == message


def _macro_bomb(use: str) -> str:
    """``#define A<n+1> A<n> A<n> A<n> A<n>``, 30 deep: 4**30 copies of A0."""
    return "#define A0 1\n" + "".join(f"#define A{i + 1} (A{i}+A{i}+A{i}+A{i})\n" for i in range(30)) + use


@pytest.mark.parametrize("use, line", [("struct s { int v[A30]; };\n", 32), ("#if A30\n#endif\n", 32)])
def test_a_macro_bomb_is_stopped_quickly_in_little_memory(use, line):
    bomb = _macro_bomb(use)
    assert refused(bomb, seconds=2).startswith(f"hostile.h:{line}: macros expand to more than")
    assert peak_megabytes(lambda: read_header(bomb)) < 100


def test_a_macro_bomb_that_is_never_used_costs_nothing():
    bomb = _macro_bomb("struct s { int a; };\n")
    with deadline(HANG_SECONDS):
        decls = read_header(bomb)
    assert decls.resolve("s").size == 4 and decls.constants["A1"] == 4
    assert "A30" not in decls.constants  # (a megabyte of text is no constant)


def test_a_chain_of_five_thousand_macros_is_refused_not_a_recursion_error():
    chain = "".join(f"#define M{i} M{i + 1}\n" for i in range(5000)) + "struct s { int v[M0]; };\n"
    assert refused(chain).startswith("hostile.h:5001: macros nested more than")


def test_self_referential_macros_stay_as_they_are():
    decls = read_header("#define X X\n#define A B\n#define B A\nstruct s { int X; int A; int B; };\n")
    assert [m.name for m in decls.resolve("s").members] == ["X", "A", "B"]


@pytest.mark.parametrize("size, message", [
    ("1UL << 62", "char[4611686018427387904] would be more than any segment"),
    ("0x7fffffffffffffff", "char[9223372036854775807] would be more than any segment"),
    ("4000000000][4000000000", "char[4000000000][4000000000] would be more than any segment"),
    ("-1", "an array of char cannot have -1 elements"),
    ("99999999999999999999999", "99999999999999999999999 does not fit in 64 bits"),
])
def test_absurd_array_sizes_are_refused_without_building_anything(size, message):
    assert refused(f"struct s {{\n    char big[{size}];\n}};\n") == f"hostile.h:2: {message}"


@pytest.mark.parametrize("text", [
    "enum e { A = 1 << 100000000 };\n",
    "struct s { char c[1 << 100000000]; };\n",
    "#if 1 << 100000000\n#endif\n",
    "enum e { A = 1ULL << 100000000000000000000 };\n",
])
def test_shifts_by_huge_amounts_are_refused_without_computing_them(text):
    message = refused(text, seconds=2)
    assert message.startswith("hostile.h:1") and ("a shift by" in message or "does not fit" in message)


def test_a_huge_shift_in_a_define_nobody_uses_is_no_constant():
    decls = read_header("#define BIG (1 << 100000000)\nstruct s { int a; };\n")
    assert "BIG" not in decls.constants


@pytest.mark.parametrize("text", [
    "struct s { char c[1/0]; };\n",
    "struct s { char c[5 % (2 - 2)]; };\n",
    "enum e { A = 10 / (1 - 1) };\n",
    "#if 1/0\n#endif\n",
    '_Static_assert(1/0, "never");\n',
])
def test_division_by_zero_in_a_constant_is_refused(text):
    assert "hostile.h:1" in refused(text) and "a division by zero" in refused(text)


def test_a_division_by_zero_that_c_never_evaluates_is_not_an_error():
    decls = read_header("#if 0 && 1/0\n#error no\n#endif\nstruct s { char c[1 || 1/0]; char d[0 ? 1/0 : 2]; };\n")
    assert decls.resolve("s").size == 3


@pytest.mark.parametrize("text", [
    "struct a {" * 5000 + "int x;" + "} y;" * 5000,
    "struct a {" * 3000 + "int x;" + "} __attribute__((packed)) y;" * 3000,
    "struct s { char c[" + "(" * 100000 + "1" + ")" * 100000 + "]; };\n",
    "#if " + "(" * 100000 + "1" + ")" * 100000 + "\n#endif\n",
    "#if " + "1+" * 5000 + "1\n#endif\n",
    "enum e { A = " + "-" * 100000 + "1 };\n",
])
def test_nesting_thousands_deep_is_refused_quickly(text):
    assert "too deeply" in refused(text) or "cannot read" in refused(text)


def test_a_header_over_the_size_limit_is_refused_before_it_is_read():
    two_mib = "struct s { int a; };\n" * ((2 << 20) // 21 + 1)
    assert refused(two_mib, seconds=0.5).startswith("hostile.h is 2097")


@pytest.mark.parametrize("character", ["\0", "\x7f", "@", "`", "\u200b", "\udcff", "é"])
def test_nul_bytes_and_characters_c_does_not_have_are_refused_with_their_line(character):
    assert refused(f"struct s {{\n    int a;\n    int b{character};\n}};\n").startswith("hostile.h:3:")


@pytest.mark.parametrize("filename", ['we"ird.h', "two\nlines.h", "C:\\headers\\x.h"])
def test_any_file_name_is_read_and_named_in_messages(filename):
    assert read_header("struct s { int a; };\n", filename).resolve("s").size == 4
    with pytest.raises(HeaderError) as refusal:
        read_header("struct s {\n    int a\n    int b;\n};\n", filename)
    assert str(refusal.value).startswith(f"{filename}:3:")


def test_a_byte_order_mark_at_the_start_is_skipped_as_gcc_skips_it():
    assert read_header("\ufeffstruct s { int a; };\n").resolve("s").size == 4


@pytest.mark.parametrize("member, message", [
    ("char a:9", "bitfield a is 9 bits wide, wider than its type"),
    ("int a:33", "bitfield a is 33 bits wide, wider than its type"),
    ("uint64_t a:65", "bitfield a is 65 bits wide, wider than its type"),
    ("int a:1000000000", "bitfield a is 1000000000 bits wide, wider than its type"),
    ("_Bool a:2", "bitfield a cannot be 2 bits wide (a _Bool has 1 bit)"),
    ("int a:-1", "bitfield a cannot be -1 bits wide"),
    ("int a:0", "bitfield a cannot be 0 bits wide"),
    ("float a:3", "bitfield a must be an integer type"),
    ("double a:3", "bitfield a must be an integer type"),
    ("int *a:3", "bitfield a must be an integer type"),
    ("struct { int x; } a:3", "bitfield a must be an integer type"),
])
def test_impossible_bitfields_are_refused(member, message):
    assert refused(f"#include <stdint.h>\nstruct s {{\n    {member};\n}};\n") == f"hostile.h:3: {message}"


def test_a_void_member_is_refused():
    assert refused("struct s {\n    void v;\n};\n") == "hostile.h:2: void has no size: a member cannot be void"


@pytest.mark.parametrize("text, message", [
    ("struct s {\n    struct t x;\n};\nstruct t { int a; };\n", "hostile.h:2: struct t is used before it is defined"),
    ("struct s {\n    struct s self;\n};\n", "hostile.h:2: struct s is used before it is defined"),
    ("typedef struct t t_t;\nstruct s {\n    t_t x;\n};\n",
     "hostile.h:3: t_t (struct t) is used before struct t is defined"),
])
def test_a_struct_used_by_value_before_it_is_defined_is_refused(text, message):
    assert refused(text) == message


def test_a_struct_used_through_a_pointer_or_declared_ahead_is_fine():
    decls = read_header("struct t;\ntypedef struct t t_t;\nstruct s { struct t *p; t_t *q; };\nstruct t { int a; };\n")
    assert decls.resolve("s").size == 16 and decls.resolve("t_t").size == 4


STATIC_ASSERT = """
#include <stdint.h>
struct message {
    uint32_t id;
    uint8_t flags;
};
_Static_assert(sizeof(struct message) == {size}, "struct message is {size} bytes");
_Static_assert(_Alignof(struct message) == 4, "aligned to 4");
"""


def test_a_static_assert_that_holds_for_the_layout_passes():
    assert read_header(STATIC_ASSERT.replace("{size}", "8")).resolve("message").size == 8


def test_a_static_assert_that_fails_for_the_layout_says_so_with_its_line_and_message():
    message = refused(STATIC_ASSERT.replace("{size}", "5"))
    assert message.startswith("hostile.h:7: the header's _Static_assert fails with this layout")
    assert message.endswith('"struct message is 5 bytes"')


@pytest.mark.parametrize("text, message", [
    ("struct s {\n    int a;\n    int a;\n};\n", "hostile.h:1: struct s has two members called a"),
    ("struct s {\n    int a;\n    union { int b; int a; };\n};\n", "hostile.h:1: struct s has two members called a"),
    ("struct s { int a; };\nstruct s { int b; };\n", "hostile.h:2: struct s is defined twice (first on line 1)"),
    ("struct s { int a[]; int b; };\n", "hostile.h:1: struct s: a flexible array member (a[]) must be the last"),
    ("struct s { int a[]; };\n", "hostile.h:1: struct s: a flexible array member (a[]) must be the last"),
    ("union u { int n; int a[]; };\n", "hostile.h:1: union u: a flexible array member (a[]) must be the last"),
    ("struct s { _Alignas(3) int x; };\n", "hostile.h:1: _Alignas(3): an alignment must be a power of two"),
    ("struct s { _Alignas(2) long x; };\n", "hostile.h:1: _Alignas(2) cannot lower the alignment of x (long: 8)"),
    ("struct s { int x __attribute__((aligned(3))); };\n", "hostile.h:1: aligned(3): an alignment must be a power"),
    ("typedef char buf[3] __attribute__((aligned(8)));\n", "hostile.h:1: aligned(8) on buf, a typedef of an array"),
    ("typedef int i8 __attribute__((aligned(8)));\nstruct s { i8 x[2]; };\n",
     "hostile.h:2: an array of i8, whose alignment (8) is greater than its size (4)"),
    ("#pragma pack(3)\n", "hostile.h:1: #pragma pack(3): the packing must be 1, 2, 4, 8 or 16"),
    ("#pragma pack(push, 1, 2)\n", "hostile.h:1: #pragma pack(push, 1, 2) is not a packing gcc reads"),
    ("#error not for this platform\n", "hostile.h:1: #error not for this platform"),
    ("struct s { int x __attribute__((aligned(1;\n", "hostile.h:1: an attribute's parentheses never close"),
])
def test_what_gcc_refuses_is_refused_not_laid_out(text, message):
    assert refused(text).startswith(message)


def test_half_a_megabyte_of_attributes_is_read_in_linear_time():
    # (an error on line 1 stops pycparser early; what comes before it reads it all)
    members = "@\nstruct s {\n" + "    int a __attribute__((aligned(8)));\n" * 13000 + "};\n"
    one_declaration = "@\nstruct s { int a " + "__attribute__((packed)) " * 10000 + "; };\n"
    nested = "@\n" + "struct a {" * 3000 + "int x;" + "} __attribute__((packed)) y;" * 3000
    heads = "@\n" + "struct __attribute__((packed)) s;\n" * 8000
    for text in (members, one_declaration, nested, heads):
        assert refused(text, seconds=5).startswith("hostile.h:1:")


def test_quotes_that_open_nothing_are_refused_quickly():
    assert refused("'\\" * 100000, seconds=3) == "hostile.h:1: a ' that nothing closes on its line"
    assert refused("struct s {\n    char c[sizeof \"" + "\\\"" * 100000, seconds=3).startswith("hostile.h:2: a \"")
    assert refused("enum e { A = '" + "\\'" * 100000 + "' };\n", seconds=3) == \
        "hostile.h:1: a character constant longer than any"


def test_a_quarter_megabyte_without_a_semicolon_is_refused_quickly():
    assert refused("typedef " * 30000, seconds=3).startswith("hostile.h")
    assert refused(";int" + " " * 200000 + "!", seconds=3).startswith("hostile.h:1:")
