"""Property tests: the ring against a plain reference model, and garbage against the
decoders. Every example runs on a real named segment."""

from __future__ import annotations

import struct
from collections import deque

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mmfviewer import wire
from mmfviewer.channel import Channel
from mmfviewer.codec import Layout, detect_layout
from mmfviewer.errors import FormatError
from mmfviewer.segment import Segment

CAPACITY = 1024
SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

values = st.one_of(
    st.integers(-2**63, 2**64 - 1), st.text(max_size=40), st.binary(max_size=120),
    st.lists(st.integers(0, 1000), max_size=20),
    st.dictionaries(st.text(max_size=3), st.text(max_size=8), max_size=4),
)
# Polls are rarer than sends, so that many examples overrun the ring between polls.
operations = st.lists(st.one_of(
    st.tuples(st.just("send"), values),
    st.tuples(st.just("send"), values),
    st.tuples(st.just("many"), st.lists(values, min_size=1, max_size=40)),
    st.tuples(st.just("poll"), st.none()),
), max_size=150)


def _size(value) -> int:
    import msgpack
    return wire.record_size(len(msgpack.packb(value, use_bin_type=True)))


@SETTINGS
@given(ops=operations)
@example(ops=[("many", ["x" * 40] * 40)] * 3 + [("poll", None), ("send", 1), ("poll", None)])
@example(ops=[("send", "y" * 100)] * 30 + [("poll", None)])
def test_the_ring_agrees_with_a_plain_deque(shm_name, ops):
    """Every message received is the next one sent that the reader did not lose;
    nothing is lost while the reader keeps within half a ring; received + lost ==
    sent at the end."""
    segment = Segment.create_or_open(shm_name, wire.segment_size(1, CAPACITY))
    with Channel.format(segment, lanes=1, lane_size=CAPACITY) as ch, ch.writer() as w:
        reader = ch.reader()
        model: deque[tuple[int, object]] = deque()  # (seq, value) sent, not yet received
        sent = received = 0
        unread_bytes = 0

        def poll() -> None:
            nonlocal received, unread_bytes
            lost_before = reader.lost
            for msg in reader.poll():
                while model and model[0][0] < msg.seq:
                    model.popleft()  # counted in reader.lost
                seq, value = model.popleft()
                assert (msg.seq, msg.value) == (seq, value)
                received += 1
            if unread_bytes <= CAPACITY // 2:
                assert reader.lost == lost_before
            model.clear()  # whatever was not received now is lost for good
            unread_bytes = 0

        for op, arg in ops:
            if op == "send":
                model.append((w.send(arg), arg))
                sent += 1
                unread_bytes += _size(arg)
            elif op == "many":
                first = w.next_seq
                w.send_many(arg)
                model.extend((first + i, v) for i, v in enumerate(arg))
                sent += len(arg)
                unread_bytes += sum(_size(v) for v in arg)
            else:
                poll()
        poll()
        assert received + reader.lost == sent
        laps.append(reader.lost > 0)


laps: list[bool] = []


def test_the_model_test_did_overrun_the_ring():
    """Guard against a model test that never exercises lapping (it runs just before)."""
    assert laps and any(laps) and not all(laps)


@SETTINGS
@given(data=st.binary(min_size=0, max_size=4096))
def test_random_bytes_never_break_layout_detection(shm_name, data):
    assert detect_layout(data) in set(Layout)
    with Segment.create_or_open(shm_name, 4096) as seg:
        seg.write(0, data + bytes(4096 - len(data)))
        assert detect_layout(seg) in set(Layout)


@SETTINGS
@given(garbage=st.binary(min_size=wire.LANE_HEADER_SIZE + CAPACITY, max_size=wire.LANE_HEADER_SIZE + CAPACITY),
       reads=st.integers(1, 4))
def test_a_reader_over_garbage_never_crashes_and_returns_only_checked_records(shm_name, garbage, reads):
    """A valid segment header over random lanes: polling may find nothing, or
    records whose CRC happens to hold, but never raises, hangs or allocates wildly."""
    segment = Segment.create_or_open(shm_name, wire.segment_size(1, CAPACITY))
    with Channel.format(segment, lanes=1, lane_size=CAPACITY) as ch:
        reader = ch.reader(start="oldest")
        ch.segment.buf[wire.SEGMENT_HEADER_SIZE:wire.SEGMENT_HEADER_SIZE + len(garbage)] = garbage
        for _ in range(reads):
            for msg in reader.poll():
                assert len(msg.payload) <= ch.max_payload
                try:
                    _ = msg.value
                except FormatError:
                    pass


@SETTINGS
@given(header=st.binary(min_size=wire.SEGMENT_HEADER_SIZE, max_size=wire.SEGMENT_HEADER_SIZE),
       keep_magic=st.booleans())
def test_a_garbage_segment_header_is_a_format_error_or_a_valid_channel(shm_name, header, keep_magic):
    if keep_magic:
        header = wire.MAGIC + struct.pack("<H", wire.VERSION) + header[10:]
    with Segment.create_or_open(shm_name, wire.segment_size(1, CAPACITY)) as seg:
        seg.write(0, header)
    try:
        Channel.open(shm_name, timeout=0).close()
    except FormatError:
        pass
