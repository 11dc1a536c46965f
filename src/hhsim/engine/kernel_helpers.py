"""Small compiled functions shared by every generated kernel module.

The generated modules import these; their source hash is part of each
generated module's name, so editing this file invalidates the on-disk
compile cache of every kernel that uses it.
"""

from __future__ import annotations

import math

from numba import njit

from ..channels.base import LINEXP_SERIES_BELOW
from ..channels.expr import SERIES_BELOW
from ..units import FARADAY


@njit(cache=True, error_model="numpy")
def _exp_rate(v, a, k, v0):
    """``a * exp((v - v0) / k)``."""
    return a * math.exp((v - v0) / k)


@njit(cache=True, error_model="numpy")
def _sigmoid_rate(v, a, k, v0):
    """``a / (1 + exp((v - v0) / k))``."""
    return a / (1.0 + math.exp((v - v0) / k))


@njit(cache=True, error_model="numpy")
def _linexp_rate(v, a, k, v0):
    """``a (v - v0) / (1 - exp(-(v - v0)/k))``, exact through the removable singularity."""
    x = (v - v0) / k
    if abs(x) < LINEXP_SERIES_BELOW:
        return a * k * (1.0 + x * (0.5 + x / 12.0))
    return a * k * x / -math.expm1(-x)


@njit(cache=True, error_model="numpy")
def _linexp(x, k):
    """``x / (1 - exp(-x/k))`` (expression helper ``linexp``), exact through x = 0."""
    u = x / k
    if abs(u) < SERIES_BELOW:
        return k * (1.0 + u * (0.5 + u / 12.0))
    return k * u / -math.expm1(-u)


@njit(cache=True, error_model="numpy")
def _vtrap(x, k):
    """``x / (exp(x/k) - 1)`` (expression helper ``vtrap``), exact through x = 0."""
    u = x / k
    if abs(u) < SERIES_BELOW:
        return k * (1.0 - u * (0.5 - u / 12.0))
    return k * u / math.expm1(u)


@njit(cache=True, error_model="numpy")
def _ghk(v, c_in, c_out, z, rtf):
    """GHK current per unit permeability, µA/cm² per cm/s (see ``hhsim.channels.ions``).

    ``z F xi (c_in - c_out e^-xi) / (1 - e^-xi)``, ``xi = z v / rtf``; mM, mV.
    """
    xi = z * v / rtf
    if abs(xi) < 1e-4:
        ratio = 1.0 + xi * (0.5 + xi / 12.0)
    else:
        ratio = xi / -math.expm1(-xi)
    return z * FARADAY * ratio * (c_in - c_out * math.exp(-xi))


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
