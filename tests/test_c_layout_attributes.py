"""C headers whose layout gcc's attributes, #pragma pack and bitfields decide, laid out as
gcc lays them out (gcc is the judge, see gcc_oracle.py)."""

from __future__ import annotations

from .gcc_oracle import assert_laid_out_as_gcc_does

# ------------------------------------------------------------------------- the headers

HEADERS: dict[str, str] = {}

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


# ------------------------------------------------------------------- gcc's layouts


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
