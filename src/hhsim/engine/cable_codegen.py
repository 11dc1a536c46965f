"""Generate, cache and load the compiled cable kernels of a model structure.

For each :class:`~hhsim.engine.lower.Structure` (the union of the channels
of every region of a morphology) one module is written whose functions are
compiled by numba (``cache=True``, ``error_model='numpy'``):

* ``run_implicit(theta, ...)``: the time loop of the theta method on the
  cable, gates staggered half a step from V as in NEURON: ``theta = 1/2``
  Crank-Nicolson (second order, with backward-Euler half steps at stimulus
  jumps), ``theta = 1`` backward Euler.  Each step solves the tree matrix
  in O(n) inside the kernel (``chain_solve4``/``chain_solve`` for a cable,
  ``hines_solve`` for a branched tree), then ``implicit_update`` makes one
  vectorised pass over the nodes: new V, the gates relaxed exactly at fixed
  V over dt, and the next step's matrix;
* ``run_euler``, ``run_rk4``: explicit methods on the semi-discrete system
  (method of lines, ``derivs_all``), for teaching and for equivalence checks;
* ``gates_step``: the gate relaxation alone (initial stagger, steady states).

Per-node parameters are grouped into runs of consecutive nodes that share
them (``PT``, ``runs``): inside a run they are loop-invariant scalars, which
is what lets LLVM vectorise the node loop (per-node parameter rows would
need more run-time alias checks than it makes).  The gate and conductance
lines come from :mod:`hhsim.engine.codegen`'s emitters (``gate_relaxation``,
``conductances``) with ``rp[k, c]`` and friends renamed to those scalars;
the rate forms they call resolve to the branch-free versions of
:mod:`hhsim.engine.cable_helpers`.  The arithmetic loops allow floating-point
contraction (a*b + c as one fused multiply-add, one rounding instead of
two); nothing else of fast-math.

The module is written to the same cache directory as the point-neuron
kernels under a name that hashes its source and both helper modules.  Only
our own templates, indices and numbers reach the source: no user text.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path
from types import ModuleType

from ..channels.base import FORMS
from ..errors import HHSimError
from . import cable_helpers
from .codegen import (_helpers_hash, _power, channel_current, channel_currents, conductances, gate_relaxation,
                      instantaneous_values, load_generated, membrane_terms, pool_relaxation)
from .lower import Structure


# Structure fields the cable kernel understands.  Ion fields are accepted in
# their "plain ohmic channels, no pools" values; anything else is refused.
_KNOWN_STRUCTURE_FIELDS = {"n_channels", "channel_gates", "gates", "n_rate_params", "channel_names",
                           "channel_modes", "channel_pool", "channel_valence", "channel_extra", "pools"}
_KNOWN_GATE_FIELDS = {"channel_index", "name", "power", "form_names", "form_kinds", "param_offsets",
                      "instantaneous", "form_code", "form_sizes"}
_GATE_FORMS = (("alpha", "beta"), ("inf", "tau"), ("inf",))


def check_supported(s: Structure) -> None:
    """Raise a clear :class:`HHSimError` for structure features the cable kernel lacks."""
    why = []
    extra = [f.name for f in dataclasses.fields(s) if f.name not in _KNOWN_STRUCTURE_FIELDS and getattr(s, f.name)]
    if extra:
        why.append("model features " + ", ".join(extra))
    for g in s.gates:
        gextra = [f.name for f in dataclasses.fields(g) if f.name not in _KNOWN_GATE_FIELDS and getattr(g, f.name)]
        if gextra or tuple(g.form_names) not in _GATE_FORMS:
            why.append(f"gate {g.name!r} ({', '.join(gextra) or '/'.join(g.form_names)})")
        for kind in g.form_kinds:
            if kind not in FORMS and kind != "expr":
                why.append(f"rate form {kind!r} of gate {g.name!r}")
    if why:
        raise HHSimError(
            "the cable solver does not support " + "; ".join(why) + " yet: it handles channels "
            "with voltage- or concentration-gated (or instantaneous) gates, ion pools, Nernst and GHK "
            "currents; simulate this model as a single compartment with `hhsim run`"
        )


def _instant(g) -> bool:
    return bool(getattr(g, "instantaneous", False))


def _effective(s: Structure, prefix: str) -> list[str]:
    """Gate values for the conductances: x_inf for instantaneous gates."""
    return [f"xinf{j}" if _instant(g) else f"{prefix}{j}" for j, g in enumerate(s.gates)]


def _ind(lines: list[str], n: int) -> str:
    pad = " " * n
    return "\n".join(pad + ln for ln in lines)


_NODE_PARAM = re.compile(r"\b(rp|phi|gbar|erev)\[(\d+), c\]")


def _scalarise(lines: list[str]) -> list[str]:
    """``rp[k, c]`` -> ``p_rp{k}`` (likewise phi, gbar, erev): parameters are
    loaded once per run of nodes that share them, which keeps the node loop
    free of per-node parameter loads and lets LLVM vectorise it."""
    return [_NODE_PARAM.sub(lambda m: f"p_{m.group(1)}{m.group(2)}", ln) for ln in lines]


def _load_params(s: Structure) -> list[str]:
    """Lines (inside ``for r``) loading run r's parameters from the table ``PT``."""
    nc = s.n_channels
    out = []
    for i in range(nc):
        out += [f"p_gbar{i} = PT[r, {i}]", f"p_erev{i} = PT[r, {nc + i}]", f"p_phi{i} = PT[r, {2 * nc + i}]"]
    out += [f"p_rp{k} = PT[r, {3 * nc + k}]" for k in range(s.n_rate_params)]
    return out


def _membrane_block(s: Structure, v: str) -> list[str]:
    """Lines (inside ``for c``) loading the states (gates, then pools) and
    computing A_j, B_j of the gates at voltage ``v``."""
    return [f"x{j} = y[{j}, c]" for j in range(s.n_states)] + _scalarise(gate_relaxation(s, v))


def _ohmic_only(s: Structure) -> bool:
    return all(s.mode(i) == "ohmic" for i in range(s.n_channels))


def _relax_states(s: Structure) -> list[str]:
    """Lines (inside ``for c``, V known) relaxing every state exactly over dt at
    fixed V and storing it in ``y``; the new values are ``xn<j>``.

    Gates relax at their rates at V.  With ion pools the pools and the gates
    are coupled, and both are taken at the middle of the step (which keeps
    the staggered Crank-Nicolson scheme second order): a predictor relaxes
    the pools at the current of the old gates; the gates relax with the
    pools at their predicted midpoint; a corrector relaxes the pools again
    at the current of the midpoint gates and pools.
    """
    ng, ns = s.n_gates, s.n_states
    lines = [f"x{j} = y[{j}, c]" for j in range(ns)]
    relaxing = [j for j, g in enumerate(s.gates) if not _instant(g)]

    def relax(js, new):
        out = []
        for j in js:
            out += [f"xi{j} = A{j} * iB{j}", f"{new}{j} = xi{j} + (x{j} - xi{j}) * fexp(-B{j} * dt)"]
        return out

    def pools_at(xs, conc):
        return _scalarise(conductances(s, xs) + channel_currents(s, "V", conc) + pool_relaxation(s))

    pool_js = list(range(ng, ns))
    if pool_js:
        old = {p.name: f"x{ng + k}" for k, p in enumerate(s.pools)}
        mid = {p.name: f"cm{ng + k}" for k, p in enumerate(s.pools)}
        lines += _scalarise(instantaneous_values(s, "V", "xinf", old))  # gates at the old pools
        lines += pools_at(_effective(s, "x"), old) + _reciprocals(s, only=pool_js) + relax(pool_js, "cp")
        lines += [f"cm{j} = 0.5 * (x{j} + cp{j})" for j in pool_js]
        lines += _scalarise(gate_relaxation(s, "V", conc=mid))
    else:
        lines += _scalarise(gate_relaxation(s, "V"))
    lines += _reciprocals(s, only=relaxing) + relax(relaxing, "xn")
    lines += [f"xn{j} = xinf{j}" for j, g in enumerate(s.gates) if _instant(g)]
    if pool_js:
        lines += [f"xm{j} = 0.5 * (x{j} + xn{j})" for j in relaxing]
        xm = [f"xinf{j}" if _instant(g) else f"xm{j}" for j, g in enumerate(s.gates)]
        lines += pools_at(xm, mid) + _reciprocals(s, only=pool_js) + relax(pool_js, "xn")
    return lines + [f"y[{j}, c] = xn{j}" for j in range(ns)]


def _nonlinear(s: Structure, i: int) -> bool:
    """Is channel i's current nonlinear in V at fixed gate states (GHK, or a gate
    that follows V instantaneously)?"""
    return s.mode(i) == "ghk" or any(_instant(s.gates[j]) for j in s.channel_gates[i])


def _slopes(s: Structure, xs: list[str], conc: dict[str, str] | None) -> list[str]:
    """Lines defining S<i> = dI_i/dV (central difference, 1e-3 mV) for every
    nonlinear channel, instantaneous gates re-evaluated at V +- 1e-3 mV and the
    other gates held at ``xs``."""
    chans = [i for i in range(s.n_channels) if _nonlinear(s, i)]
    if not chans:
        return []
    lines = ["VP = V + 1e-3", "VM = V - 1e-3"]
    for side, v in (("P", "VP"), ("M", "VM")):
        lines += instantaneous_values(s, v, f"xinf{side}", conc)
        for i in chans:
            factors = [f"gbar[{i}, c]"] + [
                _power(f"xinf{side}{j}" if _instant(s.gates[j]) else xs[j], s.gates[j].power)
                for j in s.channel_gates[i]]
            lines.append(f"g{side}{i} = " + " * ".join(factors))
            lines += channel_current(s, i, v, f"g{side}{i}", f"I{side}{i}", conc)
    lines += [f"S{i} = (IP{i} - IM{i}) * 500.0" for i in chans]
    return _scalarise(lines)


def _sums(s: Structure, xs: list[str], pools: list[str] | None = None, linearise: bool = False) -> list[str]:
    """Lines defining Gc (sum of the ohmic and Nernst conductances) and GEc (their
    g E, minus the GHK currents), so that the membrane current is Gc V - GEc.
    ``pools``: the variables holding the pool concentrations (default x<k>).

    ``linearise`` (the implicit methods): a current that is nonlinear in V at
    fixed gates (GHK, or a channel with an instantaneous gate) enters as its
    tangent at V, I(V') = I(V) + S (V' - V), the slope S by a central
    difference; the theta step then takes it at the theta point like the
    ohmic ones (as NEURON does with di/dv).  Frozen at the step's start it
    would make Crank-Nicolson first order."""
    lines = _scalarise(conductances(s, xs))
    lin = [i for i in range(s.n_channels) if linearise and _nonlinear(s, i)]
    if lin or s.pools or not _ohmic_only(s):  # (a pool needs every channel's current I_i)
        conc = None if pools is None else {p.name: pools[k] for k, p in enumerate(s.pools)}
        lines += _scalarise(channel_currents(s, "V", conc))
        if lin:
            lines += _slopes(s, xs, conc)
    g, ge = membrane_terms(s, lambda i: f"p_erev{i}", tangent=lin)
    return lines + ["Gc = " + (" + ".join(g) or "0.0"), "GEc = " + (" + ".join(ge) or "0.0")]


def _reciprocals(s: Structure, group: int = 3, only: list[int] | None = None) -> list[str]:
    """Lines defining iB{j} = 1 / B{j} for the relaxing gates, one division per
    ``group`` gates (Montgomery's trick: invert the product, then peel it).
    Divisions are the dearest operation of the vectorised node loop."""
    js = [j for j, g in enumerate(s.gates) if not _instant(g)] if only is None else list(only)
    lines = []
    for k in range(0, len(js), group):
        part = js[k:k + group]
        if len(part) == 1:
            lines.append(f"iB{part[0]} = 1.0 / B{part[0]}")
            continue
        lines.append(f"P{part[0]} = B{part[0]}")
        for a, b in zip(part, part[1:]):
            lines.append(f"P{b} = P{a} * B{b}")
        lines.append(f"R{part[-1]} = 1.0 / P{part[-1]}")
        for a, b in zip(reversed(part[:-1]), reversed(part[1:])):
            lines += [f"iB{b} = R{b} * P{a}", f"R{a} = R{b} * B{b}"]
        lines.append(f"iB{part[0]} = R{part[0]}")
    return lines


def generate_source(s: Structure) -> str:
    """Full source text of the cable kernel module for structure ``s``."""
    ng, ns = s.n_gates, s.n_states
    xs = _effective(s, "x")
    xn = [f"xn{j}" for j in range(ng)]
    new_pools = [f"xn{j}" for j in range(ng, ns)]
    relax = _relax_states(s)
    # explicit methods: the pools' rates from the same currents as dV/dt
    deriv_lines = _scalarise(pool_relaxation(s)) + [f"dy[{j}, c] = A{j} - B{j} * x{j}" for j in range(ns)]
    src = f'''# Generated by hhsim (cable kernels) for structure {s!r}
# helpers {_helpers_hash()} cable-helpers {_cable_helpers_hash()}
import math
import numpy as np
from numba import njit
import hhsim.engine.kernel_helpers as _kh
globals().update({{k: getattr(_kh, k) for k in dir(_kh) if k.startswith("_") and not k.startswith("__")}})
from hhsim.engine.cable_helpers import (
    _exp_rate, _sigmoid_rate, _linexp_rate, fexp, crossing_cubic, crossing_quadratic,
    eliminate, eliminate_coupled, substitute)

N_GATES = {ng}
N_CHANNELS = {s.n_channels}


@njit(cache=True, error_model="numpy", fastmath={{"contract"}})
def gates_step(v, y, G, GE, vmax, PT, runs, dt):
    """Relax every node's gates over dt at its V; store G, GE; track the peak V.

    Nodes runs[r] .. runs[r+1]-1 share the parameters in row r of PT
    (gbar, erev, phi per channel, then the rate parameters).
    """
    for r in range(runs.shape[0] - 1):
{_ind(_load_params(s), 8)}
        for c in range(runs[r], runs[r + 1]):
            V = v[c]
            vmax[c] = max(vmax[c], V)
{_ind(relax, 12)}
{_ind(_sums(s, xn, new_pools, linearise=True), 12)}
            G[c] = Gc
            GE[c] = GEc


@njit(cache=True, error_model="numpy", fastmath={{"contract"}})
def derivs_all(v, y, inj, dv, dy, ia, PT, runs, area, icap, parent, gax, gfix, bfix,
               alg_idx, alg_ptr, alg_nbr, alg_g):
    """Method-of-lines right-hand side: dV/dt (mV/ms) and the gates' rates at every node.

    Junction nodes (no membrane) are first set to the conductance-weighted
    mean of their neighbours.
    """
    n = v.shape[0]
    set_junctions(v, alg_idx, alg_ptr, alg_nbr, alg_g)
    for c in range(n):
        ia[c] = inj[c] + bfix[c] - gfix[c] * v[c]
    for i in range(1, n):
        p = parent[i]
        f = gax[i] * (v[p] - v[i])
        ia[i] += f
        ia[p] -= f
    for r in range(runs.shape[0] - 1):
{_ind(_load_params(s), 8)}
        for c in range(runs[r], runs[r + 1]):
            V = v[c]
{_ind(_membrane_block(s, "V"), 12)}
{_ind(_sums(s, xs), 12)}
{_ind(deriv_lines, 12)}
            dv[c] = (ia[c] - area[c] * (Gc * V - GEc)) * icap[c]


@njit(cache=True, error_model="numpy")
def set_junctions(v, alg_idx, alg_ptr, alg_nbr, alg_g):
    for k in range(alg_idx.shape[0]):
        num = 0.0
        den = 0.0
        for q in range(alg_ptr[k], alg_ptr[k + 1]):
            num += alg_g[q] * v[alg_nbr[q]]
            den += alg_g[q]
        v[alg_idx[k]] = num / den


@njit(cache=True, error_model="numpy", fastmath={{"contract"}})
def hines_solve(d, b, parent, gax):
    """Solve the tree system in place (solution in b; d is overwritten with the
    pivots' reciprocals): diagonal d, off-diagonals -gax[i] between i and
    parent[i] < i.  O(n): eliminate leaves to root, substitute root to leaves."""
    n = d.shape[0]
    for i in range(n - 1, 0, -1):
        p = parent[i]
        ri = 1.0 / d[i]
        d[i] = ri
        f = gax[i] * ri
        d[p] -= f * gax[i]
        b[p] += f * b[i]
    b[0] = b[0] / d[0]
    for i in range(1, n):
        b[i] = (b[i] + gax[i] * b[parent[i]]) * d[i]


@njit(cache=True, error_model="numpy", fastmath={{"contract"}})
def chain_solve(d, b, gax):
    """Solve a chain (node i joined to i - 1 by gax[i]) in place, from both ends
    at once towards the middle: two independent recurrences the processor runs
    side by side.  Solution in b; d is overwritten with the pivots' reciprocals."""
    n = d.shape[0]
    m = n // 2
    n_both = n - 1 - m
    dl = d[0]
    bl = b[0]
    dr = d[n - 1]
    br = b[n - 1]
    for k in range(n_both):
        i = k
        j = n - 1 - k
        rl = 1.0 / dl
        rr = 1.0 / dr
        d[i] = rl
        b[i] = bl
        d[j] = rr
        b[j] = br
        gl = gax[i + 1]
        gr = gax[j]
        fl = gl * rl
        fr = gr * rr
        dl = d[i + 1] - fl * gl
        bl = b[i + 1] + fl * bl
        dr = d[j - 1] - fr * gr
        br = b[j - 1] + fr * br
    if m > n_both:  # one more step on the left (n even)
        i = n_both
        rl = 1.0 / dl
        d[i] = rl
        b[i] = bl
        gl = gax[i + 1]
        fl = gl * rl
        dl = d[i + 1] - fl * gl
        bl = b[i + 1] + fl * bl
    vm = (bl + br - b[m]) / (dl + dr - d[m])
    b[m] = vm
    vl = vm
    vr = vm
    for k in range(m - 1, -1, -1):  # left half, outwards
        vl = (b[k] + gax[k + 1] * vl) * d[k]
        b[k] = vl
        j = 2 * m - k
        if j < n:  # right half, outwards (mirror index)
            vr = (b[j] + gax[j] * vr) * d[j]
            b[j] = vr


@njit(cache=True, error_model="numpy", fastmath={{"contract"}})
def chain_solve4(d, b, g, cw):
    """A chain of n >= 8 nodes, as four independent sweeps: the middle node m
    and the middles qL, qR of the two halves are kept for last; each half is
    eliminated from its outer end towards its middle (Thomas) and from its
    inner end towards its middle (each elimination coupling the remaining
    node to m).  The 3 x 3 system of qL, m, qR is solved directly, then the
    four sweeps substitute outwards.  The processor runs the four division
    chains side by side.  ``cw`` is scratch (the couplings to m)."""
    n = d.shape[0]
    m = n // 2
    qL = m // 2
    qR = m + 1 + (n - 1 - m) // 2
    # registers: outer-left (ol), inner-left (il), outer-right (orr), inner-right (ir)
    d_ol = d[0]
    b_ol = b[0]
    d_il = d[m - 1]
    b_il = b[m - 1]
    c_il = g[m]
    d_or = d[n - 1]
    b_or = b[n - 1]
    d_ir = d[m + 1]
    b_ir = b[m + 1]
    c_ir = g[m + 1]
    dm = d[m]
    bm = b[m]
    n_ol = qL            # nodes 0 .. qL-1
    n_il = m - 1 - qL    # nodes m-1 .. qL+1
    n_or = n - 1 - qR    # nodes n-1 .. qR+1
    n_ir = qR - 1 - m    # nodes m+1 .. qR-1
    K = min(min(n_ol, n_il), min(n_or, n_ir))
    # the four eliminations side by side, then each one's remaining nodes
    for k in range(K):
        d_ol, b_ol = eliminate(d, b, k, k + 1, g[k + 1], d_ol, b_ol)
        j = m - 1 - k
        d_il, b_il, c_il, dm, bm = eliminate_coupled(d, b, cw, j, j - 1, g[j], d_il, b_il, c_il, dm, bm)
        i3 = n - 1 - k
        d_or, b_or = eliminate(d, b, i3, i3 - 1, g[i3], d_or, b_or)
        j4 = m + 1 + k
        d_ir, b_ir, c_ir, dm, bm = eliminate_coupled(d, b, cw, j4, j4 + 1, g[j4 + 1], d_ir, b_ir, c_ir, dm, bm)
    for k in range(K, n_ol):
        d_ol, b_ol = eliminate(d, b, k, k + 1, g[k + 1], d_ol, b_ol)
    for k in range(K, n_il):
        j = m - 1 - k
        d_il, b_il, c_il, dm, bm = eliminate_coupled(d, b, cw, j, j - 1, g[j], d_il, b_il, c_il, dm, bm)
    for k in range(K, n_or):
        i3 = n - 1 - k
        d_or, b_or = eliminate(d, b, i3, i3 - 1, g[i3], d_or, b_or)
    for k in range(K, n_ir):
        j4 = m + 1 + k
        d_ir, b_ir, c_ir, dm, bm = eliminate_coupled(d, b, cw, j4, j4 + 1, g[j4 + 1], d_ir, b_ir, c_ir, dm, bm)
    # the separators qL, m, qR: both sweeps of a block ended on its separator
    DL = d_ol + d_il - d[qL]
    BL = b_ol + b_il - b[qL]
    DR = d_or + d_ir - d[qR]
    BR = b_or + b_ir - b[qR]
    cL = c_il
    cR = c_ir
    xm = (bm + cL * BL / DL + cR * BR / DR) / (dm - cL * cL / DL - cR * cR / DR)
    xL = (BL + cL * xm) / DL
    xR = (BR + cR * xm) / DR
    b[m] = xm
    b[qL] = xL
    b[qR] = xR
    # back-substitution, the four sweeps outwards from their separators
    v_ol = xL
    v_il = xL
    v_or = xR
    v_ir = xR
    # tails first (the sweeps' innermost nodes, next to the separators), then all four together
    for k in range(n_ol - 1, K - 1, -1):
        v_ol = substitute(d, b, k, g[k + 1], v_ol, 0.0, 0.0)
    for k in range(n_il - 1, K - 1, -1):
        j = m - 1 - k
        v_il = substitute(d, b, j, g[j], v_il, cw[j], xm)
    for k in range(n_or - 1, K - 1, -1):
        i3 = n - 1 - k
        v_or = substitute(d, b, i3, g[i3], v_or, 0.0, 0.0)
    for k in range(n_ir - 1, K - 1, -1):
        j4 = m + 1 + k
        v_ir = substitute(d, b, j4, g[j4 + 1], v_ir, cw[j4], xm)
    for k in range(K - 1, -1, -1):
        v_ol = substitute(d, b, k, g[k + 1], v_ol, 0.0, 0.0)
        j = m - 1 - k
        v_il = substitute(d, b, j, g[j], v_il, cw[j], xm)
        i3 = n - 1 - k
        v_or = substitute(d, b, i3, g[i3], v_or, 0.0, 0.0)
        j4 = m + 1 + k
        v_ir = substitute(d, b, j4, g[j4 + 1], v_ir, cw[j4], xm)


@njit(cache=True, error_model="numpy")
def _solve_chain(d, b, gax, cw):
    if d.shape[0] >= 16:
        chain_solve4(d, b, gax, cw)
    else:
        chain_solve(d, b, gax)


@njit(cache=True, error_model="numpy")
def _inject(inj, site_node, site_wave, site_scale, i_t, k):
    for q in range(site_node.shape[0]):
        inj[site_node[q]] += site_scale[q] * i_t[k, site_wave[q]]


@njit(cache=True, error_model="numpy")
def _after_step(v, hist, ng_step, thr, spk_t, spk_n, t_origin, dt):
    """Store V^(n+1) in the history ring, then time the crossings (explicit methods)."""
    h_new = (ng_step + 1) % 4
    for c in range(v.shape[0]):
        hist[h_new, c] = v[c]
    _crossings(hist, ng_step, thr, spk_t, spk_n, t_origin, dt)


@njit(cache=True, error_model="numpy")
def _crossings(hist, n, thr, spk_t, spk_n, t_origin, dt, final=False):
    """Time upward threshold crossings on the interval [t_(n-1), t_n], once
    V^(n+1) is in the history ring, from the cubic through the four samples
    V^(n-2) .. V^(n+1) (linear on the very first interval).  ``final``: the
    run's last interval, where V^(n+1) does not exist: the parabola through
    V^(n-2) .. V^n."""
    if n < 1:
        return
    h_new = (n + 1) % 4
    ia = (n - 1) % 4
    ib = n % 4
    iz = (n - 2) % 4
    max_spk = spk_t.shape[1]
    for c in range(hist.shape[1]):
        a = hist[ia, c]
        b = hist[ib, c]
        th = thr[c]
        if a < th and b >= th:
            if n < 2:
                s = (th - a) / (b - a)
            elif final:
                s = crossing_quadratic(hist[iz, c], a, b, th)
            else:
                s = crossing_cubic(hist[iz, c], a, b, hist[h_new, c], th)
            k = spk_n[c]
            if k < max_spk:
                spk_t[c, k] = t_origin + (n - 1 + s) * dt
            spk_n[c] = k + 1


@njit(cache=True, error_model="numpy")
def finish_crossings(hist, n_total, thr, spk_t, spk_n, t_origin, dt):
    """Time crossings on the last interval [t_(N-1), t_N] (parabola through three samples)."""
    _crossings(hist, n_total, thr, spk_t, spk_n, t_origin, dt, True)


@njit(cache=True, error_model="numpy")
def _record(v, rec_nodes, v_rec, r):
    for m in range(rec_nodes.shape[0]):
        v_rec[r, m] = v[rec_nodes[m]]


@njit(cache=True, error_model="numpy")
def assemble(v, G, GE, d, b, cap, area, sumg, bfix, inv_tdt):
    """Diagonal d and right-hand side b of the theta step from V and the conductance sums."""
    for c in range(v.shape[0]):
        cd = cap[c] * inv_tdt
        d[c] = cd + area[c] * G[c] + sumg[c]
        b[c] = cd * v[c] + area[c] * GE[c] + bfix[c]


@njit(cache=True, error_model="numpy", fastmath={{"contract"}})
def implicit_update(b, v, y, d, vmax, hist, h_new, PT, runs, cap, area, sumg, bfix, inv_theta, inv_tdt, dt):
    """After the solve (b = V at the theta point): V^(n+1), the history ring,
    the peak, the gates over dt at V^(n+1) and the next step's matrix, in one
    vectorisable pass over the nodes (no reductions in it)."""
    for r in range(runs.shape[0] - 1):
{_ind(_load_params(s), 8)}
        for c in range(runs[r], runs[r + 1]):
            V = b[c] * inv_theta - (inv_theta - 1.0) * v[c]
            v[c] = V
            hist[h_new, c] = V
            vmax[c] = max(vmax[c], V)
{_ind(relax, 12)}
{_ind(_sums(s, xn, new_pools, linearise=True), 12)}
            cd = cap[c] * inv_tdt
            d[c] = cd + area[c] * Gc + sumg[c]
            b[c] = cd * V + area[c] * GEc + bfix[c]


@njit(cache=True, error_model="numpy")
def _largest(v):
    """max |V|, NaN if any V is NaN."""
    big = 0.0
    for c in range(v.shape[0]):
        a = abs(v[c])
        if not (a <= big):
            big = a
    return big


@njit(cache=True, error_model="numpy")
def run_implicit(theta, chain, v, y, vmax, hist, PT, runs, area, cap, parent, gax,
                 sumg, bfix, alg_idx, alg_ptr, alg_nbr, alg_g, site_node, site_wave, site_scale,
                 i_t, i_end, damp, dt, t_origin, n0, n_steps, rec_every, rec_nodes, v_rec, thr,
                 spk_t, spk_n, d, b, d2, b2, cw):
    """Theta method for V (Crank-Nicolson at theta = 1/2, backward Euler at 1),
    gates staggered by half a step and integrated exactly at fixed V.

    On entry ``y`` holds the gates half a step ahead of ``v``, and ``d``,
    ``b`` the assembled diagonal and right-hand side of the next step (see
    ``assemble``).  ``sumg`` is each node's total axial and boundary
    conductance (µS), ``bfix`` the boundary current (nA) at V = 0.  ``i_t``
    is the stimulus at the theta point of each step; for Crank-Nicolson, a
    step with ``damp[k]`` set (one holding a stimulus jump, and the next) is
    taken as two backward-Euler half steps instead (Rannacher's start-up: the
    jump's high-frequency content is damped, not left ringing), with the
    stimulus ``i_t`` (mid-step) and ``i_end`` (end of step).  Returns -1, or
    the local step at which V blew up.
    """
    inv_tdt = 1.0 / (theta * dt)
    inv_theta = 1.0 / theta
    # every node feeds the solve's last pivot (the middle of a chain, the root
    # of a tree): a NaN or Inf anywhere shows there at once
    probe = v.shape[0] // 2 if chain else 0
    r = 0
    for k in range(n_steps):
        ng_step = n0 + k
        split = damp[k] != 0 and theta == 0.5
        if split:  # two backward-Euler half steps; the same matrix (C / (dt/2) = C / (theta dt))
            d2[:] = d
            b2[:] = b
        _inject(b, site_node, site_wave, site_scale, i_t, k)
        if chain:
            _solve_chain(d, b, gax, cw)
        else:
            hines_solve(d, b, parent, gax)
        if split:
            for c in range(v.shape[0]):
                t1 = b[c]
                b[c] = b2[c] + cap[c] * inv_tdt * (t1 - v[c])
                d[c] = d2[c]
            _inject(b, site_node, site_wave, site_scale, i_end, k)
            if chain:
                _solve_chain(d, b, gax, cw)
            else:
                hines_solve(d, b, parent, gax)
        if not (abs(b[probe]) < 1e4):
            return k
        implicit_update(b, v, y, d, vmax, hist, (ng_step + 1) % 4, PT, runs, cap, area, sumg,
                        bfix, 1.0 if split else inv_theta, inv_tdt, dt)
        if (k & 63) == 63 and not (_largest(v) < 1e4):
            return k
        if alg_idx.shape[0] > 0:
            set_junctions(v, alg_idx, alg_ptr, alg_nbr, alg_g)
            for q in range(alg_idx.shape[0]):
                hist[(ng_step + 1) % 4, alg_idx[q]] = v[alg_idx[q]]
        _crossings(hist, ng_step, thr, spk_t, spk_n, t_origin, dt)
        if rec_every > 0 and (ng_step + 1) % rec_every == 0:
            _record(v, rec_nodes, v_rec, r)
            r += 1
    return -1


@njit(cache=True, error_model="numpy")
def run_euler(v, y, vmax, hist, PT, runs, area, icap, parent, gax, gfix, bfix,
              alg_idx, alg_ptr, alg_nbr, alg_g, site_node, site_wave, site_scale,
              i_a, dt, t_origin, n0, n_steps, rec_every, rec_nodes, v_rec, thr, spk_t, spk_n):
    """Forward Euler on V and the gates together (explicit: conditionally stable)."""
    n = v.shape[0]
    dv = np.empty(n)
    dy = np.empty_like(y)
    ia = np.empty(n)
    inj = np.empty(n)
    r = 0
    for k in range(n_steps):
        ng_step = n0 + k
        inj[:] = 0.0
        _inject(inj, site_node, site_wave, site_scale, i_a, k)
        derivs_all(v, y, inj, dv, dy, ia, PT, runs, area, icap, parent, gax, gfix, bfix,
                   alg_idx, alg_ptr, alg_nbr, alg_g)
        big = 0.0
        acc = 0.0
        for c in range(n):
            v[c] += dt * dv[c]
            vmax[c] = max(vmax[c], v[c])
            big = max(big, abs(v[c]))
            acc += v[c]
            for j in range(y.shape[0]):
                y[j, c] += dt * dy[j, c]
        if not (big < 1e4) or acc != acc:
            return k
        set_junctions(v, alg_idx, alg_ptr, alg_nbr, alg_g)
        _after_step(v, hist, ng_step, thr, spk_t, spk_n, t_origin, dt)
        if rec_every > 0 and (ng_step + 1) % rec_every == 0:
            _record(v, rec_nodes, v_rec, r)
            r += 1
    return -1


@njit(cache=True, error_model="numpy")
def run_rk4(v, y, vmax, hist, PT, runs, area, icap, parent, gax, gfix, bfix,
            alg_idx, alg_ptr, alg_nbr, alg_g, site_node, site_wave, site_scale,
            i_a, i_m, i_b, dt, t_origin, n0, n_steps, rec_every, rec_nodes, v_rec, thr, spk_t, spk_n):
    """Classical fourth-order Runge-Kutta on V and the gates (explicit)."""
    n = v.shape[0]
    ngt = y.shape[0]
    kv = np.empty((4, n))
    ky = np.empty((4, ngt, n))
    vs = np.empty(n)
    ys = np.empty_like(y)
    ia = np.empty(n)
    inj = np.empty(n)
    r = 0
    for k in range(n_steps):
        ng_step = n0 + k
        for st in range(4):
            if st == 0:
                vs[:] = v
                ys[:, :] = y
            else:
                h = 0.5 * dt if st < 3 else dt
                for c in range(n):
                    vs[c] = v[c] + h * kv[st - 1, c]
                    for j in range(ngt):
                        ys[j, c] = y[j, c] + h * ky[st - 1, j, c]
            inj[:] = 0.0
            if st == 0:
                _inject(inj, site_node, site_wave, site_scale, i_a, k)
            elif st < 3:
                _inject(inj, site_node, site_wave, site_scale, i_m, k)
            else:
                _inject(inj, site_node, site_wave, site_scale, i_b, k)
            derivs_all(vs, ys, inj, kv[st], ky[st], ia, PT, runs, area, icap, parent, gax,
                       gfix, bfix, alg_idx, alg_ptr, alg_nbr, alg_g)
        big = 0.0
        acc = 0.0
        for c in range(n):
            v[c] += dt / 6.0 * (kv[0, c] + 2.0 * kv[1, c] + 2.0 * kv[2, c] + kv[3, c])
            vmax[c] = max(vmax[c], v[c])
            big = max(big, abs(v[c]))
            acc += v[c]
            for j in range(ngt):
                y[j, c] += dt / 6.0 * (ky[0, j, c] + 2.0 * ky[1, j, c] + 2.0 * ky[2, j, c] + ky[3, j, c])
        if not (big < 1e4) or acc != acc:
            return k
        set_junctions(v, alg_idx, alg_ptr, alg_nbr, alg_g)
        _after_step(v, hist, ng_step, thr, spk_t, spk_n, t_origin, dt)
        if rec_every > 0 and (ng_step + 1) % rec_every == 0:
            _record(v, rec_nodes, v_rec, r)
            r += 1
    return -1
'''
    return src


# ------------------------------------------------------------------ loading
def _cable_helpers_hash() -> str:
    return hashlib.sha256(Path(cable_helpers.__file__).read_bytes()).hexdigest()[:16]


def cable_module(s: Structure) -> ModuleType:
    """The compiled cable kernel module for ``s`` (generated and cached on first use)."""
    check_supported(s)
    return load_generated("hhsim_cable", generate_source(s))
