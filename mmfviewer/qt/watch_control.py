"""A tab's watches: values pinned from the structure dock or the data inspector,
sampled every tick from what the tick read, listed and plotted.

A structure field's watch takes the field's value from its overlay's reading (the
last consistent one: a torn read is never a sample); an inspector row's watch is a
type at an offset, read from the tick's bytes (the tick's read window includes it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..live_session import Snapshot
from ..structure_overlays import LiveOverlay, OverlayState
from ..watches import TypedSource, Watch, WatchList, inspector_watch, watch_key
from .plot_page import PlotPage
from .watch_panel import WatchPanel

if TYPE_CHECKING:
    from .segment_tab import SegmentTab


@dataclass(frozen=True)
class FieldSource:
    """Where a pinned structure field is read from: a leaf of an overlay."""

    overlay: LiveOverlay
    row: int
    #: Where the row's value is among the overlay's decoded values.
    leaf: int

    def read(self, states: dict[int, OverlayState]) -> tuple[object, str]:
        """The field's value and text in this tick's readings (None when its overlay
        was removed or not read)."""
        state = states.get(id(self.overlay))
        if state is None:
            return None, "—"
        value = state.values[self.leaf]
        return value, self.overlay.table.text(self.row, value)


class WatchControl:
    """The watches of ``tab`` and the two panels that show them."""

    def __init__(self, tab: SegmentTab) -> None:
        self.tab = tab
        self.watches = WatchList()
        self.panel = WatchPanel()
        self.plot = PlotPage()
        self.panel.plotToggled.connect(self._plot_toggled)
        self.panel.removed.connect(lambda _key: self._replot())
        tab.structures.watchRequested.connect(self.watch_field)

    def watch_field(self, overlay: LiveOverlay, row: int) -> Watch:
        """Pin a leaf of a structure overlay."""
        table = overlay.table
        f = table.rows[row]
        name = table.path_of(row)
        leaf = table.leaf_number(row)
        if leaf is None:
            raise ValueError(f"{name} is not a value to watch")
        watch = Watch(watch_key(name, overlay.spec.offset + f.offset), name, f.numeric,
                      single_precision=f.kind == "float" and f.size == 4, source=FieldSource(overlay, row, leaf))
        return self._added(watch)

    def watch_typed(self, type_name: str, offset: int) -> Watch:
        """Pin an inspector row: ``type_name`` at ``offset``."""
        return self._added(inspector_watch(type_name, offset))

    def _added(self, watch: Watch) -> Watch:
        added = self.watches.add(watch)
        self.tab.dockWanted.emit("watches")
        self.tab.notice.emit(f"watching {added.label}")
        self.panel.update_from(self.watches, time.monotonic())
        return added

    def overlay_replaced(self, old: LiveOverlay, new: LiveOverlay | None) -> None:
        """An overlay was edited (``new``) or removed (None): its watches follow the
        field with the same path at the same place, or go (and leave the plot)."""
        for watch in list(self.watches):
            source = watch.source
            if not isinstance(source, FieldSource) or source.overlay is not old:
                continue
            moved = _same_field(old, source.row, new) if new is not None else None
            if moved is None:
                self.panel.remove(watch.key)  # out of the list and the plot
            else:
                watch.source = moved
        self.panel.update_from(self.watches, time.monotonic())

    def spans(self) -> tuple[tuple[int, int], ...]:
        """The bytes the inspector rows' watches read: the tick's read covers them."""
        return tuple((w.source.offset, w.source.size) for w in self.watches if isinstance(w.source, TypedSource))

    def sample(self, snapshot: Snapshot, now: float) -> None:
        """Feed every watch this tick's value; the panels show them."""
        if not len(self.watches):
            return
        states = {id(s.overlay): s for s in snapshot.structures}
        readings: dict[str, tuple[object, str]] = {}
        for watch in self.watches:
            source = watch.source
            if isinstance(source, FieldSource):
                readings[watch.key] = source.read(states)
            elif isinstance(source, TypedSource):
                data = snapshot.bytes_at(source.offset, source.size)
                if data is not None:
                    readings[watch.key] = source.read(data)
        self.watches.sample(now, readings)
        self.panel.update_from(self.watches, now)  # (the panels draw nothing while hidden)
        self.plot.update_from(self.watches, now)

    def _replot(self) -> None:
        self.plot.set_plotted(self.panel.plotted_keys(), self.watches, time.monotonic())

    def _plot_toggled(self, key: str, on: bool) -> None:
        self._replot()
        if on:
            self.tab.dockWanted.emit("plot")


def _same_field(old: LiveOverlay, row: int, new: LiveOverlay) -> FieldSource | None:
    """Where ``new`` has the leaf ``row`` of ``old`` was: same path, same place."""
    path = old.table.rows[row].path
    at = new.table.find(path)
    leaf = new.table.leaf_number(at) if at is not None else None
    if at is None or leaf is None:
        return None
    if new.spec.offset + new.table.rows[at].offset != old.spec.offset + old.table.rows[row].offset:
        return None
    return FieldSource(new, at, leaf)
