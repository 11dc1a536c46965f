"""Fitting models to recordings: voltage-clamp families and current-clamp sweeps.

A whole generation of candidate parameter sets is one batch through
:func:`hhsim.simulate_batch` (current clamp) or the compiled clamp kernel
(voltage clamp).  Layer: above the entry points and analysis, below plot and cli.

>>> from hhsim.fit import fit, read_recording                      # doctest: +SKIP
>>> r = fit("hh", read_recording("cell.nwb", area_um2=2000),
...         ["gNa=60:240", "gK=18:72", "gL=0.1:1:log", "EL=-70:-45"], polish_fit=True)
>>> r.write_cell("fitted.toml"); r.plot("report.png")
"""

from __future__ import annotations

from .data import CURRENT_CLAMP, VOLTAGE_CLAMP, DataError, Sweep, make_sweep, parse_stimulus
from .fitting import FitResult, fit
from .objectives import DEFAULT_FEATURES, Feature, Objective
from .recordings import read_recording
from .simulate import Clamp
from .space import Bound, Space

__all__ = ["fit", "FitResult", "read_recording", "Sweep", "make_sweep", "parse_stimulus", "DataError",
           "Objective", "Feature", "DEFAULT_FEATURES", "Clamp", "Bound", "Space", "CURRENT_CLAMP", "VOLTAGE_CLAMP"]
