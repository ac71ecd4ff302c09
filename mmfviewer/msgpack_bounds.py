"""Decoding msgpack from bytes anyone may have written, in bounded memory.

msgpack's own limits (sized from the input) stop a length field from claiming more
elements or bytes than the input holds, and deep nesting from exhausting the stack.
They do not stop amplification: an empty array is one byte of msgpack and about 60
bytes of Python list, so a valid 16 MiB payload of empty arrays decodes into 1.4 GiB.

Payloads up to :data:`UNGUARDED` bytes decode in one plain call (the worst they can
cost is a few megabytes). A larger payload may hold at most one array or map per
:data:`BYTES_PER_CONTAINER` bytes; the decoder counts them as it builds them and stops
at the first one too many, so decoding never costs more than a small multiple of the
payload's size (lists and maps take at most ~5x, strings and numbers at most ~20x).
Ordinary data stays far inside: a ``{title, content}`` map takes ~35 bytes.
"""

from __future__ import annotations

from typing import Any

import msgpack

from .errors import FormatError

UNGUARDED = 64 * 1024
BYTES_PER_CONTAINER = 16


class TooManyObjectsError(FormatError):
    """A msgpack value would cost many times its size to decode."""


def unpackb(payload: bytes, **options: Any) -> Any:
    """``msgpack.unpackb(payload, **options)``, within the bound above."""
    if len(payload) <= UNGUARDED:
        return msgpack.unpackb(payload, **options)
    hook = _counter(len(payload))
    return msgpack.unpackb(payload, list_hook=hook, object_hook=hook, **options)


def unpacker(size: int, **options: Any) -> msgpack.Unpacker:
    """A ``msgpack.Unpacker`` for ``size`` bytes of input, within the bound above."""
    if size <= UNGUARDED:
        return msgpack.Unpacker(max_buffer_size=max(size, 1), **options)
    hook = _counter(size)
    return msgpack.Unpacker(max_buffer_size=size, list_hook=hook, object_hook=hook, **options)


def _counter(size: int) -> Any:
    budget = size // BYTES_PER_CONTAINER
    built = 0

    def count(obj: Any) -> Any:
        nonlocal built
        built += 1
        if built > budget:
            raise TooManyObjectsError(
                f"too many objects to decode: this {size:,}-byte msgpack value holds more than "
                f"one array or map per {BYTES_PER_CONTAINER} bytes, which would take many times "
                "its size in memory")
        return obj

    return count
