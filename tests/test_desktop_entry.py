"""mmfviewer in the desktop's menu: the entry, checked by freedesktop's own validator."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mmfviewer import desktop_entry


def run_install(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "mmfviewer", "install-desktop", *args], env=env,
                          capture_output=True, text=True, timeout=60)


def test_install_desktop_writes_an_entry_and_an_icon_and_removes_them(tmp_path):
    proc = run_install(tmp_path)
    assert proc.returncode == 0, proc.stderr
    entry = tmp_path / "applications" / "mmfviewer.desktop"
    icon = tmp_path / "icons" / "hicolor" / "scalable" / "apps" / "mmfviewer.svg"
    assert entry.is_file() and icon.read_bytes() == desktop_entry.icon_path().read_bytes()
    text = entry.read_text()
    assert "Icon=mmfviewer" in text and "\nExec=" in text
    exec_line = text.split("\nExec=", 1)[1].split("\n", 1)[0]
    assert exec_line.endswith(" gui")
    program = exec_line.split(" ")[0]
    assert Path(program).is_absolute() and Path(program).exists()  # this very mmfviewer (or its Python)
    proc = run_install(tmp_path, "--remove")
    assert proc.returncode == 0 and not entry.exists() and not icon.exists()
    assert "nothing to remove" in run_install(tmp_path, "--remove").stdout


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="needs desktop-file-utils")
@pytest.mark.parametrize("program", ["/opt/my env/bin/python", "/home/o'neil/venv/bin/python",
                                     "/opt/50%x/bin/python", "/opt/back\\slash/bin/python", '/opt/"q"/bin/python'])
def test_the_entry_is_valid_for_freedesktops_validator(tmp_path, program):
    path = tmp_path / "mmfviewer.desktop"
    path.write_text(desktop_entry.entry_text([program, "-m", "mmfviewer"]))
    proc = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "", proc.stdout + proc.stderr


def test_the_icon_is_an_svg_in_the_package():
    assert desktop_entry.icon_path().read_text().lstrip().startswith("<?xml")


def test_a_path_with_a_line_break_is_refused_not_written_into_the_entry():
    with pytest.raises(ValueError, match="line break"):
        desktop_entry.entry_text(["/opt/a\nName=evil/bin/mmfviewer"])


def test_a_relative_xdg_data_home_falls_back_to_the_default(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    for value in ("", "relative/dir"):
        monkeypatch.setenv("XDG_DATA_HOME", value)
        assert desktop_entry.data_home() == tmp_path / ".local" / "share"
