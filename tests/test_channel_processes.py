"""The message channel between processes: writers' messages reach a reader complete and
in order, or counted as lost when it is lapped; readers started mid-stream count no false
loss; a writer killed mid-record leaves no partial message and its lane to an heir."""

from __future__ import annotations

import signal
import time

from mmfviewer.channel import Channel
from mmfviewer.message import Message

from .channel_helpers import die_mid_record, drain, spawn, start_writers


def test_four_writer_processes_reach_one_reader_complete_and_in_order(shm_name):
    writers, per_writer = 4, 20_000
    with Channel.create(shm_name, lanes=8, lane_size=1 << 20) as ch:
        reader = ch.reader()
        procs, *_keep = start_writers(shm_name, writers, per_writer)
        msgs = drain(reader, writers * per_writer, timeout=120)
        for p in procs:
            p.join(60)
    # Each lane holds all of its writer's 20,000 records, so nothing can be lapped.
    assert reader.lost == 0 and reader.corrupt == 0
    by_writer: dict[int, list[int]] = {}
    for m in msgs:
        tag, i = m.value
        by_writer.setdefault(tag, []).append(i)
    assert by_writer == {t: list(range(per_writer)) for t in range(writers)}


def test_readers_started_while_writers_commit_count_no_false_loss_or_corruption(shm_name):
    # A reader starting "now" must learn the next sequence number of each lane. The
    # writer commits ``tail`` and then ``message_count``; a reader that paired one
    # with the other caught them a record apart: a good record counted corrupt (and
    # the rest of the lane skipped as lost), or a false "lost 1". Either shows at the
    # first records a reader gets, so each reader is checked that far, then the next
    # one starts: hundreds of starts while the writers commit.
    writers, limit = 4, 300_000  # at most 12 MB a lane: nothing is lapped
    with Channel.create(shm_name, lanes=writers, lane_size=16 << 20) as ch:
        stop = spawn.Event()
        procs, *_keep = start_writers(shm_name, writers, limit, stop)
        started = started_mid_stream = 0
        while started < 300 and any(p.is_alive() for p in procs):
            reader = ch.reader()
            dated = list(reader._seq)  # what the reader learnt, at its start, comes next
            started += 1
            first: dict[int, int] = {}
            last: dict[int, int] = {}
            for _ in range(20):
                for m in reader.wait(0.05):
                    first.setdefault(m.lane, m.seq)
                    assert m.seq == last.get(m.lane, m.seq - 1) + 1  # in order, none skipped
                    last[m.lane] = m.seq
                if len(first) == writers:
                    break
            assert (reader.lost, reader.corrupt) == (0, 0)
            assert all(dated[lane] == seq for lane, seq in first.items()), (dated, first)
            started_mid_stream += sum(seq > 0 for seq in first.values())
        stop.set()
        for p in procs:
            p.join(60)
    assert started_mid_stream > 0  # the race was there to be lost


def test_a_slow_reader_is_lapped_and_counts_exactly_what_it_lost(shm_name):
    writers, per_writer = 4, 20_000
    with Channel.create(shm_name, lanes=4, lane_size=4096) as ch:  # tiny rings: lapping is certain
        reader = ch.reader()
        procs, *_keep = start_writers(shm_name, writers, per_writer)
        msgs: list[Message] = []
        while any(p.is_alive() for p in procs):
            msgs.extend(reader.poll())
            time.sleep(0.002)  # the slow part
        for p in procs:
            p.join(60)
        msgs.extend(reader.poll())
    assert reader.lost > 0
    assert len(msgs) + reader.lost == writers * per_writer
    seen: dict[int, list[int]] = {}
    for m in msgs:
        tag, i = m.value
        seen.setdefault(tag, []).append(i)
    assert all(v == sorted(set(v)) for v in seen.values())


def test_a_writer_killed_mid_record_leaves_no_partial_message_and_its_lane_is_reusable(shm_name):
    with Channel.create(shm_name, lanes=2, lane_size=4096) as ch:
        reader = ch.reader()
        ready = spawn.Queue()
        child = spawn.Process(target=die_mid_record, args=(shm_name, ready))
        child.start()
        dead_lane = ready.get(timeout=30)
        child.join(30)
        assert child.exitcode == -signal.SIGKILL
        assert [m.value for m in reader.poll()] == ["one", "two"]
        assert not ch.lane_is_claimed(dead_lane)
        with ch.writer("heir") as heir:
            assert heir.lane == dead_lane
            heir.send("three")
            msgs = reader.poll()
            assert [(m.lane, m.seq, m.value) for m in msgs] == [(dead_lane, 2, "three")]
            assert reader.senders[msgs[0].pid] == "heir"
            with ch.writer("other") as other:  # the other lanes go on too
                other.send("elsewhere")
            assert [(m.lane, m.value) for m in reader.poll()] == [(1 - dead_lane, "elsewhere")]
        assert reader.lost == 0 and reader.corrupt == 0
