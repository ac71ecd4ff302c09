"""Sizes and modes as people type them; hex as people type it."""

from __future__ import annotations

import pytest

from mmfviewer.errors import FormatError, InvalidSizeError
from mmfviewer.hextext import parse_hex_bytes
from mmfviewer.units import format_size, parse_mode, parse_size


@pytest.mark.parametrize("text, value", [
    ("4096", 4096), ("0x1000", 4096), ("64KiB", 65536), ("64K", 65536), ("64k", 65536),
    ("64KB", 64000), ("1MiB", 1 << 20), ("1GiB", 1 << 30), ("1.5MiB", 3 << 19),
    (" 10 ", 10), ("0", 0), ("2TiB", 2 << 40),
])
def test_sizes_parse_in_every_documented_form(text, value):
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["", "1x", "-5", "0x10KiB", "1.3B", "KiB", "1e3"])
def test_bad_sizes_name_the_accepted_forms(text):
    with pytest.raises(InvalidSizeError):
        parse_size(text)


def test_format_size_is_exact_below_a_kibibyte_and_short_above():
    assert [format_size(n) for n in (0, 1023, 1024, 10000, 1 << 30, 3 << 19)] == [
        "0 B", "1023 B", "1 KiB", "9.8 KiB", "1 GiB", "1.5 MiB"]


def test_modes_are_octal():
    assert parse_mode("600") == 0o600 and parse_mode("0o644") == 0o644
    for bad in ("800", "rw", "", "12345"):
        with pytest.raises(InvalidSizeError):
            parse_mode(bad)


@pytest.mark.parametrize("text", ["54 68 65", "546865", "0x54,0x68,0x65", "54:68:65", r"\x54\x68\x65"])
def test_hex_parses_in_common_spellings(text):
    assert parse_hex_bytes(text) == b"The"


@pytest.mark.parametrize("text", ["zz", "123", "0x", "54 6"])
def test_bad_hex_is_a_format_error(text):
    with pytest.raises(FormatError):
        parse_hex_bytes(text)
