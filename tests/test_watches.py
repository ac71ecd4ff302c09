"""Watched values: extremes, rate, changes, the bounded series, CSV, and inspector types."""

from __future__ import annotations

import io
import math
import struct
import subprocess
import sys
import time

import pytest

from mmfviewer.byte_values import MISSING, ROW_NAMES, inspect_bytes
from mmfviewer.watches import (
    FIRST_CAPACITY,
    KEEP_SECONDS,
    MAX_SAMPLES,
    WATCH_TYPES,
    TypedSource,
    Watch,
    WatchList,
    inspector_watch,
    inspector_watch_value,
    watch_key,
    watch_type_name,
)


def numeric(key: str = "sensors.temp@0x40", **kwargs) -> Watch:
    return Watch(key, key.split("@")[0], numeric=True, **kwargs)


def feed(watch: Watch, samples: list[tuple[float, object]]) -> None:
    for t, value in samples:
        watch.add(t, value, str(value))


def test_the_core_module_imports_neither_qt_nor_numpy():
    code = ("import sys, mmfviewer.watches; "
            "sys.exit(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'numpy')) or 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_keys_name_the_field_and_offset_and_optionally_the_segment():
    assert watch_key("sensors.temp", 0x40) == "sensors.temp@0x40"
    assert watch_key("u32 LE", 255, segment="mmf1") == "mmf1:u32 LE@0xFF"


def test_a_watch_shows_the_current_text_and_the_extremes():
    watch = numeric()
    for t, value in enumerate([3, -2, 7, 5]):
        watch.add(float(t), value, f"{value} units")
    assert watch.text == "5 units" and watch.value == 5
    assert (watch.min, watch.max) == (-2, 7)
    assert (watch.min_text, watch.max_text) == ("-2 units", "7 units")


def test_extremes_are_exact_for_64_bit_integers():
    watch = numeric()
    big = 2**64 - 1
    feed(watch, [(0.0, big - 1), (1.0, big)])
    assert watch.max == big and watch.min == big - 1  # a float would call them equal


def test_missing_values_are_no_extremes_and_gaps_in_the_series():
    watch = numeric()
    feed(watch, [(0.0, 4), (1.0, None), (2.0, 6)])
    assert (watch.min, watch.max) == (4, 6)
    times, values = watch.series()
    assert list(times) == [0.0, 1.0, 2.0]
    assert values[0] == 4 and math.isnan(values[1]) and values[2] == 6


def test_changes_are_counted_and_dated_and_the_first_sample_is_none():
    watch = numeric()
    assert watch.add(10.0, 1, "1") is False
    assert (watch.changes, watch.last_change) == (0, None)
    assert watch.add(10.1, 1, "1") is False
    assert watch.add(10.2, 2, "2") is True
    assert watch.add(10.3, 2, "2") is False
    assert watch.add(10.4, 1, "1") is True
    assert (watch.changes, watch.last_change, watch.samples) == (2, 10.4, 5)


def test_a_nan_that_stays_nan_is_no_change_but_a_new_text_is():
    watch = numeric()
    feed(watch, [(0.0, math.nan), (1.0, math.nan)])
    assert watch.changes == 0
    watch.add(2.0, "on", "on")
    watch.add(3.0, "on", "ON")  # same value, shown differently: the user sees a change
    assert watch.changes == 2


def test_the_rate_is_the_change_over_about_the_last_second():
    watch = numeric()
    assert watch.rate is None
    # 10 Hz, rising 2 per second for 3 s.
    for i in range(31):
        watch.add(100.0 + i / 10, 2.0 * i / 10, "")
    assert watch.rate == pytest.approx(2.0)
    # It then holds still: a second later the rate is 0, not the old slope.
    for i in range(31, 42):
        watch.add(100.0 + i / 10, 6.0, "")
    assert watch.rate == pytest.approx(0.0)


def test_the_rate_uses_the_newest_sample_at_least_a_second_old():
    watch = numeric()
    feed(watch, [(0.0, 0), (0.5, 10), (1.2, 20), (1.6, 30)])
    # Base: the sample of 0.5 (the newest at least 1 s before 1.6).
    assert watch.rate == pytest.approx((30 - 10) / (1.6 - 0.5))
    feed(watch, [(5.0, 30)])  # slow ticks: over the whole gap
    assert watch.rate == pytest.approx(0.0)


def test_the_rate_of_the_first_second_is_from_the_first_sample():
    watch = numeric()
    feed(watch, [(0.0, 0), (0.25, 1)])
    assert watch.rate == pytest.approx(4.0)


def test_text_watches_keep_text_and_changes_but_no_series():
    watch = Watch("name@0x0", "name", numeric=False)
    watch.add(0.0, b"pump", '"pump"')
    watch.add(1.0, b"fan", '"fan"')
    assert watch.text == '"fan"' and watch.changes == 1
    assert watch.min is None and watch.rate is None
    assert watch.stored == 0 and [list(a) for a in watch.series()] == [[], []]


def test_the_series_window_starts_at_since():
    watch = numeric()
    feed(watch, [(float(t), t * 10) for t in range(10)])
    times, values = watch.series(6.5)
    assert list(times) == [7.0, 8.0, 9.0] and list(values) == [70.0, 80.0, 90.0]
    assert list(watch.series(6.0)[0]) == [6.0, 7.0, 8.0, 9.0]
    assert list(watch.series(100.0)[0]) == []
    assert len(watch.series()[0]) == 10


def test_a_full_ring_overwrites_its_oldest_samples_and_stays_in_time_order():
    watch = numeric(max_samples=8)
    feed(watch, [(float(t), t) for t in range(13)])
    assert watch.stored == watch.capacity == 8
    times, values = watch.series()
    assert list(times) == [float(t) for t in range(5, 13)]
    assert list(values) == [float(t) for t in range(5, 13)]
    # Windows on either side of where the ring wraps.
    assert list(watch.series(6.5)[0]) == [7.0, 8.0, 9.0, 10.0, 11.0, 12.0]
    assert list(watch.series(11.0)[0]) == [11.0, 12.0]
    assert list(watch.series(-1.0)[0]) == list(times)


def test_the_series_returns_copies_so_the_ring_can_go_on():
    watch = numeric(max_samples=4)
    feed(watch, [(0.0, 1), (1.0, 2)])
    times, values = watch.series()
    view = memoryview(values)  # what numpy.frombuffer holds on to
    feed(watch, [(float(t), t) for t in range(2, 10)])  # appends and wraps: no BufferError
    assert list(view.tolist()) == [1.0, 2.0]
    view.release()


def test_the_series_is_sized_once_for_ten_minutes_at_the_tick_rate():
    watch = numeric()
    rate = 20  # Hz: 10 minutes are 12,000 samples
    sizes = set()
    for i in range(100_000):  # 83 minutes
        watch.add(i / rate, i % 97, "")
        sizes.add(watch.capacity)
    # One size for the first seconds, then one for 10 minutes (and a margin): no more.
    assert sizes == {FIRST_CAPACITY, watch.capacity}
    assert 12_000 * 1.1 <= watch.capacity < 12_000 * 1.15 and watch.stored == watch.capacity
    times, _ = watch.series()
    assert times[-1] - times[0] >= KEEP_SECONDS
    assert list(times) == sorted(times)


def test_the_series_grows_again_when_the_ticks_come_faster():
    watch = numeric()
    t = 0.0
    for _ in range(20_000):  # 1 Hz: sized for 660 samples
        t += 1.0
        watch.add(t, 1.0, "")
    slow = watch.capacity
    assert slow < 1000
    for _ in range(20_000):  # then 20 Hz
        t += 0.05
        watch.add(t, 2.0, "")
    assert watch.capacity > 12_000
    times, values = watch.series()
    assert list(times) == sorted(times) and times[-1] - times[0] >= KEEP_SECONDS


def test_a_fast_tick_stops_at_the_sample_limit():
    watch = numeric()
    for i in range(100_000):  # 1 kHz for 100 s: never 10 minutes, always full
        watch.add(i / 1000, float(i), "")
    assert watch.stored == watch.capacity == MAX_SAMPLES
    times, values = watch.series()
    assert values[0] == 100_000 - MAX_SAMPLES and values[-1] == 99_999


def test_csv_has_every_stored_sample_with_relative_and_wall_times(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        watch = numeric(wall_offset=1_700_000_000.0 - 50.0)  # t = 50 is 2023-11-14T22:13:20Z
        for t, value in [(50.0, 1), (50.25, 2.5), (51.0, None), (52.0005, -3)]:
            watch.add(t, value, "")
        out = io.StringIO()
        assert watch.write_csv(out) == 4
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert out.getvalue() == (
        "time_s,value,wall_time\n"
        "0.000000,1,2023-11-14T22:13:20.000+00:00\n"
        "0.250000,2.5,2023-11-14T22:13:20.250+00:00\n"
        "1.000000,,2023-11-14T22:13:21.000+00:00\n"
        "2.000500,-3,2023-11-14T22:13:22.000+00:00\n"
    )


def test_csv_times_count_from_the_first_sample_even_after_the_ring_wrapped():
    watch = numeric(max_samples=2, wall_offset=0.0)
    feed(watch, [(10.0, 1), (11.0, 2), (12.0, 3)])
    out = io.StringIO()
    watch.write_csv(out)
    assert [line.split(",")[:2] for line in out.getvalue().splitlines()[1:]] == [["1.000000", "2"], ["2.000000", "3"]]


def test_csv_writes_a_float32_as_its_shortest_text():
    watch = inspector_watch("f32 LE", 0)
    value, text = inspector_watch_value("f32 LE", struct.pack("<f", 0.1))
    watch.add(0.0, value, text)
    out = io.StringIO()
    watch.write_csv(out)
    assert out.getvalue().splitlines()[1].split(",")[1] == "0.1"  # not 0.10000000149011612


def test_every_single_number_row_of_the_inspector_is_a_watch_type():
    numbers = [name for name in ROW_NAMES if watch_type_name(name) is not None]
    assert numbers == ["u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64"]
    assert watch_type_name("u8", big_endian=True) == "u8"
    assert watch_type_name("u32", big_endian=True) == "u32 BE"
    assert watch_type_name("f64") == "f64 LE"
    for name in ("binary", "UTF-8", "UTF-16", "time u32 s", "msgpack", "nonsense"):
        assert watch_type_name(name) is None


@pytest.mark.parametrize("data", [bytes(range(1, 9)), b"\xff" * 8, struct.pack("<d", -1.5),
                                  struct.pack(">f", 3.25) + bytes(4), b"\x7f\xc0\x00\x00" * 2])
def test_watch_values_read_as_the_inspector_shows_them(data):
    rows = {row.name: row for row in inspect_bytes(data)}
    for type_name in WATCH_TYPES:
        row_name, _, order = type_name.partition(" ")
        row = rows[row_name]
        shown = row.big if order == "BE" else row.little
        _, text = inspector_watch_value(type_name, data)
        assert text == shown, type_name


def test_watch_values_are_numbers_and_missing_when_short():
    assert inspector_watch_value("u16 BE", b"\x01\x02") == (258, "258")
    assert inspector_watch_value("i8", b"\xff") == (-1, "-1")
    assert inspector_watch_value("f64 LE", struct.pack("<d", 2.5)) == (2.5, "2.5")
    assert inspector_watch_value("u32 LE", b"\x01\x02") == (None, MISSING)


def test_an_inspector_watch_knows_where_to_read_from():
    watch = inspector_watch("u32 BE", 0x40, segment="mmf1")
    assert watch.key == "mmf1:u32 BE@0x40" and watch.label == "u32 BE @ 0x40" and watch.numeric
    assert watch.source == TypedSource("u32 BE", 0x40) and watch.source.size == 4
    assert watch.source.read(b"\x00\x00\x01\x00") == (256, "256")
    with pytest.raises(ValueError):
        inspector_watch("UTF-8", 0)


def test_a_list_keeps_order_and_refuses_duplicate_keys():
    watches = WatchList()
    first = watches.add(numeric("a@0x0"))
    watches.add(numeric("b@0x4"))
    assert watches.add(numeric("a@0x0")) is first
    assert watches.keys() == ["a@0x0", "b@0x4"] and len(watches) == 2
    revision = watches.revision
    assert watches.remove("a@0x0") is first and watches.remove("a@0x0") is None
    assert watches.revision == revision + 1
    assert "a@0x0" not in watches and watches.get("b@0x4") is not None
    assert [w.key for w in watches] == ["b@0x4"]


def test_a_list_samples_what_it_is_given_and_says_what_changed():
    watches = WatchList()
    for key in ("a@0x0", "b@0x4", "c@0x8"):
        watches.add(numeric(key))
    watches.sample(1.0, {"a@0x0": (1, "1"), "b@0x4": (2, "2"), "c@0x8": (3, "3")})
    changed = watches.sample(2.0, {"a@0x0": (1, "1"), "b@0x4": (5, "5"), "gone@0x0": (0, "0")})
    assert changed == ["b@0x4"]
    assert [w.samples for w in watches] == [2, 2, 1]  # c had no reading: no sample


def test_limits_are_documented_as_ten_minutes():
    assert KEEP_SECONDS == 600
    assert MAX_SAMPLES >= 600 / 0.016  # the fastest refresh
