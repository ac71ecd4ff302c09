"""Decoding a valid msgpack value never costs more than a small multiple of its size."""

from __future__ import annotations

import json
import struct
import textwrap
import tracemalloc

import msgpack
import pytest

from mmfviewer import wire
from mmfviewer.channel import Channel
from mmfviewer.codec import Layout, read_value
from mmfviewer.errors import FormatError
from mmfviewer.message import decode_msgpack
from mmfviewer.msgpack_bounds import UNGUARDED, TooManyObjectsError, unpackb
from mmfviewer.segment import Segment

from .conftest import run_python

MIB = 1 << 20


def empty_arrays(n: int) -> bytes:
    """One valid msgpack array of ``n`` empty arrays: ``n + 5`` bytes."""
    return b"\xdd" + struct.pack(">I", n) + b"\x90" * n


def empty_maps(n: int) -> bytes:
    """One valid msgpack array of ``n`` empty maps."""
    return b"\xdd" + struct.pack(">I", n) + b"\x80" * n


def peak_bytes_decoding(payload: bytes) -> tuple[int, Exception | None]:
    tracemalloc.start()
    try:
        decode_msgpack(payload)
        error = None
    except FormatError as err:
        error = err
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, error


@pytest.mark.parametrize("bomb", [empty_arrays, empty_maps], ids=["empty-arrays", "empty-maps"])
def test_a_container_bomb_is_refused_within_a_small_multiple_of_its_size(bomb):
    payload = bomb(16 * MIB)
    peak, error = peak_bytes_decoding(payload)
    assert isinstance(error, TooManyObjectsError)
    assert "too many objects to decode" in str(error)
    assert peak < 8 * len(payload)  # unbounded, this took 1.4 GiB (86x)


def test_ordinary_large_values_still_decode():
    messages = [{"title": "News", "content": f"item {i:06d}"} for i in range(20_000)]
    points = [[i * 0.5, i * 0.25] for i in range(20_000)]
    for value in (messages, points, list(range(100_000)), "x" * MIB, b"\0" * MIB):
        payload = msgpack.packb(value, use_bin_type=True)
        assert len(payload) > UNGUARDED
        assert decode_msgpack(payload) == value


def test_small_values_decode_unguarded_whatever_they_hold():
    payload = empty_arrays(UNGUARDED - 5)
    assert len(decode_msgpack(payload)) == UNGUARDED - 5
    with pytest.raises(TooManyObjectsError):
        unpackb(empty_arrays(UNGUARDED))  # one byte more than that is guarded


def test_a_bomb_in_a_channel_is_an_unreadable_message_and_listen_goes_on(shm_name):
    bomb = empty_arrays(16 * MIB)
    with Channel.create(shm_name, lanes=1, lane_size=128 * MIB) as ch, ch.writer("bomber") as w:
        w._append(bomb, wire.TYPE_MSGPACK, 1, True)  # a valid record whose value is a bomb
        w.send({"after": "the bomb"})
    script = textwrap.dedent(f"""
        import sys
        from mmfviewer.cli import main
        status = main(["listen", {shm_name!r}, "--from-start", "--json", "--count", "2"])
        # VmHWM: this process's own peak (ru_maxrss counts the forking parent's too)
        print([l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1], file=sys.stderr)
        sys.exit(status)
    """)
    proc = run_python("-c", script, timeout=120)
    assert proc.returncode == 0, proc.stderr
    first, second = (json.loads(line) for line in proc.stdout.splitlines())
    assert "too many objects to decode" in first["error"]
    assert second["value"] == {"after": "the bomb"}
    peak_kib = int(proc.stderr.split()[-1])
    assert peak_kib < 400 * 1024  # Python, the 16 MiB record, its copies: not 1.4 GiB


def test_a_bomb_in_a_batch_splits_into_messages_that_each_decode(shm_name):
    small_bomb = empty_arrays(60_000)  # each under the unguarded size, the batch over it
    with Channel.create(shm_name, lanes=1, lane_size=4 * MIB) as ch, ch.writer("batcher") as w:
        w.send_many([list(range(3)), msgpack.unpackb(small_bomb), "last"])
        messages = ch.reader("oldest").poll()
    assert [m.seq for m in messages] == [0, 1, 2]
    assert messages[0].value == [0, 1, 2] and messages[2].value == "last"
    assert len(messages[1].value) == 60_000


def test_a_mailbox_holding_a_bomb_reads_as_a_clear_error(shm_name):
    bomb = empty_arrays(4 * MIB)
    with Segment.create(shm_name, len(bomb) + 64) as seg:
        seg.write(0, bomb)
        with pytest.raises(TooManyObjectsError, match="too many objects to decode"):
            read_value(seg, Layout.MAILBOX)
