"""Say so on a terminal when a kernel is compiled (it happens once per model
structure and machine; later runs load it from the cache).

A new user's first run waits seconds for numba: without a word that looks
like a hang.  numba announces every real compilation (never a load from its
cache) as a ``numba:compile`` event; :class:`CompileNotice` listens to them
and, when the stream is a terminal, writes one line as the outermost compile
starts and how long it took when it ends.  Compiles nested inside it (helpers
compiled for the kernel) are silent.  Nothing is written when the stream is
not a terminal (pipes, files, tests, CI) or ``HHSIM_QUIET`` is set.
"""

from __future__ import annotations

import os
import sys
import threading
import time

from numba.core import event

from .. import prebuilt_place
from . import cache as _cache


def _prebuild_hint(dispatcher) -> str:
    """A pointer to ``hhsim prebuild`` when a kernel every model shares (one of the
    engine's own) is compiled because this installation has no prebuilt set."""
    module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
    if not module.startswith("hhsim.engine") or not prebuilt_place.enabled() or prebuilt_place.numba_dir():
        return ""
    return "; `hhsim prebuild` compiles the kernels every model shares once for the installation"


def _describe(dispatcher) -> str:
    func = getattr(dispatcher, "py_func", None)
    name = getattr(func, "__name__", "a kernel")
    module = getattr(func, "__module__", "") or ""
    if module.startswith("hhsim_kernel") or module.startswith("hhsim_"):
        return f"the model's kernel '{name}'"
    return f"'{name}' ({module})" if module else f"'{name}'"


class CompileNotice(event.Listener):
    """Writes ``hhsim: compiling ...`` / ``... done`` for outermost compiles on ``stream``
    (default: the current ``sys.stderr``) when it is a terminal."""

    def __init__(self, stream=None):
        self._stream = stream
        self._local = threading.local()

    def _out(self):
        stream = self._stream if self._stream is not None else sys.stderr
        if os.environ.get("HHSIM_QUIET"):
            return None
        try:
            return stream if stream.isatty() else None
        except (AttributeError, ValueError, OSError):  # closed or replaced streams
            return None

    def on_start(self, ev):
        depth = getattr(self._local, "depth", 0)
        self._local.depth = depth + 1
        if depth:
            return
        self._local.t0 = time.perf_counter()
        out = self._out()
        self._local.shown = out is not None
        if out is None:
            return
        where = _cache.state().root
        kept = f"kept in {where}" if where is not None else "in memory only: no private cache directory"
        dispatcher = ev.data.get("dispatcher")
        try:
            out.write(f"hhsim: compiling {_describe(dispatcher)} "
                      f"(once for this model and machine; {kept}{_prebuild_hint(dispatcher)}) ...\n")
            out.flush()
        except (OSError, ValueError):
            self._local.shown = False

    def on_end(self, ev):
        depth = getattr(self._local, "depth", 1) - 1
        self._local.depth = max(depth, 0)
        if depth or not getattr(self._local, "shown", False):
            return
        out = self._out()
        if out is None:
            return
        try:
            out.write(f"hhsim: compiled in {time.perf_counter() - self._local.t0:.1f} s\n")
            out.flush()
        except (OSError, ValueError):
            pass


_INSTALLED: dict[str, CompileNotice] = {}


def install() -> CompileNotice:
    """Listen to numba's compile events (once per process)."""
    if "notice" not in _INSTALLED:
        notice = CompileNotice()
        event.register("numba:compile", notice)
        _INSTALLED["notice"] = notice
    return _INSTALLED["notice"]
