"""The Open dialog: the seeds' three modes, sizes with units, errors shown in place."""

from __future__ import annotations

import os

import pytest

from mmfviewer.qt.open_dialog import CREATE_NEW, CREATE_OR_OPEN, OPEN_EXISTING, OpenDialog
from mmfviewer.segment import Segment, segment_exists

from ..conftest import needs_unprivileged, run_python


@pytest.fixture
def dialog(qtbot):
    d = OpenDialog()
    qtbot.addWidget(d)
    yield d
    if d.segment is not None:
        d.segment.close()


def submit(dialog, name: str, mode: str, size: str = "64KiB", readonly: bool | None = None) -> bool:
    dialog.name_edit.setEditText(name)
    dialog.set_mode(mode)
    dialog.size_edit.setText(size)
    if readonly is not None:
        dialog.read_only.setChecked(readonly)
    dialog.accept()
    return dialog.result() == OpenDialog.Accepted


def test_open_existing_is_read_only_by_default(dialog, shm_name):
    Segment.create(shm_name, 4096).close()
    assert dialog.read_only.isChecked() and not dialog.size_edit.isEnabled()
    assert submit(dialog, shm_name, OPEN_EXISTING)
    assert dialog.segment.readonly and dialog.segment.size == 4096


def test_create_new_takes_a_size_with_units_and_opens_read_write(dialog, shm_name):
    assert submit(dialog, shm_name, CREATE_NEW, "64KiB")
    assert dialog.segment.size == 65536 and not dialog.segment.readonly
    assert segment_exists(shm_name)


def test_create_or_open_opens_what_exists_without_resizing(dialog, shm_name):
    Segment.create(shm_name, 4096).close()
    assert submit(dialog, shm_name, CREATE_OR_OPEN, "1MiB")
    assert dialog.segment.size == 4096 and not dialog.segment.created


@pytest.mark.parametrize("name, mode, size, message", [
    ("{missing}", OPEN_EXISTING, "", "no shared-memory segment"),
    ("{existing}", CREATE_NEW, "4096", "already exists"),
    ("a/b", OPEN_EXISTING, "", "must not contain '/'"),
    ("{missing}", CREATE_NEW, "lots", "not a byte count"),
    ("", OPEN_EXISTING, "", "enter a mapping name"),
])
def test_mistakes_are_shown_in_the_dialog_which_stays_open(dialog, shm_name, name, mode, size, message):
    Segment.create(shm_name, 4096).close()
    name = name.format(missing=shm_name + "-missing", existing=shm_name)
    assert not submit(dialog, name, mode, size)
    assert dialog.error.isVisibleTo(dialog) and message in dialog.error.text()
    assert dialog.segment is None
    assert not segment_exists(shm_name + "-missing")


@needs_unprivileged
def test_permission_denied_is_shown_in_the_dialog(shm_name):
    Segment.create(shm_name, 64, mode=0).close()
    # In a child whose file permissions apply even when the tests run as root.
    proc = run_python("-c", CHILD_SUBMITS_DIALOG, shm_name, unprivileged=True)
    assert proc.stdout.startswith("stays open: permission denied"), proc.stderr
    assert segment_exists(shm_name)


CHILD_SUBMITS_DIALOG = """
import sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from mmfviewer.qt.open_dialog import OPEN_EXISTING, OpenDialog
d = OpenDialog()
d.name_edit.setEditText(sys.argv[1])
d.set_mode(OPEN_EXISTING)
d.accept()
print(("closed: " if d.result() else "stays open: ") + d.error.text())
"""


def test_a_file_backed_mapping_is_created_and_opened(qtbot, tmp_path):
    d = OpenDialog(file_backed=True)
    qtbot.addWidget(d)
    path = str(tmp_path / "map.bin")
    assert submit(d, path, CREATE_OR_OPEN, "8KiB")
    assert d.segment.size == 8192 and os.path.getsize(path) == 8192
    d.segment.close()


def test_the_button_says_what_it_will_do_and_an_old_error_goes_with_the_mode(dialog, shm_name):
    assert dialog.go_button.text().replace("&", "") == "Open"
    dialog.name_edit.setEditText(shm_name)  # does not exist
    dialog.accept()
    assert dialog.error.isVisibleTo(dialog) and "exists" in dialog.error.text()
    dialog.set_mode(CREATE_NEW)
    assert not dialog.error.isVisibleTo(dialog)  # it was about opening
    assert dialog.go_button.text().replace("&", "") == "Create"
    dialog.set_mode(CREATE_OR_OPEN)
    assert dialog.go_button.text().replace("&", "") == "Create or open"
