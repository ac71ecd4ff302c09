"""Watched values: one value of a segment followed tick by tick, with its history.

A :class:`Watch` is fed one sample per tick (``add(t, value, text)``, ``t`` from
``time.monotonic()``) and keeps what a watch list and a plot show: the current
text, the minimum and maximum, the rate of change, when it last changed and how
often, and for numbers a bounded series of ``(time, value)`` samples. A
:class:`WatchList` holds the watches in the order they were added and samples them
all at once::

    watches = WatchList()
    watches.add(inspector_watch("u32 LE", 0x40))
    # every tick, with the bytes the tick read:
    watches.sample(now, {w.key: read(w) for w in watches})

An inspector row pinned as a watch is a type at an offset (:class:`TypedSource`):
:func:`inspector_watch_value` decodes it from the tick's bytes as the inspector does.

Decisions (see docs/DESIGN.md):

- **Rate** is the change over about the last second: (value now - value of the
  newest sample at least :data:`RATE_WINDOW` old) / (time between them). That is
  what an instrument's derivative readout shows: it reads 0 once the value holds
  still, where "since the last change" would hold a stale slope forever, and the
  tick's timing jitter is divided by a second, not by one tick.
- **The series keeps about 10 minutes at whatever rate the ticks come**
  (:data:`KEEP_SECONDS`), in a ring of two ``array('d')`` (16 bytes a sample)
  allocated whole and overwritten in place. The first :data:`FIRST_CAPACITY`
  samples show the tick rate; the ring is then sized once for 10 minutes at that
  rate (plus 10%), up to :data:`MAX_SAMPLES` (10 minutes at the fastest refresh,
  16 ms), and grows again only if the ticks come faster. So memory is flat from the
  first seconds on (210 KiB a watch at 20 Hz, 100 KiB at the default 100 ms, never
  more than 600 KiB). Sizing every ring for the fastest refresh would cost 600 KiB
  a watch at any rate; sizing it for one rate would cut the history short at a
  faster one; decimating would lose the samples a CSV export is for.
- **No numpy here**: the core is what the command line imports too; an
  ``array('d')`` is a flat buffer that the plot turns into a numpy array without
  copying (``numpy.frombuffer``), so nothing is lost by keeping numpy in the Qt side.
"""

from __future__ import annotations

import csv
import math
import struct
import time
from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from .byte_values import MISSING, float_text
from .struct_reads import same_value

#: The series keeps samples this many seconds old (the plot's longest window).
KEEP_SECONDS = 600.0
#: The series never holds more samples than this: 10 minutes at a 16 ms refresh.
MAX_SAMPLES = 37_500
#: Samples a series has room for at first; when they are taken, the tick rate they
#: show sizes the ring for :data:`KEEP_SECONDS` at once.
FIRST_CAPACITY = 64
#: Room for this much more than the measured rate needs (ticks come late or early).
SIZE_MARGIN = 1.1
#: The rate of change is measured over about this many seconds.
RATE_WINDOW = 1.0

#: Inspector types a watch can follow: name -> how its bytes decode. Byte-order-free
#: types have no suffix; the others say " LE" or " BE".
WATCH_TYPES: dict[str, struct.Struct] = {
    "u8": struct.Struct("<B"), "i8": struct.Struct("<b"),
    **{f"{name} {order}": struct.Struct(("<" if order == "LE" else ">") + code)
       for name, code in (("u16", "H"), ("i16", "h"), ("u32", "I"), ("i32", "i"),
                          ("u64", "Q"), ("i64", "q"), ("f32", "f"), ("f64", "d"))
       for order in ("LE", "BE")},
}


def watch_key(name: str, offset: int, segment: str = "") -> str:
    """A watch's unique key: ``"sensors.temp@0x40"``, or ``"mmf1:sensors.temp@0x40"``
    with a segment (a list that watches several segments)."""
    key = f"{name}@0x{offset:X}"
    return f"{segment}:{key}" if segment else key


def watch_type_name(row_name: str, big_endian: bool = False) -> str | None:
    """The watch type of an inspector row read in one byte order (``"u32", True`` ->
    ``"u32 BE"``); None for rows that are not one number (strings, times, msgpack)."""
    name = row_name if f"{row_name} LE" not in WATCH_TYPES else f"{row_name} {'BE' if big_endian else 'LE'}"
    return name if name in WATCH_TYPES else None


def inspector_watch_value(type_name: str, data: bytes) -> tuple[int | float | None, str]:
    """The value of ``type_name`` (a :data:`WATCH_TYPES` name) at the start of ``data``,
    and its text as the inspector shows it; ``(None, MISSING)`` when ``data`` is too short."""
    unpacker = WATCH_TYPES[type_name]
    if len(data) < unpacker.size:
        return None, MISSING
    raw = bytes(data[:unpacker.size])
    (value,) = unpacker.unpack(raw)
    if isinstance(value, float):
        return value, float_text(raw, unpacker.format)
    return value, str(value)


@dataclass(frozen=True)
class TypedSource:
    """Where a pinned inspector row is read from: ``type_name`` at ``offset``."""

    type_name: str
    offset: int

    @property
    def size(self) -> int:
        """How many bytes from ``offset`` the value needs."""
        return WATCH_TYPES[self.type_name].size

    def read(self, data: bytes) -> tuple[int | float | None, str]:
        """The value and text in ``data`` (the bytes from ``offset`` on)."""
        return inspector_watch_value(self.type_name, data)


def inspector_watch(type_name: str, offset: int, segment: str = "") -> Watch:
    """A watch of an inspector row: ``type_name`` (see :func:`watch_type_name`) at
    ``offset``; its ``source`` is the :class:`TypedSource` to read it from each tick."""
    if type_name not in WATCH_TYPES:
        raise ValueError(f"{type_name!r} is not a type a watch can follow")
    return Watch(watch_key(type_name, offset, segment), f"{type_name} @ 0x{offset:X}", numeric=True,
                 single_precision=type_name.startswith("f32"), source=TypedSource(type_name, offset))


def _number(value: object) -> float:
    """``value`` as a float for the series (NaN for no value: a gap in the plot)."""
    if isinstance(value, (int, float)):  # bool is an int
        try:
            return float(value)
        except OverflowError:
            return math.copysign(math.inf, value)
    return math.nan


class Watch:
    """One watched value: what it is now, its extremes, its rate, its history.

    ``numeric`` watches keep a series and extremes; others only their text and
    changes. ``single_precision`` says the value is a float32 (its CSV text is the
    shortest that reads back as that float32, not the widened double's digits).
    ``source`` is free for the caller: what to read the watch from each tick.
    """

    def __init__(self, key: str, label: str, numeric: bool, *, single_precision: bool = False,
                 source: object = None, wall_offset: float | None = None,
                 keep_seconds: float = KEEP_SECONDS, max_samples: int = MAX_SAMPLES) -> None:
        self.key = key
        self.label = label
        self.numeric = numeric
        self.single_precision = single_precision
        self.source = source
        self.keep_seconds = keep_seconds
        self.max_samples = max(1, max_samples)
        #: Wall-clock seconds minus the samples' monotonic seconds (set at the first sample).
        self.wall_offset = wall_offset
        #: The value and its text at the last sample (None and "" before the first).
        self.value: object = None
        self.text = ""
        #: Samples taken, and how many of them changed the value.
        self.samples = 0
        self.changes = 0
        #: Times (the samples' clock) of the first and last sample, and of the last change.
        self.first_t: float | None = None
        self.last_t: float | None = None
        self.last_change: float | None = None
        #: Smallest and largest value seen (numbers only; None before one), with their texts.
        self.min: object = None
        self.max: object = None
        self.min_text = ""
        self.max_text = ""
        #: Change per second over about :data:`RATE_WINDOW` (None: not a number, or
        #: not two samples yet).
        self.rate: float | None = None
        self._recent: deque[tuple[float, float]] = deque()
        # The ring: allocated whole (memory taken once, not a little every tick), the
        # first _n slots used; once full, _head is the oldest sample (and the next slot).
        self._t = array("d", bytes(8 * min(FIRST_CAPACITY, self.max_samples)))
        self._v = array("d", self._t)
        self._n = 0
        self._head = 0

    def __repr__(self) -> str:
        return f"Watch({self.key!r}, {self.text!r}, {self.samples} samples)"

    # -- feeding

    def add(self, t: float, value: object, text: str) -> bool:
        """Take the sample of time ``t`` (``time.monotonic()``; never earlier than the
        last). Returns whether the value changed (the first sample is no change)."""
        if self.first_t is None:
            self.first_t = t
            if self.wall_offset is None:
                self.wall_offset = time.time() - time.monotonic()
        changed = self.samples > 0 and (text != self.text or not same_value(value, self.value))
        if changed:
            self.changes += 1
            self.last_change = t
        self.samples += 1
        self.last_t = t
        self.value, self.text = value, text
        if not self.numeric:
            return changed
        number = _number(value)
        if number == number:  # not NaN: None and garbage take no part in the extremes
            if self.min is None or value < self.min:  # type: ignore[operator]
                self.min, self.min_text = value, text
            if self.max is None or value > self.max:  # type: ignore[operator]
                self.max, self.max_text = value, text
        self._update_rate(t, number)
        self._store(t, number)
        return changed

    def _update_rate(self, t: float, number: float) -> None:
        recent = self._recent
        recent.append((t, number))
        # Keep the newest sample at least RATE_WINDOW old as the first: it is the base.
        while len(recent) > 2 and recent[1][0] <= t - RATE_WINDOW:
            recent.popleft()
        base_t, base = recent[0]
        if t > base_t and math.isfinite(base) and math.isfinite(number):
            self.rate = (number - base) / (t - base_t)
        else:
            self.rate = None

    def _store(self, t: float, number: float) -> None:
        times, values, n = self._t, self._v, self._n
        capacity = len(times)
        if n == capacity and capacity < self.max_samples and t - times[self._head] < self.keep_seconds:
            self._grow(t)
            times, values, capacity = self._t, self._v, len(self._t)
        if n < capacity:
            times[n] = t
            values[n] = number
            self._n = n + 1
            return
        head = self._head
        times[head] = t
        values[head] = number
        self._head = head + 1 if head + 1 < capacity else 0

    def _grow(self, t: float) -> None:
        """Full of samples younger than what we keep: a ring for :data:`KEEP_SECONDS`
        at the rate the samples came (at least twice the room), in time order."""
        times, values, head, capacity = self._t, self._v, self._head, len(self._t)
        span = t - times[head]
        needed = math.ceil(capacity / span * self.keep_seconds * SIZE_MARGIN) if span > 0 else 2 * capacity
        size = min(self.max_samples, max(2 * capacity, needed))
        pad = bytes(8 * (size - capacity))
        self._t = times[head:] + times[:head] + array("d", pad)
        self._v = values[head:] + values[:head] + array("d", pad)
        self._head = 0

    # -- reading

    @property
    def stored(self) -> int:
        """How many samples the series holds now."""
        return self._n

    @property
    def capacity(self) -> int:
        """How many samples the series holds before it grows or overwrites the oldest."""
        return len(self._t)

    def series(self, since: float = -math.inf) -> tuple[array[float], array[float]]:
        """The stored samples from time ``since`` on, oldest first: ``(times, values)``,
        new arrays (``numpy.frombuffer`` reads them without a copy). Values are floats
        (a 64-bit integer past 2**53 is rounded; the text, min and max are exact);
        NaN where there was no value."""
        times, values, head, n = self._t, self._v, self._head, self._n
        if head == 0:
            i = bisect_left(times, since, 0, n)
            return times[i:n], values[i:n]
        if since <= times[n - 1]:  # within the older part, [head, n)
            i = bisect_left(times, since, head, n)
            return times[i:] + times[:head], values[i:] + values[:head]
        i = bisect_left(times, since, 0, head)
        return times[i:head], values[i:head]

    def number_text(self, number: float) -> str:
        """A stored value as the CSV writes it: integers without ``.0``, a float32 in the
        digits that read back as it, ``""`` for no value."""
        if number != number:
            return ""
        if self.single_precision and math.isfinite(number):
            try:
                return float_text(struct.pack("<f", number), "<f")
            except OverflowError:
                pass
        if number.is_integer() and abs(number) < 2.0 ** 53:
            return str(int(number))
        return repr(number)

    def write_csv(self, file: TextIO) -> int:
        """Write every stored sample to ``file`` (open it with ``newline=""``):
        ``time_s`` (seconds since the watch's first sample), ``value``, and
        ``wall_time`` (ISO 8601, local time with its UTC offset, milliseconds).
        Returns how many samples were written."""
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(["time_s", "value", "wall_time"])
        times, values = self.series()
        start = self.first_t if self.first_t is not None else 0.0
        offset = self.wall_offset or 0.0
        for t, number in zip(times, values, strict=True):
            wall = datetime.fromtimestamp(t + offset).astimezone()
            writer.writerow([f"{t - start:.6f}", self.number_text(number), wall.isoformat(timespec="milliseconds")])
        return len(times)


class WatchList:
    """Watches in the order they were added, one per key."""

    def __init__(self) -> None:
        self._watches: dict[str, Watch] = {}
        #: Goes up by one whenever a watch is added or removed (views compare it).
        self.revision = 0

    def add(self, watch: Watch) -> Watch:
        """Add ``watch``, unless one with its key is there already; returns the one in
        the list (``watch``, or the one that was there)."""
        there = self._watches.get(watch.key)
        if there is not None:
            return there
        self._watches[watch.key] = watch
        self.revision += 1
        return watch

    def remove(self, key: str) -> Watch | None:
        """Take the watch called ``key`` out (None when there is none)."""
        watch = self._watches.pop(key, None)
        if watch is not None:
            self.revision += 1
        return watch

    def get(self, key: str) -> Watch | None:
        """The watch called ``key``, or None."""
        return self._watches.get(key)

    def keys(self) -> list[str]:
        """Every key, in order."""
        return list(self._watches)

    def __contains__(self, key: object) -> bool:
        return key in self._watches

    def __iter__(self) -> Iterator[Watch]:
        return iter(list(self._watches.values()))

    def __len__(self) -> int:
        return len(self._watches)

    def sample(self, t: float, readings: Mapping[str, tuple[object, str]]) -> list[str]:
        """Give each watch its reading ``(value, text)`` of time ``t``; watches without
        a reading (a segment that could not be read) take no sample. Keys that are
        not watched are ignored. Returns the keys whose value changed."""
        changed = []
        for key, (value, text) in readings.items():
            watch = self._watches.get(key)
            if watch is not None and watch.add(t, value, text):
                changed.append(key)
        return changed
