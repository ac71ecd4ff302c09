"""The monospace font is chosen by measuring what the app draws, whatever is installed."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtGui import QFont, QFontDatabase, QFontInfo, QFontMetricsF  # noqa: E402

from mmfviewer.qt.fonts import (  # noqa: E402
    DRAWN_CHARS,
    FALLBACK_FAMILIES,
    draws_monospace,
    glyph_advances,
    monospace_font,
)
from mmfviewer.qt.hex_geometry import ASCII_CHAR, HEX_TEXT  # noqa: E402
from mmfviewer.qt.hex_view import HexView  # noqa: E402
from mmfviewer.segment import Segment  # noqa: E402


def installed(family: str) -> bool:
    return QFontInfo(QFont(family)).family() == family


def assert_text_layout_is_a_grid(font: QFont) -> None:
    """Every prefix of a row of drawn characters ends where ``len * width`` says:
    no glyph wider than another, no kerning, no fallback to another font."""
    metrics = QFontMetricsF(font)
    row = "".join(HEX_TEXT) + ASCII_CHAR + DRAWN_CHARS
    width = metrics.horizontalAdvance(row) / len(row)
    for end in range(0, len(row) + 1, 7):
        assert metrics.horizontalAdvance(row[:end]) == pytest.approx(end * width, abs=0.01)


def test_the_app_font_draws_every_hex_and_ascii_character_with_one_advance(qapp):
    font = monospace_font()
    assert draws_monospace(font)
    assert set("".join(HEX_TEXT) + ASCII_CHAR) <= set(DRAWN_CHARS)
    assert_text_layout_is_a_grid(font)


def test_the_hex_view_draws_in_the_measured_font(qtbot, shm_name):
    with Segment.create(shm_name, 4096) as seg:
        view = HexView(seg)
        qtbot.addWidget(view)
        assert QFontInfo(view.text_font()).family() == QFontInfo(monospace_font()).family()
        assert_text_layout_is_a_grid(view.text_font())


def test_the_system_fixed_font_is_kept_when_it_measures_monospace(qapp):
    system = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    if not draws_monospace(system):
        pytest.skip(f"the system fixed font ({QFontInfo(system).family()}) is not monospace here")
    assert QFontInfo(monospace_font()).family() == QFontInfo(system).family()


def test_a_proportional_font_is_refused(qapp):
    if not installed("DejaVu Sans"):
        pytest.skip("DejaVu Sans is not installed")
    advances = glyph_advances(QFont("DejaVu Sans"))
    assert advances is not None and max(advances) > min(advances)
    assert not draws_monospace(QFont("DejaVu Sans"))


def test_a_font_lacking_a_drawn_glyph_is_refused(qapp):
    # A missing glyph would be drawn from some other font, at that font's width.
    font = monospace_font()
    assert glyph_advances(font, "0A\U0010FFFD") is None
    assert not draws_monospace(font, "0A\U0010FFFD")


def test_every_installed_font_the_app_may_pick_lays_out_as_a_grid(qapp):
    # Whatever is installed here: the families the app tries, and every family Qt
    # calls fixed pitch. Those that measure monospace must really draw a grid.
    families = {f for f in FALLBACK_FAMILIES if installed(f)}
    families |= {f for f in QFontDatabase.families() if QFontDatabase.isFixedPitch(f)}
    measured = [f for f in sorted(families) if draws_monospace(QFont(f, 10))]
    assert measured, f"no installed family measures monospace: {sorted(families)}"
    for family in measured:
        assert_text_layout_is_a_grid(QFont(family, 10))


def test_noto_sans_mono_is_monospace_although_qt_may_say_otherwise(qapp):
    # fontconfig calls Noto Sans Mono dual-width, so Qt's fixedPitch() may be False;
    # every character we draw has the same advance all the same.
    if not installed("Noto Sans Mono"):
        pytest.skip("Noto Sans Mono is not installed (fonts-noto-mono)")
    font = QFont("Noto Sans Mono", 10)
    assert draws_monospace(font)
    assert_text_layout_is_a_grid(font)


def test_meaningful_colours_stay_readable_on_a_dark_palette(qapp):
    from PySide6.QtGui import QColor, QPalette

    from mmfviewer.qt.style import error_color, is_dark, ok_color
    light, dark = QPalette(QColor("white")), QPalette(QColor("#202020"))
    light.setColor(QPalette.ColorRole.Base, QColor("white"))
    dark.setColor(QPalette.ColorRole.Base, QColor("#1a1a1a"))
    assert not is_dark(light) and is_dark(dark)
    for color in (error_color, ok_color):  # darker than the background on light, lighter on dark
        assert color(light).lightness() < 128 < color(dark).lightness()
