"""#define constants and #if, as gcc's preprocessor reads them: the arrays they size and the
layout they choose come out as gcc lays them out (gcc is the judge, see gcc_oracle.py)."""

from __future__ import annotations

from .gcc_oracle import assert_laid_out_as_gcc_does

# ------------------------------------------------------------------------- the headers

HEADERS: dict[str, str] = {}

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


# ------------------------------------------------------------------- gcc's layouts


def test_define_constants_and_conditionals_size_arrays_as_the_preprocessor_does(gcc_says):
    assert_laid_out_as_gcc_does(gcc_says, "defines")


def test_headers_choosing_their_layout_by_gccs_predefined_macros_choose_as_under_gcc(gcc_says):
    assert_laid_out_as_gcc_does(gcc_says, "predefined_macros")
