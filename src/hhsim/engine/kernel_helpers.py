"""Small compiled functions shared by every generated kernel module.

The generated modules import these; their source hash is part of each
generated module's name, so editing this file invalidates the on-disk
compile cache of every kernel that uses it.
"""

from __future__ import annotations

import math

from numba import njit

from ..units import FARADAY


@njit(cache=True, error_model="numpy")
def _exp_rate(v, a, k, v0):
    """``a * exp((v - v0) / k)``."""
    return a * math.exp((v - v0) / k)


@njit(cache=True, error_model="numpy")
def _sigmoid_rate(v, a, k, v0):
    """``a / (1 + exp((v - v0) / k))``."""
    return a / (1.0 + math.exp((v - v0) / k))


#: Below this |x| the forms x / (1 - e^-x) use their Taylor series (terms to
#: x^8; the first omitted term is below 3e-18 there).  Above it 1 - exp(-x)
#: loses at most a factor 1/|x| <= 10 of relative precision (< 3e-15), and
#: ``math.exp`` costs a third of ``math.expm1``: the linear-over-exponential
#: rates are a fifth of the default kernel's time for ``hh``.
EXP_RATIO_SERIES_BELOW = 0.1


@njit(cache=True, error_model="numpy", inline="always")
def exp_ratio_series(x):
    """Taylor series of ``x / (1 - exp(-x))`` about 0 (to x^8), for |x| < 0.1."""
    x2 = x * x
    return 1.0 + x * 0.5 + x2 * (1.0 / 12.0 + x2 * (-1.0 / 720.0 + x2 * (1.0 / 30240.0 - x2 / 1209600.0)))


@njit(cache=True, error_model="numpy", inline="always")
def _exp_ratio(x):
    """``x / (1 - exp(-x))``, continuous through x = 0 (limit 1)."""
    if abs(x) < EXP_RATIO_SERIES_BELOW:
        return exp_ratio_series(x)
    return x / (1.0 - math.exp(-x))


@njit(cache=True, error_model="numpy")
def _linexp_rate(v, a, k, v0):
    """``a (v - v0) / (1 - exp(-(v - v0)/k))``, exact through the removable singularity."""
    return a * k * _exp_ratio((v - v0) / k)


@njit(cache=True, error_model="numpy")
def _linexp(x, k):
    """``x / (1 - exp(-x/k))`` (expression helper ``linexp``), exact through x = 0."""
    return k * _exp_ratio(x / k)


@njit(cache=True, error_model="numpy")
def _vtrap(x, k):
    """``x / (exp(x/k) - 1)`` (expression helper ``vtrap``), exact through x = 0."""
    return k * _exp_ratio(-x / k)


@njit(cache=True, error_model="numpy")
def _ghk(v, c_in, c_out, z, rtf):
    """GHK current per unit permeability, µA/cm² per cm/s (see ``hhsim.channels.ions``).

    ``z F xi (c_in - c_out e^-xi) / (1 - e^-xi)``, ``xi = z v / rtf``; mM, mV.
    """
    xi = z * v / rtf
    return z * FARADAY * _exp_ratio(xi) * (c_in - c_out * math.exp(-xi))


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
