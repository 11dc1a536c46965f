"""Every name a benchmark script imports from hhsim exists.

The benchmarks are scripts, not tests, so a module moved by a restructuring
(``engine/lower.py`` became ``physics/structure.py``) would break them
silently.  Their imports are read with ``ast`` and resolved here, in process.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def hhsim_imports(path: Path) -> list[tuple[str, str | None]]:
    """(module, name) for every ``from hhsim... import name`` and (module, None) for ``import hhsim...``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "hhsim":
            found += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names if alias.name.split(".")[0] == "hhsim"]
    return found


def test_the_reader_finds_imports(tmp_path):
    script = tmp_path / "b.py"
    script.write_text("import os\nimport hhsim.stim\ndef f():\n    from hhsim.engine.gone import x, y\n")
    assert hhsim_imports(script) == [("hhsim.stim", None), ("hhsim.engine.gone", "x"), ("hhsim.engine.gone", "y")]


@pytest.mark.parametrize("script", sorted(BENCHMARKS.glob("*.py")), ids=lambda p: p.name)
def test_benchmark_imports_resolve(script):
    for module_name, name in hhsim_imports(script):
        module = importlib.import_module(module_name)
        if name is not None and not hasattr(module, name):
            importlib.import_module(f"{module_name}.{name}")  # a submodule, else ImportError
