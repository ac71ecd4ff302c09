"""The README's pictures, taken as a user sees the app: a real X server (Xvfb) with a
window manager (openbox), the real ``mmfviewer`` maximized, ImageMagick's ``import``.

    python scripts/take_screenshots.py [--out resources]

Needs Xvfb, openbox, xdotool and imagemagick. For each screen size (1024x700,
1920x1080, 2560x1440), light and dark: a raw segment another process is writing to,
and the demo's two windows.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = ((1024, 700), (1920, 1080), (2560, 1440))
DISPLAY = ":87"
#: A record as C programs share them: a header of numbers, then a name (raw bytes, not text).
RECORD = (b"\x4d\x4d\x46\x01" + (7).to_bytes(4, "little") + (1733000000).to_bytes(8, "little")
          + b"\x00\x00\x80\x3f" + b"sensor-7 temperature\x00" + bytes(11) + (2150).to_bytes(4, "little"))


def run(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=True, **kw)


def mmfviewer(*args: str, env: dict[str, str] | None = None, wait: bool = True):
    cmd = [sys.executable, "-m", "mmfviewer", *args]
    if wait:
        return subprocess.run(cmd, env=env, check=True, capture_output=True)
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def writer(name: str, seconds: float) -> subprocess.Popen:
    """Another process writing a few bytes at random places, several times a second."""
    code = f"""
import random, time
from mmfviewer.segment import Segment
seg = Segment.open({name!r}, readonly=False)
rng = random.Random(3)
end = time.time() + {seconds}
while time.time() < end:
    seg.write(rng.randrange(0x40, 0x600), rng.randbytes(rng.randint(1, 6)))
    time.sleep(0.15)
"""
    return subprocess.Popen([sys.executable, "-c", code])


def shoot(env: dict[str, str], path: Path) -> None:
    run("import", "-window", "root", str(path), env=env)


def shoot_demo(env: dict[str, str], channel: str, path: Path, scheme: str) -> None:
    """The demo's two windows with a few messages from a third process, closed as a
    user closes them."""
    home = tempfile.mkdtemp(prefix="mmfviewer-shots-")
    demo = mmfviewer("demo", channel, "--color-scheme", scheme, env={**env, "HOME": home}, wait=False)
    time.sleep(4)
    for text in ("pump 4 started", "pressure 2.15 bar", "pump 4 stopped"):
        mmfviewer("send", channel, "--text", text)
    time.sleep(2)
    shoot(env, path)
    for title in ("window A", "window B"):
        for window in subprocess.run(["xdotool", "search", "--name", title], env=env,
                                     capture_output=True, text=True).stdout.split():
            subprocess.run(["xdotool", "windowactivate", "--sync", window, "key", "ctrl+q"], env=env)
    demo.wait(20)
    mmfviewer("rm", channel)
    shutil.rmtree(home, ignore_errors=True)


def maximize(env: dict[str, str], title: str, width: int, height: int) -> None:
    for _ in range(50):
        ids = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", title], env=env,
                             capture_output=True, text=True).stdout.split()
        if ids:
            run("xdotool", "windowmove", ids[0], "0", "0", "windowsize", ids[0], str(width), str(height), env=env)
            return
        time.sleep(0.2)
    raise SystemExit(f"no window titled {title!r} appeared")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "resources"))
    args = parser.parse_args()
    for tool in ("Xvfb", "openbox", "xdotool", "import"):
        if shutil.which(tool) is None:
            raise SystemExit(f"needs {tool}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = f"screenshot-{random.randrange(1 << 30):x}"
    mmfviewer("create", name, "--size", "64KiB")
    mmfviewer("write", name, "--offset", "0", "--hex", RECORD.hex())
    try:
        for width, height in SIZES:
            xvfb = subprocess.Popen(["Xvfb", DISPLAY, "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
                                    stderr=subprocess.DEVNULL)
            time.sleep(1)
            env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
            env["DISPLAY"] = DISPLAY
            wm = subprocess.Popen(["openbox"], env=env, stderr=subprocess.DEVNULL)
            time.sleep(0.7)
            try:
                for scheme in ("light", "dark"):
                    home = tempfile.mkdtemp(prefix="mmfviewer-shots-")
                    app_env = {**env, "HOME": home, "XDG_CONFIG_HOME": f"{home}/.config"}
                    app = mmfviewer("gui", name, "--color-scheme", scheme, env=app_env, wait=False)
                    maximize(env, f"mmfviewer — {name}", width, height)
                    scribble = writer(name, 6)
                    time.sleep(2.5)
                    shoot(env, out / f"raw-{width}x{height}-{scheme}.png")
                    scribble.wait()
                    subprocess.run(["xdotool", "key", "ctrl+q"], env=env)
                    app.wait(20)
                    shutil.rmtree(home, ignore_errors=True)
                for scheme in ("light", "dark"):
                    shoot_demo(env, f"{name}-demo", out / f"demo-{width}x{height}-{scheme}.png", scheme)
            finally:
                wm.terminate()
                xvfb.terminate()
                wm.wait()
                xvfb.wait()
    finally:
        mmfviewer("rm", name)
    for path in sorted(out.glob("*-*x*.png")):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
