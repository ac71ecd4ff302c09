"""Whether Qt will be able to open a window, asked before anything is created.

When Qt's X11 plugin cannot load (a system library missing) or the display cannot
be reached, Qt prints a paragraph that names the wrong library ("xcb-cursor0 is
needed") and aborts the process, which then leaves behind whatever it made first
(a demo's channel, a settings file). These checks run first and turn both into one
line naming the Debian packages to install. Nothing here imports Qt itself.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys

#: Debian packages whose names do not follow from the library's file name.
_PACKAGE_OF = {"libglib-2.0.so.0": "libglib2.0-0", "libgthread-2.0.so.0": "libglib2.0-0",
               "libz.so.1": "zlib1g", "libGL.so.1": "libgl1", "libEGL.so.1": "libegl1",
               "libOpenGL.so.0": "libopengl0"}
#: Seconds to wait for the X server to accept a connection.
CONNECT_TIMEOUT = 3.0


def debian_package(soname: str) -> str:
    """The Debian package that ships ``soname`` (``libxcb-cursor.so.0`` → ``libxcb-cursor0``)."""
    if soname in _PACKAGE_OF:
        return _PACKAGE_OF[soname]
    match = re.fullmatch(r"(.+)\.so\.(\d+)(?:\..*)?", soname)
    if match is None:
        return soname
    stem, version = match.group(1).lower(), match.group(2)
    return f"{stem}-{version}" if stem[-1].isdigit() else f"{stem}{version}"


def missing_libraries(path: str) -> list[str]:
    """The shared libraries ``path`` needs that the system lacks (by ``ldd``; none
    when ``ldd`` itself is missing)."""
    try:
        out = subprocess.run(["ldd", path], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted({line.split()[0] for line in out.splitlines() if "not found" in line})


def _xcb_plugin_files() -> list[str]:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or spec.origin is None:
        return []
    qt = os.path.join(os.path.dirname(spec.origin), "Qt")
    # Qt tries a platform plugin in QT_QPA_PLATFORM_PLUGIN_PATH before its own.
    chosen = os.path.join(os.environ.get("QT_QPA_PLATFORM_PLUGIN_PATH", ""), "libqxcb.so")
    plugin = chosen if os.path.isabs(chosen) and os.path.isfile(chosen) else (
        os.path.join(qt, "plugins", "platforms", "libqxcb.so"))
    files = [plugin, os.path.join(qt, "lib", "libQt6XcbQpa.so.6")]
    return [f for f in files if os.path.exists(f)]


def display_reachable(display: str) -> bool:
    """Whether an X server accepts connections at ``display`` (``:0``, ``host:1.0``)."""
    match = re.fullmatch(r"(?:unix)?([^:]*):(\d+)(?:\.\d+)?", display)
    if match is None:
        return True  # a form we do not know: let Qt try
    host, number = match.group(1), int(match.group(2))
    if host and host != "unix":
        try:
            socket.create_connection((host, 6000 + number), timeout=CONNECT_TIMEOUT).close()
            return True
        except OSError:
            return False
    for address in (f"/tmp/.X11-unix/X{number}", f"\0/tmp/.X11-unix/X{number}"):  # file, abstract
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(CONNECT_TIMEOUT)
            try:
                sock.connect(address)
                return True
            except OSError:
                continue
    return False


def display_problem() -> str | None:
    """Why Qt could not open a window here, in one line; None when it should."""
    platform = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0]
    if not sys.platform.startswith("linux") or platform not in ("", "xcb"):
        return None  # offscreen, wayland, vnc...: chosen on purpose, Qt's to judge
    display = os.environ.get("DISPLAY", "")
    if not display:
        if os.environ.get("WAYLAND_DISPLAY") and not platform:
            return None
        return "there is no display to show the window on (DISPLAY is not set)"
    missing = sorted({lib for path in _xcb_plugin_files() for lib in missing_libraries(path)})
    if missing:
        packages = " ".join(sorted({debian_package(lib) for lib in missing}))
        return (f"Qt's X11 support cannot load: {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} missing (on Debian: apt-get install {packages})")
    if not display_reachable(display):
        return f"cannot connect to the X display {display!r} (is the X server running, and may you use it?)"
    return None
