"""Adaptive steps for networks: each cell its own Dormand-Prince 5(4) steps between exact events.

The scheme is NEST's minimum-delay windows with NEURON's local variable time
step inside them.  Time is cut into windows no longer than the shortest
synaptic delay between two cells (``d_min``): every event that reaches a cell
inside ``[T, T + d_min)`` comes from a spike before ``T``, so it is known when
the window starts, and each cell is integrated alone across the window
(:func:`advance_cells`, compiled once for every network, the membrane's
functions passed in as first-class function values, like the point engine's
dopri5 loop).  Its steps are chosen by the point engine's error control
(:mod:`hhsim.engine.solvers.dopri5`: the same tableau, the same mixed
RMS error test, the same PI step control and step limits) and each step is
shortened to land on the cell's next event, the next jump of its stimulus and
the window's end.  An event is applied exactly at its time (the jump of a
linear synapse's state, :func:`~hhsim.engine.network_kernels.lin_event`), and
the linear synapses are propagated exactly between events, so the right-hand
side a stage sees is the cell's own (``rhs_into`` of the point engine) with
the stimulus and the synaptic current ``G E - G V`` at the stage's time and
voltage.  A spike is the upward threshold crossing located on the step's cubic
Hermite interpolant (both end slopes known, first-same-as-last), with the
dead time for spike emission applied as the fixed-step loop applies it
(:func:`hhsim.engine.network_driver.crossing`).  At the window's end the new
spikes become events (:func:`emit_events`, short-term plasticity applied in
each synapse's delivery order).

The cells of a window are independent: they are split over threads in chunks,
and the result is the same bits whatever the number of threads.  Cells whose
membranes have no instantaneous gate run 16 at a time in SIMD lanes instead
(:mod:`hhsim.engine.network_adaptive_lanes`, the same method); this one-cell
kernel integrates the others.

Units: t in ms, V in mV, conductances mS/cm², currents µA/cm².
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .kernel_helpers import hermite_crossing
from .network_kernels import LIN_ALPHA, LIN_BIEXP, LIN_EXP, lin_event, linear_advance, linear_terms, stim_at, tm_release
from .solvers.dopri5 import A as _A, C as _C, E as _E, H_MIN
from .solvers.dopri5_driver import step_growth
from .solvers.dopri5_driver import count_not_after, data_pointer, next_stop

#: The Dormand-Prince tableau of :mod:`hhsim.engine.solvers.dopri5` as arrays:
#: stage coefficients (row s: stage s + 1 from the slopes 0 .. s), stage times,
#: and the error weights.
TAB_A = np.zeros((7, 7))
for _s, _row in enumerate(_A):
    TAB_A[_s, :len(_row)] = _row
TAB_C = np.array(_C)
TAB_E = np.array(_E)

#: Status of a cell after a window: went through, a step fell below H_MIN (too
#: stiff), V left |V| < 10 V (diverged), or more spikes than its buffer holds.
OK, TOO_STIFF, DIVERGED, SPIKES_FULL = -1, 1, 2, 3


#: The one-cell path's fastmath flags, stated on every function it calls that numba does not
#: inline: a function without its own takes those of whichever caller compiles it first in
#: a process, and the kernel cache keeps that version for every later caller (the lanes call
#: some of these too).
CELL_FLAGS = {"contract"}


@njit(cache=True, error_model="numpy", fastmath=CELL_FLAGS)
def _hermite(v0, v1, m0, m1, s):
    """The cubic Hermite interpolant of a step at fraction s (m0, m1: slopes times the step)."""
    c2 = 3.0 * (v1 - v0) - 2.0 * m0 - m1
    c3 = 2.0 * (v0 - v1) + m0 + m1
    return v0 + s * (m0 + s * (c2 + s * c3))


@njit(cache=True, error_model="numpy", fastmath=CELL_FLAGS)
def _emit(i, ts, sp_last, hold, out_t, out_n):
    """Note a spike of cell i at ts (ms) in its window buffer; False when it is full."""
    k = out_n[i]
    out_n[i] = k + 1
    sp_last[i] = ts
    hold[i] = math.inf
    if k >= out_t.shape[1]:
        return False
    out_t[i, k] = ts
    return True


@njit(cache=True, error_model="numpy", fastmath=CELL_FLAGS)
def _spikes_in_step(i, t, hs, V, Vn, m0, m1, thr, refr, sp_last, hold, out_t, out_n):
    """An upward crossing of thr in the step [t, t + hs] from V to Vn (m0, m1: dV/dt at its
    ends times hs), under the dead-time rule of the fixed-step loop: a crossing less than
    ``refr`` after the last spike is held to the dead time's end and emitted there if the
    interpolant is at or above thr then; a held crossing whose time falls in this step is
    decided here.  False when the cell's spike buffer is full."""
    ok = True
    te = t + hs
    if V < thr and Vn >= thr:
        ts = t + hs * hermite_crossing(V, Vn, m0, m1, thr)
        if ts - sp_last[i] < refr:
            tr = sp_last[i] + refr
            if tr <= te:
                if _hermite(V, Vn, m0, m1, (tr - t) / hs) >= thr:
                    ok = _emit(i, tr, sp_last, hold, out_t, out_n)
            else:
                hold[i] = tr
        else:
            ok = _emit(i, ts, sp_last, hold, out_t, out_n)
    if hold[i] <= te:
        tr = hold[i]
        hold[i] = math.inf
        if _hermite(V, Vn, m0, m1, max(tr - t, 0.0) / hs) >= thr:
            ok = _emit(i, tr, sp_last, hold, out_t, out_n) and ok
    return ok


@njit(cache=True, error_model="numpy", fastmath=CELL_FLAGS)
def _apply_events(i, t, e, e_end, ev_t, ev_g, ev_w, LIN):
    """Apply cell i's events due at or before t (from index e); the next event's index."""
    lin_kind, lin_t1, lin_norm, lin_A, lin_B = LIN.kind, LIN.tau1, LIN.norm, LIN.A, LIN.B
    while e < e_end and ev_t[e] <= t:
        g = ev_g[e]
        a, b = lin_event(lin_kind[g], lin_A[g, i], lin_B[g, i], ev_w[e], lin_t1[g], lin_norm[g])
        lin_A[g, i] = a
        lin_B[g, i] = b
        e += 1
    return e


@njit(cache=True, error_model="numpy", fastmath=CELL_FLAGS)
def _drive(i, w, sc, kt, ka, kb, kc, tau, left, s, V, LIN):
    """The current into cell i (µA/cm², inward positive) at time tau, s ms into the
    step, at voltage V: its stimulus plus its linear synapses ``G E - G V``."""
    G, GE = linear_terms(LIN.kind, LIN.tau1, LIN.tau2, LIN.E, LIN.cg, LIN.A, LIN.B, i, s)
    return sc * stim_at(kt, ka, kb, w, kc, tau, left) + GE - G * V


@njit(cache=True, error_model="numpy", inline="always")
def _powers(u):
    """u^18, u^27, u^72, u^80, u^90 by products (the stage times of a step are 18, 27,
    72, 80 and 90 ninetieths of it)."""
    u2 = u * u
    u3 = u2 * u
    u9 = u3 * u3 * u3
    u18 = u9 * u9
    u27 = u18 * u9
    u72 = u27 * u27 * u18
    u4 = u2 * u2
    u80 = u72 * (u4 * u4)
    u90 = u80 * u9 * u
    return u18, u27, u72, u80, u90


@njit(cache=True, error_model="numpy", fastmath=CELL_FLAGS)
def _stage_terms(i, hs, LIN, SG):
    """Cell i's linear synapses at the stage times of a step of hs ms: ``SG[0, s]`` = G
    and ``SG[1, s]`` = G E at stage s = 1 .. 6 (stages 5 and 6 at the step's end), from
    one exponential per group and time constant (its decay over a ninetieth of the step,
    raised to the stages' powers) instead of one per group and stage."""
    lin_kind, lin_t1, lin_t2, lin_E, lin_A, lin_B, lin_cg = LIN.kind, LIN.tau1, LIN.tau2, LIN.E, LIN.A, LIN.B, LIN.cg
    for s in range(7):
        SG[0, s] = 0.0
        SG[1, s] = 0.0
    for g in range(lin_kind.shape[0]):
        a = lin_A[g, i]
        b = lin_B[g, i]
        if a == 0.0 and b == 0.0:
            continue
        kind = lin_kind[g]
        p = _powers(math.exp(-hs / (90.0 * lin_t1[g])))
        q = p
        if kind == LIN_BIEXP:
            q = _powers(math.exp(-hs / (90.0 * lin_t2[g])))
        for s in range(1, 7):
            m = min(s, 5) - 1
            if kind == LIN_EXP:
                gg = a * p[m]
            elif kind == LIN_ALPHA:
                gg = (a + b * TAB_C[s] * hs) * p[m]
            else:
                gg = a * p[m] - b * q[m]
            SG[0, s] += gg * lin_cg[g]
            SG[1, s] += gg * lin_E[g]


@njit(cache=True, error_model="numpy", nogil=True, fastmath=CELL_FLAGS)
def advance_cells(rhs, inst, Ys, params, is_inst, base, T0, T1, CELL, LIN, ST, EVW, OUT, REC, tol, lo, hi):
    """Integrate cells lo .. hi - 1 of one membrane structure across the window [T0, T1].

    ``rhs``, ``inst``: the structure's ``rhs_into`` and ``inst_into`` (the point
    engine's, :func:`hhsim.engine.codegen.adaptive_functions`); ``Ys[c]``: cell c's
    (V, x0, ..), ``params[c]`` its parameter row; ``is_inst[j]``: component j is an
    instantaneous gate (left out of the error norm, recorded linearly); ``base``:
    the structure's first node.  The records (:mod:`hhsim.engine.network_tables`):
    ``CELL`` each node's step state (``CellSteps``); ``LIN`` the network's linear
    synapses (lowered, their state at each cell's time); ``ST`` its stimuli; ``EVW``
    each node's events in the window, by time (``WindowEvents``); ``OUT`` the
    window's spikes per node (``WindowSpikes``); ``REC`` the state monitor
    (``WindowRecording``); ``tol`` the error control (``ErrorControl``).  Returns -1,
    or the first cell (in index order) that failed (its status in ``CELL.status``).
    """
    thr, refr, sp_last, hold, hcell, logp, status = CELL
    kt, ka, kb, kj, wave, scale = ST.kt, ST.ka, ST.kb, ST.kj, ST.wave, ST.scale
    ev_ptr, ev_t, ev_g, ev_w = EVW
    out_t, out_n = OUT
    rec_col, rec_next, rec_dt, t0, rec_v, rec_y, rec_i = REC
    rtol, atol, h_max = tol
    ns = Ys.shape[1]
    n_err = 0
    for j in range(ns):
        if not is_inst[j]:
            n_err += 1
    n_rec = rec_v.shape[0]
    Z = np.empty(ns)
    Yn = np.empty(ns)
    K = np.empty((7, ns))
    SG = np.empty((2, 7))
    z_p, yn_p, k_p = data_pointer(Z), data_pointer(Yn), data_pointer(K[0])
    for c in range(lo, hi):
        i = base + c
        Y = Ys[c]
        y_p = data_pointer(Y)
        P = data_pointer(params[c])
        w = wave[i]
        sc = scale[i]
        th = thr[i]
        t = T0
        kc = max(0, count_not_after(kt[w], t) - 1) if w >= 0 else 0
        e = ev_ptr[i]
        e_end = ev_ptr[i + 1]
        e = _apply_events(i, t, e, e_end, ev_t, ev_g, ev_w, LIN)
        rhs(y_p, k_p, 0, _drive(i, w, sc, kt, ka, kb, kc, t, False, 0.0, Y[0], LIN), P)
        h = hcell[i]
        log_prev = logp[i]
        stop = T1
        if w >= 0:
            stop = next_stop(kt, kj, w, t, T1)
        if e < e_end:
            stop = min(stop, ev_t[e])
        q = rec_col[i]
        status[i] = OK
        while t < T1:
            hs = h
            landing = False
            if t + hs >= stop - 1e-12 * (1.0 + abs(stop)):
                hs = stop - t
                landing = True
            elif hs < H_MIN:
                status[i] = TOO_STIFF
                break
            te = stop if landing else t + hs
            _stage_terms(i, hs, LIN, SG)
            for s in range(1, 7):
                for j in range(ns):
                    acc = 0.0
                    for m in range(s):
                        acc += TAB_A[s, m] * K[m, j]
                    Z[j] = Y[j] + hs * acc
                if s == 6:
                    for j in range(ns):
                        Yn[j] = Z[j]
                if s >= 5:  # the step's end: the stimulus's left limit there
                    I = sc * stim_at(kt, ka, kb, w, kc, te, True)
                else:
                    I = sc * stim_at(kt, ka, kb, w, kc, t + TAB_C[s] * hs, False)
                I += SG[1, s] - SG[0, s] * Z[0]
                rhs(z_p if s < 6 else yn_p, k_p, s * ns, I, P)
            err = 0.0
            for j in range(ns):
                if is_inst[j]:
                    continue
                acc = 0.0
                for m in range(7):
                    acc += TAB_E[m] * K[m, j]
                r = hs * acc / (atol + rtol * max(abs(Y[j]), abs(Yn[j])))
                err += r * r
            err = math.sqrt(err / n_err)
            if not (err <= 1.0):
                if hs < H_MIN:
                    status[i] = TOO_STIFF
                    break
                h = hs * (0.1 if err != err or err > 1e300 else max(0.2, 0.9 * err ** -0.17))
                continue
            V = Y[0]
            Vn = Yn[0]
            if not (abs(Vn) < 1e4):
                status[i] = DIVERGED
                break
            inst(yn_p, P)
            m0 = hs * K[0, 0]
            m1 = hs * K[6, 0]
            if not _spikes_in_step(i, t, hs, V, Vn, m0, m1, th, refr[i], sp_last, hold, out_t, out_n):
                status[i] = SPIKES_FULL
            if q >= 0:
                while rec_next[i] < n_rec:
                    r_i = rec_next[i]
                    tr = t0 + r_i * rec_dt
                    if tr > te + 1e-12 * (1.0 + abs(te)):
                        break
                    x = min(max((tr - t) / hs, 0.0), 1.0)
                    vr = _hermite(V, Vn, m0, m1, x)
                    rec_v[r_i, q] = vr
                    for j in range(1, ns):
                        if is_inst[j]:
                            rec_y[r_i, j - 1, q] = Y[j] + x * (Yn[j] - Y[j])
                        else:
                            rec_y[r_i, j - 1, q] = _hermite(Y[j], Yn[j], hs * K[0, j], hs * K[6, j], x)
                    G, GE = linear_terms(LIN.kind, LIN.tau1, LIN.tau2, LIN.E, LIN.cg, LIN.A, LIN.B, i, x * hs)
                    rec_i[r_i, q] = G * vr - GE  # outward positive, as the fixed-step loop records it
                    rec_next[i] = r_i + 1
            fac, log_prev = step_growth(err, log_prev)  # the point engine's PI step control
            h = min(h_max, max(h, hs * fac) if landing else hs * fac)
            linear_advance(LIN.kind, LIN.tau1, LIN.tau2, LIN.A, LIN.B, LIN.d1, LIN.d2, i, hs, -1.0)
            t = te
            for j in range(ns):
                Y[j] = Yn[j]
            if w >= 0:
                while kt[w, kc + 1] <= t:
                    kc += 1
            if landing:
                if t >= T1:
                    break
                e = _apply_events(i, t, e, e_end, ev_t, ev_g, ev_w, LIN)
                stop = T1
                if w >= 0:
                    stop = next_stop(kt, kj, w, t, T1)
                if e < e_end:
                    stop = min(stop, ev_t[e])
                rhs(y_p, k_p, 0, _drive(i, w, sc, kt, ka, kb, kc, t, False, 0.0, Y[0], LIN), P)
            else:
                for j in range(ns):
                    K[0, j] = K[6, j]
        hcell[i] = h
        logp[i] = log_prev
        if status[i] != OK:
            return c
    return -1


@njit(cache=True, error_model="numpy", fastmath=False)
def emit_events(sp_t, sp_src, n_sp, E, STP, T_next, pend_t, pend_post, pend_g, pend_w, n_pend):
    """Turn spikes (``sp_t``, ``sp_src``, in time order) into pending events over their
    outgoing edges, delivered at spike + delay (never before ``T_next``, the next window's
    start, which a delay of at least the window's length guarantees up to rounding), the
    weight scaled by the synapse's short-term release at delivery.  The caller makes room
    for every edge; returns the new number of pending events."""
    e_post, e_w, e_delay, e_group, e_stp, out_ptr = E.post, E.w, E.delay, E.group, E.stp, E.out_ptr
    stp_p, stp_u, stp_x, stp_t = STP
    m = n_pend
    for k in range(n_sp):
        src = sp_src[k]
        for e in range(out_ptr[src], out_ptr[src + 1]):
            td = max(sp_t[k] + e_delay[e], T_next)
            wgt = e_w[e]
            s = e_stp[e]
            if s >= 0 and stp_p[s, 0] > 0.0:
                wgt = wgt * tm_release(stp_p, stp_u, stp_x, stp_t, s, td)
            pend_t[m] = td
            pend_post[m] = e_post[e]
            pend_g[m] = e_group[e]
            pend_w[m] = wgt
            m += 1
    return m


@njit(cache=True, error_model="numpy", fastmath=False)
def take_window(T1, n_nodes, pend_t, pend_post, pend_g, pend_w, n_pend, ev_ptr, ev_t, ev_g, ev_w):
    """Move the pending events due before T1 into the window's per-node lists (by node,
    then by time; a stable sort keeps the order of equal times), and compact the rest.
    The caller sizes ``ev_t`` for all pending events.  Returns (events taken, left)."""
    for i in range(n_nodes + 1):
        ev_ptr[i] = 0
    taken = 0
    for k in range(n_pend):
        if pend_t[k] < T1:
            ev_ptr[pend_post[k] + 1] += 1
            taken += 1
    for i in range(n_nodes):
        ev_ptr[i + 1] += ev_ptr[i]
    fill = ev_ptr[:n_nodes].copy()
    keep = 0
    for k in range(n_pend):
        if pend_t[k] < T1:
            p = pend_post[k]
            at = fill[p]
            # insertion by time within the node's list (lists are short)
            while at > ev_ptr[p] and ev_t[at - 1] > pend_t[k]:
                ev_t[at] = ev_t[at - 1]
                ev_g[at] = ev_g[at - 1]
                ev_w[at] = ev_w[at - 1]
                at -= 1
            ev_t[at] = pend_t[k]
            ev_g[at] = pend_g[k]
            ev_w[at] = pend_w[k]
            fill[p] += 1
        else:
            pend_t[keep] = pend_t[k]
            pend_post[keep] = pend_post[k]
            pend_g[keep] = pend_g[k]
            pend_w[keep] = pend_w[k]
            keep += 1
    return taken, keep


__all__ = ["advance_cells", "emit_events", "take_window"]
