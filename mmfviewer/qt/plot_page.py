"""The Plot dock's page for a tab, which builds the plot only once something is plotted.

A plot (pyqtgraph, with numpy) costs ~45 ms to build, a quarter of opening a tab, and
~40 MiB to load; most tabs never plot anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ..watches import WatchList
from .style import note_label

if TYPE_CHECKING:
    from .plot_panel import PlotPanel

EMPTY_TEXT = "Tick 'Plot' on a watch to draw it here."

#: The dock's own keys, for Help ▸ Keyboard shortcuts.
PANE_KEYS = (("Space", "pause the plot, or follow again"),)


class PlotPage(QWidget):
    """The Plot dock's page for a tab: an empty note until a watch is plotted, then a
    :class:`~mmfviewer.qt.plot_panel.PlotPanel`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._panel: PlotPanel | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._empty = note_label(EMPTY_TEXT)
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._layout.addWidget(self._empty)

    @property
    def built(self) -> bool:
        """Whether the plot was built (something was plotted)."""
        return self._panel is not None

    @property
    def panel(self) -> PlotPanel:
        """The plot, built on first use."""
        if self._panel is None:
            from .plot_panel import PlotPanel  # pyqtgraph and numpy: ~40 MiB, loaded when needed

            self._panel = PlotPanel(self)
            self._layout.replaceWidget(self._empty, self._panel)
            self._empty.deleteLater()
        return self._panel

    def set_plotted(self, keys: list[str], watches: WatchList, now: float) -> None:
        """Draw these watches (see :meth:`PlotPanel.set_plotted`)."""
        if keys or self._panel is not None:
            self.panel.update_from(watches, now)
            self.panel.set_plotted(keys)

    def update_from(self, watches: WatchList, now: float) -> None:
        """The watches as of ``now``, for a plot there is."""
        if self._panel is not None:
            self._panel.update_from(watches, now)
