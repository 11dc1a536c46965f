"""Generate, cache and load the compiled kernel module of a model structure.

For each :class:`~hhsim.physics.structure.Structure` we write one Python module
whose functions are compiled by numba with ``cache=True``:

* ``derivs(V, x0.., I, c, gbar, erev, phi, cm, rp)`` -> (dV/dt, dx0/dt, ..)
  over every state (gates, then intracellular pools; an instantaneous gate
  has derivative 0 and is set to x_inf after each step);
* ``expstep(...)`` the exponential-Euler update of one compartment;
* ``inst_vec(v, y, ...)`` the instantaneous gates along a trace (adaptive path);
* ``run_<method>(..., lo, hi)`` one per fixed-step solver: the whole time
  loop over neurons ``lo .. hi-1`` (blocks of ``BLOCK``, the loop over a
  block's neurons innermost and vectorised), recording into preallocated
  arrays and detecting spikes; ``nogil``, so that threads can run chunks
  (:mod:`hhsim.engine.threads`);
* ``rhs_vec(y, I, ...)`` the right-hand side as an array, for scipy.

The module is written to the private cache directory (``$HHSIM_CACHE_DIR``, else
``$XDG_CACHE_HOME/hhsim`` or ``~/.cache/hhsim``) under a name that is the
hash of its source, so numba's on-disk cache survives between processes and
a changed template can never pick up a stale binary.  The source is built
only from our own templates, indices and numbers: no user text.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from types import ModuleType

import numpy as np

from ..channels import expr as _expr
from ..errors import ModelError
from ..physics.exp_sharing import SharedExps, run_constants
from ..physics.structure import Structure
from . import cache as _cache
from .solvers import FIXED_STEP, dopri5

_LOADED: dict[str, ModuleType] = {}


def cache_dir() -> Path | None:
    """Private directory of generated kernel modules (None: compiled in memory).

    See :mod:`hhsim.engine.cache` for where it is and how it is checked.
    """
    return _cache.state().kernels


from .emit import (
    node_param,
    gate_relaxation,
    instantaneous_values,
    conductances,
    effective_gates,
    channel_currents,
    membrane_terms,
    pool_relaxation,
    scheme_step,
    _indent,
    _xargs,
)


PARAMS = "c, gbar, erev, phi, cm, rp"

#: Neurons per block of the fixed-step kernels: the block's states and
#: parameters (about 40 rows of 8 bytes for ``hh``) stay in the L1/L2 cache
#: over the whole time loop.  Thread chunks are multiples of it.
BLOCK = 128

#: Fixed-step solvers whose kernels compute rate forms from shared
#: exponentials (:mod:`hhsim.physics.exp_sharing`); the adaptive dopri5
#: functions (:func:`_adaptive_functions`, one code path per neuron) share them
#: too, their run constants in the neuron's parameter row.  Not ``rk4``: with sharing,
#: its scalar and general loops gave a neuron different last bits (1e-11 mV
#: after 30 ms; the cause, some difference in LLVM's fusing of its four
#: stages, was not found), and a neuron's bits may not depend on its
#: neighbours' parameters.
SHARING_SOLVERS = ("expeuler", "euler")

#: numba options of the helpers inlined into every loop, and of the loops.
#: ``contract`` lets a * b + c be one fused multiply-add (one rounding
#: instead of two); nothing else of fast-math.  ``nogil`` lets threads run
#: chunks of neurons.
INLINE_FLAGS = "cache=True, error_model='numpy', inline='always', fastmath={'contract'}"
LOOP_FLAGS = "cache=True, error_model='numpy', nogil=True, fastmath={'contract'}"
#: The loops of the explicit Runge-Kutta methods round every operation of their
#: own (no contraction; the generated helpers inlined into them by numba follow
#: the loop's flags, while the rate forms, inlined by LLVM, keep their own
#: ``contract`` in every lane and in the scalar remainder alike:
#: tests/engine/test_threads.py).  Their
#: stage voltages are selected (``choose(clamp, command, V + a dt k)``), and on
#: AVX-512 machines LLVM fused those multiply-adds in the vectorised lanes but
#: not in the scalar remainder, so a neuron's last bits depended on its place
#: in the batch (1e-14 mV after 500 steps of RK4: a lone ``simulate`` and the
#: same neuron in a batch differed).  Exponential Euler keeps ``contract``.
EXACT_LOOP_FLAGS = "cache=True, error_model='numpy', nogil=True"


def loop_flags(solver) -> str:
    """The numba options of ``solver``'s time loop (see :data:`EXACT_LOOP_FLAGS`)."""
    return EXACT_LOOP_FLAGS if getattr(solver, "tableau", None) is not None else LOOP_FLAGS

#: Run-time overlap checks LLVM may emit before a vectorised loop.  numba
#: cannot tell LLVM that the argument arrays do not overlap, so the loop over
#: neurons (a few dozen parameter rows read, a dozen state rows written) needs
#: a check per pair of written and other rows; LLVM's defaults (8 and 128)
#: give up on it.  The checks run once per block and step (about 0.1 ns per
#: neuron-step at BLOCK = 128).  A process-wide LLVM option: it only lets
#: more loops vectorise, and changes no result.
VECTORISER_MEMORY_CHECKS = 4096


def _allow_vectoriser_memory_checks() -> None:
    import llvmlite.binding as llvm

    for option in ("-runtime-memory-check-threshold", "-vectorize-memory-check-threshold"):
        llvm.set_option("hhsim", f"{option}={VECTORISER_MEMORY_CHECKS}")


_allow_vectoriser_memory_checks()


class StepLines:
    """Source lines of one neuron's right-hand side and exponential-Euler step, inline.

    The fixed-step solvers build their update from these (see
    :mod:`hhsim.engine.solvers.base`).  Written out inline rather than called:
    in the loop over neurons a call of a function returning a tuple stops
    LLVM's vectoriser.  The inputs may be any expressions; they are assigned to
    ``Vd``, ``xd<j>`` and ``Id`` first.  Parameters are read at neuron ``c``
    (``param``: another naming, as for the emitters).
    """

    def __init__(self, s: Structure, param=node_param, exps=None, rcm: str = "(1.0 / cm[c])"):
        """``exps``: a :class:`~hhsim.physics.exp_sharing.SharedExps` (rate forms from
        shared exponentials) or None; ``rcm``: the expression of 1 / C_m (cm²/µF),
        e.g. a reciprocal computed once per run of neurons."""
        self.s = s
        self.param = param
        self.exps = exps
        self.rcm = rcm

    def _physics(self, v: str, xs: list[str], i: str) -> list[str]:
        s, param = self.s, self.param
        ins = [f"Vd = {v}", *[f"xd{j} = {x}" for j, x in enumerate(xs)], f"Id = {i}"]
        conc = {p.name: f"xd{s.n_gates + k}" for k, p in enumerate(s.pools)}
        pre, shared = self.exps.at("Vd") if self.exps is not None else ([], None)
        gx = [f"xd{j}" for j in range(s.n_gates)]
        return (ins + pre + gate_relaxation(s, "Vd", conc=conc, param=param, shared=shared, xs=gx)
                + conductances(s, effective_gates(s, "xd"), param=param)
                + channel_currents(s, "Vd", conc, param=param) + pool_relaxation(s, param=param, conc=conc))

    def _iion(self) -> str:
        return " + ".join(f"I{k}" for k in range(self.s.n_channels)) or "0.0"

    def derivs(self, out: str, v: str, xs: list[str], i: str) -> list[str]:
        """Lines setting ``{out}0`` = dV/dt (mV/ms) and ``{out}<j+1>`` = dx_j/dt at (v, xs), stimulus i (µA/cm²)."""
        return (self._physics(v, xs, i) + [f"{out}0 = (Id - ({self._iion()})) * {self.rcm}"]
                + [f"{out}{j + 1} = A{j} - B{j} * xd{j}" for j in range(self.s.n_states)])

    def expstep(self, v: str, xs: list[str], i: str, extra: tuple[str, str] = ("0.0", "0.0")) -> list[str]:
        """Lines setting ``Vn``, ``xn<j>``: one exponential-Euler step of ``dt`` from (v, xs),
        and ``dV0``, dV/dt at (v, xs) of the channels, stimulus and ``extra`` (mV/ms).
        ``extra`` = (G, G*E) of conductances outside the channels (synapses: mS/cm²,
        mS/cm² x mV), linearised with them.

        Gates and pools relax exactly at fixed V (pools at fixed current); a kinetic
        scheme's occupancies take one backward-Euler step (:func:`~hhsim.engine.emit.scheme_step`:
        the matrix exponential's stable, conserving first-order substitute); V is
        exact for the membrane linearised at the step's start (conductances
        frozen, GHK currents and stimulus constant).  Both V updates are
        computed and one selected (``choose``): no branch.  The channel current
        is ``Gm V - GEm``, the same sums that drive the update (no separate sum
        of the currents).
        """
        s, rcm = self.s, self.rcm
        relaxing = [j for j in range(s.n_states)
                    if j >= s.n_gates or not (s.gates[j].instantaneous or s.gates[j].scheme)]
        scheme = {j for grp in s.schemes for j in grp}
        g_terms, ge_terms = membrane_terms(s, lambda k: self.param("erev", k))
        # dV0 with the outside conductances too: it is the slope at the step's start of the
        # interpolant that times a threshold crossing (a network's fast nodes)
        outside = "" if extra == ("0.0", "0.0") else f" + ({extra[1]} - {extra[0]} * Vd)"
        return self._physics(v, xs, i) + [
            f"Gm = {' + '.join(g_terms) or '0.0'}",
            f"GEm = {' + '.join(ge_terms) or '0.0'}",
            f"dV0 = (Id - (Gm * Vd - GEm){outside}) * {rcm}",
            *[f"xi{j} = A{j} / B{j}" for j in relaxing],
            *[f"xn{j} = xi{j} + (xd{j} - xi{j}) * fexp(-B{j} * dt)" if j in relaxing else f"xn{j} = xd{j}"
              for j in range(s.n_states) if j not in scheme],
            *scheme_step(s, [f"xd{j}" for j in range(s.n_gates)], "xn", "dt"),
            f"G = {extra[0]} + Gm",
            f"GE = {extra[1]} + GEm",
            "Vinf = (Id + GE) / G",
            f"Vn = choose(G > 1e-300, Vinf + (Vd - Vinf) * fexp(-dt * G * {rcm}), Vd + dt * (Id + GE) * {rcm})",
        ]


def _tuple(names: list[str]) -> str:
    return "(" + ", ".join(names) + ("," if len(names) == 1 else "") + ")"


def generate_source(s: Structure, helpers_hash: str) -> str:
    """Full source text of the kernel module for structure ``s``."""
    ns, ng = s.n_states, s.n_gates
    lines = StepLines(s)
    xs = [f"x{j}" for j in range(ns)]
    out = [
        f"# Generated by hhsim for structure {s!r}",
        f"# helpers {helpers_hash}",
        "import hhsim.engine.kernel_math as math  # math with a vectorisable exp",
        "import numpy as np",
        "from numba import njit",
        "from hhsim.engine.kernel_helpers import (_exp_rate, _sigmoid_rate, _linexp_rate, _linexp, _vtrap,",
        "                                         _exp_rate_e, _sigmoid_rate_e, _linexp_rate_e, _exp_ratio_e,",
        "                                         _ghk, choose, fexp, hermite_crossing)",
        "",
        "N_GATES = %d" % ng,
        "N_STATES = %d" % ns,
        f"BLOCK = {BLOCK}",
        "",
        f"@njit({INLINE_FLAGS})",
        f"def derivs(V, {_xargs(s)}I, {PARAMS}):",
        '    """(dV/dt, dx0/dt, ..) at (V, x0, ..) with stimulus I (mV/ms, 1/ms, mM/ms)."""',
        _indent(lines.derivs("d", "V", xs, "I"), 4),
        f"    return {_tuple([f'd{k}' for k in range(ns + 1)])}",
        "",
        *_adaptive_functions(s),
        f"@njit({INLINE_FLAGS})",
        f"def expstep(V, {_xargs(s)}I, dt, {PARAMS}):",
        '    """(Vn, xn0, ..) after one exponential-Euler step of dt (see ``StepLines.expstep``)."""',
        _indent(lines.expstep("V", xs, "I"), 4),
        f"    return {_tuple(['Vn', *[f'xn{j}' for j in range(ns)]])}",
        "",
        "@njit(cache=True, error_model='numpy')",
        "def rhs_vec(y, I, gbar, erev, phi, cm, rp):",
        "    c = 0",
        f"    d = derivs(y[0], {''.join(f'y[{j + 1}], ' for j in range(ns))}I, {PARAMS})",
        f"    out = np.empty({ns + 1})",
        _indent([f"out[{k}] = d[{k}]" for k in range(ns + 1)], 4),
        "    return out",
        "",
        "@njit(cache=True, error_model='numpy')",
        "def inst_vec(v, y, gbar, erev, phi, cm, rp):",
        '    """Values of the instantaneous gates at (v[n], y[n]) for every row n."""',
        "    c = 0",
        "    out = y.copy()",
        "    for n in range(v.shape[0]):",
        "        Vn = v[n]",
        _indent([f"xn{ng + k} = y[n, {ng + k}]" for k in range(s.n_pools)], 8),
        _indent(instantaneous_values(s, "Vn", "xn", {p.name: f"xn{ng + k}" for k, p in enumerate(s.pools)}), 8),
        _indent([f"out[n, {j}] = xn{j}" for j, g in enumerate(s.gates) if g.instantaneous] or ["pass"], 8),
        "    return out",
        "",
    ]
    for solver in FIXED_STEP.values():
        out.append(_run_kernel(s, solver))
        out.append(_run_kernel(s, solver, uniform_only=True))
    return "\n".join(out) + "\n"


def _n_shared(s: Structure) -> int:
    """How many run constants ``s``'s exponential sharing takes (its bases' slopes and
    its members' factors; :func:`hhsim.physics.exp_sharing.run_constants`)."""
    sharing = s.exp_sharing
    return 0 if sharing is None else len(sharing.bases) + len(sharing.forms)


def parameter_offsets(s: Structure) -> dict[str, int]:
    """Where each parameter array starts in a neuron's row of :func:`flat_parameters`
    (``cm`` last)."""
    nch = s.n_channels
    shared = 3 * nch + s.n_rate_params
    return {"gbar": 0, "erev": nch, "phi": 2 * nch, "rp": 3 * nch, "shared": shared, "cm": shared + _n_shared(s)}


def flat_parameters(plan) -> np.ndarray:
    """(ncomp, n) C array: row c is neuron c's ``gbar, erev, phi, rp`` rows, the run
    constants of its exponential sharing (if any) and ``cm``, in the order of
    :func:`parameter_offsets` (units as in the plan)."""
    rows = [plan.gbar, plan.erev, plan.phi, plan.rp]
    if plan.structure.exp_sharing is not None:
        rows.append(run_constants(plan.structure, plan.structure.exp_sharing, plan.rp))
    rows.append(plan.cm[None, :])
    return np.ascontiguousarray(np.vstack([np.asarray(r, dtype=float) for r in rows]).T)


def row_exps(s: Structure, at) -> SharedExps | None:
    """The shared exponentials of ``s`` (None without) for kernels that read a neuron's
    parameters from its :func:`flat_parameters` row, ``at(index)`` naming entry ``index``
    of that row: the rate parameters and the run constants both come from it."""
    if s.exp_sharing is None:
        return None
    off = parameter_offsets(s)
    n_bases = len(s.exp_sharing.bases)
    return SharedExps(s, s.exp_sharing, lambda array, row: at(off[array] + row),
                      lambda b: at(off["shared"] + b), lambda n: at(off["shared"] + n_bases + n))


def _adaptive_functions(s: Structure) -> list[str]:
    """The model's part of the compiled adaptive loop (:mod:`hhsim.engine.solvers.dopri5_driver`):
    ``rhs_into``, ``inst_into`` and ``dopri_stages``, for one neuron whose states
    are ``Y`` = (V, gates, pools) and whose parameters are the row ``P``
    (:func:`parameter_offsets`), both raw pointers."""
    ns, ng = s.n_states, s.n_gates
    off = parameter_offsets(s)
    flat = lambda array, row: f"P[{off[array] + row}]"  # noqa: E731
    # rate forms from shared exponentials: their run constants are in the row too
    lines = StepLines(s, param=flat, exps=row_exps(s, lambda k: f"P[{k}]"), rcm=f"(1.0 / P[{off['cm']}])")
    xs = [f"x{j}" for j in range(ns)]
    pools = {p.name: f"Y[{ng + k + 1}]" for k, p in enumerate(s.pools)}
    inst = instantaneous_values(s, "Y[0]", "xi", pools, param=flat)
    flags = "cache=True, error_model='numpy', fastmath={'contract'}"
    return [
        f"@njit({flags}, inline='always')",
        f"def derivs_flat(V, {_xargs(s)}I, P):",
        '    """(dV/dt, dx0/dt, ..) at (V, x0, ..), stimulus I, parameter row P (mV/ms, 1/ms, mM/ms)."""',
        _indent(lines.derivs("d", "V", xs, "I"), 4),
        f"    return {_tuple([f'd{k}' for k in range(ns + 1)])}",
        "",
        f"@njit({flags})",
        "def rhs_into(Y, K, at, I, P):",
        '    """K[at:] = dY/dt at Y = (V, x0, ..) with stimulus I (µA/cm²)."""',
        f"    d = derivs_flat({', '.join(f'Y[{k}]' for k in range(ns + 1))}, I, P)",
        _indent([f"K[at + {k}] = d[{k}]" for k in range(ns + 1)], 4),
        "",
        f"@njit({flags})",
        "def inst_into(Y, P):",
        '    """Set the instantaneous gates in Y from V = Y[0] (and the pools)."""',
        _indent(inst + [f"Y[{j + 1}] = xi{j}" for j, g in enumerate(s.gates) if g.instantaneous] or ["pass"], 4),
        "",
        *dopri5.emit_stages(s),
    ]


def _run_kernel(s: Structure, solver, uniform_only: bool = False) -> str:
    """The time loop of one fixed-step solver over the neurons ``lo .. hi-1``.

    ``uniform_only``: ``run_<method>_uniform``, the loop for neurons that all
    share their rate parameters and temperature factors (the caller checks):
    only the copy of the loop that reads them as scalars, about half the code
    to compile (a lone neuron, and a batch varying conductances or currents).

    Neurons are taken in blocks of ``BLOCK``, aligned to multiples of
    ``BLOCK`` from neuron 0; each block runs the whole time loop with its
    neurons innermost.  That loop is a straight line (no branch, no call), so
    LLVM vectorises it: its index is unsigned (numba then adds no
    negative-index wraparound, which LLVM would take for an indirect access),
    the stimulus is gathered by the neuron's waveform in a loop of its own,
    the step's start (V and dV/dt) is kept in ``prev``, and a threshold
    crossing or a divergence only sets a flag.  When it is set a scalar
    pass over the block locates the spikes on the cubic Hermite interpolant
    and finds a diverged neuron.  A block that diverges at step n stops there
    and later blocks run only to n, so the returned step (the first at which
    any neuron left ``|V| < 1e4`` mV) is the same however the neurons are
    split between calls (threads).
    """
    # (names of this template avoid those of the physics lines: a0, b0, g0, ...)
    ns, ng = s.n_states, s.n_gates
    load = [f"x{j} = y[{j}, c]" for j in range(ns)]
    store = ["v[c] = Vn", *[f"y[{j}, c] = xn{j}" for j in range(ns)]]
    pools = {p.name: f"xn{ng + k}" for k, p in enumerate(s.pools)}
    # the stimulus of the block's neurons at this step, before the arithmetic
    # loop: gathered by each neuron's waveform (an indirect load there would
    # stop its vectorisation), or scaled from one waveform (a vector loop)
    gather = [
        "if one_wave:",
        "    Ia1 = i_a[n, 0]",
        "    Im1 = i_m[n, 0]",
        "    Ib1 = i_b[n, 0]",
        "    for c in range(u0, u1):",
        "        i = c - u0",
        "        sc = scale[c]",
        "        stim[0, i] = sc * Ia1",
        "        stim[1, i] = sc * Im1",
        "        stim[2, i] = sc * Ib1",
        "else:",
        "    for c in range(u0, u1):",
        "        i = c - u0",
        "        w = wave[c]",
        "        sc = scale[c]",
        "        stim[0, i] = sc * i_a[n, w]",
        "        stim[1, i] = sc * i_m[n, w]",
        "        stim[2, i] = sc * i_b[n, w]",
    ]

    def step(k: StepLines) -> list[str]:
        # the step's start (V, dV/dt) is kept as soon as it is known: a value
        # stored early need not stay in a register through the whole body
        # (about 8 % of the loop's time for ``hh``, from fewer spills)
        advance = []
        for ln in solver.advance_lines(ns, k):
            advance.append(ln)
            if ln.startswith("dV0 = "):
                advance.append("prev[1, i] = dV0")
        return [
            "i = c - u0",
            "Ia = stim[0, i]",
            "Im = stim[1, i]",
            "Ib = stim[2, i]",
            "V = v[c]",
            "prev[0, i] = V",
            *load,
            *advance,
            "Vn = choose(clamp, Ib, Vn)",
            *instantaneous_values(s, "Vn", "xn", pools, param=k.param),
            *store,
            "hits |= ((V < thr[c]) & (Vn >= thr[c])) | (not (abs(Vn) < 1e4))",
        ]

    # A block whose neurons share every rate parameter (rp, phi: the usual
    # batch varies conductances, currents or nothing) runs a second copy of the
    # loop that reads them as scalars: loop-invariant, so their loads and the
    # reciprocals 1/k of the rate forms leave the loop.  Same operations on the
    # same values: the same bits as the general loop.  1 / C_m is computed once
    # per block (``rcm``), not divided by at every step.
    shared = [(a, k) for a, n in (("rp", s.n_rate_params), ("phi", s.n_channels)) for k in range(n)]
    scalar = lambda array, row: f"u_{array}{row}" if array in ("rp", "phi") else node_param(array, row)  # noqa: E731
    sharing = s.exp_sharing if solver.name in SHARING_SOLVERS else None
    if sharing is None:
        uniform = StepLines(s, scalar, rcm="rcm[i]")
        lines = StepLines(s, rcm="rcm[i]")
        prologue = []
    else:
        # rate forms from shared exponentials (hhsim.physics.exp_sharing; the
        # driver passes only neurons that keep its relations): the slopes and
        # factors as scalars in the scalar loop, else per neuron once per block
        n_b, n_f = len(sharing.bases), len(sharing.forms)
        at_block = SharedExps(s, sharing, scalar, lambda b: f"u_sl{b}", lambda n: f"u_sf{n}")
        per_node = SharedExps(s, sharing, node_param, lambda b: f"shs[{b}, i]", lambda n: f"shf[{n}, i]")
        uniform = StepLines(s, scalar, at_block, rcm="rcm[i]")
        lines = StepLines(s, exps=per_node, rcm="rcm[i]")
        prologue = [
            *at_block.prologue(),
            "for c in range(first, end):",
            "    i = c - first",
            *(f"    {ln}" for ln in per_node.prologue()),
        ]
    check = [
        "uni = True",
        *([] if uniform_only else [
            "for e in range(first + 1, end):",
            *[f"    uni &= rp[{k}, e] == rp[{k}, first]" for k in range(s.n_rate_params)],
            *[f"    uni &= phi[{k}, e] == phi[{k}, first]" for k in range(s.n_channels)]]),
        *[f"u_{a}{k} = {a}[{k}, first]" for a, k in shared],
        "for c in range(first, end):",
        "    rcm[c - first] = 1.0 / cm[c]",
        *prologue,
    ]
    at = PARAMS.replace("c,", "e,")
    scan = [
        "q = e - first",
        "Vp = prev[0, q]",
        "Vq = v[e]",
        "if not (abs(Vq) < 1e4):",
        "    failed = True",
        "    break",
        "if (not clamp) and Vp < thr[e] and Vq >= thr[e]:",
        "    da = prev[1, q]",
        f"    db = derivs(Vq, {''.join(f'y[{j}, e], ' for j in range(ns))}stim[2, q], {at})[0]",
        "    k = spk_n[e]",
        "    if k < max_spk:",
        "        spk_t[e, k] = t0 + (n + hermite_crossing(Vp, Vq, da * dt, db * dt, thr[e])) * dt",
        "    spk_n[e] = k + 1",
    ]
    record = [
        "if rec_every > 0 and (n + 1) % rec_every == 0:",
        "    r = (n + 1) // rec_every",
        "    for e in range(first, end):",
        "        v_rec[r, e] = v[e]",
        *[f"        y_rec[r, {j}, e] = y[{j}, e]" for j in range(ns)],
    ]
    return "\n".join([
        f"@njit({loop_flags(solver)})",
        f"def run_{solver.name}{'_uniform' if uniform_only else ''}(v, y, gbar, erev, phi, cm, rp, wave, scale, "
        "i_a, i_m, i_b, clamp,",
        "        dt, t0, n_steps, rec_every, v_rec, y_rec, thr, spk_t, spk_n, lo, hi):",
        f'    """{solver.name}: advance neurons lo..hi-1 n_steps; -1 on success, else the failing step."""',
        "    max_spk = spk_t.shape[1]",
        "    prev = np.empty((2, BLOCK))",
        "    stim = np.empty((3, BLOCK))",
        "    rcm = np.empty(BLOCK)",
        *([f"    shs = np.empty(({n_b}, BLOCK))", f"    shf = np.empty(({n_f}, BLOCK))"]
          if sharing is not None else []),
        "    one_wave = i_a.shape[1] == 1",
        "    limit = n_steps",
        "    status = -1",
        "    for blk in range(max(lo, 0) // BLOCK, (hi + BLOCK - 1) // BLOCK):",
        "        first = max(blk * BLOCK, lo)",
        "        end = min(blk * BLOCK + BLOCK, hi)",
        "        u0 = np.uint64(first)",
        "        u1 = np.uint64(end)",
        _indent(check, 8),
        "        for n in range(limit):",
        _indent(gather, 12),
        "            hits = False",
        *(["            for c in range(u0, u1):", _indent(step(uniform), 16)] if uniform_only else [
            "            if uni:",
            "                for c in range(u0, u1):",
            _indent(step(uniform), 20),
            "            else:",
            "                for c in range(u0, u1):",
            _indent(step(lines), 20)]),
        "            if hits:",
        "                failed = False",
        "                for e in range(first, end):",
        _indent(scan, 20),
        "                if failed:",
        "                    status = n",
        "                    limit = n",
        "                    break",
        _indent(record, 12),
        "    return status",
        "",
    ])


# ------------------------------------------------------------------ loading
def _helpers_hash() -> str:
    """Hash of the compiled helpers the kernels inline (this package's and the cable ones')."""
    from . import cable_helpers, kernel_helpers, kernel_math, kernel_series

    src = b"".join(Path(m.__file__).read_bytes() for m in (kernel_helpers, cable_helpers, kernel_math, kernel_series))
    return hashlib.sha256(src).hexdigest()[:16]


def by_structure(memo: dict, s: Structure, make):
    """``memo[s]``, made by ``make()`` on first use: a structure's generated code is looked
    up again without regenerating and hashing its source (about 1 ms a call).  A
    structure that cannot be hashed gets ``make()`` each time."""
    try:
        return memo[s]
    except KeyError:
        pass
    except TypeError:
        return make()
    memo[s] = value = make()
    return value


def kernel_module(s: Structure) -> ModuleType:
    """The compiled kernel module for ``s`` (generated and cached on first use)."""
    return by_structure(_BY_STRUCTURE, s, lambda: _load_module(s))


_BY_STRUCTURE: dict = {}


def _load_module(s: Structure) -> ModuleType:
    return load_generated("hhsim_kernel", generate_source(s, _helpers_hash()))


def load_generated(prefix: str, source: str) -> ModuleType:
    """Import generated ``source`` as a module named by its hash (written once to the cache)."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:20]
    if digest in _LOADED:
        return _LOADED[digest]
    name = f"{prefix}_{digest}"
    module = _cache.module_from_source(name, source, _write_module(name, source))
    _LOADED[digest] = module
    return module


_ADAPTIVE: dict = {}


def adaptive_functions(s: Structure):
    """(``rhs_into``, ``inst_into``, ``dopri_stages``) of ``s``, compiled for the adaptive loop's signatures
    (:mod:`hhsim.engine.solvers.dopri5_driver`), as function values whose addresses are
    looked up once (a dispatcher passed instead is looked up at every call, about 0.1 ms);
    a compile failure is a :class:`ModelError`."""
    from numba.core.errors import NumbaError

    from .function_values import CompiledFunction
    from .solvers.dopri5_driver import INST_SIGNATURE, RHS_SIGNATURE, STAGES_SIGNATURE

    if s in _ADAPTIVE:
        return _ADAPTIVE[s]
    module = kernel_module(s)
    functions = (CompiledFunction(module.rhs_into, RHS_SIGNATURE), CompiledFunction(module.inst_into, INST_SIGNATURE),
                 CompiledFunction(module.dopri_stages, STAGES_SIGNATURE))
    try:
        for function in functions:
            function.__wrapper_address__()
    except NumbaError as exc:
        raise ModelError(_compile_failure(s, exc)) from None
    _ADAPTIVE[s] = functions
    return functions


def checked_kernel(kernel, s: Structure):
    """``kernel`` wrapped by :func:`call_kernel`."""

    def run(*args):
        return call_kernel(kernel, s, args)

    return run


def call_kernel(kernel, s: Structure, args: tuple):
    """Call a compiled kernel; a numba compile failure becomes a :class:`ModelError`
    naming the channel and gate whose expression does not compile."""
    from numba.core.errors import NumbaError

    try:
        return kernel(*args)
    except NumbaError as exc:
        raise ModelError(_compile_failure(s, exc)) from None


def _compile_failure(s: Structure, exc: Exception) -> str:
    """Find the expression form that numba cannot compile (compiling each alone)."""
    from numba import njit
    from numba.core.errors import NumbaError

    from . import kernel_helpers as kh

    scope = {"math": math, "_linexp": kh._linexp, "_vtrap": kh._vtrap}
    for j, g in enumerate(s.gates):
        for which, kind in enumerate(g.form_kinds):
            if kind != "expr":
                continue
            names = {"V": "V"}
            names.update({p.name: p.name for p in s.pools})
            names.update({f"p{k}": f"p[{k}]" for k in range(g.form_sizes[which])})
            body = _expr.to_source(_expr.parse(g.form_code[which]), names)
            args = ", ".join(["V", "p"] + [p.name for p in s.pools])
            fn = _compile_probe(body, args, scope)
            try:
                njit(fn)(-60.0, np.zeros(max(1, g.form_sizes[which])) + 1.0, *([1e-4] * s.n_pools))
            except NumbaError as inner:
                first = str(inner).strip().splitlines()[0] if str(inner).strip() else type(inner).__name__
                return (f"{s.label(j)}: the {g.form_names[which]} expression {g.form_code[which]!r} "
                        f"cannot be compiled by numba: {first}")
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (f"the generated kernel cannot be compiled by numba: {first}; the model may be too large "
            f"({s.n_states} states; use fewer gates)")


def _compile_probe(body: str, args: str, scope: dict):
    """A Python function ``f(args) = body`` built from our rendering of a checked tree.

    The source is written as a module file and imported (like the kernels);
    ``body`` contains only whitelisted operations, numbers and our names.
    """
    source = f"import math\nfrom hhsim.engine.kernel_helpers import _linexp, _vtrap\n\ndef f({args}):\n    return {body}\n"
    digest = hashlib.sha256(source.encode()).hexdigest()[:20]
    name = f"hhsim_probe_{digest}"
    return _cache.module_from_source(name, source, _write_module(name, source)).f


def _write_module(name: str, source: str) -> Path | None:
    """The module's copy in the private cache (None: build it in memory)."""
    return _cache.write_module(name, source)
