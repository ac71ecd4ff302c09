"""The hex view's geometry without a window: where each byte is drawn and hit, rows, and the
scrollbar over huge segments."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtWidgets")

from mmfviewer.qt.hex_geometry import (  # noqa: E402
    SCROLL_MAX,
    HexGeometry,
    hex_row_width,
    row_for_scroll_value,
    row_texts,
    rows_for,
    scroll_value_for_row,
    scrollbar_maximum,
)

from .hex_view_helpers import GiB  # noqa: E402


@pytest.mark.parametrize("bpr", [8, 16, 32])
def test_position_at_round_trips_with_hex_x_and_ascii_x(bpr):
    lay = HexGeometry(char_width=7.25, row_height=16, ascent=11, descent=3, bytes_per_row=bpr,
                    size=100 * bpr)
    for first_row in (0, 7):
        for visible_row in (0, 3):
            y = lay.row_y(visible_row) + lay.row_height / 2
            for col in range(bpr):
                expected = (first_row + visible_row) * bpr + col
                for x in (lay.hex_x(col), lay.hex_x(col) + 1.9 * lay.char_width):
                    assert lay.position_at(x, y, first_row) == (expected, False)
                assert lay.position_at(lay.ascii_x(col) + 1, y, first_row) == (expected, True)
                # The boxes painted behind a byte lead back to that byte too.
                hex_box, ascii_box = lay.hex_cell(col, visible_row), lay.ascii_cell(col, visible_row)
                assert lay.position_at(hex_box.center().x(), hex_box.center().y(),
                                       first_row) == (expected, False)
                assert lay.position_at(ascii_box.center().x(), ascii_box.center().y(),
                                       first_row) == (expected, True)


def test_position_at_clamps_to_the_segment_and_the_row():
    lay = HexGeometry(char_width=8, row_height=16, bytes_per_row=16, size=20)
    assert lay.position_at(-50, -50, 0) == (0, False)  # left of everything, in the header
    assert lay.position_at(lay.total_width + 500, 16 * 40, 0) == (19, True)  # past the end
    assert HexGeometry(char_width=8, row_height=16, size=0).position_at(100, 100, 0)[0] == 0


def test_columns_are_ordered_and_groups_of_eight_have_a_gap():
    lay = HexGeometry(char_width=8, row_height=16, bytes_per_row=16, size=4096)
    xs = [lay.hex_x(c) for c in range(16)]
    assert all(b > a for a, b in zip(xs, xs[1:], strict=False))
    assert xs[8] - xs[7] == lay.cell_width + lay.group_gap
    assert lay.offset_width < lay.hex_start < lay.hex_end < lay.ascii_start < lay.total_width


def test_row_text_puts_the_ascii_column_exactly_where_the_layout_does():
    for bpr in (8, 16, 32):
        lay = HexGeometry(char_width=7, row_height=16, bytes_per_row=bpr, size=4096)
        row = bytes(range(0x41, 0x41 + bpr))
        [(cls, text)] = row_texts(row, bpr)
        chars_to_ascii = (lay.ascii_start - lay.hex_start) / lay.char_width
        assert text[int(chars_to_ascii):] == row.decode()
        assert len(text) == hex_row_width(bpr) + 2 + bpr
        # A short last row still puts its ASCII at the same place.
        [(_, short)] = row_texts(row[:3], bpr)
        assert short[int(chars_to_ascii):] == row[:3].decode()


def test_rows_and_the_last_first_row():
    lay = HexGeometry(char_width=8, row_height=16, bytes_per_row=16, size=1000)
    assert lay.rows == rows_for(1000, 16) == 63
    height = lay.header_height + 10 * lay.row_height
    assert lay.full_rows(height) == lay.visible_rows(height) == 10
    assert lay.max_first_row(height) == 53
    assert lay.visible_rows(height + 1) == 11  # a partly visible row is still drawn
    assert HexGeometry(char_width=8, row_height=16, size=0).rows == 0


def test_offset_column_grows_to_16_digits_past_4_gib():
    assert HexGeometry(char_width=8, row_height=16, size=4 * GiB).offset_digits == 8
    assert HexGeometry(char_width=8, row_height=16, size=4 * GiB + 1).offset_digits == 16


@pytest.mark.parametrize("size", [5 * GiB, 100 * GiB, 1 << 60])
def test_scrollbar_mapping_reaches_the_last_row_of_huge_segments(size):
    max_row = rows_for(size, 16) - 40
    top = scrollbar_maximum(max_row)
    assert top <= SCROLL_MAX < 2 ** 31  # fits a QScrollBar's int
    assert scroll_value_for_row(max_row, max_row) == top
    assert row_for_scroll_value(top, max_row) == max_row
    assert row_for_scroll_value(0, max_row) == 0
    # Monotonic in between, and round-trips within one scrollbar unit.
    rows = [row_for_scroll_value(v, max_row) for v in range(0, top + 1, max(1, top // 97))]
    assert rows == sorted(rows)
    for row in (1, max_row // 3, max_row - 1):
        value = scroll_value_for_row(row, max_row)
        assert row_for_scroll_value(value, max_row) <= row < row_for_scroll_value(value + 1, max_row) + 1
