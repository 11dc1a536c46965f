"""Stimuli: injected current densities (µA/cm²) as functions of time (ms).

Every stimulus is an immutable object with ``value(t)``; stimuli add up with
``+``.  Steps and pulses switch on at ``start`` and off at ``start + dur``
(the current is on for ``start <= t < start + dur``).  ``value(t, left=True)``
gives the limit from the left, which the solvers use at the end of a step so
that an edge on the time grid is resolved exactly.

>>> from hhsim import stim
>>> s = stim.step(10, start=10, dur=30) + stim.sine(2, freq=50)
>>> float(s.value(20.0)) == 10.0 + 2 * __import__("math").sin(2 * __import__("math").pi * 50 * 20e-3)
True
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import StimulusError
from .io import read_text
from .validate import MIN_TAU_MS, file_path, float_array, shown, whole

INF = math.inf


class Stimulus:
    """Base class: a current density I(t) in µA/cm²."""

    def value(self, t, left: bool = False) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def breakpoints(self) -> list[float]:
        """Times (ms) where the current or its slope jumps."""
        return []

    #: True when the current is constant between breakpoints (steps, pulses).
    piecewise_constant: bool = False

    def __add__(self, other: "Stimulus") -> "Stimulus":
        if other is None or other == 0:
            return self
        return Sum(tuple(_parts(self) + _parts(other)))

    __radd__ = __add__

    def describe(self) -> str:
        return repr(self)


def _parts(s: Stimulus) -> list[Stimulus]:
    return list(s.parts) if isinstance(s, Sum) else [s]


def _window(t, start: float, dur: float, left: bool):
    """Boolean mask of the on-window [start, start + dur)."""
    t = np.asarray(t, dtype=float)
    if left:
        return (t > start) & (t <= start + dur)
    return (t >= start) & (t < start + dur)


def _positive(name: str, value: float, what: str = "ms") -> None:
    if not (value > 0):
        raise StimulusError(f"{name} must be > 0 {what} (got {value})")


def _finite(name: str, value: float) -> None:
    if not math.isfinite(value):
        raise StimulusError(f"{name} must be a finite number (got {value})")


@dataclass(frozen=True)
class Sum(Stimulus):
    """Several stimuli applied together."""

    parts: tuple[Stimulus, ...]

    def value(self, t, left=False):
        total = np.zeros_like(np.asarray(t, dtype=float))
        for p in self.parts:
            total = total + p.value(t, left)
        return total

    def breakpoints(self):
        return sorted({b for p in self.parts for b in p.breakpoints()})

    @property
    def piecewise_constant(self) -> bool:
        return all(p.piecewise_constant for p in self.parts)

    def describe(self):
        return " + ".join(p.describe() for p in self.parts)


@dataclass(frozen=True)
class Step(Stimulus):
    """Constant ``amp`` µA/cm² from ``start`` for ``dur`` ms (inf: until the end)."""

    piecewise_constant = True

    amp: float
    start: float = 0.0
    dur: float = INF

    def __post_init__(self):
        _finite("amp", self.amp)
        _finite("start", self.start)
        _positive("dur", self.dur)

    def value(self, t, left=False):
        return np.where(_window(t, self.start, self.dur, left), self.amp, 0.0)

    def breakpoints(self):
        return [self.start] + ([self.start + self.dur] if math.isfinite(self.dur) else [])

    def describe(self):
        return f"step(amp={self.amp:g}, start={self.start:g}, dur={self.dur:g})"


@dataclass(frozen=True)
class Pulses(Stimulus):
    """``count`` rectangular pulses of ``amp`` µA/cm² and ``dur`` ms, every ``period`` ms."""

    piecewise_constant = True

    amp: float
    dur: float
    start: float = 0.0
    period: float = INF
    count: int = 1

    def __post_init__(self):
        _finite("amp", self.amp)
        _finite("start", self.start)
        _positive("dur", self.dur)
        if int(self.count) != self.count or self.count < 1:
            raise StimulusError(f"count must be a whole number >= 1 (got {self.count})")
        if self.count > 1 and not (math.isfinite(self.period) and self.period >= self.dur):
            raise StimulusError(
                f"period must be a finite number >= dur ({self.dur:g} ms) when count > 1 "
                f"(got {self.period})"
            )

    def value(self, t, left=False):
        t = np.asarray(t, dtype=float)
        if self.count == 1:
            return np.where(_window(t, self.start, self.dur, left), self.amp, 0.0)
        # pulses do not overlap (period >= dur): only the pulse whose period holds t
        # and its two neighbours can be on; test them with the same comparisons as
        # one pulse (edges exact), in time independent of count
        k = np.floor((t - self.start) / self.period)
        on = np.zeros(t.shape, dtype=bool)
        for j in (k - 1, k, k + 1):
            valid = (j >= 0) & (j < self.count)
            s = self.start + np.where(valid, j, 0.0) * self.period
            on |= valid & _window(t, s, self.dur, left)
        return np.where(on, self.amp, 0.0)

    def breakpoints(self):
        from .limits import check_memory

        check_memory(2 * 48.0 * self.count, f"the {shown(2 * int(self.count))} edges of pulses(count={shown(int(self.count))})",
                     f"use fewer pulses (this train lasts {self.count * self.period:.4g} ms)", StimulusError)
        pts = []
        for k in range(int(self.count)):
            s = self.start + k * (self.period if self.count > 1 else 0.0)
            pts += [s, s + self.dur]
        return pts

    def describe(self):
        return (
            f"pulses(amp={self.amp:g}, start={self.start:g}, dur={self.dur:g}, "
            f"period={self.period:g}, count={int(self.count)})"
        )


@dataclass(frozen=True)
class Ramp(Stimulus):
    """Linear ramp from ``amp0`` to ``amp1`` µA/cm² over [start, start + dur), zero outside."""

    dur: float
    amp1: float
    amp0: float = 0.0
    start: float = 0.0

    def __post_init__(self):
        for n in ("amp0", "amp1", "start"):
            _finite(n, getattr(self, n))
        _positive("dur", self.dur)
        if not math.isfinite(self.dur):
            raise StimulusError("ramp dur must be finite")

    def value(self, t, left=False):
        t = np.asarray(t, dtype=float)
        frac = (t - self.start) / self.dur
        return np.where(
            _window(t, self.start, self.dur, left), self.amp0 + (self.amp1 - self.amp0) * frac, 0.0
        )

    def breakpoints(self):
        return [self.start, self.start + self.dur]

    def describe(self):
        return (
            f"ramp(start={self.start:g}, dur={self.dur:g}, amp0={self.amp0:g}, amp1={self.amp1:g})"
        )


#: Highest sine frequency (Hz): a period of a microsecond, far beyond any membrane and any step.
MAX_SINE_HZ = 1e6


@dataclass(frozen=True)
class Sine(Stimulus):
    """``offset + amp * sin(2 pi freq (t - start))`` on [start, start + dur); freq in Hz."""

    amp: float
    freq: float
    start: float = 0.0
    dur: float = INF
    offset: float = 0.0

    def __post_init__(self):
        for n in ("amp", "freq", "start", "offset"):
            _finite(n, getattr(self, n))
        if self.freq < 0:
            raise StimulusError(f"freq must be >= 0 Hz (got {self.freq})")
        if self.freq > MAX_SINE_HZ:  # a period below a microsecond: no solver step follows it
            raise StimulusError(f"freq = {self.freq:.4g} Hz is beyond any step a simulation takes; accepted: "
                                f"0 to {MAX_SINE_HZ:.0e} Hz (and below 500 / dt, dt in ms)")
        _positive("dur", self.dur)

    def value(self, t, left=False):
        t = np.asarray(t, dtype=float)
        wave = self.offset + self.amp * np.sin(2 * np.pi * self.freq * 1e-3 * (t - self.start))
        return np.where(_window(t, self.start, self.dur, left), wave, 0.0)

    def breakpoints(self):
        return [self.start] + ([self.start + self.dur] if math.isfinite(self.dur) else [])

    def describe(self):
        return (
            f"sine(amp={self.amp:g}, freq={self.freq:g}, start={self.start:g}, "
            f"dur={self.dur:g}, offset={self.offset:g})"
        )


@dataclass(frozen=True)
class Samples(Stimulus):
    """Current given as samples (t in ms, I in µA/cm²), linearly interpolated.

    Zero before the first and after the last sample.
    """

    t: tuple[float, ...]
    i: tuple[float, ...]
    label: str = "samples"

    def __post_init__(self):
        t = np.asarray(self.t, dtype=float)
        i = np.asarray(self.i, dtype=float)
        if t.ndim != 1 or t.shape != i.shape or t.size < 2:
            raise StimulusError(
                f"{self.label}: need at least two (time, current) samples of equal length"
            )
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(i))):
            raise StimulusError(f"{self.label}: samples must be finite numbers")
        if np.any(np.diff(t) <= 0):
            raise StimulusError(f"{self.label}: sample times must be strictly increasing")

    def value(self, t, left=False):
        return np.interp(np.asarray(t, dtype=float), self.t, self.i, left=0.0, right=0.0)

    def breakpoints(self):
        # every sample is a kink of the linear interpolant
        return list(self.t)

    def describe(self):
        return f"{self.label} ({len(self.t)} samples, {self.t[0]:g}-{self.t[-1]:g} ms)"


@dataclass(frozen=True)
class Noise(Stimulus):
    """Ornstein-Uhlenbeck current: mean ``mean``, stationary s.d. ``std`` µA/cm², correlation ``tau`` ms.

    The path is generated with the exact OU update on its own grid (step
    ``min(0.01, tau / 10)`` ms) from ``seed``, starting from the stationary
    distribution, and interpolated linearly: the same seed gives the same
    current whatever the simulation's dt.
    """

    std: float
    mean: float = 0.0
    tau: float = 5.0
    seed: int = 0
    start: float = 0.0
    dur: float = 1000.0
    _path: tuple = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self):
        for n in ("mean", "std", "start"):
            _finite(n, getattr(self, n))
        if self.std < 0:
            raise StimulusError(f"std must be >= 0 µA/cm² (got {self.std})")
        _positive("tau", self.tau)
        if not self.tau >= MIN_TAU_MS:  # its path's step (tau / 10) would be below any usable step
            raise StimulusError(f"noise tau = {self.tau:.4g} ms is too short; accepted: tau >= {MIN_TAU_MS:g} ms")
        _positive("dur", self.dur)
        if not math.isfinite(self.dur):
            raise StimulusError("noise dur must be finite (the path is precomputed)")
        whole(self.seed, "seed", lo=0, error=StimulusError)
        h = min(0.01, self.tau / 10.0)
        samples = self.dur / h
        if not samples <= 50_000_000:
            raise StimulusError(f"noise path of {samples:.4g} samples is too long (at most 5e+07: "
                                f"a step of {h:.4g} ms over {self.dur:.4g} ms); shorten dur or lengthen tau")
        n = int(math.ceil(samples)) + 1
        rng = np.random.default_rng(int(self.seed))
        decay = math.exp(-h / self.tau)
        kick = self.std * math.sqrt(1 - decay * decay)
        z = rng.standard_normal(n)
        x = np.empty(n)
        x[0] = self.std * z[0]
        # x[k] = decay * x[k-1] + kick * z[k]: a linear recursion, solved by lfilter.
        from scipy.signal import lfilter

        x[1:] = lfilter([kick], [1.0, -decay], z[1:], zi=[decay * x[0]])[0]
        times = self.start + h * np.arange(n)
        object.__setattr__(self, "_path", (times, self.mean + x))

    def value(self, t, left=False):
        times, values = self._path
        t = np.asarray(t, dtype=float)
        inside = _window(t, self.start, self.dur, left)
        return np.where(inside, np.interp(t, times, values), 0.0)

    def breakpoints(self):
        return [self.start, self.start + self.dur]

    def describe(self):
        return (
            f"noise(mean={self.mean:g}, std={self.std:g}, tau={self.tau:g}, seed={int(self.seed)}, "
            f"start={self.start:g}, dur={self.dur:g})"
        )


# ------------------------------------------------------------------ factories
def _num(name: str, value) -> float:
    """``value`` as a float, or a StimulusError naming the keyword."""
    if isinstance(value, bool):
        raise StimulusError(f"{name} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        raise StimulusError(f"{name} must be a number, got {type(value).__name__} {value!r}") from None


def step(amp: float, start: float = 0.0, dur: float = INF) -> Step:
    """A current step of ``amp`` µA/cm² from ``start`` (ms) lasting ``dur`` (ms)."""
    return Step(_num("amp", amp), _num("start", start), _num("dur", dur))


def pulses(amp: float, dur: float, start: float = 0.0, period: float = INF, count: int = 1) -> Pulses:
    """A train of ``count`` pulses (``amp`` µA/cm², ``dur`` ms) every ``period`` ms."""
    if isinstance(count, bool) or not isinstance(count, (int, float, np.integer, np.floating)):
        raise StimulusError(f"count must be a whole number >= 1, got {type(count).__name__} {count!r}")
    return Pulses(_num("amp", amp), _num("dur", dur), _num("start", start), _num("period", period), count)


def pulse(amp: float, start: float, dur: float) -> Pulses:
    """One rectangular pulse."""
    return pulses(amp, dur, start=start)


def ramp(dur: float, amp1: float, amp0: float = 0.0, start: float = 0.0) -> Ramp:
    """A linear current ramp from ``amp0`` to ``amp1`` µA/cm² over ``dur`` ms."""
    return Ramp(_num("dur", dur), _num("amp1", amp1), _num("amp0", amp0), _num("start", start))


def sine(amp: float, freq: float, start: float = 0.0, dur: float = INF, offset: float = 0.0) -> Sine:
    """A sinusoidal current: ``amp`` µA/cm², ``freq`` Hz, plus ``offset``."""
    return Sine(_num("amp", amp), _num("freq", freq), _num("start", start), _num("dur", dur), _num("offset", offset))


def noise(std: float, mean: float = 0.0, tau: float = 5.0, seed: int = 0, start: float = 0.0, dur: float = 1000.0) -> Noise:
    """Ornstein-Uhlenbeck noise current (seeded, reproducible)."""
    return Noise(_num("std", std), _num("mean", mean), _num("tau", tau), seed, _num("start", start), _num("dur", dur))


def samples(t, i, label: str = "samples") -> Samples:
    """An arbitrary waveform from arrays of times (ms) and currents (µA/cm²)."""
    t = float_array(t, f"{label} times", finite=False, max_len=None, error=StimulusError)
    i = float_array(i, f"{label} currents", finite=False, max_len=None, error=StimulusError)
    return Samples(tuple(t.tolist()), tuple(i.tolist()), label)


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def from_file(path: str | Path) -> Samples:
    """Read a waveform from a CSV file: two columns, time (ms) and current (µA/cm²).

    A header line (any non-numeric first row) is skipped.
    """
    import io
    from array import array

    p = file_path(path, "stimulus file", error=StimulusError)
    text = read_text(p, "stimulus file", StimulusError)
    # one pass over the lines into packed arrays (8 bytes a value): no list of lines, rows or
    # Python floats, which made a 150 MB file peak at about 30 times its size
    times, currents = array("d"), array("d")
    seen, header = 0, 0
    try:
        for row in csv.reader(io.StringIO(text)):
            if not row or not any(c.strip() for c in row):
                continue
            seen += 1
            if seen == 1 and not _is_number(row[0]):
                header = 1  # a header: its first cell is not a number
                continue
            try:
                if len(row) < 2:
                    raise ValueError
                t_value, i_value = float(row[0]), float(row[1])
            except ValueError:
                raise StimulusError(
                    f"stimulus file {str(p)!r}: row {seen - header} is not two numbers "
                    "(expected columns: time_ms, current_uA_cm2)"
                ) from None
            times.append(t_value)
            currents.append(i_value)
    except csv.Error as exc:  # e.g. a field larger than the csv module accepts
        raise StimulusError(f"stimulus file {str(p)!r} is not a CSV of two numbers per row: {exc}") from None
    del text
    times, currents = np.frombuffer(times, dtype=float), np.frombuffer(currents, dtype=float)
    return samples(times, currents, label=f"file({p.name})")


def total(stimuli) -> Stimulus | None:
    """Sum of a list of stimuli (None for an empty list)."""
    out = None
    for s in stimuli or []:
        out = s if out is None else out + s
    return out
