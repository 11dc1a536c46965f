"""Exponential Euler: gates relax exactly at fixed V; V exact for the linearised membrane.

First order overall, but unconditionally stable in the gates and exact for
a passive membrane under constant current and for gates under a clamped
voltage (the two analytic tests).  Intracellular ion pools relax
exponentially at the current of the step's start (their equation is linear
in the concentration at fixed current); GHK currents enter the voltage
update as a constant current over the step.  This is the method of Brian2's
``exponential_euler`` and of NEURON's ``cnexp`` gates.
"""

from __future__ import annotations

import numpy as np

from .base import FixedStepSolver


def _advance(ng: int, k) -> list[str]:
    return ["Vs = choose(clamp, Ia, V)", *k.expstep("Vs", [f"x{j}" for j in range(ng)], "Ia")]


def _numpy_step(relax, v, y, ia, im, ib, dt, clamp):
    vs = ia if clamp else v
    a, b, g, ge, cm = relax(vs, y)
    xi = a / b
    yn = xi + (y - xi) * np.exp(-b * dt)
    with np.errstate(divide="ignore", invalid="ignore"):
        vinf = (ia + ge) / g
        vn = np.where(g > 1e-300, vinf + (vs - vinf) * np.exp(-dt * g / cm), vs + dt * (ia + ge) / cm)
    return vn, yn


SOLVER = FixedStepSolver(
    name="expeuler",
    order=1,
    description="exponential Euler (order 1; exact gates at fixed V)",
    advance_lines=_advance,
    numpy_step=_numpy_step,
    default_dt=0.005,
)
