"""The shape docs/DESIGN.md asks for, checked rather than hoped for."""

from __future__ import annotations

import subprocess
import sys


def test_the_core_never_imports_qt_even_indirectly():
    code = """
import pkgutil, sys, importlib, mmfviewer
core = [m.name for m in pkgutil.iter_modules(mmfviewer.__path__) if m.name not in ("qt", "__main__")]
assert len(core) >= 5, core
for name in core:
    importlib.import_module("mmfviewer." + name)
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6"))
sys.exit(f"Qt imported by the core: {bad}" if bad else 0)
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_python_dash_m_runs_the_cli():
    proc = subprocess.run([sys.executable, "-m", "mmfviewer", "--version"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("mmfviewer ")
