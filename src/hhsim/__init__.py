"""hhsim: simulate and analyse Hodgkin-Huxley-type neuron models.

>>> import hhsim
>>> r = hhsim.simulate("hh", hhsim.stim.step(10, start=10, dur=30), t_stop=80)
>>> r.n_spikes > 0
True
"""

from __future__ import annotations

from ._version import __version__

from .errors import (
    DivergenceError,
    HHSimError,
    ModelError,
    OutputError,
    ParameterError,
    SolverError,
    StimulusError,
)

# Everything else loads on first use, so that `import hhsim.cli.main` (and so
# `hhsim --help`) does not pull in NumPy, SciPy and numba.  `hhsim.explore` and
# `hhsim.sweep` are packages that can be called (`hhsim.explore("hh")`,
# `hhsim.sweep(model, params, measure, ...)`); networks are `hhsim.network`.
_MODULES = ("models", "stim", "analysis", "cable", "plot", "explore", "sweep", "dynamics", "network", "noise", "fit",
            "cells", "interop", "channels", "recipe")
_NAMES = {
    "Model": ("model", "Model"),
    "Result": ("result", "Result"),
    "simulate": ("simulation", "simulate"),
    "BatchResult": ("batch_api", "BatchResult"),
    "simulate_batch": ("batch_api", "simulate_batch"),
}


def __getattr__(name):
    import importlib

    if name in _MODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    elif name in _NAMES:
        module, attr = _NAMES[name]
        value = getattr(importlib.import_module(f"{__name__}.{module}"), attr)
    else:
        raise AttributeError(f"module 'hhsim' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


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
