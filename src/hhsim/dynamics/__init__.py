"""The dynamics lab: equilibria, bifurcations, periodic orbits and phase planes of any model.

>>> import hhsim
>>> from hhsim import dynamics
>>> d = dynamics.bifurcation_diagram("hh", 0, 200)          # doctest: +SKIP
>>> [round(h.i_uA_cm2, 2) for h in d.hopf]                  # doctest: +SKIP
[9.78, 154.52]

Modules, one concept each: :mod:`~hhsim.dynamics.field` (the model's vector
field, complex-safe), :mod:`~hhsim.dynamics.derivatives` (complex-step and
Cauchy-integral derivatives), :mod:`~hhsim.dynamics.equilibria`,
:mod:`~hhsim.dynamics.saddle_node`, :mod:`~hhsim.dynamics.hopf`,
:mod:`~hhsim.dynamics.collocation`, :mod:`~hhsim.dynamics.floquet`,
:mod:`~hhsim.dynamics.cycles`, :mod:`~hhsim.dynamics.diagram`,
:mod:`~hhsim.dynamics.param_branch` (equilibria along any model parameter)
and :mod:`~hhsim.dynamics.phase_plane`.
"""

from __future__ import annotations

from .cycles import continue_cycles, orbit_at
from .diagram import Diagram, bifurcation_diagram
from .equilibria import equilibria_at
from .field import ModelField, model_field
from .param_branch import continue_parameter, parameter_diagram
from .phase_plane import PhasePlane, phase_plane

__all__ = ["bifurcation_diagram", "Diagram", "equilibria_at", "orbit_at", "continue_cycles",
           "parameter_diagram", "continue_parameter", "phase_plane", "PhasePlane",
           "model_field", "ModelField"]
