"""Classical fourth-order Runge-Kutta on (V, gates)."""

from __future__ import annotations

from fractions import Fraction as F

from .explicit_rk import Tableau, explicit_solver

TABLEAU = Tableau(
    a=((), (F(1, 2),), (F(0), F(1, 2)), (F(0), F(0), F(1))),
    b=(F(1, 6), F(1, 3), F(1, 3), F(1, 6)),
)

SOLVER = explicit_solver("rk4", 4, "classical Runge-Kutta (order 4)", TABLEAU, default_dt=0.025)
