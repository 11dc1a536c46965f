"""Small compiled functions shared by every generated kernel module.

Everything a kernel calls inside its loop over neurons is branch-free, so
that LLVM can vectorise that loop: numba's ``math.exp`` stays a scalar
library call (the pip llvmlite has no SVML), an ``if`` on a neuron's value
stops the vectoriser.  The exponential is :func:`fexp` of
:mod:`hhsim.engine.cable_helpers` (range reduction by ln 2, a degree-11
polynomial, the exponent set by an int64-to-float64 bitcast; relative error
below 4e-16), shared with the cable kernels rather than written twice.  The
rate forms (``_exp_rate``, ``_sigmoid_rate``, ``_linexp_rate``: the names the
templates of :mod:`hhsim.channels.base` call) are those of the cable helpers
too; this module re-exports them.  The ratios with a removable singularity
(``x / (1 - e^-x)`` and friends) compute the series and the closed form and
select one, both finite where selected.

Imports go one way: the series and the root finder live in
:mod:`~hhsim.engine.kernel_series`, which both helper modules import.

The generated modules import these; the source hashes of this file, of
the cable helpers and of the series are part of each generated module's name, so editing
either invalidates the on-disk compile cache of every kernel that uses it.
"""

from __future__ import annotations

from numba import njit, types
from numba.extending import intrinsic

from ..units import FARADAY

from .cable_helpers import (  # noqa: F401  (re-exported: the names the templates call)
    _exp_rate,
    _exp_rate_e,
    _linexp_rate,
    _linexp_rate_e,
    _sigmoid_rate,
    _sigmoid_rate_e,
    fexp,
)
from .kernel_series import (  # noqa: F401  (re-exported for the kernels and drivers)
    EXP_RATIO_SERIES_BELOW,
    cubic_crossing,
    exp_ratio_series,
    hermite_crossing,
)


@njit(cache=True, error_model="numpy", fastmath={"contract"}, forceinline=True)
def _exp_ratio(x):
    """``x / (1 - exp(-x))``, continuous through x = 0 (limit 1); branch-free.

    Both the series and the closed form are computed and one is selected
    (the closed form's 0/0 at x = 0 is never selected).
    """
    series = exp_ratio_series(x)
    direct = x / (1.0 - fexp(-x))
    return series if abs(x) < EXP_RATIO_SERIES_BELOW else direct


@njit(cache=True, error_model="numpy", fastmath={"contract"}, forceinline=True)
def _exp_ratio_e(x, e):
    """:func:`_exp_ratio` given its exponential ``e`` = exp(-x), computed elsewhere
    (an expression's ``vtrap``/``linexp`` from shared exponentials): near x = 0 the
    series, which does not use it."""
    series = exp_ratio_series(x)
    direct = x / (1.0 - e)
    return series if abs(x) < EXP_RATIO_SERIES_BELOW else direct


@njit(cache=True, error_model="numpy", fastmath={"contract"}, forceinline=True)
def _linexp(x, k):
    """``x / (1 - exp(-x/k))`` (expression helper ``linexp``), exact through x = 0."""
    return k * _exp_ratio(x * (1.0 / k))


@njit(cache=True, error_model="numpy", fastmath={"contract"}, forceinline=True)
def _vtrap(x, k):
    """``x / (exp(x/k) - 1)`` (expression helper ``vtrap``), exact through x = 0."""
    return k * _exp_ratio(-x * (1.0 / k))


@njit(cache=True, error_model="numpy", fastmath={"contract"}, forceinline=True)
def _ghk(v, c_in, c_out, z, rtf):
    """GHK current per unit permeability, µA/cm² per cm/s (see ``hhsim.channels.ions``).

    ``z F xi (c_in - c_out e^-xi) / (1 - e^-xi)``, ``xi = z v / rtf``; mM, mV.
    """
    xi = z * v / rtf
    return z * FARADAY * _exp_ratio(xi) * (c_in - c_out * fexp(-xi))


@intrinsic
def choose(typingctx, cond, a, b):
    """``a if cond else b`` as one LLVM ``select``, for float64 ``a`` and ``b``.

    Both values are computed and neither is branched around, so a loop over
    neurons that uses it stays a straight line that LLVM can vectorise.  (A
    Python conditional expression becomes a branch, and LLVM keeps it one when
    an arm holds a division or a load.)
    """
    sig = types.float64(types.boolean, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        return builder.select(args[0], args[1], args[2])

    return sig, codegen
