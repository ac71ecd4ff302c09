"""The shape docs/DESIGN.md asks for, checked rather than hoped for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


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


def test_every_core_module_is_in_the_import_contracts():
    """A new core module is checked by import-linter only if the contracts name it."""
    tomllib = pytest.importorskip("tomllib")
    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    forbidden = next(c for c in config if c["type"] == "forbidden")["source_modules"]
    layers = next(c for c in config if c["type"] == "layers")["layers"]
    layered = {name.strip() for layer in layers for name in layer.split("|")}
    core = {f"mmfviewer.{p.stem}" for p in (root / "mmfviewer").glob("*.py")
            if p.stem not in ("__init__", "__main__")}
    assert core - set(forbidden) == set(), "core modules the Qt contract does not name"
    assert core - layered == set(), "core modules in no layer"
