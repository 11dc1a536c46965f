"""hhsim: simulate and analyse Hodgkin-Huxley-type neuron models.

>>> import hhsim
>>> r = hhsim.simulate("hh", hhsim.stim.step(10, start=10, dur=30), t_stop=80)
>>> r.n_spikes > 0
True
"""

from __future__ import annotations

from ._version import __version__

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
from .batch_api import BatchResult, simulate_batch

# Heavier sub-packages load on first use: `hhsim.analysis`, `hhsim.cable`, `hhsim.plot`;
# `hhsim.explore` is a package that can be called: `hhsim.explore("hh")`; so is
# `hhsim.sweep` (Dask, zarr): `hhsim.sweep(model, params, measure, ...)`; networks are
# `hhsim.network` (`hhsim.network.simulate_network(net)`).
_LAZY = ("analysis", "cable", "plot", "explore", "sweep", "dynamics", "network")


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'hhsim' has no attribute {name!r}")

__all__ = [
    "__version__",
    "simulate",
    "simulate_batch",
    "BatchResult",
    "models",
    "analysis",
    "cable",
    "plot",
    "sweep",
    "explore",
    "dynamics",
    "network",
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
