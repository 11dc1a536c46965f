"""Lowering a noisy membrane into the arrays of :mod:`hhsim.engine.noise_kernels`.

The model is lowered as for a deterministic run (:func:`hhsim.physics.structure.lower`,
one column per node); the rates of every gate are then evaluated on a grid of
voltages by the one NumPy description of the physics
(:func:`hhsim.physics.evaluate.physics`: the model's own rate functions,
temperature factors included), once per group of nodes that share their
kinetics, and turned into what a step needs: for a noisy gate the transition
matrix of its open-subunit count over one step
(:func:`hhsim.physics.kinetic.subunit_transition`), for a gate without noise
its steady state and decay factor.  The kernels interpolate these tables
linearly; on the grid of :data:`VH` = 0.05 mV the relative error of a rate
is below about 1e-5 (second derivative of an exponential rate with a slope
factor of 10 mV), far below the noise being simulated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from ..limits import check_memory
from ..physics.evaluate import physics
from ..physics.kinetic import KineticScheme, kinetic_scheme, step_probabilities, subunit_transition
from ..physics.structure import Plan

#: The voltage grid of the rate tables (mV): VLO .. VHI in steps of VH.
VLO, VHI, VH = -200.0, 150.0, 0.05


@dataclass
class NoisePlan:
    """Arrays of :func:`hhsim.engine.noise_kernels.run_noise` for ``n`` nodes (see there for meanings).

    ``noisy``: names of the noisy channels, ``schemes`` their kinetic schemes,
    ``counts`` (n_noisy, n) their numbers of channels per node.
    """

    n: int
    noisy: tuple[str, ...]
    schemes: tuple[KineticScheme, ...]
    tab: np.ndarray
    grp: np.ndarray
    ch_row0: np.ndarray
    ch_ns: np.ndarray
    ch_g0: np.ndarray
    ch_ng: np.ndarray
    ch_gbar: np.ndarray
    ch_erev: np.ndarray
    counts: np.ndarray
    gt_pow: np.ndarray
    gt_stride: np.ndarray
    gt_col: np.ndarray
    dch_g0: np.ndarray
    dch_ng: np.ndarray
    dch_gbar: np.ndarray
    dch_erev: np.ndarray
    dg_pow: np.ndarray
    dg_col: np.ndarray
    dg_inst: np.ndarray
    gfix: np.ndarray
    gefix: np.ndarray
    cm: np.ndarray
    thr: np.ndarray
    v0: np.ndarray
    xinit: np.ndarray
    xd0: np.ndarray
    gm_kind: np.ndarray
    gm_a: np.ndarray
    gm_b: np.ndarray
    erev: np.ndarray
    dt: float

    @property
    def n_rows(self) -> int:
        return int(self.ch_ns.sum())


def _int(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64).reshape(-1)


def noise_plan(model, plan: Plan, counts: dict[str, np.ndarray], dt: float) -> NoisePlan:
    """The noise kernels' arrays for the nodes of ``plan`` (all of ``model``'s structure);
    ``counts``: noisy channel name -> (n,) whole numbers of channels per node; ``dt`` in ms."""
    s = plan.structure
    n = plan.ncomp
    if s.pools:
        raise ParameterError(f"model {model.name!r} has an ion pool ({s.pools[0].name}); channel noise runs "
                             "models whose reversal potentials are fixed (no pools)")
    for i, ch in enumerate(model.channels):
        if s.mode(i) != "ohmic":
            raise ParameterError(f"channel {ch.name!r} is a GHK current; channel noise runs ohmic channels only")
        if ch.conductance and ch.name not in counts:
            raise ParameterError(f"channel {ch.name!r} gives a conductance expression; channel noise runs "
                                 "channels that are products of gate powers")
    gate_row = {}
    j = 0
    for ch in model.channels:
        for g in ch.gates:
            gate_row[(ch.name, g.name)] = j
            j += 1
    noisy = [ch for ch in model.channels if ch.name in counts]
    schemes = [kinetic_scheme(ch) for ch in noisy]
    det = [ch for ch in model.channels if ch.gates and ch.name not in counts]
    fixed = [i for i, ch in enumerate(model.channels) if not ch.gates]
    # table columns
    col = 0
    gt_pow, gt_stride, gt_col, gt_rows = [], [], [], []
    ch_row0, ch_ns, ch_g0, ch_ng = [], [], [], []
    row = 0
    for ch, sc in zip(noisy, schemes):
        ch_row0.append(row)
        ch_ns.append(sc.n_states)
        ch_g0.append(len(gt_pow))
        ch_ng.append(len(sc.powers))
        row += sc.n_states
        for g, a, st in zip(ch.gates, sc.powers, sc.strides):
            gt_pow.append(a)
            gt_stride.append(st)
            gt_col.append(col)
            gt_rows.append(gate_row[(ch.name, g.name)])
            col += (a + 1) ** 2 + 2 * (a + 1) + 4
    dg_pow, dg_col, dg_inst, dg_rows, dch_g0, dch_ng = [], [], [], [], [], []
    for ch in det:
        dch_g0.append(len(dg_pow))
        dch_ng.append(len(ch.gates))
        for g in ch.gates:
            dg_pow.append(float(g.power))
            dg_col.append(col)
            dg_inst.append(1 if g.instantaneous else 0)
            dg_rows.append(gate_row[(ch.name, g.name)])
            col += 2
    # one table per group of nodes sharing their rate parameters and temperature factors
    keys = np.vstack([plan.rp, plan.phi]).T
    uniq, grp = np.unique(keys, axis=0, return_inverse=True)
    first = [int(np.flatnonzero(grp == k)[0]) for k in range(uniq.shape[0])]
    vgrid = np.arange(int(round((VHI - VLO) / VH)) + 1) * VH + VLO
    # one table per group: nodes whose rate parameters differ each need their own
    check_memory(8.0 * len(first) * vgrid.size * max(col, 1),
                 f"the rate tables of {len(first)} groups of nodes with different kinetics",
                 "vary fewer rate parameters or temperatures across the nodes", ParameterError)
    tab = np.zeros((len(first), vgrid.size, max(col, 1)))
    for k, c in enumerate(first):
        one = plan.columns(np.array([c]))
        y = np.zeros((s.n_states, vgrid.size))
        with np.errstate(all="ignore"):
            ph = physics(one, vgrid, y)
        A, B, xinf = ph["A"], ph["B"], ph["x_inf"]
        for gcol, a, jr in zip(gt_col, gt_pow, gt_rows):
            alpha, beta = A[jr], np.maximum(B[jr] - A[jr], 0.0)
            p_co, p_oc = step_probabilities(alpha, beta, dt)
            q = subunit_transition(a, p_co, p_oc)
            a1 = a + 1
            tab[k, :, gcol: gcol + a1 * a1] = q.reshape(vgrid.size, a1 * a1)
            stay = np.clip(np.diagonal(q, axis1=1, axis2=2), 1e-300, 1.0)
            tab[k, :, gcol + a1 * a1: gcol + a1 * a1 + a1] = np.log(stay)
            # the probability of leaving, from the same matrix (rows sum to 1)
            leave = np.clip(q.sum(axis=2) - np.diagonal(q, axis1=1, axis2=2), 0.0, 1.0)
            tab[k, :, gcol + a1 * a1 + a1: gcol + a1 * a1 + 2 * a1] = leave
            tab[k, :, gcol + a1 * a1 + 2 * a1] = alpha
            tab[k, :, gcol + a1 * a1 + 2 * a1 + 1] = beta
            # log(1 - p_co), log(1 - p_oc): one subunit's log-probabilities of not flipping
            # (the Markov kernel derives every probability of its step from these two)
            with np.errstate(divide="ignore"):
                tab[k, :, gcol + a1 * a1 + 2 * a1 + 2] = np.maximum(np.log1p(-np.minimum(p_co, 1.0)), -700.0)
                tab[k, :, gcol + a1 * a1 + 2 * a1 + 3] = np.maximum(np.log1p(-np.minimum(p_oc, 1.0)), -700.0)
        for gcol, inst, jr in zip(dg_col, dg_inst, dg_rows):
            tab[k, :, gcol] = xinf[jr]
            tab[k, :, gcol + 1] = 0.0 if inst else np.exp(-B[jr] * dt)
    if not np.all(np.isfinite(tab)):
        raise ParameterError(f"model {model.name!r}: a rate is not finite between {VLO:g} and {VHI:g} mV, so "
                             "its channels cannot be tabulated for noise")
    names = [ch.name for ch in model.channels]
    idx_noisy = [names.index(ch.name) for ch in noisy]
    idx_det = [names.index(ch.name) for ch in det]
    cnt = np.array([np.broadcast_to(np.asarray(counts[ch.name], dtype=float), (n,)) for ch in noisy],
                   dtype=float).reshape(len(noisy), n)
    gfix = np.zeros(n)
    gefix = np.zeros(n)
    for i in fixed:
        gfix += plan.gbar[i]
        gefix += plan.gbar[i] * plan.erev[i]
    gm_kind, gm_a, gm_b = [], [], []
    for jr in range(s.n_gates):
        if jr in gt_rows:
            g = gt_rows.index(jr)
            gm_kind.append(0)
            gm_a.append(next(k for k in range(len(noisy)) if ch_g0[k] <= g < ch_g0[k] + ch_ng[k]))
            gm_b.append(g)
        else:
            gm_kind.append(1)
            gm_a.append(dg_rows.index(jr))
            gm_b.append(0)
    pick = lambda a, rows: np.ascontiguousarray(a[rows].reshape(len(rows), n))  # noqa: E731
    return NoisePlan(
        n=n, noisy=tuple(ch.name for ch in noisy), schemes=tuple(schemes), tab=np.ascontiguousarray(tab),
        grp=_int(grp), ch_row0=_int(ch_row0), ch_ns=_int(ch_ns), ch_g0=_int(ch_g0), ch_ng=_int(ch_ng),
        ch_gbar=pick(plan.gbar, idx_noisy), ch_erev=pick(plan.erev, idx_noisy), counts=cnt,
        gt_pow=_int(gt_pow), gt_stride=_int(gt_stride), gt_col=_int(gt_col),
        dch_g0=_int(dch_g0), dch_ng=_int(dch_ng), dch_gbar=pick(plan.gbar, idx_det),
        dch_erev=pick(plan.erev, idx_det), dg_pow=np.asarray(dg_pow, dtype=float),
        dg_col=_int(dg_col), dg_inst=_int(dg_inst), gfix=gfix, gefix=gefix,
        cm=np.ascontiguousarray(plan.cm, dtype=float), thr=np.ascontiguousarray(plan.threshold, dtype=float),
        v0=np.array(plan.v0, dtype=float), xinit=pick(plan.y0, gt_rows), xd0=pick(plan.y0, dg_rows),
        gm_kind=_int(gm_kind), gm_a=_int(gm_a), gm_b=_int(gm_b), erev=plan.erev.copy(), dt=float(dt),
    )
