"""Refractoriness: the threshold of a second pulse after a spike.

Protocol (times in ms, currents in µA/cm²):

1. ``T1``: the threshold of one pulse of ``pulse_dur`` (0.5 ms) from rest.
2. A conditioning pulse of ``first_factor * T1`` (2 T1) at ``delay`` gives a
   spike.  A test pulse of the same duration follows at ``interval`` after
   the conditioning pulse's onset (onset to onset).  The test "gives a
   second spike" when the run has more upward crossings of the spike
   threshold (0 mV for ``hh``) than the conditioning pulse alone gives by the
   end of the test window: one for most cells, a whole burst for a bursting
   cell such as ``pospischil_ib``, whose own burst spikes must not count.
3. For each interval of the recovery curve, the test pulse's threshold is
   found by bisection in [0, ``max_factor * T1``] (20 T1); the curve reports
   threshold / T1 (None where even 20 T1 fails).
4. The **relative refractory period** ends at the shortest interval from
   which on a test pulse of 1.05 T1 always gives a second spike (the
   threshold is back within 5% of T1); the **absolute refractory period** is
   the longest interval, shorter than that, at which even 20 T1 gives none.  Both
   are found on every multiple of the time step up to ``max_interval``.

Everything is vectorised: the conditioning response is simulated once and
recorded, and every test run starts from the recorded state at its
interval, so each round of every search is one compiled batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..display import ShownProtocol
from .. import models as _models
from .. import stim
from ..errors import DivergenceError
from ..model import Model
from ..validate import float_array
from ._common import (
    BracketError, ProtocolError, aligned_dt, positive, progress_bar, protocol_method, run_many, snap,
    to_float, MAX_RANGE_VALUES, non_negative, precision,
)
from .excitability import _check_found, _pulse_search, default_pulse_i_max
from .search import ALWAYS_FIRES, NEVER_FIRES, bracket_search

DEFAULT_INTERVALS = tuple(np.concatenate([np.arange(1.0, 10.0, 0.5), np.arange(10.0, 30.01, 2.0)]))


@dataclass(repr=False)
class RefractoryResult(ShownProtocol):
    """Recovery of excitability after a spike.

    ``intervals_ms`` and ``threshold_ratio`` (second-pulse threshold / T1,
    NaN where no pulse up to ``max_factor`` T1 fires) form the recovery
    curve; ``absolute_ms`` and ``relative_ms`` the two periods;
    ``single_threshold_uA_cm2`` is T1.  Traces: ``t_ms``/``v_mV`` of the
    conditioning spike alone; ``test_t_ms``/``test_v_mV[k]`` the response to
    a test pulse just above threshold at ``intervals_ms[k]`` (time from the
    conditioning pulse's onset).
    """

    model: Model
    pulse_dur_ms: float
    single_threshold_uA_cm2: float
    first_factor: float
    max_factor: float
    relative_tolerance: float
    intervals_ms: np.ndarray
    threshold_ratio: np.ndarray
    absolute_ms: float | None
    relative_ms: float
    delay_ms: float
    t_ms: np.ndarray
    v_mV: np.ndarray
    test_t_ms: np.ndarray
    test_v_mV: np.ndarray
    method: str
    dt_ms: float
    n_simulations: int
    #: amplitude (µA/cm²) of the test pulse of each trace of ``test_v_mV``
    test_amplitude_uA_cm2: np.ndarray | None = None

    def to_dict(self) -> dict:
        return {
            "protocol": "refractory",
            "model": self.model.name,
            "temperature_C": self.model.temperature,
            "pulse_dur_ms": self.pulse_dur_ms,
            "single_threshold_uA_cm2": to_float(self.single_threshold_uA_cm2),
            "first_pulse_uA_cm2": to_float(self.first_factor * self.single_threshold_uA_cm2),
            "max_factor": self.max_factor,
            "relative_tolerance": self.relative_tolerance,
            "absolute_ms": to_float(self.absolute_ms),
            "relative_ms": to_float(self.relative_ms),
            "curve": [[float(i), to_float(r)] for i, r in zip(self.intervals_ms, self.threshold_ratio)],
            "method": self.method,
            "dt_ms": self.dt_ms,
            "n_simulations": self.n_simulations,
        }

    def plot(self, path=None):
        from ..plot.protocols import plot_refractory

        return plot_refractory(self, path)



def refractory(model: str | Model = "hh", *, pulse_dur: float = 0.5, intervals=None,
               max_interval: float = 40.0, first_factor: float = 2.0, max_factor: float = 20.0,
               relative_tolerance: float = 0.05, rtol: float = 1e-3, delay: float = 5.0,
               tail: float = 25.0, method: str | None = None, dt: float | None = None,
               progress: bool | None = None) -> RefractoryResult:
    """Absolute and relative refractory periods and the recovery curve (see the module docstring).

    ``intervals``: onset-to-onset intervals (ms) of the recovery curve
    (default 1 to 9.5 ms every 0.5 ms, then 10 to 30 ms every 2 ms), rounded
    to whole time steps; ``max_interval`` (ms): the longest interval
    examined for the two periods.
    """
    model = _models.get(model)
    pulse_dur = positive("pulse duration", pulse_dur)
    max_interval = positive("--max-interval", max_interval)
    first_factor = positive("first pulse factor", first_factor, "")
    max_factor = positive("max factor", max_factor, "")
    relative_tolerance = positive("relative tolerance", relative_tolerance, "")
    rtol = precision(rtol)
    delay, tail = non_negative("delay", delay), non_negative("tail", tail)
    method, dt0 = protocol_method(method, dt)
    dt = aligned_dt(dt0, pulse_dur)
    delay = snap(delay, dt)
    intervals = (np.asarray(DEFAULT_INTERVALS, dtype=float) if intervals is None else
                 float_array(intervals, "intervals", max_len=MAX_RANGE_VALUES, lo=0.0, lo_open=True, unit="ms",
                             error=ProtocolError))
    if intervals.size == 0:
        raise ProtocolError("the list of intervals is empty")
    intervals = np.unique(np.array([snap(x, dt) for x in intervals]))
    if intervals[0] < pulse_dur - 1e-9:
        raise ProtocolError(
            f"intervals must be at least the pulse duration ({pulse_dur:g} ms) so that the pulses "
            f"do not overlap (got {intervals[0]:g} ms)"
        )
    if max_interval < intervals.max():
        max_interval = float(intervals.max())
    max_interval = snap(max_interval, dt)

    bar = progress_bar("refractory", progress)
    n_sims = 0
    tested = [0]
    try:
        # 1. single-pulse threshold from rest
        single = _pulse_search(model, [pulse_dur], default_pulse_i_max(pulse_dur, model.Cm), polarity=1,
                               delay=delay, tail=tail, rtol=rtol, method=method, dt=dt, bar=bar,
                               after_end=False)
        _check_found(single.result, "single-pulse threshold", [""])
        t1 = float(single.result.threshold[0])
        n_sims += single.n_sims

        # 2. the conditioning spike, recorded at every step
        first = stim.pulse(first_factor * t1, delay, pulse_dur)
        test_len = pulse_dur + tail
        # recorded past the last test window, so that a burst's own spikes are known there
        cond = run_many(model, [first], delay + max_interval + test_len, n=1, method=method, dt=dt,
                        record_every=1, bar=bar)
        n_sims += 1
        first_spikes = cond.spike_times[0]
        if first_spikes.size == 0:
            raise ProtocolError(f"the conditioning pulse ({first_factor:g} x {t1:.4g} µA/cm²) gave no spike")
        test_pulse = [stim.step(1.0, start=0.0, dur=pulse_dur)]

        def starts(ivals):
            idx = np.rint((delay + np.asarray(ivals)) / dt).astype(int)
            before = np.array([np.count_nonzero(first_spikes < delay + x) for x in ivals])
            return [(float(cond.v[i, 0]), cond.y[i, :, 0].copy()) for i in idx], before

        def own_spikes(ivals):
            """Spikes the conditioning pulse alone gives up to the end of each test window
            (one for most cells; a burst for ``pospischil_ib``)."""
            return np.array([np.count_nonzero(first_spikes < delay + x + test_len) for x in ivals])

        def second_spike(ivals, amps):
            """Does a test pulse of ``amps`` at ``ivals`` add a spike to the conditioning response?
            (one batch)"""
            init, before = starts(ivals)
            control = np.maximum(own_spikes(ivals), 1)
            tested[0] += len(ivals)
            try:
                out = run_many(model, test_pulse, test_len, n=len(ivals), scale=amps, initial=init,
                               method=method, dt=dt, bar=bar)
            except DivergenceError as exc:
                raise DivergenceError(f"{exc} (test pulses up to {np.max(amps):g} µA/cm²: lower --max-factor)",
                                      exc.t_ms) from None
            return before + np.array([s.size for s in out.spike_times]) > control

        # 3. the two periods, on every grid interval up to max_interval
        grid = snap(pulse_dur, dt) + dt * np.arange(int(round((max_interval - pulse_dur) / dt)) + 1)
        big = second_spike(np.concatenate([grid, grid]),
                           np.concatenate([np.full(grid.size, max_factor * t1),
                                           np.full(grid.size, (1 + relative_tolerance) * t1)]))
        fires_big, fires_rel = big[:grid.size], big[grid.size:]
        if not fires_big[-1]:
            raise BracketError(
                f"no second spike even with a test pulse of {max_factor:g} x T1 = {max_factor * t1:.4g} µA/cm² "
                f"at the longest interval tried, {max_interval:g} ms; raise --max-interval"
            )
        failing = np.nonzero(~fires_rel)[0]
        if failing.size and failing[-1] == grid.size - 1:
            raise BracketError(
                f"the second-pulse threshold is not back within {100 * relative_tolerance:g}% of T1 by the "
                f"longest interval tried, {max_interval:g} ms; raise --max-interval"
            )
        relative = float(grid[failing[-1] + 1]) if failing.size else float(grid[0])
        # the last interval, before the relative period ends, at which even 20 T1 fails (after
        # it, a burster's own late spikes can block a 20 T1 test where 1.05 T1 succeeds)
        silent = np.nonzero(~fires_big & (grid < relative))[0]
        absolute = float(grid[silent[-1]]) if silent.size else None

        # 4. the recovery curve: one bisection per interval, all in the same batches
        def fires(amps, which):
            P, K = amps.shape
            return second_spike(np.repeat(intervals[which], K), amps.ravel()).reshape(P, K)

        res = bracket_search(fires, 0.0, np.full(intervals.size, max_factor * t1), rtol=rtol)
        ratio = np.where(res.status == NEVER_FIRES, np.nan,
                         np.where(res.status == ALWAYS_FIRES, 0.0, res.threshold / t1))

        # traces: a test pulse just above threshold at each interval
        init, _ = starts(intervals)
        amps = np.where(res.status == NEVER_FIRES, max_factor * t1, res.hi)
        ex = run_many(model, test_pulse, test_len, n=intervals.size, scale=amps, initial=init,
                      method=method, dt=dt, record_every=1, bar=bar)
    finally:
        bar.close()
    n_sims += tested[0] + intervals.size
    return RefractoryResult(
        model=model, pulse_dur_ms=pulse_dur, single_threshold_uA_cm2=t1, first_factor=first_factor,
        max_factor=max_factor, relative_tolerance=relative_tolerance, intervals_ms=intervals,
        threshold_ratio=ratio, absolute_ms=absolute, relative_ms=relative, delay_ms=delay,
        t_ms=cond.t, v_mV=cond.v[:, 0].copy(), test_t_ms=ex.t, test_v_mV=ex.v.T.copy(),
        method=method, dt_ms=dt, n_simulations=n_sims, test_amplitude_uA_cm2=np.asarray(amps, dtype=float),
    )
