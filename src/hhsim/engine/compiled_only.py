"""numba functions that only compiled code calls: compiled without the wrappers Python needs.

numba compiles two wrappers beside every function it compiles: one that Python
calls (it converts every argument from a Python object, and the result back)
and one with a C calling convention (what a first-class function value points
to).  Most of the engine's compiled functions are parts of a loop, called only
by other compiled functions; for them both wrappers are work thrown away on a
first run, and the Python one is large where a part takes the network's tables
(hundreds of arrays, each converted from a Python object).  On a first
``hhsim network --preset cobahh`` the wrappers of the loop's parts were 2.1 s
of the 7.8 s LLVM spent in the main process.

:func:`compiled_only` is ``numba.njit`` for such a function: no Python wrapper,
and a C wrapper only when the function is used as a function value
(``function_value=True``: the network loop's parts and membranes, see
:mod:`hhsim.engine.function_values`).  Called from Python, such a function
raises :class:`TypeError` naming it (numba would call a missing wrapper).
"""

from __future__ import annotations

from numba.core.registry import CPUDispatcher


class CompiledOnlyDispatcher(CPUDispatcher):
    """A numba dispatcher whose compiled versions serve compiled callers only: they are
    kept for them (``overloads``) but never entered in the table Python calls go
    through, so a call from Python always lands in :meth:`_compile_for_args`, which
    refuses it."""

    def add_overload(self, cres) -> None:
        self.overloads[tuple(cres.signature.args)] = cres

    def _compile_for_args(self, *args, **kws):
        raise TypeError(f"{self.py_func.__module__}.{self.py_func.__qualname__} is compiled for compiled "
                        "callers only (hhsim.engine.compiled_only); call it from a compiled function, "
                        "or its Python original through .py_func")


def compiled_only(*, function_value: bool = False, cache: bool = True, **options):
    """Decorator: compile the function like ``numba.njit(cache=cache, **options)``, for
    compiled callers only (see the module's docstring).  ``function_value``: keep the
    C wrapper, for a function handed to a loop as a function value."""

    def decorate(py_func):
        targetoptions = dict(options, nopython=True, boundscheck=None, no_cpython_wrapper=True,
                             no_cfunc_wrapper=not function_value)
        dispatcher = CompiledOnlyDispatcher(py_func=py_func, locals={}, targetoptions=targetoptions)
        if cache:
            dispatcher.enable_caching()
        return dispatcher

    return decorate
