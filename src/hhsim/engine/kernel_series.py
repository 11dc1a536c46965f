"""Compiled numerics both kernel helper modules use: the series of x / (1 - e^-x)
near 0 and the root of a cubic on [0, 1] (spike location on the cubic interpolant).

A leaf: :mod:`~hhsim.engine.kernel_helpers` and :mod:`~hhsim.engine.cable_helpers`
both import it, so neither imports the other's definitions back.

Every function here that is not inlined by numba states its ``fastmath`` flags, even
none (``fastmath=False``): numba compiles a function whose flags are not set with the
flags of the compiled function that first calls it, in that process, and caches it so.
The crossing time of a spike then depended on which kernel happened to compile the root
finder first (an expeuler loop, with ``contract``, or the dopri5 loop's part, without):
two processes sharing one kernel cache left the shared-parameter and the general loops of
one neuron 1 ulp apart in its spike times.
"""

from __future__ import annotations

from numba import njit

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


cubic_crossing = njit(cache=True, error_model="numpy", fastmath=False)(_cubic_crossing_py)


def _hermite_crossing_py(v0, v1, m0, m1, thr):
    """Fraction s in [0, 1] of a step where the cubic Hermite interpolant crosses ``thr``.

    ``v0``, ``v1`` are the values at the ends of the step and ``m0``, ``m1``
    the derivatives times the step length.  Requires ``v0 < thr <= v1``.
    Cubic interpolation makes the spike time error O(dt^4) instead of the
    O(dt^2) of linear interpolation.
    """
    return cubic_crossing(v0, m0, 3.0 * (v1 - v0) - 2.0 * m0 - m1, 2.0 * (v0 - v1) + m0 + m1, thr)


hermite_crossing = njit(cache=True, error_model="numpy", fastmath=False)(_hermite_crossing_py)
