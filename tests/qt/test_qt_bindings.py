"""The Qt bindings themselves must not corrupt the interpreter.

PySide6 6.12.0 dropped a reference to None on every call of a Qt method returning
nothing; on CPython 3.11 the GUI then aborted after a minute or two of live refresh
("Fatal Python error: none_dealloc"). pyproject.toml excludes it; this guards the pin.
"""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget


class _Emitter(QObject):
    fired = Signal(bool)


@pytest.mark.skipif(
    sys.version_info >= (3, 12),
    reason="from Python 3.12 None and True are immortal: never freed, and their reference "
           "counts drift by design when code built for an older ABI (PySide6's) touches them")
def test_void_qt_calls_and_signals_keep_none_and_true_alive(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    emitter = _Emitter()
    emitter.fired.connect(lambda flag: None)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(2000):
        widget.update()
        widget.setObjectName("x")
        emitter.fired.emit(True)
    # Allow a little noise from the interpreter itself, never a loss per call.
    assert sys.getrefcount(None) > none_before - 100
    assert sys.getrefcount(True) > true_before - 100
