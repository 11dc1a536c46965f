"""Registered solvers.  Fixed-step ones are compiled into every kernel module."""

from __future__ import annotations

from . import dopri5, euler, expeuler, rk4
from .base import AdaptiveSolver, FixedStepSolver

FIXED_STEP: dict[str, FixedStepSolver] = {
    s.SOLVER.name: s.SOLVER for s in (euler, rk4, expeuler)
}

#: Adaptive solvers compiled into every kernel module (``run_<name>``).
COMPILED_ADAPTIVE = {dopri5.NAME: dopri5}

ADAPTIVE: dict[str, AdaptiveSolver] = {
    dopri5.NAME: dopri5.SOLVER,
    "lsoda": AdaptiveSolver("lsoda", 0, "scipy solve_ivp LSODA (adaptive; what odeint gives)"),
}

#: Default method and output step.  Compiled Dormand-Prince 5(4) at rtol =
#: atol = 1e-6 puts every spike of the 200 ms `hh` benchmark within 1e-5 ms
#: of a converged reference with about a third of the right-hand-side
#: evaluations of RK4 at 0.025 ms (see benchmarks/single_neuron.py).
DEFAULT_METHOD = "dopri5"
DEFAULT_OUTPUT_DT = 0.025  # ms


def names() -> list[str]:
    return list(FIXED_STEP) + list(ADAPTIVE)


def order(name: str) -> int:
    return FIXED_STEP[name].order if name in FIXED_STEP else ADAPTIVE[name].order
