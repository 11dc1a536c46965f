"""Vary one parameter and tabulate a feature: the "vary parameters and observe" exercise.

The parameter is any model parameter (``gNa``, ``temperature``,
``Na.m.alpha.V0``, see ``hhsim models NAME``) or a drug concentration
(``ttx_nM``, ``tea_mM``).  All values run together: one neuron per value in
one compiled batch (for ``rheobase_uA_cm2`` and ``threshold_uA_cm2``, one
bracket per value, all narrowed in the same batches).

Features (see :data:`FEATURES`): from the voltage trace under a stimulus
(default ``step(amp=10, start=10, dur=100)``) -- spike count, rates, AP shape
(first spike), ISIs -- or from a protocol -- rheobase, pulse threshold,
resting potential.  Values that cannot be measured (no spike, no threshold
below ``i_max``) are NaN (JSON null).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..display import ShownProtocol
from .. import models as _models
from .. import stim as _stim
from ..errors import ParameterError
from ..model import Model
from ._common import (
    FeatureError, ProtocolError, check_interval, float_list, positive, progress_bar, protocol_method,
    run_many, snap, whole, MAX_RANGE_VALUES,
)
from ..checks import check_stimulus
from ..validate import float_array
from .features import ap_features
from ..drugs import DRUG_PARAMS, application, apply_drugs
from .search import FOUND, bracket_search
from .spikes import steady_rate

#: feature name -> (unit, description)
FEATURES: dict[str, tuple[str, str]] = {
    "n_spikes": ("1", "number of spikes in the run"),
    "rate_hz": ("Hz", "steady firing rate during the stimulus (second half; (n - 1) / (last - first))"),
    "mean_rate_hz": ("Hz", "spikes during the stimulus / its duration"),
    "latency_ms": ("ms", "first spike time - stimulus onset"),
    "peak_mV": ("mV", "peak of the first spike"),
    "threshold_mV": ("mV", "threshold voltage of the first spike (dV/dt = 10 mV/ms)"),
    "amplitude_mV": ("mV", "peak - threshold voltage of the first spike"),
    "half_width_ms": ("ms", "width of the first spike at half amplitude"),
    "ahp_mV": ("mV", "trough after the first spike"),
    "ahp_depth_mV": ("mV", "baseline - trough after the first spike"),
    "mean_isi_ms": ("ms", "mean inter-spike interval"),
    "adaptation_index": ("1", "mean (ISI_k+1 - ISI_k)/(ISI_k+1 + ISI_k), first spike skipped"),
    "v_rest_mV": ("mV", "resting potential (no simulation)"),
    "rheobase_uA_cm2": ("µA/cm²", "smallest 200 ms step from rest that fires"),
    "threshold_uA_cm2": ("µA/cm²", "smallest pulse (--pulse-dur, 1 ms) from rest that fires"),
}

ALIASES = {
    "spikes": "n_spikes", "spike_count": "n_spikes", "count": "n_spikes", "rate": "rate_hz",
    "mean_rate": "mean_rate_hz", "latency": "latency_ms", "peak": "peak_mV", "threshold": "threshold_mV",
    "amplitude": "amplitude_mV", "half_width": "half_width_ms", "width": "half_width_ms", "ahp": "ahp_mV",
    "ahp_depth": "ahp_depth_mV", "isi": "mean_isi_ms", "mean_isi": "mean_isi_ms",
    "adaptation": "adaptation_index", "rest": "v_rest_mV", "v_rest": "v_rest_mV",
    "rheobase": "rheobase_uA_cm2", "pulse_threshold": "threshold_uA_cm2",
}


TRACE_FEATURES = [k for k in FEATURES if k not in ("v_rest_mV", "rheobase_uA_cm2", "threshold_uA_cm2")]


def feature_name(name: str) -> str:
    """The canonical feature name (aliases accepted), or :class:`FeatureError`."""
    key = str(name).strip()
    key = ALIASES.get(key, ALIASES.get(key.lower(), key))
    if key not in FEATURES:
        raise FeatureError(f"unknown feature {name!r}; accepted: {', '.join(FEATURES)}")
    return key


@dataclass(repr=False)
class ScanResult(ShownProtocol):
    """A feature (``measure``, in ``unit``) at each value of ``param``.

    For trace features, ``t_ms`` and ``v_mV[k]`` are the voltage traces.
    """

    model: Model
    param: str
    values: np.ndarray
    measure: str
    unit: str
    results: np.ndarray
    stimulus: str
    t_ms: np.ndarray | None
    v_mV: np.ndarray | None
    backend: str
    method: str
    dt_ms: float

    def to_dict(self) -> dict:
        return {
            "protocol": "scan",
            "model": self.model.name,
            "temperature_C": self.model.temperature,
            "param": self.param,
            "values": float_list(self.values),
            "measure": self.measure,
            "unit": self.unit,
            "results": float_list(self.results),
            "table": [[float(a), b] for a, b in zip(self.values, float_list(self.results))],
            "stimulus": self.stimulus,
            "feature_backend": self.backend,
            "method": self.method,
            "dt_ms": self.dt_ms,
        }

    def plot(self, path=None):
        from ..plot.protocols import plot_scan

        return plot_scan(self, path)



def model_at(base: Model, param: str, value: float, drugs=()) -> Model:
    """``base`` with ``param`` set to ``value`` and then the drugs applied."""
    drugs = list(drugs or [])
    if param in DRUG_PARAMS:
        name = DRUG_PARAMS[param]
        drugs = [d for d in drugs if d.drug.name != name] + [application(name, value)]
        return apply_drugs(base, drugs)
    return apply_drugs(base.with_params({param: value}), drugs)


def check_param(base: Model, param: str) -> None:
    if param in DRUG_PARAMS:
        return
    if param not in base.params():
        raise ParameterError(
            f"unknown parameter {param!r} for model {base.name!r}; accepted: "
            + ", ".join(list(base.params()) + list(DRUG_PARAMS))
        )


def scan(model: str | Model, param: str, values, measure: str, *, stimulus=None, t_stop: float | None = None,
         drugs=(), pulse_dur: float = 1.0, i_max: float | None = None, backend: str = "auto",
         method: str | None = None, dt: float | None = None, progress: bool | None = None) -> ScanResult:
    """Measure feature ``measure`` at each value of ``param`` (see the module docstring).

    ``stimulus``: a :class:`~hhsim.stim.Stimulus` for the trace features
    (default ``step(10, start=10, dur=100)``); ``t_stop``: ms (default: 20 ms
    after the stimulus's last edge); ``drugs``: applications applied to every
    model after the parameter change.
    """
    base = _models.get(model)
    measure = feature_name(measure)
    values = float_array(values, "parameter values", max_len=MAX_RANGE_VALUES, error=ProtocolError)
    if values.size == 0:
        raise ProtocolError("the list of parameter values is empty")
    stimulus = check_stimulus(stimulus)
    pulse_dur = positive("pulse duration", pulse_dur)
    apply_drugs(base, drugs)  # a wrong kind of drug list refused here, in one line
    check_param(base, param)
    models = [model_at(base, param, float(x), drugs) for x in values]
    if param == "spike_threshold":  # a threshold at or below rest counts no spike (or one too few) without a word
        from ..model import check_spike_threshold

        for m in models:
            check_spike_threshold(m)
    method, dt = protocol_method(method, dt)
    unit = FEATURES[measure][0]
    bar = progress_bar(f"scan {param}", progress)
    t = v = None
    desc = ""
    try:
        if measure == "v_rest_mV":
            results = np.array([m.resting_potential() for m in models])
        elif measure in ("rheobase_uA_cm2", "threshold_uA_cm2"):
            dur = 200.0 if measure == "rheobase_uA_cm2" else positive("--pulse-dur", pulse_dur)
            if measure == "threshold_uA_cm2" and abs(dur / dt - round(dur / dt)) > 1e-9:
                dt = dur / np.ceil(dur / dt)
            top = (50.0 if measure == "rheobase_uA_cm2" else max(50.0, 100.0 / dur)) if i_max is None else \
                positive("--i-max", i_max, "µA/cm²")
            results = _thresholds(models, dur, top, method, dt, bar)
            desc = f"{'step' if measure == 'rheobase_uA_cm2' else 'pulse'} of {dur:g} ms from rest"
        else:
            stimulus = _stim.step(10.0, start=10.0, dur=100.0) if stimulus is None else stimulus
            edges = [b for b in stimulus.breakpoints() if np.isfinite(b)]
            start = min(edges) if edges else 0.0
            end = max(edges) if len(edges) > 1 else None
            if t_stop is None:
                t_stop = (end if end is not None else start + 100.0) + 20.0
            t_stop = positive("--t-stop", t_stop)
            end = t_stop if end is None else min(end, t_stop)
            out = run_many(models, [stimulus], t_stop, method=method, dt=dt, record_every=1, bar=bar)
            t, v = out.t, out.v.T.copy()
            results = np.array([_trace_feature(measure, t, v[c], out.spike_times[c], start, end,
                                               models[c].spike_threshold, backend) for c in range(len(models))])
            desc = stimulus.describe()
    finally:
        bar.close()
    return ScanResult(base, param, values, measure, unit, results, desc, t, v,
                      backend, method, dt)


def _thresholds(models, dur, top, method, dt, bar) -> np.ndarray:
    delay = snap(5.0, dt)
    waves = [_stim.step(1.0, start=delay, dur=dur)]
    t_stop = delay + dur + 30.0

    def fires(amps, which):
        P, K = amps.shape
        ms = [models[p] for p in which for _ in range(K)]
        out = run_many(ms, waves, t_stop, scale=amps.ravel(), method=method, dt=dt, bar=bar)
        return np.array([s.size >= 1 for s in out.spike_times]).reshape(P, K)

    res = bracket_search(fires, 0.0, np.full(len(models), top))
    return np.where(res.status == FOUND, res.threshold, np.nan)


def _trace_feature(measure, t, v, spikes, start, end, threshold, backend) -> float:
    if measure == "n_spikes":
        return float(len(spikes))
    if measure == "rate_hz":
        return steady_rate(spikes, start, end)
    if measure == "mean_rate_hz":
        inside = np.count_nonzero((spikes >= start) & (spikes < end))
        return 1000.0 * inside / (end - start) if end > start else np.nan
    f = ap_features(t, v, stim_start=start, stim_end=end, threshold=threshold, backend=backend)
    if measure == "latency_ms":
        return np.nan if f.latency_ms is None else f.latency_ms
    if measure == "adaptation_index":
        return np.nan if f.adaptation_index is None else f.adaptation_index
    if measure == "mean_isi_ms":
        return float(np.mean(f.isi_ms)) if f.isi_ms.size else np.nan
    arr = np.asarray(getattr(f, measure), dtype=float)
    return float(arr[0]) if arr.size else np.nan


def parse_param(text: str) -> tuple[str, np.ndarray]:
    """``"gNa=60:120:7"`` -> ("gNa", 7 evenly spaced values from 60 to 120)."""
    from ._common import parse_range

    name, sep, rng = (text or "").partition("=")
    name = name.strip()
    if not sep or not name:
        raise ProtocolError(f"--param needs NAME=START:STOP:N, got {text!r}")
    start, stop, n = parse_range(rng, f"--param {name}", "", third="n")
    check_interval(f"--param {name}", start, stop, "")
    return name, np.linspace(start, stop, whole("N", n, 2))
