#!/usr/bin/env python3
"""Fuzz mmfviewer's read paths with hostile shared-memory segments.

For each case ``i`` in ``range(--count)`` this script builds one segment named
``fuzz-<seed>-<i>`` in /dev/shm, deterministically from ``(--seed, i)`` (the same
seed and index always give the same bytes), runs three real mmfviewer commands on
it, each in its own process with a timeout, and removes the segment again:

* ``python -m mmfviewer info NAME``
* ``python -m mmfviewer listen NAME --from-start --timeout 1 --count 1000``
  (``--json`` on about half the cases)
* ``python -m mmfviewer gui NAME --screenshot OUT/shot-<i>.png --ticks 3``
  (with ``QT_QPA_PLATFORM=offscreen``)

Segments come from five families:

``channel``
    a valid channel made with :class:`mmfviewer.channel.Channel` (various lane
    counts and sizes, messages, text, bytes and ``send_many`` batches, rings that
    wrapped), then mutated: segment-header and lane-header fields set to edge
    values, consistent but lying dimensions, owner names with control characters
    or invalid UTF-8, record headers and payloads changed (with and without a
    fixed-up CRC), hostile msgpack records appended with a valid CRC, bit flips,
    byte overwrites, truncation, growth with garbage.
``mailbox``
    one msgpack value at offset 0: nested, large, nested near and past msgpack's
    1024 levels, maps with non-string keys, ext types, decompression-bomb-like
    arrays of millions of empty arrays/maps/nils/ints; then mutated or truncated.
``dotnet``
    .NET BinaryFormatter (MS-NRBF) streams: from :func:`mmfviewer.nrbf_encode.encode_object`
    and hand-built ones (reference cycles, dangling ids, huge arrays, deep nesting,
    edge-case primitives); then length fields set huge, ids pointed anywhere, bits
    flipped, truncated.
``shareable-list``
    a real :class:`multiprocessing.shared_memory.ShareableList` (its bytes copied
    into our segment, the original unlinked at once), then its count, slot table,
    formats, codes or data mutated.
``raw``
    random bytes, all zeros, all 0xFF, text with control characters and terminal
    escape sequences, bytes that start like another layout; 0 bytes to 64 MiB
    (large ones sparse).

A run *fails* when the process dies by a signal, hangs (hits the timeout), prints
"Traceback" on stderr, or its peak RSS (``ru_maxrss`` from ``os.wait4``) exceeds
the limit (200 MiB). Commands are started and reaped by a small helper process
(:class:`Spawner`): a child's ``ru_maxrss`` starts from its parent's peak, and this
script's own peak (it builds 64 MiB segments) would otherwise be counted. Exit
status 1 or 2 with a one-line error is a user error, not a failure. Raw terminal
control bytes in stdout are reported separately (a terminal-injection risk, not a
failure by the rules above).

Outputs in ``--out``: ``results.jsonl`` (one line per case, written as it goes),
``summary.json`` and ``summary.txt`` (per-command table, failing cases, samples of
the one-line error messages), ``case-<i>-<family>.bin`` (the bytes of every
failing segment, with ``.json`` describing how it was made) and the stdout/stderr
of failing runs. Every segment made is removed, also on Ctrl+C or SIGTERM; a segment
that already has a case's name is left alone and the case skipped. Each case records
the commit of the checkout it ran against (the summary warns if it changed).
Generation is byte-for-byte deterministic: channels are built with a made-up clock
and pid.

Reproduce one case: ``fuzz_segments.py --seed N --only I --keep`` leaves
``fuzz-N-I`` in /dev/shm; or copy ``case-I-*.bin`` to /dev/shm/NAME.

Usage: ``python scripts/fuzz_segments.py --count 500 --seed 1 --out /tmp/fuzz/run1 --jobs 2``
"""

from __future__ import annotations

import sys

# Run as a script, this file's folder is on sys.path, so the package beside it imports from any cwd.
from fuzz.main import main

if __name__ == "__main__":
    sys.exit(main(__doc__ or ""))
