"""Cables and morphologies: the action potential travelling along an axon.

>>> from hhsim import cable, stim
>>> axon = cable.cable(length=20000, diam=476, ra=35.4)          # µm, µm, Ω·cm
>>> r = cable.simulate_cable(axon, "hh", cable.point(stim.pulse(20000, 0.5, 0.2), at=0),
...                          dx=100, t_stop=8)                   # doctest: +SKIP
>>> r.velocity(), r.propagated                                  # doctest: +SKIP

Units: µm for geometry, Ω·cm for axial resistivity, nA for point stimuli,
mV, ms; velocities in m/s.
"""

from __future__ import annotations

from .geometry import (
    DEFAULT_RA, GeometryError, Morphology, Section, cable, lambda_f, myelinated_axon, segment_counts,
)
from .measure import (
    arrival_time, conduction_velocity, input_resistance, length_constant, propagated,
    spike_amplitude, spike_width,
)
from .result import CableResult
from .simulate import DEFAULT_METHOD, METHODS, CableSizeError, simulate_cable
from .stepper import CableStepper
from .stimulus import PointStim, parse_point, point
from .swc import SWCError, parse_swc, read_swc

__all__ = [
    "DEFAULT_RA", "GeometryError", "Morphology", "Section", "cable", "myelinated_axon", "lambda_f",
    "segment_counts", "arrival_time", "conduction_velocity", "input_resistance", "length_constant",
    "propagated", "spike_amplitude", "spike_width", "CableResult", "simulate_cable", "METHODS",
    "DEFAULT_METHOD", "CableSizeError", "PointStim", "point", "parse_point", "SWCError", "parse_swc",
    "read_swc", "CableStepper",
]
