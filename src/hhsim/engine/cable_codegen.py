"""Generate, cache and load the membrane update of a cable's model structure.

Only what the channels change is generated.  For each
:class:`~hhsim.physics.structure.Structure` (the union of the channels of every
region of a morphology) one module is written with two functions, compiled
by numba (``cache=True``, ``error_model='numpy'``):

* ``membrane_step(v, y, G, GE, PT, runs, tau, lo, hi)``: the gates and
  pools of nodes ``lo .. hi-1`` relaxed exactly over ``tau`` at fixed V (pools and gates at the
  middle of the step, see :func:`_relax_states`), then the membrane
  linearised at V (``G``, ``GE``; currents nonlinear in V by their tangent);
* ``membrane_rates(...)``: the method-of-lines right-hand side of the
  membrane, for the explicit methods.

At import the module binds the fixed drivers of
:mod:`hhsim.engine.cable_driver` (``run_implicit``, ``theta_step``,
``run_euler``, ``run_rk4``, ...) to these functions, passed to them as
first-class function values: the drivers are compiled once for every
structure.  The tree solves (:mod:`hhsim.engine.tree_solve`) are ordinary
compiled functions.

Per-node parameters are grouped into runs of consecutive nodes that share
them (``PT``, ``runs``): inside a run they are loop-invariant scalars, which
is what lets LLVM vectorise the node loop (per-node parameter rows would
need more run-time alias checks than it makes).  The gate and conductance
lines come from :mod:`hhsim.engine.codegen`'s emitters (``gate_relaxation``,
``conductances``, ...) called with this module's parameter naming
(:func:`_run_param`: ``p_rp3``, loaded once per run); the rate forms they
call resolve to the branch-free versions of :mod:`hhsim.engine.cable_helpers`.
The arithmetic loops allow floating-point contraction (a*b + c as one fused
multiply-add, one rounding instead of two); nothing else of fast-math.

The module is written to the same cache directory as the point-neuron
kernels under a name that hashes its source, which names the hash of the
fixed modules it links against.  Only our own templates, indices and
numbers reach the source: no user text.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from types import ModuleType

from ..channels.base import FORMS
from ..errors import HHSimError
from . import cable_driver, cable_helpers, kernel_helpers, kernel_math, kernel_series, spin, tree_solve
from .codegen import by_structure, load_generated
from .emit import (channel_current, channel_currents, conductance_source, conductances, gate_relaxation,
                   instantaneous_values, membrane_terms, pool_relaxation)
from ..physics.exp_sharing import SharedExps
from ..physics.structure import Structure


# Structure fields the cable kernel understands.  Ion fields are accepted in
# their "plain ohmic channels, no pools" values; anything else is refused.
_KNOWN_STRUCTURE_FIELDS = {"n_channels", "channel_gates", "gates", "n_rate_params", "channel_names",
                           "channel_modes", "channel_pool", "channel_valence", "channel_extra", "pools",
                           "exp_sharing", "channel_open", "channel_open_offset"}
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


def _run_param(array: str, row: int) -> str:
    """Parameter naming of the cable kernels: ``p_rp3`` etc., loaded once per run of
    nodes that share them (:func:`_load_params`), which keeps the node loop free
    of per-node parameter loads and lets LLVM vectorise it."""
    return f"p_{array}{row}"


def _shared(s: Structure) -> SharedExps | None:
    """The cell's shared exponentials (:mod:`hhsim.physics.exp_sharing`), slopes and
    factors loaded once per run of nodes like the other parameters."""
    if s.exp_sharing is None:
        return None
    return SharedExps(s, s.exp_sharing, _run_param, lambda b: f"p_sl{b}", lambda n: f"p_sf{n}")


def _load_params(s: Structure) -> list[str]:
    """Lines (inside ``for r``) loading run r's parameters from the table ``PT``."""
    nc = s.n_channels
    out = []
    for i in range(nc):
        out += [f"p_gbar{i} = PT[r, {i}]", f"p_erev{i} = PT[r, {nc + i}]", f"p_phi{i} = PT[r, {2 * nc + i}]"]
    out += [f"p_rp{k} = PT[r, {3 * nc + k}]" for k in range(s.n_rate_params)]
    shared = _shared(s)
    return out + (shared.prologue() if shared is not None else [])


def _gates_at(s: Structure, v: str, conc: dict[str, str] | None = None) -> list[str]:
    """``gate_relaxation`` at ``v`` for the cable kernels (rates from shared exponentials
    where the cell has them)."""
    shared = _shared(s)
    pre, forms = shared.at(v) if shared is not None else ([], None)
    return pre + gate_relaxation(s, v, conc=conc, param=_run_param, shared=forms)


def _membrane_block(s: Structure, v: str) -> list[str]:
    """Lines (inside ``for c``) loading the states (gates, then pools) and
    computing A_j, B_j of the gates at voltage ``v``."""
    return [f"x{j} = y[{j}, c]" for j in range(s.n_states)] + _gates_at(s, v)


def _ohmic_only(s: Structure) -> bool:
    return all(s.mode(i) == "ohmic" for i in range(s.n_channels))


def _relax_states(s: Structure) -> list[str]:
    """Lines (inside ``for c``, V known) relaxing every state exactly over tau at
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
            out += [f"xi{j} = A{j} * iB{j}", f"{new}{j} = xi{j} + (x{j} - xi{j}) * fexp(-B{j} * tau)"]
        return out

    def pools_at(xs, conc):
        return (conductances(s, xs, param=_run_param) + channel_currents(s, "V", conc, param=_run_param)
                + pool_relaxation(s, param=_run_param))

    pool_js = list(range(ng, ns))
    if pool_js:
        old = {p.name: f"x{ng + k}" for k, p in enumerate(s.pools)}
        mid = {p.name: f"cm{ng + k}" for k, p in enumerate(s.pools)}
        lines += instantaneous_values(s, "V", "xinf", old, param=_run_param)  # gates at the old pools
        lines += pools_at(_effective(s, "x"), old) + _reciprocals(s, only=pool_js) + relax(pool_js, "cp")
        lines += [f"cm{j} = 0.5 * (x{j} + cp{j})" for j in pool_js]
        lines += _gates_at(s, "V", conc=mid)
    else:
        lines += _gates_at(s, "V")
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
        lines += instantaneous_values(s, v, f"xinf{side}", conc, param=_run_param)
        held = [f"xinf{side}{j}" if _instant(g) else xs[j] for j, g in enumerate(s.gates)]
        for i in chans:
            lines.append(f"g{side}{i} = " + conductance_source(s, i, held, param=_run_param))
            lines += channel_current(s, i, v, f"g{side}{i}", f"I{side}{i}", conc, param=_run_param)
    lines += [f"S{i} = (IP{i} - IM{i}) * 500.0" for i in chans]
    return lines


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
    lines = conductances(s, xs, param=_run_param)
    lin = [i for i in range(s.n_channels) if linearise and _nonlinear(s, i)]
    if lin or s.pools or not _ohmic_only(s):  # (a pool needs every channel's current I_i)
        conc = None if pools is None else {p.name: pools[k] for k, p in enumerate(s.pools)}
        lines += channel_currents(s, "V", conc, param=_run_param)
        if lin:
            lines += _slopes(s, xs, conc)
    g, ge = membrane_terms(s, lambda i: _run_param("erev", i), tangent=lin)
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


def _membrane_loop(s: Structure, store: list[str]) -> str:
    """The loop of membrane_step and membrane_assemble over the runs of nodes that
    share parameters and the nodes lo .. hi-1 in them: states relaxed, the membrane
    linearised (Gc, GEc), then the ``store`` lines."""
    xn = [f"xn{j}" for j in range(s.n_gates)]
    new_pools = [f"xn{j}" for j in range(s.n_gates, s.n_states)]
    return "\n".join([
        "    for r in range(runs.shape[0] - 1):",
        "        first = max(runs[r], lo)",
        "        end = min(runs[r + 1], hi)",
        "        if first >= end:",
        "            continue",
        _ind(_load_params(s), 8),
        "        # unsigned: no wrap-around of negative indices, which would keep the loop scalar",
        "        for c in range(np.uint64(first), np.uint64(end)):",
        "            V = v[c]",
        _ind(_relax_states(s), 12),
        _ind(_sums(s, xn, new_pools, linearise=True), 12),
        _ind(store, 12),
    ])


def generate_source(s: Structure) -> str:
    """Full source text of the membrane module for structure ``s``: the two
    functions whose body depends on the channels; the drivers are bound to
    them by :func:`hhsim.engine.cable_driver.bind` at import."""
    ng, ns = s.n_gates, s.n_states
    xs = _effective(s, "x")
    # explicit methods: the pools' rates from the same currents as dV/dt
    deriv_lines = pool_relaxation(s, param=_run_param) + [f"dy[{j}, c] = A{j} - B{j} * x{j}" for j in range(ns)]
    return f'''# Generated by hhsim (cable membrane) for structure {s!r}
# helpers {_fixed_code_hash()}
import hhsim.engine.kernel_math as math  # math with a vectorisable exp (expression rates)
import numpy as np
from numba import njit
from hhsim.engine.compiled_only import compiled_only
import hhsim.engine.kernel_helpers as _kh
globals().update({{k: getattr(_kh, k) for k in dir(_kh) if k.startswith("_") and not k.startswith("__")}})
from hhsim.engine.cable_helpers import _exp_rate, _sigmoid_rate, _linexp_rate, fexp
from hhsim.engine.cable_helpers import _exp_rate_e, _sigmoid_rate_e, _linexp_rate_e
from hhsim.engine.tree_solve import chain_solve, hines_solve, set_junctions, solve_tree
from hhsim.engine import cable_driver as _cable_driver

N_GATES = {ng}
N_CHANNELS = {s.n_channels}


@njit(cache=True, error_model="numpy", fastmath={{"contract"}})  # also called from Python (relax_gates)
def membrane_step(v, y, G, GE, PT, runs, tau, lo, hi):
    """Relax the states of nodes lo .. hi-1 over tau (ms) at their V; store G, GE
    (membrane current G V - GE).

    Nodes runs[r] .. runs[r+1]-1 share the parameters in row r of PT
    (gbar, erev, phi per channel, then the rate parameters).
    """
{_membrane_loop(s, ["G[c] = Gc", "GE[c] = GEc"])}


@compiled_only(function_value=True, error_model="numpy", fastmath={{"contract"}})
def membrane_assemble(v, y, PT, runs, tau, lo, hi, d, b, cap, area, sumg, bfix, inv_tdt):
    """:func:`membrane_step` of nodes lo .. hi-1 and, in the same loop, their rows of
    the theta step's matrix (as ``cable_driver.assemble`` from the G, GE that
    membrane_step would store, without extra terms: the same bits, and four
    streams of memory fewer)."""
{_membrane_loop(s, ["cd = cap[c] * inv_tdt", "d[c] = cd + area[c] * Gc + sumg[c]",
                     "b[c] = cd * V + area[c] * GEc + bfix[c]"])}


@compiled_only(function_value=True, error_model="numpy", fastmath={{"contract"}})
def membrane_rates(v, y, ia, dv, dy, PT, runs, area, icap):
    """dV/dt (mV/ms) of every node from its axial and injected current ia (nA)
    and its membrane current; the states' rates in dy."""
    for r in range(runs.shape[0] - 1):
{_ind(_load_params(s), 8)}
        for c in range(runs[r], runs[r + 1]):
            V = v[c]
{_ind(_membrane_block(s, "V"), 12)}
{_ind(_sums(s, xs), 12)}
{_ind(deriv_lines, 12)}
            dv[c] = (ia[c] - area[c] * (Gc * V - GEc)) * icap[c]


_cable_driver.bind(globals())
'''


# ------------------------------------------------------------------ loading
def _fixed_code_hash() -> str:
    """Hash of the fixed modules the generated one links against: numba's cache
    does not follow calls into other files, so a change there must give the
    generated module a new name."""
    h = hashlib.sha256()
    for mod in (kernel_helpers, kernel_series, kernel_math, cable_helpers, tree_solve, cable_driver, spin):
        h.update(Path(mod.__file__).read_bytes())
    return h.hexdigest()[:16]


def cable_module(s: Structure) -> ModuleType:
    """The compiled cable kernel module for ``s`` (generated and cached on first use; then
    looked up by the structure, :func:`~hhsim.engine.codegen.by_structure`)."""
    return by_structure(_BY_STRUCTURE, s, lambda: _load_module(s))


def _load_module(s: Structure) -> ModuleType:
    check_supported(s)
    return load_generated("hhsim_cable", generate_source(s))


_BY_STRUCTURE: dict = {}
