"""Compiled kernels of noisy membranes: channel counts on fixed steps.

Fixed code, compiled once for every model: a model enters only through
arrays (:mod:`hhsim.noise.lowering` builds them), never through generated
source.  The kernels inline the random numbers and draws of
:mod:`hhsim.engine.noise_random`, but numba's on-disk cache keys a compiled
function on its own file only: a change there alone leaves the kernels
compiled before it in every cache, so it needs a change here too.  A
*node* is one membrane patch (a neuron of a batch; a compartment later)
with its own state counts, parameters and random stream.

State of a node
    ``v`` (mV); ``z[row]``: the number of channels in each state of each
    noisy channel's kinetic scheme (:mod:`hhsim.physics.kinetic`; rows
    ``ch_row0[k] ..`` of channel ``k``, as floats holding whole numbers for
    the Markov method and real numbers for the Langevin method); ``xd[j]``:
    the gates of channels without noise (fractions, as the deterministic
    model).

Rates
    Read from a table of the voltage (rows ``VLO + i VH`` mV, linear
    interpolation) filled from the model's own rate functions, per group of
    nodes sharing their kinetics (``grp``).  For a noisy gate with ``a``
    subunits the columns from ``gt_col`` hold: the ``(a+1) x (a+1)`` matrix
    ``q[i, j]`` of the open-subunit count over one step at fixed V (row i:
    from i open), then ``log q[i, i]`` and ``1 - q[i, i]`` for each i, then
    ``alpha`` and ``beta`` (1/ms, temperature factor included), then ``log(1 - p_co)`` and
    ``log(1 - p_oc)`` (one subunit's step probabilities of not flipping).  For a gate without noise:
    ``x_inf`` and ``exp(-(alpha + beta) dt)``.

One step of ``dt`` from (V, z, xd), as exponential Euler for the
deterministic model: the conductances are those at the step's start (a noisy
channel's is ``gbar * z[open] / N``), V relaxes exactly for them; the
channels' transitions over the step use the rates at the step's start; gates
without noise relax exactly at that V; instantaneous gates follow the new V.

``markov`` (method 0)
    The exact transition of every channel over the step at fixed V.  Gates of
    one channel flip independently, so the step's transition matrix is the
    Kronecker product of each gate's (``exp((Q1 (+) Q2) dt) = exp(Q1 dt)
    (x) exp(Q2 dt)``) and the gates are updated one after the other, each
    exactly.  For gate ``g`` (``a`` subunits, each opening with ``p_co`` and
    closing with ``p_oc`` over the step) the ``n`` channels of a state with
    ``mc`` of its subunits open and ``mo = a - mc`` closed draw: the
    *flippers*, channels with at least one of these subunits flipping,
    ``F ~ Bin(n, L)``, ``L = 1 - (1 - p_co)**mo (1 - p_oc)**mc`` (computed as
    ``p_co (1 + A + .. + A**(mo-1)) + A**mo p_oc (1 + B + ..)`` with ``A = 1 -
    p_co``, ``B = 1 - p_oc``: no cancellation); then where each flipper goes:
    one subunit closing (to ``mc - 1`` open, probability ``mc p_oc A**mo
    B**(mc-1) / L``), one opening (to ``mc + 1``), or two flips or more (rare,
    ``O(dt^2)``: each placed by a categorical draw over its (closings,
    openings)).  A flipper whose closings and openings cancel stays in its
    state.  This is the multinomial of the gate's exact step matrix, so in the
    limit of many channels the open fraction follows ``x1**a1 x2**a2 ..`` of the
    exponential-Euler gates: the deterministic model at the same dt.

    Speed (:func:`run_markov`): nodes are taken ``BLOCK`` at a time with their
    state in structure-of-arrays form, every loop over the block innermost and
    branch-free so that LLVM vectorises it.  Each (gate, state) of a node
    draws one Philox uniform per step (the uniforms of the whole block are
    generated together); the flipper count inverts it (from 0, vectorised over
    the block: iteration ``k`` moves every lane still below its uniform from
    ``k`` to ``k + 1``; a lane with a mean above ``VEC_MEAN`` or not done in
    ``VEC_ITER`` iterations is finished by the scalar exact inversion, from
    the mode for a large mean), and the uniform left over by an inversion,
    ``(u - F(k-1)) / pmf(k)``, uniform and independent of ``k``, draws the
    flippers' destinations (:func:`hhsim.engine.noise_random.recycle`).  A
    lane's numbers depend on its own counts, rates and stream only, so the
    results do not depend on the block, the number of threads or the split.
    The probabilities come from ``log(1 - p_co)`` and ``log(1 - p_oc)``
    interpolated in the rate table (``p = -expm1(log(1 - p))``), so that the
    flipper's ``(1 - L)**n = exp(n log(1 - L))`` and ``L`` are consistent.

``langevin`` (method 1)
    A Gaussian step with the exact first two moments of the Markov step:
    mean ``z q`` and the multinomial covariance ``C = sum_i z_i (diag q_i -
    q_i q_i^T)`` of the channels leaving each level, per gate and line of
    states; ``C`` has rank ``a`` (the line's total is kept), so the first
    ``a`` levels get ``L xi`` with ``L L^T`` the leading ``a x a`` block
    (Cholesky, ``a`` normal numbers) and the last level the opposite of their
    sum: 14 normal numbers a step for hh (Orio & Soudry's square root of the
    diffusion matrix, taken per gate).  As dt -> 0 this is the
    chemical Langevin equation of the scheme, whose diffusion matrix is the
    Markov chain's, that of Orio & Soudry (2012), PLoS ONE 7:e36670
    (one of the "exact-covariance" methods Goldwyn & Shea-Brown 2011 found
    accurate, not the Fox-Lu gate noise); at finite dt the step's moments are
    exact too, so the stationary mean, variance and autocorrelation at a
    clamped voltage are the Markov chain's at any dt (an Euler-Maruyama step
    of the same equation overestimates the variance by a factor of about
    ``1 + rate * dt / 2``).  Real counts that leave [0, N] are projected back
    onto the simplex (Euclidean projection, as Dangerfield, Kay & Burrage 2012,
    Phys Rev E 85:051907).

Randomness: :mod:`hhsim.engine.noise_random` (Philox, by node, step and slot).  The
Markov step's slot ``j`` holds the uniforms of the node's (gate, state) pairs ``2j``
and ``2j + 1`` (in the order channel, gate, state); the Langevin step's are at
:func:`~hhsim.engine.noise_random.slot`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .cable_helpers import fexp
from .noise_random import (BELOW_ONE, FLAGS, STREAM_EVENTS, STREAM_INIT, STREAM_STEPS, binomial, binomial_u, normal2,
                           recycle, slot, uniform, uniform2)

MARKOV = 0
LANGEVIN = 1

#: Largest number of subunits of one gate (the per-level scratch arrays).
MAX_LEVELS = 9


@njit(**FLAGS, inline="always")
def _table_at(v, vlo, vh, nv):
    """(row, weight) of the linear interpolation at V in a table of nv rows from vlo, step vh."""
    pos = (v - vlo) / vh
    if not pos > 0.0:  # also NaN
        pos = 0.0
    if pos > nv - 1.000001:
        pos = nv - 1.000001
    i = int(pos)
    return i, pos - i


@njit(**FLAGS)
def _interp(tab, g, i, w, col):
    a = tab[g, i, col]
    return a + w * (tab[g, i + 1, col] - a)


@njit(**FLAGS)
def init_counts(z, xinit, ch_row0, ch_ns, ch_g0, ch_ng, ch_n, gt_pow, gt_stride, seed, node_id, lo, hi):
    """Draw every node's channel counts from the stationary distribution of its gates'
    values ``xinit`` (one row per noisy gate): multinomial over the states, whose
    probabilities are products of binomials (conditional binomials, one slot per state)."""
    for c in range(lo, hi):
        node = node_id[c]
        for k in range(ch_row0.shape[0]):
            row0 = ch_row0[k]
            ns = ch_ns[k]
            left = ch_n[k, c]
            mass = 1.0
            for s in range(ns):
                p = 1.0
                for gg in range(ch_ng[k]):
                    g = ch_g0[k] + gg
                    a = gt_pow[g]
                    i = (s // gt_stride[g]) % (a + 1)
                    x = xinit[g, c]
                    p *= _binom_pmf(a, i, x)
                if s == ns - 1 or mass <= 0.0:
                    cnt = left if s == ns - 1 else 0.0
                else:
                    pc = p / mass
                    if pc > 1.0:
                        pc = 1.0
                    cnt = binomial(left, pc, uniform(seed, node, 0, row0 + s, STREAM_INIT))
                z[row0 + s, c] = cnt
                left -= cnt
                mass -= p
    return -1


@njit(**FLAGS, inline="always")
def _binom_pmf(a, i, x):
    coef = 1.0
    for t in range(i):
        coef = coef * (a - t) / (t + 1.0)
    return coef * x ** i * (1.0 - x) ** (a - i)


@njit(**FLAGS)
def run_noise(v, z, xd, tab, grp, vlo, vh,
              ch_row0, ch_ns, ch_g0, ch_ng, ch_gbar, ch_erev, ch_n,
              gt_pow, gt_stride, gt_col,
              dch_g0, dch_ng, dch_gbar, dch_erev, dg_pow, dg_col, dg_inst,
              gfix, gefix, cm, wave, scale, i_m, clamp, vc, thr,
              method, seed, node_id, dt, t0, step0, n_steps,
              rec_every, v_rec, g_rec, o_rec, gm_kind, gm_a, gm_b,
              spk_t, spk_n, lo, hi):
    """Advance nodes lo..hi-1 by ``n_steps`` steps of ``dt`` (ms) from step ``step0`` of a run that
    started at ``t0`` (ms); -1 on success, else the first step (of this call) at which a node's
    |V| reached 1e4 mV.

    ``v_rec[r, c]``, ``g_rec[r, j, c]`` (the model's gates: for a noisy gate the mean
    fraction of open subunits) and ``o_rec[r, k, c]`` (each noisy channel's open
    fraction) every ``rec_every`` steps from row 0 (the start); 0 records nothing.

    Written as one function on purpose: a helper taking arrays costs numba two
    atomic reference-count updates per array and call, which cost more than
    the arithmetic of a step.  A node's state is copied into local arrays for
    its whole run (``zc``, ``xdc``) and the rates of the step's voltage are
    interpolated once into ``row``.  The Markov method runs :func:`run_markov`; the loop
    below is the Langevin step.
    """
    if method == MARKOV:
        return run_markov(v, z, xd, tab, grp, vlo, vh, ch_row0, ch_ns, ch_g0, ch_ng, ch_gbar, ch_erev, ch_n,
                          gt_pow, gt_stride, gt_col, dch_g0, dch_ng, dch_gbar, dch_erev, dg_pow, dg_col, dg_inst,
                          gfix, gefix, cm, wave, scale, i_m, clamp, vc, thr, seed, node_id, dt, t0, step0, n_steps,
                          rec_every, v_rec, g_rec, o_rec, gm_kind, gm_a, gm_b, spk_t, spk_n, lo, hi)
    nv = tab.shape[1]
    ncol = tab.shape[2]
    nc = ch_row0.shape[0]
    nd = dch_g0.shape[0]
    ndg = dg_col.shape[0]
    nrow = z.shape[0]
    max_spk = spk_t.shape[1]
    old = np.empty(MAX_LEVELS)
    new = np.empty(MAX_LEVELS)
    xi = np.empty(MAX_LEVELS + 1)
    cov = np.empty(MAX_LEVELS * MAX_LEVELS)
    chol = np.zeros(MAX_LEVELS * MAX_LEVELS)
    row = np.empty(ncol)
    zc = np.empty(nrow)
    xdc = np.empty(max(ndg, 1))
    scratch = np.empty(nrow + 1)
    status = -1
    for c in range(lo, hi):
        node = node_id[c]
        g_c = grp[c]
        rcm = 1.0 / cm[c]
        for r in range(nrow):
            zc[r] = z[r, c]
        for j in range(ndg):
            xdc[j] = xd[j, c]
        V = v[c]
        for n in range(n_steps + 1):
            if rec_every > 0 and n % rec_every == 0:
                r = n // rec_every
                v_rec[r, c] = V
                for k in range(nc):
                    o_rec[r, k, c] = zc[ch_row0[k] + ch_ns[k] - 1] / ch_n[k, c] if ch_n[k, c] > 0.0 else 0.0
                for j in range(gm_kind.shape[0]):
                    if gm_kind[j] == 1:
                        g_rec[r, j, c] = xdc[gm_a[j]]
                    else:
                        k = gm_a[j]
                        g = gm_b[j]
                        a = gt_pow[g]
                        acc = 0.0
                        for s in range(ch_ns[k]):
                            acc += zc[ch_row0[k] + s] * ((s // gt_stride[g]) % (a + 1))
                        g_rec[r, j, c] = acc / (a * ch_n[k, c]) if ch_n[k, c] > 0.0 else 0.0
            if n == n_steps:
                break
            step = step0 + n
            G = gfix[c]
            GE = gefix[c]
            for k in range(nc):
                if ch_n[k, c] > 0.0:
                    gk = ch_gbar[k, c] * zc[ch_row0[k] + ch_ns[k] - 1] / ch_n[k, c]
                    G += gk
                    GE += gk * ch_erev[k, c]
            for d in range(nd):
                gk = dch_gbar[d, c]
                for gg in range(dch_ng[d]):
                    j = dch_g0[d] + gg
                    gk *= xdc[j] ** dg_pow[j]
                G += gk
                GE += gk * dch_erev[d, c]
            ti, tw = _table_at(V, vlo, vh, nv)
            # the columns this step reads: each noisy gate's step matrix, each other gate's pair
            for gi in range(gt_pow.shape[0]):
                a1 = gt_pow[gi] + 1
                for col in range(gt_col[gi], gt_col[gi] + a1 * a1):
                    t_a = tab[g_c, ti, col]
                    row[col] = t_a + tw * (tab[g_c, ti + 1, col] - t_a)
            for j in range(ndg):
                for col in range(dg_col[j], dg_col[j] + 2):
                    t_a = tab[g_c, ti, col]
                    row[col] = t_a + tw * (tab[g_c, ti + 1, col] - t_a)
            for j in range(ndg):
                if dg_inst[j] == 0:
                    x_inf = row[dg_col[j]]
                    xdc[j] = x_inf + (xdc[j] - x_inf) * row[dg_col[j] + 1]
            for k in range(nc):
                row0 = ch_row0[k]
                ns = ch_ns[k]
                for gg in range(ch_ng[k]):
                    gi = ch_g0[k] + gg
                    a = gt_pow[gi]
                    a1 = a + 1
                    col = gt_col[gi]
                    stride = gt_stride[gi]
                    span = stride * a1
                    for line in range(ns // a1):  # states with this gate at level 0: hi * span + lo
                        base = (line // stride) * span + line % stride
                        for i in range(a1):
                            x = zc[row0 + base + i * stride]
                            old[i] = x if x > 0.0 else 0.0
                            new[i] = 0.0
                        # mean z q; covariance C = sum_i z_i (diag q_i - q_i q_i^T) of the line's
                        # new counts (the Markov step's), rank a (the total is kept): the first a
                        # levels get L xi (L L^T = C[:a, :a], Cholesky; a normals), the last the rest
                        for j in range(a1 * a1):
                            cov[j] = 0.0
                        for i in range(a1):
                            oi = old[i]
                            if oi <= 0.0:
                                continue
                            for j in range(a1):
                                qij = max(row[col + i * a1 + j], 0.0)
                                new[j] += oi * qij
                                cov[j * a1 + j] += oi * qij
                                for l in range(a):
                                    cov[j * a1 + l] -= oi * qij * max(row[col + i * a1 + l], 0.0)
                        for j in range(a):
                            for l in range(j + 1):
                                acc = cov[j * a1 + l]
                                for m in range(l):
                                    acc -= chol[j * a1 + m] * chol[l * a1 + m]
                                if l < j:
                                    chol[j * a1 + l] = acc / chol[l * a1 + l] if chol[l * a1 + l] > 0.0 else 0.0
                                else:
                                    chol[j * a1 + j] = math.sqrt(acc) if acc > 0.0 else 0.0
                        for j in range(0, a, 2):
                            e0, e1 = normal2(seed, node, step, slot(row0 + base, gg, j // 2), STREAM_STEPS)
                            xi[j] = e0
                            xi[j + 1] = e1
                        total = 0.0
                        for j in range(a):
                            y = 0.0
                            for l in range(j + 1):
                                y += chol[j * a1 + l] * xi[l]
                            new[j] += y
                            total += y
                        new[a] -= total
                        for i in range(a1):
                            zc[row0 + base + i * stride] = new[i]
                low = False  # real counts below 0: back onto the simplex
                for s in range(ns):
                    low |= zc[row0 + s] < 0.0
                if low:
                    _project_simplex(zc, row0, ns, ch_n[k, c], scratch)
            I = scale[c] * i_m[n, wave[c]]
            if clamp[c]:
                Vn = vc[c]
            elif G > 1e-300:
                Vinf = (I + GE) / G
                Vn = Vinf + (V - Vinf) * math.exp(-dt * G * rcm)
            else:
                Vn = V + dt * (I + GE) * rcm
            if ndg > 0:
                ti, tw = _table_at(Vn, vlo, vh, nv)
                for j in range(ndg):
                    if dg_inst[j] != 0:
                        t_a = tab[g_c, ti, dg_col[j]]
                        xdc[j] = t_a + tw * (tab[g_c, ti + 1, dg_col[j]] - t_a)
            if not (abs(Vn) < 1e4):
                if status < 0 or n < status:
                    status = n
                V = Vn
                break
            if (not clamp[c]) and V < thr[c] and Vn >= thr[c]:
                kk = spk_n[c]
                if kk < max_spk:
                    spk_t[c, kk] = t0 + (step0 + n + (thr[c] - V) / (Vn - V)) * dt
                spk_n[c] = kk + 1
            V = Vn
        v[c] = V
        for r in range(nrow):
            z[r, c] = zc[r]
        for j in range(ndg):
            xd[j, c] = xdc[j]
    return status


#: Nodes advanced together by the Markov kernel (:func:`run_markov`): its loops over them are
#: innermost and branch-free, so that LLVM vectorises them.
BLOCK = 64

#: Iterations of the vectorised inversion loops; a lane not done by then is finished by the
#: scalar exact inversion (:func:`hhsim.engine.noise_random.binomial_u`), as is one whose
#: mean exceeds VEC_MEAN (channels flipping at once by the hundred during a spike).
VEC_ITER = 32
VEC_MEAN = 12.0

#: Flippers of one state placed by the vectorised categorical loop; a lane with more (during a
#: spike) splits them by conditional binomials.
VEC_FLIPPERS = 16

_INV = 1.0 / np.arange(1.0, VEC_ITER + 2.0)


@njit(**FLAGS, inline="always")
def _expm1(x):
    """exp(x) - 1 for x <= 0 without branches (both forms are computed and one selected): the
    Taylor series above -1/16 (its first omitted term is below 1e-17 relative), beyond it
    ``fexp(x) - 1``, whose cancellation costs at most a factor 16 of the rounding of exp
    (relative error below 1e-14)."""
    t = 1.0 + x * (1.0 / 9.0)
    t = 1.0 + x * (1.0 / 8.0) * t
    t = 1.0 + x * (1.0 / 7.0) * t
    t = 1.0 + x * (1.0 / 6.0) * t
    t = 1.0 + x * (1.0 / 5.0) * t
    t = 1.0 + x * (1.0 / 4.0) * t
    t = 1.0 + x * (1.0 / 3.0) * t
    t = 1.0 + x * 0.5 * t
    series = x * t
    direct = fexp(x) - 1.0
    return series if x > -0.0625 else direct


@njit(**FLAGS)
def run_markov(v, z, xd, tab, grp, vlo, vh,
               ch_row0, ch_ns, ch_g0, ch_ng, ch_gbar, ch_erev, ch_n,
               gt_pow, gt_stride, gt_col,
               dch_g0, dch_ng, dch_gbar, dch_erev, dg_pow, dg_col, dg_inst,
               gfix, gefix, cm, wave, scale, i_m, clamp, vc, thr,
               seed, node_id, dt, t0, step0, n_steps,
               rec_every, v_rec, g_rec, o_rec, gm_kind, gm_a, gm_b,
               spk_t, spk_n, lo, hi):
    """:func:`run_noise` for the Markov method, nodes taken BLOCK at a time (see the module
    docstring, "markov"); the arguments and the result are run_noise's."""
    B = BLOCK
    nv = tab.shape[1]
    nc = ch_row0.shape[0]
    nd = dch_g0.shape[0]
    ndg = dg_col.shape[0]
    nrow = z.shape[0]
    max_spk = spk_t.shape[1]
    nsrc = 0
    for k in range(nc):
        nsrc += ch_ng[k] * ch_ns[k]
    nblk = (nsrc + 1) // 2
    inv = _INV.copy()
    U = np.empty((2 * nblk + 1, B))
    zb = np.zeros((max(nrow, 1), B))
    zn = np.zeros((max(nrow, 1), B))
    xdb = np.zeros((max(ndg, 1), B))
    invn = np.zeros((max(nc, 1), B))
    rcm = np.empty(B)
    Vb = np.zeros(B)
    Vn = np.zeros(B)
    Gb = np.empty(B)
    GEb = np.empty(B)
    ti = np.zeros(B, dtype=np.int64)
    tw = np.zeros(B)
    lA = np.empty(B)
    lB = np.empty(B)
    pco = np.empty(B)
    poc = np.empty(B)
    Ap = np.ones((MAX_LEVELS + 1, B))
    Bp = np.ones((MAX_LEVELS + 1, B))
    SA = np.zeros((MAX_LEVELS + 1, B))
    SB = np.zeros((MAX_LEVELS + 1, B))
    SA[1:] = 1.0  # SA[t] = 1 + A + .. + A**(t - 1): rows 2.. are filled per gate
    SB[1:] = 1.0
    nn = np.empty(B)
    Lv = np.empty(B)
    kin = np.empty(B)
    K1 = np.empty(B)
    K2 = np.empty(B)
    c1 = np.empty(B)
    c2 = np.empty(B)
    uu = np.empty(B)
    f = np.empty(B)
    cum = np.empty(B)
    r = np.empty(B)
    act = np.empty(B)
    fb = np.empty(B)
    status = -1
    for b0 in range(lo, hi, B):
        nb = min(B, hi - b0)
        for l in range(nb):
            c = b0 + l
            Vb[l] = v[c]
            rcm[l] = 1.0 / cm[c]
        for row in range(nrow):
            for l in range(nb):
                zb[row, l] = z[row, b0 + l]
        for j in range(ndg):
            for l in range(nb):
                xdb[j, l] = xd[j, b0 + l]
        for k in range(nc):
            for l in range(nb):
                N = ch_n[k, b0 + l]
                invn[k, l] = 1.0 / N if N > 0.0 else 0.0
        for n in range(n_steps + 1):
            if rec_every > 0 and n % rec_every == 0:
                rr = n // rec_every
                for l in range(nb):
                    c = b0 + l
                    v_rec[rr, c] = Vb[l]
                    for k in range(nc):
                        o_rec[rr, k, c] = zb[ch_row0[k] + ch_ns[k] - 1, l] / ch_n[k, c] if ch_n[k, c] > 0.0 else 0.0
                    for j in range(gm_kind.shape[0]):
                        if gm_kind[j] == 1:
                            g_rec[rr, j, c] = xdb[gm_a[j], l]
                        else:
                            k = gm_a[j]
                            g = gm_b[j]
                            a = gt_pow[g]
                            acc = 0.0
                            for s in range(ch_ns[k]):
                                acc += zb[ch_row0[k] + s, l] * ((s // gt_stride[g]) % (a + 1))
                            g_rec[rr, j, c] = acc / (a * ch_n[k, c]) if ch_n[k, c] > 0.0 else 0.0
            if n == n_steps:
                break
            step = step0 + n
            # conductances at the step's start
            for l in range(nb):
                Gb[l] = gfix[b0 + l]
                GEb[l] = gefix[b0 + l]
            for k in range(nc):
                top = ch_row0[k] + ch_ns[k] - 1
                for l in range(nb):
                    c = b0 + l
                    gk = ch_gbar[k, c] * zb[top, l] * invn[k, l]
                    Gb[l] += gk
                    GEb[l] += gk * ch_erev[k, c]
            for d in range(nd):
                for l in range(nb):
                    c = b0 + l
                    gk = dch_gbar[d, c]
                    for gg in range(dch_ng[d]):
                        j = dch_g0[d] + gg
                        gk *= xdb[j, l] ** dg_pow[j]
                    Gb[l] += gk
                    GEb[l] += gk * dch_erev[d, c]
            # the rate table's row at each node's V
            top_pos = nv - 1.000001
            for l in range(nb):
                pos = (Vb[l] - vlo) / vh
                pos = pos if pos > 0.0 else 0.0  # also NaN
                pos = pos if pos < top_pos else top_pos
                i0 = int(pos)
                ti[l] = i0
                tw[l] = pos - i0
            for j in range(ndg):
                if dg_inst[j] == 0:
                    col = dg_col[j]
                    for l in range(nb):
                        g_c = grp[b0 + l]
                        a0 = tab[g_c, ti[l], col]
                        x_inf = a0 + tw[l] * (tab[g_c, ti[l] + 1, col] - a0)
                        d0 = tab[g_c, ti[l], col + 1]
                        dec = d0 + tw[l] * (tab[g_c, ti[l] + 1, col + 1] - d0)
                        xdb[j, l] = x_inf + (xdb[j, l] - x_inf) * dec
            # one uniform per (gate, state) of every node: Philox blocks for the whole block of nodes
            for bk in range(nblk):
                for l in range(nb):
                    u0, u1 = uniform2(seed, node_id[b0 + l], step, bk, STREAM_STEPS)
                    U[2 * bk, l] = u0
                    U[2 * bk + 1, l] = u1
            src = 0
            for k in range(nc):
                row0 = ch_row0[k]
                ns = ch_ns[k]
                for gg in range(ch_ng[k]):
                    gi = ch_g0[k] + gg
                    a = gt_pow[gi]
                    a1 = a + 1
                    stride = gt_stride[gi]
                    cl = gt_col[gi] + a1 * a1 + 2 * a1 + 2
                    for l in range(nb):
                        g_c = grp[b0 + l]
                        x0 = tab[g_c, ti[l], cl]
                        la = x0 + tw[l] * (tab[g_c, ti[l] + 1, cl] - x0)
                        lA[l] = la if la < 0.0 else 0.0
                    for l in range(nb):
                        g_c = grp[b0 + l]
                        y0 = tab[g_c, ti[l], cl + 1]
                        lb = y0 + tw[l] * (tab[g_c, ti[l] + 1, cl + 1] - y0)
                        lB[l] = lb if lb < 0.0 else 0.0
                    for l in range(nb):
                        pco[l] = -_expm1(lA[l])
                    for l in range(nb):
                        poc[l] = -_expm1(lB[l])
                    for l in range(nb):
                        Ap[1, l] = 1.0 - pco[l]
                    for l in range(nb):
                        Bp[1, l] = 1.0 - poc[l]
                    for t in range(2, a1):
                        for l in range(nb):
                            Ap[t, l] = Ap[t - 1, l] * Ap[1, l]
                        for l in range(nb):
                            Bp[t, l] = Bp[t - 1, l] * Bp[1, l]
                        for l in range(nb):
                            SA[t, l] = SA[t - 1, l] + Ap[t - 1, l]
                        for l in range(nb):
                            SB[t, l] = SB[t - 1, l] + Bp[t - 1, l]
                    for s in range(ns):
                        for l in range(nb):
                            zn[row0 + s, l] = 0.0
                    for s in range(ns):
                        row = row0 + s
                        i = (s // stride) % a1
                        mo = a - i  # closed subunits of this gate (each opens with p_co)
                        mc = i  # open ones (each closes with p_oc)
                        ucol = src
                        src += 1
                        here = False
                        for l in range(nb):
                            here |= zb[row, l] > 0.0
                        if not here:
                            continue
                        # the source's one uniform (recycled from draw to draw) draws: the flippers,
                        # channels with at least one subunit of this gate flipping, Bin(n, L) with
                        # L = 1 - (1 - p_co)**mo (1 - p_oc)**mc (no cancellation); then where each
                        # goes: one closing (to level i - 1, probability P1c / L), one opening (to
                        # i + 1, P1o / L), or two flips or more (O(dt^2): placed by _place_multiple)
                        anyact = False
                        anyfb = False
                        for l in range(nb):
                            x = zb[row, l]
                            nn[l] = x
                            uu[l] = U[ucol, l]
                            Lv[l] = pco[l] * SA[mo, l] + Ap[mo, l] * poc[l] * SB[mc, l]
                        for l in range(nb):
                            x = nn[l]
                            e = x * (mo * lA[l] + mc * lB[l])
                            f0 = fexp(e)
                            f[l] = f0
                            cum[l] = f0
                            ok = (e > -690.0) & (x * Lv[l] <= VEC_MEAN)
                            bad = (x > 0.0) & (not ok)
                            fb[l] = 1.0 if bad else 0.0
                            anyfb |= bad
                        for l in range(nb):
                            stay = Ap[mo, l] * Bp[mc, l]
                            r[l] = Lv[l] / stay if stay > 0.0 else 0.0
                        for l in range(nb):
                            on = (fb[l] == 0.0) & (nn[l] > 0.0) & (uu[l] >= f[l])
                            act[l] = 1.0 if on else 0.0
                            anyact |= on
                        for l in range(nb):
                            kin[l] = 0.0
                        # inversion from 0 in every active lane at once: iteration `it` moves the
                        # lanes still below their uniform from it to it + 1 (a lane's result
                        # depends on its own numbers only); lanes not done in VEC_ITER
                        # iterations are finished by the scalar exact inversion below
                        if anyact:
                            for it in range(VEC_ITER):
                                t = float(it)
                                w = inv[it]
                                more = False
                                for l in range(nb):
                                    on = act[l] > 0.0
                                    fn = f[l] * r[l] * (nn[l] - t) * w
                                    cn = cum[l] + fn
                                    f[l] = fn if on else f[l]
                                    cum[l] = cn if on else cum[l]
                                    kin[l] = t + 1.0 if on else kin[l]
                                    still = on & (uu[l] >= cn) & (t + 1.0 < nn[l])
                                    act[l] = 1.0 if still else 0.0
                                    more |= still
                                if not more:
                                    break
                            for l in range(nb):
                                anyfb |= act[l] > 0.0
                        if anyfb:
                            for l in range(nb):
                                if fb[l] > 0.0 or act[l] > 0.0:  # (the uniform it leaves in uu)
                                    kin[l], uu[l] = binomial_u(nn[l], Lv[l], uu[l])
                        if a == 1:  # a flipper of a one-subunit gate changes level
                            dj = -stride if mc == 1 else stride
                            for l in range(nb):
                                zn[row, l] += nn[l] - kin[l]
                                zn[row + dj, l] += kin[l]
                            continue
                        most = 0  # the most flippers in a lane (an integer: the reduction vectorises)
                        for l in range(nb):
                            x = int(kin[l])
                            most = x if x > most else most
                        if most == 0:
                            for l in range(nb):
                                zn[row, l] += nn[l]
                            continue
                        for l in range(nb):
                            done = (fb[l] == 0.0) & (act[l] == 0.0) & (kin[l] > 0.0)
                            uu[l] = recycle(uu[l], cum[l] - f[l], f[l]) if done else uu[l]
                        # the flippers' destinations: one categorical draw each (interval [0, c1):
                        # one closing, [c1, c2): one opening, [c2, 1): more flips), all lanes at once
                        # up to VEC_FLIPPERS flippers, conditional binomials beyond
                        for l in range(nb):
                            K1[l] = 0.0
                            K2[l] = 0.0
                        for l in range(nb):
                            L = Lv[l]
                            Ls = L if L > 0.0 else 1.0
                            p1c = mc * poc[l] * Ap[mo, l] * Bp[mc - 1 if mc > 0 else 0, l]
                            p1o = mo * pco[l] * Ap[mo - 1 if mo > 0 else 0, l] * Bp[mc, l]
                            x1 = p1c / Ls
                            x2 = (p1c + p1o) / Ls
                            x2 = x2 if x2 < 1.0 else 1.0
                            c1[l] = x1 if x1 < x2 else x2
                            c2[l] = x2
                        top = most if most < VEC_FLIPPERS else VEC_FLIPPERS
                        for j in range(top):
                            t = float(j)
                            for l in range(nb):
                                x = uu[l]
                                on = (kin[l] > t) & (kin[l] <= VEC_FLIPPERS)
                                a1c = c1[l]
                                a2c = c2[l]
                                is1 = x < a1c
                                is2 = (x >= a1c) & (x < a2c)
                                lo_ = 0.0 if is1 else (a1c if is2 else a2c)
                                hi_ = a1c if is1 else (a2c if is2 else 1.0)
                                wd = hi_ - lo_
                                y = (x - lo_) / (wd if wd > 0.0 else 1.0)
                                y = y if y > 0.0 else 0.0
                                y = y if y < BELOW_ONE else BELOW_ONE
                                uu[l] = y if on else x
                                K1[l] += 1.0 if (on & is1) else 0.0
                                K2[l] += 1.0 if (on & is2) else 0.0
                        if most > VEC_FLIPPERS:
                            for l in range(nb):
                                if kin[l] > VEC_FLIPPERS:
                                    K1[l], uu[l] = binomial_u(kin[l], c1[l], uu[l])
                                    q2 = (c2[l] - c1[l]) / (1.0 - c1[l]) if c1[l] < 1.0 else 0.0
                                    K2[l], uu[l] = binomial_u(kin[l] - K1[l], q2, uu[l])
                        for l in range(nb):
                            zn[row, l] += nn[l] - kin[l]
                        if mc > 0:
                            for l in range(nb):
                                zn[row - stride, l] += K1[l]
                        if mo > 0:
                            for l in range(nb):
                                zn[row + stride, l] += K2[l]
                        for l in range(nb):
                            many = kin[l] - K1[l] - K2[l]
                            if many > 0.0:
                                uu[l] = _place_multiple(zn, row, l, stride, mc, mo, pco[l], poc[l], many, uu[l])
                    for s in range(ns):
                        for l in range(nb):
                            zb[row0 + s, l] = zn[row0 + s, l]
            # V by exponential Euler at the step's conductances
            bad = False
            for l in range(nb):
                c = b0 + l
                I = scale[c] * i_m[n, wave[c]]
                G = Gb[l]
                Gs = G if G > 1e-300 else 1.0
                Vinf = (I + GEb[l]) / Gs
                relax = Vinf + (Vb[l] - Vinf) * fexp(-dt * G * rcm[l])
                euler = Vb[l] + dt * (I + GEb[l]) * rcm[l]
                x = relax if G > 1e-300 else euler
                Vn[l] = vc[c] if clamp[c] else x
                bad |= not (abs(Vn[l]) < 1e4)
            if ndg > 0:
                for l in range(nb):
                    pos = (Vn[l] - vlo) / vh
                    pos = pos if pos > 0.0 else 0.0
                    pos = pos if pos < top_pos else top_pos
                    i0 = int(pos)
                    ti[l] = i0
                    tw[l] = pos - i0
                for j in range(ndg):
                    if dg_inst[j] != 0:
                        col = dg_col[j]
                        for l in range(nb):
                            g_c = grp[b0 + l]
                            a0 = tab[g_c, ti[l], col]
                            xdb[j, l] = a0 + tw[l] * (tab[g_c, ti[l] + 1, col] - a0)
            for l in range(nb):
                c = b0 + l
                if (not clamp[c]) and Vb[l] < thr[c] and Vn[l] >= thr[c]:
                    kk = spk_n[c]
                    if kk < max_spk:
                        spk_t[c, kk] = t0 + (step0 + n + (thr[c] - Vb[l]) / (Vn[l] - Vb[l])) * dt
                    spk_n[c] = kk + 1
                Vb[l] = Vn[l]
            if bad:
                if status < 0 or n < status:
                    status = n
                break
        for l in range(nb):
            v[b0 + l] = Vb[l]
        for row in range(nrow):
            for l in range(nb):
                z[row, b0 + l] = zb[row, l]
        for j in range(ndg):
            for l in range(nb):
                xd[j, b0 + l] = xdb[j, l]
    return status


@njit(**FLAGS)
def _place_multiple(zn, row, l, stride, mc, mo, pco, poc, many, u):
    """Send ``many`` channels with two or more flips of a gate (from a state with ``mc`` open and
    ``mo`` closed subunits) to their new levels: for each, ``(c closings, o openings)`` with
    probability Bin(c; mc, p_oc) Bin(o; mo, p_co) among the pairs with c + o >= 2 (one
    categorical draw each, on the recycled uniform ``u``); returns the uniform left.

    More than :data:`VEC_FLIPPERS` of them (a large membrane: thousands per step) go by
    the same multinomial drawn as conditional binomials, pair by pair: exact too, and
    a few draws instead of one per channel (one per channel took minutes at 1e7 µm²)."""
    total = 0.0
    for c in range(mc + 1):
        for o in range(mo + 1):
            if c + o >= 2:
                total += _binom_pmf(mc, c, poc) * _binom_pmf(mo, o, pco)
    if many > VEC_FLIPPERS:
        rest = total
        dest = 0
        for c in range(mc + 1):
            for o in range(mo + 1):
                if c + o >= 2 and many > 0.0:
                    w = _binom_pmf(mc, c, poc) * _binom_pmf(mo, o, pco)
                    dest = o - c
                    k, u = binomial_u(many, w / rest if rest > w else 1.0, u)
                    zn[row + dest * stride, l] += k
                    many -= k
                    rest -= w
        zn[row + dest * stride, l] += many  # rounding: what is left goes to the last pair
        return u
    while many > 0.0:
        target = u * total
        acc = 0.0
        dest = 0
        w = 0.0
        found = False
        for c in range(mc + 1):
            for o in range(mo + 1):
                if c + o >= 2 and not found:
                    w = _binom_pmf(mc, c, poc) * _binom_pmf(mo, o, pco)
                    dest = o - c
                    if target < acc + w:
                        found = True
                    else:
                        acc += w
        if not found:  # rounding: the last pair
            acc -= w
        zn[row + dest * stride, l] += 1.0
        u = recycle(target, acc, w)
        many -= 1.0
    return u


@njit(**FLAGS)
def _project_simplex(z, row0, ns, total, scratch):
    """Euclidean projection of z[row0:row0+ns] onto {z >= 0, sum z = total} (sort-based;
    Duchi, Shalev-Shwartz, Singer & Chandra 2008)."""
    for s in range(ns):
        scratch[s] = z[row0 + s]
    for s in range(1, ns):
        key = scratch[s]
        t = s - 1
        while t >= 0 and scratch[t] < key:
            scratch[t + 1] = scratch[t]
            t -= 1
        scratch[t + 1] = key
    cum = 0.0
    theta = 0.0
    for s in range(ns):
        cum += scratch[s]
        th = (cum - total) / (s + 1.0)
        if scratch[s] - th > 0.0:
            theta = th
    for s in range(ns):
        x = z[row0 + s] - theta
        z[row0 + s] = x if x > 0.0 else 0.0


@njit(**FLAGS)
def _record(r, c, v, z, xd, v_rec, g_rec, o_rec, gm_kind, gm_a, gm_b, ch_row0, ch_ns, ch_g0, ch_n,
            gt_pow, gt_stride):
    v_rec[r, c] = v[c]
    for k in range(ch_row0.shape[0]):
        o_rec[r, k, c] = z[ch_row0[k] + ch_ns[k] - 1, c] / ch_n[k, c] if ch_n[k, c] > 0.0 else 0.0
    for j in range(gm_kind.shape[0]):
        if gm_kind[j] == 1:
            g_rec[r, j, c] = xd[gm_a[j], c]
        else:
            k = gm_a[j]
            g = gm_b[j]
            a = gt_pow[g]
            acc = 0.0
            for s in range(ch_ns[k]):
                acc += z[ch_row0[k] + s, c] * ((s // gt_stride[g]) % (a + 1))
            g_rec[r, j, c] = acc / (a * ch_n[k, c]) if ch_n[k, c] > 0.0 else 0.0


@njit(**FLAGS)
def _advance(V, G, GE, I, rcm, w):
    """V after ``w`` ms at fixed conductance G (mS/cm²), G*E and stimulus I (µA/cm²)."""
    if G > 1e-300:
        Vinf = (I + GE) / G
        return Vinf + (V - Vinf) * math.exp(-w * G * rcm)
    return V + w * (I + GE) * rcm


@njit(**FLAGS)
def run_gillespie(v, z, xd, tab, grp, vlo, vh,
                  ch_row0, ch_ns, ch_g0, ch_ng, ch_gbar, ch_erev, ch_n,
                  gt_pow, gt_stride, gt_col,
                  dch_g0, dch_ng, dch_gbar, dch_erev, dg_pow, dg_col, dg_inst,
                  gfix, gefix, cm, scale, i_m, thr, seed, node, dt, t0, n_steps,
                  rec_every, v_rec, g_rec, o_rec, gm_kind, gm_a, gm_b, spk_t, spk_n):
    """Exact event times of the channel transitions of node 0 (Gillespie 1977), V between events.

    Between two events the conductances are constant and V relaxes exactly; the
    rates are those at the V of the last event or grid point (they are evaluated
    again at each event and at least every ``dt``), and the time to the next
    event is drawn afresh at each such point (exact for rates constant in between:
    the exponential distribution has no memory).  Returns -1, or the failing step.
    """
    c = 0
    nv = tab.shape[1]
    nc = ch_row0.shape[0]
    nd = dch_g0.shape[0]
    max_spk = spk_t.shape[1]
    g_c = grp[c]
    rcm = 1.0 / cm[c]
    if rec_every > 0:
        _record(0, c, v, z, xd, v_rec, g_rec, o_rec, gm_kind, gm_a, gm_b, ch_row0, ch_ns, ch_g0,
                ch_n, gt_pow, gt_stride)
    for n in range(n_steps):
        V0 = v[c]
        I = scale[c] * i_m[n, 0]
        left = dt
        event = 0
        while True:
            V = v[c]
            G = gfix[c]
            GE = gefix[c]
            for k in range(nc):
                if ch_n[k, c] > 0.0:
                    gk = ch_gbar[k, c] * z[ch_row0[k] + ch_ns[k] - 1, c] / ch_n[k, c]
                    G += gk
                    GE += gk * ch_erev[k, c]
            for d in range(nd):
                gk = dch_gbar[d, c]
                for gg in range(dch_ng[d]):
                    j = dch_g0[d] + gg
                    gk *= xd[j, c] ** dg_pow[j]
                G += gk
                GE += gk * dch_erev[d, c]
            ti, tw = _table_at(V, vlo, vh, nv)
            total = 0.0
            for k in range(nc):
                for gg in range(ch_ng[k]):
                    gi = ch_g0[k] + gg
                    a = gt_pow[gi]
                    a1 = a + 1
                    al = _interp(tab, g_c, ti, tw, gt_col[gi] + a1 * a1 + 2 * a1)
                    be = _interp(tab, g_c, ti, tw, gt_col[gi] + a1 * a1 + 2 * a1 + 1)
                    for s in range(ch_ns[k]):
                        i = (s // gt_stride[gi]) % a1
                        total += z[ch_row0[k] + s, c] * ((a - i) * al + i * be)
            u1, u2 = uniform2(seed, node, n, event, STREAM_EVENTS)
            event += 1
            wait = -math.log(1.0 - u1) / total if total > 0.0 else 2.0 * left
            w = wait if wait < left else left
            v[c] = _advance(V, G, GE, I, rcm, w)
            for j in range(dg_col.shape[0]):
                if dg_inst[j] == 0:
                    xi = _interp(tab, g_c, ti, tw, dg_col[j])
                    decay = _interp(tab, g_c, ti, tw, dg_col[j] + 1)
                    f = math.exp(math.log(decay) * (w / dt)) if decay > 0.0 else 0.0
                    xd[j, c] = xi + (xd[j, c] - xi) * f
            if wait >= left:
                break
            left -= w
            # the transition: edge chosen with probability propensity / total
            target = u2 * total
            acc = 0.0
            done = False
            for k in range(nc):
                for gg in range(ch_ng[k]):
                    gi = ch_g0[k] + gg
                    a = gt_pow[gi]
                    a1 = a + 1
                    st = gt_stride[gi]
                    al = _interp(tab, g_c, ti, tw, gt_col[gi] + a1 * a1 + 2 * a1)
                    be = _interp(tab, g_c, ti, tw, gt_col[gi] + a1 * a1 + 2 * a1 + 1)
                    for s in range(ch_ns[k]):
                        row = ch_row0[k] + s
                        i = (s // st) % a1
                        up = z[row, c] * (a - i) * al
                        dn = z[row, c] * i * be
                        if target < acc + up:
                            z[row, c] -= 1.0
                            z[row + st, c] += 1.0
                            done = True
                            break
                        acc += up
                        if target < acc + dn:
                            z[row, c] -= 1.0
                            z[row - st, c] += 1.0
                            done = True
                            break
                        acc += dn
                    if done:
                        break
                if done:
                    break
        Vn = v[c]
        if dg_col.shape[0] > 0:
            ti, tw = _table_at(Vn, vlo, vh, nv)
            for j in range(dg_col.shape[0]):
                if dg_inst[j] != 0:
                    xd[j, c] = _interp(tab, g_c, ti, tw, dg_col[j])
        if not (abs(Vn) < 1e4):
            return n
        if V0 < thr[c] and Vn >= thr[c]:
            kk = spk_n[c]
            if kk < max_spk:
                spk_t[c, kk] = t0 + (n + (thr[c] - V0) / (Vn - V0)) * dt
            spk_n[c] = kk + 1
        if rec_every > 0 and (n + 1) % rec_every == 0:
            _record((n + 1) // rec_every, c, v, z, xd, v_rec, g_rec, o_rec, gm_kind, gm_a, gm_b, ch_row0,
                    ch_ns, ch_g0, ch_n, gt_pow, gt_stride)
    return -1
