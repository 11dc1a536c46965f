"""Forward Euler: first order, explicit, cheapest per step, least stable."""

from __future__ import annotations

from .base import FixedStepSolver


def _advance(ng: int, k) -> list[str]:
    xs = [f"x{j}" for j in range(ng)]
    return [
        "Vs = choose(clamp, Ia, V)",
        *k.derivs("d", "Vs", xs, "Ia"),
        "dV0 = d0",
        "Vn = Vs + dt * d0",
        *[f"xn{j} = x{j} + dt * d{j + 1}" for j in range(ng)],
    ]


def _numpy_step(rhs, v, y, ia, im, ib, dt, clamp):
    vs = ia if clamp else v
    dv, dy = rhs(vs, y, ia)
    return vs + dt * dv, y + dt * dy


SOLVER = FixedStepSolver(
    name="euler",
    order=1,
    description="forward Euler (order 1)",
    advance_lines=_advance,
    numpy_step=_numpy_step,
    default_dt=0.001,
)
