"""Excitability from rest: rheobase, pulse threshold, strength-duration, anode-break excitation.

Every protocol starts from the model's resting state, applies a rectangular
current after ``delay`` ms and looks for a spike (an upward crossing of the
model's spike threshold, 0 mV for ``hh``) until ``tail`` ms after the
current ends.  Thresholds are found by :func:`~hhsim.analysis.search.bracket_search`:
every round tries 16 amplitudes per bracket in one compiled batch, to a
relative precision ``rtol`` (1e-3 by default); the reported threshold is the
midpoint of the final bracket [largest amplitude without a spike, smallest
with one].

Pulse edges are put on the time grid (the step is shortened so that the
pulse is a whole number of steps), so the charge delivered is exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize_scalar

from ..display import ShownProtocol
from .. import models as _models
from .. import stim
from ..errors import DivergenceError
from ..model import Model
from ..noise import as_noise
from ..validate import float_array
from ._common import (
    MAX_RANGE_VALUES, MIN_PULSE_MS, BracketError, ProtocolError, aligned_dt, check_interval, float_list,
    non_negative, positive, precision, progress_bar, protocol_method, run_many, snap, to_float, whole,
)
from .search import ALWAYS_FIRES, NEVER_FIRES, SearchResult, bracket_search

DELAY_MS = 5.0
POINTS = 16


@dataclass(repr=False)
class ThresholdResult(ShownProtocol):
    """The smallest amplitude (µA/cm²) of a rectangular current that gives a spike.

    ``kind``: "rheobase" (a long step), "pulse threshold" (one brief pulse) or
    "anode break" (a hyperpolarising step; the spike follows its end).
    ``threshold_uA_cm2`` is the magnitude; the injected current is
    ``polarity * threshold``.  ``bracket_uA_cm2``: (largest amplitude tried
    without a spike, smallest with one).  Traces: ``t_ms`` and V (mV) just
    below (``v_below_mV``) and just above (``v_above_mV``) threshold, with the
    injected currents ``i_below_uA_cm2`` / ``i_above_uA_cm2``.
    """

    kind: str
    model: Model
    threshold_uA_cm2: float
    bracket_uA_cm2: tuple[float, float]
    pulse_dur_ms: float
    delay_ms: float
    polarity: int
    t_ms: np.ndarray
    v_below_mV: np.ndarray
    v_above_mV: np.ndarray
    i_below_uA_cm2: np.ndarray
    i_above_uA_cm2: np.ndarray
    spike_times_above_ms: np.ndarray
    rtol: float
    method: str
    dt_ms: float
    rounds: int
    n_simulations: int

    @property
    def key(self) -> str:
        return "rheobase_uA_cm2" if self.kind == "rheobase" else "threshold_uA_cm2"

    def to_dict(self) -> dict:
        """JSON-ready summary (keys carry units)."""
        out = {
            "protocol": self.kind.replace(" ", "-"),
            "model": self.model.name,
            "temperature_C": self.model.temperature,
            self.key: to_float(self.threshold_uA_cm2),
            "bracket_uA_cm2": float_list(self.bracket_uA_cm2),
            ("step_dur_ms" if self.kind != "pulse threshold" else "pulse_dur_ms"): self.pulse_dur_ms,
            "delay_ms": self.delay_ms,
            "rtol": self.rtol,
            "method": self.method,
            "dt_ms": self.dt_ms,
            "n_simulations": self.n_simulations,
        }
        if self.polarity < 0:
            out["injected_uA_cm2"] = to_float(-self.threshold_uA_cm2)
        return out

    def plot(self, path=None):
        from ..plot.protocols import plot_threshold

        return plot_threshold(self, path)



@dataclass
class LawFit:
    """A fitted strength-duration law: ``rheobase_uA_cm2``, ``chronaxie_ms`` and
    the root-mean-square relative residual of the fit."""

    law: str
    rheobase_uA_cm2: float
    chronaxie_ms: float
    rms_relative_residual: float
    time_constant_ms: float | None = None

    def predict(self, d) -> np.ndarray:
        """Threshold (µA/cm²) at pulse durations ``d`` (ms)."""
        d = np.asarray(d, dtype=float)
        if self.law == "weiss":
            return self.rheobase_uA_cm2 * (1.0 + self.chronaxie_ms / d)
        return self.rheobase_uA_cm2 / -np.expm1(-d / self.time_constant_ms)

    def to_dict(self) -> dict:
        out = {"rheobase_uA_cm2": to_float(self.rheobase_uA_cm2), "chronaxie_ms": to_float(self.chronaxie_ms),
               "rms_relative_residual": to_float(self.rms_relative_residual)}
        if self.time_constant_ms is not None:
            out["time_constant_ms"] = to_float(self.time_constant_ms)
        return out


@dataclass(repr=False)
class StrengthDurationResult(ShownProtocol):
    """Pulse thresholds over durations and the fitted Weiss and Lapicque laws.

    ``durations_ms``, ``thresholds_uA_cm2``: the measured points; ``fits``:
    law name -> :class:`LawFit`; ``law``: the law whose rheobase and
    chronaxie are reported first.
    """

    model: Model
    durations_ms: np.ndarray
    thresholds_uA_cm2: np.ndarray
    fits: dict
    law: str
    rtol: float
    method: str
    dt_ms: float
    n_simulations: int

    @property
    def rheobase_uA_cm2(self) -> float:
        return self.fits[self.law].rheobase_uA_cm2

    @property
    def measured_rheobase_uA_cm2(self) -> float:
        """Threshold of the longest pulse (µA/cm²)."""
        return float(self.thresholds_uA_cm2[-1])

    @property
    def measured_chronaxie_ms(self) -> float | None:
        """Pulse duration (ms) at which the threshold is twice the measured rheobase,
        interpolated linearly on log-log axes; None if outside the durations tried."""
        d = np.log(self.durations_ms)
        i = np.log(self.thresholds_uA_cm2)
        target = math.log(2.0 * self.measured_rheobase_uA_cm2)
        for k in range(d.size - 1):
            if (i[k] - target) * (i[k + 1] - target) <= 0 and i[k] != i[k + 1]:
                return float(math.exp(d[k] + (target - i[k]) * (d[k + 1] - d[k]) / (i[k + 1] - i[k])))
        return None

    @property
    def chronaxie_ms(self) -> float:
        return self.fits[self.law].chronaxie_ms

    def to_dict(self) -> dict:
        return {
            "protocol": "strength-duration",
            "model": self.model.name,
            "temperature_C": self.model.temperature,
            "law": self.law,
            "rheobase_uA_cm2": to_float(self.rheobase_uA_cm2),
            "chronaxie_ms": to_float(self.chronaxie_ms),
            "points": [[float(d), to_float(i)] for d, i in zip(self.durations_ms, self.thresholds_uA_cm2)],
            "fits": {k: f.to_dict() for k, f in self.fits.items()},
            "measured": {"rheobase_uA_cm2": to_float(self.measured_rheobase_uA_cm2),
                         "chronaxie_ms": to_float(self.measured_chronaxie_ms)},
            "rtol": self.rtol,
            "method": self.method,
            "dt_ms": self.dt_ms,
            "n_simulations": self.n_simulations,
        }

    def plot(self, path=None):
        from ..plot.protocols import plot_strength_duration

        return plot_strength_duration(self, path)



# ------------------------------------------------------------------ core
@dataclass
class _Search:
    result: SearchResult
    stimuli: list
    t_stop: float
    n_sims: int = 0
    durations: np.ndarray = field(default_factory=lambda: np.zeros(0))


def _pulse_search(model, durations, i_max, *, polarity, delay, tail, rtol, method, dt, bar,
                  after_end: bool) -> _Search:
    """Thresholds of rectangular currents of the given durations (one bracket each)."""
    durations = np.asarray(durations, dtype=float)
    stimuli = [stim.step(float(polarity), start=delay, dur=float(d)) for d in durations]
    t_stop = delay + float(durations.max()) + tail
    counter = [0]

    def fires(amps, which):
        P, K = amps.shape
        try:
            out = run_many(model, stimuli, t_stop, n=P * K, wave=np.repeat(which, K), scale=amps.ravel(),
                           method=method, dt=dt, bar=bar)
        except DivergenceError as exc:
            raise DivergenceError(
                f"{exc} (while trying amplitudes up to {np.max(amps):g} µA/cm²: lower --i-max)", exc.t_ms
            ) from None
        counter[0] += P * K
        ends = np.repeat(delay + durations[which], K)
        if after_end:
            n_sp = np.array([np.count_nonzero(s >= e) for s, e in zip(out.spike_times, ends)])
        else:
            n_sp = np.array([s.size for s in out.spike_times])
        return (n_sp >= 1).reshape(P, K)

    res = bracket_search(fires, 0.0, np.broadcast_to(np.asarray(i_max, dtype=float), durations.shape),
                         rtol=rtol, points=POINTS)
    return _Search(res, stimuli, t_stop, counter[0], durations)


def _check_found(res: SearchResult, what: str, labels: list[str], hint: str = "raise --i-max") -> None:
    for p, status in enumerate(res.status):
        where = f" ({labels[p]})" if labels[p] else ""
        if status == NEVER_FIRES:
            raise BracketError(
                f"{what}{where}: no spike even at the largest amplitude tried, "
                f"{res.top[p]:g} µA/cm²; the bracket [0, {res.top[p]:g}] does not contain the "
                f"threshold ({hint})"
            )
        if status == ALWAYS_FIRES:
            raise BracketError(
                f"{what}{where}: the model already fires without any stimulus, so there is no "
                "threshold to find"
            )


def _traces(model, s: _Search, index: int, polarity: int, method: str, dt: float, bar):
    """Record the runs just below and just above threshold for bracket ``index``."""
    lo, hi = s.result.lo[index], s.result.hi[index]
    out = run_many(model, s.stimuli, s.t_stop, n=2, wave=[index, index], scale=[lo, hi],
                   method=method, dt=dt, record_every=1, bar=bar)
    current = s.stimuli[index].value(out.t)
    return out.t, out.v[:, 0].copy(), out.v[:, 1].copy(), lo * current, hi * current, out.spike_times[1]


def _threshold(kind, model, dur, i_max, *, polarity, delay, tail, rtol, method, dt, progress,
               after_end, hint: str = "raise --i-max") -> ThresholdResult:
    model = _models.get(model)
    dur = positive("duration" if kind != "pulse threshold" else "pulse duration", dur)
    i_max = positive("--i-max", i_max, "µA/cm²")
    rtol = precision(rtol)
    delay, tail = non_negative("delay", delay), non_negative("tail", tail)
    method, dt0 = protocol_method(method, dt)
    dt = aligned_dt(dt0, dur) if dt is None or abs(dur / dt0 - round(dur / dt0)) > 1e-9 else dt0
    delay = snap(delay, dt)
    bar = progress_bar(kind, progress)
    try:
        s = _pulse_search(model, [dur], i_max, polarity=polarity, delay=delay, tail=tail, rtol=rtol,
                          method=method, dt=dt, bar=bar, after_end=after_end)
        _check_found(s.result, kind, [""], hint)
        t, vb, va, ib, ia, spikes = _traces(model, s, 0, polarity, method, dt, bar)
    finally:
        bar.close()
    r = s.result
    return ThresholdResult(
        kind=kind, model=model, threshold_uA_cm2=float(r.threshold[0]),
        bracket_uA_cm2=(float(r.lo[0]), float(r.hi[0])), pulse_dur_ms=dur, delay_ms=delay,
        polarity=polarity, t_ms=t, v_below_mV=vb, v_above_mV=va, i_below_uA_cm2=ib,
        i_above_uA_cm2=ia, spike_times_above_ms=spikes, rtol=rtol, method=method, dt_ms=dt,
        rounds=r.rounds, n_simulations=s.n_sims + 2,
    )


def _refuse_noise(noise, protocol: str) -> None:
    """A bisection on a deterministic threshold takes no channel noise: with noise, firing at an
    amplitude is a probability, not a yes/no (a ProtocolError names what is accepted)."""
    if noise is not None and as_noise(noise).active:
        raise ProtocolError(f"{protocol} bisects on a deterministic threshold, which channel noise turns into a "
                            "firing probability; accepted: noise=None or 'none' (noisy firing: fi_curve(..., "
                            "noise=...), simulate(..., noise=...))")


# ------------------------------------------------------------------ API
def rheobase(model: str | Model = "hh", dur: float = 200.0, *, i_max: float = 50.0, rtol: float = 1e-3,
             delay: float = DELAY_MS, tail: float = 20.0, method: str | None = None,
             dt: float | None = None, progress: bool | None = None, noise=None) -> ThresholdResult:
    """Rheobase: the smallest step amplitude (µA/cm²) lasting ``dur`` ms, from rest, that gives a spike.

    The step starts at ``delay`` ms; spikes are counted until ``tail`` ms
    after it ends.  Searched in [0, ``i_max``] µA/cm² to relative precision
    ``rtol``.  Raises :class:`~hhsim.analysis.BracketError` when no amplitude
    up to ``i_max`` fires.  ``noise``: None or ``"none"`` only (see :func:`_refuse_noise`).
    """
    _refuse_noise(noise, "rheobase")
    return _threshold("rheobase", model, dur, i_max, polarity=1, delay=delay, tail=tail, rtol=rtol,
                      method=method, dt=dt, progress=progress, after_end=False)


def default_pulse_i_max(dur: float, cm: float = 1.0) -> float:
    """Default top of the pulse-threshold bracket: 50 µA/cm², or the current that
    would displace a passive membrane by 100 mV during the pulse, if larger."""
    return max(50.0, 100.0 * cm / dur)


def threshold(model: str | Model = "hh", pulse_dur: float = 1.0, *, i_max: float | None = None,
              rtol: float = 1e-3, delay: float = DELAY_MS, tail: float = 30.0, method: str | None = None,
              dt: float | None = None, progress: bool | None = None, noise=None) -> ThresholdResult:
    """The smallest amplitude (µA/cm²) of one pulse of ``pulse_dur`` ms, from rest, that gives a spike.

    ``noise``: None or ``"none"`` only (see :func:`_refuse_noise`)."""
    _refuse_noise(noise, "threshold")
    model = _models.get(model)
    pulse_dur = positive("pulse duration", pulse_dur)
    if not pulse_dur >= MIN_PULSE_MS:  # before the default bracket, which grows as 1 / pulse_dur
        raise ProtocolError(f"a pulse of {pulse_dur:.4g} ms is too short; accepted: {MIN_PULSE_MS:g} ms or longer")
    i_max = default_pulse_i_max(pulse_dur, model.Cm) if i_max is None else i_max
    return _threshold("pulse threshold", model, pulse_dur, i_max, polarity=1, delay=delay, tail=tail,
                      rtol=rtol, method=method, dt=dt, progress=progress, after_end=False)


#: Default depth (mV below rest) of the deepest anode-break step: deep enough
#: to remove Na and T-type inactivation, shallow enough to keep every preset
#: where its steady-state I-V is monotonic (Connor-Stevens' turns over below
#: -118 mV, and a larger current there drives the membrane off to -400 mV).
ANODE_BREAK_DEPTH_MV = 30.0


def default_anode_i_max(model: Model, depth: float = ANODE_BREAK_DEPTH_MV) -> float:
    """Default top of the anode-break bracket (µA/cm², a magnitude): the steady
    current that holds the membrane ``depth`` mV below rest.

    A fixed amplitude does not suit every model: 10 µA/cm² holds the squid
    axon 23 mV below rest, but would drive the low-leak ``pospischil_lts``
    cell towards -900 mV, far outside the range its rates describe.
    """
    rest = model.resting_potential()
    i = abs(float(model.steady_state_current(np.asarray(rest - depth))))
    return i if math.isfinite(i) and i > 0 else 10.0


def anode_break(model: str | Model = "hh", dur: float = 20.0, *, i_max: float | None = None,
                rtol: float = 1e-3, delay: float = DELAY_MS, tail: float = 100.0,
                method: str | None = None, dt: float | None = None,
                progress: bool | None = None) -> ThresholdResult:
    """Anode-break excitation: the smallest hyperpolarising step (magnitude, µA/cm²) of
    ``dur`` ms, from rest, whose release gives a rebound spike (counted for ``tail`` ms after the step ends:
    a T-type calcium rebound comes 40 to 70 ms after release in ``pospischil_lts``).

    ``i_max`` (default :func:`default_anode_i_max`: the current holding the
    membrane 30 mV below rest) is the largest magnitude tried.  Rebounds
    carried by the T-type calcium current need steps of 100 ms or more to
    de-inactivate it.
    """
    model = _models.get(model)
    i_max = default_anode_i_max(model) if i_max is None else i_max
    return _threshold("anode break", model, dur, i_max, polarity=-1, delay=delay, tail=tail, rtol=rtol,
                      method=method, dt=dt, progress=progress, after_end=True,
                      hint="raise --i-max, or lengthen --dur: a T-type calcium rebound needs steps of 100 ms "
                           "or more")


def strength_duration(model: str | Model = "hh", durations=None, *, d_min: float = 0.05,
                      d_max: float = 50.0, n: int = 16, law: str = "lapicque", i_max: float | None = None,
                      rtol: float = 1e-3, delay: float = DELAY_MS, tail: float = 30.0,
                      method: str | None = None, dt: float | None = None,
                      progress: bool | None = None) -> StrengthDurationResult:
    """Pulse thresholds over durations (log spaced from ``d_min`` to ``d_max`` ms, ``n`` of them),
    all searched in one set of batches, and fits of the Weiss and Lapicque laws.

    Durations are rounded to whole time steps (duplicates dropped) so that
    every pulse edge is on the grid.  ``law`` ("lapicque", the default, or
    "weiss") picks the fit whose rheobase and chronaxie are reported first;
    both are fitted.  For ``hh`` the Lapicque law fits markedly better (the
    threshold reaches the rheobase abruptly near 10 ms, which the Weiss
    hyperbola cannot follow).  The measured rheobase (threshold of the
    longest pulse) and chronaxie (duration at twice that, interpolated on the
    log-log curve) are reported too.
    """
    model = _models.get(model)
    if law not in LAWS:
        raise ProtocolError(f"unknown law {law!r}; accepted: {', '.join(LAWS)}")
    method, dt = protocol_method(method, dt)
    rtol = precision(rtol)
    delay, tail = non_negative("delay", delay), non_negative("tail", tail)
    if durations is None:
        d_min, d_max = positive("shortest duration", d_min), positive("longest duration", d_max)
        check_interval("duration", d_min, d_max, "ms")
        n = whole("number of durations", n, 3)
        durations = np.geomspace(d_min, d_max, n)
    durations = float_array(durations, "durations", max_len=MAX_RANGE_VALUES, lo=0.0, lo_open=True, unit="ms",
                            error=ProtocolError)
    durations = np.unique(np.array([snap(d, dt) for d in durations]))
    if durations.size < 3:
        raise ProtocolError("strength-duration needs at least 3 distinct pulse durations "
                            f"(longer than dt = {dt:g} ms)")
    delay = snap(delay, dt)
    tops = np.array([default_pulse_i_max(d, model.Cm) if i_max is None else positive("--i-max", i_max, "µA/cm²")
                     for d in durations])
    bar = progress_bar("strength-duration", progress)
    try:
        s = _pulse_search(model, durations, tops, polarity=1, delay=delay, tail=tail, rtol=rtol,
                          method=method, dt=dt, bar=bar, after_end=False)
    finally:
        bar.close()
    _check_found(s.result, "strength-duration", [f"pulse of {d:g} ms" for d in durations])
    th = s.result.threshold
    fits = {"weiss": fit_weiss(durations, th), "lapicque": fit_lapicque(durations, th)}
    return StrengthDurationResult(model, durations, th, fits, law, rtol, method, dt, s.n_sims)


# ------------------------------------------------------------------ laws
LAWS = ("weiss", "lapicque")


def _law_points(durations, thresholds) -> tuple[np.ndarray, np.ndarray]:
    """Durations (ms) and thresholds (µA/cm²) of a strength-duration fit: finite numbers > 0, one
    threshold per duration, at least 2 points; else one :class:`ProtocolError`."""
    d = float_array(durations, "durations", flat=False, max_len=None, lo=0.0, lo_open=True, unit="ms",
                    error=ProtocolError)
    i = float_array(thresholds, "thresholds", flat=False, max_len=None, lo=0.0, lo_open=True, unit="µA/cm²",
                    error=ProtocolError)
    if d.shape != i.shape or d.size < 2:
        raise ProtocolError(f"a strength-duration law needs one threshold per duration, at least 2 of each "
                            f"(got {d.size} durations and {i.size} thresholds)")
    return d, i


def fit_weiss(durations, thresholds) -> LawFit:
    """Weiss (1901): I(d) = I_rh (1 + c / d), i.e. the charge I d grows linearly with d.

    Least squares on the relative residual (a linear problem in I_rh and
    I_rh c); ``c`` is the chronaxie (ms): at d = c the threshold is twice the
    rheobase.
    """
    d, i = _law_points(durations, thresholds)
    a = np.column_stack([1.0 / i, 1.0 / (d * i)])
    (rh, b), *_ = np.linalg.lstsq(a, np.ones_like(d), rcond=None)
    fit = LawFit("weiss", float(rh), float(b / rh), 0.0)
    fit.rms_relative_residual = float(np.sqrt(np.mean((fit.predict(d) / i - 1.0) ** 2)))
    return fit


def fit_lapicque(durations, thresholds) -> LawFit:
    """Lapicque (1907): I(d) = I_rh / (1 - exp(-d / tau)); chronaxie = tau ln 2.

    For each tau the best I_rh is linear; tau is found by a bounded 1-D
    search of the relative residual over log tau.
    """
    d, i = _law_points(durations, thresholds)

    def best(log_tau):
        g = 1.0 / -np.expm1(-d / math.exp(log_tau))
        x = g / i
        rh = np.sum(x) / np.sum(x * x)
        return rh, float(np.sum((rh * x - 1.0) ** 2))

    lo, hi = math.log(d.min() * 1e-3), math.log(d.max() * 1e3)
    grid = np.linspace(lo, hi, 200)
    k = int(np.argmin([best(g)[1] for g in grid]))
    a, b = grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]
    opt = minimize_scalar(lambda x: best(x)[1], bounds=(a, b), method="bounded",
                          options={"xatol": 1e-12})
    tau = math.exp(opt.x)
    rh, ss = best(opt.x)
    return LawFit("lapicque", float(rh), tau * math.log(2.0), float(math.sqrt(ss / d.size)), tau)
