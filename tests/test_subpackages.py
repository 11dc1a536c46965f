"""``import hhsim`` reaches every sub-package a user is told about as an attribute
(``hhsim.fit.fit(...)``, ``hhsim.cells.load_cell(...)``), loaded when first used:
``hhsim.fit`` raised AttributeError (found by the hidden-variant pass, issue 24)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import hhsim

#: Sub-packages of hhsim that are internal layers, not a user's entry points.
INTERNAL = {"cli", "engine", "physics"}


def test_every_user_subpackage_is_an_attribute():
    root = Path(hhsim.__file__).parent
    packages = sorted(p.parent.name for p in root.glob("*/__init__.py") if p.parent.name not in INTERNAL)
    assert "fit" in packages and "cells" in packages
    for name in packages:
        assert getattr(hhsim, name) is importlib.import_module(f"hhsim.{name}"), name


def test_subpackages_load_only_when_used():
    probe = "import sys, hhsim; print(sorted(m for m in ('hhsim.fit', 'hhsim.interop') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"
