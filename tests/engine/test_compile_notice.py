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


def steps():
    """Stands for the Python function of one of the engine's own kernels."""


steps.__module__ = "hhsim.engine.network_loop"


class _Shared:
    """Stands for the dispatcher of one of the engine's own kernels (every model shares it)."""

    py_func = staticmethod(steps)


class _Event:
    data = {"dispatcher": _Shared()}


def test_a_shared_kernel_compiled_without_a_prebuilt_set_points_to_hhsim_prebuild(monkeypatch, tmp_path):
    from hhsim import prebuilt_place

    monkeypatch.delenv("HHSIM_QUIET", raising=False)
    monkeypatch.delenv("HHSIM_PREBUILT", raising=False)
    monkeypatch.setenv("HHSIM_PREBUILT_DIR", str(tmp_path))
    notices = []
    for built in (False, True):
        if built:
            (prebuilt_place.current() / "numba").mkdir(parents=True)
        out = Terminal()
        notice = CompileNotice(out)
        notice.on_start(_Event())
        notice.on_end(_Event())
        notices.append(out.getvalue().splitlines()[0])
    assert "hhsim prebuild" in notices[0] and "'steps' (hhsim.engine.network_loop)" in notices[0]
    assert "hhsim prebuild" not in notices[1]  # the set is there: no pointer
