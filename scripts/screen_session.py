"""What scripts/take_screenshots.py drives a real X session with: an Xvfb screen with
openbox, the real ``mmfviewer`` window with a throwaway home, real keys and clicks
(xdotool), and ImageMagick's ``import`` for the picture."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

TOOLS = ("Xvfb", "openbox", "xdotool", "xwininfo", "import", "convert")


def run(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=True, **kw)


def mmfviewer(*args: str, env: dict[str, str] | None = None, wait: bool = True):
    cmd = [sys.executable, "-m", "mmfviewer", *args]
    if wait:
        return subprocess.run(cmd, env=env, check=True, capture_output=True)
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def free_name(wanted: str) -> str:
    """``wanted`` if no segment has that name, else it with a random suffix (another
    program's segment is never touched)."""
    name = wanted
    while os.path.exists(f"/dev/shm/{name}"):
        name = f"{wanted}-{random.randrange(1 << 16):x}"
    return name


@contextlib.contextmanager
def x_screen(width: int, height: int, display: str | None = None) -> Iterator[dict[str, str]]:
    """An Xvfb screen with openbox; yields the environment that reaches it. Without
    ``display``, Xvfb picks a free display number itself (``-displayfd``)."""
    read, write = os.pipe()
    args = ["Xvfb", display or "-displayfd", *(() if display else (str(write),)),
            "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"]
    xvfb = subprocess.Popen(args, stderr=subprocess.DEVNULL, pass_fds=(write,))
    os.close(write)
    with os.fdopen(read) as numbers:
        number = display or f":{numbers.readline().strip()}"
    time.sleep(0.3 if not display else 1)  # -displayfd answers once the server is up
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env["DISPLAY"] = number
    wm = subprocess.Popen(["openbox"], env=env, stderr=subprocess.DEVNULL)
    time.sleep(0.7)
    try:
        yield env
    finally:
        wm.terminate()
        xvfb.terminate()
        wm.wait()
        xvfb.wait()


class Screen:
    """Real input to, and pictures of, the X screen in ``env``."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def xdotool(self, *args: str) -> str:
        return run("xdotool", *args, env=self.env, capture_output=True, text=True).stdout

    def keys(self, *keys: str, pause: float = 0.4) -> None:
        """Press each key (``alt+3``, ``Down``...) in turn, as a user does."""
        for key in keys:
            self.xdotool("key", key)
            time.sleep(pause)

    def type(self, text: str) -> None:
        self.xdotool("type", "--delay", "40", text)
        time.sleep(0.4)

    def drag(self, start: tuple[int, int], end: tuple[int, int]) -> None:
        """Press the left button at ``start``, move to ``end`` in steps, let go; the
        pointer then leaves for a corner where it hides no text."""
        (x0, y0), (x1, y1) = start, end
        self.xdotool("mousemove", str(x0), str(y0), "mousedown", "1")
        for step in range(1, 6):
            time.sleep(0.1)
            self.xdotool("mousemove", str(x0 + (x1 - x0) * step // 5), str(y0 + (y1 - y0) * step // 5))
        self.xdotool("mouseup", "1")
        self.park_pointer()

    def park_pointer(self) -> None:
        self.xdotool("mousemove", "5", "5")
        time.sleep(0.3)

    def window(self, title: str, timeout: float = 15) -> str:
        """The id of the visible window whose title contains ``title``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", title], env=self.env,
                                   capture_output=True, text=True).stdout.split()
            if found:
                return found[0]
            time.sleep(0.2)
        raise SystemExit(f"no window titled {title!r} appeared")

    def place(self, window: str, width: int, height: int, *, framed: bool = True) -> None:
        """The window's inside ``width`` x ``height`` at the top left; ``framed``: the
        window manager's frame (title bar) on screen too, not above it."""
        self.xdotool("windowmove", window, "0", "0", "windowsize", window, str(width), str(height))
        time.sleep(1)
        x, y, _, _ = self.frame(window)
        if framed and (x, y) != (0, 0):
            self.xdotool("windowmove", window, str(-x), str(-y))
            time.sleep(1)

    def maximize(self, window: str) -> None:
        """Maximize as a user does: double-click the title bar (openbox's default)."""
        x, y, width, _ = self.frame(window)
        self.xdotool("mousemove", str(x + width // 2), str(y + 8), "click", "--repeat", "2", "--delay", "80", "1")
        self.park_pointer()
        time.sleep(1)

    def frame(self, window: str) -> tuple[int, int, int, int]:
        """(x, y, width, height) of the window with the window manager's frame."""
        while True:
            tree = run("xwininfo", "-tree", "-id", window, env=self.env, capture_output=True, text=True).stdout
            root = next(line.split()[3] for line in tree.splitlines() if "Root window id:" in line)
            parent = next(line.split()[3] for line in tree.splitlines() if "Parent window id:" in line)
            if parent == root:
                return self.geometry(window)
            window = parent

    def at(self, window: str, x: int, y: int) -> tuple[int, int]:
        """Where on the screen point (``x``, ``y``) of the window's inside is."""
        left, top, _, _ = self.geometry(window)
        return left + x, top + y

    def geometry(self, window: str) -> tuple[int, int, int, int]:
        """(x, y, width, height) of ``window`` on the screen."""
        info = run("xwininfo", "-id", window, env=self.env, capture_output=True, text=True).stdout
        fields = dict(line.strip().split(":", 1) for line in info.splitlines() if ":" in line)

        def number(key: str) -> int:
            return int(fields[key].strip())
        return (number("Absolute upper-left X"), number("Absolute upper-left Y"),
                number("Width"), number("Height"))

    def shoot(self, path: Path, crop: tuple[int, int, int, int] | None = None) -> None:
        """The whole screen (or ``crop``: x, y, width, height) as ``path``, metadata stripped."""
        run("import", "-window", "root", str(path), env=self.env)
        args = ["convert", str(path)]
        if crop is not None:
            x, y, width, height = crop
            args += ["-crop", f"{width}x{height}+{x}+{y}", "+repage"]
        run(*args, "-strip", str(path))
        print(path)


@contextlib.contextmanager
def gui(screen: Screen, *args: str, title: str) -> Iterator[str]:
    """``mmfviewer gui ARGS`` with a throwaway home (no user settings get in); yields
    its window once shown, and quits it with Ctrl+Q as a user does."""
    home = tempfile.mkdtemp(prefix="mmfviewer-shots-")
    app = mmfviewer("gui", *args, env={**screen.env, "HOME": home, "XDG_CONFIG_HOME": f"{home}/.config"},
                    wait=False)
    try:
        window = screen.window(title)
        time.sleep(1.5)
        yield window
        screen.xdotool("windowactivate", "--sync", window, "key", "ctrl+q")
        app.wait(20)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
        shutil.rmtree(home, ignore_errors=True)
