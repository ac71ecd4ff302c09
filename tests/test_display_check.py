"""A window that cannot open is one line naming what to install, and leaves nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mmfviewer.qt.display_check import debian_package, display_problem, display_reachable, missing_libraries
from mmfviewer.segment import segment_exists

from .conftest import free_display


@pytest.mark.parametrize("soname, package", [
    ("libxcb-cursor.so.0", "libxcb-cursor0"),
    ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
    ("libX11-xcb.so.1", "libx11-xcb1"),
    ("libxcb-render-util.so.0", "libxcb-render-util0"),
    ("libglib-2.0.so.0", "libglib2.0-0"),
    ("libEGL.so.1", "libegl1"),
])
def test_a_missing_library_is_named_by_its_debian_package(soname, package):
    assert debian_package(soname) == package


def library_needing_a_gone_one(where: Path, name: str, soname: str) -> Path:
    """Build ``where/name``, a shared library linked against ``soname``, which is then
    removed: what ldd reports as not found."""
    build = where / "build"
    build.mkdir(exist_ok=True)
    (build / "gone.c").write_text("int gone(void) { return 1; }\n")
    (build / "user.c").write_text("int gone(void);\nint use(void) { return gone(); }\n")
    stem = soname.split(".so")[0]
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(build / soname), str(build / "gone.c"),
                    f"-Wl,-soname,{soname}"], check=True)
    os.symlink(soname, build / f"{stem}.so")
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(where / name), str(build / "user.c"),
                    f"-L{build}", f"-l{stem.removeprefix('lib')}"], check=True)
    (build / soname).unlink()
    return where / name


@pytest.mark.skipif(shutil.which("gcc") is None or shutil.which("ldd") is None, reason="needs gcc and ldd")
def test_ldd_finds_a_library_that_went_missing(tmp_path):
    user = library_needing_a_gone_one(tmp_path, "libuser.so", "libxcb-gone.so.3")
    assert missing_libraries(str(user)) == ["libxcb-gone.so.3"]
    assert debian_package("libxcb-gone.so.3") == "libxcb-gone3"


def test_a_display_nobody_serves_is_said_in_one_line(monkeypatch):
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setenv("DISPLAY", free_display())
    assert not display_reachable(os.environ["DISPLAY"])
    problem = display_problem()
    assert problem is not None and "cannot connect to the X display" in problem
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")  # chosen on purpose: Qt's to judge
    assert display_problem() is None


def test_the_demo_without_a_display_leaves_no_channel_and_no_settings(shm_name, tmp_path):
    env = {**os.environ, "DISPLAY": free_display(), "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    env.pop("QT_QPA_PLATFORM", None)
    proc = subprocess.run([sys.executable, "-m", "mmfviewer", "demo", shm_name], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "cannot connect to the X display" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not segment_exists(shm_name)
    assert not (tmp_path / "cfg").exists()


def test_a_screenshot_is_rendered_offscreen_when_the_display_cannot_be_reached(shm_name, tmp_path):
    env = {**os.environ, "DISPLAY": free_display(), "HOME": str(tmp_path)}
    env.pop("QT_QPA_PLATFORM", None)
    shot = tmp_path / "shot.png"
    proc = subprocess.run([sys.executable, "-m", "mmfviewer", "gui", "--screenshot", str(shot)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert shot.stat().st_size > 1000


@pytest.mark.parametrize("display", ["localhost:99999", ":99999999999999999999", "a:b:0", ":0.x", "", "::"])
def test_odd_display_strings_are_answered_not_raised(display):
    assert display_reachable(display) in (True, False)


def _readme_packages() -> set[str]:
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    start = text.index("apt-get install python3-venv")
    return set(text[start:text.index("```", start)].replace("\\", " ").split()[2:])


def _run(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def _owner(library: str) -> str:
    """The Debian package that ships ``library`` (under usrmerge, by either of its paths)."""
    real = os.path.realpath(library)
    for path in (library, real, real.removeprefix("/usr"), "/usr" + real):
        found = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
        if found.returncode == 0:
            return found.stdout.split(":")[0]  # "libfoo:amd64: /path" -> libfoo
    raise AssertionError(f"no Debian package ships {library}")


@pytest.mark.skipif(shutil.which("dpkg") is None or shutil.which("apt-cache") is None, reason="not Debian")
def test_the_readme_names_every_debian_package_qts_x11_support_loads():
    from mmfviewer.qt.display_check import _xcb_plugin_files

    plugins = _xcb_plugin_files()
    assert plugins, "PySide6's X11 plugin not found"
    libraries = {line.split("=>")[1].split()[0] for path in plugins for line in _run("ldd", path).splitlines()
                 if "=>" in line and "/" in line.split("=>")[1]}
    libraries = {lib for lib in libraries if "PySide6" not in lib}  # Qt's own, in the wheel
    owners = {_owner(lib) for lib in libraries}
    readme = _readme_packages()
    pulled_in = {line.strip() for line in _run("apt-cache", "depends", "--recurse", "--no-recommends",
                                               "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces",
                                               "--no-enhances", *sorted(readme)).splitlines()
                 if line and not line.startswith(" ")}
    base = {owner for owner in owners
            if _run("dpkg-query", "-W", "-f=${Priority}", owner).strip() in ("required", "important")}
    assert owners - readme - {p.split(":")[0] for p in pulled_in} - base == set()


@pytest.mark.skipif(shutil.which("gcc") is None or shutil.which("ldd") is None, reason="needs gcc and ldd")
def test_a_missing_x11_library_is_one_line_naming_its_package_and_the_demo_leaves_nothing(shm_name, tmp_path):
    # An X11 plugin that needs a library this machine lacks, where Qt looks first, as
    # Qt's own plugin needs libxcb-cursor.so.0 on a fresh Debian without libxcb-cursor0.
    platforms = tmp_path / "platforms"
    platforms.mkdir()
    library_needing_a_gone_one(platforms, "libqxcb.so", "libxcb-nowhere.so.0")
    env = {**os.environ, "DISPLAY": free_display(), "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
           "QT_QPA_PLATFORM_PLUGIN_PATH": str(platforms)}
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("LD_LIBRARY_PATH", None)
    for command in (["demo", shm_name], ["gui"]):
        proc = subprocess.run([sys.executable, "-m", "mmfviewer", *command], env=env,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
        assert "libxcb-nowhere.so.0 is missing (on Debian: apt-get install libxcb-nowhere0)" in proc.stderr
    assert not segment_exists(shm_name)
    assert not (tmp_path / "cfg").exists()
