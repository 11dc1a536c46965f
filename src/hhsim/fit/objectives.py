"""Objectives: how far a candidate's simulated sweeps are from the recorded ones.

* ``trace`` (current clamp): the mean squared difference of the membrane
  potential (mV²), averaged over the sweeps.  ``distance="shift"`` tolerates
  small spike-time shifts: each recorded sample is compared with the closest
  simulated value within ``shift_ms`` of it (a tube around the trace), so
  a spike a fraction of a millisecond late costs little instead of two
  full spike heights.
* ``features`` (current clamp): spike features computed by eFEL on each
  sweep's stimulus window, each a z-score ``(model - data) / sigma`` with
  ``sigma = 10 % of |data| + 0.1`` (in the feature's unit), squared, weighted
  and summed; a feature the data show and the model lacks costs ``z = 10``.
  Vector features (``all_ISI_values``, ``AP_amplitude``) are compared by their mean.
* ``clamp`` (voltage clamp): the mean squared difference of the clamp
  currents ((µA/cm²)²) over all samples of all sweeps.

Every objective maps (candidates x sweeps) traces to one loss per candidate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import ParameterError
from .data import Sweep
from .simulate import FAILED

#: Spike features compared by default (eFEL names).
DEFAULT_FEATURES = ("spike_count", "AP_amplitude", "spike_half_width", "AHP_depth", "all_ISI_values",
                    "time_to_first_spike")
#: z-score of a feature present in the data and absent from the model.
MISSING_Z = 10.0
DISTANCES = ("mse", "shift")
KINDS = ("trace", "features", "clamp")


@dataclass(frozen=True)
class Feature:
    """An eFEL feature and its weight in the feature term."""

    name: str
    weight: float = 1.0

    @classmethod
    def parse(cls, text: str) -> "Feature":
        """``"AP_amplitude"`` or ``"AP_amplitude:2"`` (a weight)."""
        name, sep, w = str(text).strip().partition(":")
        if not name:
            raise ParameterError(f"--features: empty feature name in {text!r}")
        try:
            weight = float(w) if sep else 1.0
        except ValueError:
            raise ParameterError(f"--features {name}: weight {w!r} is not a number") from None
        if not (math.isfinite(weight) and weight >= 0):
            raise ParameterError(f"--features {name}: weight must be >= 0, got {w}")
        return cls(name, weight)


@dataclass(frozen=True)
class Objective:
    """What a fit minimises: the trace term and/or the feature term (current clamp),
    or the clamp-current term (voltage clamp)."""

    kinds: tuple[str, ...] = ("trace",)
    distance: str = "mse"
    shift_ms: float = 1.0
    features: tuple[Feature, ...] = field(default_factory=lambda: tuple(Feature(f) for f in DEFAULT_FEATURES))

    def __post_init__(self):
        for k in self.kinds:
            if k not in KINDS:
                raise ParameterError(f"unknown objective {k!r}; accepted: {', '.join(KINDS)}")
        if not self.kinds:
            raise ParameterError(f"an objective is needed; accepted: {', '.join(KINDS)}")
        if "clamp" in self.kinds and len(self.kinds) > 1:
            raise ParameterError("objective clamp (voltage clamp) cannot be combined with trace or features")
        if self.distance not in DISTANCES:
            raise ParameterError(f"unknown distance {self.distance!r}; accepted: {', '.join(DISTANCES)}")
        if not (math.isfinite(self.shift_ms) and self.shift_ms > 0):
            raise ParameterError(f"--shift-ms must be > 0 ms, got {self.shift_ms}")
        if "features" in self.kinds:
            check_features([f.name for f in self.features])

    @property
    def voltage_clamp(self) -> bool:
        return "clamp" in self.kinds


def check_features(names) -> None:
    """:class:`ParameterError` for a name eFEL does not know (or eFEL missing)."""
    try:
        import efel
    except ImportError:  # pragma: no cover - the fit extra installs it
        raise ParameterError("the features objective needs eFEL (pip install 'hhsim[fit]')") from None
    known = set(efel.get_feature_names())
    for n in names:
        if n not in known:
            raise ParameterError(f"unknown eFEL feature {n!r}; accepted e.g.: {', '.join(DEFAULT_FEATURES)}, "
                                 "mean_frequency, adaptation_index (see efel.get_feature_names())")


def mse(sim: np.ndarray, data: np.ndarray) -> np.ndarray:
    """(n,) mean squared difference of (n, T) simulated traces from (T,) data."""
    return np.mean((sim - data[None, :]) ** 2, axis=1)


def shift_distance(sim: np.ndarray, data: np.ndarray, window: int) -> np.ndarray:
    """(n,) mean over samples of the smallest squared difference between the data
    sample and the simulated trace within ``window`` samples of it."""
    n, size = sim.shape
    padded = np.pad(sim, ((0, 0), (window, window)), mode="edge")
    best = np.full((n, size), np.inf)
    for s in range(2 * window + 1):
        np.minimum(best, (padded[:, s:s + size] - data[None, :]) ** 2, out=best)
    return best.mean(axis=1)


def stim_window(sweep: Sweep) -> tuple[float, float]:
    """(start, end) ms of the sweep's stimulus (the whole sweep when it has none)."""
    on = np.nonzero(sweep.stimulus.value(sweep.t_ms))[0]
    if on.size == 0:
        return 0.0, sweep.duration_ms
    return float(sweep.t_ms[on[0]]), float(min(sweep.t_ms[on[-1]] + sweep.dt_ms, sweep.duration_ms))


def feature_values(t: np.ndarray, traces: np.ndarray, window: tuple[float, float], names) -> list[dict]:
    """eFEL features of each (T,) row of ``traces``: per row, name -> float (mean of a
    vector feature) or None."""
    import efel

    items = [{"T": t, "V": np.ascontiguousarray(v), "stim_start": [window[0]], "stim_end": [window[1]]}
             for v in traces]
    rows = efel.get_feature_values(items, list(names), raise_warnings=False)
    out = []
    for r in rows:
        d = {}
        for n in names:
            v = r.get(n)
            d[n] = float(np.mean(v)) if v is not None and np.size(v) > 0 and np.all(np.isfinite(v)) else None
        out.append(d)
    return out


def feature_score(model: dict, data: dict, features: tuple[Feature, ...]) -> float:
    """Weighted sum of squared z-scores (see the module docstring)."""
    total = 0.0
    for f in features:
        d = data.get(f.name)
        if d is None:
            continue
        m = model.get(f.name)
        z = MISSING_Z if m is None else (m - d) / (0.1 * abs(d) + 0.1)
        total += f.weight * z * z
    return total


class Evaluator:
    """Losses of candidates from their simulated sweeps, with the data's features computed once."""

    def __init__(self, objective: Objective, sweeps: list[Sweep]):
        self.objective = objective
        self.sweeps = sweeps
        self.windows = [stim_window(s) for s in sweeps]
        names = [f.name for f in objective.features]
        self.data_features = ([feature_values(s.t_ms, s.values[None, :], w, names)[0]
                               for s, w in zip(sweeps, self.windows)] if "features" in objective.kinds else None)

    def trace_term(self, sims: list[np.ndarray]) -> np.ndarray:
        total = 0.0
        for s, sim in zip(self.sweeps, sims):
            if self.objective.distance == "shift" and "clamp" not in self.objective.kinds:
                w = max(1, int(round(self.objective.shift_ms / s.dt_ms)))
                total = total + shift_distance(sim, s.values, w)
            else:
                total = total + mse(sim, s.values) * (s.values.size if self.objective.voltage_clamp else 1)
        if self.objective.voltage_clamp:
            return total / sum(s.values.size for s in self.sweeps)
        return total / len(self.sweeps)

    def features_term(self, sims: list[np.ndarray]) -> np.ndarray:
        names = [f.name for f in self.objective.features]
        n = sims[0].shape[0]
        total = np.zeros(n)
        for s, sim, w, data in zip(self.sweeps, sims, self.windows, self.data_features):
            ok = np.all(np.isfinite(sim), axis=1)
            rows = feature_values(s.t_ms, np.where(ok[:, None], sim, 0.0), w, names)
            total += np.array([feature_score(r, data, self.objective.features) for r in rows])
        return total

    def features_of(self, sims: list[np.ndarray]) -> list[dict]:
        """Per sweep, the first candidate's features (for reports)."""
        names = [f.name for f in self.objective.features]
        return [feature_values(s.t_ms, sim[:1], w, names)[0] for s, sim, w in zip(self.sweeps, sims, self.windows)]

    def losses(self, sims: list[np.ndarray]) -> np.ndarray:
        """(n,) loss of each candidate; :data:`FAILED` where a simulation diverged."""
        n = sims[0].shape[0]
        loss = np.zeros(n)
        if "trace" in self.objective.kinds or "clamp" in self.objective.kinds:
            loss += self.trace_term(sims)
        if "features" in self.objective.kinds:
            loss += self.features_term(sims)
        bad = ~np.isfinite(loss)
        for sim in sims:
            bad |= ~np.all(np.isfinite(sim), axis=1)
        loss[bad] = FAILED
        return loss

    def residuals(self, sims: list[np.ndarray]) -> np.ndarray:
        """(n, samples) residuals whose mean square is the trace (mse) or clamp loss."""
        parts = []
        for s, sim in zip(self.sweeps, sims):
            r = sim - s.values[None, :]
            if not self.objective.voltage_clamp:
                r = r / math.sqrt(s.values.size * len(self.sweeps))
            parts.append(r)
        out = np.concatenate(parts, axis=1)
        if self.objective.voltage_clamp:
            out = out / math.sqrt(out.shape[1])
        return out
