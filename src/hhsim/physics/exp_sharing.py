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

import numpy as np

from ..channels.base import FORMS

#: Largest multiple of a base slope computed as a power (squarings: log2 of it).
MAX_POWER = 16
#: Largest |intercept| exp(c) is taken for (e^40 ~ 2e17): beyond, forms stay direct.
MAX_INTERCEPT = 40.0


@dataclass(frozen=True)
class SharedForm:
    """Form ``which`` (0 or 1) of gate ``gate``: its exponential is base ``base`` to ``power``."""

    gate: int
    which: int
    base: int
    power: int


@dataclass(frozen=True)
class ExpSharing:
    """Groups of rate forms whose exponentials come from one exponential each.

    ``bases[b]`` is the (gate, which) form whose slope is group b's base
    (itself a member, power 1); ``forms`` lists every member of every group.
    """

    bases: tuple[tuple[int, int], ...]
    forms: tuple[SharedForm, ...]


def _shareable(structure) -> list[tuple[int, int]]:
    """(gate, which) of the forms that may share: built-in exponential forms of evolving gates."""
    out = []
    for j, g in enumerate(structure.gates):
        if g.instantaneous or g.scheme:
            continue
        for which, kind in enumerate(g.form_kinds):
            if FORMS[kind].exp_sign:
                out.append((j, which))
    return out


def _k_v0(structure, rp, form) -> tuple[float, float]:
    """(k, V0) of a form from the rate-parameter column ``rp``."""
    k, v0 = _rows(structure, form)
    return float(rp[k]), float(rp[v0])


def _sign(structure, form) -> int:
    j, which = form
    return FORMS[structure.gates[j].form_kinds[which]].exp_sign


def find(structure, rp) -> ExpSharing | None:
    """The sharing of ``structure``'s forms that the parameter column ``rp`` allows (None: none).

    Forms are taken by increasing |slope|; each joins the first group whose
    base slope it is a whole multiple of (1..``MAX_POWER``, same sign), else
    starts a group.  Groups of one are dropped (nothing to share).
    """
    cands = []
    for f in _shareable(structure):
        k, v0 = _k_v0(structure, rp, f)
        if k == 0.0 or not abs(v0 / k) <= MAX_INTERCEPT:
            continue
        cands.append((abs(1.0 / k), f, k))
    cands.sort(key=lambda t: t[0])
    groups: list[list[tuple[tuple[int, int], int]]] = []
    for _, f, k in cands:
        for grp in groups:
            base = grp[0][0]
            p = _relation(structure, base, f, _k_v0(structure, rp, base)[0], k)
            if p:
                grp.append((f, p))
                break
        else:
            groups.append([(f, 1)])
    groups = [g for g in groups if len(g) > 1]
    if not groups:
        return None
    bases = tuple(g[0][0] for g in groups)
    forms = tuple(SharedForm(f[0], f[1], b, p) for b, g in enumerate(groups) for f, p in g)
    return ExpSharing(bases, forms)


def _relation(structure, base, form, k_base: float, k_form: float) -> int:
    """The power p with slope(form) = p slope(base) exactly, or 0."""
    same = _sign(structure, base) * _sign(structure, form)
    for p in range(1, MAX_POWER + 1):
        if k_base == same * p * k_form:
            return p
    return 0


def groups(structure, rp) -> list[tuple[ExpSharing | None, np.ndarray]]:
    """The neurons (columns of ``rp``) grouped by the sharing their own parameters
    allow: [(sharing or None, neuron indices), ...], in order of first neuron.

    Neurons with equal slopes and intercepts (the usual batch: one group) are
    looked at once.
    """
    rp = np.asarray(rp, dtype=float)
    rows = [r for f in _shareable(structure) for r in _rows(structure, f)]
    if not rows or rp.shape[1] == 0:
        return [(None, np.arange(rp.shape[1]))]
    if rp.shape[1] == 1 or (rp[rows] == rp[rows, :1]).all():
        return [(find(structure, rp[:, 0]), np.arange(rp.shape[1]))]
    _, first, inverse = np.unique(rp[rows].T, axis=0, return_index=True, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    by_sharing: dict = {}
    for key in np.argsort(first):
        sharing = find(structure, rp[:, first[key]])
        by_sharing.setdefault(sharing, []).append(np.flatnonzero(inverse == key))
    return [(sh, np.sort(np.concatenate(parts))) for sh, parts in by_sharing.items()]


def _rows(structure, form) -> tuple[int, int]:
    """The ``rp`` rows of a form's k and V0."""
    j, which = form
    g = structure.gates[j]
    names = FORMS[g.form_kinds[which]].param_names
    off = g.param_offsets[which]
    return off + names.index("k"), off + names.index("V0")


def run_constants(structure, sharing: ExpSharing, rp) -> np.ndarray:
    """The quantities :meth:`SharedExps.prologue` computes once per run, for every
    neuron (column of ``rp``): rows are the bases' slopes (1/mV), then the members'
    exp(c), in that order; for a parameter row read by the adaptive kernels
    (:func:`hhsim.engine.codegen.flat_parameters`)."""
    rp = np.asarray(rp, dtype=float)
    rows = []
    for base in sharing.bases:
        k = rp[_rows(structure, base)[0]]
        rows.append((1.0 / k) if _sign(structure, base) > 0 else -(1.0 / k))
    for m in sharing.forms:
        k_row, v0_row = _rows(structure, (m.gate, m.which))
        v0 = rp[v0_row]
        rows.append(np.exp((-v0 if _sign(structure, (m.gate, m.which)) > 0 else v0) * (1.0 / rp[k_row])))
    return np.array(rows).reshape(len(rows), rp.shape[1])


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

    def _kv(self, form) -> tuple[str, str]:
        k, v0 = _rows(self.s, form)
        return self.param("rp", k), self.param("rp", v0)

    def prologue(self) -> list[str]:
        """Lines computing ``slope`` and ``factor`` from the parameters (once per run)."""
        sh, lines = self.sharing, []
        for b, base in enumerate(sh.bases):
            k, _ = self._kv(base)
            sign = "" if _sign(self.s, base) > 0 else "-"
            lines.append(f"{self.slope(b)} = {sign}(1.0 / {k})")
        for n, m in enumerate(sh.forms):
            k, v0 = self._kv((m.gate, m.which))
            # exponent s (V - V0) = s V + c with c = -s V0, s = sign / k
            neg = "-" if _sign(self.s, (m.gate, m.which)) > 0 else ""
            lines.append(f"{self.factor(n)} = fexp({neg}{v0} * (1.0 / {k}))")
        return lines

    def at(self, v: str) -> tuple[list[str], dict[tuple[int, int], str]]:
        """(lines, {(gate, form): its exponential}) at voltage ``v`` (the argument
        ``shared`` of :func:`hhsim.engine.codegen.gate_relaxation`)."""
        sh, lines = self.sharing, []
        for b in range(len(sh.bases)):
            need = max(m.power for m in sh.forms if m.base == b)
            lines.append(f"SE{b}_1 = fexp({v} * {self.slope(b)})")
            sq = 1
            while 2 * sq <= need:
                lines.append(f"SE{b}_{2 * sq} = SE{b}_{sq} * SE{b}_{sq}")
                sq *= 2
        out = {}
        for n, m in enumerate(sh.forms):
            bits = [1 << i for i in range(m.power.bit_length()) if m.power >> i & 1]
            term = " * ".join(f"SE{m.base}_{p}" for p in reversed(bits))
            out[(m.gate, m.which)] = f"({term}) * {self.factor(n)}"
        return lines, out
