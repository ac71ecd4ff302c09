"""The window's status bar: the tab in front's name, size, mode, layout, cursor offset
and refresh, kept up to date."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QStatusBar

from ..names import printable
from ..units import format_size
from .window_actions import rate_text

if TYPE_CHECKING:
    from .segment_tab import SegmentTab

#: How often the status bar shows the last tick's time (seconds).
TICK_LABEL_SECONDS = 1.0


class WindowStatus:
    """The permanent labels of ``bar``, by key (``name``, ``size``, ``mode``,
    ``layout``, ``cursor``, ``refresh``)."""

    def __init__(self, bar: QStatusBar) -> None:
        self.labels: dict[str, QLabel] = {}
        for key in ("name", "size", "mode", "layout", "cursor", "refresh"):
            label = QLabel()
            label.setContentsMargins(6, 0, 6, 0)
            bar.addPermanentWidget(label)
            self.labels[key] = label
        self._tick_shown = -TICK_LABEL_SECONDS  # when the tick time was last shown

    def show_tab(self, tab: SegmentTab | None) -> None:
        """What ``tab`` is (empty labels when no tab is open)."""
        labels = self.labels
        if tab is None:
            for label in labels.values():
                label.clear()
            return
        seg = tab.segment
        size = tab.state.size if tab.state else seg.size
        labels["name"].setText(printable(seg.name if seg.name is not None else seg.path))
        labels["size"].setText(f"{format_size(size)} ({size} bytes)")
        labels["mode"].setText(tab.mode_text)
        labels["layout"].setText(f"layout: {tab.kind.label}")
        self.show_refresh(tab)

    def show_refresh(self, tab: SegmentTab) -> None:
        """How often ``tab`` refreshes and what its last tick took (or that it is paused)."""
        if tab.paused:
            text = "paused"
        else:
            text = f"every {rate_text(tab.refresh_ms)} · tick {tab.tick_seconds * 1000:.1f} ms"
        self.labels["refresh"].setText(text)

    def ticked(self, tab: SegmentTab) -> None:
        """``tab`` ticked: its time is shown at most once a :data:`TICK_LABEL_SECONDS`.
        It changes every tick; shown every tick, its label repainted the status bar ten
        times a second."""
        now = time.monotonic()
        if now - self._tick_shown >= TICK_LABEL_SECONDS:
            self._tick_shown = now
            self.show_refresh(tab)

    def show_cursor(self, offset: int) -> None:
        """Where the cursor is."""
        self.labels["cursor"].setText(f"offset 0x{offset:X} ({offset})")
