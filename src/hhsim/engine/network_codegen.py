"""Generate the compiled network driver for a set of membrane structures.

What changes with the models is only the membrane update of each
structure; everything else (synapses, the event queue, drive, recording)
is fixed numba code in :mod:`hhsim.engine.network_kernels`, which the
generated module imports.  For each structure ``k`` of the network the
module holds

* ``derivs_k``: the right-hand side (from :mod:`hhsim.engine.codegen`'s emitters);
* ``sub_k``: one sub-step of length ``h`` of the chosen fixed-step method
  with synaptic terms: linear synapses evaluated exactly at the stage
  times, kinetic, graded and gap-junction terms held at the sub-step start,
  the NMDA magnesium block evaluated at each stage voltage;

and one driver ``run`` whose time loop visits every node of every structure
each step, splitting a node's step at each of its synaptic events.

Only our own templates, indices and numbers reach the source: no user text.
"""

from __future__ import annotations

from types import ModuleType

from .codegen import StepLines, _helpers_hash, load_generated, loop_flags
from .emit import (channel_currents, conductances, effective_gates, gate_relaxation, instantaneous_values,
                   membrane_terms, node_param, pool_relaxation)
from ..physics.structure import Structure
from . import network_driver as drv
from .solvers import FIXED_STEP
from .solvers.explicit_rk import StageNames, Tableau, stage_lines

#: Nodes per block when looking for the fast loop's threshold crossings.
SCAN_BLOCK = 32

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
        "@njit(cache=True, error_model='numpy', inline='always')",
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
        "@njit(cache=True, error_model='numpy', inline='always')",
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


def _fast_body(s: Structure, method: str, param, full: bool, pools: dict, hits: str) -> list[str]:
    """The fast loop's body for node c, parameters named by ``param``; ``hits`` is or-ed
    with whether the node crossed its threshold or diverged."""
    ns = s.n_states
    return [
        "fsl = S[0, c] != 0.0",
        "V = S[1, c]",
        *[f"x{j} = y[{j}, c]" for j in range(ns)],
        "Sa = S[3, c]", "Sm = S[4, c]", "Sb = S[5, c]",
        "G0s = S[6, c]", "GE0s = S[7, c]",
        *(["Gms = S[8, c]", "GEms = S[9, c]", "G1s = S[10, c]", "GE1s = S[11, c]"] if full else []),
        *_fast_method(s, method, StepLines(s, param, rcm="rcm[c]")),
        *instantaneous_values(s, "Vn", "xn", pools, param=param),
        "S[12, c] = choose(fsl, V, Vn)",
        "S[13, c] = dV0",
        *[f"y[{j}, c] = choose(fsl, x{j}, xn{j})" for j in range(ns)],
        "thc = S[2, c]",
        "hit = (not fsl) & (((V < thc) & (Vn >= thc)) | (not (abs(Vn) < 1e4)))",
        "S[14, c] = choose(hit, 1.0, 0.0)",
        f"{hits} |= hit",
    ]


def _fast_path(s: Structure, k: int, method: str, uniform_only: bool = False) -> tuple[list[str], list[str]]:
    """Structure k's nodes with nothing happening inside the step: inputs gathered by a
    fixed helper, then one straight-line loop (vectorised by LLVM: no call, no branch;
    crossings and divergence only set a flag), then a scalar pass for the flagged.
    Returns the lines of the first two, which every thread runs on its nodes
    ``lo<k> .. hi<k> - 1``, and those of the scalar pass, which the leading thread
    runs over all of them once the threads have met.

    The loop has two copies: when the structure's nodes share every rate
    parameter (``rp``, ``phi``; see :func:`_uniform_check`) the second reads them
    as loop-invariant scalars, like the batch kernel's uniform loop: the same
    operations on the same values, the same bits.  ``uniform_only``: the caller
    knows that they share them, and only that copy is compiled (half the code)."""
    ns, ng = s.n_states, s.n_gates
    full = needs_mid_and_end(method)
    end_g = ("S[10, c]", "S[11, c]") if full else ("S[6, c]", "S[7, c]")
    pools = {p.name: f"xn{ng + q}" for q, p in enumerate(s.pools)}
    scalar = lambda array, row: f"u{k}_{array}{row}" if array in _SHARED else node_param(array, row)  # noqa: E731
    general = _fast_body(s, method, node_param, full, pools, f"hits{k}")
    uniform = _fast_body(s, method, scalar, full, pools, f"hits{k}")
    xs_end = "".join(f"y[{j}, c], " for j in range(ns))
    scan = [
        "if S[14, c] != 0.0:",
        "    Vn = S[12, c]",
        "    if not (abs(Vn) < 1e4):",
        "        return 0, n",
        "    V = S[1, c]",
        "    if V < S[2, c] and Vn >= S[2, c]:",
        f"        d1 = derivs_{k}(Vn, {xs_end}S[5, c] + ({end_g[1]} - {end_g[0]} * Vn), {_PARAMS})[0]",
        "        ts = t + dt * hermite_crossing(V, Vn, S[13, c] * dt, d1 * dt, S[2, c])",
        f"        if not crossing(BASE[{k}] + c, ts, V, Vn, S[13, c] * dt, d1 * dt, t, dt, S[2, c], {drv.CROSSING_ARGS}):",
        "            return -5, n",
    ]
    step = [
        f"S = S{k}",
        f"fast_inputs(BASE[{k}], lo{k}, hi{k}, dt, {full}, S, {drv.FAST_INPUTS_ARGS})",
        f"hits{k} = False",
        *([f"for c in range(np.uint64(lo{k}), np.uint64(hi{k})):", *["    " + ln for ln in uniform]]
          if uniform_only else [
            f"if uni{k}:",
            f"    for c in range(np.uint64(lo{k}), np.uint64(hi{k})):",
            *["        " + ln for ln in uniform],
            "else:",
            f"    for c in range(np.uint64(lo{k}), np.uint64(hi{k})):",
            *["        " + ln for ln in general]]),
        f"fast_commit(BASE[{k}], lo{k}, hi{k}, dt, S, {drv.FAST_COMMIT_ARGS})",
    ]
    # after the threads met: the leading thread looks for the crossings in every
    # block of SCAN_BLOCK nodes that holds one (a vectorised pass, then those blocks)
    look = [
        f"S = S{k}",
        f"if hits{k} or n_threads > 1:",
        f"    for lo in range(0, S.shape[1], {SCAN_BLOCK}):",
        f"        hi = min(lo + {SCAN_BLOCK}, S.shape[1])",
        "        in_block = False",
        "        for c in range(np.uint64(lo), np.uint64(hi)):",
        "            in_block |= S[14, c] != 0.0",
        "        if in_block:",
        "            for c in range(lo, hi):",
        *["                " + ln for ln in scan],
        # then the fast nodes whose dead time, with a crossing held to its end, ends in
        # this step (slow nodes release theirs in their sub-steps), on the step's
        # interpolant (network_driver.crossing); a pass over the nodes only when some
        # hold ends before the step's end
        # (``release``: set before the structures' passes, which then make hold_min[0]
        # the smallest hold left; a slow node releasing its own later leaves it low,
        # which costs one more pass)
        # (block by block: a vectorised minimum first, the nodes of a block only when
        # one of its holds ends in the step)
        "if release:",
        f"    for lo in range(0, S.shape[1], {SCAN_BLOCK}):",
        f"        hi = min(lo + {SCAN_BLOCK}, S.shape[1])",
        "        first = math.inf",
        f"        for c in range(np.uint64(BASE[{k}] + lo), np.uint64(BASE[{k}] + hi)):",
        "            first = min(first, sp_hold[c])",
        "        if first < t1:",
        "            first = math.inf",
        "            for c in range(lo, hi):",
        f"                if S[0, c] == 0.0 and sp_hold[BASE[{k}] + c] < t1:",
        "                    Vn = S[12, c]",
        f"                    d1 = derivs_{k}(Vn, {xs_end}S[5, c] + ({end_g[1]} - {end_g[0]} * Vn), {_PARAMS})[0]",
        f"                    if not release_held(BASE[{k}] + c, S[1, c], Vn, S[13, c] * dt, d1 * dt, t, dt, S[2, c], "
        f"{drv.RECORD_SPIKE_ARGS}):",
        "                        return -5, n",
        f"                first = min(first, sp_hold[BASE[{k}] + c])",
        "        hold_min[0] = min(hold_min[0], first)",
    ]
    return step, look


#: The parameter arrays a uniform structure's fast loop reads as scalars.
_SHARED = ("rp", "phi")


def _uniform_check(s: Structure, k: int, uniform_only: bool = False) -> list[str]:
    """Lines (in ``run``, before the time loop) setting ``uni<k>``: do structure k's
    nodes share every rate parameter (known when ``uniform_only``)?  And then the
    scalars ``u<k>_rp<j>``, ``u<k>_phi<i>``."""
    rows = [("rp", j) for j in range(s.n_rate_params)] + [("phi", i) for i in range(s.n_channels)]
    return [
        f"gbar, erev, phi, cm, rp, rcm = P{k}",
        f"uni{k} = rp.shape[1] > 0",
        *(["for e in range(1, rp.shape[1]):"] if rows and not uniform_only else []),
        *[f"    uni{k} &= {a}[{j}, e] == {a}[{j}, 0]" for a, j in rows if not uniform_only],
        *[f"u{k}_{a}{j} = {a}[{j}, 0] if uni{k} else 0.0" for a, j in rows],
    ]


def _node_loop(k: int, method: str) -> list[str]:
    """The per-step loop over structure k's slow nodes (calls only fixed helpers and sub_k)."""
    full = str(needs_mid_and_end(method))
    return [
        f"gbar, erev, phi, cm, rp, rcm = P{k}",
        f"y = Y[{k}]",
        f"for c in range(y.shape[1]):",
        f"    if S{k}[0, c] == 0.0:",
        "        continue",
        f"    i = BASE[{k}] + c",
        f"    node_step(i, n, t, dt, seed, {drv.NODE_STEP_ARGS})",
        "    V = v[i]",
        "    ta = t",
        "    while True:",
        f"        te, which = next_event(i, ta, t, t1, {drv.NEXT_EVENT_ARGS})",
        "        h = te - ta",
        "        if h > 0.0:",
        f"            Sa, Sm, Sb = stim_terms(i, ta, h, {drv.STIM_TERMS_ARGS})",
        f"            Gc, GEc, Gn, GEn = held_terms(i, ta, {drv.HELD_TERMS_ARGS})",
        f"            G0, GE0, Gm, GEm, G1, GE1 = syn_terms(i, h, {full}, {drv.SYN_TERMS_ARGS}, Gc, GEc)",
        f"            Vn, d0, d1 = sub_{k}(V, y, h, Sa, Sm, Sb, G0, GE0, Gm, GEm, G1, GE1, Gn, GEn, mg[i], thr[i], "
        f"sp_hold[i] <= ta + h, {_PARAMS})",
        "            if not (abs(Vn) < 1e4):",
        "                return 0, n",
        f"            if not after_substep(i, V, Vn, d0, d1, ta, h, dt, {drv.AFTER_SUBSTEP_ARGS}):",
        "                return -5, n",
        "            V = Vn",
        "            ta = te",
        "        if which == 0:",
        "            break",
        f"        apply_event(i, which, te, {drv.APPLY_EVENT_ARGS})",
        "    v[i] = V",
    ]


def generate_source(structures: tuple[Structure, ...], method: str, nmda: bool = True,
                    uniform: tuple[bool, ...] | None = None) -> str:
    """Source of the network module for ``structures`` advanced by ``method`` (``nmda``:
    whether NMDA synapses, and so their voltage-dependent block, are present;
    ``uniform[k]``: structure k's nodes all share their rate parameters and
    temperature factors, so its fast loop needs only the copy for that)."""
    uniform = tuple(uniform) if uniform is not None else (False,) * len(structures)
    flags = loop_flags(FIXED_STEP[method])
    out = [
        f"# Generated by hhsim: network driver ({method}, NMDA {nmda}, uniform {uniform}) for "
        f"{len(structures)} membrane structure(s)",
        f"# helpers {_helpers_hash()} {_fixed_hash()}",
        *[f"# structure {k}: {s!r}" for k, s in enumerate(structures)],
        "import hhsim.engine.kernel_math as math  # math with a vectorisable exp",
        "import numpy as np",
        "from numba import njit",
        "from hhsim.engine.kernel_helpers import (_exp_rate, _sigmoid_rate, _linexp_rate, _linexp, _vtrap,",
        "                                         _ghk, choose, fexp, hermite_crossing)",
        "from hhsim.engine.network_kernels import mg_block",
        "from hhsim.engine.network_driver import (step_begin, node_step, next_event, stim_terms, held_terms,",
        "                                         syn_terms, after_substep, apply_event, step_end, fast_inputs,",
        "                                         fast_commit, fast_chunk, crossing, release_held)",
        "from hhsim.engine.spin import leave, meet",
        "",
    ]
    for k, s in enumerate(structures):
        out += _derivs(s, k)
        out += _sub(s, k, method, nmda)
    ps = ", ".join(f"P{k}" for k in range(len(structures))) + ", " + ", ".join(
        f"S{k}" for k in range(len(structures)))
    unpack = [f"{', '.join(names)}, = {tup}" for tup, names in drv.FIELDS.items()]
    fast = [_fast_path(s, k, method, uniform[k]) for k, s in enumerate(structures)]

    def params(k):
        return [f"gbar, erev, phi, cm, rp, rcm = P{k}", f"y = Y[{k}]"]

    # Every thread runs this loop; the serial parts are the leading thread's
    # (tid 0), the fast paths every thread's on its nodes, with two meetings
    # per step (hhsim.engine.spin): after step_begin, and after the fast paths
    # (the leading thread then times the crossings, and runs the slow nodes and
    # step_end, while the others go on to wait for the next step).
    body = ["t = t0 + n * dt",
            "t1 = t0 + (n + 1) * dt",
            "if tid == 0:",
            "    st = step_begin(n, t, dt, t0, seed, v, ST, LIN, GR, GAP, E, Q, EV, SPK)",
            "    if st != -1:",
            "        return st, n",
            "if n_threads > 1:",
            "    p += 1",
            "    if not meet(sync, n_threads, p):",
            "        return -1, n"]
    for k in range(len(structures)):
        body += [*params(k), *fast[k][0]]
    body += ["if n_threads > 1:",
             "    p += 1",
             "    if not meet(sync, n_threads, p):",
             "        return -1, n",
             "if tid != 0:",
             "    continue",
             "release = hold_min[0] < t1",
             "if release:",
             "    hold_min[0] = math.inf"]
    for k in range(len(structures)):
        body += [*params(k), *fast[k][1], *_node_loop(k, method)]
    body += ["st = step_end(n, t, dt, t0, v, Y, ST, LIN, KIN, GAP, E, Q, EV, SPK, REC)",
             "if st != -1:",
             "    return st, n + 1"]
    args = f"n_from, n_to, t0, dt, seed, v, thr, Y, BASE, {ps}, ST, LIN, KIN, GR, GAP, E, STP, PIN, Q, EV, SPK, REC"
    out += [
        f"@njit({flags}, _nrt=False)",
        f"def steps(tid, n_threads, sync, {args}):",
        '    """Advance steps n_from..n_to-1 (thread tid of n_threads).  Returns (status, step):',
        "    (-1, n_to) when done, (0, n) on divergence in step n, (-2..-5, n) when a buffer",
        '    must grow before step n (see network_driver.STATUS); the leading thread\'s counts."""',
        _indent(unpack, 4),
        "    gap_or_graded = gap_ptr[v.shape[0]] > 0 or GR[3][v.shape[0]] > 0",
        *[_indent(_uniform_check(s, k, uniform[k]), 4) for k, s in enumerate(structures)],
        *[f"    lo{k}, hi{k} = fast_chunk(S{k}.shape[1], tid, n_threads)" for k in range(len(structures))],
        "    p = 0  # meetings so far",
        "    for n in range(n_from, n_to):",
        _indent(body, 8),
        "    return -1, n_to",
        "",
        "",
        f"@njit({flags}, _nrt=False)",
        f"def run(tid, n_threads, sync, {args}):",
        '    """:func:`steps`; the leading thread then lets the others leave the loop."""',
        f"    status, at = steps(tid, n_threads, sync, {args})",
        "    if tid == 0:",
        "        leave(sync)",
        "    return status, at",
        "",
    ]
    return "\n".join(out) + "\n"


def _fixed_hash() -> str:
    """Hash of the fixed modules the driver inlines: numba's cache does not notice
    when an inlined function of another module changes, so they name the module."""
    import hashlib
    from pathlib import Path

    from . import network_kernels, spin

    h = hashlib.sha256()
    for mod in (network_kernels, drv, spin):
        h.update(Path(mod.__file__).read_bytes())
    return h.hexdigest()[:16]


_BY_KEY: dict = {}


def network_module(structures: tuple[Structure, ...], method: str, nmda: bool = True,
                   uniform: tuple[bool, ...] | None = None) -> ModuleType:
    """The compiled network module for ``structures``, ``method``, NMDA presence and which
    structures' nodes share their kinetics (generated once, cached)."""
    key = (structures, method, nmda, uniform)
    try:
        return _BY_KEY[key]
    except KeyError:
        pass
    module = load_generated("hhsim_network", generate_source(structures, method, nmda, uniform))
    _BY_KEY[key] = module
    return module
