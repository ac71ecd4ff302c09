"""What ``mmfviewer bench channel`` measures ours against, and how every throughput
figure is taken.

A figure comes from a pair of spawned processes (:func:`run_pair`): the writer waits
for the reader to be ready, notes the monotonic clock (shared by all processes) and
sends; the reader reports when the last message was decoded. The transports here are
those a Python user would pick instead: multiprocessing's queue and pipe, and (the
``bench`` extra) zmq, iceoryx2 and faster-fifo; each sends the same
:func:`sample_message` and decodes every one it receives.
"""

from __future__ import annotations

import importlib.util
import multiprocessing as mp
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

import msgpack

_ctx = mp.get_context("spawn")


def sample_message(i: int) -> dict[str, str]:
    """A ``{title, content}`` message, about 30 bytes of msgpack."""
    return {"title": "News", "content": f"item {i:06d}"}


def run_pair(writer: Callable[..., None], reader: Callable[..., None],
             wargs: tuple[Any, ...], rargs: tuple[Any, ...]) -> tuple[float, int, int]:
    """Start reader and writer processes; return (msgs/s delivered, received, lost).

    Each is called with its arguments and then ``ready`` (an event the reader sets and
    the writer waits for) and ``out`` (a queue each puts its report on)."""
    ready, out = _ctx.Event(), _ctx.Queue()
    procs = [_ctx.Process(target=reader, args=(*rargs, ready, out)),
             _ctx.Process(target=writer, args=(*wargs, ready, out))]
    for p in procs:
        p.start()
    results = {}
    try:
        for _ in procs:
            item = out.get(timeout=300)
            results[item[0]] = item[1:]
    finally:
        for p in procs:
            p.join(30)
            if p.is_alive():
                p.kill()
    (t0,) = results["writer"]
    t1, received, lost = results["reader"]
    return received / (t1 - t0), received, lost


# ---------------------------------------------------------------------- workers

def _queue_writer(q: Any, n: int, ready: Any, out: Any) -> None:
    messages = [sample_message(i) for i in range(n)]
    ready.wait()
    t0 = time.perf_counter()
    for m in messages:
        q.put(m)
    out.put(("writer", t0))


def _queue_reader(q: Any, n: int, ready: Any, out: Any) -> None:
    ready.set()
    for _ in range(n):
        q.get()  # unpickling is the decode
    out.put(("reader", time.perf_counter(), n, 0))


def _send_packed(send: Callable[[bytes], Any], n: int, ready: Any, out: Any) -> None:
    """The peers' writer: msgpack each sample message and hand it to ``send``."""
    messages = [sample_message(i) for i in range(n)]
    ready.wait()
    t0 = time.perf_counter()
    packb = msgpack.packb
    for m in messages:
        send(packb(m))
    out.put(("writer", t0))


def _receive_packed(recv: Callable[[], bytes], n: int, out: Any) -> None:
    """The peers' reader: take ``n`` payloads from ``recv`` and decode each."""
    unpackb = msgpack.unpackb
    for _ in range(n):
        unpackb(recv())
    out.put(("reader", time.perf_counter(), n, 0))


def _pipe_writer(conn: Any, n: int, ready: Any, out: Any) -> None:
    _send_packed(conn.send_bytes, n, ready, out)


def _pipe_reader(conn: Any, n: int, ready: Any, out: Any) -> None:
    ready.set()
    _receive_packed(conn.recv_bytes, n, out)


def _zmq_writer(address: str, n: int, ready: Any, out: Any) -> None:
    import zmq
    sock: Any = zmq.Context.instance().socket(zmq.PUSH)
    sock.connect(address)
    _send_packed(sock.send, n, ready, out)
    sock.close(linger=-1)


def _zmq_reader(address: str, n: int, ready: Any, out: Any) -> None:
    import zmq
    sock: Any = zmq.Context.instance().socket(zmq.PULL)
    sock.bind(address)
    ready.set()
    _receive_packed(sock.recv, n, out)
    sock.close()


def _iceoryx2_service(name: str) -> tuple[Any, Any]:
    import ctypes

    import iceoryx2 as iox2
    iox2.set_log_level(iox2.LogLevel.Error)
    node = iox2.NodeBuilder.new().create(iox2.ServiceType.Ipc)
    # Delivery with back-pressure (as the queues and pipes here), never overwriting
    # what the subscriber has not taken yet.
    service = (node.service_builder(iox2.ServiceName.new(name))
               .publish_subscribe(iox2.Slice[ctypes.c_uint8])
               .enable_safe_overflow(False).subscriber_max_buffer_size(4096).open_or_create())
    return node, service


def _iceoryx2_writer(name: str, n: int, ready: Any, out: Any) -> None:
    import ctypes

    import iceoryx2 as iox2
    node, service = _iceoryx2_service(name)
    publisher = (service.publisher_builder().initial_max_slice_len(256)
                 .backpressure_strategy(iox2.BackpressureStrategy.RetryUntilDelivered).create())
    memmove = ctypes.memmove

    def send(data: bytes) -> None:
        sample = publisher.loan_slice_uninit(len(data))
        memmove(sample.payload().as_ptr(), data, len(data))
        sample.assume_init().send()

    _send_packed(send, n, ready, out)
    time.sleep(0.5)  # the service lives while the reader drains it


def _iceoryx2_reader(name: str, n: int, ready: Any, out: Any) -> None:
    node, service = _iceoryx2_service(name)
    subscriber = service.subscriber_builder().buffer_size(4096).create()
    ready.set()

    def recv() -> bytes:
        while True:
            sample = subscriber.receive()
            if sample is not None:
                return bytes(sample.payload().as_memory_view())  # the sample goes back

    _receive_packed(recv, n, out)


def _fifo_writer(q: Any, n: int, ready: Any, out: Any) -> None:
    messages = [sample_message(i) for i in range(n)]
    ready.wait()
    t0 = time.perf_counter()
    for m in messages:
        q.put(m, timeout=60)
    out.put(("writer", t0))


def _fifo_reader(q: Any, n: int, ready: Any, out: Any) -> None:
    ready.set()
    got = 0
    while got < n:  # taking many at a time is how faster-fifo is meant to be read
        got += len(q.get_many(timeout=60, max_messages_to_get=1000))  # unpickling is the decode
    out.put(("reader", time.perf_counter(), got, 0))


# ---------------------------------------------------------------------- the transports
# Each returns (msgs/s delivered, received, lost), or None when its package is not
# installed (the "bench" extra).

def throughput_queue(n: int) -> tuple[float, int, int]:
    """Through a ``multiprocessing`` queue (pickled)."""
    q = _ctx.Queue()
    return run_pair(_queue_writer, _queue_reader, (q, n), (q, n))


def throughput_pipe(n: int) -> tuple[float, int, int]:
    """Through a ``multiprocessing`` pipe, msgpack-encoded."""
    a, b = _ctx.Pipe(duplex=False)
    return run_pair(_pipe_writer, _pipe_reader, (b, n), (a, n))


def throughput_zmq(n: int) -> tuple[float, int, int] | None:
    """Through a zmq PUSH/PULL pair over an IPC socket, msgpack-encoded."""
    if importlib.util.find_spec("zmq") is None:
        return None  # the peer is optional (the "bench" extra)
    address = f"ipc:///tmp/mmfv-bench-{uuid.uuid4().hex[:8]}"
    try:
        return run_pair(_zmq_writer, _zmq_reader, (address, n), (address, n))
    finally:
        try:
            os.unlink(address.removeprefix("ipc://"))
        except FileNotFoundError:
            pass


def throughput_iceoryx2(n: int) -> tuple[float, int, int] | None:
    """Through iceoryx2's shared-memory publish/subscribe, msgpack-encoded."""
    if importlib.util.find_spec("iceoryx2") is None:
        return None
    name = f"mmfv-bench-{uuid.uuid4().hex[:8]}"
    return run_pair(_iceoryx2_writer, _iceoryx2_reader, (name, n), (name, n))


def throughput_faster_fifo(n: int) -> tuple[float, int, int] | None:
    """Through a faster-fifo queue (pickled, taken many at a time)."""
    if importlib.util.find_spec("faster_fifo") is None:
        return None
    import faster_fifo_reduction  # noqa: F401  (lets the queue travel to spawned processes)
    from faster_fifo import Queue
    q = Queue(max_size_bytes=16 << 20)
    return run_pair(_fifo_writer, _fifo_reader, (q, n), (q, n))
