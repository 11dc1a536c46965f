"""hhsim: simulate and analyse Hodgkin-Huxley-type neuron models.

>>> import hhsim
>>> r = hhsim.simulate("hh", hhsim.stim.step(10, start=10, dur=30), t_stop=80)
>>> r.n_spikes > 0
True
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import models, stim
from .errors import (
    DivergenceError,
    HHSimError,
    ModelError,
    OutputError,
    ParameterError,
    SolverError,
    StimulusError,
)
from .model import Model
from .result import Result
from .simulation import simulate

__all__ = [
    "__version__",
    "simulate",
    "models",
    "stim",
    "Model",
    "Result",
    "HHSimError",
    "ModelError",
    "ParameterError",
    "StimulusError",
    "SolverError",
    "DivergenceError",
    "OutputError",
]
