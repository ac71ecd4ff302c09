"""Where in a whole segment bytes changed: a paced background scan of page hashes.

:meth:`PageScan.scan` hashes the segment page by page, a bounded number of bytes per
tick over a rotating window, and stamps the pages whose CRC-32 changed; one CRC per
256 KiB chunk first lets an idle segment skip the per-page work (a chunk found busy
goes straight to its pages). :meth:`~PageScan.scan_paced` spreads that budget over
time, so a fast refresh does not hash more per second than the default one.
:meth:`~PageScan.heat` folds the page stamps into the buckets of an overview strip,
and :meth:`~PageScan.scan_coverage` says honestly what the scan has not compared yet.

Memory stays small whatever the segment's size: one u32 hash, one change time and a
few flags per page (at most :data:`MAX_PAGES` pages). This module never imports Qt.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable

try:  # ISA-L's CRC-32 is ~10x faster than zlib's, and a declared dependency.
    from isal.isal_zlib import crc32
except ImportError:  # pragma: no cover - fallback when isal is missing
    from zlib import crc32

#: Default page size of the whole-segment scan.
DEFAULT_PAGE_SIZE = 4096
#: The page table never grows past this many pages; bigger segments get bigger pages.
MAX_PAGES = 1 << 18
#: Small segments get pages this small at least, and this many pages where possible.
MIN_PAGE_SIZE, MIN_PAGES = 64, 256
#: Pages are grouped into at most this many slots for :meth:`ChangeTracker.heat`:
#: about one per pixel of a tall overview strip, so heat() stays well under a
#: millisecond even when every slot changed.
SUMMARY_SLOTS = 1024
#: Bytes a second :meth:`ChangeTracker.scan_paced` hashes by default: the default
#: budget at the viewer's default refresh of 100 ms (a 1 GiB segment every ~26 s).
DEFAULT_SCAN_RATE = 40 << 20
#: How long a change keeps glowing in the overview strip, in seconds.
DEFAULT_HEAT_SECONDS = 5.0
#: Bytes read per ``read`` call of the scan, and the span of one chunk hash: big
#: enough to amortise the call, small enough to stay in cache while hashed. Also
#: small enough that glibc keeps reusing the freed buffer: with 1-2 MiB reads it
#: trims and refaults it on every call, which made an idle scan 4x slower.
SCAN_CHUNK = 256 << 10

_NEVER = -math.inf
# What a chunk's last visit found: nothing known yet; unchanged (its CRC is a
# valid shortcut); changed (go straight to the pages, its CRC would not match).
_CHUNK_UNKNOWN, _CHUNK_IDLE, _CHUNK_BUSY = 0, 1, 2


def page_size_for(size: int) -> int:
    """The scan's page size for a segment of ``size`` bytes.

    4 KiB, doubled until the segment fits in :data:`MAX_PAGES` pages, so a 1 TiB
    segment still has a page table of a few megabytes. Segments under 1 MiB get
    smaller pages (down to :data:`MIN_PAGE_SIZE`), at least :data:`MIN_PAGES` of
    them, so the overview strip of a 4 KiB mailbox does not light up as one block.
    """
    page = DEFAULT_PAGE_SIZE
    while size > page * MAX_PAGES:
        page *= 2
    while page > MIN_PAGE_SIZE and size < page * MIN_PAGES:
        page //= 2
    return page


class PageScan:
    """Change times for every page of a segment of ``size`` bytes, found by hashing.

    ``budget_bytes`` caps what one :meth:`scan` reads; ``page_size`` fixes the page
    size (default: :func:`page_size_for`); a change stays in :meth:`heat` for
    ``heat_seconds`` (or, found by the scan, until the scan's next visit).
    """

    def __init__(self, size: int, *, budget_bytes: int = 4 << 20, page_size: int | None = None,
                 heat_seconds: float = DEFAULT_HEAT_SECONDS) -> None:
        if heat_seconds <= 0:
            raise ValueError(f"heat time must be positive (got {heat_seconds})")
        if budget_bytes < 1:
            raise ValueError(f"budget_bytes must be at least 1, got {budget_bytes}")
        if page_size is not None and page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        self.heat_seconds = float(heat_seconds)
        self.budget_bytes = int(budget_bytes)
        self._fixed_page_size = page_size
        self._last_page_change = _NEVER
        # scan_paced(): when it last ran, and the bytes earned but not scanned yet.
        self._paced_at: float | None = None
        self._credit = 0.0
        self._size = -1
        self._setup_pages(max(0, int(size)))

    def _setup_pages(self, size: int) -> None:
        """(Re)build the page tables from scratch for a segment of ``size`` bytes."""
        self._size = size
        self.page_size = self._fixed_page_size or page_size_for(size)
        npages = -(-size // self.page_size)
        self._npages = npages
        self._hashes = array("I", bytes(4 * npages))
        self._times = array("d", [_NEVER]) * npages
        # 0 until a page was hashed once: a first hash is a baseline, not a change.
        self._known = bytearray(npages)
        # 1 where the scan's last visit found the page changed: its mark holds until
        # the next visit, however long a pass takes (see :meth:`heat`).
        self._scan_marks = bytearray(npages)
        # 1 once a page was hashed twice: before that, a change there cannot show.
        self._compared = bytearray(npages)
        self._scan_next = 0
        self._setup_chunks()
        self._rebuild_summary(from_times=False)  # every time was just reset

    def _setup_chunks(self) -> None:
        """One CRC per chunk of pages, trusted only after a whole-chunk pass found the
        chunk unchanged (its state: unknown, idle or busy)."""
        self._chunk_pages = max(1, SCAN_CHUNK // self.page_size)
        nchunks = -(-self._npages // self._chunk_pages)
        self._chunk_hashes = array("I", bytes(4 * nchunks))
        self._chunk_ok = bytearray(nchunks)

    def _rebuild_summary(self, *, from_times: bool = True) -> None:
        """Group pages into at most SUMMARY_SLOTS slots and collect the recently changed ones.

        :meth:`heat` then walks only the slots that changed within ``heat_seconds``
        (usually a handful), never the whole page table.
        """
        shift = 0
        while (self._npages >> shift) > SUMMARY_SLOTS:
            shift += 1
        self._shift = shift
        hot: dict[int, float] = {}
        if from_times and self._last_page_change > _NEVER:  # a resize with history
            for page, stamp in enumerate(self._times):
                if stamp > _NEVER:
                    slot = page >> shift
                    if hot.get(slot, _NEVER) < stamp:
                        hot[slot] = stamp
        self._hot = hot
        held: dict[int, int] = {}
        mark = self._scan_marks.find(1)
        while mark >= 0:
            held[mark >> shift] = held.get(mark >> shift, 0) + 1
            mark = self._scan_marks.find(1, mark + 1)
        self._held = held

    def _set_scan_marks(self, start: int, stop: int, changed: list[bool] | None) -> None:
        """What the scan's visit of pages [start, stop) found: ``changed`` per page
        (None: none of them changed)."""
        marks, held, shift = self._scan_marks, self._held, self._shift
        if changed is None and marks.find(1, start, stop) < 0:
            return  # the common, idle case: nothing held, nothing found
        for i, page in enumerate(range(start, stop)):
            now_marked = bool(changed[i]) if changed is not None else False
            if marks[page] != now_marked:
                marks[page] = now_marked
                slot = page >> shift
                count = held.get(slot, 0) + (1 if now_marked else -1)
                if count:
                    held[slot] = count
                else:
                    held.pop(slot, None)

    def _mark_page(self, page: int, now: float) -> None:
        self._times[page] = now
        self._hot[page >> self._shift] = now
        if self._last_page_change < now:
            self._last_page_change = now

    @property
    def size(self) -> int:
        """The segment size the tracker currently assumes."""
        return self._size

    @property
    def page_count(self) -> int:
        """How many pages the whole-segment scan divides the segment into."""
        return self._npages

    # ------------------------------------------------------------------ the overview

    def heat_active(self, now: float) -> bool:
        """True while the overview strip still shows a change."""
        return bool(self._held) or now - self._last_page_change < self.heat_seconds

    def scan_coverage(self, buckets: int) -> tuple[list[bool], float | None]:
        """For the overview strip: which of ``buckets`` equal slices hold pages the scan
        has not compared yet (looked at less than twice: their changes cannot show),
        and where the scan goes on
        (a fraction of the segment; None when every tick covers the whole segment)."""
        npages = self._npages
        if buckets <= 0 or npages == 0:
            return [False] * max(0, buckets), None
        compared = self._compared
        unknown = [compared.find(0, b * npages // buckets, max(b * npages // buckets + 1, (b + 1) * npages // buckets))
                   >= 0 for b in range(buckets)]
        head = None if self._size <= self.budget_bytes else self._scan_next / npages
        return unknown, head

    # ------------------------------------------------------------------ whole segment

    def scan(self, read: Callable[[int, int], bytes], now: float, *,
             budget: int | None = None) -> int:
        """Hash the next pages of the segment (at most ``budget`` bytes, by default
        ``budget_bytes``) and stamp changes; return how many bytes were covered.

        ``read(offset, n)`` returns up to ``n`` bytes (shorter at the end; it should
        not raise). A segment no bigger than the budget is covered on every call;
        a bigger one in ``ceil(size / budget)`` calls.
        """
        npages = self._npages
        if npages == 0:
            return 0
        budget = self.budget_bytes if budget is None else budget
        per_call = max(1, budget // self.page_size)
        first = self._scan_next if self._scan_next < npages else 0
        last = min(npages, first + per_call)
        self._scan_range(read, first, last, now)
        # A pass restarts at page 0 rather than wrapping mid-call, so windows stay
        # aligned with the chunk hashes below on every pass.
        self._scan_next = last if last < npages else 0
        return min(last * self.page_size, self._size) - first * self.page_size

    def scan_paced(self, read: Callable[[int, int], bytes], now: float,
                   bytes_per_second: float = DEFAULT_SCAN_RATE) -> int:
        """:meth:`scan` at a steady rate, however often it is called.

        Each call earns the bytes due since the previous one (at most
        ``budget_bytes``, all of it on the first call) and scans whole chunks of
        what it has earned, so the windows stay aligned with the chunk hashes that
        let an idle segment skip the per-page work. A caller ticking every 10 ms
        then hashes a tenth of what it hashes every 100 ms, not the same amount ten
        times as often: the overview costs the same CPU at any refresh rate.
        Returns the bytes covered (0 when not enough was earned yet).
        """
        if self._npages == 0:
            return 0
        if self._paced_at is None:
            credit = float(self.budget_bytes)
        else:
            credit = min(float(self.budget_bytes),
                         self._credit + max(0.0, now - self._paced_at) * bytes_per_second)
        self._paced_at = now
        quantum = max(self.page_size, min(self._chunk_pages * self.page_size, self.budget_bytes))
        need = min(quantum, self._size)  # a segment smaller than a chunk is scanned whole
        if credit < need:
            self._credit = credit
            return 0
        budget = max(quantum, int(credit // quantum) * quantum)
        covered = self.scan(read, now, budget=budget)
        # What was earned but not scanned carries over, never enough for a scan
        # without more time passing (a pass can end short of the budget).
        self._credit = min(max(0.0, credit - covered), need - 1.0)
        return covered

    def _scan_range(self, read: Callable[[int, int], bytes], first: int, last: int, now: float) -> None:
        page_size, chunk_pages = self.page_size, self._chunk_pages
        start = first
        while start < last:
            chunk = start // chunk_pages
            chunk_end = min((chunk + 1) * chunk_pages, self._npages)
            stop = min(last, chunk_end)
            whole = start == chunk * chunk_pages and stop == chunk_end
            offset = start * page_size
            want = min(stop * page_size, self._size) - offset
            if want <= 0:
                return
            view = memoryview(read(offset, want))
            if len(view) < want:
                # Truncated under us: hash only the pages the read covered; the others
                # keep their hashes (missing bytes are not a change, as on screen).
                stop = start + len(view) // page_size
                whole = False
                if stop <= start:
                    return
                view = view[:(stop - start) * page_size]
            state = self._chunk_ok[chunk] if whole else _CHUNK_UNKNOWN
            chunk_hash = None
            if state != _CHUNK_BUSY and whole:
                # One CRC over the chunk first: when it matches (the idle case) the
                # per-page work is skipped, which is most of a tick's cost. A chunk
                # that was busy at its last visit goes straight to its pages instead.
                chunk_hash = crc32(view)
                if state == _CHUNK_IDLE and self._chunk_hashes[chunk] == chunk_hash:
                    self._set_scan_marks(start, stop, None)
                    self._compared[start:stop] = b"\x01" * (stop - start)
                    start = stop
                    continue
            hashes = array("I", [crc32(view[i:i + page_size])
                                 for i in range(0, (stop - start) * page_size, page_size)])
            old = self._hashes[start:stop]
            self._hashes[start:stop] = hashes
            known = self._known[start:stop]
            busy = False
            self._compared[start:stop] = known  # a page known before this visit is compared now
            if hashes != old or known.find(0) >= 0:
                self._known[start:stop] = b"\x01" * (stop - start)
                changed = [bool(known[i]) and new_hash != old_hash
                           for i, (new_hash, old_hash) in enumerate(zip(hashes, old, strict=False))]
                for i, was_changed in enumerate(changed):
                    if was_changed:
                        self._mark_page(start + i, now)
                        busy = True
                self._set_scan_marks(start, stop, changed)
            else:
                self._set_scan_marks(start, stop, None)
            if whole:
                if busy:
                    self._chunk_ok[chunk] = _CHUNK_BUSY
                else:
                    self._chunk_hashes[chunk] = crc32(view) if chunk_hash is None else chunk_hash
                    self._chunk_ok[chunk] = _CHUNK_IDLE
            start = stop

    def heat(self, buckets: int, now: float) -> list[float]:
        """Intensity 0..1 of the latest change in each of ``buckets`` equal slices.

        1 means changed just now; it fades linearly to 0 over ``heat_seconds``.
        Changes seen on screen count as well as those found by :meth:`scan`.
        """
        out = [0.0] * max(0, buckets)
        size = self._size
        if buckets <= 0 or size <= 0 or not self.heat_active(now):
            return out
        horizon = self.heat_seconds
        self._hot = hot = {slot: t for slot, t in self._hot.items() if now - t < horizon}
        # A page the scan found changed stays lit until the scan comes back to it: a
        # change there happened at some time during the last pass, not "as the scan
        # went by" (fading from the visit drew one band that swept with the scan).
        levels = {slot: 1.0 - (now - stamp) / horizon for slot, stamp in hot.items()}
        for slot in self._held:
            levels[slot] = 1.0
        slot_bytes = self.page_size << self._shift
        for slot, level in levels.items():
            lo = slot * slot_bytes
            hi = min(size, lo + slot_bytes)
            first = lo * buckets // size
            last = min(buckets, max(first + 1, -(-hi * buckets // size)))
            for b in range(first, last):
                if out[b] < level:
                    out[b] = level
        return out

    def resize(self, size: int) -> None:
        """The segment was truncated or grew: keep what still applies, drop the rest."""
        size = max(0, int(size))
        if size == self._size:
            return
        old_size, old_pages = self._size, self._npages
        new_page_size = self._fixed_page_size or page_size_for(size)
        if new_page_size != self.page_size:
            self._setup_pages(size)  # hashes of other-sized pages mean nothing now
            return
        self._size = size
        npages = -(-size // self.page_size)
        if npages < old_pages:
            del self._hashes[npages:]
            del self._times[npages:]
            del self._known[npages:]
            del self._scan_marks[npages:]
            del self._compared[npages:]
        elif npages > old_pages:
            grow = npages - old_pages
            self._hashes.extend(array("I", bytes(4 * grow)))
            self._times.extend(array("d", [_NEVER]) * grow)
            self._known.extend(bytes(grow))
            self._scan_marks.extend(bytes(grow))
            self._compared.extend(bytes(grow))
        self._npages = npages
        # The page holding the old or the new end has a different length now:
        # its next hash is a new baseline, not a change.
        for page in ((old_size - 1) // self.page_size, npages - 1):
            if 0 <= page < npages:
                self._known[page] = self._compared[page] = 0
        if self._scan_next >= npages:
            self._scan_next = 0
        self._setup_chunks()  # page hashes stay; the next pass re-derives chunk hashes
        self._rebuild_summary()
