"""One progress bar for all long work (hhsim.progress): drawn only on a terminal,
never with progress=False or $HHSIM_QUIET, and the modules use it rather than tqdm."""

from __future__ import annotations

import ast
from pathlib import Path

import hhsim
from hhsim import progress


def test_a_bar_only_on_a_terminal(monkeypatch):
    monkeypatch.delenv("HHSIM_QUIET", raising=False)
    assert progress.bar(10, desc="x", unit="step").disable  # pytest's stderr is not a terminal
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    assert not progress.bar(10, desc="x", unit="step").disable
    assert progress.bar(10, desc="x", unit="step", progress=False).disable
    monkeypatch.setenv("HHSIM_QUIET", "1")
    assert progress.bar(10, desc="x", unit="step").disable


def test_long_work_takes_its_bar_from_the_one_helper():
    src = Path(hhsim.__file__).parent
    allowed = {src / "progress.py", src / "sweep" / "run.py"}  # the sweep's bar can be forced on (report=True)
    direct = []
    for path in src.rglob("*.py"):
        if path in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            direct += [f"{path.relative_to(src)} imports {n}" for n in names if n.split(".")[0] == "tqdm"]
    assert direct == []
