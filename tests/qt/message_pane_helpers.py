"""What the message pane's tests share: messages made without a segment, a look at a
model's cells, a signal counter and polling until caught up (the ``channel`` and ``pane``
fixtures are in conftest.py)."""

from __future__ import annotations

import msgpack
from PySide6.QtCore import Qt

from mmfviewer.message import Message
from mmfviewer.qt.message_pane import MessagePane
from mmfviewer.wire import TYPE_MSGPACK

SEED = {"title": "A", "content": "B"}


def fake_messages(n: int, start: int = 0, *, pid: int = 4242) -> list[Message]:
    """Messages as a reader would build them, without a segment (model tests)."""
    return [Message(0, pid, i, 1_700_000_000_000_000_000 + i, TYPE_MSGPACK,
                    msgpack.packb({"i": i, "word": "even" if i % 2 == 0 else "odd"}), 64 * i)
            for i in range(start, start + n)]


def shown(model, row: int, column: int, role=Qt.ItemDataRole.DisplayRole):
    return model.data(model.index(row, column), role)


class Counter:
    """Counts a Qt signal's emissions."""

    def __init__(self, signal) -> None:
        self.calls: list[tuple] = []
        signal.connect(lambda *args: self.calls.append(args))

    def __len__(self) -> int:
        return len(self.calls)


def poll_all(pane: MessagePane) -> int:
    """Poll until the reader has caught up (a poll takes at most 64 KiB per lane)."""
    total = 0
    while True:
        n = pane.poll()
        total += n
        if n == 0:
            return total

