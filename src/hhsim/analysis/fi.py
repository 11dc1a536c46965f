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
from ..errors import ProtocolError
from ..noise import as_noise, simulate_noisy_batch
from ..noise.run import check_noise_method
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
    noise: object = None

    # ------------------------------------------------------------ derived
    def traces_from_rest(self) -> tuple[np.ndarray, np.ndarray]:
        """(t in ms, V in mV of shape (times, currents)): the runs from rest integrated again,
        the same way, recording every step (the curve itself keeps spike times only; a noisy
        curve's runs come back bit for bit: the same seed and streams)."""
        if self.noise is not None:
            runs = _noisy_from_rest(self.model, self.noise, self.currents_uA_cm2, self.dur_ms, self.dt_ms,
                                    record="v")
            return runs.t, runs.traces["v"]
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
            "noise": None if self.noise is None else self.noise.describe(),
        }

    def plot(self, path=None):
        from ..plot.protocols import plot_fi

        return plot_fi(self, path)



def _protocol_noise(noise, protocol: str):
    """The active :class:`~hhsim.noise.ChannelNoise` of a protocol's ``noise`` argument, or None
    (None or method none); a protocol runs markov or langevin noise on its batches."""
    spec = as_noise(noise)
    if not spec.active:
        return None
    if spec.method not in ("markov", "langevin"):
        raise ProtocolError(f"{protocol} runs its neurons as one noisy batch, which {spec.method!r} noise cannot "
                            "(it runs one neuron); accepted: markov, langevin, none")
    return spec


def _noisy_from_rest(model, noise, currents, dur, dt, record=None):
    """The runs from rest of a noisy f-I curve: neuron k (stream k) at ``currents[k]`` µA/cm²."""
    return simulate_noisy_batch(model, noise, n=int(currents.size), stimulus=stim.step(1.0, start=0.0, dur=dur),
                                scale=currents, t_stop=dur, dt=dt, record=record)


def _noisy_curve(model, noise, currents, dur, dt, progress) -> FICurve:
    """fi_curve with channel noise: the runs from rest and the two staircases as noisy neurons."""
    n = currents.size
    up = tuple(float(c) for c in currents)
    down = (float(currents[-1]),) + tuple(float(c) for c in currents[::-1])
    ramp = snap(RAMP_FRACTION * dur, dt)
    bar = progress_bar("f-I", progress)
    try:
        rest = _noisy_from_rest(model, noise, currents, dur, dt)
        bar.update(1)
        sweeps = [simulate_noisy_batch(model, noise, n=1, stimulus=Staircase(levels, dur, ramp=ramp),
                                       t_stop=len(down) * dur, dt=dt, node_offset=n + k)
                  for k, levels in enumerate((up, down))]
    finally:
        bar.close()
    rates = np.array([steady_rate(s, 0.0, dur) for s in rest.spike_times])
    spikes_up, spikes_down = [], []
    rates_up, rates_down = np.zeros(n), np.zeros(n)
    for k in range(n):
        a = k * dur
        s = sweeps[0].spike_times[0]
        spikes_up.append(s[(s >= a) & (s < a + dur)] - a)
        rates_up[k] = steady_rate(s, a, a + dur)
        a = (n - k) * dur
        s = sweeps[1].spike_times[0]
        spikes_down.append(s[(s >= a) & (s < a + dur)] - a)
        rates_down[k] = steady_rate(s, a, a + dur)
    return FICurve(model, currents, rates, rates_up, rates_down, dur, list(rest.spike_times), spikes_up,
                   spikes_down, "expeuler", dt, noise)


def _first_firing(currents, rates) -> float | None:
    idx = np.nonzero(np.asarray(rates) > 0)[0]
    return float(currents[idx[0]]) if idx.size else None


def fi_curve(model: str | Model = "hh", i_min: float = 0.0, i_max: float = 20.0, n: int = 41, *,
             dur: float = 1000.0, method: str | None = None, dt: float | None = None,
             progress: bool | None = None, noise=None) -> FICurve:
    """The f-I curve at ``n`` currents from ``i_min`` to ``i_max`` µA/cm² (evenly spaced),
    each held ``dur`` ms; see the module docstring for the two sweeps.

    ``noise``: channel noise (a :class:`hhsim.noise.ChannelNoise`, or ``"markov"`` /
    ``"langevin"`` with the squid densities on 100 µm²): every run is then one noisy
    neuron, its channels drawn at the start, on the noise kernels' fixed-step exponential
    Euler (``dt`` default 0.01 ms; ``method`` expeuler or None).  The run from rest at
    ``currents[k]`` is noise stream k and the up and down staircases streams n and n + 1,
    so one seed gives the same curve on any number of threads.  A rate below rheobase is
    then the spontaneous rate that channel noise gives (Chow & White 1996).
    """
    model = _models.get(model)
    i_min, i_max = check_interval("current", i_min, i_max, "µA/cm²")
    n = whole("--n (number of currents)", n, 2)
    dur = positive("--dur", dur)
    noise = _protocol_noise(noise, "fi")
    if noise is not None:
        dt = check_noise_method(method, dt)
        method = "expeuler"
    else:
        method, dt = protocol_method(method, dt)
    dur = whole_steps("--dur", dur, dt)
    currents = np.linspace(i_min, i_max, n)
    if noise is not None:
        return _noisy_curve(model, noise, currents, dur, dt, progress)
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
