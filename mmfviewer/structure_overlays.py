"""Structure overlays: a C type applied at an offset of a segment, read live.

An overlay is what a user applies ("struct sample at 0x40", or "32 of struct slot
at 0x1000, 64 bytes apart"); :class:`OverlaySpec` is what is saved of it, per segment
name, in the user's configuration directory (:class:`OverlayStore`), with the C
header's text, so that it comes back when the segment is opened again.

:class:`LiveOverlay` is an applied overlay in an open segment: each tick it reads the
structure consistently (:class:`~mmfviewer.struct_reads.StructReader`: under the
writer's sequence lock when the user named one, else twice to see what is unstable)
and stamps which fields changed, so the dock can light them and fade them like bytes.
An overlay reads its own bytes rather than the tick's one read of the rows: checking
that a read was not torn takes reading again.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote

from .c_header import Declarations, HeaderError, read_header
from .segment import Segment
from .struct_fields import MAX_LIVE_BYTES, FieldTable, span_of
from .struct_reads import StructRead, StructReader, same_value

#: A saved overlay file bigger than this is not read (headers are small).
MAX_STORE_BYTES = 4 << 20
#: Overlays per segment.
MAX_OVERLAYS = 64
#: All of a segment's overlays are read every tick: together no more than this.
MAX_OVERLAYS_BYTES = 16 << 20
#: With a sequence field, every element's counter is checked at each read: at most
#: this many elements.
MAX_SEQUENCED_ELEMENTS = 1 << 16


@dataclass(frozen=True)
class OverlaySpec:
    """An overlay as the user applied it."""

    #: The C header's text, and the name it came under ("sensors.h").
    header: str
    header_name: str
    #: The type, as the user picked it ("struct sample", "sample_t").
    type_name: str
    offset: int
    #: How many of the type, and how far apart (0: its size).
    count: int = 1
    stride: int = 0
    #: The writer's sequence-lock field ("" if it has none).
    sequence: str = ""

    @property
    def label(self) -> str:
        """"struct sample @ 0x40", "[32] struct slot @ 0x1000"."""
        many = f"[{self.count}] " if self.count > 1 else ""
        return f"{many}{self.type_name} @ 0x{self.offset:x}"

    @classmethod
    def from_json(cls, item: object) -> OverlaySpec:
        """An overlay from a saved JSON object (ValueError if it is not one)."""
        if not isinstance(item, dict):
            raise ValueError("not an object")
        fields = {"header": str, "header_name": str, "type_name": str, "offset": int,
                  "count": int, "stride": int, "sequence": str}
        values: dict[str, object] = {}
        for key, kind in fields.items():
            if key in item:
                if not isinstance(item[key], kind) or isinstance(item[key], bool):
                    raise ValueError(f"{key} is not a {kind.__name__}")
                values[key] = item[key]
        spec = cls(**values)  # type: ignore[arg-type]
        spec.check()
        return spec

    def check(self) -> None:
        """ValueError when the numbers cannot describe an overlay."""
        if not (0 <= self.offset < 1 << 62 and 1 <= self.count <= 1 << 24 and 0 <= self.stride < 1 << 32):
            raise ValueError(f"offset {self.offset}, count {self.count}, stride {self.stride} "
                             "do not describe an overlay")
        if self.sequence and self.count > MAX_SEQUENCED_ELEMENTS:
            raise ValueError(f"with a sequence field, at most {MAX_SEQUENCED_ELEMENTS} elements are checked "
                             "at each read")


class OverlayStore:
    """Overlays saved per segment name, one JSON file per name."""

    def __init__(self, directory: Path | None = None) -> None:
        if directory is None:
            base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
            directory = Path(base) / "mmfviewer" / "structures"
        self.directory = directory

    def path_for(self, segment_name: str) -> Path:
        # Names are anyone's (hostile bytes included): the file name is the name quoted,
        # so no name can reach outside the directory or collide with another.
        raw = segment_name.encode("utf-8", "surrogatepass")
        stem = quote(raw, safe="")
        if len(stem) > 200:  # a long name keeps its start, readable, and a hash of the whole
            stem = stem[:180] + "-" + hashlib.sha256(raw).hexdigest()[:16]
        return self.directory / (stem + ".json")

    def load(self, segment_name: str) -> tuple[list[OverlaySpec], str | None]:
        """The overlays saved for ``segment_name``, and why some could not be read."""
        path = self.path_for(segment_name)
        try:
            if path.stat().st_size > MAX_STORE_BYTES:
                return [], f"{path} is too big to be saved overlays"
            items = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return [], None
        except (OSError, ValueError, RecursionError) as err:
            return [], f"cannot read the saved structures in {path}: {err}"
        if not isinstance(items, list):
            return [], f"{path} does not hold a list of structures"
        specs, bad = [], 0
        for item in items[:MAX_OVERLAYS]:
            try:
                specs.append(OverlaySpec.from_json(item))
            except (TypeError, ValueError):
                bad += 1
        return specs, (f"{bad} saved structure(s) in {path} could not be read" if bad else None)

    def save(self, segment_name: str, specs: list[OverlaySpec]) -> None:
        """Remember ``specs`` for ``segment_name`` (an empty list forgets them)."""
        path = self.path_for(segment_name)
        if not specs:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps([asdict(s) for s in specs], indent=1), encoding="utf-8")
        tmp.replace(path)  # a crash leaves the old file or the new, never half of one


def build_table(spec: OverlaySpec) -> tuple[Declarations, FieldTable]:
    """Parse ``spec``'s header and lay its type out (HeaderError if it cannot be)."""
    decls = read_header(spec.header, spec.header_name)
    return decls, table_for(decls, spec)


def table_for(decls: Declarations, spec: OverlaySpec) -> FieldTable:
    """``spec``'s type from a parsed header, as rows (HeaderError if it cannot be an
    overlay: no bytes, elements overlapping, too big to read every tick)."""
    ctype = decls.resolve(spec.type_name)
    if ctype.size == 0:
        raise HeaderError(f"{spec.type_name} has no bytes to show")
    if spec.stride and spec.count > 1 and spec.stride < ctype.size:
        raise HeaderError(f"a stride of {spec.stride} bytes is less than {spec.type_name}'s size "
                          f"({ctype.size} bytes): the elements would overlap")
    span = span_of(ctype.size, spec.count, spec.stride)
    if span > MAX_LIVE_BYTES:
        raise HeaderError(f"{spec.count} of {spec.type_name} cover {span} bytes; an overlay is read every "
                          f"tick, so it may cover at most {MAX_LIVE_BYTES} bytes (apply fewer elements)")
    return FieldTable(ctype, spec.count, spec.stride)


@dataclass(frozen=True)
class OverlayState:
    """One tick's reading of an overlay, for the dock and the hex view."""

    overlay: LiveOverlay
    read: StructRead
    #: The values to show, one per leaf: this read's, or after a torn read the last
    #: consistent one's; None before the first consistent read (a torn read is never
    #: shown as values).
    values: list[object]
    #: When each leaf last changed (``time.monotonic()``; -inf: not since applied).
    changed_at: tuple[float, ...]
    #: Leaf numbers that changed this tick.
    changed: frozenset[int]
    at: float


class LiveOverlay:
    """An overlay applied to an open segment, read each tick."""

    def __init__(self, spec: OverlaySpec, segment: Segment) -> None:
        spec.check()
        self.spec = spec
        self.decls, self.table = build_table(spec)
        self.reader = StructReader(segment, self.table, spec.offset, spec.sequence or None)
        self._values: list[object] | None = None
        self._changed_at = [-math.inf] * len(self.table.leaves)

    @property
    def span(self) -> tuple[int, int]:
        """(offset, length) of the bytes it covers."""
        return self.spec.offset, self.table.span

    def tick(self, now: float | None = None) -> OverlayState:
        """Read the structure now and stamp what changed since the last tick."""
        now = time.monotonic() if now is None else now
        read = self.reader.read()
        changed: set[int] = set()
        if self._values is not None and not read.torn:  # torn: nothing is known to have changed
            for n, (old, new) in enumerate(zip(self._values, read.values, strict=True)):
                if not same_value(old, new):
                    changed.add(n)
                    self._changed_at[n] = now
        if not read.torn:  # a torn read is never shown as values, not even the first
            self._values = read.values
        values: list[object] = self._values if self._values is not None else [None] * len(read.values)
        return OverlayState(self, read, values, tuple(self._changed_at), frozenset(changed), now)
