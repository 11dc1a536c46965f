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

Noisy populations of one membrane structure, method and set of noisy
channels form one block of cells for the kernel; a network may hold two
(:data:`MAX_BLOCKS`: e.g. an excitatory and an inhibitory model, or a markov
and a langevin population).

Refused, in one line each: noise on cable cells, the ``gillespie`` method
(one patch only), an adaptive method, a noise record with its own seed (the
network's seed keys the channels), more than two blocks.
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

#: Most blocks of noisy cells (populations of one structure, method and set of noisy
#: channels) in one network: the loop's record always holds this many (empty ones padding),
#: so the loop compiles once for all noisy networks (4 cost 5 s more to compile than 2).
MAX_BLOCKS = 2

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
class NoiseBlock:
    """The noisy cells of one structure group that share their method and noisy channels.

    ``populations``: theirs (in network order); ``method``; ``channels``: the
    noisy channels' names; ``group``: the structure group
    (:class:`~hhsim.engine.network_lower.StructureGroup`) holding them, ``cols``
    their columns in it and ``rows`` the noisy channels' rows in its ``gbar``;
    ``counts`` (n_noisy, n_cells) channels per cell; ``NZ``: the loop's record
    (:data:`hhsim.engine.network_noise.RECORD`; its ``z`` the state counts,
    updated in place; its ``y`` a stand-in until :meth:`NetworkNoise.records`).
    """

    populations: tuple
    method: str
    channels: tuple
    group: int
    cols: np.ndarray
    rows: tuple
    counts: np.ndarray
    NZ: tuple


@dataclass
class NetworkNoise:
    """The noisy cells of a network, lowered: one :class:`NoiseBlock` per (structure group,
    method, noisy channels); ``per_population``: name -> its JSON description."""

    blocks: tuple
    per_population: dict

    def records(self, Y: tuple) -> tuple:
        """The loop's record ``NZ``: :data:`MAX_BLOCKS` block records (see
        :mod:`hhsim.engine.network_noise`), the blocks' bound to the run's state arrays ``Y``
        (one per structure group; the noisy gates' states are written there as the counts'
        mean fractions of open subunits), then empty ones (no cells), so that the loop's types,
        and so its compiled code, are the same whatever the number of blocks."""
        at, nodes = RECORD.index("y"), RECORD.index("nodes")
        out = [(*b.NZ[:at], Y[b.group], *b.NZ[at + 1:]) for b in self.blocks]
        empty = (*out[0][:nodes], np.zeros(0, dtype=np.int64), *out[0][nodes + 1:])
        return tuple(out + [empty] * (MAX_BLOCKS - len(out)))

    def without_noisy_gbar(self, P: tuple) -> tuple:
        """The run's membrane parameters ``P`` (one :class:`~hhsim.engine.network_tables.Membranes`
        per structure group) with the noisy channels of the noisy cells at gbar 0 in a copy
        (their conductance comes from the counts)."""
        P = list(P)
        for b in self.blocks:
            gbar = np.array(P[b.group].gbar, dtype=float, copy=True)
            for r in b.rows:
                gbar[r, b.cols] = 0.0
            P[b.group] = P[b.group]._replace(gbar=gbar)
        return tuple(P)

    def describe(self) -> dict:
        """JSON-ready: population -> method, area (µm²), densities, channels per cell."""
        return dict(self.per_population)


def lower_network_noise(net, plan, dt: float, method: str) -> NetworkNoise | None:
    """The noisy cells of ``net`` (lowered as ``plan``, a
    :class:`~hhsim.engine.network_lower.NetworkPlan`) for steps of ``dt`` ms of the
    network's ``method``, or None."""
    noisy = [p for p in net.populations if getattr(p, "noise", None) is not None]
    if not noisy:
        return None
    if method not in FIXED_METHODS:
        raise ParameterError(f"channel noise in a network runs on fixed steps; method {method!r} is not accepted "
                             f"with noisy populations (accepted: {', '.join(FIXED_METHODS)})")
    by_key: dict = {}
    described = {}
    for p in noisy:
        check_population_noise(p.name, p.noise, p.model)
        cnt = counts_per_node(p.noise, p.model, plan.pop_range[p.name][1])
        key = (plan.pop_group[p.name], p.noise.method, tuple(cnt))
        by_key.setdefault(key, []).append((p, cnt))
        d = p.noise.describe()
        d.pop("seed", None)
        d["channels_per_cell"] = {name: int(c[0]) for name, c in cnt.items()}
        described[p.name] = d
    if len(by_key) > MAX_BLOCKS:
        raise ParameterError(f"{len(by_key)} groups of noisy populations (by membrane structure, method and noisy "
                             f"channels) is too many; accepted: at most {MAX_BLOCKS} per network")
    blocks = tuple(_block(net, plan, gi, method_name, members, dt)
                   for (gi, method_name, _), members in by_key.items())
    return NetworkNoise(blocks=blocks, per_population=described)


def _block(net, plan, gi: int, method: str, members: list, dt: float) -> NoiseBlock:
    """One :class:`NoiseBlock`: the populations ``members`` ((population, counts per cell)) of
    structure group ``gi`` with noise ``method``."""
    group = plan.groups[gi]
    model = members[0][0].model
    cols, counts = [], {}
    for p, cnt in members:
        first, n = plan.pop_range[p.name]
        cols.append(np.arange(first - group.base, first - group.base + n))
        for name, c in cnt.items():
            counts.setdefault(name, []).append(c)
    cols = np.concatenate(cols)
    counts = {name: np.concatenate(c) for name, c in counts.items()}
    np_plan = noise_plan(model, group.plan.columns(cols), counts, dt)
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
        "spk_n": np.zeros(m, dtype=np.int64), "node_id": nodes.copy(), "y": np.zeros((1, 1)),
        "cols": cols.astype(np.int64), "vlo": float(VLO), "vh": float(VH),
        "method": _CODES[method], "seed": np.uint64(net.seed),
    }
    values["run"] = _run_function(values)
    names = [c.name for c in model.channels]
    return NoiseBlock(populations=tuple(p.name for p, _ in members), method=method, channels=np_plan.noisy,
                      group=gi, cols=cols, rows=tuple(names.index(ch) for ch in np_plan.noisy),
                      counts=np_plan.counts, NZ=tuple(values[k] for k in RECORD))


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
