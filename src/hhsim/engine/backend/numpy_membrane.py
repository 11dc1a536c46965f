"""One sub-step of a network's membranes in NumPy, for the nodes of one structure.

The twin of the generated ``sub_k``/``fast_k`` functions
(:mod:`hhsim.engine.network_codegen`): each fixed-step solver's NumPy step
(``FIXED_STEP[method].numpy_step``) on the membrane equations of
:func:`hhsim.physics.evaluate.physics`, with the synaptic drive of each
stage: the injected current ``S`` and the synaptic ``G``, ``G E`` at the
stage's time (start, middle, end of the sub-step), plus NMDA terms blocked
at the stage's voltage.  Vectorised over the nodes; each node has its own
sub-step length ``h`` (ms).  Units: V mV, currents µA/cm², G mS/cm².
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...physics.evaluate import instantaneous, physics
from ..solvers import FIXED_STEP


@dataclass
class Drive:
    """The synaptic and injected drive of the nodes at one time of a sub-step: ``S``
    (µA/cm², inward positive), ``G``, ``GE`` (mS/cm², mS/cm² x mV), the NMDA terms
    ``Gn``, ``GEn`` before their magnesium block and [Mg2+]o ``mg`` (mM)."""

    S: np.ndarray
    G: np.ndarray
    GE: np.ndarray
    Gn: np.ndarray
    GEn: np.ndarray
    mg: np.ndarray


def needs_mid_and_end(method: str) -> bool:
    """Whether ``method``'s stages read the drive inside and at the end of a step (else the
    step's start is used throughout, as the compiled network does)."""
    tab = FIXED_STEP[method].tableau
    return tab is not None and tab.needs_mid_and_end


class Membranes:
    """The membrane step of one structure's plan (``plan``: its
    :class:`~hhsim.physics.structure.Plan`) by ``method``; ``block(v, mg)`` is the
    NMDA magnesium block (the kinetic family's twin)."""

    def __init__(self, plan, method: str, block):
        self.plan, self.method, self.block = plan, method, block
        self.solver = FIXED_STEP[method]
        self._cols: dict = {}

    def columns(self, cols: np.ndarray):
        """The plan of the columns ``cols`` (the whole plan when all of them)."""
        if cols.size == self.plan.ncomp and np.array_equal(cols, np.arange(cols.size)):
            return self.plan
        return self.plan.columns(cols)

    def _current(self, v, d: Drive):
        """The synaptic plus injected current (µA/cm², inward positive) at v."""
        return d.S + d.GE - d.G * v + self.block(v, d.mg) * (d.GEn - d.Gn * v)

    def rhs(self, plan, v, y, d: Drive):
        """(dV/dt mV/ms, dy/dt) of the nodes at (v, y) under the drive d."""
        ph = physics(plan, v, y)
        return (self._current(v, d) - np.sum(ph["I"], axis=0)) / plan.cm, ph["A"] - ph["B"] * y

    def step(self, cols: np.ndarray, v, y, h, start: Drive, mid: Drive, end: Drive):
        """(Vn, yn) after the sub-steps of lengths h (ms) of the columns ``cols`` from (v, y)."""
        plan = self.columns(cols)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if self.solver.tableau is None:  # exponential Euler: V exact for the linearised membrane

                def relax(vs, ys):
                    ph = physics(plan, vs, ys)
                    bm = self.block(vs, start.mg)
                    return (ph["A"], ph["B"], ph["G"] + start.G + start.Gn * bm,
                            ph["GE"] + start.GE + start.GEn * bm, plan.cm)

                vn, yn = self.solver.numpy_step(relax, v, y, start.S, start.S, start.S, h, False)
            else:
                vn, yn = self.solver.numpy_step(lambda vs, ys, d: self.rhs(plan, vs, ys, d), v, y, start, mid, end,
                                                h, False)
            yn = instantaneous(plan, vn, yn)
        return vn, yn

    def slope(self, cols: np.ndarray, v, y, d: Drive) -> np.ndarray:
        """dV/dt (mV/ms) of the columns ``cols`` at (v, y) under the drive d."""
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return self.rhs(self.columns(cols), v, y, d)[0]
