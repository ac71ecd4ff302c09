"""C headers laid out as gcc lays them out (gcc is the judge), and hostile headers.

The oracle: each header below is written to disk, and a C program that #includes it
prints ``sizeof``/``_Alignof`` of every type, ``offsetof``/``sizeof`` of every named
member (nested designators such as ``a.b[2].c``), and for every bitfield the bits
that change when it alone is set to all ones. The same lines are made from
mmfviewer's layout, and the two must be equal line for line.
"""

from __future__ import annotations

import difflib
import shutil
import signal
import subprocess
import tracemalloc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmfviewer.c_header import Declarations, HeaderError, read_header
from mmfviewer.c_types import ArrayType, CType, Record, Scalar

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

HEADERS["defines"] = r"""
#define N 4
#define M (N*2+1)
#define HALF (M / 2)
#define SHIFTED (1 << 3)
#define HEX 0x10
#define OCT 010
#define CHARC ('A' - 60)
#define TERN (N > 2 ? 3 : 1)
struct x { char c; int i; };
#define XSIZE sizeof(struct x)
#define ALIGNX _Alignof(struct x)
#define LOGICAL ((N == 4) && !(M < 2))
#if N > 3 && defined(M)
#define PICK 7
#elif N > 2
#define PICK 5
#else
#define PICK 1
#endif
#ifdef UNDEFINED_THING
#error this is never seen
#endif
#if 0
struct never { this is not C };
#endif
#undef HALF
#define HALF 2
#define LONG_ONE \
    (N + \
     1)
#define UMAX (~0u)
#define WRAP (2u - 3)
#define SHIFT31 (1u << 31)
#define NEG_DIV (-7 / 2)
#define NEG_MOD (-7 % 2)
#define BYTE_CAST ((unsigned char)300)
#define SIGNED_CAST ((signed char)200)
#define BIG_HEX 0xFFFFFFFF
#define UNSIGNED_COMPARE (-1 < 0u)
#define LONG_COMPARE (-1 < 0ul)
#define INT_COMPARE (-1L < 0u)
#define SIZE_COMPARE (-1 < sizeof(int))
#define ULONG_WRAP (0ul - 1 > 0)
struct defined {
    int a[N]; char b[M]; char c[HALF]; char d[SHIFTED]; char e[HEX]; char f[OCT];
    char g[CHARC]; char h[TERN]; char i[XSIZE]; char j[XSIZE * N + 1]; char k[ALIGNX];
    char l[LOGICAL + 1]; char m[(N*2+1)][(((N)))]; char n[M % 5]; char o[-(-3)];
    char p[~~2]; char q[10u]; char r[2L]; char s[0x1ULL]; char t[PICK]; char u[LONG_ONE];
    char v[sizeof(int) * 2]; char w[sizeof(struct x[2])];
    char x[BYTE_CAST]; char y[(unsigned char)(UMAX) + 1]; char z[UNSIGNED_COMPARE + INT_COMPARE + 1];
};
"""

HEADERS["packed"] = r"""
#include <stdint.h>
struct __attribute__((packed)) packed_before { uint8_t a; uint32_t b; uint16_t c; uint64_t d; };
struct packed_after { uint8_t a; uint32_t b; uint16_t c; uint64_t d; } __attribute__((packed));
typedef struct __attribute__((__packed__)) { char c; double d; } packed_typedef_t;
typedef struct { char c; double d; } __attribute__((packed)) packed_typedef_after_t;
struct holds_packed { char c; struct packed_before p; uint16_t after; };
struct __attribute__((packed)) packed_nested {
    char c;
    struct inner_np { char a; int b; } inner;
    short s;
};
struct __attribute__((packed, aligned(4))) packed_aligned { char c; int i; short s; };
struct member_packed { char c; int x __attribute__((packed)); char d; double e __attribute__((packed)); };
enum __attribute__((packed)) small_enum { SMALL_A, SMALL_B = 200 };
enum __attribute__((packed)) signed_small_enum { SIGNED_A = -1, SIGNED_B = 100 };
enum wide_enum { WIDE_A, WIDE_B = 300 } __attribute__((packed));
typedef enum __attribute__((packed)) { TE_A, TE_B = 70000 } packed_enum_t;
struct holds_packed_enums { char c; enum small_enum s; enum signed_small_enum ss; enum wide_enum w; packed_enum_t t; };
"""

HEADERS["aligned"] = r"""
#include <stdint.h>
struct __attribute__((aligned(16))) al16 { int a; };
struct al_after { char c; } __attribute__((aligned(8)));
struct member_al { char c; int x __attribute__((aligned(16))); char d; };
struct member_al_before { char c; __attribute__((aligned(8))) int x; };
struct al_in_packed { char c; int x __attribute__((aligned(4))); } __attribute__((packed));
struct holds_al { char c; struct al16 a; char d; };
struct alignas_m { char c; _Alignas(16) char d; _Alignas(double) char e; _Alignas(8) short arr[3]; };
typedef struct { char c; } __attribute__((aligned(32))) al32_t;
struct aligned_bare { char c; } __attribute__((aligned));
struct holds_al32 { al32_t a; char c; };
struct al_array { char c; char buf[3] __attribute__((aligned(8))); _Alignas(struct al16) char d; };
typedef int aligned_int __attribute__((aligned(8)));
typedef short __attribute__((aligned(4))) aligned_short;
struct uses_aligned_typedefs { char c; aligned_int i; char d; aligned_short s; };
struct two_declarators { char c; int a, b __attribute__((aligned(8))); char d; };
struct three_declarators {
    char c; int __attribute__((aligned(8))) e, f; int g __attribute__((aligned(8))), h;
    char *p, *q __attribute__((aligned(16))); void (*cb)(int) __attribute__((aligned(16))); char last;
};
typedef int __attribute__((aligned(8))) both_a, both_b;
typedef int first_only, second_only __attribute__((aligned(8)));
typedef int lowered_int __attribute__((aligned(2)));
typedef struct al16 al16_at_32 __attribute__((aligned(32)));
struct uses_more_typedefs { char c; both_a a; both_b b; first_only f; second_only s; lowered_int l; al16_at_32 x; };
#define CACHE_LINE 64
struct aligned_expressions {
    char c;
    int x __attribute__((aligned(sizeof(long))));
    char d __attribute__((aligned(2 * 8)));
    char e __attribute__((__aligned__(CACHE_LINE)));
};
"""

HEADERS["pragma_pack"] = r"""
#include <stdint.h>
#pragma pack(push, 1)
struct pp1 { char c; int i; double d; };
#pragma pack(push, 2)
struct pp2 { char c; int i; double d; };
#pragma pack(pop)
struct pp1b { char c; short s; };
#pragma pack(pop)
struct pp_none { char c; int i; };
#pragma pack(4)
struct pp4 { char c; double d; long double ld; };
#pragma pack()
struct pp_reset { char c; double d; };
#pragma pack(push, 8)
struct pp8 { char c; long double ld; };
#pragma pack(pop)
struct holds_pp { char c; struct pp1 p; struct pp4 q; };
struct __attribute__((aligned(16))) al16 { int a; };
#pragma pack(push)
#pragma pack(2)
struct pp2_aligned_member { char c; int x __attribute__((aligned(8))); char d; };
struct pp2_alignas { char c; _Alignas(8) int x; };
struct pp2_holds_aligned { char c; struct al16 a; };
struct __attribute__((aligned(8))) pp2_aligned_struct { char c; };
struct pp2_aligned_after { char c; int x; } __attribute__((aligned(8)));
struct __attribute__((packed)) pp2_packed { char c; int x __attribute__((aligned(4))); };
#pragma pack(pop)
struct pp_popped { char c; int x __attribute__((aligned(8))); };
#pragma pack(push, r1, 2)
struct pp_named { char c; int i; };
#pragma pack(push, 1)
struct pp_inside_named { char c; int i; };
#pragma pack(pop, r1)
struct pp_after_named { char c; int i; };
#pragma pack ( push , 4 )
#pragma pack(show)
struct pp_spaced { char c; long l; };
#pragma pack()
"""

HEADERS["bitfields"] = r"""
#include <stdint.h>
#include <stdbool.h>
enum color { RED, GREEN, BLUE };
struct bf_basic { unsigned a:3; unsigned b:5; unsigned c:24; unsigned d:1; };
struct bf_signed { int s:4; signed int t:7; unsigned u:21; long l:40; };
struct bf_cross { unsigned a:30; unsigned b:4; uint8_t c:7; uint8_t d:2; };
struct bf_zero { char c; unsigned a:3; unsigned :0; unsigned b:3; uint8_t :0; uint8_t e:2; };
struct bf_zero_only { char c; int :0; char d; };
struct bf_unnamed { char c; unsigned :5; unsigned a:3; int :12; short s:4; };
struct bf_unnamed_only { char c; int :4; };
struct bf_small { uint8_t a:3; uint8_t b:6; uint16_t c:9; uint16_t d:9; uint64_t e:40; uint64_t f:30; };
struct bf_bool { _Bool f1:1; bool f2:1; char c; };
struct bf_char_after { unsigned a:4; char c; unsigned b:4; };
struct bf_long { char c; uint64_t big:63; uint64_t x:2; };
struct bf_enum { enum color col:3; unsigned x:2; };
struct bf_full { uint32_t whole:32; uint8_t byte:8; uint64_t all:64; };
struct bf_in_nested { char c; struct { unsigned a:5, b:5; } pair[2]; struct bf_basic basic; };
struct bf_aligned {
    char c; unsigned a:3 __attribute__((aligned(8))); unsigned b:3 __attribute__((aligned(1)));
    uint16_t d:5, e:5 __attribute__((aligned(16)));
};
"""

HEADERS["bitfields_packed"] = r"""
#include <stdint.h>
struct __attribute__((packed)) bfp { uint8_t a:3; uint32_t b:20; uint8_t c:7; uint64_t d:40; char e; };
struct bfp_after { char c; unsigned x:20; unsigned y:20; } __attribute__((packed));
struct __attribute__((packed)) bfp_zero { char c; unsigned a:3; unsigned :0; unsigned b:3; };
struct bfp_member { char c; int x:5; int y:30 __attribute__((packed)); };
"""

HEADERS["bitfields_unions"] = r"""
#include <stdint.h>
union bfu { unsigned a:3; uint8_t b:7; uint64_t c:33; char d; };
union bfu_small { uint8_t a:3; uint16_t b:9; };
struct holds_bfu { char c; union bfu u; union bfu_small s; };
"""

HEADERS["bitfields_pragma_pack"] = r"""
#include <stdint.h>
#pragma pack(push, 1)
struct bfpp1 { uint8_t a:3; uint32_t b:20; uint16_t c:15; char d; };
#pragma pack(2)
struct bfpp2 { char a; uint32_t b:20; uint32_t c:20; };
struct bfpp2b { uint8_t a:7; uint16_t b:10; uint64_t c:60; };
#pragma pack(4)
struct bfpp4 { char a; uint64_t b:40; uint64_t c:40; unsigned :0; char d; };
#pragma pack(pop)
struct bf_after_pop { char a; uint32_t b:20; uint32_t c:20; };
enum pp_small { PP_A };
#pragma pack(push, 4)
struct packed_bits_under_pack { uint16_t a; enum pp_small b:3; char c[5]; } __attribute__((packed));
struct __attribute__((packed)) packed_wide_bits_under_pack { char a; uint64_t b:7; int c; };
struct member_packed_bits_under_pack { char a; uint16_t b:3 __attribute__((packed)); };
struct aligned_bits_under_pack { char a; uint8_t b:3 __attribute__((aligned(8))); char c; };
#pragma pack(pop)
"""

HEADERS["corners"] = r"""
#include <stdint.h>
struct inner { char a; int b; };
struct __attribute__((aligned(8))) al8 { char c; };
enum __attribute__((packed)) tiny { TINY_A, TINY_B };
struct tail_flex { int a; char b; char flex[]; };
struct tail_flex_wide { double d; char c; int flex[]; };
struct zero_length { char c; int none[0]; char after; };
struct empty {};
struct holds_empty { char c; struct empty e; char d; };
struct member_struct_packed { char c; struct inner x __attribute__((packed)); char d; };
struct __attribute__((packed)) packed_holds_aligned { char c; struct al8 a; char d; };
union __attribute__((aligned(16))) aligned_union { char c; int i; };
union __attribute__((packed)) packed_union { char c; int i; double d; };
struct holds_unions { char c; union aligned_union a; char d; union packed_union p; };
struct __attribute__((packed)) packed_enum_member { char c; enum tiny t; int i; };
struct bitfield_corners {
    int :0;
    uint8_t a:1;
    unsigned long long b:1;
    signed char c:7;
    int8_t d:5;
    enum tiny t:2;
    struct { unsigned x:3; unsigned y:30; };
    uint16_t e:16;
    _Bool f:1;
};
struct __attribute__((packed)) packed_bool_bits { _Bool a:1; uint64_t b:63; uint8_t c; };
#pragma pack(push, 1)
struct packed_outer { char c; struct packed_inner { char a; int b; } in; int after; };
#pragma pack(pop)
struct uses_packed_inner { char c; struct packed_inner p; };
"""

HEADERS["predefined_macros"] = r"""
#include <stdint.h>
#if defined(__GNUC__) && __GNUC__ >= 4
#define PACKED __attribute__((packed))
#else
#define PACKED
#endif
#if __STDC_VERSION__ >= 201112L
#define ALIGN16 _Alignas(16)
#else
#define ALIGN16
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && __SIZEOF_LONG__ == 8 && defined(__LP64__) && __CHAR_BIT__ == 8
struct chosen { char c; long l; } PACKED;
#else
struct chosen { char wrong; };
#endif
#ifdef _MSC_VER
#pragma pack(push, 1)
#endif
struct aligned_if { char c; ALIGN16 int x; };
#if defined(__x86_64__) || defined(__aarch64__)
struct arch { char c; long double ld; };
#endif
#if 0
#elif 1
struct elif_taken { char c; int i; };
#else
struct elif_taken { char wrong; };
#endif
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


# --------------------------------------------------------------------- the oracle


@dataclass(frozen=True)
class Probe:
    """One line both sides print: ``c`` prints it from the compiled program,
    ``ours`` is what mmfviewer's layout says it is."""

    c: str
    ours: str


_BITS_FUNCTION = r"""
__attribute__((unused)) static void bits(const char *label, const void *object, size_t size) {
    const unsigned char *p = object;
    long first = -1, last = -1, count = 0;
    for (size_t i = 0; i < size * 8; i++)
        if (p[i / 8] >> (i % 8) & 1) {
            if (first < 0) first = (long)i;
            last = (long)i;
            count++;
        }
    printf("%s: bits %ld+%ld%s\n", label, first, count, last - first + 1 == count ? "" : " (not contiguous)");
}
"""


def _record_probes(c_type: str, record: Record) -> Iterator[Probe]:
    yield Probe(f'printf("{c_type}: size %zu align %zu\\n", sizeof({c_type}), _Alignof({c_type}));',
                f"{c_type}: size {record.size} align {record.align}")
    yield from _member_probes(c_type, record, "", 0)


def _member_probes(c_type: str, record: Record, path: str, base: int) -> Iterator[Probe]:
    """Every named member of ``record`` reached by ``path`` (a designator) at ``base``."""
    for m in record.members:
        if not m.name:
            if isinstance(m.type, Record):  # an anonymous struct or union: its members are ours
                yield from _member_probes(c_type, m.type, path, base + m.offset)
            continue
        designator = f"{path}.{m.name}" if path else m.name
        label = f"{c_type} .{designator}"
        if m.bit_width is not None:
            assert m.bit_offset is not None
            first = (base + m.offset) * 8 + m.bit_offset
            yield Probe(f"{{ {c_type} x; memset(&x, 0, sizeof x); x.{designator} = -1; "
                        f'bits("{label}", &x, sizeof x); }}',
                        f"{label}: bits {first}+{m.bit_width}")
            continue
        yield from _placed_probes(c_type, m.type, designator, base + m.offset)


def _placed_probes(c_type: str, t: CType, designator: str, offset: int) -> Iterator[Probe]:
    """``designator`` (of type ``t``) lies at ``offset``; and so on inside it."""
    label = f"{c_type} .{designator}"
    if isinstance(t, ArrayType) and t.count == 0:  # flexible: sizeof is not allowed
        yield Probe(f'printf("{label}: offset %zu\\n", offsetof({c_type}, {designator}));',
                    f"{label}: offset {offset}")
    else:
        yield Probe(f'printf("{label}: offset %zu size %zu\\n", offsetof({c_type}, {designator}), '
                    f"sizeof((({c_type} *)0)->{designator}));",
                    f"{label}: offset {offset} size {t.size}")
    if isinstance(t, ArrayType):
        last = max(t.count - 1, 0)  # the last element: its offset checks the stride too
        yield from _placed_probes(c_type, t.element, f"{designator}[{last}]", offset + last * t.element.size)
    elif isinstance(t, Record):
        yield from _member_probes(c_type, t, designator, offset)


def _type_probes(decls: Declarations) -> Iterator[Probe]:
    """Every type the header names: records member by member, enums and typedefs by size."""
    for name, t in decls.types.items():
        if name in _PRELUDE_NAMES:
            continue
        if isinstance(t, Record):
            yield from _record_probes(name, t)
        else:
            yield Probe(f'printf("{name}: size %zu align %zu\\n", sizeof({name}), _Alignof({name}));',
                        f"{name}: size {t.size} align {t.align}")
        if isinstance(t, Scalar) and t.kind == "enum":
            for value, enumerator in t.names:
                yield Probe(f'printf("{enumerator} = %lld\\n", (long long){enumerator});',
                            f"{enumerator} = {value}")


def _constant_probes(decls: Declarations, header: str) -> Iterator[Probe]:
    """The #define constants mmfviewer read as integers have the values C gives them."""
    for name, value in decls.constants.items():
        if f"#define {name}" in header:
            yield Probe(f'printf("#define {name} %lld\\n", (long long)({name}));', f"#define {name} {value}")


_PRELUDE_NAMES = frozenset(read_header("").types)


def _program(header_file: str, probes: list[Probe]) -> str:
    lines = [
        "#include <stddef.h>", "#include <stdio.h>", "#include <string.h>", f'#include "{header_file}"',
        _BITS_FUNCTION, "int main(void) {",
    ]
    lines += [f"    {p.c}" for p in probes]
    lines += ["    return 0;", "}", ""]
    return "\n".join(lines)


@dataclass
class Judged:
    """A header as mmfviewer read it and as gcc compiled it."""

    ours: list[str]
    gcc: list[str]
    #: Why there is nothing to compare (mmfviewer refused the header, gcc failed...).
    problem: str = ""


class Oracle(dict[str, Judged]):
    """Each header's two layouts, by key (its repr is short: pytest shows it on failure)."""

    def __repr__(self) -> str:
        return f"<gcc's and mmfviewer's layouts of {len(self)} headers>"


def _judge_all(headers: dict[str, str], where: Path) -> Oracle:
    """Build and run one program per header (in parallel: gcc takes most of the time)."""
    gcc = shutil.which("gcc")
    assert gcc is not None

    def judge(key: str) -> Judged:
        header = headers[key]
        try:
            decls = read_header(header, f"{key}.h")
        except HeaderError as err:
            return Judged([], [], f"mmfviewer refused {key}.h: {err}")
        probes = [*_type_probes(decls), *_constant_probes(decls, header)]
        (where / f"{key}.h").write_text(header)
        (where / f"{key}.c").write_text(_program(f"{key}.h", probes))
        built = subprocess.run([gcc, "-std=c11", "-Wall", "-o", str(where / key), str(where / f"{key}.c")],
                               capture_output=True, text=True, timeout=120)
        if built.returncode != 0:
            return Judged([], [], f"gcc could not build the probe of {key}.h:\n{built.stderr}")
        ran = subprocess.run([str(where / key)], capture_output=True, text=True, timeout=60)
        if ran.returncode != 0:
            return Judged([], [], f"the probe of {key}.h failed:\n{ran.stderr}")
        return Judged([p.ours for p in probes], ran.stdout.splitlines())

    with ThreadPoolExecutor(max_workers=8) as pool:
        return Oracle(zip(headers, pool.map(judge, headers), strict=True))


@pytest.fixture(scope="module")
def gcc_says(tmp_path_factory: pytest.TempPathFactory) -> Oracle:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is the oracle for layouts, and it is not installed")
    return _judge_all(HEADERS, tmp_path_factory.mktemp("c_layout"))


def assert_laid_out_as_gcc_does(gcc_says: Oracle, key: str) -> None:
    judged = gcc_says[key]
    assert not judged.problem, judged.problem
    if judged.ours != judged.gcc:
        diff = "\n".join(difflib.unified_diff(judged.gcc, judged.ours, "gcc", "mmfviewer", lineterm="", n=1))
        pytest.fail(f"{key}.h is laid out differently from gcc:\n{diff}")


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


def test_define_constants_and_conditionals_size_arrays_as_the_preprocessor_does(gcc_says):
    assert_laid_out_as_gcc_does(gcc_says, "defines")


def test_packed_struct_members_follow_each_other_as_gcc_places_them(gcc_says):
    assert_laid_out_as_gcc_does(gcc_says, "packed")


def test_aligned_attributes_and_alignas_raise_alignment_as_gcc_does(gcc_says):
    assert_laid_out_as_gcc_does(gcc_says, "aligned")


def test_pragma_pack_caps_member_alignment_and_pops_back(gcc_says):
    assert_laid_out_as_gcc_does(gcc_says, "pragma_pack")


def test_bitfields_take_the_bits_gcc_gives_them(gcc_says):
    assert_laid_out_as_gcc_does(gcc_says, "bitfields")


def test_bitfields_in_packed_structs_follow_each_other_bit_by_bit(gcc_says):
    assert_laid_out_as_gcc_does(gcc_says, "bitfields_packed")


def test_bitfields_in_unions_all_start_at_bit_zero(gcc_says):
    assert_laid_out_as_gcc_does(gcc_says, "bitfields_unions")


def test_bitfields_under_pragma_pack_are_placed_as_gcc_places_them(gcc_says):
    assert_laid_out_as_gcc_does(gcc_says, "bitfields_pragma_pack")


def test_flexible_zero_length_empty_and_oddly_attributed_members_are_placed_as_gcc_places_them(gcc_says):
    assert_laid_out_as_gcc_does(gcc_says, "corners")


def test_headers_choosing_their_layout_by_gccs_predefined_macros_choose_as_under_gcc(gcc_says):
    assert_laid_out_as_gcc_does(gcc_says, "predefined_macros")


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


# ------------------------------------------------------- hostile and bad headers
#
# Every one must end in a HeaderError (a ValueError) naming the line where there is
# one, within a few seconds: never another exception, never a hang.


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Fail, rather than hang, when the block takes longer than ``seconds``."""
    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"took more than {seconds} s")
    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


#: What "never a hang" means here: the inputs these guard against took minutes. Not a
#: speed target (a loaded CI machine is slow): generous on purpose.
HANG_SECONDS = 30.0


def refused(text: str, seconds: float = HANG_SECONDS) -> str:
    """The HeaderError message reading ``text`` ends in, within ``seconds``."""
    with _deadline(seconds), pytest.raises(HeaderError) as refusal:
        read_header(text, "hostile.h")
    assert isinstance(refusal.value, ValueError)
    return str(refusal.value)


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
    with _deadline(HANG_SECONDS):
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


# ------------------------------------------------------------------ fuzzing

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
        with _deadline(HANG_SECONDS):
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
