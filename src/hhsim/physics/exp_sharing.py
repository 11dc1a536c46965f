"""One exponential for several rate forms: the exponentials of a gate set that share a slope.

Most of a kernel's time goes into exponentials: the squid-axon ``hh`` model
evaluates six rate forms per step, each ``exp(s V + c)`` with its own
intercept ``c`` but slopes ``s`` (1/mV) that are often equal or integer
multiples of each other (-1/10 for alpha_m, beta_h and alpha_n; -1/20 and
-1/80 for alpha_h and beta_n: 1/10 = 8 x 1/80 and 1/20 = 4 x 1/80).  For
such a group one exponential ``E = exp(s_b V)`` of the base slope is
computed and each member's is ``E^p exp(c)``: ``E^p`` by repeated squaring,
``exp(c)`` once per run of neurons.  ``hh`` then takes two rate
exponentials per step instead of six.

Rates written as expressions take part too: each ``exp``, ``vtrap`` or
``linexp`` whose exponent is linear in V with a numeric slope (a *site*,
:func:`hhsim.channels.expr.exp_sites`; the slope found exactly, with rational
arithmetic, from the checked tree) joins the groups like a built-in form, its
intercept ``c`` (the exponent at V = 0) computed from the form's parameters.
Traub-Miles' six rates (slopes -1/4, +1/5, -1/18, -1/5, -1/5, -1/40) then take
three exponentials: exp(-V/40) gives four of them.

The grouping (an :class:`ExpSharing`) is found from a neuron's own
parameters: relations that hold exactly (``k_b = p k_f`` up to sign), with
moderate intercepts.  It is part of the
:class:`~hhsim.physics.structure.Structure` the kernels are generated for, so the
batch driver runs each group of neurons whose parameters give the same
grouping (:func:`groups`; usually all of them) with its own kernels, and a
neuron's result depends only on its own parameters, never on its
neighbours'.

Accuracy: ``E^p`` carries about p rounding errors of E (p <= 16) and the
product one more: relative error below 4e-15 against 2e-16 for a direct
exponential, far inside the 1e-13 the kernels promise.  Range: ``E^p exp(c)``
overflows only where exp(s V) does, and with |c| <= ``MAX_INTERCEPT`` that is
within e^40 of where the direct exponential overflows too (|s V| near 700,
far beyond any membrane potential short of the divergence limit).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..channels import expr as _expr
from ..channels.base import FORMS

#: Largest multiple of a base slope computed as a power (squarings: log2 of it).
MAX_POWER = 16
#: Largest |intercept| exp(c) is taken for (e^40 ~ 2e17): beyond, forms stay direct.
MAX_INTERCEPT = 40.0


@dataclass(frozen=True)
class SharedForm:
    """Form ``which`` (0 or 1) of gate ``gate``: its exponential number ``site`` (0 for
    a built-in form; for an expression form, the site-th of
    :func:`hhsim.channels.expr.exp_sites`) is base ``base`` to ``power``."""

    gate: int
    which: int
    base: int
    power: int
    site: int = 0


@dataclass(frozen=True)
class ExpSharing:
    """Groups of rate forms whose exponentials come from one exponential each.

    ``bases[b]`` is the (gate, which, site) exponential whose slope is group b's
    base (itself a member, power 1); ``forms`` lists every member of every group.
    """

    bases: tuple[tuple[int, int, int], ...]
    forms: tuple[SharedForm, ...]


class _BuiltIn:
    """A built-in exponential form: its exponential is exp(sign (V - V0) / k), slope
    sign / k (1/mV) and intercept -sign V0 / k, with k and V0 rows of ``rp``."""

    def __init__(self, structure, gate: int, which: int):
        self.key = (gate, which, 0)
        self.sign = FORMS[structure.gates[gate].form_kinds[which]].exp_sign
        self.k_row, self.v0_row = _rows(structure, (gate, which))
        self.rows = (self.k_row, self.v0_row)

    def slope(self, rp) -> Fraction | None:
        """The exact slope (1/mV) for the parameter column ``rp``; None when the form
        may not share (k = 0, or an intercept beyond ``MAX_INTERCEPT``)."""
        k, v0 = float(rp[self.k_row]), float(rp[self.v0_row])
        if k == 0.0 or not abs(v0 / k) <= MAX_INTERCEPT:
            return None
        return Fraction(self.sign) / Fraction(k)

    def slope_values(self, rp) -> np.ndarray:
        k = rp[self.k_row]
        return (1.0 / k) if self.sign > 0 else -(1.0 / k)

    def factor_values(self, rp) -> np.ndarray:
        return np.exp((-rp[self.v0_row] if self.sign > 0 else rp[self.v0_row]) * (1.0 / rp[self.k_row]))

    def slope_source(self, param) -> str:
        return f"{'' if self.sign > 0 else '-'}(1.0 / {param('rp', self.k_row)})"

    def factor_source(self, param) -> str:
        # exponent s (V - V0) = s V + c with c = -s V0, s = sign / k
        neg = "-" if self.sign > 0 else ""
        return f"fexp({neg}{param('rp', self.v0_row)} * (1.0 / {param('rp', self.k_row)}))"


class _Site:
    """An exponential inside an expression form (:class:`hhsim.channels.expr.ExpSite`):
    slope fixed by the text, intercept c = the exponent at V = 0 from the form's
    parameters (rows ``rows`` of ``rp``)."""

    def __init__(self, structure, gate: int, which: int, index: int, site: _expr.ExpSite):
        g = structure.gates[gate]
        self.key = (gate, which, index)
        self.site = site
        off, size = g.param_offsets[which], g.form_sizes[which]
        used = set(_expr.names(site.exponent))
        self.names = {f"p{k}": off + k for k in range(size) if f"p{k}" in used}
        self.rows = tuple(self.names.values())

    def _intercepts(self, rp) -> np.ndarray:
        env = {"V": 0.0, **{name: rp[row] for name, row in self.names.items()}}
        return _expr.evaluate(self.site.exponent, env)

    def slope(self, rp) -> Fraction | None:
        c = float(np.asarray(self._intercepts(rp)).ravel()[0])
        return self.site.slope if abs(c) <= MAX_INTERCEPT else None

    def slope_values(self, rp) -> np.ndarray:
        return np.full(np.shape(rp)[1:], float(self.site.slope))

    def factor_values(self, rp) -> np.ndarray:
        return np.exp(self._intercepts(rp))

    def slope_source(self, param) -> str:
        return repr(float(self.site.slope))

    def factor_source(self, param) -> str:
        names = {"V": "0.0", **{name: param("rp", row) for name, row in self.names.items()}}
        return f"fexp({_expr.to_source(self.site.exponent, names)})"


def _candidates(structure) -> list:
    """The exponentials that may share: those of built-in exponential forms and the
    sites of expression forms, of evolving gates (not instantaneous, not schemes)."""
    out: list = []
    for j, g in enumerate(structure.gates):
        if g.instantaneous or g.scheme:
            continue
        for which, kind in enumerate(g.form_kinds):
            if kind == "expr":
                sites = _expr.exp_sites(_expr.parse(g.form_code[which]))
                out += [_Site(structure, j, which, n, site) for n, site in enumerate(sites)]
            elif FORMS[kind].exp_sign:
                out.append(_BuiltIn(structure, j, which))
    return out


def find(structure, rp) -> ExpSharing | None:
    """The sharing of ``structure``'s exponentials that the parameter column ``rp``
    allows (None: none).

    Exponentials are taken by increasing |slope|; each joins the first group whose
    base slope it is a whole multiple of (1..``MAX_POWER``, same sign), else
    starts a group.  Groups of one are dropped (nothing to share).
    """
    cands = []
    for c in _candidates(structure):
        slope = c.slope(rp)
        if slope is not None:
            cands.append((abs(slope), c, slope))
    cands.sort(key=lambda t: t[0])
    groups: list[list] = []
    for _, c, slope in cands:
        for grp in groups:
            p = _relation(grp[0][0], grp[0][2], c, slope, rp)
            if p:
                grp.append((c, p, slope))
                break
        else:
            groups.append([(c, 1, slope)])
    groups = [g for g in groups if len(g) > 1]
    if not groups:
        return None
    bases = tuple(g[0][0].key for g in groups)
    forms = tuple(SharedForm(c.key[0], c.key[1], b, p, c.key[2]) for b, g in enumerate(groups) for c, p, _ in g)
    return ExpSharing(bases, forms)


def _relation(base, base_slope: Fraction, member, slope: Fraction, rp) -> int:
    """The power p with slope(member) = p slope(base), or 0.  Two built-in forms keep
    the test on their k values in floating point (k_base = p k_form), the relation
    their kernels have always been generated for; otherwise the exact slopes."""
    if isinstance(base, _BuiltIn) and isinstance(member, _BuiltIn):
        same = base.sign * member.sign
        k_base, k_form = float(rp[base.k_row]), float(rp[member.k_row])
        return next((p for p in range(1, MAX_POWER + 1) if k_base == same * p * k_form), 0)
    q = slope / base_slope
    return int(q) if q.denominator == 1 and 1 <= q <= MAX_POWER else 0


def groups(structure, rp) -> list[tuple[ExpSharing | None, np.ndarray]]:
    """The neurons (columns of ``rp``) grouped by the sharing their own parameters
    allow: [(sharing or None, neuron indices), ...], in order of first neuron.

    Neurons with equal slopes and intercepts (the usual batch: one group) are
    looked at once.
    """
    rp = np.asarray(rp, dtype=float)
    candidates = _candidates(structure)
    rows = sorted({r for c in candidates for r in c.rows})
    if not candidates or rp.shape[1] == 0:
        return [(None, np.arange(rp.shape[1]))]
    if rp.shape[1] == 1 or not rows or (rp[rows] == rp[rows, :1]).all():
        return [(find(structure, rp[:, 0]), np.arange(rp.shape[1]))]
    _, first, inverse = np.unique(rp[rows].T, axis=0, return_index=True, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    by_sharing: dict = {}
    for key in np.argsort(first):
        sharing = find(structure, rp[:, first[key]])
        by_sharing.setdefault(sharing, []).append(np.flatnonzero(inverse == key))
    return [(sh, np.sort(np.concatenate(parts))) for sh, parts in by_sharing.items()]


def common(structure, rp) -> ExpSharing | None:
    """The sharing every neuron (column of ``rp``) allows when they all allow the same
    one (one kernel then serves them all, as in a network's group), else None."""
    found = groups(structure, rp)
    return found[0][0] if len(found) == 1 else None


def _rows(structure, form) -> tuple[int, int]:
    """The ``rp`` rows of a built-in form's k and V0."""
    j, which = form
    g = structure.gates[j]
    names = FORMS[g.form_kinds[which]].param_names
    off = g.param_offsets[which]
    return off + names.index("k"), off + names.index("V0")


def _members(structure, sharing: ExpSharing) -> tuple[list, list]:
    """(the bases' candidates, the members' candidates) of ``sharing``, in its order."""
    by_key = {c.key: c for c in _candidates(structure)}
    return [by_key[b] for b in sharing.bases], [by_key[(m.gate, m.which, m.site)] for m in sharing.forms]


def run_constants(structure, sharing: ExpSharing, rp) -> np.ndarray:
    """The quantities :meth:`SharedExps.prologue` computes once per run, for every
    neuron (column of ``rp``): rows are the bases' slopes (1/mV), then the members'
    exp(c), in that order; for a parameter row read by the adaptive kernels
    (:func:`hhsim.engine.codegen.flat_parameters`)."""
    rp = np.asarray(rp, dtype=float)
    bases, members = _members(structure, sharing)
    rows = [b.slope_values(rp) for b in bases] + [m.factor_values(rp) for m in members]
    # a site whose intercept reads no parameter gives one number for every neuron
    return np.array([np.broadcast_to(r, rp.shape[1:]) for r in rows]).reshape(len(rows), rp.shape[1])


class SharedExps:
    """Source lines of an :class:`ExpSharing` for the generated kernels.

    ``param(array, row)`` names the rate parameters (as for the emitters);
    the quantities computed once per run of neurons are named by
    ``slope(b)`` (base b's slope, 1/mV) and ``factor(n)`` (member n's exp(c)).
    Every neuron the lines are used for must allow ``sharing`` (:func:`groups`).
    """

    def __init__(self, structure, sharing: ExpSharing, param, slope, factor):
        self.s, self.sharing, self.param = structure, sharing, param
        self.slope, self.factor = slope, factor

    def prologue(self) -> list[str]:
        """Lines computing ``slope`` and ``factor`` from the parameters (once per run)."""
        bases, members = _members(self.s, self.sharing)
        return ([f"{self.slope(b)} = {c.slope_source(self.param)}" for b, c in enumerate(bases)]
                + [f"{self.factor(n)} = {c.factor_source(self.param)}" for n, c in enumerate(members)])

    def at(self, v: str) -> tuple[list[str], dict[tuple[int, int], dict[int, str]]]:
        """(lines, {(gate, form): {site: its exponential}}) at voltage ``v`` (the
        argument ``shared`` of :func:`hhsim.engine.emit.gate_relaxation`)."""
        sh, lines = self.sharing, []
        for b in range(len(sh.bases)):
            need = max(m.power for m in sh.forms if m.base == b)
            lines.append(f"SE{b}_1 = fexp({v} * {self.slope(b)})")
            sq = 1
            while 2 * sq <= need:
                lines.append(f"SE{b}_{2 * sq} = SE{b}_{sq} * SE{b}_{sq}")
                sq *= 2
        out: dict[tuple[int, int], dict[int, str]] = {}
        for n, m in enumerate(sh.forms):
            bits = [1 << i for i in range(m.power.bit_length()) if m.power >> i & 1]
            term = " * ".join(f"SE{m.base}_{p}" for p in reversed(bits))
            out.setdefault((m.gate, m.which), {})[m.site] = f"({term}) * {self.factor(n)}"
        return lines, out
