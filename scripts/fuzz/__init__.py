"""The segment fuzzer that scripts/fuzz_segments.py runs; its docstring says what it does.

One module a job: the bytes every family shares (``mutations``), each family's
hostile segments (``channels``, ``msgpack_bytes``, ``dotnet_bytes``,
``shareable_lists``, and raw bytes in ``generate``, which picks a family by seed
and index), the commands run against them (``spawner``, ``runner``), what a run
found (``report``) and the command line (``main``).
"""

from __future__ import annotations

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Segments are built with this checkout's own writer and encoders, whether or not it is installed.
if REPO not in sys.path:
    sys.path.insert(0, REPO)
