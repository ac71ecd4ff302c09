"""The app's one monospace font, chosen by measuring it rather than by Qt's word.

The hex and ASCII columns only line up when every glyph they draw has the same
advance. Qt's ``QFontInfo.fixedPitch()`` is not a reliable witness: fontconfig calls
"Noto Sans Mono" (many distributions' ``monospace``) dual-width because a few of its
glyphs far outside Latin are wide, so Qt reports it as not fixed pitch although every
character we draw has the same advance. So we measure: a font qualifies when it has
its own glyph for each character we draw (no fallback to another font) and all of
those glyphs have one advance. The system's fixed font is preferred when it
qualifies; otherwise the first well-known monospace family that does.
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtGui import QFont, QFontDatabase, QRawFont

#: Every character the hex view's columns are made of, which must line up: printable
#: ASCII (the hex digits, ``.`` and ``_`` for unprintable bytes, the offsets). Other
#: text in the monospace font (the inspector's values) need not.
DRAWN_CHARS = "".join(chr(c) for c in range(0x20, 0x7F))

#: Families tried, in order, when the system's fixed font does not measure as monospace.
FALLBACK_FAMILIES = (
    "DejaVu Sans Mono", "Noto Sans Mono", "Liberation Mono", "Cascadia Mono",
    "JetBrains Mono", "Source Code Pro", "Ubuntu Mono", "Hack", "Fira Mono",
    "Menlo", "Consolas", "Courier New", "FreeMono", "Nimbus Mono PS", "monospace",
)

DEFAULT_POINT_SIZE = 10


def glyph_advances(font: QFont, chars: str = DRAWN_CHARS) -> list[float] | None:
    """The advance of each character's glyph in ``font`` itself, or None when the
    font lacks one of them (Qt would then draw it from another font)."""
    raw = QRawFont.fromFont(font)
    if not raw.isValid():
        return None
    glyphs = raw.glyphIndexesForString(chars)
    if len(glyphs) != len(chars) or not all(glyphs):
        return None
    return [point.x() for point in raw.advancesForGlyphIndexes(glyphs)]


def draws_monospace(font: QFont, chars: str = DRAWN_CHARS) -> bool:
    """True when ``font`` has every one of ``chars`` and all share one advance."""
    advances = glyph_advances(font, chars)
    return advances is not None and max(advances) - min(advances) < 1e-3


@lru_cache(maxsize=1)
def _chosen() -> QFont:
    system = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    if system.pointSize() <= 0:  # a pixel-sized system font: give it points
        system.setPointSize(DEFAULT_POINT_SIZE)
    candidates = [system]
    installed = set(QFontDatabase.families())
    for family in FALLBACK_FAMILIES:
        if family in installed or family == "monospace":
            font = QFont(family, system.pointSize())
            font.setStyleHint(QFont.StyleHint.TypeWriter)
            candidates.append(font)
    for font in candidates:
        if draws_monospace(font):
            return font
    # Nothing installed measures as monospace: the system's choice is the best guess.
    system.setStyleHint(QFont.StyleHint.TypeWriter)
    return system


def monospace_font() -> QFont:
    """A copy of the app's monospace font (the same family and size everywhere)."""
    return QFont(_chosen())
