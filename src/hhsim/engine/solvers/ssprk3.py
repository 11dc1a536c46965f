"""The strong-stability-preserving Runge-Kutta method of order 3 (Shu & Osher 1988,
J. Comput. Phys. 77:439-471; the three-stage SSP(3,3) of Gottlieb & Shu 1998).

Three right-hand sides per step where RK4 takes four, third order, and a
stability interval on the negative real axis of about 2.51 (RK4: 2.79).
Added as a tableau: every domain writes its update from it.
"""

from __future__ import annotations

from fractions import Fraction as F

from .explicit_rk import Tableau, explicit_solver

TABLEAU = Tableau(
    a=((), (F(1),), (F(1, 4), F(1, 4))),
    b=(F(1, 6), F(1, 6), F(2, 3)),
)

SOLVER = explicit_solver("ssprk3", 3, "strong-stability-preserving Runge-Kutta (order 3)", TABLEAU,
                         default_dt=0.01)
