"""The f-I curve: steady firing rate against injected current, from rest and by continuation.

Rate of one current step (Hz): take the spikes in the second half of the
step; with n >= 2 of them, ``(n - 1) / (t_last - t_first)``; otherwise 0.

Two sweeps, two compiled batches:

* **from rest** (``rates_hz``): one neuron per current, each starting from
  the resting state when its step switches on at t = 0;
* **continuation** (``rates_up_hz``, ``rates_down_hz``): a staircase that
  holds each current for ``dur`` ms and carries the state from one current
  to the next (it moves to the next current over a linear ramp lasting the
  first 10% of the level, so the change does not kick the state across a
  narrow basin boundary; rates are measured in the flat second half).  The
  up sweep starts from rest at the lowest current and climbs; the down
  sweep starts from rest at the highest current, holds it one extra level
  to settle, then descends.  Both staircases run together in one batch.  Where the two sweeps disagree the
  neuron is bistable: for ``hh`` the resting state and repetitive firing
  coexist between the fold of limit cycles (about 6.3 µA/cm²) and the
  subcritical Hopf bifurcation (about 9.8 µA/cm²), and firing starts near
  50 Hz, not from zero (type II excitability; Rinzel & Miller 1980, Math
  Biosci 49:27-59).  Near the Hopf point the rest state loses stability
  slowly, so with short steps the up sweep may start firing one current
  later than the bifurcation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..display import ShownProtocol
from .. import models as _models
from .. import stim
from ..model import Model
from ..stim import Stimulus
from ._common import (
    check_interval, float_list, positive, progress_bar, protocol_method, run_many, snap, to_float, whole,
    whole_steps,
)
from .spikes import steady_rate

#: Fraction of each level of the continuation staircase spent ramping from the previous level.
RAMP_FRACTION = 0.1


@dataclass(frozen=True)
class Staircase(Stimulus):
    """Current ``levels[k]`` (µA/cm²) held on [start + k dur, start + (k + 1) dur); zero outside.

    Between levels the current moves linearly from the old to the new level
    over the first ``ramp`` ms of the new level (0: an abrupt step), so that
    the change does not kick the state out of a narrow basin of attraction.
    The first level starts abruptly.
    """

    levels: tuple[float, ...]
    dur: float
    start: float = 0.0
    ramp: float = 0.0

    def value(self, t, left: bool = False):
        t = np.asarray(t, dtype=float)
        x = (t - self.start) / self.dur
        xr = np.round(x)
        x = np.where(np.abs(x - xr) < 1e-9, xr, x)
        k = (np.ceil(x) - 1 if left else np.floor(x)).astype(int)
        n = len(self.levels)
        inside = (k >= 0) & (k < n)
        kc = np.clip(k, 0, n - 1)
        levels = np.asarray(self.levels, dtype=float)
        cur = levels[kc]
        if self.ramp > 0:
            prev = levels[np.clip(kc - 1, 0, n - 1)]
            into = (x - kc) * self.dur
            frac = np.clip(into / self.ramp, 0.0, 1.0)
            cur = np.where(kc > 0, prev + (cur - prev) * frac, cur)
        return np.where(inside, cur, 0.0)

    def breakpoints(self):
        edges = [self.start + k * self.dur for k in range(len(self.levels) + 1)]
        if self.ramp > 0:
            edges += [self.start + k * self.dur + self.ramp for k in range(1, len(self.levels))]
        return sorted(edges)

    def describe(self):
        return f"staircase({len(self.levels)} levels of {self.dur:g} ms, ramps of {self.ramp:g} ms)"


@dataclass(repr=False)
class FICurve(ShownProtocol):
    """An f-I curve (rates in Hz at currents in µA/cm²) from rest and by continuation.

    ``spikes_rest[k]``: spike times (ms, from the step onset) of the run from
    rest at ``currents[k]``; ``spikes_up[k]`` / ``spikes_down[k]``: those of the
    staircase while it held ``currents[k]`` (ms from the start of that level).
    """

    model: Model
    currents_uA_cm2: np.ndarray
    rates_hz: np.ndarray
    rates_up_hz: np.ndarray
    rates_down_hz: np.ndarray
    dur_ms: float
    spikes_rest: list
    spikes_up: list
    spikes_down: list
    method: str
    dt_ms: float

    # ------------------------------------------------------------ derived
    def traces_from_rest(self) -> tuple[np.ndarray, np.ndarray]:
        """(t in ms, V in mV of shape (times, currents)): the runs from rest integrated again,
        the same way, recording every step (the curve itself keeps spike times only)."""
        runs = run_many(self.model, [stim.step(1.0, start=0.0, dur=self.dur_ms)], self.dur_ms,
                        n=self.currents_uA_cm2.size, scale=self.currents_uA_cm2, method=self.method,
                        dt=self.dt_ms, record_every=1)
        return runs.t, runs.v

    @property
    def onset_rest_uA_cm2(self) -> float | None:
        """Smallest current that fires repetitively from rest."""
        return _first_firing(self.currents_uA_cm2, self.rates_hz)

    @property
    def onset_up_uA_cm2(self) -> float | None:
        """Current at which the up sweep starts firing."""
        return _first_firing(self.currents_uA_cm2, self.rates_up_hz)

    @property
    def offset_down_uA_cm2(self) -> float | None:
        """Lowest current at which the down sweep still fires (all currents above it fire)."""
        fires = self.rates_down_hz > 0
        if not fires[-1]:
            return None
        k = len(fires) - 1
        while k > 0 and fires[k - 1]:
            k -= 1
        return float(self.currents_uA_cm2[k])

    @property
    def bistable_range_uA_cm2(self) -> tuple[float, float] | None:
        """[lowest current still firing on the way down, current where firing starts on the way up),
        or None when the sweeps agree."""
        lo, hi = self.offset_down_uA_cm2, self.onset_up_uA_cm2
        if lo is None or hi is None or not lo < hi:
            return None
        return (lo, hi)

    @property
    def onset_rate_hz(self) -> float | None:
        """The rate where the up sweep starts firing (near 50 Hz for hh, type II)."""
        i = self.onset_up_uA_cm2
        if i is None:
            return None
        return float(self.rates_up_hz[np.searchsorted(self.currents_uA_cm2, i)])

    @property
    def min_rate_hz(self) -> float | None:
        """The lowest nonzero steady rate of the down sweep: the slowest repetitive firing."""
        r = self.rates_down_hz[self.rates_down_hz > 0]
        return float(r.min()) if r.size else None

    def to_dict(self) -> dict:
        br = self.bistable_range_uA_cm2
        return {
            "protocol": "fi",
            "model": self.model.name,
            "temperature_C": self.model.temperature,
            "dur_ms": self.dur_ms,
            "currents_uA_cm2": float_list(self.currents_uA_cm2),
            "rates_hz": float_list(self.rates_hz),
            "rates_up_hz": float_list(self.rates_up_hz),
            "rates_down_hz": float_list(self.rates_down_hz),
            "onset_rest_uA_cm2": to_float(self.onset_rest_uA_cm2),
            "onset_up_uA_cm2": to_float(self.onset_up_uA_cm2),
            "offset_down_uA_cm2": to_float(self.offset_down_uA_cm2),
            "onset_rate_hz": to_float(self.onset_rate_hz),
            "min_rate_hz": to_float(self.min_rate_hz),
            "bistable_range_uA_cm2": None if br is None else [float(br[0]), float(br[1])],
            "method": self.method,
            "dt_ms": self.dt_ms,
        }

    def plot(self, path=None):
        from ..plot.protocols import plot_fi

        return plot_fi(self, path)



def _first_firing(currents, rates) -> float | None:
    idx = np.nonzero(np.asarray(rates) > 0)[0]
    return float(currents[idx[0]]) if idx.size else None


def fi_curve(model: str | Model = "hh", i_min: float = 0.0, i_max: float = 20.0, n: int = 41, *,
             dur: float = 1000.0, method: str | None = None, dt: float | None = None,
             progress: bool | None = None) -> FICurve:
    """The f-I curve at ``n`` currents from ``i_min`` to ``i_max`` µA/cm² (evenly spaced),
    each held ``dur`` ms; see the module docstring for the two sweeps."""
    model = _models.get(model)
    i_min, i_max = check_interval("current", i_min, i_max, "µA/cm²")
    n = whole("--n (number of currents)", n, 2)
    dur = positive("--dur", dur)
    method, dt = protocol_method(method, dt)
    dur = whole_steps("--dur", dur, dt)
    currents = np.linspace(i_min, i_max, n)
    bar = progress_bar("f-I", progress)
    try:
        rest = run_many(model, [stim.step(1.0, start=0.0, dur=dur)], dur, n=n, scale=currents,
                        method=method, dt=dt, bar=bar)
        up = tuple(float(c) for c in currents)
        down = (float(currents[-1]),) + tuple(float(c) for c in currents[::-1])
        ramp = snap(RAMP_FRACTION * dur, dt)
        stairs = [Staircase(up, dur, ramp=ramp), Staircase(down, dur, ramp=ramp)]
        cont = run_many(model, stairs, len(down) * dur, n=2, wave=[0, 1], method=method, dt=dt,
                        bar=bar, segments=max(8, len(down)))
    finally:
        bar.close()
    rates = np.array([steady_rate(s, 0.0, dur) for s in rest.spike_times])
    spikes_up, spikes_down = [], []
    rates_up, rates_down = np.zeros(n), np.zeros(n)
    for k in range(n):
        a = k * dur
        s = cont.spike_times[0]
        spikes_up.append(s[(s >= a) & (s < a + dur)] - a)
        rates_up[k] = steady_rate(s, a, a + dur)
        level = n - k  # level index of currents[k] in the down staircase (level 0 is the warm-up)
        a = level * dur
        s = cont.spike_times[1]
        spikes_down.append(s[(s >= a) & (s < a + dur)] - a)
        rates_down[k] = steady_rate(s, a, a + dur)
    return FICurve(model, currents, rates, rates_up, rates_down, dur, list(rest.spike_times),
                   spikes_up, spikes_down, method, dt)
