"""The fixed parts of the network time step, called by the generated driver.

One step of the network, from ``t`` to ``t + dt``:

1. ``step_begin``: finish pushing last step's spikes if the queue had been
   full; queue the external spikes emitted in this step; empty this step's
   bucket of the event queue into per-node lists sorted by time; move the
   stimulus cursors; update the noise currents; compute the gap-junction and
   graded-synapse terms from the voltages at the step's start, then relax
   the graded gating variables.
2. for every node (generated loop): ``node_step`` draws the node's Poisson
   input events; then, between consecutive events (``next_event``), the
   node advances by a sub-step (``node_terms`` + the structure's ``sub_k``
   + ``after_substep``: spike detection on the cubic Hermite interpolant and
   exact propagation of its linear synapses), and the event is applied
   exactly at its time (``apply_event``).
3. ``step_end``: queue this step's spikes over their outgoing edges, record
   the monitored states.

Argument tuples (built by :mod:`hhsim.engine.network_lower`):

* ``ST``  = (kt, ka, kb, cursor, wave, scale, noise_p, noise_I, kj)
* ``LIN`` = (lin_kind, lin_t1, lin_t2, lin_E, lin_norm, lin_A, lin_B)
* ``KIN`` = (kin_ptr, kin_edge, kin_group, kin_w, kg_kind, kg_p, kg_E, kg_nmda, kg_T,
  kin_r, kin_g2, kin_tlast, kin_pend, kin_T, mg)
* ``GR``  = (gr_pre_nodes, gr_p, gr_s, gr_ptr, gr_group, gr_slot, gr_w, gr_E)
* ``GAP`` = (gap_ptr, gap_nbr, gap_g, Gf, GEf)
* ``E``   = (e_post, e_w, e_delay, e_group, e_kin, e_stp, out_ptr)
* ``STP`` = (stp_p, stp_u, stp_x, stp_t)
* ``PIN`` = (pin_ptr, pin_lam, pin_group, pin_w, pin_t, pin_k, pin_cur)
* ``Q``   = (q_time, q_edge, q_next, head, tail, free, n_free)
* ``EV``  = (ev_time, ev_code, ev_n, node_ptr, late, ev_cur)
* ``SPK`` = (sp_t, sp_src, sp_n, ext_t, ext_src, ext_k, mon_t, mon_src, mon_n, mon_mask, pending)
* ``REC`` = (rec_every, rec_nodes, rec_k, rec_c, rec_v, rec_y, rec_i, rec_n)
"""

from __future__ import annotations

import math

from numba import njit

from .kernel_helpers import hermite_crossing
from .network_kernels import (advance_cursors, gap_terms, gather_events, graded_terms, graded_update,
                              kin_release, kinetic_terms, lin_event, linear_advance, linear_terms, mg_block,
                              noise_update, poisson_count, push_spikes, queue_push, stim_at, tm_release,
                              uniform01)

#: Status codes returned by the generated ``run`` (with the step to resume at).
DONE, DIVERGED, GROW_QUEUE, GROW_MONITOR, GROW_EVENTS, SPIKE_OVERFLOW = -1, 0, -2, -3, -4, -5

# RNG streams (see network_kernels.uniform01): one per use, so draws never collide.
_STREAM_PIN_COUNT, _STREAM_PIN_TIME = 11, 12


@njit(cache=True, error_model="numpy")
def step_begin(n, t, dt, t0, seed, v, ST, GR, GAP, E, Q, EV, SPK):
    sp_t, sp_src, sp_n, ext_t, ext_src, ext_k, mon_t, mon_src, mon_n, mon_mask, pending = SPK
    q_time, q_edge, q_next, head, tail, free, n_free = Q
    e_post, e_delay, out_ptr = E[0], E[2], E[6]
    nb = head.shape[0]
    nn = v.shape[0]
    if pending[0]:
        k = push_spikes(sp_t, sp_src, sp_n[0], out_ptr, e_delay, q_time, q_edge, q_next, head, tail, free,
                        n_free, t0, dt, nb, n - 1)
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
            step = max(int(math.floor((td - t0) / dt)), n)
            queue_push(q_time, q_edge, q_next, head, tail, free, n_free, step % nb, td, e)
        k += 1
    ext_k[0] = k
    ev_time, ev_code, ev_n, node_ptr, late, ev_cur = EV
    if gather_events(q_time, q_edge, q_next, head, tail, free, n_free, n % nb, e_post, nn,
                     ev_time, ev_code, ev_n, node_ptr, t, late) < 0:
        return GROW_EVENTS
    kt, ka, kb, cursor, wave, scale, noise_p, noise_I, kj = ST
    advance_cursors(kt, cursor, t)
    noise_update(noise_p, noise_I, seed, n, dt)
    gap_ptr, gap_nbr, gap_g, Gf, GEf = GAP
    gr_pre_nodes, gr_p, gr_s, gr_ptr, gr_group, gr_slot, gr_w, gr_E = GR
    for i in range(nn):
        G, GE = gap_terms(gap_ptr, gap_nbr, gap_g, v, i)
        G2, GE2 = graded_terms(gr_ptr, gr_group, gr_slot, gr_w, gr_E, gr_s, i)
        Gf[i] = G + G2
        GEf[i] = GE + GE2
    graded_update(gr_pre_nodes, gr_p, gr_s, v, dt)
    return DONE


@njit(cache=True)
def _drop_pushed(sp_t, sp_src, sp_n, k):
    """Remove the first k spikes of the step buffer (they are queued)."""
    m = sp_n[0]
    for a in range(k, m):
        sp_t[a - k] = sp_t[a]
        sp_src[a - k] = sp_src[a]
    sp_n[0] = m - k


@njit(cache=True, error_model="numpy")
def node_step(i, n, t, dt, seed, PIN, EV):
    """Prepare node i's step: its queue cursor and its Poisson input events (sorted)."""
    ev_time, ev_code, ev_n, node_ptr, late, ev_cur = EV
    ev_cur[0] = node_ptr[i]
    pin_ptr, pin_lam, pin_group, pin_w, pin_t, pin_k, pin_cur = PIN
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


@njit(cache=True, error_model="numpy")
def next_event(i, ta, t, t1, EV, PIN, ST):
    """(time, kind) of node i's next event after ``ta`` in this step: kind 1 queue,
    2 Poisson input, 3 a jump or kink of its stimulus (the step must land on it),
    0 none (time = the step's end ``t1``, t0 + (n + 1) dt computed afresh so that it
    equals the next step's start exactly)."""
    ev_time, node_ptr, ev_cur = EV[0], EV[3], EV[5]
    pin_t, pin_cur = PIN[4], PIN[6]
    te = t1
    which = 0
    w = ST[4][i]
    if w >= 0:
        kt, kj = ST[0], ST[8]
        row = kt[w]
        k = ST[3][w]
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


@njit(cache=True, error_model="numpy")
def node_terms(i, ta, h, full, ST, LIN, KIN, GAP):
    """Stimulus (start, middle, end) and synaptic terms of node i for a sub-step [ta, ta + h].

    Returns (Sa, Sm, Sb, G0, GE0, Gm, GEm, G1, GE1, Gn, GEn): µA/cm²; mS/cm² and
    mS/cm² x mV.  Linear synapses are evaluated at the three times (only at the
    start unless ``full``); kinetic, gap and graded terms are those at ``ta``.
    """
    kt, ka, kb, cursor, wave, scale, noise_p, noise_I, kj = ST
    w = wave[i]
    if w >= 0:
        sc = scale[i]
        Sa = sc * stim_at(kt, ka, kb, w, cursor[w], ta, False)
        Sm = sc * stim_at(kt, ka, kb, w, cursor[w], ta + 0.5 * h, False)
        Sb = sc * stim_at(kt, ka, kb, w, cursor[w], ta + h, True)
    else:
        Sa = 0.0
        Sm = 0.0
        Sb = 0.0
    Sa += noise_I[i]
    Sm += noise_I[i]
    Sb += noise_I[i]
    lin_kind, lin_t1, lin_t2, lin_E, lin_norm, lin_A, lin_B = LIN
    G0, GE0 = linear_terms(lin_kind, lin_t1, lin_t2, lin_E, lin_A, lin_B, i, 0.0)
    if full:
        Gm, GEm = linear_terms(lin_kind, lin_t1, lin_t2, lin_E, lin_A, lin_B, i, 0.5 * h)
        G1, GE1 = linear_terms(lin_kind, lin_t1, lin_t2, lin_E, lin_A, lin_B, i, h)
    else:
        Gm, GEm, G1, GE1 = G0, GE0, G0, GE0
    kin_ptr = KIN[0]
    Gc = GAP[3][i]
    GEc = GAP[4][i]
    Gn = 0.0
    GEn = 0.0
    if kin_ptr[i + 1] > kin_ptr[i]:
        Gk, GEk, Gn, GEn = kinetic_terms(KIN[0], KIN[1], KIN[2], KIN[3], KIN[4], KIN[5], KIN[6], KIN[7],
                                         KIN[9], KIN[10], KIN[11], KIN[12], KIN[13], i, ta)
        Gc += Gk
        GEc += GEk
    return Sa, Sm, Sb, G0 + Gc, GE0 + GEc, Gm + Gc, GEm + GEc, G1 + Gc, GE1 + GEc, Gn, GEn


@njit(cache=True, error_model="numpy")
def after_substep(i, V, Vn, d0, d1, ta, h, thr, LIN, SPK):
    """Detect an upward threshold crossing in the sub-step and propagate node i's linear
    synapses by h.  False if the step's spike buffer is full."""
    if V < thr[i] and Vn >= thr[i]:
        sp_t, sp_src, sp_n = SPK[0], SPK[1], SPK[2]
        ts = ta + h * hermite_crossing(V, Vn, d0 * h, d1 * h, thr[i])
        k = sp_n[0]
        if k >= sp_t.shape[0]:
            return False
        sp_t[k] = ts
        sp_src[k] = i
        sp_n[0] = k + 1
        mon_t, mon_src, mon_n, mon_mask = SPK[6], SPK[7], SPK[8], SPK[9]
        if mon_mask[i]:
            m = mon_n[0]
            mon_t[m] = ts
            mon_src[m] = i
            mon_n[0] = m + 1
    linear_advance(LIN[0], LIN[1], LIN[2], LIN[5], LIN[6], i, h)
    return True


@njit(cache=True, error_model="numpy")
def apply_event(i, which, te, LIN, KIN, E, STP, EV, PIN):
    """Apply node i's next event (queue edge or Poisson input) at its exact time te."""
    if which == 3:
        return
    lin_kind, lin_t1, lin_t2, lin_E, lin_norm, lin_A, lin_B = LIN
    if which == 1:
        ev_code, ev_cur = EV[1], EV[5]
        e = ev_code[ev_cur[0]]
        ev_cur[0] += 1
        e_post, e_w, e_delay, e_group, e_kin, e_stp, out_ptr = E
        frac = 1.0
        if e_stp[e] >= 0:
            frac = tm_release(STP[0], STP[1], STP[2], STP[3], e_stp[e], te)
        ke = e_kin[e]
        if ke >= 0:
            kin_release(KIN[4], KIN[5], KIN[8], KIN[2], KIN[9], KIN[10], KIN[11], KIN[12], KIN[13], ke, te, frac)
            return
        g = e_group[e]
        w = e_w[e] * frac
    else:
        pin_group, pin_w, pin_k, pin_cur = PIN[2], PIN[3], PIN[5], PIN[6]
        k = pin_k[pin_cur[1]]
        pin_cur[1] += 1
        g = pin_group[k]
        w = pin_w[k]
    a, b = lin_event(lin_kind[g], lin_A[g, i], lin_B[g, i], w, lin_t1[g], lin_norm[g])
    lin_A[g, i] = a
    lin_B[g, i] = b


@njit(cache=True, error_model="numpy")
def synaptic_current(i, t, ST, LIN, KIN, GAP, v):
    """Total synaptic current of node i at t (µA/cm², outward positive)."""
    r = node_terms(i, t, 0.0, False, ST, LIN, KIN, GAP)
    V = v[i]
    G0, GE0, Gn, GEn = r[3], r[4], r[9], r[10]
    return G0 * V - GE0 + mg_block(V, KIN[14][i]) * (Gn * V - GEn)


@njit(cache=True, error_model="numpy")
def step_end(n, t, dt, t0, v, Y, ST, LIN, KIN, GAP, E, Q, SPK, REC):
    sp_t, sp_src, sp_n, pending = SPK[0], SPK[1], SPK[2], SPK[10]
    q_time, q_edge, q_next, head, tail, free, n_free = Q
    k = push_spikes(sp_t, sp_src, sp_n[0], E[6], E[2], q_time, q_edge, q_next, head, tail, free, n_free,
                    t0, dt, head.shape[0], n)
    _drop_pushed(sp_t, sp_src, sp_n, k)
    rec_every, rec_nodes, rec_k, rec_c, rec_v, rec_y, rec_i, rec_n = REC
    if rec_every[0] > 0 and (n + 1) % rec_every[0] == 0:
        r = rec_n[0]
        for q in range(rec_nodes.shape[0]):
            i = rec_nodes[q]
            rec_v[r, q] = v[i]
            y = Y[rec_k[q]]
            for j in range(y.shape[0]):
                rec_y[r, j, q] = y[j, rec_c[q]]
            rec_i[r, q] = synaptic_current(i, t + dt, ST, LIN, KIN, GAP, v)
        rec_n[0] = r + 1
    if sp_n[0] > 0:
        pending[0] = 1
        return GROW_QUEUE
    return DONE
