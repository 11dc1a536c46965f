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

Import order: :mod:`~hhsim.engine.cable_helpers` imports the series and the
root finder from here, so this module reaches the cable helpers only through
the module object ``_vec`` (attributes looked up when a kernel is compiled)
and re-exports their names lazily (``__getattr__``); either module may be
imported first.

The generated modules import these; the source hashes of this file and of
the cable helpers are part of each generated module's name, so editing
either invalidates the on-disk compile cache of every kernel that uses it.
"""

from __future__ import annotations

from numba import njit, types
from numba.extending import intrinsic

from ..units import FARADAY

#: Below this |x| the forms x / (1 - e^-x) use their Taylor series (terms to
#: x^8; the first omitted term is below 3e-18 there).  Above it 1 - exp(-x)
#: loses at most a factor 1/|x| <= 10 of relative precision (< 4e-15).
EXP_RATIO_SERIES_BELOW = 0.1


@njit(cache=True, error_model="numpy", inline="always")
def exp_ratio_series(x):
    """Taylor series of ``x / (1 - exp(-x))`` about 0 (to x^8), for |x| < 0.1."""
    x2 = x * x
    return 1.0 + x * 0.5 + x2 * (1.0 / 12.0 + x2 * (-1.0 / 720.0 + x2 * (1.0 / 30240.0 - x2 / 1209600.0)))


def _cubic_crossing_py(c0, c1, c2, c3, thr):
    """Root s in [0, 1] of ``c0 + c1 s + c2 s^2 + c3 s^3 = thr``, given p(0) < thr <= p(1).

    Safeguarded Newton: the bracket [lo, hi] always holds a crossing.
    """
    lo = 0.0
    hi = 1.0
    p0 = c0 - thr
    p1 = c0 + c1 + c2 + c3 - thr
    s = -p0 / (p1 - p0) if p1 != p0 else 0.5
    for _ in range(60):
        p = c0 - thr + s * (c1 + s * (c2 + s * c3))
        if p < 0.0:
            lo = s
        else:
            hi = s
        dp = c1 + s * (2.0 * c2 + 3.0 * s * c3)
        sn = s - p / dp if dp != 0.0 else 0.5 * (lo + hi)
        if not (lo < sn < hi):
            sn = 0.5 * (lo + hi)
        if abs(sn - s) < 1e-15:
            return sn
        s = sn
    return s


cubic_crossing = njit(cache=True, error_model="numpy")(_cubic_crossing_py)


def _hermite_crossing_py(v0, v1, m0, m1, thr):
    """Fraction s in [0, 1] of a step where the cubic Hermite interpolant crosses ``thr``.

    ``v0``, ``v1`` are the values at the ends of the step and ``m0``, ``m1``
    the derivatives times the step length.  Requires ``v0 < thr <= v1``.
    Cubic interpolation makes the spike time error O(dt^4) instead of the
    O(dt^2) of linear interpolation.
    """
    return cubic_crossing(v0, m0, 3.0 * (v1 - v0) - 2.0 * m0 - m1, 2.0 * (v0 - v1) + m0 + m1, thr)


hermite_crossing = njit(cache=True, error_model="numpy")(_hermite_crossing_py)


# The cable helpers import the definitions above (series, root finder); the
# cycle is closed here, after them.  See the module docstring.
from . import cable_helpers as _vec  # noqa: E402

#: Names served by the cable helpers (the vectorisable exp and rate forms).
_FROM_CABLE_HELPERS = ("fexp", "_exp_rate", "_sigmoid_rate", "_linexp_rate",
                       "_exp_rate_e", "_sigmoid_rate_e", "_linexp_rate_e")


def __getattr__(name):
    if name in _FROM_CABLE_HELPERS:
        return getattr(_vec, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@njit(cache=True, error_model="numpy", inline="always", fastmath={"contract"})
def _exp_ratio(x):
    """``x / (1 - exp(-x))``, continuous through x = 0 (limit 1); branch-free.

    Both the series and the closed form are computed and one is selected
    (the closed form's 0/0 at x = 0 is never selected).
    """
    series = exp_ratio_series(x)
    direct = x / (1.0 - _vec.fexp(-x))
    return series if abs(x) < EXP_RATIO_SERIES_BELOW else direct


@njit(cache=True, error_model="numpy", inline="always", fastmath={"contract"})
def _linexp(x, k):
    """``x / (1 - exp(-x/k))`` (expression helper ``linexp``), exact through x = 0."""
    return k * _exp_ratio(x * (1.0 / k))


@njit(cache=True, error_model="numpy", inline="always", fastmath={"contract"})
def _vtrap(x, k):
    """``x / (exp(x/k) - 1)`` (expression helper ``vtrap``), exact through x = 0."""
    return k * _exp_ratio(-x * (1.0 / k))


@njit(cache=True, error_model="numpy", inline="always", fastmath={"contract"})
def _ghk(v, c_in, c_out, z, rtf):
    """GHK current per unit permeability, µA/cm² per cm/s (see ``hhsim.channels.ions``).

    ``z F xi (c_in - c_out e^-xi) / (1 - e^-xi)``, ``xi = z v / rtf``; mM, mV.
    """
    xi = z * v / rtf
    return z * FARADAY * _exp_ratio(xi) * (c_in - c_out * _vec.fexp(-xi))


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
