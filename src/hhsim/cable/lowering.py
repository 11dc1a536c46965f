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

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .. import models as _models
from ..channels.base import Channel
from ..engine.lower import Structure, structure_of
from ..errors import HHSimError, ModelError
from ..model import Model
from .geometry import GeometryError, Morphology, Section
from .tree import Tree

#: Boundary conditions at a free end.
BOUNDARIES = ("sealed", "killed", "infinite")


def _gate_signature(ch: Channel):
    return tuple((g.name, float(g.power), g.form_names, tuple(f.kind for f in g.forms)) for g in ch.gates)


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

    @property
    def n(self) -> int:
        return self.tree.n

    @property
    def bfix(self) -> np.ndarray:
        return self.gfix * self.vfix

    def node_models(self) -> list[Model | None]:
        return [None if j else self.models[s] for s, j in zip(self.tree.section, self.tree.junction)]


def _union(models: list[Model]):
    keys, reps = {}, []
    for m in models:
        for ch in m.channels:
            key = (ch.name, _gate_signature(ch))
            if key not in keys:
                name = ch.name
                k = 2
                while any(r.name == name for r in reps):
                    name, k = f"{ch.name}#{k}", k + 1
                keys[key] = len(reps)
                reps.append(ch.replace(name=name))
    return keys, tuple(reps)


def lower_cable(tree: Tree, models: list[Model], boundary) -> CablePlan:
    """Per-node arrays for ``tree`` with section models ``models``."""
    keys, reps = _union(models)
    union_model = Model(name="cable", channels=reps)
    s = structure_of(union_model)
    n, nc, nrp = tree.n, s.n_channels, s.n_rate_params
    gbar = np.zeros((nc, n))
    erev = np.zeros((nc, n))
    phi = np.ones((nc, n))
    rp = np.empty((nrp, n))
    rep_params = np.array([v for ch in reps for g in ch.gates for f in g.forms for v in f.values()], dtype=float)
    rp[:, :] = rep_params.reshape(nrp, 1)
    cm = np.zeros(n)
    thr = np.zeros(n)
    offsets = np.cumsum([0] + [sum(len(f.param_names) for g in ch.gates for f in g.forms) for ch in reps])
    for si, m in enumerate(models):
        nodes = tree.section_nodes[si]
        cm[nodes] = m.Cm
        thr[nodes] = m.spike_threshold
        for ch in m.channels:
            ci = keys[(ch.name, _gate_signature(ch))]
            gbar[ci, nodes] = ch.gbar
            erev[ci, nodes] = ch.E
            phi[ci, nodes] = ch.phi(m.temperature)
            vals = [v for g in ch.gates for f in g.forms for v in f.values()]
            if vals:
                rp[offsets[ci]:offsets[ci + 1], nodes] = np.asarray(vals)[:, None]
    # junction nodes: no membrane; threshold and parameters of a neighbour
    par = tree.parent
    for j in np.nonzero(tree.junction)[0]:
        p = par[j] if par[j] >= 0 else 0
        thr[j] = thr[p]
        erev[:, j] = erev[:, p]
    area = tree.area * 1e-8 * 1e3  # µm² -> cm², then mS -> µS
    cap = cm * area
    gated = np.array([bool(ch.gates) for ch in reps], dtype=bool)
    active = (gbar[gated] > 0).any(axis=0) if gated.any() else np.zeros(n, dtype=bool)
    plan = CablePlan(tree, list(models), s, reps, gbar, erev, phi, rp, area, cap, thr, active,
                     np.zeros(n), np.zeros(n), np.zeros(n), np.zeros((s.n_gates, n)), {})
    _set_boundary(plan, boundary)
    _set_rest(plan)
    return plan


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
    kinds = _boundary_map(plan.tree, boundary)
    plan.boundary = kinds
    for t in plan.tree.terminals:
        kind = kinds[(t.section, t.end)]
        if kind == "sealed":
            continue
        if kind == "killed":
            g = t.g_half
        else:  # infinite: the input conductance of a semi-infinite cable beyond the end
            s = plan.tree.morph.sections[t.section]
            g_inf = _semi_infinite_conductance(plan, t.node, s, plan.tree.morph.ra_of(s))
            g = 1.0 / (1.0 / t.g_half + 1.0 / g_inf)
        plan.gfix[t.node] += g


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


def _laplacian(plan: CablePlan) -> sp.csr_matrix:
    tree = plan.tree
    i = np.arange(1, tree.n)
    p = tree.parent[1:]
    g = tree.gax[1:]
    rows = np.concatenate([i, p, i, p])
    cols = np.concatenate([p, i, i, p])
    vals = np.concatenate([-g, -g, g, g])
    return sp.csr_matrix((vals, (rows, cols)), shape=(tree.n, tree.n))


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
    L = _laplacian(plan) + sp.diags(plan.gfix)
    area = plan.area

    def residual(x):
        f = L @ x - plan.gfix * plan.vfix
        for m, idx in groups:
            f[idx] += area[idx] * m.steady_state_current(x[idx])
        return f

    f = residual(v)
    scale = max(1e-12, float(np.max(np.abs(area))) * 1e-6)
    for _ in range(50):
        if np.max(np.abs(f)) < tol * max(1.0, scale):
            break
        dg = np.zeros(tree.n)
        for m, idx in groups:
            h = 1e-5
            dg[idx] = area[idx] * (m.steady_state_current(v[idx] + h) - m.steady_state_current(v[idx] - h)) / (2 * h)
        step = spla.spsolve((L + sp.diags(dg)).tocsc(), -f)
        v = v + np.clip(step, -10.0, 10.0)
        f = residual(v)
    else:
        raise HHSimError("could not find the resting state of this cable; give v_init")
    plan.v_rest = v
    plan.y_rest = _steady_gates(plan, v)


def _steady_gates(plan: CablePlan, v: np.ndarray) -> np.ndarray:
    y = np.empty((plan.structure.n_gates, plan.n))
    j = 0
    for ch in plan.channels:
        for g in ch.gates:
            # the node's own gate parameters live in rp: rebuild the forms per node
            fa, fb = g.forms
            off = plan.structure.gates[j].param_offsets
            pa = plan.rp[off[0]:off[0] + len(fa.param_names)]
            pb = plan.rp[off[1]:off[1] + len(fb.param_names)]
            a = _eval_form(fa, pa, v)
            b = _eval_form(fb, pb, v)
            y[j] = a / (a + b) if g.form_names == ("alpha", "beta") else a
            j += 1
    return y


def _eval_form(form, params: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Evaluate a rate form with per-node parameters (columns of ``params``)."""
    uniq, inv = np.unique(params.T, axis=0, return_inverse=True)
    out = np.empty_like(v)
    inv = np.asarray(inv).ravel()
    for k, row in enumerate(uniq):
        f = dataclasses.replace(form, **dict(zip(form.param_names, map(float, row))))
        sel = inv == k
        out[sel] = f(v[sel])
    return out


def relax_gates(plan: CablePlan, y: np.ndarray, v: np.ndarray, dt: float) -> np.ndarray:
    """Gates after ``dt`` ms at fixed V (exact), NumPy (used for the half-step stagger)."""
    out = np.empty_like(y)
    j = 0
    for ci, ch in enumerate(plan.channels):
        for g in ch.gates:
            fa, fb = g.forms
            off = plan.structure.gates[j].param_offsets
            a = _eval_form(fa, plan.rp[off[0]:off[0] + len(fa.param_names)], v)
            b = _eval_form(fb, plan.rp[off[1]:off[1] + len(fb.param_names)], v)
            ph = plan.phi[ci]
            if g.form_names == ("alpha", "beta"):
                A, B = ph * a, ph * (a + b)
            else:
                A, B = ph * a / b, ph / b
            xi = A / B
            out[j] = xi + (y[j] - xi) * np.exp(-B * dt)
            j += 1
    return out


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
    A = (_laplacian(plan) + sp.diags(plan.gfix + slope_conductances(plan))).tocsc()
    e = np.zeros(plan.n)
    e[node] = 1.0
    return float(spla.spsolve(A, e)[node])


def conductance_arrays(plan: CablePlan, y: np.ndarray, G: np.ndarray, GE: np.ndarray | None = None) -> None:
    """Total membrane conductance density G (mS/cm²) and sum g_i E_i from gates ``y`` (NumPy)."""
    G[:] = 0.0
    if GE is not None:
        GE[:] = 0.0
    j = 0
    for ci, ch in enumerate(plan.channels):
        frac = np.ones(plan.n)
        for g in ch.gates:
            frac = frac * y[j] ** g.power
            j += 1
        G += plan.gbar[ci] * frac
        if GE is not None:
            GE += plan.gbar[ci] * frac * plan.erev[ci]
