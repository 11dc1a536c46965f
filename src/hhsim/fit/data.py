"""Recorded sweeps in the library's units, and the checks every reader applies.

A :class:`Sweep` is one trace of one protocol:

* **current clamp**: ``values`` is the membrane potential (mV) and
  ``stimulus`` the injected current (µA/cm²);
* **voltage clamp**: ``values`` is the clamp current (µA/cm², outward
  positive) and ``stimulus`` the command potential (mV).

Times start at 0 (the sweep's first sample) and are evenly spaced.  The
readers (:mod:`.csvfile`, :mod:`.nwb`, :mod:`.abf`) convert the file's units
once, here, with :func:`hhsim.quantity.to_unit`: a point current (A, nA, pA)
becomes a density through the membrane area (``area_um2``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import stim
from ..errors import HHSimError, StimulusError
from ..quantity import to_unit
from ..stim import Stimulus
from ..validate import float_array, shown

CURRENT_CLAMP = "current"
VOLTAGE_CLAMP = "voltage"

#: Largest number of level changes a sampled stimulus may have to be rebuilt exactly as steps.
MAX_STEP_EDGES = 64


class DataError(HHSimError):
    """A recording that cannot be fitted: unreadable, NaN samples, missing or wrong units,
    mismatched lengths, a stimulus that does not belong to its sweep."""


@dataclass(frozen=True)
class Sweep:
    """One recorded sweep in library units (see the module docstring)."""

    name: str
    clamp: str  # CURRENT_CLAMP or VOLTAGE_CLAMP
    t_ms: np.ndarray
    values: np.ndarray
    stimulus: Stimulus
    source: str = ""

    @property
    def dt_ms(self) -> float:
        return float(self.t_ms[1] - self.t_ms[0])

    @property
    def duration_ms(self) -> float:
        return float(self.t_ms[-1])

    @property
    def unit(self) -> str:
        return "mV" if self.clamp == CURRENT_CLAMP else "uA/cm2"

    def label(self) -> str:
        return f"{self.source}:{self.name}" if self.source else self.name


def clamp_of_unit(unit: str, what: str) -> str:
    """Whether a response in ``unit`` is a potential (current clamp) or a current (voltage clamp)."""
    for clamp, target in ((CURRENT_CLAMP, "mV"), (VOLTAGE_CLAMP, "nA"), (VOLTAGE_CLAMP, "uA/cm2")):
        try:
            to_unit(f"1 {unit}", target, what)
            return clamp
        except HHSimError:
            continue
    raise DataError(f"{what}: unit {unit!r} is neither a potential (V, mV) nor a current (A, nA, pA, uA/cm2)")


def factor(unit: str, clamp: str, what: str, area_um2: float | None, role: str) -> float:
    """Multiplier taking ``unit`` to the library unit of ``role`` ("response" or "stimulus")
    of a ``clamp`` sweep: mV for potentials, µA/cm² for currents (through ``area_um2``)."""
    potential = (clamp == CURRENT_CLAMP) == (role == "response")
    target = "mV" if potential else "uA/cm2"
    try:
        return to_unit(f"1 {unit}", target, what, area_um2=area_um2)
    except HHSimError as exc:
        msg = str(exc)
        if not potential and "point current" in msg:
            raise DataError(f"{what} is a current in {unit}; give the membrane area (--area UM2, or the "
                            "area of a cell file) to convert it into uA/cm2") from None
        raise DataError(msg) from None


def check_times(t_ms, what: str) -> np.ndarray:
    """Sample times (ms) of a sweep, shifted to start at 0; evenly spaced and increasing."""
    t = float_array(t_ms, f"{what}: the time column", flat=False, max_len=None, finite=False, error=DataError)
    if t.ndim != 1 or t.size < 3:
        raise DataError(f"{what}: a sweep needs at least 3 samples, got {t.size}")
    if not np.all(np.isfinite(t)):
        raise DataError(f"{what}: the time column has NaN or infinite values")
    d = np.diff(t)
    if np.any(d <= 0):
        raise DataError(f"{what}: sample times must increase")
    if np.ptp(d) > 1e-6 * max(d.mean(), 1e-12) + 1e-9:
        raise DataError(f"{what}: samples are not evenly spaced (intervals {d.min():.6g} to {d.max():.6g} ms); "
                        "resample the recording to a fixed interval")
    return (t - t[0]) if t[0] != 0 else t


def check_values(values, n: int, what: str) -> np.ndarray:
    v = float_array(values, f"{what}: the values", max_len=None, finite=False, error=DataError)
    if v.size != n:
        raise DataError(f"{what} has {v.size} samples but its time axis has {n}; accepted: equal lengths")
    bad = ~np.isfinite(v)
    if bad.any():
        raise DataError(f"{what} has {int(bad.sum())} NaN or infinite samples (first at sample {int(np.argmax(bad))}); "
                        "remove or interpolate them")
    return v


def from_samples(t_ms: np.ndarray, values: np.ndarray, label: str) -> Stimulus:
    """A sampled stimulus as hhsim stimuli: exact steps when it is piecewise constant with few
    levels (a protocol's steps), otherwise samples linearly interpolated (held to the sweep's end)."""
    values = np.asarray(values, dtype=float)
    edges = np.nonzero(np.diff(values))[0] + 1
    if edges.size <= MAX_STEP_EDGES:
        parts = [stim.step(float(values[0]), start=0.0)] if values[0] != 0 else []
        for k in edges:
            parts.append(stim.step(float(values[k] - values[k - 1]), start=float(t_ms[k])))
        if not parts:
            return stim.step(0.0)
        return parts[0] if len(parts) == 1 else stim.total(parts)
    return stim.Samples(tuple(float(x) for x in t_ms), tuple(float(x) for x in values), label=label)


def check_stimulus(stimulus: Stimulus, sweep: str, duration_ms: float) -> None:
    """A protocol's stimulus must act inside its sweep: a change after the sweep's last
    sample means the stimulus belongs to another (longer) protocol."""
    late = [b for b in stimulus.breakpoints() if math.isfinite(b) and b > duration_ms + 1e-9]
    if late:
        raise DataError(f"{sweep}: the stimulus {stimulus.describe()} changes at {min(late):g} ms, after the "
                        f"sweep ends ({duration_ms:g} ms); accepted: a stimulus within the sweep")


def make_sweep(name: str, clamp: str, t_ms, values, stimulus: Stimulus, source: str) -> Sweep:
    """A checked :class:`Sweep` (values and stimulus already in library units)."""
    what = f"{source}: sweep {name!r}" if source else f"sweep {name!r}"
    if not isinstance(name, str) or not isinstance(source, str):
        raise DataError(f"{what}: name and source must be text (got {type(name).__name__} and "
                        f"{type(source).__name__})")
    if clamp not in (CURRENT_CLAMP, VOLTAGE_CLAMP):
        raise DataError(f"{what}: unknown clamp {shown(clamp)}; accepted: {CURRENT_CLAMP}, {VOLTAGE_CLAMP}")
    if not isinstance(stimulus, Stimulus):
        raise DataError(f"{what}: the stimulus must be a hhsim.stim stimulus (got {type(stimulus).__name__} "
                        f"{shown(stimulus)}); parse_stimulus('step(amp=1)') reads a text spec")
    t = check_times(t_ms, what)
    v = check_values(values, t.size, what)
    check_stimulus(stimulus, what, float(t[-1]))
    return Sweep(name=name, clamp=clamp, t_ms=t, values=v, stimulus=stimulus, source=source)


def parse_stimulus(text: str) -> Stimulus:
    """One sweep's stimulus from hhsim stimulus specs joined by ``+``
    (``"step(amp=-65)+step(amp=80,start=5,dur=30)"``); currents in µA/cm², commands in mV."""
    from ..stimspec import parse

    if not isinstance(text, str):
        raise StimulusError(f"a stimulus spec is text such as 'step(amp=0.5,start=10,dur=100)' (got "
                            f"{type(text).__name__} {shown(text)})")
    parts, depth, cur = [], 0, ""
    for ch in str(text):
        depth += (ch == "(") - (ch == ")")
        if ch == "+" and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    parts = [p for p in (p.strip() for p in parts) if p]
    if not parts:
        raise StimulusError(f"empty stimulus {text!r}; accepted: specs such as step(amp=0.5,start=10,dur=100)")
    stims = [parse(p) for p in parts]
    return stims[0] if len(stims) == 1 else stim.total(stims)


def check_kinds(sweeps: list[Sweep], objective: str) -> None:
    """Every sweep of the kind the objective compares: current clamp for trace/features,
    voltage clamp for clamp."""
    want = VOLTAGE_CLAMP if objective == "clamp" else CURRENT_CLAMP
    for s in sweeps:
        if s.clamp != want:
            held = "mV" if s.clamp == CURRENT_CLAMP else "a current"
            raise DataError(f"{s.label()} is a {s.clamp}-clamp sweep ({held}) "
                            f"but objective {objective!r} compares {want}-clamp sweeps"
                            + ("; use --objective clamp" if want == CURRENT_CLAMP else "; use --objective trace"))
