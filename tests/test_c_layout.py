"""C headers laid out as gcc lays them out (gcc is the judge, see gcc_oracle.py): scalars,
arrays, structs, unions, enums, typedefs, qualifiers; and types found by their names.

Attributes, #pragma pack and bitfields, the preprocessor, hostile headers and random
ones have test modules of their own (test_c_layout_*.py).
"""

from __future__ import annotations

import pytest

from mmfviewer.c_header import HeaderError, read_header
from mmfviewer.c_types import Record, Scalar

from .gcc_oracle import Judged, Oracle, assert_laid_out_as_gcc_does

# ------------------------------------------------------------------------- the headers

HEADERS: dict[str, str] = {}

HEADERS["scalars"] = r"""
#ifndef SCALARS_H
#define SCALARS_H
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

/* every width, each after a byte so that its alignment shows */
struct scalars {
    uint8_t u8;  uint16_t u16;
    uint8_t u8b; uint32_t u32;
    uint8_t u8c; uint64_t u64;
    int8_t i8;   float f;
    char c;      double d;
    char c2;     long double ld;
    _Bool b;     bool b2;
    void *p;     const char *s;
    struct scalars *next;
    void (*callback)(int, char *);
    short sh;    long l;
    char c3;     long long ll;
    unsigned long long ull;
    unsigned u;  signed char sc;
    unsigned short us; long int li; unsigned long int uli; long unsigned lu;
    size_t sz;   ptrdiff_t pd;
    intptr_t ip; wchar_t wc;
};

#ifdef __cplusplus
}
#endif
#endif /* SCALARS_H */
"""

HEADERS["arrays"] = r"""
#pragma once
#include <stdint.h>
#define NAME_LEN 16
#define ROWS 3
#define COLS (ROWS*2+1)
struct point { int16_t x, y; };
typedef uint8_t mac_t[6];
typedef struct point path_t[4];
struct arrays {
    char name[NAME_LEN];
    char tag[3];
    mac_t mac;
    double grid[ROWS][COLS];
    uint8_t cube[2][3][5];
    struct point pts[5];
    path_t paths[2];
    char raw[sizeof(struct point) * 3];
    uint32_t tail[(NAME_LEN >> 2) + 1];
    char one[1];
    uint16_t flexible[];
};
"""

HEADERS["nested"] = r"""
#include <stdint.h>
struct inner { uint8_t a; uint32_t b; };
struct outer {
    uint8_t flag;
    struct inner in;
    struct { uint16_t x; uint64_t y; } named_anon;
    struct deep { struct inner pair[2]; char c; } deep;
    union { int i; float f; char s[5]; } u;
    struct inner list[3];
    char last;
};
typedef struct outer outer_t;
typedef outer_t outer_alias;
struct wraps { char c; outer_alias o[2]; struct deep d; };
"""

HEADERS["unions"] = r"""
#include <stdint.h>
union value { uint8_t b; uint16_t s; uint32_t i; uint64_t l; double d; char text[13]; };
struct tagged { uint8_t kind; union value v; uint8_t after; };
union mixed { struct { uint8_t a; uint32_t b; } s; long double ld; char c[3]; };
typedef union { int32_t i; uint8_t bytes[4]; } word_t;
struct words { char c; word_t w[3]; union mixed m; };
"""

HEADERS["anonymous_members"] = r"""
#include <stdint.h>
struct anon {
    int kind;
    union {
        int32_t i;
        double d;
        struct { uint16_t lo, hi; };
    };
    struct {
        char c;
        union { short s; char cc[5]; };
    };
    uint8_t last;
};
union anon_union { struct { uint8_t a, b; }; uint32_t all; };
"""

HEADERS["enums"] = r"""
enum color { RED, GREEN = 5, BLUE, LAST = BLUE + 10 };
enum negative { MINUS = -3, ZERO = 0, TOP = 0x7fffffff };
enum big { B_SMALL = 1, B_BIG = 0x80000000 };
enum huge { H_SMALL = 0, H_HUGE = 0x100000000 };
enum mixed_big { M_NEG = -1, M_BIG = 0x80000000 };
enum shifted { S_BIT = 1 << 4, S_CHAR = 'x', S_EXPR = (S_BIT | 3) * 2 };
typedef enum { MODE_A, MODE_B } op_mode;
struct with_enums {
    char c;  enum color col;
    char c1; enum negative n;
    char c2; enum big b;
    char c3; enum huge h;
    char c4; op_mode m;
    char c5; enum mixed_big mb;
    enum shifted sh[2];
};
enum { LEN = 8, WIDE = LEN * 2, TOP_BIT = 1 << 31, AFTER_TOP };
struct sized_by_enums { char name[LEN]; int values[WIDE]; char e[sizeof(enum color)]; char f[AFTER_TOP < 0]; };
"""

HEADERS["typedefs"] = r"""
#include <stdint.h>
typedef unsigned int DWORD;
typedef DWORD dword_alias;
typedef uint8_t byte_t;
typedef byte_t block_t[4][2];
typedef struct rec { byte_t b; DWORD d; } rec_t, *rec_ptr;
typedef struct { dword_alias x; block_t blk; rec_ptr next; } holder_t;
typedef holder_t holders_t[3];
typedef double vec3[3];
struct uses { rec_t r; holders_t hs; block_t b; DWORD dw; vec3 v; char c; };
"""

HEADERS["forward_declarations"] = r"""
#include <stdint.h>
struct later;
union value;
typedef struct node node_t;
typedef union value value_t;
struct node { node_t *next; struct later *l; value_t *v; int32_t n; };
union value { int32_t i; double d; node_t *as_node; };
struct later { node_t n; value_t v; char c; };
typedef struct later later_t;
extern struct later the_later;
struct list { node_t head; later_t tail[2]; };
struct pair_var { int a; char b; } first_var, second_var;
typedef struct twice { short s; char c; } twice_a, twice_b;
struct holds_twice { char c; twice_a a; twice_b b; struct pair_var p; };
"""

HEADERS["qualifiers"] = r"""
#include <stdint.h>
struct pair8 { int a, b; };
struct quals {
    volatile uint32_t v;
    const uint8_t c;
    _Atomic uint16_t a;
    const volatile uint64_t cv;
    _Atomic int ai;
    volatile struct inner_q { char x; int y; } vi;
    const char *const name;
    char *restrict buffer;
    volatile unsigned vb:3;
    volatile unsigned vc:6;
    _Atomic long al;
    _Atomic struct pair8 ap;
    char tail;
    _Atomic(char) ac;
    _Atomic(struct pair8) ap2;
    char tail2;
    _Atomic struct { char two[2]; } a2;
    char tail3;
    _Atomic struct { long a, b; } a16;
    _Atomic struct { char three[3]; } a3;
};
typedef _Atomic struct pair8 atomic_pair;
typedef atomic_pair atomic_pairs[2];
struct holds_atomic_typedef { char c; atomic_pair p; };
__extension__ typedef unsigned long long gnu_u64;
struct gnu_spellings {
    __volatile__ int a; __const char *p; char *__restrict q; __signed__ char c; gnu_u64 u;
    char sized[__alignof__(long)];
};
struct holds_atomic_arrays {
    char c; atomic_pair a[2]; char d; _Atomic struct pair8 b[2]; char e; _Atomic(struct pair8) f[1];
    char g; atomic_pairs h; char i; _Atomic struct { char two[2]; } j[3]; char k; atomic_pair l;
};
"""


def _standard_names_header() -> str:
    """A member of every type mmfviewer knows without its #include, each after a char
    (so that its alignment shows), to compare with the C library's own."""
    names = sorted(read_header("").types)
    members = "\n".join(f"    char pad_{i}; {name} m_{i};" for i, name in enumerate(names))
    includes = "".join(f"#include <{h}>\n" for h in ("stdint.h", "stddef.h", "stdbool.h", "uchar.h", "wchar.h",
                                                     "sys/types.h", "time.h"))
    return f"{includes}struct standard_names {{\n{members}\n}};\n"


HEADERS["standard_names"] = _standard_names_header()


# ------------------------------------------------------------------- gcc's layouts


def test_every_scalar_width_is_aligned_to_its_size_as_gcc_does(gcc_says):
    assert_laid_out_as_gcc_does(gcc_says, "scalars")


def test_fixed_multidimensional_typedefed_and_flexible_arrays_are_placed_as_gcc_places_them(gcc_says):
    assert_laid_out_as_gcc_does(gcc_says, "arrays")


def test_nested_structs_and_their_members_lie_where_gcc_puts_them(gcc_says):
    assert_laid_out_as_gcc_does(gcc_says, "nested")


def test_unions_are_as_big_as_their_biggest_member_rounded_to_their_alignment(gcc_says):
    assert_laid_out_as_gcc_does(gcc_says, "unions")


def test_anonymous_struct_and_union_members_are_reached_through_their_parent(gcc_says):
    assert_laid_out_as_gcc_does(gcc_says, "anonymous_members")


def test_enums_are_four_bytes_unless_their_values_need_eight(gcc_says):
    assert_laid_out_as_gcc_does(gcc_says, "enums")


def test_typedefs_of_scalars_structs_and_arrays_are_the_types_they_name(gcc_says):
    assert_laid_out_as_gcc_does(gcc_says, "typedefs")


def test_forward_declared_structs_and_their_typedefs_are_laid_out_once_defined(gcc_says):
    assert_laid_out_as_gcc_does(gcc_says, "forward_declarations")


def test_volatile_const_atomic_and_gnu_spelled_members_are_laid_out_as_gcc_lays_them_out(gcc_says):
    assert_laid_out_as_gcc_does(gcc_says, "qualifiers")


def test_the_types_known_without_their_include_are_the_c_librarys(gcc_says):
    assert_laid_out_as_gcc_does(gcc_says, "standard_names")


def test_a_layout_that_differs_from_gcc_fails_with_a_readable_diff(gcc_says):
    judged = gcc_says["scalars"]
    assert judged.ours == judged.gcc and len(judged.gcc) > 30  # every member was compared
    moved = next(line for line in judged.ours if ": offset 16 size 8" in line)
    wrong = [line.replace(": offset 16", ": offset 12") if line == moved else line for line in judged.ours]
    with pytest.raises(pytest.fail.Exception) as failed:
        assert_laid_out_as_gcc_does(Oracle(scalars=Judged(wrong, judged.gcc)), "scalars")
    assert f"\n-{moved}\n+{moved.replace(': offset 16', ': offset 12')}" in str(failed.value)


# --------------------------------------------------------------- finding types

SAMPLE = """
typedef unsigned int DWORD;
struct sample { DWORD a; char name[8]; };
typedef struct sample sample_t;
typedef struct { int x; } anon_t;
union value { int i; float f; };
enum mode { MODE_A, MODE_B };
"""


def test_a_struct_is_found_with_or_without_its_keyword_and_by_its_typedef():
    decls = read_header(SAMPLE)
    sample = decls.resolve("sample")
    assert isinstance(sample, Record) and sample.name == "struct sample" and sample.size == 12
    assert decls.resolve("struct sample") is sample and decls.resolve(" struct   sample ") is sample
    assert decls.resolve("sample_t") is sample


def test_unions_enums_anonymous_typedefed_structs_and_scalar_typedefs_are_found():
    decls = read_header(SAMPLE)
    assert decls.resolve("value") is decls.resolve("union value") and decls.resolve("value").kind == "union"
    anon = decls.resolve("anon_t")
    assert isinstance(anon, Record) and anon.name == "anon_t"
    mode = decls.resolve("mode")
    assert isinstance(mode, Scalar) and mode.kind == "enum" and mode.enum_name(1) == "MODE_B"
    assert decls.resolve("enum mode") is mode
    dword = decls.resolve("DWORD")
    assert isinstance(dword, Scalar) and (dword.name, dword.size, dword.signed) == ("DWORD", 4, False)
    assert decls.records == ["struct sample", "anon_t", "union value"]


def test_an_unknown_name_is_refused_listing_the_structs_the_header_has():
    with pytest.raises(HeaderError) as unknown:
        read_header(SAMPLE).resolve("sampel")
    assert str(unknown.value) == (
        "no type called 'sampel' in the header (its structs and unions: struct sample, anon_t, union value)")


def test_a_header_without_structs_says_so_when_one_is_asked_for():
    with pytest.raises(HeaderError, match=r"\(its structs and unions: none\)"):
        read_header("#define N 4\n").resolve("sample")
