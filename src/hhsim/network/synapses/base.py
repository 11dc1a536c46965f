"""The synapse contract: what every family declares."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from ...errors import ParameterError


@dataclass(frozen=True)
class Synapse:
    """Base of every synapse family.

    ``family`` tells the engine how the state is kept: ``linear`` (summed on
    the target, exact between events), ``kinetic`` (on each edge, transmitter
    pulses), ``graded`` (continuous in the presynaptic voltage), ``gap``
    (electrical coupling).  ``E`` is the reversal potential (mV) of a
    conductance; a current-based family (``current``) has none.
    """

    family = "linear"
    kind = ""
    source = ""
    #: A current-based synapse: its weight is a current (µA/cm², or pA and nA on a
    #: population with an area), added to the membrane whatever V, and may be
    #: negative (inhibitory); otherwise the weight is a conductance, >= 0, whose
    #: reversal ``E`` makes it excitatory or inhibitory.
    current = False

    @classmethod
    def from_params(cls, params: dict) -> "Synapse":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(params) - names)
        if unknown:
            raise ParameterError(
                f"unknown key {unknown[0]!r} for synapse kind {cls.kind!r}; accepted: {', '.join(sorted(names))}"
            )
        return cls(**params)

    def __post_init__(self):
        from ... import validate as _v

        for f in dataclasses.fields(self):
            value = _v.number(getattr(self, f.name), f"synapse {self.kind} {f.name}")
            object.__setattr__(self, f.name, value)
            if f.name.startswith("tau") and value < _v.MIN_TAU_MS:
                # shorter than any step can follow (and 1/tau overflows near 5e-324)
                raise ParameterError(f"synapse {self.kind} {f.name} must be > 0 ms and at least {_v.MIN_TAU_MS:g} ms "
                                     f"(got {value:g})")
            if f.name != "E" and f.name not in self._signed and value < 0:
                raise ParameterError(f"synapse {self.kind} {f.name} must be >= 0 (got {value:g})")

    _signed = ("theta",)

    def params(self) -> dict[str, float]:
        """The synapse's parameters (TOML keys), in declaration order."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def describe(self) -> dict:
        return {"kind": self.kind, **self.params()}
