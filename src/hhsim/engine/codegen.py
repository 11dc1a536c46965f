"""Generate, cache and load the compiled kernel module of a model structure.

For each :class:`~hhsim.engine.lower.Structure` we write one Python module
whose functions are compiled by numba with ``cache=True``:

* ``derivs(V, x0.., I, c, gbar, erev, phi, cm, rp)`` -> (dV/dt, dx0/dt, ..)
  over every state (gates, then intracellular pools; an instantaneous gate
  has derivative 0 and is set to x_inf after each step);
* ``expstep(...)`` the exponential-Euler update of one compartment;
* ``inst_vec(v, y, ...)`` the instantaneous gates along a trace (adaptive path);
* ``run_<method>(...)`` one per fixed-step solver: the whole time loop over
  all compartments, recording into preallocated arrays and detecting spikes;
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
from ..channels.base import FORMS, emit_form
from ..errors import ModelError
from . import cache as _cache
from .lower import Structure
from .solvers import COMPILED_ADAPTIVE, FIXED_STEP

_LOADED: dict[str, ModuleType] = {}


def cache_dir() -> Path | None:
    """Private directory of generated kernel modules (None: compiled in memory).

    See :mod:`hhsim.engine.cache` for where it is and how it is checked.
    """
    return _cache.state().kernels


# ----------------------------------------------------------------- emitters
def _power(var: str, p: float) -> str:
    if float(p).is_integer() and 1 <= p <= 8:
        return "*".join([var] * int(p))
    return f"{var}**{float(p)!r}"


def node_param(array: str, row: int) -> str:
    """The default parameter access of the emitters: row ``row`` of the
    per-compartment array ``array`` (``gbar``, ``erev``, ``phi``, ``rp``) at
    compartment ``c``.  Every emitter takes another naming as ``param=``
    (a function of the same two arguments returning an expression), e.g. a
    scalar loaded once per run of nodes that share the parameters."""
    return f"{array}[{row}, c]"


def _form(kind: str, v: str, offset: int, param=node_param) -> str:
    cls = FORMS[kind]
    exprs = tuple(param("rp", offset + i) for i in range(len(cls.param_names)))
    return emit_form(cls, v, exprs)


def _conc_vars(s: Structure, conc: dict[str, str] | None) -> dict[str, str]:
    """Pool state name -> kernel variable (default ``x<n_gates + k>``)."""
    out = {p.name: f"x{s.n_gates + k}" for k, p in enumerate(s.pools)}
    out.update(conc or {})
    return out


def form_source(s: Structure, j: int, which: int, v: str, conc: dict[str, str] | None = None,
                param=node_param) -> str:
    """Source text of form ``which`` of gate ``j`` at voltage ``v``.

    Built-in shapes use their templates; expression forms are rendered from
    their checked, canonical tree (names ``p<k>`` -> ``rp`` rows, pool states ->
    ``conc`` variables).
    """
    g = s.gates[j]
    kind, off = g.form_kinds[which], g.param_offsets[which]
    if kind != "expr":
        return _form(kind, v, off, param)
    tree = _expr.parse(g.form_code[which])
    names = {"V": v}
    names.update(_conc_vars(s, conc))
    names.update({f"p{k}": param("rp", off + k) for k in range(g.form_sizes[which])})
    return _expr.to_source(tree, names)


def gate_relaxation(s: Structure, v: str, suffix: str = "", conc: dict[str, str] | None = None,
                    param=node_param) -> list[str]:
    """Lines defining A{j}, B{j} with dx_j/dt = A_j - B_j x_j (1/ms) at voltage ``v``.

    For an instantaneous gate j the lines define ``xinf{j}{suffix}`` (its value
    at ``v``) and ``A{j} = B{j} = 0`` (its stored state does not evolve): use
    ``xinf{j}`` in place of the state when computing conductances.  Expression
    rates that read a pool concentration use ``conc[name]`` (default ``x<k>``,
    the pool's state variable).
    """
    lines = []
    for j, g in enumerate(s.gates):
        ph = param("phi", g.channel_index)
        fa = form_source(s, j, 0, v, conc, param)
        if g.instantaneous:
            if g.form_names == ("alpha", "beta"):
                fb = form_source(s, j, 1, v, conc, param)
                lines += [f"a{j} = {fa}", f"b{j} = {fb}", f"xinf{j}{suffix} = a{j} / (a{j} + b{j})"]
            else:
                lines += [f"xinf{j}{suffix} = {fa}"]
            lines += [f"A{j}{suffix} = 0.0", f"B{j}{suffix} = 0.0"]
            continue
        fb = form_source(s, j, 1, v, conc, param)
        if g.form_names == ("alpha", "beta"):
            lines += [f"a{j} = {fa}", f"b{j} = {fb}",
                      f"A{j}{suffix} = {ph} * a{j}", f"B{j}{suffix} = {ph} * (a{j} + b{j})"]
        else:
            lines += [f"tau{j} = {fb}",
                      f"A{j}{suffix} = {ph} * ({fa}) / tau{j}", f"B{j}{suffix} = {ph} / tau{j}"]
    return lines


def instantaneous_values(s: Structure, v: str, out: str = "xn", conc: dict[str, str] | None = None,
                         param=node_param) -> list[str]:
    """Lines setting ``{out}{j} = x_inf(v)`` for every instantaneous gate j."""
    lines = []
    for j, g in enumerate(s.gates):
        if not g.instantaneous:
            continue
        fa = form_source(s, j, 0, v, conc, param)
        if g.form_names == ("alpha", "beta"):
            fb = form_source(s, j, 1, v, conc, param)
            lines += [f"ia{j} = {fa}", f"ib{j} = {fb}", f"{out}{j} = ia{j} / (ia{j} + ib{j})"]
        else:
            lines.append(f"{out}{j} = {fa}")
    return lines


def conductances(s: Structure, xs: list[str], param=node_param) -> list[str]:
    """Lines defining g{i} (mS/cm²), each channel's conductance from gate values ``xs``.

    (For a GHK channel g{i} is its permeability times the gates, cm/s.)
    """
    lines = []
    for i, gate_idx in enumerate(s.channel_gates):
        factors = [param("gbar", i)] + [_power(xs[j], s.gates[j].power) for j in gate_idx]
        lines.append(f"g{i} = " + " * ".join(factors))
    return lines


def effective_gates(s: Structure, prefix: str = "x") -> list[str]:
    """Gate values to use in :func:`conductances`: ``xinf{j}`` for instantaneous gates."""
    return [f"xinf{j}" if g.instantaneous else f"{prefix}{j}" for j, g in enumerate(s.gates)]


def channel_currents(s: Structure, v: str, conc: dict[str, str] | None = None, param=node_param) -> list[str]:
    """Lines defining ``I{i}`` (µA/cm², outward positive) from ``g{i}`` at voltage ``v``.

    Ohmic channels: ``g (v - erev)``; Nernst channels of a pooled ion:
    ``g (v - E{i})`` with ``E{i} = RT/zF ln(c_out / c_in)`` (also defined);
    GHK channels: ``g * ghk(v, c_in, c_out)``.
    """
    lines = []
    for i in range(s.n_channels):
        lines += channel_current(s, i, v, f"g{i}", f"I{i}", conc, param)
    return lines


def channel_current(s: Structure, i: int, v: str, g: str, out: str, conc: dict[str, str] | None = None,
                    param=node_param) -> list[str]:
    """Lines setting ``out`` to channel i's current at voltage ``v`` with conductance
    (or permeability) ``g`` (see :func:`channel_currents`; a Nernst channel also
    sets ``E{i}``)."""
    mode, pool = s.mode(i), s.pool_of(i)
    if mode == "ohmic":
        return [f"{out} = {g} * ({v} - {param('erev', i)})"]
    o = s.channel_extra[i]
    cin = _conc_vars(s, conc)[s.pools[pool].name] if pool >= 0 else param("rp", o + 2)
    if mode == "nernst":
        return [f"E{i} = {param('rp', o)} * math.log({param('rp', o + 1)} / {cin})", f"{out} = {g} * ({v} - E{i})"]
    z = float(s.channel_valence[i])
    return [f"{out} = {g} * _ghk({v}, {cin}, {param('rp', o + 1)}, {z!r}, {param('rp', o)})"]


def membrane_terms(s: Structure, erev, tangent=()) -> tuple[list[str], list[str]]:
    """(G terms, GE terms) of the membrane current written ``G V - GE``.

    Ohmic channels give ``g`` and ``g * erev(i)``; Nernst channels ``g`` and
    ``g * E{i}``; GHK channels only ``- I{i}`` (a current, constant over the
    step); a channel listed in ``tangent`` enters by its tangent at V: ``S{i}``
    and ``S{i} * V - I{i}``.
    """
    g, ge = [], []
    for i in range(s.n_channels):
        mode = s.mode(i)
        if i in tangent:
            g.append(f"S{i}")
            ge.append(f"S{i} * V - I{i}")
        elif mode == "ohmic":
            g.append(f"g{i}")
            ge.append(f"g{i} * {erev(i)}")
        elif mode == "nernst":
            g.append(f"g{i}")
            ge.append(f"g{i} * E{i}")
        else:
            ge.append(f"- I{i}")
    return g, ge


def pool_relaxation(s: Structure, suffix: str = "", param=node_param) -> list[str]:
    """Lines defining A{k}, B{k} of each pool state (k = n_gates + pool index).

    ``dC/dt = max(-k_in I_ion, 0) - (C - C_rest) / tau`` is written
    ``A - B C`` with ``A = C_rest / tau + max(-k_in I_ion, 0)``, ``B = 1 / tau``;
    ``I_ion`` sums the ``I{i}`` of the channels of the pool's ion.
    """
    lines = []
    for k, p in enumerate(s.pools):
        j = s.n_gates + k
        o = p.offset
        feeding = [f"I{i}" for i in range(s.n_channels) if s.pool_of(i) == k]
        influx = f"max(-{param('rp', o)} * ({' + '.join(feeding)}), 0.0)" if feeding else "0.0"
        lines += [f"A{j}{suffix} = {param('rp', o + 2)} / {param('rp', o + 1)} + {influx}",
                  f"B{j}{suffix} = 1.0 / {param('rp', o + 1)}"]
    return lines


def _indent(lines: list[str], n: int) -> str:
    pad = " " * n
    return "\n".join(pad + ln for ln in lines)


def _xargs(s: Structure, prefix: str = "x") -> str:
    return "".join(f"{prefix}{j}, " for j in range(s.n_states))


PARAMS = "c, gbar, erev, phi, cm, rp"


def generate_source(s: Structure, helpers_hash: str) -> str:
    """Full source text of the kernel module for structure ``s``."""
    ns, nc, ng = s.n_states, s.n_channels, s.n_gates
    xs = effective_gates(s)
    iion = " + ".join(f"I{i}" for i in range(nc)) or "0.0"
    dx = ", ".join(f"A{j} - B{j} * x{j}" for j in range(ns))
    relaxing = [j for j in range(ns) if j >= ng or not s.gates[j].instantaneous]
    g_terms, ge_terms = membrane_terms(s, lambda i: f"erev[{i}, c]")
    gsum, gesum = ["0.0", *g_terms], ["0.0", *ge_terms]
    physics = gate_relaxation(s, "V") + conductances(s, xs) + channel_currents(s, "V") + pool_relaxation(s)
    out = [
        f"# Generated by hhsim for structure {s!r}",
        f"# helpers {helpers_hash}",
        "import math",
        "import numpy as np",
        "from numba import njit",
        "from hhsim.engine.kernel_helpers import (_exp_rate, _sigmoid_rate, _linexp_rate, _linexp, _vtrap,",
        "                                         _ghk, hermite_crossing)",
        "",
        "N_GATES = %d" % ng,
        "N_STATES = %d" % ns,
        "",
        "@njit(cache=True, error_model='numpy', inline='always')",
        f"def derivs(V, {_xargs(s)}I, {PARAMS}):",
        _indent(physics, 4),
        f"    return ((I - ({iion})) / cm[c], {dx}{',' if ns == 1 else ''})",
        "",
        "@njit(cache=True, error_model='numpy', inline='always')",
        f"def expstep(V, {_xargs(s)}I, dt, {PARAMS}):",
        "    # gates and pools: exact relaxation at fixed V (pools: at fixed current);",
        "    # V: exact for the membrane linearised at the step's start (conductances",
        "    # frozen, GHK currents and stimulus constant).",
        _indent(physics, 4),
        _indent([f"xi{j} = A{j} / B{j}" for j in relaxing], 4),
        _indent([f"xn{j} = xi{j} + (x{j} - xi{j}) * math.exp(-B{j} * dt)" if j in relaxing
                 else f"xn{j} = x{j}" for j in range(ns)], 4),
        f"    G = {' + '.join(gsum)}",
        f"    GE = {' + '.join(gesum)}",
        "    if G > 1e-300:",
        "        Vinf = (I + GE) / G",
        "        Vn = Vinf + (V - Vinf) * math.exp(-dt * G / cm[c])",
        "    else:",
        "        Vn = V + dt * (I + GE) / cm[c]",
        f"    return (Vn, {', '.join(f'xn{j}' for j in range(ns))}{',' if ns == 1 else ''})",
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
    # compiled adaptive solvers integrate every state (gates and pools); their
    # recordings of instantaneous gates are refreshed afterwards (``inst_vec``).
    for mod in COMPILED_ADAPTIVE.values():
        out.append(mod.emit_kernel(s))
    return "\n".join(out) + "\n"


def _run_kernel(s: Structure, solver) -> str:
    """The time loop of one fixed-step solver over all compartments."""
    ns, ng = s.n_states, s.n_gates
    load = [f"x{j} = y[{j}, c]" for j in range(ns)]
    store = [f"y[{j}, c] = xn{j}" for j in range(ns)]
    xn = "".join(f"xn{j}, " for j in range(ns))
    inst = instantaneous_values(s, "Vn", "xn", {p.name: f"xn{ng + k}" for k, p in enumerate(s.pools)})
    body = [
        "w = wave[c]",
        "sc = scale[c]",
        "Ia = sc * i_a[n, w]",
        "Im = sc * i_m[n, w]",
        "Ib = sc * i_b[n, w]",
        "V = v[c]",
        *load,
        *solver.advance_lines(ns),
        "if clamp:",
        "    Vn = Ib",
        *inst,
        "if not (abs(Vn) < 1e4):",
        "    return n",
        "if (not clamp) and V < thr[c] and Vn >= thr[c]:",
        f"    da = derivs(V, {_xargs(s)}Ia, {PARAMS})[0]",
        f"    db = derivs(Vn, {xn}Ib, {PARAMS})[0]",
        "    k = spk_n[c]",
        "    if k < max_spk:",
        "        spk_t[c, k] = t0 + (n + hermite_crossing(V, Vn, da * dt, db * dt, thr[c])) * dt",
        "    spk_n[c] = k + 1",
        "v[c] = Vn",
        *store,
    ]
    record = [
        "if rec_every > 0 and (n + 1) % rec_every == 0:",
        "    r = (n + 1) // rec_every",
        "    for c in range(ncomp):",
        "        v_rec[r, c] = v[c]",
        *[f"        y_rec[r, {j}, c] = y[{j}, c]" for j in range(ns)],
    ]
    return "\n".join([
        "@njit(cache=True, error_model='numpy')",
        f"def run_{solver.name}(v, y, gbar, erev, phi, cm, rp, wave, scale, i_a, i_m, i_b, clamp,",
        "        dt, t0, n_steps, rec_every, v_rec, y_rec, thr, spk_t, spk_n):",
        f'    """{solver.name}: advance every compartment n_steps; -1 on success, else the failing step."""',
        "    ncomp = v.shape[0]",
        "    max_spk = spk_t.shape[1]",
        "    for n in range(n_steps):",
        "        for c in range(ncomp):",
        _indent(body, 12),
        _indent(record, 8),
        "    return -1",
        "",
    ])


# ------------------------------------------------------------------ loading
def _helpers_hash() -> str:
    from . import kernel_helpers

    src = Path(kernel_helpers.__file__).read_bytes()
    return hashlib.sha256(src).hexdigest()[:16]


def kernel_module(s: Structure) -> ModuleType:
    """The compiled kernel module for ``s`` (generated and cached on first use)."""
    try:
        return _BY_STRUCTURE[s]  # skip regenerating and hashing the source
    except (KeyError, TypeError):
        pass
    module = _load_module(s)
    try:
        _BY_STRUCTURE[s] = module
    except TypeError:
        pass
    return module


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
