"""Classical fourth-order Runge-Kutta on (V, gates)."""

from __future__ import annotations

from .base import FixedStepSolver


def _advance(ng: int) -> list[str]:
    p = "c, gbar, erev, phi, cm, rp"

    def stage(k, vexpr, xexpr, i):
        xs = "".join(f"{xexpr(j)}, " for j in range(ng))
        return [f"V{k} = {vexpr}", f"k{k} = derivs(V{k}, {xs}{i}, {p})"]

    lines = []
    lines += stage(1, "Ia if clamp else V", lambda j: f"x{j}", "Ia")
    lines += stage(2, "Im if clamp else V + 0.5 * dt * k1[0]", lambda j: f"x{j} + 0.5 * dt * k1[{j + 1}]", "Im")
    lines += stage(3, "Im if clamp else V + 0.5 * dt * k2[0]", lambda j: f"x{j} + 0.5 * dt * k2[{j + 1}]", "Im")
    lines += stage(4, "Ib if clamp else V + dt * k3[0]", lambda j: f"x{j} + dt * k3[{j + 1}]", "Ib")
    lines.append("Vn = V + dt / 6.0 * (k1[0] + 2.0 * k2[0] + 2.0 * k3[0] + k4[0])")
    lines += [
        f"xn{j} = x{j} + dt / 6.0 * (k1[{j + 1}] + 2.0 * k2[{j + 1}] + 2.0 * k3[{j + 1}] + k4[{j + 1}])"
        for j in range(ng)
    ]
    return lines


def _numpy_step(rhs, v, y, ia, im, ib, dt, clamp):
    v1 = ia if clamp else v
    d1v, d1y = rhs(v1, y, ia)
    v2 = im if clamp else v + 0.5 * dt * d1v
    d2v, d2y = rhs(v2, y + 0.5 * dt * d1y, im)
    v3 = im if clamp else v + 0.5 * dt * d2v
    d3v, d3y = rhs(v3, y + 0.5 * dt * d2y, im)
    v4 = ib if clamp else v + dt * d3v
    d4v, d4y = rhs(v4, y + dt * d3y, ib)
    vn = v + dt / 6.0 * (d1v + 2 * d2v + 2 * d3v + d4v)
    yn = y + dt / 6.0 * (d1y + 2 * d2y + 2 * d3y + d4y)
    return vn, yn


SOLVER = FixedStepSolver(
    name="rk4",
    order=4,
    description="classical Runge-Kutta (order 4)",
    advance_lines=_advance,
    numpy_step=_numpy_step,
    default_dt=0.025,
)
