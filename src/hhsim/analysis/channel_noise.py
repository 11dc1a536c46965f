"""Protocols of channel noise: spontaneous firing against membrane area, and the
reliability and precision of spike timing under a repeated stimulus.

``spontaneous_rate``
    A patch of ``hh`` membrane with no input fires now and then when its
    channels are few: the openings of a handful of Na channels are enough to
    start a spike.  Chow & White (1996), Biophys J 71:3013, found the rate of
    these spontaneous spikes to fall roughly exponentially with the area (their
    Fig. 6, a straight line of log rate against area, for areas of a few to
    about a hundred µm²), and Goldwyn & Shea-Brown (2011), PLoS Comput Biol
    7:e1002247, use it to compare simulation methods.  The protocol runs
    ``trials`` neurons of each area for ``t_stop`` ms from rest and reports the
    rate (Hz, with its standard error from the spread over trials), the
    coefficient of variation of the interspike intervals and the e-fold area of
    an exponential fit of the rate against the area.

``spike_reliability``
    Schneidman, Freedman & Segev (1998), Neural Comput 10:1679: the same
    stimulus given again and again to a membrane with stochastic channels gives
    spikes whose timing is precise and reliable when the stimulus fluctuates
    fast, and drifts from trial to trial under a constant current.  The
    protocol gives ``trials`` repetitions of a frozen Ornstein-Uhlenbeck current
    (:class:`hhsim.stim.Noise`) and of a step of the same mean to each area,
    takes the spikes of the deterministic model (the limit of many channels)
    as the events, and reports per event the reliability (the fraction of
    trials with a spike within ``window_ms`` of it) and the jitter (the standard
    deviation of those spike times), averaged over the events.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import models as _models
from ..errors import ProtocolError
from ..noise import ChannelNoise, simulate_noisy_batch
from ..simulation import simulate
from ..stim import Noise, step


def _areas(areas) -> np.ndarray:
    a = np.atleast_1d(np.asarray(areas, dtype=float))
    if a.ndim != 1 or a.size < 1 or not np.all(np.isfinite(a) & (a > 0)):
        raise ProtocolError(f"areas must be one or more numbers > 0 µm², got {areas!r}")
    return a


def _trials(trials) -> int:
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 1:
        raise ProtocolError(f"trials must be a whole number >= 1, got {trials!r}")
    return int(trials)


@dataclass
class SpontaneousRate:
    """Spontaneous firing against membrane area (:func:`spontaneous_rate`).

    ``areas_um2`` (n_areas,); ``counts`` (n_areas, trials) spikes per trial;
    ``rate_hz`` and ``rate_se_hz`` (n_areas,); ``cv_isi`` (n_areas,; NaN with
    fewer than 3 intervals); ``efold_area_um2``: the area over which the rate
    falls by e in a least-squares fit of log(rate) against area over the
    areas with spikes (None with fewer than two).
    """

    model: object
    method: str
    areas_um2: np.ndarray
    counts: np.ndarray
    rate_hz: np.ndarray
    rate_se_hz: np.ndarray
    cv_isi: np.ndarray
    efold_area_um2: float | None
    t_stop_ms: float
    dt_ms: float
    seed: int
    density_per_um2: dict
    meta: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "protocol": "spontaneous-rate", "model": self.model.name, "method": self.method,
            "t_stop_ms": self.t_stop_ms, "dt_ms": self.dt_ms, "trials": int(self.counts.shape[1]),
            "seed": self.seed, "density_per_um2": self.density_per_um2,
            "areas_um2": self.areas_um2.tolist(), "rate_hz": self.rate_hz.tolist(),
            "rate_se_hz": self.rate_se_hz.tolist(),
            "cv_isi": [None if not np.isfinite(c) else float(c) for c in self.cv_isi],
            "efold_area_um2": self.efold_area_um2,
        }

    def plot(self, path=None):
        from ..plot.noise import plot_spontaneous_rate

        return plot_spontaneous_rate(self, path)


def spontaneous_rate(model="hh", *, areas=(1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0), method: str = "markov",
                     t_stop: float = 2000.0, trials: int = 4, dt: float | None = None, seed: int = 0,
                     density: dict | None = None) -> SpontaneousRate:
    """Spontaneous firing rate (Hz) at rest against membrane area (µm²).

    ``trials`` neurons per area, each ``t_stop`` ms from rest with its own
    channels (``method``: markov or langevin; ``density``: channels/µm²,
    default the squid values Na 60, K 18), all in one batch.
    """
    model = _models.get(model)
    a = _areas(areas)
    trials = _trials(trials)
    noise = ChannelNoise(method, area_um2=float(a[0]), density=density or {}, seed=seed)
    per_node = np.repeat(a, trials)
    out = simulate_noisy_batch(model, noise, n=per_node.size, t_stop=t_stop, dt=dt, area_um2=per_node)
    counts = out.n_spikes.reshape(a.size, trials)
    dur_s = out.t_stop / 1000.0
    rate = counts.mean(axis=1) / dur_s
    if trials > 1:
        se = counts.std(axis=1, ddof=1) / np.sqrt(trials) / dur_s
    else:
        se = np.sqrt(counts[:, 0]) / dur_s
    cv = np.full(a.size, np.nan)
    for k in range(a.size):
        isi = np.concatenate([np.diff(out.spike_times[k * trials + j]) for j in range(trials)])
        if isi.size >= 3:
            cv[k] = float(isi.std(ddof=1) / isi.mean())
    fit = rate > 0
    efold = None
    if np.count_nonzero(fit) >= 2 and np.ptp(a[fit]) > 0:
        slope = np.polyfit(a[fit], np.log(rate[fit]), 1)[0]
        efold = float(-1.0 / slope) if slope < 0 else None
    used = noise.density or {k: v for k, v in _squid(model).items()}
    return SpontaneousRate(model, noise.method, a, counts, rate, se, cv, efold, float(out.t_stop), out.dt,
                           noise.seed, dict(used))


def _squid(model) -> dict:
    from ..noise import SQUID_DENSITY

    names = {c.name for c in model.channels}
    return {k: v for k, v in SQUID_DENSITY.items() if k in names}


@dataclass
class Reliability:
    """Spike-time reliability and jitter under a repeated stimulus (:func:`spike_reliability`).

    ``stimuli``: ("fluctuating", "constant"); ``jitter_ms`` and ``reliability``
    (n_areas, 2): the means over the events of each stimulus; ``events_ms``:
    per stimulus, the deterministic model's spike times; ``spike_times``: per
    stimulus and area, the trials' spike times (for rasters).
    """

    model: object
    method: str
    areas_um2: np.ndarray
    stimuli: tuple
    jitter_ms: np.ndarray
    reliability: np.ndarray
    events_ms: list
    spike_times: list
    trials: int
    window_ms: float
    t_stop_ms: float
    dt_ms: float
    seed: int
    stimulus: dict
    meta: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        nan = lambda x: None if not np.isfinite(x) else float(x)  # noqa: E731
        return {
            "protocol": "spike-reliability", "model": self.model.name, "method": self.method,
            "t_stop_ms": self.t_stop_ms, "dt_ms": self.dt_ms, "trials": self.trials, "seed": self.seed,
            "window_ms": self.window_ms, "stimulus": self.stimulus, "areas_um2": self.areas_um2.tolist(),
            "stimuli": list(self.stimuli),
            "jitter_ms": {s: [nan(x) for x in self.jitter_ms[:, k]] for k, s in enumerate(self.stimuli)},
            "reliability": {s: [nan(x) for x in self.reliability[:, k]] for k, s in enumerate(self.stimuli)},
            "n_events": {s: len(e) for s, e in zip(self.stimuli, self.events_ms)},
        }

    def plot(self, path=None):
        from ..plot.noise import plot_reliability

        return plot_reliability(self, path)


def event_statistics(events: np.ndarray, trials: list[np.ndarray], window: float) -> tuple[float, float]:
    """(mean reliability, mean jitter in ms) over ``events`` (ms): per event, the fraction of
    ``trials`` (spike-time arrays) with a spike within ``window`` ms (and nearer to it than to
    the neighbouring events), and the standard deviation of the first such spike's time."""
    if events.size == 0:
        return float("nan"), float("nan")
    edges = np.concatenate([[-np.inf], 0.5 * (events[1:] + events[:-1]), [np.inf]])
    rel, jit = [], []
    for e, (lo, hi) in zip(events, zip(edges[:-1], edges[1:])):
        lo, hi = max(lo, e - window), min(hi, e + window)
        hits = [s[(s >= lo) & (s < hi)] for s in trials]
        first = np.array([h[0] for h in hits if h.size])
        rel.append(first.size / len(trials))
        if first.size >= 2:
            jit.append(first.std(ddof=1))
    return float(np.mean(rel)), (float(np.mean(jit)) if jit else float("nan"))


def spike_reliability(model="hh", *, areas=(30.0, 100.0, 300.0, 1000.0), method: str = "markov",
                      trials: int = 20, t_stop: float = 300.0, mean: float = 8.0, std: float = 4.0,
                      tau: float = 2.0, stim_seed: int = 1, window_ms: float = 5.0, dt: float | None = None,
                      seed: int = 0, density: dict | None = None) -> Reliability:
    """Reliability and jitter of spike times across ``trials`` repetitions of one stimulus.

    The stimuli start at 10 ms and last to ``t_stop``: a frozen
    Ornstein-Uhlenbeck current of mean ``mean`` and s.d. ``std`` µA/cm²,
    correlation time ``tau`` ms (seed ``stim_seed``), and a step of ``mean``.
    ``window_ms``: how far from an event a trial's spike may fall.
    """
    model = _models.get(model)
    a = _areas(areas)
    trials = _trials(trials)
    if not (np.isfinite(window_ms) and window_ms > 0):
        raise ProtocolError(f"window_ms must be > 0 ms, got {window_ms!r}")
    start = 10.0
    if not t_stop > start + 10.0:
        raise ProtocolError(f"t_stop must exceed {start + 10.0:g} ms (the stimuli start at {start:g} ms)")
    stims = (Noise(std=std, mean=mean, tau=tau, seed=stim_seed, start=start, dur=t_stop - start),
             step(mean, start=start, dur=t_stop - start))
    names = ("fluctuating", "constant")
    noise = ChannelNoise(method, area_um2=float(a[0]), density=density or {}, seed=seed)
    per_node = np.repeat(a, trials)
    jitter = np.full((a.size, 2), np.nan)
    reliab = np.full((a.size, 2), np.nan)
    events, spikes = [], []
    dt_used = None
    for k, stim in enumerate(stims):
        out = simulate_noisy_batch(model, noise, n=per_node.size, stimulus=stim, t_stop=t_stop, dt=dt,
                                   area_um2=per_node)
        dt_used = out.dt
        ref = simulate(model, stim, t_stop=t_stop, method="expeuler", dt=out.dt).spike_times
        events.append(ref)
        spikes.append([out.spike_times[i * trials:(i + 1) * trials] for i in range(a.size)])
        for i in range(a.size):
            reliab[i, k], jitter[i, k] = event_statistics(ref, spikes[k][i], window_ms)
    return Reliability(model, noise.method, a, names, jitter, reliab, events, spikes, trials, float(window_ms),
                       float(t_stop), dt_used, noise.seed,
                       {"fluctuating": stims[0].describe(), "constant": stims[1].describe()})
