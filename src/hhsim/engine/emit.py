"""Emitters: lines of Python source for one membrane structure's equations.

Each function turns a :class:`~hhsim.physics.structure.Structure` into lines
of the generated kernels (rate forms, gate relaxation, instantaneous gates,
conductances, currents, pool relaxation).  The point, cable and network code
generators and the dopri5 driver's emitter all call these, so a membrane's
equations are written in one place.  Only our own templates, indices and
numbers go into the source: no user text.
"""

from __future__ import annotations

from ..channels import expr as _expr
from ..channels.base import FORMS, emit_form
from ..errors import ModelError
from ..physics.structure import Structure
from ..units import FARADAY


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


def _form(kind: str, v: str, offset: int, param=node_param, shared=None) -> str:
    """A built-in form; ``shared``: its exponential, given as that expression
    (a power of a shared exponential times a factor, :mod:`hhsim.physics.exp_sharing`)."""
    cls = FORMS[kind]
    exprs = tuple(param("rp", offset + i) for i in range(len(cls.param_names)))
    return emit_form(cls, v, exprs, shared)


def _conc_vars(s: Structure, conc: dict[str, str] | None) -> dict[str, str]:
    """Pool state name -> kernel variable (default ``x<n_gates + k>``)."""
    out = {p.name: f"x{s.n_gates + k}" for k, p in enumerate(s.pools)}
    out.update(conc or {})
    return out


def form_source(s: Structure, j: int, which: int, v: str, conc: dict[str, str] | None = None,
                param=node_param, shared: dict[int, str] | None = None) -> str:
    """Source text of form ``which`` of gate ``j`` at voltage ``v``.

    Built-in shapes use their templates; expression forms are rendered from
    their checked, canonical tree (names ``p<k>`` -> ``rp`` rows, pool states
    -> ``conc`` variables).  ``shared`` maps the form's exponentials computed
    from shared ones (:mod:`hhsim.physics.exp_sharing`) to their source: site 0
    for a built-in form, the sites of :func:`hhsim.channels.expr.exp_sites`
    for an expression.
    """
    g = s.gates[j]
    kind, off = g.form_kinds[which], g.param_offsets[which]
    shared = shared or {}
    if kind != "expr":
        return _form(kind, v, off, param, shared.get(0))
    tree = _expr.parse(g.form_code[which])
    names = {"V": v}
    names.update(_conc_vars(s, conc))
    names.update({f"p{k}": param("rp", off + k) for k in range(g.form_sizes[which])})
    sites = _expr.exp_sites(tree) if shared else ()
    return _expr.to_source(tree, names, {sites[n].path: e for n, e in shared.items()})


def gate_relaxation(s: Structure, v: str, suffix: str = "", conc: dict[str, str] | None = None,
                    param=node_param, shared=None, xs: list[str] | None = None) -> list[str]:
    """Lines defining A{j}, B{j} with dx_j/dt = A_j - B_j x_j (1/ms) at voltage ``v``.

    For an instantaneous gate j the lines define ``xinf{j}{suffix}`` (its value
    at ``v``) and ``A{j} = B{j} = 0`` (its stored state does not evolve): use
    ``xinf{j}`` in place of the state when computing conductances.  Expression
    rates that read a pool concentration use ``conc[name]`` (default ``x<k>``,
    the pool's state variable).  ``shared`` maps (gate, form) to the
    exponentials of that form computed from shared ones, by site
    (:meth:`hhsim.physics.exp_sharing.SharedExps.at`).

    A state j of a kinetic scheme gets ``A{j}`` = the flux into it from the
    other states (their values ``xs``, needed then) and ``B{j}`` = the sum
    of its outgoing rates ``kr{j}_{w}`` (1/ms), also defined (see
    :func:`scheme_step`).  Without ``xs`` a structure with a kinetic scheme is
    refused in one line (:meth:`Structure.check_point_only`).
    """
    lines = []
    shared = shared or {}
    if s.has_schemes and xs is None:
        s.check_point_only()
    for j, g in enumerate(s.gates):
        ph = param("phi", g.channel_index)
        if g.scheme:
            lines += [f"kr{j}_{w}{suffix} = {ph} * ({form_source(s, j, w, v, conc, param)})"
                      for w in range(len(g.targets))]
            continue
        fa = form_source(s, j, 0, v, conc, param, shared.get((j, 0)))
        if g.instantaneous:
            if g.form_names == ("alpha", "beta"):
                fb = form_source(s, j, 1, v, conc, param)
                lines += [f"a{j} = {fa}", f"b{j} = {fb}", f"xinf{j}{suffix} = a{j} / (a{j} + b{j})"]
            else:
                lines += [f"xinf{j}{suffix} = {fa}"]
            lines += [f"A{j}{suffix} = 0.0", f"B{j}{suffix} = 0.0"]
            continue
        fb = form_source(s, j, 1, v, conc, param, shared.get((j, 1)))
        if g.form_names == ("alpha", "beta"):
            lines += [f"a{j} = {fa}", f"b{j} = {fb}",
                      f"A{j}{suffix} = {ph} * a{j}", f"B{j}{suffix} = {ph} * (a{j} + b{j})"]
        else:
            lines += [f"tau{j} = {fb}",
                      f"A{j}{suffix} = {ph} * ({fa}) / tau{j}", f"B{j}{suffix} = {ph} / tau{j}"]
    for group in s.schemes:
        for i in group:
            into = [f"kr{j}_{w}{suffix} * {xs[j]}" for j in group for w, t in enumerate(s.gates[j].targets) if t == i]
            out = [f"kr{i}_{w}{suffix}" for w in range(len(s.gates[i].targets))]
            lines += [f"A{i}{suffix} = {' + '.join(into) or '0.0'}", f"B{i}{suffix} = {' + '.join(out) or '0.0'}"]
    return lines


def scheme_step(s: Structure, xs: list[str], out: str = "xn", dt: str = "dt", suffix: str = "") -> list[str]:
    """Lines setting ``{out}{j}`` for every state j of a kinetic scheme: one backward-Euler
    step ``(I - dt Q) x_new = x_old`` at the rates ``kr{j}_{w}`` of :func:`gate_relaxation`.

    ``I - dt Q`` has the diagonal ``1 + dt B_j`` and the off-diagonal entries
    ``-dt k`` (j -> i) and is column diagonally dominant, so Gaussian elimination
    without pivoting is stable; it is unrolled, skipping the entries that are
    zero by the scheme's structure.  The occupancies stay >= 0 and their sum
    is kept (up to rounding) for any step.
    """
    lines = []
    for q, group in enumerate(s.schemes):
        n = len(group)
        pos = {j: k for k, j in enumerate(group)}
        m: dict[tuple[int, int], str] = {}
        for a, i in enumerate(group):
            name = f"kse{q}_{a}_{a}"
            lines.append(f"{name} = 1.0 + {dt} * B{i}{suffix}")
            m[(a, a)] = name
        for j in group:
            for w, t in enumerate(s.gates[j].targets):
                a, b = pos[t], pos[j]
                name = f"kse{q}_{a}_{b}"
                lines.append(f"{name} = -{dt} * kr{j}_{w}{suffix}")
                m[(a, b)] = name
        r = {}
        for a, i in enumerate(group):
            r[a] = f"ksr{q}_{a}"
            lines.append(f"{r[a]} = {xs[i]}")
        for p in range(n):
            lines.append(f"ksp{q}_{p} = 1.0 / {m[(p, p)]}")
            for a in range(p + 1, n):
                if (a, p) not in m:
                    continue
                f = f"ksf{q}"
                lines.append(f"{f} = {m[(a, p)]} * ksp{q}_{p}")
                for b in range(p + 1, n):
                    if (p, b) not in m:
                        continue
                    if (a, b) in m:
                        lines.append(f"{m[(a, b)]} = {m[(a, b)]} - {f} * {m[(p, b)]}")
                    else:
                        m[(a, b)] = f"kse{q}_{a}_{b}"
                        lines.append(f"{m[(a, b)]} = -{f} * {m[(p, b)]}")
                lines.append(f"{r[a]} = {r[a]} - {f} * {r[p]}")
        for a in range(n - 1, -1, -1):
            terms = [f"{m[(a, b)]} * {out}{group[b]}" for b in range(a + 1, n) if (a, b) in m]
            rhs = r[a] if not terms else f"({r[a]} - ({' + '.join(terms)}))"
            lines.append(f"{out}{group[a]} = {rhs} * ksp{q}_{a}")
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
    return [f"g{i} = " + conductance_source(s, i, xs, param) for i in range(s.n_channels)]


def conductance_source(s: Structure, i: int, xs, param=node_param) -> str:
    """Source of channel i's conductance from gate values ``xs`` (indexed by gate):
    ``gbar * x**p * ...``, or ``gbar * (open fraction)`` for a channel given by a
    conductance expression (its checked, canonical tree; constants from ``rp``)."""
    code = s.open_code(i)
    if not code:
        return " * ".join([param("gbar", i)] + [_power(xs[j], s.gates[j].power) for j in s.channel_gates[i]])
    names = {f"g{k}": xs[j] for k, j in enumerate(s.channel_gates[i])}
    off = s.channel_open_offset[i]
    names.update({n: param("rp", off + int(n[1:])) for n in _expr.names(_expr.parse(code)) if n[0] == "c"})
    return f"{param('gbar', i)} * {_expr.to_source(_expr.parse(code), names)}"


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
    if s.ghk2(i):  # -g f (1 - ci/co e^(V/f)) efun(V/f) = g f/(co F) * GHK(V; z = 1, RT/F = f)
        f, co = param("rp", o + 3), param("rp", o + 1)
        return [f"{out} = {g} * ({f} / ({co} * {FARADAY!r})) * _ghk({v}, {cin}, {co}, 1.0, {f})"]
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


def pool_relaxation(s: Structure, suffix: str = "", param=node_param, conc: dict[str, str] | None = None) -> list[str]:
    """Lines defining A{k}, B{k} of each pool state (k = n_gates + pool index).

    ``dC/dt = max(-k_in I_ion, 0) - (C - C_rest) / tau`` is written
    ``A - B C`` with ``A = C_rest / tau + max(-k_in I_ion, 0)``, ``B = 1 / tau``;
    ``I_ion`` sums the ``I{i}`` of the channels of the pool's ion.  An unclipped
    pool takes ``-k_in I_ion`` as it is; a pump adds ``vmax / (C + km)`` to ``B``
    at the pool's value ``conc[name]`` (needed then; without it a pumped pool is
    refused in one line).
    """
    lines = []
    for k, p in enumerate(s.pools):
        j = s.n_gates + k
        o = p.offset
        feeding = [f"I{i}" for i in range(s.n_channels) if s.pool_of(i) == k]
        influx = f"-{param('rp', o)} * ({' + '.join(feeding)})" if feeding else "0.0"
        if feeding and p.clip:
            influx = f"max({influx}, 0.0)"
        b = f"1.0 / {param('rp', o + 1)}"
        if p.pump:
            if conc is None or p.name not in conc:
                raise ModelError(f"the {p.name} pool has a pump, which hhsim runs on point neurons only (run, "
                                 "simulate, simulate_batch), not in a cable or a network")
            b += f" + {param('rp', o + 3)} / ({conc[p.name]} + {param('rp', o + 4)})"
        lines += [f"A{j}{suffix} = {param('rp', o + 2)} / {param('rp', o + 1)} + {influx}",
                  f"B{j}{suffix} = {b}"]
    return lines


def _indent(lines: list[str], n: int) -> str:
    pad = " " * n
    return "\n".join(pad + ln for ln in lines)


def _xargs(s: Structure, prefix: str = "x") -> str:
    return "".join(f"{prefix}{j}, " for j in range(s.n_states))
