"""The solver contract.

Anyone adding a fixed-step solver provides a :class:`FixedStepSolver` with:

1. ``name``: the ``--method`` name (a valid Python identifier);
2. ``order``: its global order of accuracy in dt, which the convergence test
   measures for every registered solver;
3. ``advance_lines(n_states, k)``: source lines that, given ``V``, ``x0..``
   (state at the start of the step), ``Ia``, ``Im``, ``Ib`` (stimulus at the
   start, middle and end of the step, or the command voltage when ``clamp``)
   and ``dt``, define ``Vn`` and ``xn0..`` at the end of the step and ``dV0``,
   dV/dt at the start (for the spike interpolant).  ``k`` (a
   :class:`hhsim.engine.codegen.StepLines`) writes the model's right-hand
   side (``k.derivs(out, v, xs, i)``: ``{out}0`` = dV/dt, ``{out}<j+1>`` =
   dx_j/dt) and exponential-Euler step (``k.expstep(v, xs, i)``: ``Vn``,
   ``xn<j>``) inline.  The lines run inside the vectorised loop over neurons:
   no branches (``choose(cond, a, b)`` selects), no calls returning tuples.
   Under ``clamp`` the stage voltages are the command (the template resets
   ``Vn`` afterwards);
4. ``numpy_step``: the same update written with NumPy arrays, used by the
   reference path (``hhsim.engine.numpy_path``) to test the compiled one.

An explicit Runge-Kutta method needs none of this by hand: its Butcher
tableau gives all of it, for the point kernels and the network alike
(:func:`hhsim.engine.solvers.explicit_rk.explicit_solver`); one file with
the tableau and one entry in :data:`hhsim.engine.solvers.METHODS` add it
(see ``ssprk3.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class FixedStepSolver:
    name: str
    order: int
    description: str
    advance_lines: Callable[[int], list[str]]
    numpy_step: Callable
    default_dt: float
    #: the Butcher tableau of an explicit Runge-Kutta method
    #: (:class:`~hhsim.engine.solvers.explicit_rk.Tableau`), from which every
    #: domain writes its update; None for the exponential integrator
    tableau: object = None


@dataclass(frozen=True)
class AdaptiveSolver:
    name: str
    order: int
    description: str
