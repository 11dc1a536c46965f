"""The result of one noisy neuron: a :class:`~hhsim.result.Result` whose noisy channels
conduct by their open fraction, not by a product of gate values."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..result import Result


@dataclass(repr=False)
class NoiseResult(Result):
    """A :class:`~hhsim.result.Result` of a noisy run.

    ``states``: for a noisy channel's gate, the mean fraction of its open
    subunits (over the channels; it tends to the deterministic gate as the
    channels grow many); ``open_fraction``: noisy channel -> the fraction of
    its channels open at ``t``; ``channel_counts``: noisy channel -> number of
    channels; ``reversal_mV``: each channel's reversal potential.
    """

    open_fraction: dict = field(default_factory=dict)
    channel_counts: dict = field(default_factory=dict)
    reversal_mV: dict = field(default_factory=dict)

    @cached_property
    def conductances(self) -> dict[str, np.ndarray]:
        """Channel name -> conductance (mS/cm²); a noisy channel's is ``gbar`` times its open fraction."""
        g = dict(self.model.channel_conductances(self.v, self.states))
        for name, frac in self.open_fraction.items():
            g[name] = self.model.channel(name).gbar * frac
        return g

    @cached_property
    def currents(self) -> dict[str, np.ndarray]:
        """Channel name -> current density (µA/cm², outward positive)."""
        cur = dict(self.model.channel_currents(self.v, self.states))
        for name in self.open_fraction:
            cur[name] = self.conductances[name] * (self.v - self.reversal_mV[name])
        return cur

    def summary(self) -> dict:
        """``Result.summary`` with the noise record and the channel counts."""
        out = super().summary()
        out["noise"] = self.meta.get("noise", {})
        out["channel_counts"] = dict(self.channel_counts)
        return out
