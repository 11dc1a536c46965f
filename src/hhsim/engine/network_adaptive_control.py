"""The point engine's PI step control for every SIMD lane at once.

:func:`lanes_step_growth` gives, for each lane of the adaptive network path
(:mod:`hhsim.engine.network_adaptive_lanes`), what
:func:`hhsim.engine.solvers.dopri5_driver.step_growth` gives for one cell: the
factor by which the next step grows after an accepted step of scaled error
``err``, ``0.9 err^-0.17 err_prev^0.04`` limited to [0.2, 10] (the factor 10
outright below err = 8e-8), and the log error remembered for the next step.  Written
without branches or library calls (:func:`flog`, and the kernels' ``fexp``), so
that LLVM vectorises the loop over lanes.
"""

from __future__ import annotations

import math

from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from .cable_helpers import _bits_to_float
from .kernel_helpers import fexp
from .network_adaptive_codegen import LANES
from .solvers.dopri5 import LOG_ERR_FLOOR

_LN2 = math.log(2.0)
_SQRT2 = math.sqrt(2.0)
_MANTISSA = (1 << 52) - 1
_ONE_BITS = 1023 << 52
#: Below this scaled error the step grows by the largest factor (step_growth's shortcut).
_TINY_ERR = 8e-8


@intrinsic
def _float_bits(typingctx, x):
    """Reinterpret the bits of a float64 as an int64 (an LLVM bitcast)."""
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


@njit(cache=True, error_model="numpy", fastmath=False)
def flog(x):
    """ln x for a normal positive float64, without branches: x = 2^e m, m in
    [sqrt(1/2), sqrt(2)), ln m = 2 atanh((m - 1)/(m + 1)) by its series to the 15th
    power (|f| <= 0.172: truncation below 2e-14, absolute)."""
    b = _float_bits(x)
    e = (b >> 52) - 1023
    m = _bits_to_float((b & _MANTISSA) | _ONE_BITS)
    big = m > _SQRT2
    m = m * 0.5 if big else m
    e = e + 1 if big else e
    f = (m - 1.0) / (m + 1.0)
    f2 = f * f
    s = f2 * (1.0 / 3 + f2 * (1.0 / 5 + f2 * (1.0 / 7 + f2 * (1.0 / 9 + f2 * (1.0 / 11 + f2 * (1.0 / 13 + f2 / 15))))))
    return e * _LN2 + 2.0 * f + 2.0 * f * s


@njit(cache=True, error_model="numpy", fastmath=False)
def lanes_step_growth(err, log_prev, fac, log_next):
    """For every lane l: ``fac[l]``, the next step's growth after an accepted step of
    scaled error ``err[l]``, and ``log_next[l]``, the log error to remember, from the
    lane's remembered ``log_prev[l]`` (see the module's docstring)."""
    for l in range(LANES):
        e = err[l]
        tiny = e <= _TINY_ERR
        le = flog(max(e, _TINY_ERR))
        grow = min(10.0, max(0.2, 0.9 * fexp(-0.17 * le + 0.04 * log_prev[l])))
        fac[l] = 10.0 if tiny else grow
        log_next[l] = LOG_ERR_FLOOR if tiny else max(le, LOG_ERR_FLOOR)


__all__ = ["flog", "lanes_step_growth"]
