"""Forward Euler: first order, explicit, cheapest per step, least stable."""

from __future__ import annotations

from .explicit_rk import Tableau, explicit_solver

TABLEAU = Tableau(a=((),), b=(1,))

SOLVER = explicit_solver("euler", 1, "forward Euler (order 1)", TABLEAU, default_dt=0.001)
