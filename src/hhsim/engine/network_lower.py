"""Lower a :class:`~hhsim.network.network.Network` to nodes, coupling and event edges.

* **nodes**: every neuron, numbered structure by structure (so each
  structure's nodes are one contiguous run and one :class:`Plan`), with its
  threshold and refractory period, stimulus waveform and scale, noise, and the states of the
  linear synapse groups summed on it;
* **coupling**: gap junctions and graded synapses (continuous in the
  presynaptic voltage), as per-node lists;
* **event edges**: every synapse from a spike source (neuron or external
  source) to a node, sorted by source, with weight (mS/cm²), delay (ms),
  synapse group, and optional per-edge kinetic and plasticity state.

Randomness comes from ``numpy.random.SeedSequence([seed, purpose, index])``
streams, so the same seed gives the same network whatever else changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from ..errors import ParameterError
from ..model import Model
from . import pages
from .batch import Grid, stimulus_knots
from .network_kernels import IMMEDIATE, IMMEDIATE_SORTED
from .network_tables import (STDP, Drive, EventEdges, GapJunctions, GradedSynapses, KineticSynapses, LinearSynapses,
                             PoissonInputs, ShortTermPlasticity)

if TYPE_CHECKING:
    from ..network.network import Network, Population


class _Lazy:
    """A module of :mod:`hhsim.network`, imported on first use (that package imports this one)."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr):
        import importlib

        return getattr(importlib.import_module(f"hhsim.network.{self._name}"), attr)


_connect = _Lazy("connect")
_dist = _Lazy("distributions")
from ..physics.structure import Plan, lower, structure_of

# SeedSequence purposes: every random draw has its own stream.
_CONNECT, _WEIGHT, _DELAY, _PARAM, _INITIAL, _SOURCE, _SCALE = range(1, 8)

#: Bytes per event edge in the lowered arrays (post 4, weight 8, delay 8, group 1,
#: kinetic and plasticity slots 4 + 4).
EDGE_BYTES = 29
#: Bytes per plasticity slot (an edge with short-term or spike-timing-dependent
#: plasticity): the short-term state (32) and the STDP record's per-slot columns (56).
SLOT_BYTES = 88


def stream(seed: int, purpose: int, index: int) -> np.random.Generator:
    """The random generator of one purpose and index under the network's seed."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), purpose, index]))


@dataclass
class StructureGroup:
    plan: Plan
    base: int  # first global node


@dataclass
class NetworkPlan:
    """Everything the driver needs, as arrays (see :mod:`hhsim.engine.network_driver`)."""

    n_nodes: int
    groups: list[StructureGroup]
    pop_range: dict[str, tuple[int, int]]  # population -> (first node, n)
    pop_group: dict[str, int]
    source_range: dict[str, tuple[int, int]]  # source -> (first source id, n)
    v0: np.ndarray
    thr: np.ndarray
    refr: np.ndarray  # each node's dead time for spike emission (ms)
    ST: Drive
    LIN: LinearSynapses
    KIN: KineticSynapses
    GR: GradedSynapses
    GAP: GapJunctions
    E: EventEdges
    STP: ShortTermPlasticity
    PIN: PoissonInputs
    lin_names: list[tuple[str, str]]  # (population, group name) of each linear group
    n_edges: int
    n_buckets: int
    ext_t: np.ndarray
    ext_src: np.ndarray
    cables: list = field(default_factory=list)  # cable-cell populations (see _cable_cells)
    PL: STDP | None = None  # spike-timing-dependent plasticity (see network_kernels)
    meta: dict = field(default_factory=dict)


# ------------------------------------------------------------------ values
#: What a weight measures -> the unit kinds it may be given in.
_WEIGHT_UNITS = {"conductance": ("conductance", "conductance density"),
                 "current": ("current", "current density")}


def _density_factor(unit: str, area: float | None, what: str, measure: str) -> float:
    """Factor from ``unit`` to mS/cm² (a conductance) or µA/cm² (a current) on a membrane of
    ``area`` µm²; a unit of another kind is refused (a conductance weight in pA is a mistake)."""
    kind = _dist.unit_kind(unit)
    if kind not in _WEIGHT_UNITS[measure]:
        accepted = ("nS, pS, uS (with the population's area_um2) or mS/cm2" if measure == "conductance"
                    else "pA, nA, uA (with the population's area_um2) or uA/cm2")
        raise ParameterError(f"{what} in {unit} is a {kind}; this synapse's weight is a {measure}: {accepted}")
    if kind.endswith("density"):
        return 1.0
    if area is None:
        raise ParameterError(f"{what} in {unit} needs the target population's area (area_um2)")
    return _dist.to_density(1.0, unit, area)


def values(spec, n: int, rng: np.random.Generator, what: str, area: float | None = None,
           conductance: bool = False, current: bool = False, one_if_constant: bool = False) -> np.ndarray:
    """``n`` float values of ``spec`` (number, array, distribution, or a quantity with units:
    ``conductance`` or ``current`` says which the value measures, converted to mS/cm² or
    µA/cm² through the target's ``area`` µm²).  With ``one_if_constant``, a constant gives
    one value (the caller broadcasts it: no array of n equal values; a constant draws
    nothing from ``rng``)."""
    measure = "current" if current else "conductance" if conductance else None
    unit = ""
    if isinstance(spec, str) and measure:
        try:
            value, unit = _dist.parse_quantity(spec)
            spec = value
        except ParameterError:
            pass
    if isinstance(spec, dict) and "unit" in spec:
        spec = dict(spec)
        unit = str(spec.pop("unit"))
        if len(spec) == 1 and "value" in spec:
            spec = spec["value"]
    spec = _dist.parse(spec)
    if one_if_constant and isinstance(spec, _dist.Constant):
        n = min(n, 1)
    out = _dist.sample(spec, n, rng)
    if unit:
        if measure is None:
            raise ParameterError(f"{what} takes no unit (got {unit!r})")
        out = out * _density_factor(unit, area, what, measure)
    if not np.all(np.isfinite(out)):
        raise ParameterError(f"{what} must be finite numbers")
    return out


# ------------------------------------------------------------------- nodes
def _is_cable(pop) -> bool:
    return not isinstance(pop.model, Model)


def _proxy_model() -> Model:
    """The membrane of a cable cell's node in the network arrays: a stand-in that the
    driver integrates and the cable's synapse-node V then overwrites every step (it
    never detects a spike: the cable's own detection node does)."""
    from ..channels.leak import leak

    # a threshold no membrane reaches short of divergence (the highest a Model accepts)
    return Model(name="cable_proxy", channels=(leak(1e-9, 0.0),), Cm=1.0, spike_threshold=1000.0)


def _membrane(pop) -> Model:
    return _proxy_model() if _is_cable(pop) else pop.model


def _population_models(pop: Population, seed: int, k: int) -> list[Model]:
    if _is_cable(pop):
        return [_membrane(pop)] * pop.n
    if not pop.params:
        return [pop.model] * pop.n
    rng = stream(seed, _PARAM, k)
    cols = {name: values(spec, pop.n, rng, f"population {pop.name!r} parameter {name!r}")
            for name, spec in pop.params.items()}
    cache: dict = {}
    out = []
    for i in range(pop.n):
        key = tuple(float(c[i]) for c in cols.values())
        if key not in cache:
            cache[key] = pop.model.with_params(dict(zip(cols, key)))
        out.append(cache[key])
    return out


def _population_initial(pop: Population, models: list[Model], seed: int, k: int):
    """[(v0, states)] per neuron: given values, else the model's start; gates not
    given at steady state at their V."""
    if _is_cable(pop):
        return [m.initial_state() for m in models]
    rng = stream(seed, _INITIAL, k)
    given = {("v" if key == "V" else key): spec for key, spec in pop.initial.items() if not key.startswith("g_")}
    v_spec = given.pop("v", None)
    cols = {name: values(spec, pop.n, rng, f"population {pop.name!r} initial {name!r}")
            for name, spec in given.items()}
    names = pop.model.state_names
    if v_spec is None:
        starts = {}
        out = []
        for m in models:
            if id(m) not in starts:
                starts[id(m)] = m.initial_state()
            out.append(starts[id(m)])
        if not cols:
            return out
        vs = np.array([o[0] for o in out])
    else:
        vs = values(v_spec, pop.n, rng, f"population {pop.name!r} initial 'v'")
    states = _steady_states(models, vs)
    for name, col in cols.items():
        states[:, names.index(name)] = col
    return [(float(vs[i]), states[i]) for i in range(len(models))]


def _steady_states(models: list[Model], vs: np.ndarray) -> np.ndarray:
    """(n, n_states): each model's states at steady state at its V.  Models without
    ion pools in one vectorised evaluation of the engine's NumPy physics (gates
    x_inf = A / B, instantaneous gates their value); with pools, one by one."""
    from ..physics.evaluate import physics

    out = np.empty((len(models), len(models[0].state_names)))
    by_model: dict[int, list[int]] = {}
    for i, m in enumerate(models):
        by_model.setdefault(id(m), []).append(i)
    for idx in by_model.values():
        m = models[idx[0]]
        v = np.asarray(vs, dtype=float)[idx]
        if m.pools:
            for i, vi in zip(idx, v):
                out[i] = m.steady_states(float(vi))
            continue
        p = lower(m)
        n = len(idx)
        rep = Plan(p.structure, *(np.repeat(a[..., :1], n, axis=-1) for a in
                                  (p.gbar, p.erev, p.phi, p.cm, p.rp, p.v0, p.y0, p.threshold)))
        ph = physics(rep, v, rep.y0)
        inst = np.array([g.instantaneous for g in p.structure.gates], dtype=bool)
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(inst[:, None], ph["x_eff"], ph["A"] / ph["B"])
        out[idx] = x.T
    return out


def _order_populations(net: Network) -> list[list[int]]:
    """Population indices grouped by membrane structure (first appearance order)."""
    keys, groups = [], []
    for k, pop in enumerate(net.populations):
        s = structure_of(_membrane(pop))
        if s in keys:
            groups[keys.index(s)].append(k)
        else:
            keys.append(s)
            groups.append([k])
    return groups


# ------------------------------------------------------------------ lowering
def lower_network(net: Network, grid: Grid) -> NetworkPlan:
    """Lower ``net`` for a run on ``grid``."""
    seed = net.seed
    pop_range, pop_group, groups = {}, {}, []
    v0_parts, thr_parts, refr_parts = [], [], []
    node = 0
    pop_index = {p.name: k for k, p in enumerate(net.populations)}
    for gi, members in enumerate(_order_populations(net)):
        models, initial = [], []
        base = node
        for k in members:
            pop = net.populations[k]
            ms = _population_models(pop, seed, k)
            models += ms
            initial += _population_initial(pop, ms, seed, k)
            pop_range[pop.name] = (node, pop.n)
            pop_group[pop.name] = gi
            node += pop.n
            # a cable population's threshold is its detection node's (_cable_cells), never its proxy's
            thr = _membrane(pop).spike_threshold if pop.threshold is None or _is_cable(pop) else float(pop.threshold)
            thr_parts.append(np.full(pop.n, thr))
            refr_parts.append(np.full(pop.n, float(pop.refractory)))
        plan = lower(models, initial=initial)
        groups.append(StructureGroup(plan, base))
        v0_parts.append(plan.v0)
    n_nodes = node
    source_range, s_next = {}, n_nodes
    for src in net.sources:
        source_range[src.name] = (s_next, src.n)
        s_next += src.n
    cables = _cable_cells(net, pop_range, grid)
    pops = {p.name: p for p in net.populations}
    for c in cables:  # a cable population's weights in nS go through its synapse node's area
        pops[c["population"]] = SimpleNamespace(area_um2=c["area_um2"])

    st = _stimuli(net, pop_range, grid, n_nodes, seed)
    lin, lin_keys, lin_names = _linear_groups(net, pop_range, n_nodes, pops, seed, grid.dt)
    edges = _edges(net, pop_range, source_range, pops, lin_keys, seed, n_nodes)
    ext_t, ext_src = _external_spikes(net, source_range, grid, seed)
    v0 = np.concatenate(v0_parts)
    for c in cables:
        v0[c["first"]:c["first"] + c["n"]] = c["stepper"].v[c["site"]]
    gr = _graded(net, pop_range, pops, v0, seed, n_nodes)
    gap = _gaps(net, pop_range, pops, seed, n_nodes)
    pin = _poisson_inputs(net, pop_range, pops, lin_keys, n_nodes, grid.dt)
    E, KIN, STP, n_edges, max_delay, PL, plastic = edges
    KIN = KIN._replace(mg=_mg(net, pop_range, n_nodes))
    n_buckets = int(math.ceil(max_delay / grid.dt)) + 3
    n_coupling = int(gr.group.size) + int(gap.nbr.size) // 2  # graded synapses; gap junctions (pairs)
    return NetworkPlan(
        n_nodes=n_nodes, groups=groups, pop_range=pop_range, pop_group=pop_group, source_range=source_range,
        v0=v0, thr=np.concatenate(thr_parts), refr=np.concatenate(refr_parts), ST=st, LIN=lin, KIN=KIN, GR=gr, GAP=gap, E=E, STP=STP, PIN=pin,
        lin_names=lin_names, n_edges=n_edges, n_buckets=n_buckets, ext_t=ext_t, ext_src=ext_src, cables=cables,
        PL=PL, meta={"populations": [pop_index], "n_synapses": n_edges + n_coupling, "plastic": plastic},
    )


def _cable_cells(net: Network, pop_range, grid: Grid) -> list[dict]:
    """For each population of cable cells: a stepper of its cell (the cells of a
    population are alike: the compiled loop steps copies of its state,
    :mod:`hhsim.engine.network_cables`), its synapse and detection nodes, the synapse
    node's area (µm²) and the threshold (mV)."""
    out = []
    for pop in net.populations:
        if not _is_cable(pop):
            continue
        cell = pop.model
        stepper = cell.stepper(grid.dt)
        site = cell.node(stepper, cell.synapse_at)
        detect = cell.node(stepper, cell.detect_at)
        first, n = pop_range[pop.name]
        out.append({"population": pop.name, "first": first, "n": n, "stepper": stepper, "site": site,
                    "detect": detect, "area_um2": float(stepper.area[site]),
                    "threshold": float(cell.threshold if pop.threshold is None else pop.threshold)})
    return out


def _stimuli(net: Network, pop_range, grid: Grid, n_nodes: int, seed: int) -> Drive:
    waves, index = [], {}
    wave = np.full(n_nodes, -1, dtype=np.int64)
    scale = np.ones(n_nodes)
    for k, pop in enumerate(net.populations):
        first, n = pop_range[pop.name]
        per = pop.stim if isinstance(pop.stim, (list, tuple)) else [pop.stim] * n
        for i, s in enumerate(per):
            if s is None:
                continue
            if id(s) not in index:
                index[id(s)] = len(waves)
                waves.append(s)
            wave[first + i] = index[id(s)]
        if pop.stim_scale is not None:
            scale[first:first + n] = values(pop.stim_scale, n, stream(seed, _SCALE, k),
                                            f"population {pop.name!r} stim_scale")
    kt, ka, kb, kj = stimulus_knots(waves or [None], grid)
    _snap_to_grid(kt, grid)
    noise_p = np.zeros((n_nodes, 3))
    for nz in net.noise:
        first, n = pop_range[nz.target]
        noise_p[first:first + n] = (nz.mean, nz.std, nz.tau)
    noise_I = noise_p[:, 0].copy()
    cursor = np.zeros(kt.shape[0], dtype=np.int64)
    nw = kt.shape[0]
    return Drive(kt, ka, kb, cursor, wave, scale, noise_p, noise_I, kj, wa=np.zeros(nw), wm=np.zeros(nw),
                 wb=np.zeros(nw), wk=np.zeros(nw), noise_nodes=np.flatnonzero(noise_p[:, 2] > 0.0).astype(np.int64))


def _snap_to_grid(kt: np.ndarray, grid: Grid) -> None:
    """Move knots within rounding error of a grid time onto it (``0.025 * 400`` is
    ``10.000000000000002``), so a stimulus edge at a grid time never splits a step."""
    k = np.rint((kt - grid.t0) / grid.dt)
    on_grid = grid.t0 + k * grid.dt
    near = np.abs(kt - on_grid) <= 1e-9 * grid.dt
    kt[near] = on_grid[near]


def _linear_groups(net: Network, pop_range, n_nodes: int, pops, seed: int, dt: float):
    """Linear synapse groups: one per (target population, group name)."""
    keys: dict[tuple[str, str], int] = {}
    syns = []
    for item in [*net.projections, *net.inputs]:
        if item.synapse.family != "linear":
            continue
        post = item.post if hasattr(item, "post") else item.target
        name = item.name or item.synapse.kind
        key = (post, name)
        if key in keys:
            if syns[keys[key]] != item.synapse:
                raise ParameterError(
                    f"synapse group {name!r} on population {post!r} is used with two different synapses; "
                    "give the projections different names")
            continue
        keys[key] = len(syns)
        syns.append(item.synapse)
    ng = len(syns)
    kind = np.array([s.code for s in syns], dtype=np.int64)
    taus = np.array([s.taus() for s in syns], dtype=float).reshape(ng, 3)
    # a current group adds its state to G*E only: E 1 and no share of G (``lin_cg`` 0)
    E = np.array([1.0 if s.current else s.E for s in syns], dtype=float)
    cg = np.array([0.0 if s.current else 1.0 for s in syns], dtype=float)
    A = np.zeros((ng, n_nodes))
    B = np.zeros((ng, n_nodes))
    for k, pop in enumerate(net.populations):
        for key, spec in pop.initial.items():
            if not key.startswith("g_"):
                continue
            g = keys.get((pop.name, key[2:]))
            if g is None:
                names = [n for (p, n) in keys if p == pop.name]
                raise ParameterError(
                    f"initial {key!r} of population {pop.name!r} names no synapse group on it; accepted: "
                    + (", ".join(f"g_{n}" for n in names) or "none (no linear synapses target it)"))
            first, n = pop_range[pop.name]
            A[g, first:first + n] = values(spec, n, stream(seed, _INITIAL, 1000 + g),
                                           f"population {pop.name!r} initial {key!r}", pop.area_um2,
                                           conductance=not syns[g].current, current=syns[g].current)
    if ng > 127:
        raise ParameterError(f"{ng} linear synapse groups is too many; at most 127 are accepted")
    d1, d2 = np.exp(-dt / taus[:, 0]), np.exp(-dt / taus[:, 1])
    h1, h2 = np.exp(-0.5 * dt / taus[:, 0]), np.exp(-0.5 * dt / taus[:, 1])
    lin = LinearSynapses(kind, tau1=taus[:, 0].copy(), tau2=taus[:, 1].copy(), E=E, norm=taus[:, 2].copy(), A=A,
                         B=B, d1=d1, d2=d2, dA=np.zeros_like(A), dB=np.zeros_like(B), h1=h1, h2=h2, cg=cg)
    return lin, keys, [k for k in keys]


def _pre_ids(name: str, pop_range, source_range) -> tuple[int, int]:
    return pop_range[name] if name in pop_range else source_range[name]


@njit(cache=True, fastmath=False)
def _place(pre, post, w, d, pre0, post0, group, kq, stp, cursor, out_post, out_w, out_d, out_group, out_kq,
           out_stp):
    """Write one projection's edges at their places in the source-sorted arrays
    (a counting sort: ``cursor[s]`` is the next free place of source s); ``w`` and ``d``
    hold one value per edge, or one for all."""
    w_step = 1 if w.shape[0] > 1 else 0
    d_step = 1 if d.shape[0] > 1 else 0
    for k in range(pre.shape[0]):
        s = pre[k] + pre0
        at = cursor[s]
        cursor[s] = at + 1
        out_post[at] = post[k] + post0
        out_w[at] = w[k * w_step]
        out_d[at] = d[k * d_step]
        out_group[at] = group
        out_kq[at] = kq
        out_stp[at] = stp


def _edges(net: Network, pop_range, source_range, pops, lin_keys, seed: int, n_nodes: int):
    """Event edges sorted by source, with the kinetic and plasticity tables.

    Built by a counting sort: each projection's pairs are drawn and counted per
    source, then its weights and delays drawn and every edge written at its place
    in the final arrays, so the peak is the final arrays (29 bytes per synapse)
    plus the pairs (8) plus one projection's weights and delays.
    """
    kin_groups: list = []
    stp_rows: list = []
    n_src = n_nodes + sum(s.n for s in net.sources)
    counts = np.zeros(n_src, dtype=np.int64)
    pairs = []
    for k, pr in enumerate(net.projections):
        if pr.synapse.family not in ("linear", "kinetic"):
            continue
        pre0, npre = _pre_ids(pr.pre, pop_range, source_range)
        post0, npost = pop_range[pr.post]
        pre, post = _connect.connect(pr.connect, npre, npost, seed=[seed, _CONNECT, k],
                                     same_population=(pr.pre == pr.post))
        counts[pre0:pre0 + npre] += np.bincount(pre, minlength=npre)
        pairs.append((k, pr, pre, post, pre0, post0))
    out_ptr = np.zeros(n_src + 1, dtype=np.int64)
    np.cumsum(counts, out=out_ptr[1:])
    m_all = int(out_ptr[-1])
    # the edge tables, written once here and read a spike's edges at a time: small pages
    post = pages.empty(m_all, np.int32)
    w = pages.empty(m_all, np.float64)
    d = pages.empty(m_all, np.float64)
    group = pages.empty(m_all, np.int8)
    kq = pages.empty(m_all, np.int32)
    stp_of = pages.empty(m_all, np.int32)
    cursor = out_ptr[:-1].copy()
    while pairs:
        k, pr, pre, post_local, pre0, post0 = pairs.pop(0)
        m = pre.size
        area = pops[pr.post].area_um2
        current = pr.synapse.current
        # a constant weight or delay stays one value (_place spreads it): no temporary
        # array of m equal values (8 bytes per synapse each)
        wk = values(pr.weight, m, stream(seed, _WEIGHT, k), f"projection {pr.pre}->{pr.post} weight", area,
                    conductance=not current, current=current, one_if_constant=True)
        dk = values(pr.delay, m, stream(seed, _DELAY, k), f"projection {pr.pre}->{pr.post} delay",
                    one_if_constant=True)
        if not current and np.any(wk < 0):
            raise ParameterError(f"projection {pr.pre}->{pr.post}: weights must be >= 0 (the synapse's "
                                 "reversal potential makes it excitatory or inhibitory)")
        if np.any(dk < 0):
            raise ParameterError(f"projection {pr.pre}->{pr.post}: delays must be >= 0 ms")
        g, q = -1, -1
        if pr.synapse.family == "linear":
            g = lin_keys[(pr.post, pr.group_name)]
        else:
            q = len(kin_groups)
            kin_groups.append(pr.synapse)
        stp = -1
        if pr.stp is not None or pr.stdp is not None:
            stp = len(stp_rows)
            stp_rows.append((k, pr, _stdp_rule(pr, pops, wk)))
        _place(pre, post_local, wk, dk, pre0, post0, g, q, stp, cursor, post, w, d, group, kq, stp_of)
        del pre, post_local, wk, dk
    # kinetic edges: their own numbering, grouped by target
    kin_ids = np.nonzero(kq >= 0)[0]
    kin_post = post[kin_ids]
    kin_order = np.argsort(kin_post, kind="stable").astype(np.int64)
    kin_ptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(kin_post, minlength=n_nodes), out=kin_ptr[1:])
    kin_group = kq[kin_ids].astype(np.int64)
    kin_w = w[kin_ids].copy()
    e_kin = kq  # reused in place: from here on, each edge's kinetic-state index (or -1)
    e_kin[kin_ids] = np.arange(kin_ids.size, dtype=np.int32)
    nk = len(kin_groups)
    kg_kind = np.array([s.rates()[0] for s in kin_groups], dtype=np.int64)
    kg_p = np.array([s.rates()[1] for s in kin_groups], dtype=float).reshape(nk, 7)
    kg_E = np.array([s.E for s in kin_groups], dtype=float)
    kg_nmda = np.array([bool(getattr(s, "nmda", False)) for s in kin_groups], dtype=np.bool_)
    kg_T = np.array([s.rates()[2] for s in kin_groups], dtype=float)
    nke = kin_ids.size
    KIN = KineticSynapses(kin_ptr, kin_order, kin_group, kin_w, kg_kind, kg_p, kg_E, kg_nmda, kg_T,
                          r=np.zeros(nke), g2=np.zeros(nke), tlast=np.full(nke, 0.0), pend=np.full(nke, -1.0),
                          T=np.zeros(nke), mg=np.zeros(0))  # mg: the caller's (_mg)
    # plasticity slots: one per edge that has short-term or spike-timing-dependent plasticity
    # (U = 0 in a slot's row: no short-term plasticity)
    stp_ids = np.nonzero(stp_of >= 0)[0]
    table = np.array([[r[1].stp.U, r[1].stp.tau_rec, r[1].stp.tau_fac] if r[1].stp is not None else [0.0, 1.0, 0.0]
                      for r in stp_rows], dtype=float).reshape(len(stp_rows), 3)
    slot_row = stp_of[stp_ids].astype(np.int64)
    stp_p = table[slot_row] if stp_ids.size else np.zeros((0, 3))
    e_stp = stp_of  # reused in place: each edge's plasticity slot (or -1)
    e_stp[stp_ids] = np.arange(stp_ids.size, dtype=np.int32)
    ns = stp_ids.size
    STP = ShortTermPlasticity(stp_p, u=np.zeros(ns), x=np.ones(ns), t=np.full(ns, -1e301))
    E = EventEdges(post, w, d, group, e_kin, e_stp, out_ptr, immediate=_immediate(out_ptr, post, d, group, e_stp))
    PL, plastic = _plasticity(stp_rows, slot_row, stp_ids, post, w, d, out_ptr, pop_range, source_range, n_nodes)
    max_delay = float(d.max()) if d.size else 0.0
    return E, KIN, STP, int(w.size), max_delay, PL, plastic


@njit(cache=True, fastmath=False)
def _immediate(out_ptr, post, delay, group, slot) -> np.ndarray:
    """Per presynaptic id: ``IMMEDIATE`` where every outgoing edge is linear (``group`` >= 0),
    without plasticity (``slot`` < 0) and of delay 0, so that a spike's edges all go
    straight to the next step's start (see ``network_kernels.push_queued``);
    ``IMMEDIATE_SORTED`` where, besides, its edges are in order of their targets, so that
    a thread finds the edges to its own nodes by bisection (``deliver_late``); else 0.
    A loop over the edges in place: array expressions over them would allocate several
    bytes per synapse (gigabytes for 80 million synapses) just to read them once."""
    n_ids = out_ptr.size - 1
    out = np.full(n_ids, IMMEDIATE_SORTED, dtype=np.int8)
    for i in range(n_ids):
        for e in range(out_ptr[i], out_ptr[i + 1]):
            if delay[e] != 0.0 or group[e] < 0 or slot[e] >= 0:
                out[i] = 0
                break
            if e > out_ptr[i] and post[e] < post[e - 1]:
                out[i] = IMMEDIATE
    return out


#: Spikes of each plastic target kept for its synapses (the history NEST's
#: ``stdp_synapse`` reads); enough unless this many spikes fall within two
#: dendritic delays (the run then stops with an error, see ``stdp_post``).
STDP_HISTORY = 128


def _stdp_rule(pr, pops, w: np.ndarray):
    """(tau_plus, tau_minus, A_plus, A_minus, w_max, w_min, multiplicative, dendritic share) of
    projection ``pr``'s STDP (bounds in mS/cm²), or None; its weights ``w`` must lie within
    the bounds."""
    rule = pr.stdp
    if rule is None:
        return None
    where = f"projection {pr.pre}->{pr.post} stdp"
    area = pops[pr.post].area_um2
    wmax = float(values(rule.w_max, 1, np.random.default_rng(0), f"{where} w_max", area, conductance=True)[0])
    wmin = float(values(rule.w_min, 1, np.random.default_rng(0), f"{where} w_min", area, conductance=True)[0])
    if not (0.0 <= wmin < wmax):
        raise ParameterError(f"{where} bounds reversed or negative: w_min = {wmin:g}, w_max = {wmax:g} mS/cm2; "
                             "accepted: 0 <= w_min < w_max")
    if w.size and (w.min() < wmin * (1 - 1e-12) or w.max() > wmax * (1 + 1e-12)):
        raise ParameterError(f"projection {pr.pre}->{pr.post}: the weights ({w.min():g} .. {w.max():g} mS/cm2) "
                             f"must lie within the stdp bounds [{wmin:g}, {wmax:g}] mS/cm2")
    return (rule.tau_plus, rule.tau_minus, rule.A_plus, rule.A_minus, wmax, wmin, float(rule.multiplicative),
            rule.dendritic_share)


def _plasticity(rows, slot_row, slot_edge, post, w, d, out_ptr, pop_range, source_range, n_nodes: int):
    """The STDP record ``PL`` (see :mod:`hhsim.engine.network_kernels`) and, per plastic
    projection, (label, its slots' edges, pre and post indices, w_max mS/cm²)."""
    rules = [r[2] for r in rows]
    ns = slot_edge.size
    pl_p = np.array([r[:7] for r in rules if r is not None], dtype=float).reshape(-1, 7)
    rule_of_row = np.full(len(rows), -1, dtype=np.int64)
    k = 0
    for q, r in enumerate(rules):
        if r is not None:
            rule_of_row[q] = k
            k += 1
    pl_rule = rule_of_row[slot_row] if ns else np.zeros(0, dtype=np.int64)
    share = np.array([r[7] if r is not None else 0.0 for r in rules])
    pl_dd = d[slot_edge] * share[slot_row] if ns else np.zeros(0)
    plastic_slots = np.nonzero(pl_rule >= 0)[0]
    targets = post[slot_edge[plastic_slots]].astype(np.int64)
    pl_row = np.full(n_nodes, -1, dtype=np.int64)
    uniq = np.unique(targets)
    pl_row[uniq] = np.arange(uniq.size)
    pl_tau = np.zeros(uniq.size)
    tau_of = pl_p[pl_rule[plastic_slots], 1] if plastic_slots.size else np.zeros(0)
    pl_tau[pl_row[targets]] = tau_of
    if plastic_slots.size and np.any(pl_tau[pl_row[targets]] != tau_of):
        raise ParameterError("the STDP rules of the projections onto one population must share tau_minus "
                             "(its postsynaptic trace)")
    order = np.argsort(targets, kind="stable")
    pl_in = plastic_slots[order].astype(np.int64)
    pl_in_ptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(targets, minlength=n_nodes), out=pl_in_ptr[1:])
    H = STDP_HISTORY
    if not plastic_slots.size:  # only pl_row is read (one look per spike): the per-node tables stay empty
        pl_in_ptr = np.zeros(1, dtype=np.int64)
    PL = STDP(pl_p, pl_rule.astype(np.int64), x=np.zeros(ns), s=np.full(ns, -1e301), k=np.zeros(ns, dtype=np.int64),
              edge=slot_edge.astype(np.int64), dd=np.ascontiguousarray(pl_dd, dtype=float), row=pl_row,
              n=np.zeros(n_nodes if plastic_slots.size else 0, dtype=np.int64), rt=np.zeros((uniq.size, H)),
              ry=np.zeros((uniq.size, H)), tau=pl_tau, in_ptr=pl_in_ptr, inbound=pl_in, w=w,
              flag=np.zeros(1, dtype=np.int64))
    plastic = []
    for q, (k, pr, r) in enumerate(rows):
        if r is None:
            continue
        edges = slot_edge[slot_row == q]
        src = np.searchsorted(out_ptr, edges, side="right") - 1
        pre0 = _pre_ids(pr.pre, pop_range, source_range)[0]
        post0 = pop_range[pr.post][0]
        label = pr.name or f"{pr.pre}->{pr.post}"
        plastic.append({"label": label, "index": k, "edges": edges, "pre": (src - pre0).astype(np.int64),
                        "post": (post[edges] - post0).astype(np.int64), "w_max": r[4], "w_min": r[5]})
    return PL, plastic


def _external_spikes(net: Network, source_range, grid: Grid, seed: int):
    """Every external source's spike times in [t0, t_end), sorted by time then source."""
    ts, ids = [np.zeros(0)], [np.zeros(0, dtype=np.int64)]
    t_end = grid.t_end
    for k, src in enumerate(net.sources):
        first, n = source_range[src.name]
        if src.times_ms is not None:
            trains = src.times_ms
            if n == 1 and np.ndim(trains) == 1:
                trains = [trains]
            if len(trains) != n:
                raise ParameterError(f"source {src.name!r} needs one list of times per source ({n})")
            for i, tr in enumerate(trains):
                tr = np.asarray(tr, dtype=float).ravel()
                if not np.all(np.isfinite(tr)) or np.any(tr < 0):
                    raise ParameterError(f"source {src.name!r}: spike times must be finite and >= 0 ms")
                tr = np.sort(tr[tr < t_end])
                ts.append(tr)
                ids.append(np.full(tr.size, first + i, dtype=np.int64))
            continue
        for i in range(n):
            rng = stream(seed, _SOURCE, 100000 * k + i)
            tr = _poisson_train(src.rate_hz, grid, rng, src.name)
            ts.append(tr)
            ids.append(np.full(tr.size, first + i, dtype=np.int64))
    t = np.concatenate(ts)
    s = np.concatenate(ids)
    order = np.lexsort((s, t))
    return t[order].copy(), s[order].copy()


def _poisson_train(rate, grid: Grid, rng, name: str) -> np.ndarray:
    """Poisson spike times (ms) at ``rate`` Hz (a number or a waveform of Hz, by thinning)."""
    t0, t_end = grid.t0, grid.t_end
    if isinstance(rate, (int, float)):
        peak = float(rate)
        accept = None
    else:
        tt = np.linspace(t0, t_end, max(2, int((t_end - t0) / min(grid.dt, 0.1)) + 1))
        vals = np.asarray(rate.value(tt), dtype=float)
        if np.any(vals < 0) or not np.all(np.isfinite(vals)):
            raise ParameterError(f"source {name!r}: the rate must be finite and >= 0 Hz everywhere")
        peak = float(vals.max()) * 1.01 + 1e-12
        accept = rate
    if peak <= 0:
        return np.zeros(0)
    expected = peak * (t_end - t0) / 1000.0
    n_draw = int(expected + 10 * math.sqrt(expected) + 20)
    isi = rng.exponential(1000.0 / peak, size=n_draw)
    t = t0 + np.cumsum(isi)
    while t[-1] < t_end:
        t = np.concatenate([t, t[-1] + np.cumsum(rng.exponential(1000.0 / peak, size=n_draw))])
    t = t[t < t_end]
    if accept is not None:
        keep = rng.random(t.size) * peak <= np.asarray(accept.value(t), dtype=float)
        t = t[keep]
    return t


def _graded(net: Network, pop_range, pops, v0, seed: int, n_nodes: int) -> GradedSynapses:
    projs = [(k, pr) for k, pr in enumerate(net.projections) if pr.synapse.family == "graded"]
    nq = len(projs)
    width = max([pop_range[pr.pre][1] for _, pr in projs], default=1)
    pre_nodes = np.full((nq, width), -1, dtype=np.int64)
    gp = np.zeros((nq, 3))
    gs = np.zeros((nq, width))
    gE = np.zeros(nq)
    posts, grp, slot, ws = [], [], [], []
    for q, (k, pr) in enumerate(projs):
        pre0, npre = pop_range[pr.pre]
        post0, npost = pop_range[pr.post]
        syn = pr.synapse
        pre_nodes[q, :npre] = np.arange(pre0, pre0 + npre)
        gp[q] = (syn.alpha, syn.beta, syn.theta)
        gE[q] = syn.E
        f = 1.0 / (1.0 + np.exp(-(v0[pre0:pre0 + npre] - syn.theta) / 2.0))
        gs[q, :npre] = syn.alpha * f / (syn.alpha * f + syn.beta)
        pre, post = _connect.connect(pr.connect, npre, npost, seed=[seed, _CONNECT, k],
                                     same_population=(pr.pre == pr.post))
        w = values(pr.weight, pre.size, stream(seed, _WEIGHT, k), f"projection {pr.pre}->{pr.post} weight",
                   pops[pr.post].area_um2, True)
        if np.any(w < 0):
            raise ParameterError(f"projection {pr.pre}->{pr.post}: weights must be >= 0")
        posts.append(post + post0)
        grp.append(np.full(pre.size, q, dtype=np.int64))
        slot.append(pre.astype(np.int64))
        ws.append(w)
    return GradedSynapses(pre_nodes, gp, gs, *_csr(n_nodes, posts, grp, slot, ws), E=gE)


def _csr(n_nodes: int, posts, *cols):
    """(ptr, col...) of per-node lists from parallel arrays of targets and values."""
    if posts:
        post = np.concatenate(posts).astype(np.int64)
        order = np.argsort(post, kind="stable")
        out = [np.concatenate(c)[order] for c in cols]
    else:
        post = np.zeros(0, dtype=np.int64)
        out = [np.zeros(0, dtype=np.int64) if c is not cols[-1] else np.zeros(0) for c in cols]
    ptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(post, minlength=n_nodes), out=ptr[1:])
    return (ptr, *out)


def _gaps(net: Network, pop_range, pops, seed: int, n_nodes: int) -> GapJunctions:
    posts, nbrs, gs = [], [], []
    for k, pr in enumerate(net.projections):
        if pr.synapse.family != "gap":
            continue
        pre0, npre = pop_range[pr.pre]
        post0, npost = pop_range[pr.post]
        pre, post = _connect.connect(pr.connect, npre, npost, seed=[seed, _CONNECT, k],
                                     same_population=(pr.pre == pr.post))
        what = f"gap junction {pr.pre}-{pr.post} weight"
        raw = pr.weight
        g_post = values(raw, pre.size, stream(seed, _WEIGHT, k), what, pops[pr.post].area_um2, True)
        g_pre = values(raw, pre.size, stream(seed, _WEIGHT, k), what, pops[pr.pre].area_um2, True)
        if np.any(g_post < 0):
            raise ParameterError(f"{what} must be >= 0")
        a, b = pre + pre0, post + post0
        posts += [b, a]
        nbrs += [a.astype(np.int64), b.astype(np.int64)]
        gs += [g_post, g_pre]
    ptr, nbr, g = _csr(n_nodes, posts, nbrs, gs)
    return GapJunctions(ptr, nbr, g, Gf=np.zeros(n_nodes), GEf=np.zeros(n_nodes))


#: Poisson input events one node may receive in one step (buffer size).
MAX_PIN_EVENTS = 512


def _poisson_inputs(net: Network, pop_range, pops, lin_keys, n_nodes: int, dt: float) -> PoissonInputs:
    posts, lam, grp, ws = [], [], [], []
    for pi in net.inputs:
        first, n = pop_range[pi.target]
        rate = pi.n_inputs * pi.rate_hz / 1000.0  # events per ms
        if rate * dt > MAX_PIN_EVENTS / 8:
            raise ParameterError(
                f"PoissonInput into {pi.target!r}: {rate * dt:.4g} events per step is too many; use a smaller dt")
        w = values(pi.weight, n, stream(0, _WEIGHT, 10**6), f"PoissonInput into {pi.target!r} weight",
                   pops[pi.target].area_um2, conductance=not pi.synapse.current, current=pi.synapse.current)
        posts.append(np.arange(first, first + n))
        lam.append(np.full(n, rate))
        grp.append(np.full(n, lin_keys[(pi.target, pi.name or pi.synapse.kind)], dtype=np.int64))
        ws.append(w)
    ptr, lam_, grp_, w_ = _csr(n_nodes, posts, lam, grp, ws)
    return PoissonInputs(ptr, lam_.astype(float), grp_.astype(np.int64), w_.astype(float),
                         t=np.zeros(MAX_PIN_EVENTS), k=np.zeros(MAX_PIN_EVENTS, dtype=np.int64),
                         cur=np.zeros(2, dtype=np.int64))


def _mg(net: Network, pop_range, n_nodes: int) -> np.ndarray:
    """[Mg2+]o (mM) seen by each node's NMDA receptors."""
    mg = np.ones(n_nodes)
    seen: dict[str, float] = {}
    for pr in net.projections:
        if getattr(pr.synapse, "nmda", False):
            if pr.post in seen and seen[pr.post] != pr.synapse.mg:
                raise ParameterError(f"NMDA synapses onto {pr.post!r} disagree on mg")
            seen[pr.post] = pr.synapse.mg
            first, n = pop_range[pr.post]
            mg[first:first + n] = pr.synapse.mg
    return mg
