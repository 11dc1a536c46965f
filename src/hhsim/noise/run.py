"""Running noisy membranes: one neuron (``simulate(..., noise=...)``) and batches.

Each neuron of a batch has its own channels, drawn at the start from the
stationary distribution of its initial gate values, and its own random
stream: node ``i`` of a batch is keyed by (seed, ``node_offset + i``), so a
neuron's run does not depend on the batch around it, on the number of
threads (``HHSIM_THREADS``) or on how the batch is split.  ``simulate``
runs node 0, so it equals neuron 0 of a batch with the same seed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from .. import models as _models
from ..checks import check_stimulus
from ..engine import threads
from ..engine.batch import Grid, make_grid, stimulus_arrays
from ..engine.noise_kernels import LANGEVIN, MARKOV, init_counts, run_noise
from ..errors import DivergenceError, ParameterError, SolverError
from ..physics.structure import lower
from ..limits import check_memory
from ..stim import Stimulus, total
from .gillespie import run_gillespie
from .output import NoiseOutput, gate_values
from .lowering import VH, VLO, NoisePlan, noise_plan
from .result import NoiseResult
from .spec import ChannelNoise

#: Default step of the noisy methods (ms), as Goldwyn & Shea-Brown (2011).
DEFAULT_DT = 0.01

_CODES = {"markov": MARKOV, "langevin": LANGEVIN}

#: Node-steps per compiled call (about a second of work); longer runs are taken in chunks.
CHUNK_NODE_STEPS = 1 << 20


def run_plan(np_plan: NoisePlan, noise: ChannelNoise, stimulus: Stimulus | None, grid: Grid, *,
             record_every: int = 1, scale=None, v_clamp=None, node_offset: int = 0) -> NoiseOutput:
    """Run the nodes of ``np_plan`` over ``grid`` with ``noise``'s method and seed.

    ``record_every``: keep every k-th step (0: record nothing but the start);
    ``scale``: multiplier of the stimulus per node; ``v_clamp``: mV, one value
    or one per node (NaN: free), an ideal voltage clamp at a constant.
    """
    if noise.method not in _CODES:
        raise ParameterError(f"run_plan runs markov or langevin noise, not {noise.method!r}")
    n = np_plan.n
    scale = np.broadcast_to(np.asarray(1.0 if scale is None else scale, dtype=float), (n,)).copy()
    vc = np.broadcast_to(np.asarray(np.nan if v_clamp is None else v_clamp, dtype=float), (n,)).copy()
    clamp = np.isfinite(vc)
    v = np.where(clamp, vc, np_plan.v0).astype(float)
    node_id = np.arange(n, dtype=np.int64) + int(node_offset)
    z = np.zeros((max(np_plan.n_rows, 1), n))
    xinit = np_plan.xinit.copy()
    init_counts(z, xinit, np_plan.ch_row0, np_plan.ch_ns, np_plan.ch_g0, np_plan.ch_ng, np_plan.counts,
                np_plan.gt_pow, np_plan.gt_stride, np.uint64(noise.seed), node_id, 0, n)
    xd = np_plan.xd0.copy()
    wave = np.zeros(n, dtype=np.int64)
    every = int(record_every)
    n_rec = grid.n_steps // every + 1 if every > 0 else 1
    n_gates = np_plan.gm_kind.size
    v_rec = np.full((n_rec, n), np.nan)
    g_rec = np.full((n_rec, n_gates, n), np.nan)
    o_rec = np.full((n_rec, len(np_plan.noisy), n), np.nan)
    max_spk = int(grid.n_steps * grid.dt / 1.0) + 16  # 1 kHz at most, as the deterministic batches
    check_memory(8.0 * n * (max_spk + 2 * np_plan.n_rows + 8) + 24.0 * min(grid.n_steps, CHUNK_NODE_STEPS),
                 f"a noisy run of {n} neurons over {grid.n_steps} steps", "run fewer neurons or a shorter t_stop",
                 SolverError)
    spk_t = np.full((n, max_spk), np.nan)
    spk_n = np.zeros(n, dtype=np.int64)
    if every == 0:  # the start only
        v_rec[0] = v
    # calls of at most CHUNK_NODE_STEPS node-steps (a whole number of recording intervals),
    # so that Ctrl-C acts within about a second and the stimulus is sampled a chunk at a time;
    # the state carries over exactly and the random stream is indexed by the global step
    chunk = max(1, CHUNK_NODE_STEPS // n)
    if every > 0:
        chunk = max(every, chunk // every * every)
    done = 0
    while done < grid.n_steps:
        k = min(chunk, grid.n_steps - done)
        sub = Grid(grid.t0 + done * grid.dt, grid.dt, k)
        _, i_m, _ = stimulus_arrays([stimulus], sub)
        r0 = done // every if every > 0 else 0
        args = (v, z, xd, np_plan.tab, np_plan.grp, VLO, VH,
                np_plan.ch_row0, np_plan.ch_ns, np_plan.ch_g0, np_plan.ch_ng, np_plan.ch_gbar, np_plan.ch_erev,
                np_plan.counts, np_plan.gt_pow, np_plan.gt_stride, np_plan.gt_col,
                np_plan.dch_g0, np_plan.dch_ng, np_plan.dch_gbar, np_plan.dch_erev, np_plan.dg_pow,
                np_plan.dg_col, np_plan.dg_inst, np_plan.gfix, np_plan.gefix, np_plan.cm, wave, scale, i_m, clamp,
                vc, np_plan.thr, _CODES[noise.method], np.uint64(noise.seed), node_id, grid.dt, grid.t0, done, k,
                every, v_rec[r0:], g_rec[r0:], o_rec[r0:], np_plan.gm_kind, np_plan.gm_a, np_plan.gm_b,
                spk_t, spk_n)
        status = threads.run_chunks(run_noise, args, n, 1, threads.earliest_step)
        if status >= 0:
            t_fail = sub.t0 + (status + 1) * grid.dt
            raise DivergenceError(f"the noisy membrane diverged at t = {t_fail:.6g} ms (|V| reached 1e4 mV); "
                                  "use a smaller dt", t_fail)
        done += k
    if np.any(spk_n > max_spk):
        raise SolverError(f"more than {max_spk} spikes in {grid.n_steps * grid.dt:g} ms; check the stimulus")
    spikes = [spk_t[c, : spk_n[c]].copy() for c in range(n)]
    t = grid.t0 + grid.dt * every * np.arange(n_rec) if every > 0 else np.array([grid.t0])
    return NoiseOutput(t, v_rec, g_rec, o_rec, spikes, np_plan.counts.copy(), v.copy(), z, np_plan, xd)


def check_recording(grid: Grid, record_every: int, n_series: int, n_neurons: int = 1) -> None:
    """Refuse before allocating when the recorded series (``n_series`` per neuron) would
    exceed the memory budget (:mod:`hhsim.limits`)."""
    n_rec = grid.n_steps // max(record_every, 1) + 1
    nbytes = 8.0 * n_rec * n_neurons * (n_series + 1) + 24.0 * grid.n_steps
    check_memory(nbytes, f"recording {n_rec} time points of {n_neurons * (n_series + 1)} variables",
                 "record fewer points (record_every / --record-every), use a shorter t_stop or a larger dt",
                 SolverError)


def counts_per_node(noise: ChannelNoise, model, n: int, area_um2=None) -> dict[str, np.ndarray]:
    """Noisy channel -> (n,) numbers of channels: from ``noise`` (its area), or, with
    ``area_um2`` (one value per node, µm²), each node's densities times its own area."""
    if area_um2 is None:
        return {k: np.full(n, float(v)) for k, v in noise.channel_counts(model).items()}
    areas = np.broadcast_to(np.asarray(area_um2, dtype=float), (n,))
    if not np.all(np.isfinite(areas) & (areas > 0)):
        raise ParameterError("every area_um2 must be a number > 0 µm²")
    out = {}
    for k, a in enumerate(areas):
        for name, cnt in dataclasses.replace(noise, area_um2=float(a)).channel_counts(model).items():
            out.setdefault(name, np.zeros(n))[k] = cnt
    return out


def check_noise_method(method: str | None, dt: float | None) -> float:
    """dt (ms) of a noisy run: the noisy methods are fixed-step exponential Euler."""
    if method is not None and str(method).lower() not in ("expeuler",):
        raise SolverError(f"channel noise runs its own fixed-step exponential-Euler stepper; method "
                          f"{method!r} is not accepted with noise (accepted: expeuler, or leave it out)")
    return DEFAULT_DT if dt is None else dt


def simulate_noisy(model, stimulus, noise: ChannelNoise, *, t_stop: float, dt: float | None = None,
                   method: str | None = None, record_every: int = 1, initial=None) -> NoiseResult:
    """One noisy neuron: what :func:`hhsim.simulate` runs when given ``noise``.

    ``initial``: (v0, gate values) to start from (default: the model's initial state);
    the channel counts are drawn from the gates' binomial distribution there.
    """
    model = _models.get(model)
    grid = make_grid(t_stop, check_noise_method(method, dt))
    stimulus = check_stimulus(stimulus)
    if not (isinstance(record_every, int) and not isinstance(record_every, bool) and record_every >= 1):
        raise SolverError(f"record_every must be a whole number >= 1 (got {record_every!r})")
    check_recording(grid, record_every, len(model.state_names) * 2)
    counts = noise.channel_counts(model)
    plan = lower(model, initial=initial)
    np_plan = noise_plan(model, plan, {k: np.array([float(v)]) for k, v in counts.items()}, grid.dt)
    if noise.method == "gillespie":
        out = run_gillespie(np_plan, noise, stimulus, grid, record_every=record_every)
    else:
        out = run_plan(np_plan, noise, stimulus, grid, record_every=record_every)
    return _result(model, out, stimulus, grid, noise, counts, t_stop)


def _result(model, out: NoiseOutput, stimulus, grid: Grid, noise: ChannelNoise, counts, t_stop) -> NoiseResult:
    t = out.t
    states = {name: np.ascontiguousarray(out.gates[:, j, 0]) for j, name in enumerate(model.state_names)}
    opened = {name: np.ascontiguousarray(out.open[:, k, 0]) for k, name in enumerate(out.plan.noisy)}
    stim_trace = stimulus.value(t) if stimulus is not None else np.zeros_like(t)
    erev = {ch.name: float(out.plan.erev[i, 0]) for i, ch in enumerate(model.channels)}
    return NoiseResult(
        t=t, v=np.ascontiguousarray(out.v[:, 0]), states=states, stimulus=stim_trace,
        spike_times=np.asarray(out.spike_times[0], dtype=float), model=model, method=noise.method, dt=grid.dt,
        t_stop=float(t_stop), v_rest=model.resting_potential(),
        meta={"stimulus": stimulus.describe() if stimulus is not None else "none",
              "noise": noise.describe(), "channel_counts": {k: int(v) for k, v in counts.items()}},
        open_fraction=opened, channel_counts={k: int(v) for k, v in counts.items()}, reversal_mV=erev,
    )


@dataclass
class NoiseBatchResult:
    """``n`` noisy neurons of one model (:func:`simulate_noisy_batch`).

    ``spike_times`` per neuron (ms); ``t`` (ms) and ``traces``: ``"v"`` (mV), the
    gate names (mean open-subunit fractions) and ``"<channel>.open"`` (open
    fraction), each (n_times, n), when recorded; ``counts``: noisy channel ->
    (n,) channels per neuron; ``noise``: the record used; ``v_final`` (n,) mV and
    ``states_final`` (n_gates, n) the state at ``t_stop`` (gates as in ``traces``).
    """

    spike_times: list
    t: np.ndarray
    traces: dict
    counts: dict
    scale: np.ndarray
    noise: ChannelNoise
    dt: float
    t_stop: float
    model: object
    meta: dict = field(default_factory=dict)
    v_final: np.ndarray | None = None
    states_final: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.spike_times)

    @property
    def n_spikes(self) -> np.ndarray:
        return np.array([s.size for s in self.spike_times], dtype=np.int64)


def simulate_noisy_batch(model, noise: ChannelNoise, *, n: int, stimulus=None, scale=None, t_stop: float,
                         dt: float | None = None, record=None, record_every: int = 1, area_um2=None,
                         v_clamp=None, node_offset: int = 0, models=None) -> NoiseBatchResult:
    """``n`` neurons of ``model``, each with its own noisy channels and random stream.

    ``area_um2``: one area per neuron (µm²) for the densities (default: the
    record's area for all); ``scale``: the stimulus multiplier per neuron;
    ``v_clamp`` (mV, one or per neuron; NaN: free): an ideal clamp at a constant
    voltage, the channels starting in their stationary distribution there;
    ``record``: None (spikes only), ``"all"`` or names among ``v``, the gates
    and ``<channel>.open``; ``node_offset``: the first neuron's stream
    (neuron i of this batch is neuron ``node_offset + i`` of a larger one);
    ``models``: one model per neuron (``n`` of them, ``model`` with some
    parameters changed, one structure), default ``model`` for every neuron;
    the channel counts come from ``model``'s channels.
    """
    model = _models.get(model)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ParameterError(f"n must be a whole number of neurons >= 1 (got {n!r})")
    if not noise.active or noise.method == "gillespie":
        raise ParameterError("simulate_noisy_batch runs markov or langevin noise; "
                             f"got {noise.method!r} (gillespie runs one neuron: hhsim.simulate)")
    n = int(n)
    grid = make_grid(t_stop, check_noise_method(None, dt))
    # bounded before one model per neuron is lowered (about 2 kB of arrays per neuron)
    check_memory(2048.0 * n, f"a noisy batch of {n} neurons", "run fewer neurons", SolverError)
    if isinstance(stimulus, (list, tuple)):
        stimulus = total(stimulus)
    stimulus = check_stimulus(stimulus)
    counts = counts_per_node(noise, model, n, area_um2)
    names = ["v", *model.state_names, *[f"{k}.open" for k in counts]]
    if record is None:
        wanted = []
    elif record == "all":
        wanted = names
    else:
        wanted = [record] if isinstance(record, str) else list(record)
        bad = [r for r in wanted if r not in names]
        if bad:
            raise ParameterError(f"cannot record {bad[0]!r}; accepted: all, {', '.join(names)}")
    every = int(record_every) if wanted else 0
    if wanted:
        check_recording(grid, every, len(names), n_neurons=n)
    if models is None:
        models = [model] * n
    elif len(models) != n:
        raise ParameterError(f"models gives {len(models)} models for a batch of {n} neurons; give one per neuron")
    initial = None
    if v_clamp is not None:  # clamped neurons start in the stationary state of the clamp voltage
        vc = np.broadcast_to(np.asarray(v_clamp, dtype=float), (n,))
        at = {}
        initial = []
        for i, x in enumerate(vc):
            m = models[i]
            if not np.isfinite(x):
                initial.append(m.initial_state())
                continue
            key = (id(m), float(x))
            if key not in at:
                at[key] = (float(x), m.steady_states(float(x)))
            initial.append(at[key])
    plan = lower(list(models), initial=initial)
    np_plan = noise_plan(model, plan, counts, grid.dt)
    out = run_plan(np_plan, noise, stimulus, grid, record_every=every, scale=scale, v_clamp=v_clamp,
                   node_offset=node_offset)
    traces = {}
    for name in wanted:
        if name == "v":
            traces[name] = out.v
        elif name.endswith(".open"):
            traces[name] = out.open[:, list(np_plan.noisy).index(name[:-5]), :]
        else:
            traces[name] = out.gates[:, model.state_names.index(name), :]
    return NoiseBatchResult(
        spike_times=out.spike_times, t=out.t if wanted else np.zeros(0), traces=traces,
        counts={k: v.astype(np.int64) for k, v in counts.items()},
        scale=np.broadcast_to(np.asarray(1.0 if scale is None else scale, dtype=float), (n,)).copy(),
        noise=noise, dt=grid.dt, t_stop=float(t_stop), model=model,
        meta={"stimulus": stimulus.describe() if stimulus is not None else "none"},
        v_final=out.v_final, states_final=gate_values(out.z_final, out.xd_final, np_plan),
    )
