"""The app's colours (and the status lines shown in them) and its byte font in one place.

Colours that carry meaning (an error, a success, something greyed out) are taken
against the palette, so they stay readable on a dark desktop: a red that reads on
white is too dark on near-black. Banners are white text on a saturated background,
readable on any theme.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QLabel, QPlainTextEdit

from .fonts import monospace_font

__all__ = ["banner_style", "dark_palette", "error_color", "is_dark", "muted_color", "ok_color", "monospace_font",
           "mono_text_view", "note_label", "secondary_color", "set_status"]

WARNING_BANNER = "#b3261e"
INFO_BANNER = "#1d5fa8"


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether text is shown on a dark background."""
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def error_color(palette: QPalette | None = None) -> QColor:
    """Red for errors: lighter on dark themes, darker on light ones."""
    return QColor("#ff6b6b") if is_dark(palette) else QColor("#c62828")


def ok_color(palette: QPalette | None = None) -> QColor:
    """Green for what went well."""
    return QColor("#6fcf7f") if is_dark(palette) else QColor("#1b7f3b")


def muted_color(palette: QPalette | None = None) -> QColor:
    """Grey for what is there but not usable (a deleted segment, one we may not open)."""
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)


def secondary_color(palette: QPalette | None = None) -> QColor:
    """For notes beside the main text: the palette's own muted tone, readable on
    light and dark themes alike."""
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.PlaceholderText)


def dark_palette() -> QPalette:
    """A dark palette for Qt's Fusion style, for ``--color-scheme dark`` where the
    desktop does not offer one (every colour above is taken against the palette)."""
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    palette = QPalette()
    for r, color in ((role.Window, "#2b2b2b"), (role.WindowText, "#dcdcdc"), (role.Base, "#1e1e1e"),
                     (role.AlternateBase, "#262626"), (role.Text, "#dcdcdc"), (role.Button, "#353535"),
                     (role.ButtonText, "#dcdcdc"), (role.Highlight, "#3d6eb5"), (role.HighlightedText, "#ffffff"),
                     (role.PlaceholderText, "#8c8c8c"), (role.ToolTipBase, "#353535"), (role.ToolTipText, "#dcdcdc"),
                     (role.Mid, "#555555"), (role.Dark, "#1a1a1a"), (role.Light, "#505050"),
                     (role.Midlight, "#404040"), (role.Shadow, "#101010"), (role.Link, "#6ea8fe"),
                     (role.BrightText, "#ff6b6b")):
        palette.setColor(r, QColor(color))
    for r in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(group.Disabled, r, QColor("#6e6e6e"))
    return palette


def note_label(text: str = "", *, error: bool = False) -> QLabel:
    """A label for a line of explanation: wrapped, selectable (so it can be copied
    into a bug report), in the error colour when ``error``."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if error:
        label.setStyleSheet(f"QLabel {{ color: {error_color().name()}; }}")
    return label


def mono_text_view(placeholder: str = "", *, wrap: bool = True) -> QPlainTextEdit:
    """A read-only text box in the byte font: hexdumps, texts, values in full."""
    view = QPlainTextEdit()
    view.setReadOnly(True)
    view.setFont(monospace_font())
    view.setPlaceholderText(placeholder)
    if not wrap:
        view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    return view


def banner_style(*, warn: bool = True, padding: int = 6) -> str:
    """A style sheet for a banner label: white bold text on red (warn) or blue."""
    return (f"QLabel {{ background: {WARNING_BANNER if warn else INFO_BANNER}; color: white; "
            f"padding: {padding}px; font-weight: bold; }}")


def set_status(label: QLabel, text: str, ok: bool | None) -> None:
    """Show a status line: green when ``ok``, red when not, plain when None."""
    label.setText(text)
    color = None if ok is None else (ok_color() if ok else error_color()).name()
    label.setStyleSheet(f"QLabel {{ color: {color}; }}" if color else "")
