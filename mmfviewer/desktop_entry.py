"""mmfviewer in the desktop's menu: a freedesktop.org ``.desktop`` entry and its icon.

``pip install`` cannot put files where desktops look for applications, so
``mmfviewer install-desktop`` writes them into the user's XDG data directory
(``$XDG_DATA_HOME``, by default ``~/.local/share``): ``applications/mmfviewer.desktop``
and ``icons/hicolor/scalable/apps/mmfviewer.svg``. ``--remove`` takes them away.
The entry starts the very ``mmfviewer`` that wrote it (its absolute path), so a
virtual environment need not be on the desktop's PATH.
"""

from __future__ import annotations

import os
import shutil
import sys
from importlib import resources
from pathlib import Path

APP_ID = "mmfviewer"
#: Characters that make an Exec argument need quotes (Desktop Entry spec).
_RESERVED = frozenset(" \t\"'\\><~|&;$*?#()`")


def icon_path() -> Path:
    """The application icon (SVG) shipped in the package."""
    return Path(str(resources.files("mmfviewer") / "assets" / "mmfviewer.svg"))


def data_home() -> Path:
    """The user's XDG data directory."""
    value = os.environ.get("XDG_DATA_HOME", "")
    return Path(value) if os.path.isabs(value) else Path.home() / ".local" / "share"


def entry_text(command: list[str]) -> str:
    """The ``.desktop`` entry that starts ``command`` (a program and its arguments)."""
    def quote(arg: str) -> str:
        # The Desktop Entry spec: quote an argument holding a reserved character,
        # backslash-escape " ` $ \\ inside the quotes, write % as %%; the whole value
        # is then a string, whose backslashes are escaped once more.
        if "\n" in arg or "\r" in arg:
            raise ValueError(f"a menu entry cannot start a path with a line break in it: {arg!r}")
        arg = arg.replace("%", "%%")
        if any(c in _RESERVED for c in arg):
            arg = '"' + "".join("\\" + c if c in '"`$\\' else c for c in arg) + '"'
        return arg.replace("\\", "\\\\")
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Name=mmfviewer",
        "GenericName=Shared memory inspector",
        "Comment=Watch, decode and write named shared memory live",
        f"Exec={' '.join(quote(arg) for arg in [*command, 'gui'])}",
        f"Icon={APP_ID}",
        "Terminal=false",
        "Categories=Development;Debugger;",
        "Keywords=shared memory;mmap;hex;ipc;",
        "StartupWMClass=mmfviewer",
        "",
    ])


def own_command() -> list[str]:
    """How to start the ``mmfviewer`` that is running: its script (the one beside this
    Python, as a virtual environment has it), else ``python -m mmfviewer``."""
    for candidate in (Path(sys.executable).parent / APP_ID, Path(sys.argv[0]) if sys.argv else None):
        if candidate is not None and candidate.name == APP_ID and candidate.is_file():
            return [str(candidate.absolute())]
    return [sys.executable, "-m", APP_ID]


def install(home: Path | None = None, command: list[str] | None = None) -> list[Path]:
    """Write the entry and the icon under ``home`` (the XDG data directory); return them."""
    home = home or data_home()
    entry = home / "applications" / f"{APP_ID}.desktop"
    icon = home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    for path in (entry, icon):
        path.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text(entry_text(command or own_command()))
    shutil.copyfile(icon_path(), icon)
    return [entry, icon]


def remove(home: Path | None = None) -> list[Path]:
    """Delete what :func:`install` wrote (what is there of it); return what went."""
    home = home or data_home()
    gone = []
    for path in (home / "applications" / f"{APP_ID}.desktop",
                 home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"):
        if path.is_file():
            path.unlink()
            gone.append(path)
    return gone
