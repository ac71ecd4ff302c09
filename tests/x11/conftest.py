"""A real X server (Xvfb) with a window manager (openbox), and real input (xdotool).

These tests catch what offscreen tests cannot: activation by a real double-click,
keys as the window system delivers them, frames placed by a window manager.
Skipped where Xvfb, openbox or xdotool is missing (`.ci/run` installs them).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..conftest import free_display
from ..tool_check import missing_tool

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("Xvfb", "openbox", "xdotool", "xwininfo")


def wait_for(check, timeout: float = 20.0, what: str = "the window") -> Any:
    """Poll ``check`` until it returns something true; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class XServer:
    """One Xvfb display with openbox on it."""

    def __init__(self, width: int, height: int) -> None:
        self.display = free_display()
        self.number = int(self.display[1:])
        self.size = (width, height)
        self.xvfb = subprocess.Popen(["Xvfb", self.display, "-screen", "0", f"{width}x{height}x24",
                                      "-nolisten", "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: os.path.exists(f"/tmp/.X11-unix/X{self.number}"), what="Xvfb")
        self.wm = subprocess.Popen(["openbox"], env=self.env(), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(0.5)  # openbox takes over the root window

    def env(self, **more: str) -> dict[str, str]:
        """The environment of a program on this display (never offscreen)."""
        env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
        env.update(DISPLAY=self.display, PYTHONPATH=f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
        env.update(more)
        return env

    def xdo(self, *args: str) -> str:
        """Run xdotool on this display."""
        return subprocess.run(["xdotool", *args], env=self.env(), capture_output=True, text=True,
                              timeout=30).stdout

    def windows(self, name: str) -> list[str]:
        """Ids of the shown windows whose title holds ``name``."""
        return self.xdo("search", "--onlyvisible", "--name", name).split()

    def frame(self, window_id: str) -> tuple[int, int, int, int]:
        """(x, y, width, height) of a window with its frame, as the window manager placed it."""
        out = subprocess.run(["xwininfo", "-frame", "-id", window_id], env=self.env(), capture_output=True,
                             text=True, timeout=30).stdout
        fields = dict(line.strip().split(":", 1) for line in out.splitlines() if ":" in line)
        return tuple(int(fields[k].strip()) for k in ("Absolute upper-left X", "Absolute upper-left Y",
                                                      "Width", "Height"))  # type: ignore[return-value]

    def close(self) -> None:
        for proc in (self.wm, self.xvfb):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def require_x_tools() -> None:
    """Skip the test where Xvfb, openbox, xdotool or xwininfo is missing."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        missing_tool(f"needs {', '.join(missing)} (Debian: xvfb openbox xdotool x11-utils)")


@pytest.fixture
def x_server() -> Iterator[XServer]:
    require_x_tools()
    server = XServer(1920, 1080)
    yield server
    server.close()


class RealWindow:
    """The main window in a process of its own on ``server``, reporting its state."""

    def __init__(self, server: XServer, home: Path, *names: str, **env: str) -> None:
        self.server = server
        self.state_file = home / "state.json"
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.x11.window_child", str(self.state_file), *names],
                                     cwd=ROOT, env=server.env(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
                                                              **env),
                                     stderr=subprocess.PIPE, text=True)
        wait_for(lambda: self.state_file.exists() and self.state()["active"], what="the window to be active")

    def state(self) -> dict[str, Any]:
        """What the window last reported."""
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}

    def wait(self, check, what: str) -> dict[str, Any]:
        """The state, once ``check(state)`` holds."""
        return wait_for(lambda: (s := self.state()) and check(s) and s, what=what)

    def steady(self, value, what: str, reports: int = 5) -> Any:
        """``value(state)`` once it stayed the same for ``reports`` reports in a row (the
        window manager and the first arrangement may still move things at first)."""
        seen: list[Any] = []

        def settled() -> Any:
            seen.append(value(self.state()))
            return seen[-1] if len(seen) >= reports and all(v == seen[-1] for v in seen[-reports:]) else None
        return wait_for(lambda: (time.sleep(0.1), settled())[1], what=what)

    def close(self) -> str:
        """Quit with Ctrl+Q, as a user does; return what it wrote on stderr."""
        self.server.xdo("key", "ctrl+q")
        try:
            _, err = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err


@pytest.fixture
def real_window(x_server, tmp_path):
    """Start the window on named segments: ``real_window(name, ...)``."""
    started: list[RealWindow] = []

    def start(*names: str, **env: str) -> RealWindow:
        window = RealWindow(x_server, tmp_path, *names, **env)
        started.append(window)
        return window
    yield start
    for window in started:
        if window.proc.poll() is None:
            window.proc.kill()
            window.proc.wait()
