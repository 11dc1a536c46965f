"""A first compile says so on a terminal, once per kernel, and is silent elsewhere."""

from __future__ import annotations

import io

from numba import njit
from numba.core import event

from hhsim.engine.compile_notice import CompileNotice


class Terminal(io.StringIO):
    def isatty(self):
        return True


def compile_fresh(listener) -> None:
    """Compile two new functions (the inner one nested in the outer's compile)."""

    @njit
    def inner(x):
        return x * 2.0

    @njit
    def outer(x):
        return inner(x) + 1.0

    event.register("numba:compile", listener)
    try:
        assert outer(1.0) == 3.0
        assert outer(2.0) == 5.0  # compiled already: no second notice
    finally:
        event.unregister("numba:compile", listener)


def test_a_terminal_is_told_once_what_is_compiled(monkeypatch):
    monkeypatch.delenv("HHSIM_QUIET", raising=False)
    out = Terminal()
    compile_fresh(CompileNotice(out))
    lines = out.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("hhsim: compiling 'outer'") and "once" in lines[0]
    assert lines[1].startswith("hhsim: compiled in ")


def test_pipes_and_quiet_stay_silent(monkeypatch):
    out = io.StringIO()  # not a terminal
    compile_fresh(CompileNotice(out))
    assert out.getvalue() == ""
    monkeypatch.setenv("HHSIM_QUIET", "1")
    term = Terminal()
    compile_fresh(CompileNotice(term))
    assert term.getvalue() == ""
