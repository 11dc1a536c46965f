"""Functions compiled for compiled callers only (hhsim.engine.compiled_only): no wrapper for
Python, a C wrapper only for function values, and a clear error instead of a crash when
Python calls one."""

import numpy as np
import pytest
from numba import njit, types

from hhsim.engine.compiled_only import compiled_only
from hhsim.engine.function_values import CompiledFunction


@compiled_only(cache=False)
def _square_sum(x):
    total = 0.0
    for value in x:
        total += value * value
    return total


@njit(cache=False)
def _caller(x):
    return _square_sum(x) + 1.0


@compiled_only(cache=False, function_value=True)
def _scaled(a, b):
    return 3.0 * a - b


@njit(cache=False)
def _through_value(f, a, b):
    return f(a, b)


def test_a_compiled_caller_gets_the_function_and_python_gets_a_clear_error():
    x = np.array([1.0, 2.0, 3.0])
    assert _caller(x) == 1.0 + 1.0 + 4.0 + 9.0
    with pytest.raises(TypeError, match="_square_sum is compiled for compiled callers only"):
        _square_sum(x)
    assert _square_sum.py_func(x) == 14.0


def test_no_wrapper_for_python_and_a_c_wrapper_only_when_asked():
    _caller(np.zeros(2))
    inner = next(iter(_square_sum.overloads.values()))
    assert inner.library.get_pointer_to_function(inner.fndesc.llvm_cpython_wrapper_name) == 0
    assert inner.library.get_pointer_to_function(inner.fndesc.llvm_cfunc_wrapper_name) == 0
    value = CompiledFunction(_scaled, types.float64(types.float64, types.float64))
    assert _through_value(value, 2.0, 0.5) == 5.5
    compiled = _scaled.overloads[(types.float64, types.float64)]
    assert compiled.library.get_pointer_to_function(compiled.fndesc.llvm_cfunc_wrapper_name) != 0
    assert compiled.library.get_pointer_to_function(compiled.fndesc.llvm_cpython_wrapper_name) == 0
