"""The README's pictures, taken as a user sees the app: a real X server (Xvfb) with a
window manager (openbox), the real ``mmfviewer`` window driven by real keys and clicks
(xdotool), ImageMagick's ``import``.

    python scripts/take_screenshots.py [--out resources] [--only SCENE ...] [--display :93]

Needs Xvfb, openbox, xdotool, xwininfo and imagemagick; the .NET scene needs mcs and
mono too. Each window has a throwaway home (no user settings), each segment is
removed afterwards. The scenes (all by default):

  raw              for each screen size (1024x700, 1920x1080, 2560x1440), light and
                   dark, maximized: a raw segment another process is writing to
  demo             the demo's two windows at each size, light and dark
  message-details  a channel with a few messages, one selected: its tree and
                   hexdump, its record outlined in the hex view
  dotnet-message   a .NET Message written by seed 1's Proc1, opened read-write: its
                   content selected in the tree, the compose panel's Members form
  live-hex-view    the hex view and the inspector while another process writes text
                   and numbers into a raw segment: changed bytes lit and fading

The last three are light, on a 1920x1080 screen. Where they drag a dock's edge or
click a field, the places below are this version's layout: look at the pictures after
the docks change.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from screen_session import TOOLS, Screen, free_name, gui, mmfviewer, x_screen

ROOT = Path(__file__).resolve().parents[1]
SIZES = ((1024, 700), (1920, 1080), (2560, 1440))
#: The README's close-ups: a 1920x1080 screen, the window this size inside its frame.
README_SCREEN, README_WINDOW = (1920, 1080), (1600, 1000)
SCENES = ("raw", "demo", "message-details", "dotnet-message", "live-hex-view")
#: A record as C programs share them: a header of numbers, then a name (raw bytes, not text).
RECORD = (b"\x4d\x4d\x46\x01" + (7).to_bytes(4, "little") + (1733000000).to_bytes(8, "little")
          + b"\x00\x00\x80\x3f" + b"sensor-7 temperature\x00" + bytes(11) + (2150).to_bytes(4, "little"))
#: What message-details sends; the second is the one selected.
MESSAGES = (("--text", "pump 4 started"), ("--json", '{"temp": 21.5, "tags": ["a", "b"], "raw": null}'),
            ("--text", "pressure 2.15 bar"), ("--json", '{"temp": 21.7, "tags": [], "raw": null}'),
            ("--text", "pump 4 stopped"))
#: The View menu's rows down to "Compose" (Bytes per row, Zoom in, Zoom out, Pause,
#: Refresh now, Refresh interval, Segments, Data inspector, Messages, Selected message).
VIEW_MENU_TO_COMPOSE = 10
#: In a README_WINDOW without the compose panel: the edge between the messages and the
#: selected message, and where the user drags it (in the window).
DETAILS_SEPARATOR, DETAILS_SEPARATOR_TO = (961, 925), (630, 925)
#: In a README_WINDOW on a .NET segment: the edge above the docks below the bytes, the
#: one between the value and the compose panel, and where the user drags them.
DOCKS_TOP, DOCKS_TOP_TO = (599, 759), (599, 520)
COMPOSE_SEPARATOR, COMPOSE_SEPARATOR_TO = (1526, 778), (880, 778)
MEMBERS_CONTENT = (1167, 646)  # the Members form's content field, once the panel is wide
#: live-hex-view's picture: the hex view and the inspector of the maximized window (x, y,
#: width, height in the window), down to a row's edge.
LIVE_CROP = (364, 61, 1556, 518)


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


def feed_writer(name: str, seconds: float) -> subprocess.Popen:
    """Another process writing text and numbers at a few places, one field each 0.2 s
    in turn: some bytes just changed, others fading."""
    code = f"""
import math, random, struct, time
from mmfviewer.segment import Segment
seg = Segment.open({name!r}, readonly=False)
rng = random.Random(7)
fields = [
    (0x060, lambda i: f"tick {{i:<6d}}".encode()),
    (0x0A0, lambda i: struct.pack("<Id", i, 21.5 + math.sin(i / 7))),
    (0x100, lambda i: time.strftime("%H:%M:%S").encode() + f".{{int(time.time() * 1000) % 1000:03d}}".encode()),
    (0x160, lambda i: f"pump {{1 + i // 7 % 4}}: {{'running' if i % 14 < 7 else 'stopped'}}".encode()),
    (0x1C0, lambda i: f"pressure {{2 + math.cos(i / 5) / 4:.2f}} bar".encode()),
    (0x220, lambda i: struct.pack("<q", time.time_ns())),
    (0x280, lambda i: rng.randbytes(12)),
]
end, i = time.time() + {seconds}, 0
while time.time() < end:
    offset, value = fields[i % len(fields)]
    seg.write(offset, value(i))
    i += 1
    time.sleep(0.2)
"""
    return subprocess.Popen([sys.executable, "-c", code])


def filter_segments(screen: Screen, text: str) -> None:
    """Type into the segment list's filter: only this scene's segment shows, not every
    other program's on the machine."""
    screen.keys("alt+1", "shift+Tab")
    screen.type(text)


def go_to(screen: Screen, offset: int) -> None:
    """Edit ▸ Go to offset, from the keyboard."""
    screen.keys("alt+2", "ctrl+g", "ctrl+a")
    screen.type(f"0x{offset:X}")
    screen.keys("Return")


def shoot_raw(screen: Screen, name: str, out: Path, width: int, height: int) -> None:
    for scheme in ("light", "dark"):
        with gui(screen, name, "--color-scheme", scheme, title=f"mmfviewer — {name}") as window:
            screen.place(window, width, height, framed=False)  # the screen's size: a maximized window
            scribble = writer(name, 6)
            time.sleep(2.5)
            screen.shoot(out / f"raw-{width}x{height}-{scheme}.png")
            scribble.wait()


def shoot_demo(screen: Screen, channel: str, path: Path, scheme: str) -> None:
    """The demo's two windows with a few messages from a third process, closed as a
    user closes them."""
    home = tempfile.mkdtemp(prefix="mmfviewer-shots-")
    demo = mmfviewer("demo", channel, "--color-scheme", scheme, env={**screen.env, "HOME": home}, wait=False)
    time.sleep(4)
    for text in ("pump 4 started", "pressure 2.15 bar", "pump 4 stopped"):
        mmfviewer("send", channel, "--text", text)
    time.sleep(2)
    screen.shoot(path)
    for title in ("window A", "window B"):
        for window in subprocess.run(["xdotool", "search", "--name", title], env=screen.env,
                                     capture_output=True, text=True).stdout.split():
            subprocess.run(["xdotool", "windowactivate", "--sync", window, "key", "ctrl+q"], env=screen.env)
    demo.wait(20)
    mmfviewer("rm", channel)
    shutil.rmtree(home, ignore_errors=True)


def record_offset(name: str, index: int) -> int:
    """Where message ``index`` (0: the oldest) of channel ``name`` has its record."""
    from mmfviewer.channel import Channel

    channel = Channel.open(name, readonly=True)
    try:
        return channel.record_place(channel.reader("oldest").poll()[index])[0]
    finally:
        channel.close()


def shoot_message_details(screen: Screen, out: Path) -> None:
    """A channel's messages as they arrive; the user selects the first JSON one."""
    name = free_name("sensors")
    mmfviewer("create", name, "--layout", "channel")
    try:
        with gui(screen, name, "--color-scheme", "light", title=f"mmfviewer — {name}") as window:
            screen.place(window, *README_WINDOW)
            for args in MESSAGES:
                mmfviewer("send", name, *args)
                time.sleep(0.3)
            filter_segments(screen, name)
            go_to(screen, record_offset(name, 1))
            # View ▸ Compose off: the messages and the selected message share the width...
            screen.keys("alt+v", *["Down"] * VIEW_MENU_TO_COMPOSE, "Return")
            # ...and the selected message takes what its hexdump needs from the messages.
            screen.drag(screen.at(window, *DETAILS_SEPARATOR), screen.at(window, *DETAILS_SEPARATOR_TO))
            screen.keys("alt+3", "Down", pause=1)
            screen.shoot(out / "message-details.png", crop=screen.frame(window))
    finally:
        mmfviewer("rm", name)


def dotnet_programs(directory: Path):
    """Seed 1's programs, compiled with mcs as the tests compile them."""
    sys.path.insert(0, str(ROOT))
    from tests.dotnet_programs import DotnetPrograms, _compile

    mcs, mono = shutil.which("mcs"), shutil.which("mono")
    if mcs is None or mono is None:
        raise SystemExit("dotnet-message needs mcs and mono")
    _compile(mcs, directory)
    return DotnetPrograms(directory, mono)


def shoot_dotnet_message(screen: Screen, out: Path) -> None:
    """Proc1 writes a Message; the user opens it read-write, selects its content and
    shows the compose panel."""
    build = Path(tempfile.mkdtemp(prefix="mmfviewer-dotnet-"))
    name = free_name("mmf1")
    try:
        dotnet_programs(build).check_output("Proc1", f"/dev/shm/{name}", "--count", "1",
                                            "--title", "Weather", "--content", "Sunny, 21 °C")
        with gui(screen, name, "--read-write", "--color-scheme", "light", title=f"mmfviewer — ✎ {name}") as window:
            screen.place(window, *README_WINDOW)
            filter_segments(screen, name)
            screen.keys("alt+3", "Down", "Down", "alt+5", pause=0.6)
            # Alt+5 shows the compose panel at the edge, thin: the user gives the docks
            # below the bytes more height, and the compose panel the width of its form.
            screen.drag(screen.at(window, *DOCKS_TOP), screen.at(window, *DOCKS_TOP_TO))
            screen.drag(screen.at(window, *COMPOSE_SEPARATOR), screen.at(window, *COMPOSE_SEPARATOR_TO))
            # A new content typed into the Members form (Send lights up), then back to the tree.
            screen.xdotool("mousemove", *map(str, screen.at(window, *MEMBERS_CONTENT)), "click", "1")
            screen.keys("ctrl+a")
            screen.type("Cloudy, 18 °C")
            screen.keys("alt+3")
            screen.park_pointer()
            screen.shoot(out / "dotnet-message.png", crop=screen.frame(window))
    finally:
        if Path(f"/dev/shm/{name}").exists():
            mmfviewer("rm", name)
        shutil.rmtree(build, ignore_errors=True)


def shoot_live_hex_view(screen: Screen, out: Path) -> None:
    """A raw segment another process writes text and numbers into, the cursor on a
    number it keeps changing."""
    name = free_name("sensor-feed")
    mmfviewer("create", name, "--size", "4KiB")
    mmfviewer("write", name, "--offset", "0", "--hex", RECORD.hex())  # a C program's header: raw bytes
    try:
        with gui(screen, name, "--color-scheme", "light", title=f"mmfviewer — {name}") as window:
            screen.maximize(window)
            filter_segments(screen, name)
            go_to(screen, 0x0A4)  # the temperature, a double: the inspector reads it
            scribble = feed_writer(name, 8)
            time.sleep(3.5)
            x, y, width, height = LIVE_CROP
            screen.shoot(out / "live-hex-view.png", crop=(*screen.at(window, x, y), width, height))
            scribble.wait()
    finally:
        mmfviewer("rm", name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "resources"))
    parser.add_argument("--only", nargs="+", choices=SCENES, default=SCENES, metavar="SCENE",
                        help=f"take only these: {', '.join(SCENES)} (default: all)")
    parser.add_argument("--display", help="the X display to start Xvfb on, e.g. :93 (default: a free one)")
    args = parser.parse_args()
    for tool in TOOLS:
        if shutil.which(tool) is None:
            raise SystemExit(f"needs {tool}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if {"raw", "demo"} & set(args.only):
        name = free_name(f"screenshot-{random.randrange(1 << 30):x}")
        mmfviewer("create", name, "--size", "64KiB")
        mmfviewer("write", name, "--offset", "0", "--hex", RECORD.hex())
        try:
            for width, height in SIZES:
                with x_screen(width, height, args.display) as env:
                    screen = Screen(env)
                    if "raw" in args.only:
                        shoot_raw(screen, name, out, width, height)
                    if "demo" in args.only:
                        for scheme in ("light", "dark"):
                            shoot_demo(screen, f"{name}-demo", out / f"demo-{width}x{height}-{scheme}.png", scheme)
        finally:
            mmfviewer("rm", name)
    readme = {"message-details": shoot_message_details, "dotnet-message": shoot_dotnet_message,
              "live-hex-view": shoot_live_hex_view}
    if set(readme) & set(args.only):
        with x_screen(*README_SCREEN, args.display) as env:
            for scene, shoot in readme.items():
                if scene in args.only:
                    shoot(Screen(env), out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
