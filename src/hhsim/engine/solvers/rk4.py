"""Classical fourth-order Runge-Kutta on (V, gates)."""

from __future__ import annotations

from .base import FixedStepSolver


def _advance(ng: int, k) -> list[str]:
    def stage(n, vexpr, xexpr, i):
        return [f"V{n} = {vexpr}", *k.derivs(f"k{n}_", f"V{n}", [xexpr(j) for j in range(ng)], i)]

    lines = []
    lines += stage(1, "choose(clamp, Ia, V)", lambda j: f"x{j}", "Ia")
    lines += stage(2, "choose(clamp, Im, V + 0.5 * dt * k1_0)", lambda j: f"x{j} + 0.5 * dt * k1_{j + 1}", "Im")
    lines += stage(3, "choose(clamp, Im, V + 0.5 * dt * k2_0)", lambda j: f"x{j} + 0.5 * dt * k2_{j + 1}", "Im")
    lines += stage(4, "choose(clamp, Ib, V + dt * k3_0)", lambda j: f"x{j} + dt * k3_{j + 1}", "Ib")
    lines.append("dV0 = k1_0")
    lines.append("Vn = V + dt / 6.0 * (k1_0 + 2.0 * k2_0 + 2.0 * k3_0 + k4_0)")
    lines += [
        f"xn{j} = x{j} + dt / 6.0 * (k1_{j + 1} + 2.0 * k2_{j + 1} + 2.0 * k3_{j + 1} + k4_{j + 1})"
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
