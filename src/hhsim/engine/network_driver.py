"""The fixed parts of the network time step, called by the time loop (:mod:`hhsim.engine.network_loop`).

One step of the network, from ``t`` to ``t + dt``:

1. ``step_begin``: finish pushing last step's spikes if the queue had been
   full; queue the external spikes emitted in this step; empty this step's
   bucket of the event queue into per-node lists sorted by time; move the
   stimulus cursors; update the noise currents; compute the gap-junction and
   graded-synapse terms from the voltages at the step's start, then relax
   the graded gating variables.
2. for every slow node (``network_loop``): ``node_step`` draws the node's Poisson
   input events; then, between consecutive events (``next_event``), the
   node advances by a sub-step (``stim_terms``, ``held_terms``, ``syn_terms`` + the structure's ``sub``
   + ``after_substep``: spike detection on the cubic Hermite interpolant and
   exact propagation of its linear synapses), and the event is applied
   exactly at its time (``apply_event``).
3. ``step_end``: queue this step's spikes over their outgoing edges, record
   the monitored states.

The records the step reads and writes are the named tables of
:mod:`hhsim.engine.network_tables` (the plan's built by
:mod:`hhsim.engine.network_lower`, the run's state by the runner):

* ``ST``: :class:`~hhsim.engine.network_tables.Drive` (stimulus knots, noise currents)
* ``LIN``: :class:`~hhsim.engine.network_tables.LinearSynapses`
* ``S<k>``: the fast path's scratch rows of structure k (see :data:`SCRATCH`)
* ``KIN``: :class:`~hhsim.engine.network_tables.KineticSynapses`
* ``GR``: :class:`~hhsim.engine.network_tables.GradedSynapses`
* ``GAP``: :class:`~hhsim.engine.network_tables.GapJunctions`
* ``E``: :class:`~hhsim.engine.network_tables.EventEdges`
* ``STP``: :class:`~hhsim.engine.network_tables.ShortTermPlasticity`, one row per plasticity
  slot (an edge with short-term or spike-timing-dependent plasticity)
* ``PL``: :class:`~hhsim.engine.network_tables.STDP`: the presynaptic side at each
  delivery (``apply_event``), the postsynaptic side at each spike of a plastic target
  (``record_spike``); see :mod:`hhsim.engine.network_kernels`
* ``PIN``: :class:`~hhsim.engine.network_tables.PoissonInputs`
* ``Q``: :class:`~hhsim.engine.network_tables.EventQueue`
* ``EV``: :class:`~hhsim.engine.network_tables.NodeEvents`
* ``SPK``: :class:`~hhsim.engine.network_tables.Spikes` (``last``: each node's last
  emitted spike time; ``refr``: its dead time for spike emission; ``hold``: the end of
  the dead time while a crossing inside it waits for it; ``hold_min[0]``: at most the
  smallest of them (the fast nodes are looked at only when it falls in the step); see
  :func:`crossing`)
* ``REC``: :class:`~hhsim.engine.network_tables.Recording`

A kernel unpacks a record into local names at its top (``kind, tau1, ... = LIN``,
in the record's field order) or reads fields by name (``E.delay``).
"""

from __future__ import annotations

import math

import numpy as np

from .compiled_only import compiled_only
from .kernel_helpers import choose, hermite_crossing
from .network_kernels import (LIN_ALPHA, LIN_EXP, advance_cursors, deliver_late, wave_values, gap_terms, gather_events, graded_terms, graded_update,
                              kin_release, kinetic_terms, lin_event, linear_advance, linear_terms, mg_block,
                              noise_update, poisson_count, push_queued, push_spikes, queue_push, stdp_post, stdp_pre, step_of,
                              stim_at, tm_release, uniform01)

#: Status codes returned by ``network_loop.steps`` (with the step to resume at).
DONE, DIVERGED, GROW_QUEUE, GROW_MONITOR, GROW_EVENTS, SPIKE_OVERFLOW = -1, 0, -2, -3, -4, -5

# RNG streams (see network_kernels.uniform01): one per use, so draws never collide.
_STREAM_PIN_COUNT, _STREAM_PIN_TIME = 11, 12


@compiled_only(function_value=True, error_model="numpy", _nrt=False, fastmath=False)
def step_begin(n, t, dt, t0, seed, v, ST, LIN, GR, GAP, E, Q, EV, SPK):
    sp_t, sp_src, sp_n, ext_t, ext_src, ext_k, mon_t, mon_src, mon_n, pending = (SPK.t, SPK.src, SPK.n, SPK.ext_t,
                                                                                SPK.ext_src, SPK.ext_k, SPK.mon_t,
                                                                                SPK.mon_src, SPK.mon_n, SPK.pending)
    q_time, q_edge, q_next, head, tail, free, n_free = Q
    e_post, e_delay, out_ptr = E.post, E.delay, E.out_ptr
    nb = head.shape[0]
    nn = v.shape[0]
    ev_time, ev_code, ev_n, node_ptr, late, ev_cur = EV
    if pending[0]:
        k = push_spikes(sp_t, sp_src, sp_n[0], out_ptr, e_delay, q_time, q_edge, q_next, head, tail, free,
                        n_free, t0, dt, nb, n - 1, e_post, E.w, E.group, E.stp, LIN.kind, LIN.tau1, LIN.norm, LIN.dA,
                        LIN.dB, late, E.immediate)
        _drop_pushed(sp_t, sp_src, sp_n, k)
        if sp_n[0] > 0:
            return GROW_QUEUE
        pending[0] = 0
    if mon_t.shape[0] - mon_n[0] < sp_t.shape[0]:
        return GROW_MONITOR
    k = ext_k[0]
    while k < ext_t.shape[0] and ext_t[k] < t + dt:
        src = ext_src[k]
        if out_ptr[src + 1] - out_ptr[src] > n_free[0]:
            ext_k[0] = k
            return GROW_QUEUE
        for e in range(out_ptr[src], out_ptr[src + 1]):
            td = ext_t[k] + e_delay[e]
            step = max(step_of(td, t0, dt), n)
            queue_push(q_time, q_edge, q_next, head, tail, free, n_free, step % nb, td, e)
        k += 1
    ext_k[0] = k
    # the increments delivered at the step's start are added by each thread to its own
    # nodes, before their fast path (network_loop._fast_inputs)
    if gather_events(q_time, q_edge, q_next, head, tail, free, n_free, n % nb, e_post, nn,
                     ev_time, ev_code, ev_n, node_ptr, t, late) < 0:
        return GROW_EVENTS
    kt, ka, kb, cursor, wave, scale, noise_p, noise_I, kj, wa, wm, wb, wk, noise_nodes = ST
    advance_cursors(kt, cursor, t)
    wave_values(kt, ka, kb, kj, cursor, t, t0 + (n + 1) * dt, wa, wm, wb, wk)
    noise_update(noise_p, noise_I, noise_nodes, seed, n, dt)
    gap_ptr, gap_nbr, gap_g, Gf, GEf = GAP
    gr_pre_nodes, gr_p, gr_s, gr_ptr, gr_group, gr_slot, gr_w, gr_E = GR
    if gap_ptr[nn] > 0 or gr_ptr[nn] > 0:  # else Gf, GEf stay 0, as allocated
        for i in range(nn):
            G, GE = gap_terms(gap_ptr, gap_nbr, gap_g, v, i)
            G2, GE2 = graded_terms(gr_ptr, gr_group, gr_slot, gr_w, gr_E, gr_s, i)
            Gf[i] = G + G2
            GEf[i] = GE + GE2
    graded_update(gr_pre_nodes, gr_p, gr_s, v, dt)
    return DONE


@compiled_only(_nrt=False, fastmath=False)
def _drop_pushed(sp_t, sp_src, sp_n, k):
    """Remove the first k spikes of the step buffer (they are queued)."""
    m = sp_n[0]
    for a in range(k, m):
        sp_t[a - k] = sp_t[a]
        sp_src[a - k] = sp_src[a]
    sp_n[0] = m - k


# The per-node helpers take single arrays, not the tuples: the loop's slow-node
# part unpacks every tuple once per call, because taking apart a tuple of arrays
# costs a reference-count update per array, which inside the node loop cost
# more than the membrane update itself.


@compiled_only(error_model="numpy", inline="always", _nrt=False)
def node_step(i, n, t, dt, seed, pin_ptr, pin_lam, pin_t, pin_k, pin_cur, node_ptr, ev_cur):
    """Prepare node i's step: its queue cursor and its Poisson input events (sorted)."""
    ev_cur[0] = node_ptr[i]
    m = 0
    for k in range(pin_ptr[i], pin_ptr[i + 1]):
        cnt = poisson_count(pin_lam[k] * dt, seed, _STREAM_PIN_COUNT, k, n)
        for j in range(cnt):
            if m < pin_t.shape[0]:
                pin_t[m] = t + dt * uniform01(seed, _STREAM_PIN_TIME, k, n, j)
                pin_k[m] = k
                m += 1
    for a in range(1, m):
        tt = pin_t[a]
        kk = pin_k[a]
        b = a - 1
        while b >= 0 and pin_t[b] > tt:
            pin_t[b + 1] = pin_t[b]
            pin_k[b + 1] = pin_k[b]
            b -= 1
        pin_t[b + 1] = tt
        pin_k[b + 1] = kk
    pin_cur[0] = m
    pin_cur[1] = 0
    return True


@compiled_only(error_model="numpy", inline="always", _nrt=False)
def next_event(i, ta, t, t1, ev_time, node_ptr, ev_cur, pin_t, pin_cur, kt, kj, cursor, wave):
    """(time, kind) of node i's next event after ``ta`` in this step: kind 1 queue,
    2 Poisson input, 3 a jump or kink of its stimulus (the step must land on it),
    0 none (time = the step's end ``t1``, t0 + (n + 1) dt computed afresh so that it
    equals the next step's start exactly)."""
    te = t1
    which = 0
    w = wave[i]
    if w >= 0:
        row = kt[w]
        k = cursor[w]
        while row[k + 1] <= ta:
            k += 1
        while row[k + 1] < te:
            if kj[w, k]:
                te = row[k + 1]
                which = 3
                break
            k += 1
    c = ev_cur[0]
    if c < node_ptr[i + 1] and ev_time[c] < te:
        te = ev_time[c]
        which = 1
    p = pin_cur[1]
    if p < pin_cur[0] and pin_t[p] < te:
        te = pin_t[p]
        which = 2
    if te < t:
        te = t
    return te, which


@compiled_only(error_model="numpy", inline="always", _nrt=False)
def stim_terms(i, ta, h, kt, ka, kb, cursor, wave, scale, noise_I):
    """Injected current of node i (µA/cm²) at the start, middle and end (left limit) of
    the sub-step [ta, ta + h]: its stimulus waveform times its scale, plus its noise."""
    w = wave[i]
    nz = noise_I[i]
    if w < 0:
        return nz, nz, nz
    sc = scale[i]
    return (sc * stim_at(kt, ka, kb, w, cursor[w], ta, False) + nz,
            sc * stim_at(kt, ka, kb, w, cursor[w], ta + 0.5 * h, False) + nz,
            sc * stim_at(kt, ka, kb, w, cursor[w], ta + h, True) + nz)


@compiled_only(error_model="numpy", inline="always", _nrt=False)
def syn_terms(i, h, full, lin_kind, lin_t1, lin_t2, lin_E, lin_cg, lin_A, lin_B, Gc, GEc):
    """(G0, GE0, Gm, GEm, G1, GE1): synaptic conductance (mS/cm²) and G*E at the start,
    middle and end of a sub-step of h ms: the linear synapses exactly (only at the
    start unless ``full``), plus the terms ``Gc``, ``GEc`` held over the sub-step."""
    G0, GE0 = linear_terms(lin_kind, lin_t1, lin_t2, lin_E, lin_cg, lin_A, lin_B, i, 0.0)
    if full:
        Gm, GEm = linear_terms(lin_kind, lin_t1, lin_t2, lin_E, lin_cg, lin_A, lin_B, i, 0.5 * h)
        G1, GE1 = linear_terms(lin_kind, lin_t1, lin_t2, lin_E, lin_cg, lin_A, lin_B, i, h)
    else:
        Gm, GEm, G1, GE1 = G0, GE0, G0, GE0
    return G0 + Gc, GE0 + GEc, Gm + Gc, GEm + GEc, G1 + Gc, GE1 + GEc


@compiled_only(error_model="numpy", inline="always", _nrt=False)
def held_terms(i, ta, kin_ptr, kin_edge, kin_group, kin_w, kg_kind, kg_p, kg_E, kg_nmda, kin_r, kin_g2, kin_tlast,
               kin_pend, kin_T, Gf, GEf):
    """(Gc, GEc, Gn, GEn): the terms held over node i's sub-step from ``ta``: gap junctions
    and graded synapses (from the step's start) plus kinetic receptors at ``ta``; NMDA
    receptors apart (their magnesium block is applied at each stage voltage)."""
    Gc = Gf[i]
    GEc = GEf[i]
    Gn = 0.0
    GEn = 0.0
    if kin_ptr[i + 1] > kin_ptr[i]:
        Gk, GEk, Gn, GEn = kinetic_terms(kin_ptr, kin_edge, kin_group, kin_w, kg_kind, kg_p, kg_E, kg_nmda,
                                         kin_r, kin_g2, kin_tlast, kin_pend, kin_T, i, ta)
        Gc += Gk
        GEc += GEk
    return Gc, GEc, Gn, GEn


@compiled_only(error_model="numpy", _nrt=False, fastmath=False)
def record_spike(i, ts, sp_t, sp_src, sp_n, mon_t, mon_src, mon_n, mon_mask, sp_last, sp_hold, PL):
    """Note a spike of node i at ts (ms), its last from now on (and in its history if
    plastic synapses reach it); False if the step's buffer is full."""
    k = sp_n[0]
    if k >= sp_t.shape[0]:
        return False
    if PL.row[i] >= 0:
        stdp_post(i, ts, PL)
    sp_last[i] = ts
    sp_hold[i] = math.inf
    sp_t[k] = ts
    sp_src[k] = i
    sp_n[0] = k + 1
    if mon_mask[i]:
        m = mon_n[0]
        mon_t[m] = ts
        mon_src[m] = i
        mon_n[0] = m + 1
    return True


@compiled_only(error_model="numpy", inline="always", _nrt=False)
def hermite_value(v0, v1, m0, m1, s):
    """The cubic Hermite interpolant of a step at fraction s (``v0``, ``v1`` the values at
    its ends, ``m0``, ``m1`` the derivatives times the step's length)."""
    c2 = 3.0 * (v1 - v0) - 2.0 * m0 - m1
    c3 = 2.0 * (v0 - v1) + m0 + m1
    return v0 + s * (m0 + s * (c2 + s * c3))


@compiled_only(error_model="numpy", inline="always", _nrt=False)
def dead_time(ts, last_i, refr_i, V, Vn, m0, m1, ta, h, thr_i):
    """The dead-time rule for an upward crossing of ``thr_i`` at ts (ms) in the (sub-)step
    [ta, ta + h] from V to Vn (``m0``, ``m1``: dV/dt at its ends times h), by a node whose
    last spike was at ``last_i`` with a dead time of ``refr_i`` ms: (emit, wait), the spike
    time (ms; NaN: no spike now) and the end of the dead time the crossing waits for
    (ms; +inf: none).  See :func:`crossing`."""
    if ts - last_i < refr_i:
        tr = last_i + refr_i
        if tr <= ta + h:
            if hermite_value(V, Vn, m0, m1, (tr - ta) / h) >= thr_i:
                return tr, math.inf
            return math.nan, math.inf
        return math.nan, tr
    return ts, math.inf


@compiled_only(error_model="numpy", inline="always", _nrt=False)
def released(tr, V, Vn, m0, m1, ta, h, thr_i):
    """A crossing held to the end of a dead time at ``tr`` (ms), inside the (sub-)step
    [ta, ta + h]: the spike time ``tr`` if the step's interpolant is at or above ``thr_i``
    there, else NaN (see :func:`release_held`)."""
    return tr if hermite_value(V, Vn, m0, m1, max(tr - ta, 0.0) / h) >= thr_i else math.nan


@compiled_only(error_model="numpy", _nrt=False, fastmath=False)
def crossing(i, ts, V, Vn, m0, m1, ta, h, thr_i, sp_t, sp_src, sp_n, mon_t, mon_src, mon_n, mon_mask, sp_last, refr,
             sp_hold, hold_min, PL):
    """Node i's membrane crossed its threshold ``thr_i`` upwards at ts, in the sub-step
    [ta, ta + h] from V to Vn (``m0``, ``m1``: dV/dt at its ends times h).  False if the
    step's spike buffer is full.

    Refractoriness, Brian2's meaning for a conductance-based cell (threshold
    ``v > thr``, tested with ``not_refractory``; the membrane not clamped): a
    crossing less than ``refr[i]`` ms after the last emitted spike is no spike
    then; it is held to the end of the dead time, and emitted there if V is at or
    above threshold at that moment, on the cubic Hermite interpolant of the
    (sub-)step that holds it (this one, or a later one: :func:`release_held`).
    Steps are never split for it, so the membrane is that of ``refr`` 0 to the
    bit.  With ``refr[i]`` 0 every crossing is a spike (``sp_last`` starts at
    -inf, so the first always is)."""
    emit, wait = dead_time(ts, sp_last[i], refr[i], V, Vn, m0, m1, ta, h, thr_i)
    if wait < math.inf:
        sp_hold[i] = wait
        hold_min[0] = min(hold_min[0], wait)
        return True
    if emit == emit:
        return record_spike(i, emit, sp_t, sp_src, sp_n, mon_t, mon_src, mon_n, mon_mask, sp_last, sp_hold, PL)
    return True


@compiled_only(error_model="numpy", _nrt=False, fastmath=False)
def release_held(i, V, Vn, m0, m1, ta, h, thr_i, sp_t, sp_src, sp_n, mon_t, mon_src, mon_n, mon_mask, sp_last,
                 sp_hold, PL):
    """Node i's dead time ends at ``sp_hold[i]``, inside the (sub-)step [ta, ta + h] from
    V to Vn (``m0``, ``m1``: dV/dt at its ends times h), with a crossing inside it held:
    a spike there if the interpolant is at or above ``thr_i`` (see :func:`crossing`).
    False if the step's spike buffer is full."""
    emit = released(sp_hold[i], V, Vn, m0, m1, ta, h, thr_i)
    sp_hold[i] = math.inf
    if emit == emit:
        return record_spike(i, emit, sp_t, sp_src, sp_n, mon_t, mon_src, mon_n, mon_mask, sp_last, sp_hold, PL)
    return True


@compiled_only(error_model="numpy", inline="always", _nrt=False)
def after_substep(i, V, Vn, d0, d1, ta, h, dt, thr, lin_kind, lin_t1, lin_t2, lin_A, lin_B, lin_d1, lin_d2, sp_t,
                  sp_src, sp_n, mon_t, mon_src, mon_n, mon_mask, sp_last, refr, sp_hold, hold_min, PL):
    """Record an upward threshold crossing in the sub-step (``d0``, ``d1``: dV/dt at its
    ends), release a crossing held to the end of a dead time inside it (``d0``, ``d1``
    then computed too: see :func:`crossing`), and propagate node i's linear synapses
    by h.  False if the step's spike buffer is full."""
    if V < thr[i] and Vn >= thr[i]:
        ts = ta + h * hermite_crossing(V, Vn, d0 * h, d1 * h, thr[i])
        if not crossing(i, ts, V, Vn, d0 * h, d1 * h, ta, h, thr[i], sp_t, sp_src, sp_n, mon_t, mon_src, mon_n,
                        mon_mask, sp_last, refr, sp_hold, hold_min, PL):
            return False
    if sp_hold[i] <= ta + h:
        if not release_held(i, V, Vn, d0 * h, d1 * h, ta, h, thr[i], sp_t, sp_src, sp_n, mon_t, mon_src, mon_n,
                            mon_mask, sp_last, sp_hold, PL):
            return False
    linear_advance(lin_kind, lin_t1, lin_t2, lin_A, lin_B, lin_d1, lin_d2, i, h, dt)
    return True


@compiled_only(error_model="numpy", _nrt=False, fastmath=False)
def apply_event(i, which, te, lin_kind, lin_t1, lin_norm, lin_A, lin_B, kg_kind, kg_p, kg_T, kin_group, kin_r, kin_g2,
                kin_tlast, kin_pend, kin_T, e_w, e_group, e_kin, e_stp, stp_p, stp_u, stp_x, stp_t, ev_code, ev_cur,
                pin_group, pin_w, pin_k, pin_cur, PL):
    """Apply node i's next event (queue edge or Poisson input) at its exact time te: an
    edge's short-term plasticity scales its weight by the released fraction, its
    spike-timing-dependent plasticity updates the weight (``stdp_pre``)."""
    if which == 3:
        return
    if which == 1:
        e = ev_code[ev_cur[0]]
        ev_cur[0] += 1
        frac = 1.0
        w = e_w[e]
        s = e_stp[e]
        if s >= 0:
            if stp_p[s, 0] > 0.0:
                frac = tm_release(stp_p, stp_u, stp_x, stp_t, s, te)
            if PL.rule[s] >= 0:
                w = stdp_pre(i, e, s, te, PL)
        ke = e_kin[e]
        if ke >= 0:
            kin_release(kg_kind, kg_p, kg_T, kin_group, kin_r, kin_g2, kin_tlast, kin_pend, kin_T, ke, te, frac)
            return
        g = e_group[e]
        w = w * frac
    else:
        k = pin_k[pin_cur[1]]
        pin_cur[1] += 1
        g = pin_group[k]
        w = pin_w[k]
    a, b = lin_event(lin_kind[g], lin_A[g, i], lin_B[g, i], w, lin_t1[g], lin_norm[g])
    lin_A[g, i] = a
    lin_B[g, i] = b


# ------------------------------------------------------------- fast path
#: Rows of a structure's scratch array for the fast path (one column per node).
#: The fast loop's outputs: V at the step's end, dV/dt at its start, and a flag
#: for the nodes that crossed their threshold or diverged (``hit``); then, for a
#: node that crossed, dV/dt at the step's end and the crossing time (ms)
#: (``network_loop._locate``); last, ``work``: the list, in each thread's own
#: columns, of the groups of columns the first thread must look at after the
#: fast paths (``network_loop._locate``, :data:`WORK_GROUP`).
SCRATCH = ("fs", "vs", "th", "sa", "sm", "sb", "g0", "ge0", "gm", "gem", "g1", "ge1", "vn", "dv0", "hit", "dv1", "ts",
           "work")

#: The row ``work`` of the scratch rows.
WORK_ROW = SCRATCH.index("work")

#: Columns per entry of that list: one cache line of a row.
WORK_GROUP = 8

#: A thread's share of a structure's nodes in the fast path is a whole number of
#: these: then every node sits in the same lane of the same vectorised iteration
#: whatever the number of threads (the same bits).
FAST_ALIGN = 64


@compiled_only(_nrt=False, fastmath=False)
def fast_chunk(n, tid, n_threads):
    """The nodes lo .. hi - 1 (of a structure's n) that thread tid of n_threads
    advances in the fast path: consecutive multiples of FAST_ALIGN, the last short."""
    blocks = (n + FAST_ALIGN - 1) // FAST_ALIGN
    lo = min(n, (tid * blocks // n_threads) * FAST_ALIGN)
    hi = min(n, ((tid + 1) * blocks // n_threads) * FAST_ALIGN)
    return lo, hi


@compiled_only(error_model="numpy", _nrt=False, fastmath=False)
def fast_inputs(base, lo, hi, dt, full, S, v, thr, node_ptr, pin_ptr, kin_ptr, wave, scale, noise_I, wa, wm, wb, wk,
                lin_kind, lin_E, lin_cg, lin_A, lin_B, lin_d1, lin_d2, lin_h1, lin_h2, gap_or_graded, Gf, GEf):
    """Gather the inputs of the nodes base + lo .. base + hi - 1 (columns lo .. hi - 1
    of S) for this step.

    A node takes the fast path (row ``fs`` = 0: one whole step in the vectorised
    loop) unless something happens to it strictly inside the step: a synaptic
    event, a Poisson input (it may draw one), a jump of its stimulus, or kinetic
    receptors (their conductance is re-evaluated at every sub-step).  For fast
    nodes the rows hold V, the threshold, the stimulus at the step's start,
    middle and end, and the synaptic G, G*E at those times (linear synapses
    exactly, from the decay factors; gap and graded terms from the step's start).

    Written as loops without branches over the nodes (one per synapse group,
    whose kind is fixed in it, then one for the rest), which LLVM vectorises;
    the sums are taken in the same order as node by node: the same bits.
    """
    # Unsigned node indices: numba then needs no wrap-around of negative indices,
    # whose selects would stop LLVM's vectoriser.
    one = np.uint64(1)
    ub = np.uint64(base)
    last = 12 if full else 8  # the rows of synaptic terms: 6 .. last - 1
    for r in range(6, last):
        for c in range(np.uint64(lo), np.uint64(hi)):
            S[r, c] = 0.0
    for g in range(lin_kind.shape[0]):
        _add_group(S, 6, ub, lo, hi, lin_kind[g], lin_E[g], lin_cg[g], lin_A[g], lin_B[g], 1.0, 1.0, 0.0)
        if full:
            _add_group(S, 8, ub, lo, hi, lin_kind[g], lin_E[g], lin_cg[g], lin_A[g], lin_B[g], lin_h1[g], lin_h2[g], 0.5 * dt)
            _add_group(S, 10, ub, lo, hi, lin_kind[g], lin_E[g], lin_cg[g], lin_A[g], lin_B[g], lin_d1[g], lin_d2[g], dt)
    if wa.shape[0] == 0:
        for c in range(np.uint64(lo), np.uint64(hi)):
            i = ub + c
            slow = (node_ptr[i + one] > node_ptr[i]) | (pin_ptr[i + one] > pin_ptr[i]) | (kin_ptr[i + one] > kin_ptr[i])
            S[0, c] = choose(slow, 1.0, 0.0)
            S[1, c] = v[i]
            S[2, c] = thr[i]
            nz = noise_I[i]
            S[3, c] = nz
            S[4, c] = nz
            S[5, c] = nz
    else:
        for c in range(np.uint64(lo), np.uint64(hi)):
            i = ub + c
            w = wave[i]
            has = w >= 0
            wi = max(w, 0)
            slow = ((node_ptr[i + one] > node_ptr[i]) | (pin_ptr[i + one] > pin_ptr[i])
                    | (kin_ptr[i + one] > kin_ptr[i]) | (has & (wk[wi] != 0.0)))
            S[0, c] = choose(slow, 1.0, 0.0)
            S[1, c] = v[i]
            S[2, c] = thr[i]
            nz = noise_I[i]
            sc = scale[i]
            S[3, c] = choose(has, sc * wa[wi] + nz, nz)
            S[4, c] = choose(has, sc * wm[wi] + nz, nz)
            S[5, c] = choose(has, sc * wb[wi] + nz, nz)
    if not gap_or_graded:  # Gf, GEf are 0 (as allocated), see step_begin
        return
    for r in range(6, last, 2):
        for c in range(np.uint64(lo), np.uint64(hi)):
            S[r, c] += Gf[ub + c]
            S[r + 1, c] += GEf[ub + c]


@compiled_only(error_model="numpy", inline="always", _nrt=False)
def _add_group(S, row, ub, lo, hi, kind, E, cg, A, B, e1, e2, s):
    """Add one linear synapse group's (G, G*E) s ms on (decay factors e1, e2) to rows
    ``row``, ``row + 1`` of S, node by node (in the order of ``linear_terms``).
    A current group (``cg`` 0, ``E`` 1) adds its current to the G*E row only."""
    if cg == 0.0:
        _add_current(S, row + 1, ub, lo, hi, kind, A, B, e1, e2, s)
    elif kind == LIN_EXP:
        for c in range(np.uint64(lo), np.uint64(hi)):
            gg = A[ub + c] * e1
            S[row, c] += gg
            S[row + 1, c] += gg * E
    elif kind == LIN_ALPHA:
        for c in range(np.uint64(lo), np.uint64(hi)):
            gg = (A[ub + c] + B[ub + c] * s) * e1
            S[row, c] += gg
            S[row + 1, c] += gg * E
    else:
        for c in range(np.uint64(lo), np.uint64(hi)):
            gg = A[ub + c] * e1 - B[ub + c] * e2
            S[row, c] += gg
            S[row + 1, c] += gg * E


@compiled_only(error_model="numpy", inline="always", _nrt=False)
def _add_current(S, row, ub, lo, hi, kind, A, B, e1, e2, s):
    """Add one current group's current s ms on to row ``row`` of S (µA/cm², inward positive)."""
    if kind == LIN_EXP:
        for c in range(np.uint64(lo), np.uint64(hi)):
            S[row, c] += A[ub + c] * e1
    elif kind == LIN_ALPHA:
        for c in range(np.uint64(lo), np.uint64(hi)):
            S[row, c] += (A[ub + c] + B[ub + c] * s) * e1
    else:
        for c in range(np.uint64(lo), np.uint64(hi)):
            S[row, c] += A[ub + c] * e1 - B[ub + c] * e2


@compiled_only(error_model="numpy", _nrt=False, fastmath=False)
def fast_commit(base, lo, hi, dt, S, v, lin_kind, lin_t1, lin_t2, lin_A, lin_B, lin_d1, lin_d2):
    """Write the new V of the fast nodes among base + lo .. base + hi - 1 and propagate
    their linear synapses over the whole step.

    Branch-free loops over the nodes (one per synapse group, its kind fixed),
    which LLVM vectorises; a slow node keeps its values (its sub-steps have
    propagated them already).  The arithmetic is that of ``linear_advance``
    with the decay factors of a whole step: the same bits.
    """
    ub = np.uint64(base)  # unsigned indices, as in fast_inputs
    for c in range(np.uint64(lo), np.uint64(hi)):
        i = ub + c
        v[i] = choose(S[0, c] != 0.0, v[i], S[12, c])
    for g in range(lin_kind.shape[0]):
        _propagate_group(S, ub, lo, hi, lin_kind[g], lin_A[g], lin_B[g], lin_d1[g], lin_d2[g], dt)


@compiled_only(error_model="numpy", inline="always", _nrt=False)
def _propagate_group(S, ub, lo, hi, kind, A, B, e1, e2, s):
    """One linear synapse group's states of the fast nodes (row 0 of S is 0) s ms on
    (decay factors e1, e2), as ``lin_propagate``."""
    if kind == LIN_EXP:
        for c in range(np.uint64(lo), np.uint64(hi)):
            i = ub + c
            slow = S[0, c] != 0.0
            A[i] = choose(slow, A[i], A[i] * e1)
            B[i] = choose(slow, B[i], 0.0)
    elif kind == LIN_ALPHA:
        for c in range(np.uint64(lo), np.uint64(hi)):
            i = ub + c
            slow = S[0, c] != 0.0
            a = A[i]
            b = B[i]
            A[i] = choose(slow, a, (a + b * s) * e1)
            B[i] = choose(slow, b, b * e1)
    else:
        for c in range(np.uint64(lo), np.uint64(hi)):
            i = ub + c
            slow = S[0, c] != 0.0
            A[i] = choose(slow, A[i], A[i] * e1)
            B[i] = choose(slow, B[i], B[i] * e2)


@compiled_only(error_model="numpy", _nrt=False, fastmath=False)
def synaptic_current(i, t, LIN, KIN, GAP, v):
    """Total synaptic current of node i at t (µA/cm², outward positive)."""
    Gc, GEc, Gn, GEn = held_terms(i, t, KIN.ptr, KIN.edge, KIN.group, KIN.w, KIN.g_kind, KIN.g_p, KIN.g_E,
                                  KIN.g_nmda, KIN.r, KIN.g2, KIN.tlast, KIN.pend, KIN.T, GAP.Gf, GAP.GEf)
    G0, GE0 = linear_terms(LIN.kind, LIN.tau1, LIN.tau2, LIN.E, LIN.cg, LIN.A, LIN.B, i, 0.0)
    V = v[i]
    return (G0 + Gc) * V - (GE0 + GEc) + mg_block(V, KIN.mg[i]) * (Gn * V - GEn)


@compiled_only(error_model="numpy", _nrt=False, fastmath=False)
def synaptic_conductance(i, t, LIN, KIN, GAP, v):
    """(G, G*E) of every synapse on node i at t (mS/cm², mS/cm² x mV), NMDA blocked at v[i]."""
    Gc, GEc, Gn, GEn = held_terms(i, t, KIN.ptr, KIN.edge, KIN.group, KIN.w, KIN.g_kind, KIN.g_p, KIN.g_E,
                                  KIN.g_nmda, KIN.r, KIN.g2, KIN.tlast, KIN.pend, KIN.T, GAP.Gf, GAP.GEf)
    G0, GE0 = linear_terms(LIN.kind, LIN.tau1, LIN.tau2, LIN.E, LIN.cg, LIN.A, LIN.B, i, 0.0)
    b = mg_block(v[i], KIN.mg[i])
    return G0 + Gc + b * Gn, GE0 + GEc + b * GEn


@compiled_only(error_model="numpy", _nrt=False, fastmath=False)
def monitor_spikes(ts, src, n_sp, SPK):
    """Note spikes found outside the compiled loop (cable cells) in the spike monitor."""
    mon_t, mon_src, mon_n, mon_mask = SPK.mon_t, SPK.mon_src, SPK.mon_n, SPK.mon_mask
    for k in range(n_sp):
        i = src[k]
        if mon_mask[i] and mon_n[0] < mon_t.shape[0]:
            mon_t[mon_n[0]] = ts[k]
            mon_src[mon_n[0]] = i
            mon_n[0] += 1


@compiled_only(error_model="numpy", _nrt=False, fastmath=False)
def inject_spikes(ts, src, n_sp, n, t0, dt, LIN, E, Q, EV):
    """Queue spikes of step n found outside the compiled loop over their edges; returns
    how many were queued (fewer when the queue's pool ran out: grow it, queue the rest)."""
    q_time, q_edge, q_next, head, tail, free, n_free = Q
    return push_spikes(ts, src, n_sp, E.out_ptr, E.delay, q_time, q_edge, q_next, head, tail, free, n_free, t0, dt,
                       head.shape[0], n, E.post, E.w, E.group, E.stp, LIN.kind, LIN.tau1, LIN.norm, LIN.dA, LIN.dB,
                       EV.late, E.immediate)


@compiled_only(function_value=True, error_model="numpy", _nrt=False, fastmath=False)
def step_end(n, t, dt, t0, n_threads, v, Y, ST, LIN, KIN, GAP, E, Q, EV, SPK, REC):
    """The first thread's part of the step's end: queue the step's spikes (their count
    in ``SPK.pushed``; on more than one thread, the increments delivered at the next
    step's start are left to :func:`deliver_spikes` on every thread, then
    :func:`step_finish` drops the spikes), record the monitored states."""
    sp_t, sp_src, sp_n = SPK.t, SPK.src, SPK.n
    q_time, q_edge, q_next, head, tail, free, n_free = Q
    SPK.pushed[1] = sp_n[0]
    SPK.pushed[0] = push_queued(sp_t, sp_src, sp_n[0], E.out_ptr, E.delay, q_time, q_edge, q_next, head, tail, free,
                                n_free, t0, dt, head.shape[0], n, E.post, E.w, E.group, E.stp, LIN.kind, LIN.tau1,
                                LIN.norm, LIN.dA, LIN.dB, EV.late, n_threads == 1, E.immediate)
    rec_every, rec_nodes, rec_k, rec_c, rec_v, rec_y, rec_i, rec_n = REC
    if rec_every[0] > 0 and (n + 1) % rec_every[0] == 0:
        r = rec_n[0]
        for q in range(rec_nodes.shape[0]):
            i = rec_nodes[q]
            rec_v[r, q] = v[i]
            y = Y[rec_k[q]]
            for j in range(y.shape[0]):
                rec_y[r, j, q] = y[j, rec_c[q]]
            rec_i[r, q] = synaptic_current(i, t + dt, LIN, KIN, GAP, v)
        rec_n[0] = r + 1
    return DONE


@compiled_only(error_model="numpy", _nrt=False, fastmath=False)
def deliver_spikes(n, t0, dt, lo, hi, LIN, E, SPK):
    """The step's spikes queued by :func:`step_end`: their edges delivered at the next
    step's start, to the target nodes lo .. hi - 1 (one thread's share)."""
    deliver_late(SPK.t, SPK.src, SPK.pushed[0], E.out_ptr, E.delay, t0 + (n + 1) * dt, E.post, E.w, E.group, E.stp,
                 LIN.kind, LIN.tau1, LIN.norm, LIN.dA, LIN.dB, lo, hi, E.immediate)


@compiled_only(error_model="numpy", _nrt=False, fastmath=False)
def step_finish(SPK):
    """After the delivery: drop the pushed spikes; GROW_QUEUE (and ``pending``) when some
    could not be queued, else DONE."""
    _drop_pushed(SPK.t, SPK.src, SPK.n, SPK.pushed[0])
    if SPK.n[0] > 0:
        SPK.pending[0] = 1
        return GROW_QUEUE
    return DONE
