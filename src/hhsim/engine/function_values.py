"""Compiled functions passed to compiled loops as first-class values.

A loop that takes a model's function as an argument typed as numba's
``FunctionType`` is compiled once for every function of that signature,
and calls it through its address: never inlined, so the function runs the
same machine code whether just compiled or loaded from the cache.  The
cable drivers (:mod:`hhsim.engine.cable_driver`) take their structure's
membrane functions as :class:`CompiledFunction` values, typed lazily with the
rest of their arguments.  (The dopri5 loop, :mod:`hhsim.engine.solvers.dopri5_driver`,
has one explicit signature instead: compiled so, it started 0.2-0.4 s sooner.)
"""

from __future__ import annotations

import warnings

from numba import types
from numba.core.errors import NumbaExperimentalFeatureWarning
from numba.extending import typeof_impl

# numba calls first-class function values experimental; the loops rely on them
warnings.filterwarnings("ignore", message="First-class function type feature is experimental",
                        category=NumbaExperimentalFeatureWarning)


class CompiledFunction(types.WrapperAddressProtocol):
    """A compiled function as a first-class function value (numba's wrapper-address
    protocol): a loop taking it is typed with ``FunctionType(signature)`` and compiled
    once, whatever function it is given.  The function itself is compiled (or loaded
    from the cache) when its address is first asked for."""

    def __init__(self, dispatcher, signature):
        self._dispatcher, self._signature, self._address = dispatcher, signature, None
        self._type = None

    def __wrapper_address__(self) -> int:
        if self._address is None:
            self._dispatcher.compile(self._signature)
            compiled = self._dispatcher.overloads[self._signature.args]
            self._address = compiled.library.get_pointer_to_function(compiled.fndesc.llvm_cfunc_wrapper_name)
        return self._address

    def signature(self):
        return self._signature

    def numba_type(self) -> types.FunctionType:
        """Its numba type, made once (numba's generic typing of a function value builds
        it anew at every call of a loop: 30-40 µs for the dopri5 loop's five values)."""
        if self._type is None:
            self._type = types.FunctionType(self._signature)
        return self._type


@typeof_impl.register(CompiledFunction)
def _typeof_compiled_function(value: CompiledFunction, context) -> types.FunctionType:
    return value.numba_type()
