"""Lowering a cable: channels per region -> per-node arrays for the kernels.

Every section gets a :class:`~hhsim.model.Model` (its region's channel set,
capacitance, temperature and spike threshold).  The kernel structure is the
union of all channels met (a channel is identified by its name and gate
structure); a node whose model lacks a channel gets zero conductance for it.
Units in the node arrays: membrane densities as in the models (mS/cm²,
µF/cm², mV); ``area`` converts a density in mS/cm² into µS at that node
(area in cm² x 1e3), ``cap`` is the node's capacitance in nF, axial and
boundary conductances are in µS and currents in nA.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.linalg.lapack import dgtsv

from .. import models as _models
from ..channels.base import FORMS, Channel
from ..engine.cable_codegen import cable_module, check_supported
from ..physics.exp_sharing import groups
from ..physics.structure import Structure
from ..physics.structure import lower as lower_model
from ..errors import HHSimError, ModelError
from ..model import Model
from .geometry import GeometryError, Morphology, Section
from .tree import Tree

#: Boundary conditions at a free end.
BOUNDARIES = ("sealed", "killed", "infinite")


def _gate_sig(st: Structure, j: int) -> tuple:
    """Everything about gate j that changes the generated code."""
    g = st.gates[j]
    return (g.name, float(g.power), tuple(g.form_names), tuple(g.form_kinds),
            bool(getattr(g, "instantaneous", False)), tuple(getattr(g, "form_code", ()) or ()))


def _gate_rows(st: Structure, j: int) -> tuple[int, int]:
    """(first row, number of rows) of gate j's rate parameters in ``rp`` (contiguous)."""
    g = st.gates[j]
    sizes = tuple(getattr(g, "form_sizes", ()) or ()) or tuple(len(FORMS[k].param_names) for k in g.form_kinds)
    return int(g.param_offsets[0]), int(sum(sizes))


def resolve_models(morph: Morphology, mechanisms, temperature: float | None = None) -> list[Model]:
    """The model of each section.

    ``mechanisms`` is a model (or preset name) for every section, or a dict
    whose keys are section names, region names, or ``"*"`` (everything else).
    """
    if isinstance(mechanisms, (str, Model)):
        mechanisms = {"*": mechanisms}
    if not isinstance(mechanisms, dict) or not mechanisms:
        raise ModelError("channels must be a model, a preset name, or a dict {region or section: model}")
    names = {s.name for s in morph.sections}
    regions = set(morph.regions)
    for key in mechanisms:
        if key != "*" and key not in names and key not in regions:
            raise ModelError(
                f"channel assignment {key!r} matches no section or region; regions: {', '.join(sorted(regions))}"
            )
    cache: dict[int, Model] = {}
    out = []
    for s in morph.sections:
        spec = mechanisms.get(s.name, mechanisms.get(s.region, mechanisms.get("*")))
        if spec is None:
            raise ModelError(f"no channels given for section {s.name!r} (region {s.region!r}); "
                             "add the region to the assignment or a '*' entry")
        key = id(spec)
        if key not in cache:
            model = _models.get(spec)
            if temperature is not None:
                model = model.with_params(temperature=temperature)
            cache[key] = model
        out.append(cache[key])
    return out


@dataclass
class CablePlan:
    """Everything the kernels need, one column per node (Hines order)."""

    tree: Tree
    models: list[Model]  # per section
    structure: Structure
    channels: tuple[Channel, ...]  # the union, as represented in the kernel
    gbar: np.ndarray
    erev: np.ndarray
    phi: np.ndarray
    rp: np.ndarray
    area: np.ndarray  # µS per mS/cm²
    cap: np.ndarray  # nF
    thr: np.ndarray  # mV
    active: np.ndarray  # nodes with voltage-gated conductance
    gfix: np.ndarray  # µS, boundary conductance at terminals
    vfix: np.ndarray  # mV, potential the boundary conductance pulls towards
    v_rest: np.ndarray  # mV, the equilibrium of the whole cable
    y_rest: np.ndarray  # gates at v_rest
    boundary: dict
    boundary_g: dict = None  # (section, end) -> conductance of the boundary itself (µS)

    @property
    def n(self) -> int:
        return self.tree.n

    @property
    def bfix(self) -> np.ndarray:
        return self.gfix * self.vfix

    def param_runs(self) -> tuple[np.ndarray, np.ndarray]:
        """(PT, runs): consecutive nodes with identical parameters share one row of
        PT = [gbar, erev, phi per channel, rate parameters]; run r covers nodes
        runs[r] .. runs[r+1]-1.  Cached."""
        if getattr(self, "_runs", None) is None:
            M = np.vstack([self.gbar, self.erev, self.phi, self.rp])
            change = np.nonzero(np.any(M[:, 1:] != M[:, :-1], axis=0))[0] + 1
            runs = np.concatenate([[0], change, [self.n]]).astype(np.int64)
            # unsigned bounds: numba then skips negative-index wraparound and the
            # node loop stays an affine, vectorisable loop
            self._runs = (np.ascontiguousarray(M[:, runs[:-1]].T), runs.astype(np.uint64))
        return self._runs

    def node_models(self) -> list[Model | None]:
        return [None if j else self.models[s] for s, j in zip(self.tree.section, self.tree.junction)]


def lower_cable(tree: Tree, models: list[Model], boundary) -> CablePlan:
    """Per-node arrays for ``tree`` with section models ``models``.

    Each distinct model is lowered by :func:`hhsim.physics.structure.lower` (so its
    parameter layout is exactly the point-neuron kernels'); its columns are
    then copied into the union's layout, channel by channel.
    """
    lowered, keys, reps, pools, conc = {}, {}, [], {}, {}
    for m in models:
        if id(m) in lowered:
            continue
        pl = lower_model(m)
        pl.structure.check_point_only("a cable")  # a kinetic scheme, named, before the list of fields
        check_supported(pl.structure)
        for pool in m.pools:
            pools.setdefault(pool.ion, pool)
        for k, value in m.concentrations:
            conc.setdefault(k, value)
        ch_keys = []
        for i, ch in enumerate(m.channels):
            key = (ch.name, tuple(_gate_sig(pl.structure, j) for j in pl.structure.channel_gates[i]),
                   ch.ion, ch.reversal, pl.structure.open_code(i))
            if key not in keys:
                name, k = ch.name, 2
                while any(r.name == name for r in reps):
                    name, k = f"{ch.name}#{k}", k + 1
                keys[key] = len(reps)
                reps.append(ch.replace(name=name))
            ch_keys.append(keys[key])
        lowered[id(m)] = (pl, ch_keys)
    # the union carries every region's ion pools; its own parameter values only fill
    # the nodes of regions that lack a channel or pool (where it has no effect)
    union = lower_model(Model(name="cable", channels=tuple(reps), pools=tuple(pools.values()),
                              concentrations=tuple(conc.items())))
    s = union.structure
    check_supported(s)
    n = tree.n
    gbar = np.zeros((s.n_channels, n))
    erev = np.zeros((s.n_channels, n))
    phi = np.ones((s.n_channels, n))
    rp = np.repeat(union.rp[:, :1], n, axis=1) if s.n_rate_params else np.zeros((0, n))
    cm = np.zeros(n)
    thr = np.zeros(n)
    for si, m in enumerate(models):
        nodes = tree.section_nodes[si]
        pl, ch_keys = lowered[id(m)]
        cm[nodes] = m.Cm
        thr[nodes] = m.spike_threshold
        for i, ci in enumerate(ch_keys):
            gbar[ci, nodes] = pl.gbar[i, 0]
            erev[ci, nodes] = pl.erev[i, 0]
            phi[ci, nodes] = pl.phi[i, 0]
            for j_m, j_u in zip(pl.structure.channel_gates[i], s.channel_gates[ci]):
                (om, size), (ou, _) = _gate_rows(pl.structure, j_m), _gate_rows(s, j_u)
                rp[ou:ou + size, nodes] = pl.rp[om:om + size, :1]
            _copy_ion_rows(pl, i, s, ci, rp, nodes, m)
            if pl.structure.open_code(i):  # the constants of a conductance expression
                om, ou = pl.structure.channel_open_offset[i], s.channel_open_offset[ci]
                k = pl.structure.open_size(i)
                rp[ou:ou + k, nodes] = pl.rp[om:om + k, :1]
        for k, ps in enumerate(pl.structure.pools):
            pu = next(q for q in s.pools if q.ion == ps.ion)
            rp[pu.offset:pu.offset + _POOL_ROWS, nodes] = pl.rp[ps.offset:ps.offset + _POOL_ROWS, :1]
    # junction nodes: no membrane; threshold and reversals of a neighbour
    for j in np.nonzero(tree.junction)[0]:
        p = tree.parent[j] if tree.parent[j] >= 0 else 0
        thr[j] = thr[p]
        erev[:, j] = erev[:, p]
    area = tree.area * 1e-8 * 1e3  # µm² -> cm², then mS -> µS
    cap = cm * area
    gated = np.array([bool(ch.gates) for ch in reps], dtype=bool)
    active = (gbar[gated] > 0).any(axis=0) if gated.any() else np.zeros(n, dtype=bool)
    # one cell: its rate forms share exponentials when every node allows the same sharing
    node_groups = groups(s, rp)
    s = replace(s, exp_sharing=node_groups[0][0] if len(node_groups) == 1 else None)
    plan = CablePlan(tree, list(models), s, tuple(reps), gbar, erev, phi, rp, area, cap, thr, active,
                     np.zeros(n), np.zeros(n), np.zeros(n), np.zeros((s.n_states, n)), {})
    _set_boundary(plan, boundary)
    _set_rest(plan)
    return plan


#: rp rows of a pool (influx factor, tau, resting concentration) and of a
#: channel's ion terms (Nernst: RT/zF, c_out; GHK: RT/F, c_out, c_in).
_POOL_ROWS = 3
_ION_ROWS = {"nernst": 2, "ghk": 3}


def _copy_ion_rows(pl, i: int, s: Structure, ci: int, rp: np.ndarray, nodes, m: Model) -> None:
    """Copy channel i's ion terms (model lowering ``pl``) into union channel ci's rows."""
    mode = pl.structure.mode(i)
    if mode != s.mode(ci) or (pl.structure.pool_of(i) >= 0) != (s.pool_of(ci) >= 0):
        raise ModelError(
            f"channel {m.channels[i].name!r} of model {m.name!r} has no {m.channels[i].ion} pool, but another "
            "region pools that ion and the cable would give it one; give every region with this channel "
            "the same ion pool"
        )
    if mode in _ION_ROWS:
        om, ou, k = pl.structure.channel_extra[i], s.channel_extra[ci], _ION_ROWS[mode]
        rp[ou:ou + k, nodes] = pl.rp[om:om + k, :1]


# ------------------------------------------------------------ boundaries
def _boundary_map(tree: Tree, boundary) -> dict:
    """{(section, end): kind} for every terminal."""
    ends = {(t.section, t.end) for t in tree.terminals}
    out = {e: "sealed" for e in ends}
    if boundary is None:
        return out
    if isinstance(boundary, str):
        boundary = {e: boundary for e in ends}
    elif isinstance(boundary, (tuple, list)):
        if not tree.morph.is_unbranched or len(boundary) != 2:
            raise GeometryError("boundary as a pair (start, end) needs an unbranched cable")
        last = len(tree.morph.sections) - 1
        boundary = {(0, 0): boundary[0], (last, 1): boundary[1]}
    elif not isinstance(boundary, dict):
        raise GeometryError(f"boundary must be one of {', '.join(BOUNDARIES)}, a (start, end) pair or a dict")
    for key, kind in boundary.items():
        if kind not in BOUNDARIES:
            raise GeometryError(f"unknown boundary condition {kind!r}; accepted: {', '.join(BOUNDARIES)}")
        if key not in ends:
            raise GeometryError(f"{key!r} is not a free end of this morphology")
        out[key] = kind
    return out


def _set_boundary(plan: CablePlan, boundary) -> None:
    """Terminal conductances: the end compartment reaches the boundary's
    potential through its half-compartment resistance in series with the
    boundary's own conductance g_b (sealed 0, killed infinite, infinite
    1 / (r_a lambda))."""
    kinds = _boundary_map(plan.tree, boundary)
    plan.boundary = kinds
    plan.boundary_g = {}
    for t in plan.tree.terminals:
        kind = kinds[(t.section, t.end)]
        if kind == "sealed":
            g_b = 0.0
        elif kind == "killed":
            g_b = math.inf
        else:
            s = plan.tree.morph.sections[t.section]
            g_b = _semi_infinite_conductance(plan, t.node, s, plan.tree.morph.ra_of(s))
        plan.boundary_g[(t.section, t.end)] = g_b
        if g_b > 0:
            plan.gfix[t.node] += t.g_half if math.isinf(g_b) else 1.0 / (1.0 / t.g_half + 1.0 / g_b)


def _semi_infinite_conductance(plan: CablePlan, node: int, s: Section, ra: float) -> float:
    """1 / (r_a lambda) in µS for the end diameter, from the model's resting slope conductance."""
    m = plan.models[int(plan.tree.section[node])]
    v0 = m.resting_potential()
    g_m = slope_conductance_density(m, v0)  # mS/cm²
    d_cm = (s._points()[1][-1]) * 1e-4
    lam_cm = math.sqrt(d_cm / (4.0 * ra * g_m * 1e-3))
    r_a = 4.0 * ra / (math.pi * d_cm * d_cm)  # Ω/cm
    return 1e6 / (r_a * lam_cm)


# ------------------------------------------------------------------ rest
def slope_conductance_density(model: Model, v: float, h: float = 1e-4) -> float:
    """d I_ss / dV (mS/cm²) of the steady-state I-V curve at ``v``."""
    i = model.steady_state_current(np.array([v - h, v + h]))
    return float((i[1] - i[0]) / (2 * h))


def _node_groups(plan: CablePlan):
    """[(model, node indices)] for the membrane nodes, one entry per distinct model."""
    groups: dict[int, tuple[Model, list]] = {}
    for si, m in enumerate(plan.models):
        groups.setdefault(id(m), (m, []))[1].append(plan.tree.section_nodes[si])
    return [(m, np.concatenate(idx)) for m, idx in groups.values()]


def _tree_matrix(tree: Tree, diagonal: np.ndarray) -> sp.csc_matrix:
    """The symmetric tree matrix (µS): ``diagonal`` on the diagonal, -gax[i] between each
    node i and its parent."""
    i = np.arange(1, tree.n)
    p = tree.parent[1:]
    off = -tree.gax[1:]
    every = np.arange(tree.n)
    return sp.csc_matrix((np.concatenate([off, off, diagonal]), (np.concatenate([i, p, every]),
                          np.concatenate([p, i, every]))), shape=(tree.n, tree.n))


def _axial_current(tree: Tree, v: np.ndarray) -> np.ndarray:
    """Each node's axial current out of it (nA) at the potentials ``v`` (mV): the
    tree's conductance Laplacian times v, O(n) over its edges."""
    p = tree.parent[1:]
    flow = tree.gax[1:] * (v[1:] - v[p])  # from each node into its parent
    out = np.zeros(tree.n)
    if p.size:  # (bincount of nothing is an integer array)
        out -= np.bincount(p, weights=flow, minlength=tree.n)
        out[1:] += flow
    return out


def _tree_solve(tree: Tree, diagonal: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """x with (axial Laplacian off the diagonal, ``diagonal`` on it) x = ``rhs``:
    LAPACK's tridiagonal solve for a chain (no sparse matrix built), a sparse LU
    for a branched tree."""
    if tree.n == 1:
        return rhs / diagonal
    if tree.is_chain:
        off = -tree.gax[1:]
        _, _, _, x, info = dgtsv(off, diagonal, off, rhs)
        return x if info == 0 else np.full(tree.n, np.nan)
    return spla.spsolve(_tree_matrix(tree, diagonal), rhs)


def _set_rest(plan: CablePlan, tol: float = 1e-10) -> None:
    """The equilibrium of the whole cable (Newton on the steady-state currents).

    A uniform cable sits at its model's resting potential; where regions
    differ, axial currents shift each node a little, which Newton finds.
    """
    tree, groups = plan.tree, _node_groups(plan)
    v = np.zeros(tree.n)
    for m, idx in groups:
        v[idx] = m.resting_potential()
    for j in np.nonzero(tree.junction)[0]:
        v[j] = v[tree.parent[j]] if tree.parent[j] >= 0 else v[0]
    # killed/infinite ends pull towards the local resting potential
    plan.vfix[:] = v
    if len(groups) == 1:
        # one membrane everywhere: every node at its resting potential (a root of its
        # steady-state current, to 1e-13 mV) carries no axial or boundary current, so
        # that uniform V is the equilibrium and Newton has nothing to do
        plan.v_rest = v
        plan.y_rest = _steady_gates(plan, v)
        return
    fixed = sum_conductances(plan)  # the Jacobian's diagonal without the membrane (µS)
    area = plan.area

    def residual(x):
        f = _axial_current(tree, x) + plan.gfix * (x - plan.vfix)
        for m, idx in groups:
            f[idx] += area[idx] * m.steady_state_current(x[idx])
        return f

    for _ in range(60):
        f = residual(v)
        dg = np.zeros(tree.n)
        for m, idx in groups:
            h = 1e-5
            dg[idx] = area[idx] * (m.steady_state_current(v[idx] + h) - m.steady_state_current(v[idx] - h)) / (2 * h)
        step = _tree_solve(tree, fixed + dg, -f)
        if not np.all(np.isfinite(step)):
            break
        v = v + np.clip(step, -10.0, 10.0)
        if np.max(np.abs(step)) < tol:  # mV
            break
    else:
        raise HHSimError("could not find the resting state of this cable; give v_init")
    plan.v_rest = v
    plan.y_rest = _steady_gates(plan, v)


def _steady_gates(plan: CablePlan, v: np.ndarray) -> np.ndarray:
    """Every state (gates, then pools) at its steady state at V: relaxed by the
    kernel over a very long time, repeated until the pools (which relax at the
    current of the gates they start from) and the gates they gate agree."""
    st = plan.structure
    y = np.full((st.n_states, plan.n), 0.5)
    y[st.n_gates:] = plan.rp[[p.offset + 2 for p in st.pools]] if st.pools else 0.0  # resting concentrations
    for _ in range(1 if not st.pools else 200):
        new = relax_gates(plan, y, v, 1e9)
        done = np.max(np.abs(new - y), initial=0.0) <= 1e-13 * max(1.0, np.max(np.abs(new), initial=0.0))
        y = new
        if done:
            break
    return y


def relax_gates(plan: CablePlan, y: np.ndarray, v: np.ndarray, dt: float,
                G: np.ndarray | None = None, GE: np.ndarray | None = None) -> np.ndarray:
    """Gates after ``dt`` ms at fixed V (exact), with the compiled kernel's own rates;
    also fills G and GE (the conductance sums) when given."""
    mod = cable_module(plan.structure)
    y = np.ascontiguousarray(y, dtype=float).copy()
    G = np.zeros(plan.n) if G is None else G
    GE = np.zeros(plan.n) if GE is None else GE
    vv = np.ascontiguousarray(v, dtype=float)
    mod.membrane_step(vv, y, G, GE, *plan.param_runs(), float(dt), 0, vv.shape[0])
    return y


def sum_conductances(plan: CablePlan) -> np.ndarray:
    """Each node's total axial and boundary conductance (µS): the part of the
    implicit matrix's diagonal that does not change in time."""
    tree = plan.tree
    sumg = plan.gfix.copy()
    np.add.at(sumg, tree.parent[1:], tree.gax[1:])
    sumg[1:] += tree.gax[1:]
    return sumg


# ------------------------------------------------------------ linear analysis
def slope_conductances(plan: CablePlan) -> np.ndarray:
    """Each node's membrane slope conductance (µS) at rest (steady-state I-V)."""
    g = np.zeros(plan.n)
    for m, idx in _node_groups(plan):
        h = 1e-4
        v = plan.v_rest[idx]
        g[idx] = plan.area[idx] * (m.steady_state_current(v + h) - m.steady_state_current(v - h)) / (2 * h)
    return g


def input_resistance(plan: CablePlan, node: int) -> float:
    """DC input resistance (MΩ) at ``node``: small-signal, linearised about rest."""
    A = _tree_matrix(plan.tree, sum_conductances(plan) + slope_conductances(plan))
    e = np.zeros(plan.n)
    e[node] = 1.0
    return float(spla.spsolve(A, e)[node])

