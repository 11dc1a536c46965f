"""Generate the compiled membrane functions of a network's structures.

What changes with the models is only the membrane update of each
structure; the time loop (synapses, the event queue, drive, spikes,
recording, threads) is fixed numba code in :mod:`hhsim.engine.network_loop`,
compiled once for every network, which calls the functions generated here
as first-class function values.  For each structure ``k`` of the network
the module holds

* ``derivs_k``: the right-hand side (from :mod:`hhsim.engine.codegen`'s emitters),
  compiled once and called, not inlined where it is used (about 1 s less compiling
  per network; LLVM still inlines it into the stages);
* ``sub_k``: one sub-step of length ``h`` of the chosen fixed-step method
  with synaptic terms: linear synapses evaluated exactly at the stage
  times, kinetic, graded and gap-junction terms held at the sub-step start,
  the NMDA magnesium block evaluated at each stage voltage;
* ``fast_k``: one whole step of the nodes nothing happens to inside it
  (the vectorised fast path);

and the three functions the loop calls, ``fast``, ``sub`` and ``dvdt``,
which choose structure k's code (their signatures:
:data:`~hhsim.engine.network_loop.FAST_SIGNATURE` and the others).

Only our own templates, indices and numbers reach the source: no user text.
"""

from __future__ import annotations

from dataclasses import dataclass

from .function_values import CompiledFunction
from .codegen import SHARING_SOLVERS, StepLines, _helpers_hash, load_generated, loop_flags
from .emit import (channel_currents, conductances, effective_gates, gate_relaxation, instantaneous_values,
                   membrane_terms, node_param, pool_relaxation)
from ..physics.exp_sharing import SharedExps
from ..physics.structure import Structure
from . import network_loop as loop
from .solvers import FIXED_STEP
from .solvers.explicit_rk import StageNames, Tableau, stage_lines

#: Fixed-step methods the network driver supports: all of the point registry's
#: (exponential Euler, and every explicit Runge-Kutta method from its tableau).
METHODS = tuple(FIXED_STEP)

_PARAMS = "c, gbar, erev, phi, cm, rp"


def _indent(lines: list[str], n: int) -> str:
    pad = " " * n
    return "\n".join(pad + ln for ln in lines)


def _xs(s: Structure, prefix: str = "x") -> str:
    return "".join(f"{prefix}{j}, " for j in range(s.n_states))


def _tuple(items: list[str]) -> str:
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _physics(s: Structure) -> list[str]:
    return (gate_relaxation(s, "V") + conductances(s, effective_gates(s)) + channel_currents(s, "V")
            + pool_relaxation(s))


def _derivs(s: Structure, k: int) -> list[str]:
    ns, nc = s.n_states, s.n_channels
    iion = " + ".join(f"I{i}" for i in range(nc)) or "0.0"
    dx = [f"A{j} - B{j} * x{j}" for j in range(ns)]
    return [
        "@compiled_only(error_model='numpy')",
        f"def derivs_{k}(V, {_xs(s)}I, {_PARAMS}):",
        _indent(_physics(s), 4),
        f"    return {_tuple([f'(I - ({iion})) / cm[c]', *dx])}",
        "",
    ]


def _syn_current(v: str, g: str, ge: str, nmda: bool) -> str:
    """Synaptic current (µA/cm², inward positive) at voltage ``v`` for linear terms (g, ge),
    and the NMDA terms with their magnesium block when the network has NMDA synapses."""
    if not nmda:
        return f"({ge} - {g} * {v})"
    return f"({ge} - {g} * {v} + mg_block({v}, mg) * (GEn - Gn * {v}))"


def _inst(s: Structure) -> list[str]:
    ng = s.n_gates
    return instantaneous_values(s, "Vn", "xn", {p.name: f"xn{ng + q}" for q, p in enumerate(s.pools)})


def _sub_expeuler(s: Structure, k: int, nmda: bool) -> list[str]:
    ns, ng = s.n_states, s.n_gates
    relaxing = [j for j in range(ns) if j >= ng or not s.gates[j].instantaneous]
    g_terms, ge_terms = membrane_terms(s, lambda i: f"erev[{i}, c]")
    return [
        "    # gates and pools relax exactly at fixed V; V exactly for the membrane",
        "    # linearised at the sub-step's start, synaptic conductances included",
        _indent(_physics(s), 4),
        _indent([f"xi{j} = A{j} / B{j}" for j in relaxing], 4),
        _indent([f"xn{j} = xi{j} + (x{j} - xi{j}) * math.exp(-B{j} * h)" if j in relaxing
                 else f"xn{j} = x{j}" for j in range(ns)], 4),
        "    bm = mg_block(V, mg)" if nmda else "    bm = 0.0",
        f"    G = {' + '.join(['G0', 'Gn * bm', *g_terms])}",
        f"    GE = {' + '.join(['GE0', 'GEn * bm', *ge_terms])}",
        "    Vinf = (Sa + GE) / G",
        "    Vn = Vinf + (V - Vinf) * math.exp(-h * G / cm[c])",
    ]


#: The drive of a stage at node c of the step (0, 1/2, 1): stimulus and the
#: linear synapses' (G, G E) evaluated there.
_SUB_DRIVE = {0: ("Sa", "G0", "GE0"), 0.5: ("Sm", "Gm", "GEm"), 1: ("Sb", "G1", "GE1")}
_FAST_DRIVE = {0: ("Sa", "0"), 0.5: ("Sm", "m"), 1: ("Sb", "1")}


def _tableau(method: str) -> Tableau:
    return FIXED_STEP[method].tableau


def needs_mid_and_end(method: str) -> bool:
    """Whether ``method``'s stages need the synaptic drive inside and at the end of a step."""
    tab = _tableau(method)
    return tab is not None and tab.needs_mid_and_end


def _sub_explicit(s: Structure, k: int, nmda: bool, tab: Tableau) -> list[str]:
    """A sub-step of an explicit method, its stages calling ``derivs_k``."""

    def slopes(n, v, xs, at):
        stim, g, ge = _SUB_DRIVE[float(at)]
        args = "".join(f"{x}, " for x in xs)
        return [f"k{n} = derivs_{k}({v}, {args}{stim} + {_syn_current(v, g, ge, nmda)}, {_PARAMS})"]

    names = StageNames(slope=lambda n, comp: f"k{n}[{comp}]", slopes=slopes,
                       stage_v=lambda n, expr: f"V{n} = {expr}")
    return [_indent(stage_lines(tab, s.n_states, "h", names), 4)]




def _sub(s: Structure, k: int, method: str, nmda: bool) -> list[str]:
    """``sub_k``: advance node c of structure k by h; the new state goes into y.  Returns
    (Vn, dV/dt at the start, dV/dt at the end); the slopes (for locating a spike on the
    cubic interpolant) only when V crosses ``thr`` upwards or ``slopes`` asks for them
    (a dead time ends in the sub-step), else zeros."""
    ns = s.n_states
    xs = "".join(f"x{j}, " for j in range(ns))
    xns = "".join(f"xn{j}, " for j in range(ns))
    return [
        "@compiled_only(error_model='numpy', inline='always')",
        f"def sub_{k}(V, y, h, Sa, Sm, Sb, G0, GE0, Gm, GEm, G1, GE1, Gn, GEn, mg, thr, slopes, {_PARAMS}):",
        _indent([f"x{j} = y[{j}, c]" for j in range(ns)], 4),
        *(_sub_expeuler(s, k, nmda) if _tableau(method) is None else _sub_explicit(s, k, nmda, _tableau(method))),
        _indent(_inst(s), 4),
        _indent([f"y[{j}, c] = xn{j}" for j in range(ns)], 4),
        "    d0 = 0.0",
        "    d1 = 0.0",
        "    if (V < thr and Vn >= thr) or slopes:",
        f"        d0 = derivs_{k}(V, {xs}Sa + {_syn_current('V', 'G0', 'GE0', nmda)}, {_PARAMS})[0]",
        f"        d1 = derivs_{k}(Vn, {xns}Sb + {_syn_current('Vn', 'G1', 'GE1', nmda)}, {_PARAMS})[0]",
        "    return Vn, d0, d1",
        "",
    ]


def _fast_method(s: Structure, method: str, lines: StepLines) -> list[str]:
    """One whole step of ``method`` for a fast node, straight-line (from ``lines``):
    defines ``Vn``, ``xn<j>`` and ``dV0``; the synaptic terms of the step's start, middle
    and end are ``G0s``/``GE0s``, ``Gms``/``GEms``, ``G1s``/``GE1s``."""
    ns = s.n_states
    tab = _tableau(method)
    if tab is None:
        return lines.expstep("V", [f"x{j}" for j in range(ns)], "Sa", extra=("G0s", "GE0s"))

    def slopes(n, v, xs, at):
        stim, when = _FAST_DRIVE[float(at)]
        return lines.derivs(f"k{n}_", v, xs, f"{stim} + (GE{when}s - G{when}s * {v})")

    names = StageNames(slope=lambda n, comp: f"k{n}_{comp}", slopes=slopes,
                       stage_v=lambda n, expr: f"V{n} = {expr}")
    body = stage_lines(tab, ns, "dt", names)
    last = next(i for i, ln in enumerate(body) if ln.startswith("Vn = "))
    return body[:last] + ["dV0 = k1_0"] + body[last:]


def _fast_body(s: Structure, method: str, param, full: bool, pools: dict, hits: str, exps=None) -> list[str]:
    """The fast loop's body for node c, parameters named by ``param``; ``hits`` is or-ed
    with whether the node crossed its threshold or diverged; ``exps``: the rate forms'
    shared exponentials (a :class:`~hhsim.physics.exp_sharing.SharedExps`) or None."""
    ns = s.n_states
    return [
        "fsl = S[0, c] != 0.0",
        "V = S[1, c]",
        *[f"x{j} = y[{j}, c]" for j in range(ns)],
        "Sa = S[3, c]", "Sm = S[4, c]", "Sb = S[5, c]",
        "G0s = S[6, c]", "GE0s = S[7, c]",
        *(["Gms = S[8, c]", "GEms = S[9, c]", "G1s = S[10, c]", "GE1s = S[11, c]"] if full else []),
        *_fast_method(s, method, StepLines(s, param, exps, rcm="rcm[c]")),
        *instantaneous_values(s, "Vn", "xn", pools, param=param),
        "S[12, c] = choose(fsl, V, Vn)",
        "S[13, c] = dV0",
        *[f"y[{j}, c] = choose(fsl, x{j}, xn{j})" for j in range(ns)],
        "thc = S[2, c]",
        "hit = (not fsl) & (((V < thc) & (Vn >= thc)) | (not (abs(Vn) < 1e4)))",
        "S[14, c] = choose(hit, 1.0, 0.0)",
        f"{hits} |= hit",
    ]


def _fast(s: Structure, k: int, method: str, uniform: bool) -> list[str]:
    """``fast_k``: one whole step of structure k's nodes lo .. hi - 1 that nothing happens
    to inside the step, inputs and outputs in the scratch rows ``S``
    (:data:`~hhsim.engine.network_driver.SCRATCH`): one straight-line loop, vectorised
    by LLVM (no call, no branch; a crossing or a divergence only sets a flag, and the
    fixed loop times the crossings).  Returns whether a node crossed or diverged.

    ``uniform``: the structure's nodes share every rate parameter (``rp``, ``phi``;
    :attr:`~hhsim.physics.structure.Plan.shares_kinetics`), and the loop reads them as
    loop-invariant scalars, like the batch kernel's uniform loop.  Then, for the
    methods whose batch kernels do (:data:`~hhsim.engine.codegen.SHARING_SOLVERS`), its
    rate forms come from the structure's shared exponentials
    (:mod:`hhsim.physics.exp_sharing`; the caller sets the sharing its nodes' own
    parameters allow), their slopes and factors computed once per call: the same
    operations on the same values as the batch kernel's uniform loop."""
    ng = s.n_gates
    pools = {p.name: f"xn{ng + q}" for q, p in enumerate(s.pools)}
    rows = [("rp", j) for j in range(s.n_rate_params)] + [("phi", i) for i in range(s.n_channels)]
    scalar = lambda array, row: f"u_{array}{row}" if array in _SHARED else node_param(array, row)  # noqa: E731
    sharing = s.exp_sharing if uniform and method in SHARING_SOLVERS else None
    exps = None if sharing is None else SharedExps(s, sharing, scalar, lambda b: f"u_sl{b}", lambda n: f"u_sf{n}")
    body = _fast_body(s, method, scalar if uniform else node_param, needs_mid_and_end(method), pools, "hits", exps)
    return [
        "@compiled_only(error_model='numpy', inline='always')",
        f"def fast_{k}(lo, hi, dt, S, y, gbar, erev, phi, cm, rp, rcm):",
        *([f"    u_{a}{j} = {a}[{j}, 0]" for a, j in rows] if uniform else []),
        *(f"    {ln}" for ln in (exps.prologue() if exps is not None else [])),
        "    hits = False",
        "    for c in range(np.uint64(lo), np.uint64(hi)):",
        _indent(body, 8),
        "    return hits",
        "",
    ]


#: The parameter arrays a uniform structure's fast loop reads as scalars.
_SHARED = ("rp", "phi")


def _dispatch(structures: tuple[Structure, ...], flags: str) -> list[str]:
    """The three functions the fixed loop (:mod:`hhsim.engine.network_loop`) calls, each
    choosing structure k's code: ``fast``, ``sub`` (its node's arrays from raw
    pointers, its inputs and outputs in ``d``, see ``network_loop.SUB_IN``) and ``dvdt``."""
    fast = [f"@compiled_only(function_value=True, {flags})", "def fast(k, lo, hi, dt, S, y, gbar, erev, phi, cm, rp, rcm):"]
    sub = [f"@compiled_only(function_value=True, {flags})", "def sub(k, c, n_k, d_p, y_p, gbar_p, erev_p, phi_p, cm_p, rp_p):",
           f"    d = carray(d_p, ({loop.SUB_BUFFER},))"]
    dvdt = [f"@compiled_only(function_value=True, {flags})", "def dvdt(k, c, V, I, y, gbar, erev, phi, cm, rp):"]
    slopes = loop.SUB_IN.index("slopes")
    out = len(loop.SUB_IN)
    for k, s in enumerate(structures):
        xs = "".join(f"y[{j}, c], " for j in range(s.n_states))
        fast += [f"    if k == {k}:", f"        return fast_{k}(lo, hi, dt, S, y, gbar, erev, phi, cm, rp, rcm)"]
        dvdt += [f"    if k == {k}:", f"        return derivs_{k}(V, {xs}I, c, gbar, erev, phi, cm, rp)[0]"]
        drive = ", ".join(f"d[{q}]" for q in range(2, slopes))  # Sa .. thr
        sub += [f"    if k == {k}:",
                f"        y = carray(y_p, ({s.n_states}, n_k))",
                f"        gbar = carray(gbar_p, ({s.n_channels}, n_k))",
                f"        erev = carray(erev_p, ({s.n_channels}, n_k))",
                f"        phi = carray(phi_p, ({s.n_channels}, n_k))",
                "        cm = carray(cm_p, (n_k,))",
                f"        rp = carray(rp_p, ({s.n_rate_params}, n_k))",
                f"        Vn, d0, d1 = sub_{k}(d[0], y, d[1], {drive}, d[{slopes}] != 0.0, c, gbar, erev, phi, cm, rp)",
                f"        d[{out}] = Vn",
                f"        d[{out + 1}] = d0",
                f"        d[{out + 2}] = d1"]
    return [*fast, "    return False", "", "", *sub, "", "", *dvdt, "    return 0.0", ""]


def generate_source(structures: tuple[Structure, ...], method: str, nmda: bool = True,
                    uniform: tuple[bool, ...] | None = None) -> str:
    """Source of the network module for ``structures`` advanced by ``method`` (``nmda``:
    whether NMDA synapses, and so their voltage-dependent block, are present;
    ``uniform[k]``: structure k's nodes all share their rate parameters and
    temperature factors, so its fast loop reads them as scalars)."""
    uniform = tuple(uniform) if uniform is not None else (False,) * len(structures)
    flags = loop_flags(FIXED_STEP[method])
    out = [
        f"# Generated by hhsim: network membranes ({method}, NMDA {nmda}, uniform {uniform}) for "
        f"{len(structures)} membrane structure(s)",
        f"# helpers {_helpers_hash()} {_fixed_hash()}",
        *[f"# structure {k}: {s!r}" for k, s in enumerate(structures)],
        "import hhsim.engine.kernel_math as math  # math with a vectorisable exp",
        "import numpy as np",
        "from numba import carray",
        "from hhsim.engine.compiled_only import compiled_only",
        "from hhsim.engine.kernel_helpers import (_exp_rate, _sigmoid_rate, _linexp_rate, _linexp, _vtrap,",
        "                                         _exp_rate_e, _sigmoid_rate_e, _linexp_rate_e, _exp_ratio_e,",
        "                                         _ghk, choose, fexp)",
        "from hhsim.engine.network_kernels import mg_block",
        "",
    ]
    for k, s in enumerate(structures):
        out += _derivs(s, k)
        out += _sub(s, k, method, nmda)
        out += _fast(s, k, method, uniform[k])
    out += _dispatch(structures, flags)
    return "\n".join(out) + "\n"


def _fixed_hash() -> str:
    """Hash of the fixed modules the driver inlines: numba's cache does not notice
    when an inlined function of another module changes, so they name the module."""
    import hashlib
    from pathlib import Path

    from . import network_kernels

    h = hashlib.sha256()
    for mod in (network_kernels,):
        h.update(Path(mod.__file__).read_bytes())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class MembraneFunctions:
    """A network's membrane functions as the fixed loop takes them (first-class
    function values, compiled or loaded from the cache when first called)."""

    fast: CompiledFunction
    sub: CompiledFunction
    dvdt: CompiledFunction


_BY_KEY: dict = {}


def network_module(structures: tuple[Structure, ...], method: str, nmda: bool = True,
                   uniform: tuple[bool, ...] | None = None) -> MembraneFunctions:
    """The compiled membrane functions for ``structures``, ``method``, NMDA presence and
    which structures' nodes share their kinetics (generated once, cached)."""
    key = (structures, method, nmda, uniform)
    try:
        return _BY_KEY[key]
    except KeyError:
        pass
    module = load_generated("hhsim_network", generate_source(structures, method, nmda, uniform))
    functions = MembraneFunctions(fast=CompiledFunction(module.fast, loop.FAST_SIGNATURE),
                                  sub=CompiledFunction(module.sub, loop.SUB_SIGNATURE),
                                  dvdt=CompiledFunction(module.dvdt, loop.DVDT_SIGNATURE))
    _BY_KEY[key] = functions
    return functions
