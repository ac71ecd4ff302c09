"""Consistent reads of a structure that a real C program keeps changing.

The writer (tests/c/state_writer.c) works every field of its ``struct state`` out of
one counter, so a read whose fields disagree was torn. It updates about 10,000 times a
second, storing one field at a time with a pause between stores, so a reader that
ignores its seqlock often catches an update half done.
"""

from __future__ import annotations

import struct
import time

import pytest

from mmfviewer.c_header import read_header
from mmfviewer.segment import Segment
from mmfviewer.struct_fields import FieldTable
from mmfviewer.struct_reads import StructReader, sequence_candidates

from .c_programs import (
    DERIVED,
    STATE_HEADER,
    STATE_SIZE,
    agrees,
    build_state_writer,
    implied_counters,
    running_writer,
)


@pytest.fixture(scope="module")
def state_writer(tmp_path_factory):
    return build_state_writer(tmp_path_factory.mktemp("c"))


@pytest.fixture(scope="module")
def state_table():
    return FieldTable(read_header(STATE_HEADER.read_text(), "state.h").resolve("state"))


def by_path(table, values):
    return {table.rows[row].path: value for row, value in zip(table.leaves, values, strict=True)}


def test_the_header_lays_the_state_out_as_gcc_does(state_table):
    assert state_table.span == STATE_SIZE
    assert {f.path: f.offset for f in state_table.rows if f.is_leaf} == {
        "seq": 0, "pad": 4, "counter": 8, "counter_f": 16, "counter_neg": 24, "text": 28, "counter_lo": 52}


def test_with_the_seqlock_every_read_is_consistent_or_flagged_torn(state_writer, state_table, shm_name):
    with Segment.create(shm_name, 4096) as seg, running_writer(state_writer, shm_name, "seqlock"):
        reader = StructReader(seg, state_table, 0, sequence="seq")
        counters, took = [], []
        for _ in range(1000):
            start = time.perf_counter()
            got = reader.read()
            took.append(time.perf_counter() - start)
            if got.torn:
                continue
            values = by_path(state_table, got.values)
            assert agrees(values), values
            assert got.sequence == values["seq"] == 2 * values["counter"]  # even: one update, +2
            assert not got.unstable
            counters.append(values["counter"])
        # Unprotected, the same writer is caught mid-update: the seqlock is what kept
        # every read above whole.
        plain = StructReader(seg, state_table, 0)
        deadline = time.monotonic() + 20
        torn_without = 0
        while torn_without < 5 and time.monotonic() < deadline:
            torn_without += not agrees(by_path(state_table, plain.read().values))
    assert reader.reads == 1000
    assert reader.retries + reader.torn > 0, "the writer never overlapped a read: make its update slower"
    assert counters == sorted(counters) and counters[-1] > counters[0]  # it was writing all along
    assert torn_without == 5
    took.sort()
    print(f"\n1000 seqlock reads at 10 kHz: {reader.retries} retries, {reader.torn} torn; "
          f"median {took[500] * 1e6:.1f} us, slowest {took[-1] * 1e6:.0f} us")


def test_without_a_sequence_field_fields_caught_changing_are_flagged_unstable(state_writer, state_table,
                                                                               shm_name):
    with Segment.create(shm_name, 4096) as seg:
        reader = StructReader(seg, state_table, 0)
        quickest = min(_duration_ns(seg.read, 0, STATE_SIZE) for _ in range(2000))
        # A quick writer: an update is over before the reader's second copy starts (a
        # whole pread after the first), so a copy that caught an update half done is
        # told apart from the copy before it. An update that lasts longer than that
        # can leave both copies torn alike, which only a sequence field can tell: the
        # writer counts such slow updates (stopped midway by the scheduler), and only
        # those may get past. Short updates are seldom caught half done, so there are
        # more of them: 50,000 a second.
        with running_writer(state_writer, shm_name, "plain", gap_ns=30, hz=50_000,
                            slow_ns=quickest // 2) as writer:
            names = [state_table.rows[row].path for row in state_table.leaves]
            reads = unstable_reads = torn_reads = 0
            missed: set[int] = set()  # the updates (their counters) that got past
            deadline = time.monotonic() + 30
            while (reads < 20_000 or unstable_reads < 10) and time.monotonic() < deadline:
                got = reader.read()
                reads += 1
                values = by_path(state_table, got.values)
                flagged = {names[n] for n in got.unstable}
                assert flagged <= set(DERIVED), flagged  # seq and pad never change here
                said = implied_counters(values)
                # The fields not flagged all say the same counter: a disagreement has
                # a flagged side.
                if len({repr(said[name]) for name in DERIVED if name not in flagged}) > 1:
                    missed.add(max(v for v in said.values() if isinstance(v, int)))
                unstable_reads += bool(got.unstable)
                torn_reads += not agrees(values)
    assert unstable_reads >= 10
    assert len(missed) <= writer.slow, f"{len(missed)} updates got past unflagged; {writer.slow} were slow"
    assert reader.torn == reader.retries == 0
    print(f"\n{reads} double reads of a plain writer: {unstable_reads} with fields flagged unstable, "
          f"{torn_reads} torn, {len(missed)} updates caught torn with no field flagged ({writer.slow} of "
          f"{writer.updates} updates took over {quickest // 2} ns)")


def _duration_ns(call, *args):
    start = time.perf_counter_ns()
    call(*args)
    return time.perf_counter_ns() - start


def test_a_writer_that_died_mid_update_gives_torn_reads_within_the_budget_never_a_hang(state_writer, state_table,
                                                                                          shm_name):
    with Segment.create(shm_name, 4096) as seg, running_writer(state_writer, shm_name, "stuck", start=77):
        reader = StructReader(seg, state_table, 0, sequence="seq", budget_s=0.002)
        took = []
        for _ in range(50):
            start = time.perf_counter()
            got = reader.read()
            took.append(time.perf_counter() - start)
            assert got.torn and got.sequence is None and got.attempts >= 2
            assert by_path(state_table, got.values)["counter"] == 77  # what is there, still shown
    assert reader.torn == reader.reads == 50
    assert reader.retries >= 50  # every read tried again at least once
    took.sort()
    assert took[25] < 0.02 and took[-1] < 0.5, took  # 2 ms of trying, with room for a busy machine


HEADER = """
#include <stdint.h>
struct slot { uint64_t seq; float temp; uint8_t flags : 3; uint8_t ok; };
struct rec { uint16_t seq; double d; char name[8]; };
"""


@pytest.fixture(scope="module")
def decls():
    return read_header(HEADER, "slots.h")


@pytest.mark.parametrize(("path", "why"), [
    ("nope", "there is no such field"), ("temp", "float, not an integer"), ("flags", "a bitfield"),
    ("", "there is no such field")])
def test_a_sequence_field_must_be_a_whole_integer_and_the_error_names_those_that_are(decls, path, why, shm_name):
    table = FieldTable(decls.resolve("slot"))
    with Segment.create(shm_name, 64) as seg, pytest.raises(ValueError, match=why) as err:
        StructReader(seg, table, 0, sequence=path)
    assert "integer fields that can: seq, ok" in str(err.value)


def test_an_array_checks_every_elements_own_sequence(decls, shm_name):
    table = FieldTable(decls.resolve("slot"), count=3)
    assert sequence_candidates(table) == ["seq", "ok"]
    with Segment.create(shm_name, 4096) as seg:
        for i in range(3):
            seg.write(i * 16, struct.pack("<Qf", 10 * (i + 1), i + 0.5))
        reader = StructReader(seg, table, 0, sequence="seq")
        assert reader.sequence_words == 3
        got = reader.read()
        assert not got.torn and got.sequence == 10 and got.attempts == 1
        assert by_path(table, got.values)["[2].temp"] == 2.5
        seg.write(32, struct.pack("<Q", 31))  # the last element's writer is mid-update
        got = reader.read()
        assert got.torn and got.attempts >= 2
        assert StructReader(seg, table, 0, sequence="[0].seq").read().torn  # the same field, named from [0]
    assert (reader.reads, reader.torn) == (2, 1)


def test_a_segment_shorter_than_the_structure_reads_what_is_there(decls, shm_name):
    table = FieldTable(decls.resolve("rec"))  # 24 bytes
    with Segment.create(shm_name, 12) as seg:
        seg.write(0, struct.pack("<H6xd", 4, 1.25)[:12])
        got = StructReader(seg, table, 0, sequence="seq").read()
        assert not got.torn and got.sequence == 4 and len(got.data) == 12
        assert by_path(table, got.values) == {"seq": 4, "d": None, "name": None}
        past_the_end = StructReader(seg, table, 100, sequence="seq").read()
        assert past_the_end.data == b"" and past_the_end.values == [None, None, None]
        assert not past_the_end.torn and past_the_end.sequence is None
        twice = StructReader(seg, table, 4).read()
        assert not twice.unstable and twice.attempts == 2 and len(twice.data) == 8
