"""What the NumPy reference's runners share: the refusal of work that would not
finish, the fixed-step methods it accepts, and spike location on the cubic
Hermite interpolant (the compiled kernels' rule, written in plain Python).
"""

from __future__ import annotations

import numpy as np

from ...errors import ParameterError
from ..kernel_series import _cubic_crossing_py
from ..solvers import FIXED_STEP

#: The NumPy reference runs about a million node-steps in 10-60 s (a Python loop
#: over time, NumPy over nodes, Python over events); beyond this many node-steps
#: (nodes or compartments x steps, plus a per-step share of 100 for the loop's own
#: work) it refuses up front instead of running for minutes.
MAX_NODE_STEPS = 5e6
_PER_STEP = 100


def check_size(n_nodes: int, n_steps: int, what: str) -> None:
    """Refuse (one line) a run of ``n_nodes`` x ``n_steps`` beyond :data:`MAX_NODE_STEPS`."""
    work = float(n_steps) * (int(n_nodes) + _PER_STEP)
    if work > MAX_NODE_STEPS:
        raise ParameterError(
            f"the NumPy back end would take {n_nodes:,} {what} x {n_steps:,} steps (about {work:.3g} node-steps, "
            f"minutes of Python); it accepts at most {MAX_NODE_STEPS:.0e}: use backend numba, a shorter t_stop "
            "or a larger dt")


def check_method(method: str, accepted=tuple(FIXED_STEP), where: str = "") -> None:
    """Refuse (one line) a method the NumPy reference does not run."""
    if method not in accepted:
        raise ParameterError(f"the NumPy back end does not run method {method!r}{where}; accepted: "
                             f"{', '.join(accepted)} (or backend numba)")


def hermite_value(v0, v1, m0, m1, s):
    """The cubic Hermite interpolant of a step at fraction s (``m0``, ``m1``: the end
    slopes times the step's length)."""
    c2 = 3.0 * (v1 - v0) - 2.0 * m0 - m1
    c3 = 2.0 * (v0 - v1) + m0 + m1
    return v0 + s * (m0 + s * (c2 + s * c3))


def hermite_crossing(v0, v1, m0, m1, thr) -> float:
    """Fraction s in [0, 1] of the step where its cubic Hermite interpolant crosses ``thr``
    upwards (``v0 < thr <= v1``); the root finder of the compiled kernels, run in Python."""
    return _cubic_crossing_py(float(v0), float(m0), 3.0 * (v1 - v0) - 2.0 * m0 - m1, 2.0 * (v0 - v1) + m0 + m1,
                              float(thr))


def finite_or_raise(v: np.ndarray, t: float, error) -> None:
    """Raise ``error`` (a callable of the time) when V left the finite range |V| < 1e4 mV."""
    if not np.all(np.abs(v) < 1e4):
        raise error(t)
