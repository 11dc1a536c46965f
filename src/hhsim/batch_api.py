"""``simulate_batch``: many neurons of one model, each with its own parameters, in one compiled run.

Every neuron is the model with some parameters changed (``params``: name ->
one value per neuron), driven by one stimulus waveform multiplied by its
own ``scale``.  All neurons run together through the compiled batch kernel
(:func:`hhsim.engine.batch.run_batch`), over the same grid and with the same
method as :func:`hhsim.simulate`, so neuron ``i`` of a batch gives what
``simulate`` gives for that neuron alone.

>>> import numpy as np, hhsim
>>> b = hhsim.simulate_batch("hh", {"gNa": np.linspace(80, 160, 5)},
...                          stimulus=hhsim.stim.step(10, start=10, dur=50), t_stop=80)
>>> b.n_spikes.shape
(5,)
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

import numpy as np

from . import models as _models
from .checks import check_stimulus
from .engine import backend as _backends
from .engine.batch import make_grid
from .physics.structure import lower
from .engine.solvers import ADAPTIVE, COMPILED_ADAPTIVE, FIXED_STEP, dopri5
from .batch_columns import ModelsWith, columns_plan, model_with
from .display import ShownResult
from .drugs import DRUG_PARAMS
from .errors import ParameterError, SolverError
from .limits import FREE_SHARE, free_memory_bytes, memory_budget
from .model import Model
from .result import Result
from .simulation import _noise_spec, resolve_method
from .stim import Stimulus, total
from . import validate as _validate

#: Share of the machine's free memory one batch may take (the rest is for the caller).
MEMORY_SHARE = FREE_SHARE


@dataclass(repr=False)
class BatchResult(ShownResult):
    """Outcome of :func:`simulate_batch` for ``n`` neurons.

    Attributes
    ----------
    params : name -> (n,) values each neuron ran with (units as ``Model.params()``).
    scale : (n,) multiplier of the stimulus per neuron.
    spike_times : per neuron, spike times in ms.
    t : ms, recorded times (empty when nothing was recorded).
    traces : recorded name (``"v"`` in mV, gate names, pool states in mM) ->
        (n_times, n) array.
    v_final, states_final : mV (n,) and (n_states, n), the state at ``t_stop``.
    models : the model of each neuron.
    """

    params: dict[str, np.ndarray]
    scale: np.ndarray
    spike_times: list[np.ndarray]
    t: np.ndarray
    traces: dict[str, np.ndarray]
    v_final: np.ndarray
    states_final: np.ndarray
    models: list[Model]
    method: str
    dt: float
    t_stop: float
    stimulus: Stimulus | None
    meta: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.spike_times)

    def _headline(self) -> tuple:
        """The parts of the one-line repr (the arrays are in the attributes, not in the repr)."""
        if isinstance(self.models, ModelsWith):
            names = [self.models.base.name]
        else:
            names = sorted({m.name for m in self.models}) if self.models else []
        varied = ", ".join(self.params) if self.params else ""
        recorded = f"recorded {', '.join(self.traces)} at {self.t.size} times" if self.traces else ""
        return ("/".join(names[:3]) + ("/..." if len(names) > 3 else ""),
                f"{self.n} neurons", f"varying {varied}" if varied else "",
                f"{int(self.n_spikes.sum())} spikes", f"{self.t_stop:g} ms", self.method, recorded)

    def _rows(self) -> dict:
        counts = np.asarray(self.n_spikes)
        rows = {"neurons": self.n, "t_stop_ms": self.t_stop, "method": self.method,
                "spikes": int(counts.sum()), "neurons_that_fired": int(np.count_nonzero(counts))}
        for name, values in self.params.items():
            values = np.asarray(values, dtype=float)
            rows[f"{name} (from, to)"] = [float(values.min()), float(values.max())] if values.size else []
        if self.traces:
            rows["recorded"] = list(self.traces)
        return rows

    def _title(self) -> str:
        return f"Batch of {self.n} neurons"

    @property
    def n_spikes(self) -> np.ndarray:
        """(n,) number of spikes of each neuron."""
        return np.array([s.size for s in self.spike_times], dtype=np.int64)

    def result(self, i: int) -> Result:
        """Neuron ``i`` as a :class:`~hhsim.result.Result` (needs ``record="all"``)."""
        n = len(self.models)
        i = _validate.whole(i, "neuron index i", lo=-n, hi=n - 1)  # negative indices count from the end
        i = i % n
        model = self.models[i]
        missing = [name for name in ["v", *model.state_names] if name not in self.traces]
        if missing:
            raise ParameterError(
                f"neuron {i} cannot be turned into a Result: {', '.join(missing)} not recorded; "
                "run simulate_batch with record='all'"
            )
        stim = self.stimulus
        current = (stim.value(self.t) * self.scale[i]) if stim is not None else np.zeros_like(self.t)
        return Result(
            t=self.t, v=np.ascontiguousarray(self.traces["v"][:, i]),
            states={name: np.ascontiguousarray(self.traces[name][:, i]) for name in model.state_names},
            stimulus=current, spike_times=self.spike_times[i], model=model, method=self.method,
            dt=self.dt, t_stop=self.t_stop, v_rest=model.resting_potential(),
            meta={"stimulus": stim.describe() if stim is not None else "none", "scale": float(self.scale[i])},
        )

    def to_xarray(self):
        """An ``xarray.Dataset`` on dimension ``neuron`` with the parameters and ``scale``
        as coordinates: ``n_spikes``, ``spike_times_ms`` (neuron, spike; NaN-padded) and
        the recorded traces on (``t_ms``, ``neuron``)."""
        import xarray as xr

        width = max([s.size for s in self.spike_times] + [0])
        padded = np.full((self.n, width), np.nan)
        for i, s in enumerate(self.spike_times):
            padded[i, : s.size] = s
        coords = {name: ("neuron", np.asarray(v, dtype=float)) for name, v in self.params.items()}
        coords["scale"] = ("neuron", self.scale)
        coords["neuron"] = np.arange(self.n)
        data = {"n_spikes": ("neuron", self.n_spikes), "spike_times_ms": (("neuron", "spike"), padded)}
        if self.traces:
            coords["t_ms"] = self.t
            for name, arr in self.traces.items():
                unit = "mV" if name == "v" else self.models[0].state_unit(name)
                data[name + "_mV" if name == "v" else (name if unit == "1" else f"{name}_{unit}")] = \
                    (("t_ms", "neuron"), arr)
        ds = xr.Dataset(data, coords=coords)
        ds.attrs.update({
            "model": self.models[0].name if self.models else "",
            "method": self.method, "dt_ms": self.dt, "t_stop_ms": self.t_stop,
            "stimulus": self.stimulus.describe() if self.stimulus is not None else "none",
            "meta": json.dumps(self.meta),
        })
        return ds


def batch_models(model: str | Model, params: dict | None, n: int | None = None) -> tuple[list[Model], dict]:
    """One model per neuron: ``model`` with ``params`` (name -> value or (n,) values) applied.

    Accepted names: every entry of ``Model.params()`` and the drug concentrations
    of :data:`hhsim.drugs.DRUG_PARAMS` (``ttx_nM``, ``tea_mM``).
    Returns the models and the parameters as (n,) float arrays.
    """
    base = _models.get(model)
    size, arrays = parameter_arrays(base, params, n)
    return [model_with(base, {k: float(v[i]) for k, v in arrays.items()}) for i in range(size)], arrays


def parameter_arrays(base: Model, params: dict | None, n: int | None = None) -> tuple[int, dict]:
    """(number of neurons, name -> (n,) float array) from ``params`` (values or arrays), checked."""
    if params is not None and not isinstance(params, dict):
        raise ParameterError(f"params must be a dict of parameter name -> values such as {{'gNa': [100, 120]}} "
                             f"(got {type(params).__name__} {_validate.shown(params)})")
    params = dict(params or {})
    arrays = {}
    for name, values in params.items():
        check_name(base, name)
        one = not isinstance(values, (list, tuple, range, np.ndarray))  # one value for every neuron
        arrays[name] = _validate.float_array([values] if one else values, f"parameter {name}", flat=False,
                                             finite=False)
        if arrays[name].ndim != 1:
            raise ParameterError(f"parameter {name} needs one value per neuron (a 1-D array), "
                                 f"got shape {arrays[name].shape}")
    sizes = {a.size for a in arrays.values() if a.size != 1}
    if len(sizes) > 1:
        raise ParameterError(f"parameter arrays differ in length ({sorted(sizes)}); give one value per neuron")
    size = sizes.pop() if sizes else (n if n is not None else 1)
    if n is not None and size != n:
        raise ParameterError(f"parameter arrays have {size} values but the batch has {n} neurons")
    if size < 1:
        raise ParameterError("a batch needs at least one neuron (the parameter arrays are empty)")
    return size, {k: np.broadcast_to(v, (size,)).copy() for k, v in arrays.items()}


def check_name(base: Model, name: str) -> None:
    """:class:`ParameterError` unless ``name`` is a parameter of ``base`` or a drug concentration."""

    if name in DRUG_PARAMS or name in base.params():
        return
    raise ParameterError(
        f"unknown parameter {name!r} for model {base.name!r}; accepted: "
        + ", ".join(list(base.params()) + list(DRUG_PARAMS))
    )


def compiled_method(method: str | None, dt: float | None) -> tuple[str, float]:
    """The method and dt (ms) for a batch: ``simulate``'s defaults; ``lsoda`` is refused
    (it runs outside the compiled kernel, one neuron at a time)."""
    method, dt = resolve_method(method, dt)
    if method in ADAPTIVE and method not in COMPILED_ADAPTIVE:
        accepted = ", ".join(list(COMPILED_ADAPTIVE) + list(FIXED_STEP))
        raise SolverError(f"simulate_batch runs every neuron in the compiled kernel, which {method!r} "
                          f"cannot; accepted: {accepted}")
    return method, dt


def _record_names(record, model: Model) -> list[str]:
    names = ["v", *model.state_names]
    if record is None or record is False:
        return []
    if isinstance(record, str):
        record = names if record == "all" else [record]
    if not isinstance(record, (list, tuple)):
        raise ParameterError(f"record must be None, 'all', a state name or a list of them (got "
                             f"{type(record).__name__} {_validate.shown(record)}); accepted names: {', '.join(names)}")
    out = []
    for r in record:
        if r not in names:
            raise ParameterError(f"cannot record {r!r}; accepted: all, {', '.join(names)}")
        if r not in out:
            out.append(r)
    return out


def check_memory(n: int, n_rec: int, n_states: int, max_spikes: int, what: str = "this batch") -> None:
    """Refuse, before allocating, a batch needing more than :data:`MEMORY_SHARE` of free memory
    or more than the one memory budget of every request (``$HHSIM_MAX_MEMORY``, see
    :mod:`hhsim.limits`)."""
    need = 8 * n * (n_rec * (1 + n_states) + max_spikes + 2 * (1 + n_states))
    budget = min(MEMORY_SHARE * free_memory_bytes(), memory_budget())
    if need > budget:
        gb = need / 2**30 if need < 1e300 else float("inf")  # n may be an integer beyond any float
        raise SolverError(
            f"{what} would need {gb:.3g} GB for {_validate.shown(n)} neurons ({n_rec} recorded times), more than "
            f"the {budget / 2**30:.3g} GB available; record fewer traces or fewer times (record_every), "
            "or run fewer neurons per batch"
        )


def simulate_batch(
    model: str | Model,
    params: dict | None = None,
    *,
    stimulus: Stimulus | list[Stimulus] | None = None,
    scale=None,
    t_stop: float,
    dt: float | None = None,
    method: str | None = None,
    record=None,
    record_every: int = 1,
    n: int | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    noise=None,
    area_um2=None,
    density: dict | None = None,
    channel_counts: dict | None = None,
    seed: int | None = None,
    first_neuron: int = 0,
    backend: str | None = None,
) -> BatchResult:
    """Simulate many neurons of one model at once, each with its own parameters.

    Parameters
    ----------
    model : a preset name or a :class:`~hhsim.model.Model`.
    params : parameter name -> one value per neuron (or one value for all), e.g.
        ``{"gNa": [100, 120], "gK": [36, 30]}`` (mS/cm²; names as ``hhsim models NAME``,
        or a drug concentration such as ``ttx_nM``).
    stimulus : one waveform (µA/cm²) for every neuron (a list adds up), or None.
    scale : multiplier of the stimulus, one per neuron (or one for all; default 1).
    t_stop, dt : ms; dt as in :func:`hhsim.simulate` (for ``dopri5`` the output grid).
    method : as :func:`hhsim.simulate` (default ``dopri5``); ``lsoda`` is refused.
    record : which traces to keep: None (default, spikes and final state only),
        ``"all"``, or names among ``"v"`` and the model's state names.
    record_every : keep every k-th grid point of the recorded traces.
    n : number of neurons when ``params`` gives none per neuron.
    rtol, atol : tolerances of ``dopri5`` (defaults as ``simulate``).
    noise : channel noise as :func:`hhsim.simulate`: ``"markov"`` or ``"langevin"``
        (``"gillespie"`` runs one neuron only), ``"none"`` or a
        :class:`~hhsim.noise.ChannelNoise`; each neuron has its own channels and
        its own random stream (neuron ``i`` is stream ``first_neuron + i`` of
        ``seed``, so neuron 0 equals ``simulate`` with the same seed).  The
        noisy stepper is fixed-step exponential Euler (``method`` None or
        ``expeuler``; ``dt`` default 0.01 ms) and the result a
        :class:`NoisyBatchResult`; ``record="all"`` adds ``"<channel>.open"``.
    area_um2 : membrane area (µm²) that the densities multiply: one number, or
        one per neuron.
    density, channel_counts, seed : as :func:`hhsim.simulate` (channels/µm²,
        whole numbers of channels, the key of the random streams).
    first_neuron : the random stream of this batch's first neuron, so that a
        large noisy batch split into parts gives the same bits as one call.
    backend : ``"numba"`` (default, compiled) or ``"numpy"`` (the slow NumPy reference,
        fixed-step methods, no channel noise; :mod:`hhsim.engine.backend`).
    """
    be = _backends.get(backend)
    base = _models.get(model)
    areas = None
    if isinstance(area_um2, (list, tuple, range, np.ndarray)):  # one area per neuron
        areas = _validate.float_array(area_um2, "area_um2")
        if areas.ndim != 1:
            raise ParameterError(f"area_um2 needs one number per neuron (a 1-D array), got shape {areas.shape}")
        area_um2 = None
        if areas.size == 1:
            area_um2, areas = float(areas[0]), None
    spec = _noise_spec(noise, area_um2 if areas is None else 1.0, density, channel_counts, seed)
    noisy = spec is not None and spec.active
    if not noisy and first_neuron != 0:
        raise ParameterError(f"first_neuron = {_validate.shown(first_neuron)} numbers the random streams of "
                             "noisy neurons; it needs noise='markov' or 'langevin'")
    if noisy:
        if be.name != _backends.DEFAULT:
            raise ParameterError(f"channel noise runs on backend {_backends.DEFAULT} only (got backend {be.name!r})")
        _check_noisy_call(spec, method, rtol, atol)
        first_neuron = _validate.whole(first_neuron, "first_neuron", lo=0, hi=2 ** 62)
    scale = 1.0 if scale is None else scale
    scale_arr = _validate.float_array(scale if isinstance(scale, (list, tuple, range, np.ndarray)) else [scale],
                                      "scale")
    by_params = isinstance(params, dict) and any(np.size(v) > 1 for v in params.values())
    if n is None and scale_arr.size > 1 and not by_params:
        n = scale_arr.size  # the scales alone set the batch size
    if n is None and areas is not None and not by_params:
        n = areas.size  # the areas alone set the batch size
    if n is not None:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ParameterError(f"n must be a whole number of neurons >= 1 (got {_validate.shown(n)})")
        # bounded before one model per neuron is built: the smallest batch of n neurons
        # (nothing recorded) must fit the memory budget
        check_memory(int(n), 1, base.n_gates + len(base.pools), 16)
    count, arrays = parameter_arrays(base, params, n)
    check_memory(int(count), 1, base.n_gates + len(base.pools), 16)  # the same bound for arrays of values
    plan = columns_plan(base, arrays, count)
    if plan is None:
        models = [model_with(base, {k: float(v[i]) for k, v in arrays.items()}) for i in range(count)]
    else:
        models = ModelsWith(base, arrays, count)
    if scale_arr.ndim != 1 or scale_arr.size not in (1, count):
        raise ParameterError(f"scale needs one value per neuron ({count}) or a single value, "
                             f"got {scale_arr.size}")
    if not np.all(np.isfinite(scale_arr)):
        raise ParameterError("scale must be finite")
    scale = np.broadcast_to(scale_arr, (count,)).copy()
    if noisy:
        if areas is not None and areas.size != count:
            raise ParameterError(f"area_um2 needs one value per neuron ({count}) or a single value, "
                                 f"got {areas.size}")
        spec = dataclasses.replace(spec, area_um2=None) if areas is not None else spec
        return _noisy_batch(base, models, plan, arrays, spec, areas, stimulus=stimulus, scale=scale,
                            t_stop=t_stop, dt=dt, record=record, record_every=record_every,
                            first_neuron=first_neuron)
    return simulate_batch_of(models, stimulus=stimulus, scale=scale, t_stop=t_stop, dt=dt, method=method,
                             record=record, record_every=record_every, rtol=rtol, atol=atol, params=arrays,
                             plan=plan, backend=be.name)


def simulate_batch_of(models: list[Model], *, stimulus=None, scale=None, t_stop: float, dt=None, method=None,
                      record=None, record_every: int = 1, rtol=None, atol=None, params=None,
                      plan=None, backend: str | None = None) -> BatchResult:
    """:func:`simulate_batch` for a ready list of models (one per neuron, one structure);
    ``scale`` one value or one per model; ``params`` only labels the result; ``plan``:
    the models already lowered (:func:`columns_plan`), else they are lowered here;
    ``backend``: as :func:`simulate_batch`'s."""
    be = _backends.get(backend)
    count = len(models)
    scale = np.broadcast_to(np.asarray(1.0 if scale is None else scale, dtype=float), (count,)).copy()
    base = models[0]
    method, dt = compiled_method(method, dt)
    grid = make_grid(t_stop, dt)
    stimulus = check_stimulus(stimulus)
    names = _record_names(record, base)
    record_every = _validate.record_every(record_every, SolverError)
    every = int(record_every) if names else 0
    n_rec = grid.n_steps // every + 1 if every else 1
    max_spikes = int(grid.n_steps * grid.dt / 1.0) + 16
    check_memory(count, n_rec, base.n_gates + len(base.pools), max_spikes)
    plan = lower(models) if plan is None else plan
    tol = {"rtol": rtol or dopri5.RTOL, "atol": atol or dopri5.ATOL}
    out = be.run_point(plan, [stimulus], grid, method, scale=scale, record_every=every, **tol)
    traces = {}
    for name in names:
        traces[name] = out.v.copy() if name == "v" else out.y[:, base.state_names.index(name), :].copy()
    t = out.t if names else np.zeros(0)
    return BatchResult(
        params=dict(params or {}), scale=scale, spike_times=[np.asarray(s, dtype=float) for s in out.spike_times],
        t=t, traces=traces, v_final=out.v_final.copy(), states_final=out.y_final.copy(),
        models=models if isinstance(models, ModelsWith) else list(models),
        method=method, dt=grid.dt, t_stop=float(t_stop), stimulus=stimulus,
    )


@dataclass(repr=False)
class NoisyBatchResult(BatchResult):
    """A :class:`BatchResult` of noisy neurons (``simulate_batch(..., noise=...)``).

    ``method`` is the noise method; ``traces`` may hold ``"<channel>.open"``
    (the fraction of that channel's channels open) besides ``"v"`` (mV) and
    the gates (for a noisy channel's gate: the mean fraction of its open
    subunits); ``states_final`` (n_gates, n) the gates at ``t_stop``;
    ``channel_counts``: noisy channel -> (n,) number of channels per neuron;
    ``meta["noise"]``: the noise record (keys with units).
    """

    channel_counts: dict = field(default_factory=dict)

    def result(self, i: int) -> Result:
        """Neuron ``i`` as a :class:`~hhsim.noise.NoiseResult` (needs ``record="all"``)."""
        from .noise import NoiseResult

        n = len(self.models)
        i = _validate.whole(i, "neuron index i", lo=-n, hi=n - 1) % n
        model = self.models[i]
        opened = [f"{name}.open" for name in self.channel_counts]
        missing = [name for name in ["v", *model.state_names, *opened] if name not in self.traces]
        if missing:
            raise ParameterError(f"neuron {i} cannot be turned into a Result: {', '.join(missing)} not recorded; "
                                 "run simulate_batch with record='all'")
        stim = self.stimulus
        current = (stim.value(self.t) * self.scale[i]) if stim is not None else np.zeros_like(self.t)
        counts = {name: int(c[i]) for name, c in self.channel_counts.items()}
        return NoiseResult(
            t=self.t, v=np.ascontiguousarray(self.traces["v"][:, i]),
            states={name: np.ascontiguousarray(self.traces[name][:, i]) for name in model.state_names},
            stimulus=current, spike_times=self.spike_times[i], model=model, method=self.method,
            dt=self.dt, t_stop=self.t_stop, v_rest=model.resting_potential(),
            meta={"stimulus": stim.describe() if stim is not None else "none", "scale": float(self.scale[i]),
                  "noise": self.meta.get("noise", {}), "channel_counts": counts},
            open_fraction={name: np.ascontiguousarray(self.traces[f"{name}.open"][:, i])
                           for name in self.channel_counts},
            channel_counts=counts,
            reversal_mV={ch.name: float(model.reversal_potential(ch)) for ch in model.channels},
        )


def _check_noisy_call(spec, method, rtol, atol) -> None:
    """One-line refusals of what a noisy batch cannot do."""
    if spec.method == "gillespie":
        raise ParameterError("simulate_batch runs markov or langevin noise; gillespie (exact event times) "
                             "runs one neuron: hhsim.simulate(..., noise='gillespie')")
    if rtol is not None or atol is not None:
        raise SolverError("rtol and atol belong to the adaptive methods; a noisy batch has a fixed step dt")
    if method is not None and str(method).lower() != "expeuler":
        raise SolverError(f"channel noise runs its own fixed-step exponential-Euler stepper; method "
                          f"{method!r} is not accepted with noise (accepted: expeuler, or leave it out)")


def _noisy_batch(base, models, plan, arrays, spec, areas, *, stimulus, scale, t_stop, dt, record, record_every,
                 first_neuron) -> NoisyBatchResult:
    """The noisy branch of :func:`simulate_batch`: :func:`hhsim.noise.simulate_noisy_batch`
    over the neurons' models (``plan`` unused: the noisy lowering builds its own)."""
    from .noise import simulate_noisy_batch

    count = len(models)
    if record is not None and record is not False and not isinstance(record, (str, list, tuple)):
        raise ParameterError(f"record must be None, 'all', a state name or a list of them (got "
                             f"{type(record).__name__} {_validate.shown(record)})")
    record = None if record is False else record
    record_every = _validate.record_every(record_every, SolverError)
    varied = bool(arrays)
    out = simulate_noisy_batch(base, spec, n=count, stimulus=stimulus, scale=scale, t_stop=t_stop, dt=dt,
                               record=record, record_every=record_every, area_um2=areas,
                               node_offset=first_neuron, models=list(models) if varied else None)
    stim = check_stimulus(total(stimulus) if isinstance(stimulus, (list, tuple)) else stimulus)
    counts = {k: np.asarray(v, dtype=np.int64) for k, v in out.counts.items()}
    return NoisyBatchResult(
        params=dict(arrays), scale=scale, spike_times=[np.asarray(s, dtype=float) for s in out.spike_times],
        t=out.t, traces=out.traces, v_final=out.v_final.copy(), states_final=out.states_final,
        models=models if isinstance(models, ModelsWith) else list(models), method=spec.method, dt=out.dt,
        t_stop=float(t_stop), stimulus=stim,
        meta={"noise": spec.describe() if areas is None else {**spec.describe(), "area_um2": areas.tolist()},
              "first_neuron": int(first_neuron),
              "channel_counts": {k: v.tolist() for k, v in counts.items()}},
        channel_counts=counts,
    )
