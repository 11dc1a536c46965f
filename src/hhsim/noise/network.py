"""Channel noise in networks: the noisy populations lowered for the network's loop.

A population with ``noise`` (:class:`~hhsim.noise.spec.ChannelNoise`, given as
``Population(..., noise="markov", area_um2=..., density=...)``) has, in every
cell, its own channels of each noisy kind: ``round(density * area)`` of them
(or the counts given), drawn at the start from the stationary distribution of
the cell's initial gate values.  Each step they switch by the kernel of single
cells and batches (:mod:`hhsim.engine.noise_kernels`) and their conductance
enters the cell's membrane as a conductance held over the step
(:mod:`hhsim.engine.network_noise`); the deterministic membrane keeps ``gbar``
= 0 for them.

Random numbers: keyed by (the network's seed, the cell's node index in the
network, step), so a run does not depend on the number of threads.

Refused, in one line each: noise on cable cells, the ``gillespie`` method
(one patch only), noisy populations of different membrane structures or
methods in one network (one noisy block per network), a noise record with
its own seed (the network's seed keys the channels).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..engine.function_values import CompiledFunction
from ..engine.network_codegen import METHODS as FIXED_METHODS
from ..engine.network_noise import RECORD, kernel_signature
from ..engine.noise_kernels import LANGEVIN, MARKOV, init_counts, run_noise
from ..errors import ParameterError
from ..model import Model
from .lowering import VH, VLO, noise_plan
from .run import counts_per_node
from .spec import ChannelNoise

_CODES = {"markov": MARKOV, "langevin": LANGEVIN}

_RUN: dict = {}


def check_population_noise(name: str, noise: ChannelNoise, model) -> None:
    """Refuse, in one line, a population noise the network cannot run: the gillespie
    method, a seed of its own; the channel checks are :meth:`ChannelNoise.channel_counts`'s."""
    if noise.method == "gillespie":
        raise ParameterError(f"population {name!r}: noise 'gillespie' runs one patch (hhsim.simulate); "
                             "a network's cells accepted: markov, langevin or none")
    if noise.seed != 0:
        raise ParameterError(f"population {name!r}: the channel noise takes the network's seed (Network seed "
                             f"or --seed), not a seed of its own (got seed {noise.seed})")
    noise.channel_counts(model)


@dataclass
class NetworkNoise:
    """The noisy cells of a network, lowered.

    ``populations``: the noisy populations (in network order); ``method``;
    ``channels``: the noisy channels' names; ``group``: the structure group
    (:class:`~hhsim.engine.network_lower.StructureGroup`) holding them,
    ``cols`` their columns in it and ``rows`` the noisy channels' rows in its
    ``gbar`` (set to 0 in the run's copy); ``counts`` (n_noisy, n_cells)
    channels per cell; ``NZ``: the loop's record
    (:data:`hhsim.engine.network_noise.RECORD`; ``NZ[3]`` the state counts,
    updated in place); ``per_population``: name -> its JSON description.
    """

    populations: tuple
    method: str
    channels: tuple
    group: int
    cols: np.ndarray
    rows: tuple
    counts: np.ndarray
    NZ: tuple
    per_population: dict

    def zero_noisy_gbar(self, gbar: np.ndarray) -> np.ndarray:
        """A copy of structure group ``group``'s ``gbar`` (n_channels, n) with the noisy
        channels of the noisy cells at 0 (their conductance comes from the counts)."""
        out = np.array(gbar, dtype=float, copy=True)
        for r in self.rows:
            out[r, self.cols] = 0.0
        return out

    def describe(self) -> dict:
        """JSON-ready: population -> method, area (µm²), densities, channels per cell."""
        return dict(self.per_population)


def lower_network_noise(net, plan, dt: float, method: str) -> NetworkNoise | None:
    """The noisy cells of ``net`` (lowered as ``plan``, a
    :class:`~hhsim.engine.network_lower.NetworkPlan`) for steps of ``dt`` ms of the
    network's ``method``, or None."""
    noisy = [(k, p) for k, p in enumerate(net.populations) if getattr(p, "noise", None) is not None]
    if not noisy:
        return None
    if method not in FIXED_METHODS:
        raise ParameterError(f"channel noise in a network runs on fixed steps; method {method!r} is not accepted "
                             f"with noisy populations (accepted: {', '.join(FIXED_METHODS)})")
    methods = sorted({p.noise.method for _, p in noisy})
    if len(methods) > 1:
        raise ParameterError(f"the noisy populations of a network share one method; got {', '.join(methods)} "
                             "(accepted: all markov or all langevin)")
    groups = sorted({plan.pop_group[p.name] for _, p in noisy})
    if len(groups) > 1:
        names = ", ".join(p.name for _, p in noisy)
        raise ParameterError(f"the noisy populations of a network must share one membrane structure (the same "
                             f"model's channels); {names} do not")
    gi = groups[0]
    group = plan.groups[gi]
    model = noisy[0][1].model
    cols, counts, described = [], {}, {}
    for _, p in noisy:
        check_population_noise(p.name, p.noise, p.model)
        first, n = plan.pop_range[p.name]
        local = np.arange(first - group.base, first - group.base + n)
        cols.append(local)
        cnt = counts_per_node(p.noise, p.model, n)
        if counts and set(cnt) != set(counts):
            raise ParameterError(f"the noisy populations of a network must make the same channels noisy; "
                                 f"{p.name!r} makes {', '.join(cnt)} noisy, another {', '.join(counts)}")
        for name, c in cnt.items():
            counts.setdefault(name, []).append(c)
        d = p.noise.describe()
        d.pop("seed", None)
        d["channels_per_cell"] = {name: int(c[0]) for name, c in cnt.items()}
        described[p.name] = d
    cols = np.concatenate(cols)
    counts = {name: np.concatenate(c) for name, c in counts.items()}
    sub = group.plan.columns(cols)
    np_plan = noise_plan(model, sub, counts, dt)
    nodes = (cols + group.base).astype(np.int64)
    m = nodes.size
    z = np.zeros((max(np_plan.n_rows, 1), m))
    init_counts(z, np_plan.xinit.copy(), np_plan.ch_row0, np_plan.ch_ns, np_plan.ch_g0, np_plan.ch_ng,
                np_plan.counts, np_plan.gt_pow, np_plan.gt_stride, np.uint64(net.seed), nodes, 0, m)
    n_gates = np_plan.gm_kind.size
    values = {
        "nodes": nodes, "vn": np.array(plan.v0[nodes], dtype=float), "gn": np.zeros(m), "gen": np.zeros(m),
        "z": z, "xd": np_plan.xd0.copy(),
        "tab": np_plan.tab, "grp": np_plan.grp, "ch_row0": np_plan.ch_row0, "ch_ns": np_plan.ch_ns,
        "ch_g0": np_plan.ch_g0, "ch_ng": np_plan.ch_ng, "ch_gbar": np_plan.ch_gbar, "ch_erev": np_plan.ch_erev,
        "ch_n": np_plan.counts, "gt_pow": np_plan.gt_pow, "gt_stride": np_plan.gt_stride, "gt_col": np_plan.gt_col,
        "dch_g0": np_plan.dch_g0, "dch_ng": np_plan.dch_ng, "dch_gbar": np_plan.dch_gbar,
        "dch_erev": np_plan.dch_erev, "dg_pow": np_plan.dg_pow, "dg_col": np_plan.dg_col,
        "dg_inst": np_plan.dg_inst, "gfix": np_plan.gfix, "gefix": np_plan.gefix, "cm": np_plan.cm,
        "wave": np.zeros(m, dtype=np.int64), "scale": np.ones(m), "i_m": np.zeros((2, 1)),
        "clamp": np.ones(m, dtype=np.bool_), "thr": np.full(m, np.inf), "v_rec": np.zeros((1, m)),
        "g_rec": np.zeros((1, max(n_gates, 1), m)), "o_rec": np.zeros((1, max(len(np_plan.noisy), 1), m)),
        "gm_kind": np_plan.gm_kind, "gm_a": np_plan.gm_a, "gm_b": np_plan.gm_b, "spk_t": np.zeros((m, 1)),
        "spk_n": np.zeros(m, dtype=np.int64), "node_id": nodes.copy(), "vlo": float(VLO), "vh": float(VH),
        "method": _CODES[methods[0]], "seed": np.uint64(net.seed),
    }
    values["run"] = _run_function(values)
    NZ = tuple(values[k] for k in RECORD)
    names = [c.name for c in model.channels]
    rows = tuple(names.index(ch) for ch in np_plan.noisy)
    return NetworkNoise(populations=tuple(p.name for _, p in noisy), method=methods[0], channels=np_plan.noisy,
                        group=gi, cols=cols, rows=rows, counts=np_plan.counts, NZ=NZ, per_population=described)


def _run_function(values: dict) -> CompiledFunction:
    """``run_noise`` as a function value for the record's argument types (one per types)."""
    sig = kernel_signature(values)
    key = str(sig)
    if key not in _RUN:
        _RUN[key] = CompiledFunction(run_noise, sig)
    return _RUN[key]


def population_noise(name: str, noise, area_um2, density, channel_counts) -> ChannelNoise | None:
    """A population's noise record from its arguments (``noise`` a method name or a
    :class:`ChannelNoise`; ``density``, ``channel_counts`` as for ``hhsim.simulate``), with the
    population's area (µm²); None for no noise.  Refuses an area given twice, differently."""
    from .spec import as_noise

    if noise is None and density is None and channel_counts is None:
        return None
    try:
        rec = as_noise(noise, density=density, counts=channel_counts)
    except ParameterError as e:
        raise ParameterError(f"population {name!r}: {e}") from None
    if not rec.active:
        return None
    if rec.area_um2 is not None and area_um2 is not None and float(rec.area_um2) != float(area_um2):
        raise ParameterError(f"population {name!r}: the noise's area ({rec.area_um2:g} µm²) differs from the "
                             f"population's area_um2 ({float(area_um2):g} µm²); give one area")
    if rec.area_um2 is None and area_um2 is not None:
        rec = dataclasses.replace(rec, area_um2=float(area_um2))
    return rec


def with_channel_noise(net, *, method: str | None = None, area_um2: float | None = None,
                       population: str | None = None):
    """``net`` with the channel noise of ``population`` (every population of point neurons
    when None) changed: ``method`` (``markov``, ``langevin`` or ``none``; the record's
    densities and counts are kept) and/or the membrane area ``area_um2`` (µm²; also the
    population's area for weights in nS).  What the command line's ``--noise`` and
    ``--area`` do."""
    names = [p.name for p in net.populations]
    if population is not None and population not in names:
        raise ParameterError(f"unknown population {population!r}; accepted: {', '.join(names)}")
    pops = []
    for p in net.populations:
        if (population is not None and p.name != population) or (population is None and not isinstance(p.model, Model)):
            pops.append(p)  # not this one, or a cable-cell population when every one is meant
            continue
        area = p.area_um2 if area_um2 is None else area_um2
        rec = p.noise
        if method is not None:
            m = str(method).strip().lower()
            rec = None if m == "none" else (dataclasses.replace(rec, method=m) if rec is not None else m)
        if isinstance(rec, ChannelNoise):
            rec = dataclasses.replace(rec, area_um2=area)
        pops.append(dataclasses.replace(p, noise=rec, area_um2=area))
    return net.replace(populations=tuple(pops))
