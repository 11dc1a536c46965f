"""Registered solvers.  Fixed-step ones are compiled into every kernel module."""

from __future__ import annotations

from . import euler, expeuler, rk4
from .base import AdaptiveSolver, FixedStepSolver

FIXED_STEP: dict[str, FixedStepSolver] = {
    s.SOLVER.name: s.SOLVER for s in (euler, rk4, expeuler)
}

ADAPTIVE: dict[str, AdaptiveSolver] = {
    "lsoda": AdaptiveSolver("lsoda", 0, "scipy solve_ivp LSODA (adaptive; what odeint gives)"),
}

#: Default method.  RK4 at 0.025 ms with cubic-Hermite spike timing puts every
#: spike of the 200 ms `hh` benchmark within 1e-4 ms of a converged reference
#: (see tests/reference and benchmarks/single_neuron.py).
DEFAULT_METHOD = "rk4"


def names() -> list[str]:
    return list(FIXED_STEP) + list(ADAPTIVE)


def order(name: str) -> int:
    return FIXED_STEP[name].order if name in FIXED_STEP else ADAPTIVE[name].order
