"""Fixed numba code of the network driver: synapse kinetics, the event queue, drive.

Everything here is independent of the neuron models' structure; the
generated driver (:mod:`hhsim.engine.network_codegen`) calls it.  Units:
conductances are densities on the target node (mS/cm²), currents µA/cm²,
times ms, voltages mV.

Synapse states
--------------
*Linear* synapses (exponential, alpha, bi-exponential) sum on their target:
one state pair ``(A, B)`` per (synapse group, target node), propagated
exactly between events:

* exp:    g = A,            A' = -A / t1;                      event: A += w
* alpha:  g = A,            A' = B - A / t1, B' = -B / t1;     event: B += w e / t1
* biexp:  g = A - B,        A' = -A / t1 (decay), B' = -B / t2 (rise); event: A, B += w f

*Kinetic* receptor synapses (Destexhe, Mainen & Sejnowski 1994) keep their
state on each edge and are advanced lazily and exactly: the transmitter is a
square pulse (amplitude T, duration Tdur), so between events each state obeys
a linear ODE with constant coefficients:

* pulse (AMPA, GABA-A, NMDA):  r' = alpha T (1 - r) - beta r;  g = w r (NMDA: times B(V))
* G-protein (GABA-B):  R' = K1 T (1 - R) - K2 R,  G' = K3 R - K4 G;  g = w G^n / (G^n + Kd)

*Graded* synapses (Wang & Buzsáki 1996) keep one gating variable per
(group, presynaptic node): s' = alpha F(V_pre) (1 - s) - beta s with
F = 1 / (1 + exp(-(V_pre - theta) / 2)), relaxed exactly at fixed V_pre.

The event queue
---------------
A ring of buckets, one per time step, each a linked list of (exact delivery
time, edge) entries in a pool of slots with a free list.  A spike at t_s
over an edge with delay d is delivered at exactly t_s + d; the driver splits
the target's step there.  A delivery that falls inside the step in which the
spike happened (d < dt) is made at the start of the next step and counted.

Every function here is compiled without numba's reference counting
(``_nrt=False``): none allocates, and the counting of the arrays passed
around cost more than the arithmetic in the node loop.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .compiled_only import compiled_only

LIN_EXP, LIN_ALPHA, LIN_BIEXP = 0, 1, 2
KIN_PULSE, KIN_GPROTEIN, KIN_CUSTOM = 0, 1, 2
#: A presynaptic id's ``immediate`` code (``network_lower._immediate``): its edges all arrive
#: at the next step's start, and (SORTED) are in order of their targets.
IMMEDIATE, IMMEDIATE_SORTED = 1, 2

_E = math.e


# ------------------------------------------------------------ linear synapses
@compiled_only(error_model="numpy", inline="always", _nrt=False)
def lin_conductance(kind, A, B, t1, t2, s):
    """Conductance of a linear synapse state (A, B) s ms after it was (A, B)."""
    if kind == LIN_EXP:
        return A * math.exp(-s / t1)
    if kind == LIN_ALPHA:
        return (A + B * s) * math.exp(-s / t1)
    return A * math.exp(-s / t1) - B * math.exp(-s / t2)


@compiled_only(error_model="numpy", inline="always", _nrt=False)
def lin_propagate(kind, A, B, s, e1, e2):
    """(A, B) after s ms without events (exact), given e1 = exp(-s/t1), e2 = exp(-s/t2)."""
    if kind == LIN_EXP:
        return A * e1, 0.0
    if kind == LIN_ALPHA:
        return (A + B * s) * e1, B * e1
    return A * e1, B * e2


@compiled_only(error_model="numpy", inline="always", _nrt=False)
def lin_event(kind, A, B, w, t1, norm):
    """(A, B) after an event of weight w (the peak conductance is w)."""
    if kind == LIN_EXP:
        return A + w, B
    if kind == LIN_ALPHA:
        return A, B + w * _E / t1
    return A + w * norm, B + w * norm


@compiled_only(error_model="numpy", inline="always", _nrt=False)
def linear_terms(lin_kind, lin_t1, lin_t2, lin_E, lin_cg, lin_A, lin_B, i, s):
    """(G, G*E) summed over the linear synapse groups of node i, s ms into the sub-step.
    A current group (``lin_cg`` 0, ``lin_E`` 1) adds its current (µA/cm²) to G*E only."""
    G = 0.0
    GE = 0.0
    for g in range(lin_kind.shape[0]):
        a = lin_A[g, i]
        b = lin_B[g, i]
        if a == 0.0 and b == 0.0:
            continue
        if s == 0.0:  # at the sub-step's start: no exponentials needed
            gg = a - b if lin_kind[g] == LIN_BIEXP else a
        else:
            gg = lin_conductance(lin_kind[g], a, b, lin_t1[g], lin_t2[g], s)
        G += gg * lin_cg[g]
        GE += gg * lin_E[g]
    return G, GE


@compiled_only(error_model="numpy", inline="always", _nrt=False)
def linear_advance(lin_kind, lin_t1, lin_t2, lin_A, lin_B, lin_d1, lin_d2, i, s, dt):
    """Propagate node i's linear synapse states by s ms (a whole step ``dt`` uses the
    decay factors ``lin_d1``, ``lin_d2`` computed once per run)."""
    for g in range(lin_kind.shape[0]):
        a = lin_A[g, i]
        b = lin_B[g, i]
        if a == 0.0 and b == 0.0:
            continue
        if s == dt:
            e1, e2 = lin_d1[g], lin_d2[g]
        else:
            e1, e2 = math.exp(-s / lin_t1[g]), math.exp(-s / lin_t2[g])
        a, b = lin_propagate(lin_kind[g], a, b, s, e1, e2)
        lin_A[g, i] = a
        lin_B[g, i] = b


@compiled_only(_nrt=False, fastmath=False)
def wave_values(kt, ka, kb, kj, cursor, t, t1, wa, wm, wb, wk):
    """Each waveform's value at the step's start, middle and end (left limit), and
    whether it jumps or bends strictly inside the step (then its nodes take the
    step in pieces)."""
    for w in range(cursor.shape[0]):
        wa[w] = stim_at(kt, ka, kb, w, cursor[w], t, False)
        wm[w] = stim_at(kt, ka, kb, w, cursor[w], 0.5 * (t + t1), False)
        wb[w] = stim_at(kt, ka, kb, w, cursor[w], t1, True)
        row = kt[w]
        k = cursor[w]
        inside = False
        while row[k + 1] < t1:
            if row[k + 1] > t and kj[w, k]:
                inside = True
            k += 1
        wk[w] = 1.0 if inside else 0.0


# ----------------------------------------------------------- kinetic synapses
@compiled_only(error_model="numpy", inline="always", _nrt=False)
def _relax(x, xinf, rate, s):
    return xinf + (x - xinf) * math.exp(-rate * s)


@compiled_only(error_model="numpy", _nrt=False, fastmath=False)
def _gprotein(R, G, T, K1, K2, K3, K4, s):
    """Exact (R, G) of the GABA-B cascade after s ms at transmitter T (mM)."""
    a = K1 * T + K2
    Rinf = K1 * T / a
    Ginf = K3 * Rinf / K4
    ea = math.exp(-a * s)
    e4 = math.exp(-K4 * s)
    d = K4 - a
    if abs(d) > 1e-9 * K4:
        cross = K3 * (R - Rinf) * (ea - e4) / d
    else:
        cross = K3 * (R - Rinf) * s * e4
    return Rinf + (R - Rinf) * ea, Ginf + (G - Ginf) * e4 + cross


@compiled_only(error_model="numpy", _nrt=False, fastmath=False)
def kin_advance(kind, p, r, g2, tlast, pend, T, t):
    """State (r, g2) of one kinetic edge at time t >= tlast (exact, lazily).

    ``p`` holds the group's rate constants: pulse (alpha, beta, Tdur),
    G-protein (K1, K2, K3, K4, Kd, n, Tdur) or custom (opening and closing
    rates during the pulse, Tdur, after it); ``pend`` is when the current
    transmitter pulse of amplitude ``T`` ends.
    """
    if t <= tlast:
        return r, g2
    on = 0.0
    if pend > tlast:
        on = min(t, pend) - tlast
    off = t - tlast - on
    if kind == KIN_PULSE:
        alpha, beta = p[0], p[1]
        if on > 0.0:
            r = _relax(r, alpha * T / (alpha * T + beta), alpha * T + beta, on)
        if off > 0.0:
            r = r * math.exp(-beta * off)
        return r, g2
    if kind == KIN_CUSTOM:  # p: opening and closing rates during the pulse, Tdur, after it
        if on > 0.0:
            r = _relax(r, p[0] / (p[0] + p[1]), p[0] + p[1], on)
        if off > 0.0:
            r = _relax(r, p[3] / (p[3] + p[4]), p[3] + p[4], off)
        return r, g2
    if on > 0.0:
        r, g2 = _gprotein(r, g2, T, p[0], p[1], p[2], p[3], on)
    if off > 0.0:
        r, g2 = _gprotein(r, g2, 0.0, p[0], p[1], p[2], p[3], off)
    return r, g2


@compiled_only(error_model="numpy", inline="always", _nrt=False)
def kin_output(kind, p, r, g2):
    """Fraction of the maximal conductance open: r, or G^n / (G^n + Kd)."""
    if kind != KIN_GPROTEIN:
        return r
    gn = g2 ** p[5]
    return gn / (gn + p[4])


@compiled_only(error_model="numpy", _nrt=False, fastmath=False)
def kinetic_terms(kin_ptr, kin_edge, kin_group, kin_w, kg_kind, kg_p, kg_E, kg_nmda,
                  kin_r, kin_g2, kin_tlast, kin_pend, kin_T, i, t):
    """(G, G*E) of node i's non-NMDA kinetic edges and (Gn, Gn*E) of its NMDA edges at t.

    Edge states are brought up to t (exact), so later calls start from there.
    """
    G = 0.0
    GE = 0.0
    Gn = 0.0
    GEn = 0.0
    for k in range(kin_ptr[i], kin_ptr[i + 1]):
        e = kin_edge[k]
        q = kin_group[e]
        r, g2 = kin_advance(kg_kind[q], kg_p[q], kin_r[e], kin_g2[e], kin_tlast[e], kin_pend[e], kin_T[e], t)
        kin_r[e] = r
        kin_g2[e] = g2
        if t > kin_tlast[e]:
            kin_tlast[e] = t
        gg = kin_w[e] * kin_output(kg_kind[q], kg_p[q], r, g2)
        if kg_nmda[q]:
            Gn += gg
            GEn += gg * kg_E[q]
        else:
            G += gg
            GE += gg * kg_E[q]
    return G, GE, Gn, GEn


@compiled_only(error_model="numpy", _nrt=False, fastmath=False)
def kin_release(kg_kind, kg_p, kg_T, kin_group, kin_r, kin_g2, kin_tlast, kin_pend, kin_T, e, t, frac):
    """A transmitter pulse starts on kinetic edge e at time t (``frac`` of the full release)."""
    q = kin_group[e]
    r, g2 = kin_advance(kg_kind[q], kg_p[q], kin_r[e], kin_g2[e], kin_tlast[e], kin_pend[e], kin_T[e], t)
    kin_r[e] = r
    kin_g2[e] = g2
    kin_tlast[e] = t
    tdur = kg_p[q, 6] if kg_kind[q] == KIN_GPROTEIN else kg_p[q, 2]
    kin_pend[e] = t + tdur
    kin_T[e] = kg_T[q] * frac


@compiled_only(error_model="numpy", inline="always", _nrt=False)
def mg_block(v, mg):
    """Jahr & Stevens (1990) magnesium block of NMDA receptors at v (mV), [Mg2+] mg (mM)."""
    return 1.0 / (1.0 + math.exp(-0.062 * v) * (mg / 3.57))


# ----------------------------------------------------------- graded synapses
@compiled_only(error_model="numpy", _nrt=False, fastmath=False)
def graded_update(gr_pre_nodes, gr_p, gr_s, v, dt):
    """Relax every graded gating variable over dt at its presynaptic V (exact at fixed V)."""
    for q in range(gr_s.shape[0]):
        alpha, beta, theta = gr_p[q, 0], gr_p[q, 1], gr_p[q, 2]
        for k in range(gr_pre_nodes.shape[1]):
            j = gr_pre_nodes[q, k]
            if j < 0:
                continue
            f = 1.0 / (1.0 + math.exp(-(v[j] - theta) / 2.0))
            a = alpha * f
            rate = a + beta
            gr_s[q, k] = _relax(gr_s[q, k], a / rate, rate, dt)


@compiled_only(error_model="numpy", _nrt=False, fastmath=False)
def graded_terms(gr_ptr, gr_group, gr_slot, gr_w, gr_E, gr_s, i):
    """(G, G*E) of node i's graded synapses from the current gating variables."""
    G = 0.0
    GE = 0.0
    for k in range(gr_ptr[i], gr_ptr[i + 1]):
        q = gr_group[k]
        gg = gr_w[k] * gr_s[q, gr_slot[k]]
        G += gg
        GE += gg * gr_E[q]
    return G, GE


@compiled_only(error_model="numpy", _nrt=False, fastmath=False)
def gap_terms(gap_ptr, gap_nbr, gap_g, v, i):
    """(G, G*V_neighbour) of node i's gap junctions, neighbours at the step's start."""
    G = 0.0
    GE = 0.0
    for k in range(gap_ptr[i], gap_ptr[i + 1]):
        G += gap_g[k]
        GE += gap_g[k] * v[gap_nbr[k]]
    return G, GE


# ----------------------------------------------------- short-term plasticity
@compiled_only(error_model="numpy", inline="always", _nrt=False)
def tm_release(stp_p, stp_u, stp_x, stp_t, s, t):
    """Tsodyks-Markram release fraction u x of synapse slot s at a spike at time t.

    Between spikes u decays to 0 with tau_fac and x recovers to 1 with
    tau_rec; at a spike u += U (1 - u), then r = u x is released and x -= r.
    ``stp_p[s]`` = (U, tau_rec, tau_fac); tau_fac = 0 means u = U at every spike.
    """
    U, trec, tfac = stp_p[s, 0], stp_p[s, 1], stp_p[s, 2]
    if stp_t[s] > -1e300:
        d = t - stp_t[s]
        stp_x[s] = 1.0 - (1.0 - stp_x[s]) * math.exp(-d / trec)
        if tfac > 0.0:
            stp_u[s] = stp_u[s] * math.exp(-d / tfac)
    if tfac > 0.0:
        stp_u[s] = stp_u[s] + U * (1.0 - stp_u[s])
    else:
        stp_u[s] = U
    r = stp_u[s] * stp_x[s]
    stp_x[s] -= r
    stp_t[s] = t
    return r


# ---------------------------------------------------------- counter-based RNG
@compiled_only(inline="always", _nrt=False)
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@compiled_only(_nrt=False, fastmath=False)
def uniform01(seed, stream, node, step, k):
    """A uniform number in (0, 1) that depends only on its five integer coordinates.

    SplitMix64 finalisers over the coordinates: the same numbers whatever the
    order of evaluation or the number of threads.
    """
    z = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)
    z = _mix(z ^ np.uint64(stream))
    z = _mix(z ^ np.uint64(node))
    z = _mix(z ^ np.uint64(step))
    z = _mix(z ^ np.uint64(k))
    return ((z >> np.uint64(11)) + np.uint64(1)) * (1.0 / 9007199254740994.0)


@compiled_only(_nrt=False, fastmath=False)
def normal01(seed, stream, node, step):
    """A standard normal number (Box-Muller) from the same coordinates."""
    u1 = uniform01(seed, stream, node, step, 0)
    u2 = uniform01(seed, stream, node, step, 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def poisson_inversion_py(lam, u):
    """The Poisson(lam) count at which the cumulative probability first reaches u
    (inversion: exact, O(lam) work); also the NumPy back end's, run as Python."""
    k = 0
    p = math.exp(-lam)
    cum = p
    while u > cum and k < 100000:
        k += 1
        p *= lam / k
        cum += p
    return k


poisson_inversion = njit(cache=True, _nrt=False, fastmath=False)(poisson_inversion_py)


@compiled_only(_nrt=False, fastmath=False)
def poisson_count(lam, seed, stream, node, step):
    """A Poisson(lam) count by inversion of the uniform number of k = 2."""
    return poisson_inversion(lam, uniform01(seed, stream, node, step, 2))


# ------------------------------------------------------------------ stimulus
@compiled_only(error_model="numpy", inline="always", _nrt=False)
def stim_at(kt, ka, kb, w, kc, tau, left):
    """Piecewise-linear stimulus w at tau >= kt[w, kc] (left limit at a knot if ``left``)."""
    if w < 0:
        return 0.0
    row = kt[w]
    k = kc
    if left:
        while row[k + 1] < tau:
            k += 1
    else:
        while row[k + 1] <= tau:
            k += 1
    frac = (tau - row[k]) / (row[k + 1] - row[k])
    return ka[w, k] + (kb[w, k] - ka[w, k]) * frac


@compiled_only(_nrt=False, fastmath=False)
def advance_cursors(kt, cursor, t):
    """Move each waveform's knot cursor to the interval holding t."""
    for w in range(cursor.shape[0]):
        row = kt[w]
        k = cursor[w]
        while row[k + 1] <= t:
            k += 1
        cursor[w] = k


@compiled_only(_nrt=False, fastmath=False)
def noise_update(noise_p, noise_I, noise_nodes, seed, step, dt):
    """Exact Ornstein-Uhlenbeck update of every noise current over one step.

    ``noise_p[i]`` = (mean µA/cm², std µA/cm², tau ms); held constant over the step;
    ``noise_nodes``: the nodes with tau > 0 (a network without noise loops over none).
    """
    for i in noise_nodes:
        tau = noise_p[i, 2]
        mu, sd = noise_p[i, 0], noise_p[i, 1]
        e = math.exp(-dt / tau)
        noise_I[i] = mu + (noise_I[i] - mu) * e + sd * math.sqrt(1.0 - e * e) * normal01(seed, 7, i, step)


# --------------------------------------------------------------- event queue
@compiled_only(_nrt=False, fastmath=False)
def queue_push(q_time, q_edge, q_next, head, tail, free, n_free, bucket, t, edge):
    """Append (t, edge) to ``bucket``; False if the pool is full."""
    nf = n_free[0]
    if nf == 0:
        return False
    slot = free[nf - 1]
    n_free[0] = nf - 1
    q_time[slot] = t
    q_edge[slot] = edge
    q_next[slot] = -1
    if tail[bucket] < 0:
        head[bucket] = slot
    else:
        q_next[tail[bucket]] = slot
    tail[bucket] = slot
    return True


@compiled_only(_nrt=False, fastmath=False)
def gather_events(q_time, q_edge, q_next, head, tail, free, n_free, bucket, e_post, n_nodes,
                  ev_time, ev_code, ev_n, node_ptr, t_start, late):
    """Empty ``bucket`` into per-node lists sorted by time (counting sort by node).

    Fills ``ev_time``/``ev_code`` (codes: edge ids) grouped by node, with
    ``node_ptr`` (n_nodes + 1) as offsets; events before ``t_start`` (delay
    shorter than a step) are moved to ``t_start`` and counted in ``late``.
    Returns the number of events, or -1 if the step arrays are too small.
    """
    n = 0
    slot = head[bucket]
    while slot >= 0:
        n += 1
        slot = q_next[slot]
    if n > ev_time.shape[0]:
        return -1
    if n == 0 and node_ptr[n_nodes] == 0:
        return 0  # nothing now, nothing last step: the offsets are all 0 already
    for i in range(n_nodes + 1):
        node_ptr[i] = 0
    slot = head[bucket]
    while slot >= 0:
        node_ptr[e_post[q_edge[slot]] + 1] += 1
        slot = q_next[slot]
    for i in range(n_nodes):
        node_ptr[i + 1] += node_ptr[i]
        ev_n[i] = node_ptr[i]
    slot = head[bucket]
    while slot >= 0:
        i = e_post[q_edge[slot]]
        k = ev_n[i]
        tt = q_time[slot]
        if tt < t_start:
            tt = t_start
            late[0] += 1
        ev_time[k] = tt
        ev_code[k] = q_edge[slot]
        ev_n[i] = k + 1
        nxt = q_next[slot]
        free[n_free[0]] = slot
        n_free[0] += 1
        slot = nxt
    head[bucket] = -1
    tail[bucket] = -1
    for i in range(n_nodes):  # insertion sort inside each node's (short) list
        for a in range(node_ptr[i] + 1, node_ptr[i + 1]):
            tt = ev_time[a]
            cc = ev_code[a]
            b = a - 1
            while b >= node_ptr[i] and (ev_time[b] > tt or (ev_time[b] == tt and ev_code[b] > cc)):
                ev_time[b + 1] = ev_time[b]
                ev_code[b + 1] = ev_code[b]
                b -= 1
            ev_time[b + 1] = tt
            ev_code[b + 1] = cc
    return n


@compiled_only(_nrt=False, fastmath=False)
def step_of(td, t0, dt):
    """The step n whose interval [t0 + n dt, t0 + (n + 1) dt) holds time ``td`` (ms), its
    ends computed as the time loop computes them.  ``floor((td - t0) / dt)`` alone can
    be one off at a step's end (4.1 / 0.0025 = 1639.9999999999998): an event put into
    the step that ends exactly at its time was never delivered."""
    n = int(math.floor((td - t0) / dt))
    if t0 + (n + 1) * dt <= td:
        n += 1
    elif t0 + n * dt > td:
        n -= 1
    return n


@compiled_only(error_model="numpy", inline="always", _nrt=False)
def _delivered_late(td, t_next, group, slot):
    """An edge delivered at arrival time ``td`` (ms) goes straight into the linear
    synapse's increments at the next step's start ``t_next`` (not through the queue):
    it falls before that start, and it is linear without plasticity (``slot`` < 0)."""
    return td < t_next and group >= 0 and slot < 0


@compiled_only(error_model="numpy", inline="always", _nrt=False)
def _first_at_least(e_post, e_lo, e_hi, node):
    """The first edge of e_lo .. e_hi - 1 (in order of their targets) whose target is at
    least ``node``, else e_hi: bisection."""
    while e_lo < e_hi:
        mid = (e_lo + e_hi) // 2
        if e_post[mid] < node:
            e_lo = mid + 1
        else:
            e_hi = mid
    return e_lo


@njit(cache=True, error_model="numpy", inline="always", _nrt=False)  # also called by tests
def _target_run(e_post, e_lo, e_hi, lo, hi):
    """The edges of e_lo .. e_hi - 1 (in order of their targets) whose targets are in
    lo .. hi - 1: (first, end)."""
    first = _first_at_least(e_post, e_lo, e_hi, lo)
    return first, _first_at_least(e_post, first, e_hi, hi)


@compiled_only(error_model="numpy", inline="always", _nrt=False)
def _deliver_edges(e_lo, e_hi, e_post, e_w, e_group, lin_kind, lin_t1, lin_norm, lin_dA, lin_dB, lo, hi):
    """Edges e_lo .. e_hi - 1 of one spike, all linear, without plasticity and arriving
    before the next step's start: their increments into ``lin_dA``/``lin_dB`` for the
    target nodes lo .. hi - 1 (the arithmetic of :func:`push_queued`'s edge by edge)."""
    for e in range(e_lo, e_hi):
        i = e_post[e]
        if i < lo or i >= hi:
            continue
        g = e_group[e]
        a, b = lin_event(lin_kind[g], lin_dA[g, i], lin_dB[g, i], e_w[e], lin_t1[g], lin_norm[g])
        lin_dA[g, i] = a
        lin_dB[g, i] = b


@compiled_only(_nrt=False, fastmath=False)
def push_queued(sp_t, sp_src, n_sp, out_ptr, e_delay, q_time, q_edge, q_next, head, tail, free, n_free,
                t0, dt, n_buckets, step_now, e_post, e_w, e_group, e_stp, lin_kind, lin_t1, lin_norm, lin_dA,
                lin_dB, late, deliver, immediate):
    """Queue every outgoing edge of the spikes (sp_t, sp_src) of step ``step_now``;
    returns how many spikes were fully pushed (fewer than ``n_sp`` when the pool ran out).

    An edge whose delivery falls before the next step's start (a delay shorter
    than the rest of the step) is delivered at that start; for a linear synapse
    without plasticity its increment goes straight into ``lin_dA``/``lin_dB``,
    added at the next step's start, instead of through the queue (the same
    result: increments of one instant commute); counted in ``late``.  With
    ``deliver`` False those increments are left to :func:`deliver_late` (the time
    loop's threads, each for its own nodes); then a spike whose edges all go there
    (``immediate``: :func:`hhsim.engine.network_lower._immediate`) is only counted.
    """
    t_next = t0 + (step_now + 1) * dt
    for k in range(n_sp):
        src = sp_src[k]
        need = out_ptr[src + 1] - out_ptr[src]
        if need > n_free[0]:
            return k
        if immediate[src] and sp_t[k] < t_next:
            # every edge arrives now (delay 0), before the next step's start
            late[0] += need
            if deliver:
                _deliver_edges(out_ptr[src], out_ptr[src + 1], e_post, e_w, e_group, lin_kind, lin_t1, lin_norm,
                               lin_dA, lin_dB, 0, lin_dA.shape[1])
            continue
        for e in range(out_ptr[src], out_ptr[src + 1]):
            td = sp_t[k] + e_delay[e]
            if _delivered_late(td, t_next, e_group[e], e_stp[e]):
                late[0] += 1
                if deliver:
                    g = e_group[e]
                    i = e_post[e]
                    a, b = lin_event(lin_kind[g], lin_dA[g, i], lin_dB[g, i], e_w[e], lin_t1[g], lin_norm[g])
                    lin_dA[g, i] = a
                    lin_dB[g, i] = b
                continue
            step = step_of(td, t0, dt)
            if step <= step_now:
                step = step_now + 1
            queue_push(q_time, q_edge, q_next, head, tail, free, n_free, step % n_buckets, td, e)
    return n_sp


@compiled_only(_nrt=False, fastmath=False)
def deliver_late(sp_t, sp_src, n_sp, out_ptr, e_delay, t_next, e_post, e_w, e_group, e_stp, lin_kind, lin_t1,
                 lin_norm, lin_dA, lin_dB, lo, hi, immediate):
    """The increments :func:`push_queued` left undelivered: the spikes' edges that fall
    before the next step's start ``t_next`` (ms) into ``lin_dA``/``lin_dB``, for the
    target nodes lo .. hi - 1 only, so that threads owning disjoint nodes deliver at
    once; each node's increments are added in spike and edge order, as by one thread."""
    for k in range(n_sp):
        src = sp_src[k]
        if immediate[src] and sp_t[k] < t_next:  # every edge arrives now (delay 0)
            e_lo, e_hi = out_ptr[src], out_ptr[src + 1]
            if immediate[src] == IMMEDIATE_SORTED:  # this thread's targets: a run of the edges
                e_lo, e_hi = _target_run(e_post, e_lo, e_hi, lo, hi)
            _deliver_edges(e_lo, e_hi, e_post, e_w, e_group, lin_kind, lin_t1, lin_norm, lin_dA, lin_dB, lo, hi)
            continue
        for e in range(out_ptr[src], out_ptr[src + 1]):
            i = e_post[e]
            if i < lo or i >= hi or not _delivered_late(sp_t[k] + e_delay[e], t_next, e_group[e], e_stp[e]):
                continue
            g = e_group[e]
            a, b = lin_event(lin_kind[g], lin_dA[g, i], lin_dB[g, i], e_w[e], lin_t1[g], lin_norm[g])
            lin_dA[g, i] = a
            lin_dB[g, i] = b


@compiled_only(_nrt=False, fastmath=False)
def push_spikes(sp_t, sp_src, n_sp, out_ptr, e_delay, q_time, q_edge, q_next, head, tail, free, n_free,
                t0, dt, n_buckets, step_now, e_post, e_w, e_group, e_stp, lin_kind, lin_t1, lin_norm, lin_dA,
                lin_dB, late, immediate):
    """:func:`push_queued`, delivering the increments too."""
    return push_queued(sp_t, sp_src, n_sp, out_ptr, e_delay, q_time, q_edge, q_next, head, tail, free, n_free,
                       t0, dt, n_buckets, step_now, e_post, e_w, e_group, e_stp, lin_kind, lin_t1, lin_norm, lin_dA,
                       lin_dB, late, True, immediate)


@compiled_only(_nrt=False, fastmath=False)
def apply_late(lin_kind, lin_A, lin_B, lin_dA, lin_dB, lo, hi):
    """Add the increments delivered at this step's start to nodes lo .. hi - 1 and clear them.

    An exponential synapse's event leaves B alone (``lin_event``): its
    increments there are all 0 and are skipped.  Unsigned indices keep the
    loops free of numba's wrap-around of negative indices (so they vectorise).
    """
    for g in range(lin_A.shape[0]):
        a, da = lin_A[g], lin_dA[g]
        for i in range(np.uint64(lo), np.uint64(hi)):
            a[i] += da[i]
            da[i] = 0.0
        if lin_kind[g] != LIN_EXP:
            b, db = lin_B[g], lin_dB[g]
            for i in range(np.uint64(lo), np.uint64(hi)):
                b[i] += db[i]
                db[i] = 0.0


# ---------------------------------------------------------- spike-timing-dependent plasticity
# The record PL (built by network_lower._plasticity), per plasticity slot s (an edge with
# short-term or spike-timing-dependent plasticity: e_stp[e] = s), per rule r, per target
# node i and per target row q (a node that plastic edges reach):
#   pl_p[r]  = (tau_plus, tau_minus, A_plus, A_minus, w_max, w_min, multiplicative)
#   pl_rule[s] its rule (-1: none), pl_x[s] its presynaptic trace just after its last
#   presynaptic spike, which reached the synapse at pl_s[s] (ms); pl_k[s] how many of its
#   target's postsynaptic spikes it has counted; pl_edge[s] its edge; pl_dd[s] its
#   dendritic delay (ms: 0 axonal, the synaptic delay dendritic);
#   pl_row[i] node i's row q (-1: no plastic synapse reaches it), pl_n[i] its spikes so far;
#   pl_rt[q, k % H], pl_ry[q, k % H]: the time of its k-th spike and its postsynaptic
#   trace just after it (the last H kept), pl_tau[q] that trace's decay time (ms);
#   pl_in_ptr, pl_in: node i's plastic slots (CSR); pl_w: the edges' weights (E's e_w);
#   pl_flag[0]: 1 if a history needed had been overwritten.
# The weight changes are applied in the order the synapse sees the spikes: a presynaptic
# spike first takes the potentiations by its target's spikes that reached the synapse
# before it (as NEST's stdp_synapse does, lazily), then its own depression.


@compiled_only(error_model="numpy", inline="always", _nrt=False)
def _stdp_up(w, x, r, pl_p):
    """Weight w potentiated by the presynaptic trace x under rule r, within its bounds."""
    wmax, wmin = pl_p[r, 4], pl_p[r, 5]
    if pl_p[r, 6] != 0.0:
        w = w + pl_p[r, 2] * (wmax - w) * x
    else:
        w = w + pl_p[r, 2] * wmax * x
    return min(max(w, wmin), wmax)


@compiled_only(error_model="numpy", inline="always", _nrt=False)
def _stdp_down(w, y, r, pl_p):
    """Weight w depressed by the postsynaptic trace y under rule r, within its bounds."""
    wmax, wmin = pl_p[r, 4], pl_p[r, 5]
    if pl_p[r, 6] != 0.0:
        w = w - pl_p[r, 3] * (w - wmin) * y
    else:
        w = w - pl_p[r, 3] * wmax * y
    return min(max(w, wmin), wmax)


@compiled_only(error_model="numpy", _nrt=False, fastmath=False)
def stdp_facilitate(s, i, upto, w, PL):
    """Slot s's weight w potentiated by each spike of its target node i that reaches the
    synapse at or before ``upto`` (ms) and was not counted yet, in order, each with the
    presynaptic trace at its arrival; returns the weight."""
    pl_p, pl_rule, pl_x, pl_s, pl_k, pl_edge, pl_dd, pl_row, pl_n, pl_rt = (PL.p, PL.rule, PL.x, PL.s, PL.k,
        PL.edge, PL.dd, PL.row, PL.n, PL.rt)
    r = pl_rule[s]
    q = pl_row[i]
    n = pl_n[i]
    H = pl_rt.shape[1]
    k = pl_k[s]
    if k < n - H:
        PL.flag[0] = 1
        k = n - H
    dd = pl_dd[s]
    x0 = pl_x[s]
    s0 = pl_s[s]
    tp = pl_p[r, 0]
    while k < n:
        tk = pl_rt[q, k % H] + dd
        if tk > upto:
            break
        w = _stdp_up(w, x0 * math.exp(-(tk - s0) / tp), r, pl_p)
        k += 1
    pl_k[s] = k
    return w


@compiled_only(error_model="numpy", _nrt=False, fastmath=False)
def stdp_post_trace(i, T, PL):
    """Node i's postsynaptic trace just before T (ms): its spikes strictly before T."""
    pl_row, pl_n, pl_rt, pl_ry, pl_tau = PL.row, PL.n, PL.rt, PL.ry, PL.tau
    q = pl_row[i]
    n = pl_n[i]
    H = pl_rt.shape[1]
    k = n - 1
    while k >= max(n - H, 0):
        tk = pl_rt[q, k % H]
        if tk < T:
            return pl_ry[q, k % H] * math.exp(-(T - tk) / pl_tau[q])
        k -= 1
    if n > H:
        PL.flag[0] = 1
    return 0.0


@compiled_only(error_model="numpy", _nrt=False, fastmath=False)
def stdp_pre(i, e, s, te, PL):
    """Edge e (slot s) onto node i delivers a presynaptic spike at te (ms): it reached the
    synapse at te minus the dendritic delay.  Potentiate by the target's spikes that
    reached the synapse before it, depress by the target's trace, add to the
    presynaptic trace; returns the weight the event carries (before its own depression)."""
    pl_p, pl_rule, pl_x, pl_s, pl_dd, pl_w = PL.p, PL.rule, PL.x, PL.s, PL.dd, PL.w
    r = pl_rule[s]
    S = te - pl_dd[s]
    w = stdp_facilitate(s, i, S, pl_w[e], PL)
    w_event = w
    y = stdp_post_trace(i, S - pl_dd[s], PL)
    pl_w[e] = _stdp_down(w, y, r, pl_p)
    pl_x[s] = pl_x[s] * math.exp(-(S - pl_s[s]) / pl_p[r, 0]) + 1.0
    pl_s[s] = S
    return w_event


@compiled_only(error_model="numpy", _nrt=False, fastmath=False)
def stdp_post(i, ts, PL):
    """Node i (a plastic target) spikes at ts (ms): note it in its history and trace.  When
    the history is full, its oldest spike is counted first by each synapse that has not
    counted it (exact when it reached the synapse before any presynaptic spike still to
    come, i.e. 2 dendritic delays ago; else ``pl_flag``)."""
    pl_k, pl_edge, pl_dd, pl_row, pl_n, pl_rt, pl_ry, pl_tau, pl_in_ptr, pl_in, pl_w = (PL.k, PL.edge, PL.dd,
        PL.row, PL.n, PL.rt, PL.ry, PL.tau, PL.in_ptr, PL.inbound, PL.w)
    q = pl_row[i]
    n = pl_n[i]
    H = pl_rt.shape[1]
    if n >= H:
        old = n - H
        t_old = pl_rt[q, old % H]
        for a in range(pl_in_ptr[i], pl_in_ptr[i + 1]):
            s = pl_in[a]
            if pl_k[s] <= old:
                if t_old + 2.0 * pl_dd[s] > ts:
                    PL.flag[0] = 1
                e = pl_edge[s]
                pl_w[e] = stdp_facilitate(s, i, t_old + pl_dd[s], pl_w[e], PL)
    y = 0.0
    if n > 0:
        j = (n - 1) % H
        y = pl_ry[q, j] * math.exp(-(ts - pl_rt[q, j]) / pl_tau[q])
    pl_rt[q, n % H] = ts
    pl_ry[q, n % H] = y + 1.0
    pl_n[i] = n + 1


@njit(cache=True, error_model="numpy", _nrt=False, fastmath=False)  # called by the runner, in Python
def stdp_flush(t_end, e_post, PL):
    """At the end of a run (t_end ms): every plastic synapse counts the target spikes that
    reached it by then (their potentiation otherwise waits for its next presynaptic spike)."""
    pl_rule, pl_edge, pl_w = PL.rule, PL.edge, PL.w
    for s in range(pl_rule.shape[0]):
        if pl_rule[s] >= 0:
            e = pl_edge[s]
            pl_w[e] = stdp_facilitate(s, e_post[e], t_end, pl_w[e], PL)


@njit(cache=True, error_model="numpy", _nrt=False, fastmath=False)  # called by the runner, in Python
def stdp_weights_now(t, slots, e_post, PL, out):
    """The weights of plastic slots ``slots`` as known at time t (ms), into ``out``: each
    with the potentiations by its target's spikes that reached the synapse by its last
    delivery's synapse time or t minus its dendritic delay, whichever is later (every
    change the synapse has seen by then), without counting them (the run goes on as if
    unsampled)."""
    pl_p, pl_rule, pl_x, pl_s, pl_k, pl_edge, pl_dd, pl_row, pl_n, pl_rt = (PL.p, PL.rule, PL.x, PL.s, PL.k,
        PL.edge, PL.dd, PL.row, PL.n, PL.rt)
    pl_w = PL.w
    H = pl_rt.shape[1]
    for a in range(slots.shape[0]):
        s = slots[a]
        e = pl_edge[s]
        i = e_post[e]
        r = pl_rule[s]
        q = pl_row[i]
        w = pl_w[e]
        upto = t - pl_dd[s]
        k = max(pl_k[s], pl_n[i] - H)
        while k < pl_n[i]:
            tk = pl_rt[q, k % H] + pl_dd[s]
            if tk > upto:
                break
            w = _stdp_up(w, pl_x[s] * math.exp(-(tk - pl_s[s]) / pl_p[r, 0]), r, pl_p)
            k += 1
        out[a] = w
