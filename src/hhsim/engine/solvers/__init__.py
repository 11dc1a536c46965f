"""Registered solvers: one registry (:data:`METHODS`) read by every driver.

Fixed-step point solvers are compiled into every point kernel module; the
cable drivers implement the implicit theta methods and the explicit ones on
the method-of-lines system.  ``FIXED_STEP``, ``ADAPTIVE`` and
``COMPILED_ADAPTIVE`` are the point kernels' views of the registry.
"""

from __future__ import annotations

from . import dopri5, euler, expeuler, rk4, ssprk3
from .base import AdaptiveSolver, FixedStepSolver
from .explicit_rk import real_stability_extent
from .registry import KINDS, Method

FIXED_STEP: dict[str, FixedStepSolver] = {
    s.SOLVER.name: s.SOLVER for s in (euler, rk4, ssprk3, expeuler)
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
#: The cable drivers' default: Crank-Nicolson (second order, stable at any dt).
DEFAULT_CABLE_METHOD = "cn"

#: Stability extents on the negative real axis: forward Euler 2; classical
#: RK4 2.7853 (the real root of 1 - x + x²/2 - x³/6 + x⁴/24 = ±1); the others
#: from their tableau.
_RK4_REAL_STABILITY = 2.785293563405282

METHODS: dict[str, Method] = {
    "euler": Method("euler", 1, "explicit", "forward Euler (order 1)",
                    {"point": euler.SOLVER.default_dt, "cable": 0.0005}, stability=2.0, solver=euler.SOLVER),
    "rk4": Method("rk4", 4, "explicit", "classical Runge-Kutta (order 4)",
                  {"point": rk4.SOLVER.default_dt, "cable": 0.001}, stability=_RK4_REAL_STABILITY,
                  solver=rk4.SOLVER),
    "ssprk3": Method("ssprk3", 3, "explicit", ssprk3.SOLVER.description, {"point": ssprk3.SOLVER.default_dt},
                     stability=real_stability_extent(ssprk3.TABLEAU), solver=ssprk3.SOLVER),
    "expeuler": Method("expeuler", 1, "exponential", expeuler.SOLVER.description,
                       {"point": expeuler.SOLVER.default_dt}, solver=expeuler.SOLVER),
    "dopri5": Method("dopri5", 5, "adaptive", dopri5.SOLVER.description, {"point": DEFAULT_OUTPUT_DT},
                     solver=dopri5.SOLVER),
    "lsoda": Method("lsoda", 0, "adaptive", ADAPTIVE["lsoda"].description, {"point": DEFAULT_OUTPUT_DT},
                    solver=ADAPTIVE["lsoda"]),
    "cn": Method("cn", 2, "implicit", "Crank-Nicolson on V, gates staggered half a step (NEURON's "
                 "secondorder scheme)", {"cable": 0.01}, theta=0.5),
    "be": Method("be", 1, "implicit", "backward Euler on V, gates staggered half a step (NEURON's default)",
                 {"cable": 0.005}, theta=1.0),
}


def names(domain: str = "point") -> list[str]:
    """Methods that run on ``domain`` (``"point"`` or ``"cable"``), in registry order."""
    return [m.name for m in METHODS.values() if m.runs_on(domain)]


def order(name: str) -> int:
    return METHODS[name].order


def method(name: str, domain: str = "point") -> Method:
    """The registered method ``name`` for ``domain`` (KeyError if it does not run there)."""
    m = METHODS[name]
    if not m.runs_on(domain):
        raise KeyError(name)
    return m


__all__ = ["ADAPTIVE", "COMPILED_ADAPTIVE", "DEFAULT_CABLE_METHOD", "DEFAULT_METHOD", "DEFAULT_OUTPUT_DT",
           "FIXED_STEP", "KINDS", "METHODS", "Method", "names", "order", "method", "AdaptiveSolver",
           "FixedStepSolver"]
