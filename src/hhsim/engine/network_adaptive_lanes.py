"""Adaptive network cells in SIMD lanes: ``LANES`` cells stepped at once, each its own steps.

:func:`advance_lanes` does what :func:`hhsim.engine.network_adaptive.advance_cells`
does for one cell at a time (the same Dormand-Prince tableau, error test, PI step
control and step limits; steps shortened to land on the cell's events, its
stimulus's jumps and the window's end; events applied exactly; linear synapses
propagated exactly; spikes on the cubic Hermite interpolant with the dead-time
rule; the state monitor), but for ``LANES`` cells together: each lane holds one
cell with its own time, step size and next stop, and every stage of every lane
is computed in one loop over the lanes (the stage sums, then the structure's
vectorised right-hand side, :mod:`hhsim.engine.network_adaptive_codegen`).  What
differs between lanes (accepting or rejecting a step, spikes, events, recording)
is done lane by lane between the stages.  A lane whose cell reached the window's
end takes the next cell of its range, so the lanes stay busy until the last
cells of the range; an empty lane computes on a copy of a cell's state and its
results are dropped.

Every lane runs the same instructions (no contraction of multiply-adds, a loop
without remainder), so a cell's bits do not depend on its lane, on its
neighbours, or on how the cells are split between threads.  They differ from the
one-cell path's in the last bits (that path contracts multiply-adds).

Units: t in ms, V in mV, conductances mS/cm², currents µA/cm².
"""

from __future__ import annotations

import math

import numpy as np
from numba import carray, njit

from .kernel_helpers import fexp
from .network_adaptive import (DIVERGED, OK, TAB_A, TAB_C, TAB_E, TOO_STIFF, SPIKES_FULL, _apply_events, _drive,
                               _hermite, _powers, _spikes_in_step)
from .network_adaptive_codegen import LANES, STAGE_ROWS
from .network_adaptive_control import lanes_step_growth
from .network_kernels import LIN_ALPHA, LIN_EXP, lin_propagate, linear_terms, stim_at
from .solvers.dopri5 import H_MIN
from .solvers.dopri5_driver import count_not_after, data_pointer, next_stop

#: The scratch row of the stage block (a lane's restart slope).
_SCRATCH = STAGE_ROWS - 1


@njit(cache=True, error_model="numpy", fastmath=False)
def _next_stop(i, t, T1, w, kt, kj, e, e_end, ev_t):
    """Cell i's next stop after t: the window's end, its stimulus's next knot where it
    jumps or bends, its next event."""
    stop = T1
    if w >= 0:
        stop = next_stop(kt, kj, w, t, T1)
    if e < e_end:
        stop = min(stop, ev_t[e])
    return stop


@njit(cache=True, error_model="numpy", inline="always")
def _add_stages(g1, g2, g3, g4, g5, cg, E, GS, GES, l):
    """Add one group's conductance at the stages (g1 .. g4 inside the step, g5 at its end)
    to lane l's G (times ``cg``) and G E."""
    GS[1, l] += g1 * cg
    GS[2, l] += g2 * cg
    GS[3, l] += g3 * cg
    GS[4, l] += g4 * cg
    GS[5, l] += g5 * cg
    GS[6, l] += g5 * cg
    GES[1, l] += g1 * E
    GES[2, l] += g2 * E
    GES[3, l] += g3 * E
    GES[4, l] += g4 * E
    GES[5, l] += g5 * E
    GES[6, l] += g5 * E


@njit(cache=True, error_model="numpy", fastmath=False)
def _lane_synapses(base, cell, hs, LIN, AL, BL, GS_a, GES_a, DEC_a):
    """The lanes' linear synapses at the stage times of their steps (``hs``, ms):
    ``GS[s, l]`` = G and ``GES[s, l]`` = G E at stage s = 1 .. 6 of lane l (stages 5
    and 6 at the step's end), and each group's decay over the whole step in
    ``DEC[g, 0 or 1, l]`` (for tau1, tau2; propagating the states after the step).
    One exponential per group, time constant and lane (its decay over a ninetieth of
    the step, raised to the stages' powers: the stage times are 18, 27, 72, 80 and 90
    ninetieths of the step), every lane at once; an empty lane's states count as 0.
    The arrays are viewed with their lane extent fixed, so that LLVM vectorises."""
    lin_kind, lin_t1, lin_t2, lin_E, lin_A, lin_B, lin_cg = LIN.kind, LIN.tau1, LIN.tau2, LIN.E, LIN.A, LIN.B, LIN.cg
    L = LANES
    ng = lin_kind.shape[0]
    GS = carray(data_pointer(GS_a), (7, LANES))
    GES = carray(data_pointer(GES_a), (7, LANES))
    DEC = carray(data_pointer(DEC_a), (ng, 2, LANES))
    for s in range(7):
        for l in range(L):
            GS[s, l] = 0.0
            GES[s, l] = 0.0
    for g in range(ng):
        for l in range(L):
            c = cell[l]
            AL[l] = lin_A[g, base + c] if c >= 0 else 0.0
            BL[l] = lin_B[g, base + c] if c >= 0 else 0.0
        kind = lin_kind[g]
        r1 = -1.0 / (90.0 * lin_t1[g])
        r2 = -1.0 / (90.0 * lin_t2[g])
        cg = lin_cg[g]
        E = lin_E[g]
        if kind == LIN_EXP:
            for l in range(L):
                p18, p27, p72, p80, p90 = _powers(fexp(hs[l] * r1))
                DEC[g, 0, l] = p90
                a = AL[l]
                _add_stages(a * p18, a * p27, a * p72, a * p80, a * p90, cg, E, GS, GES, l)
        elif kind == LIN_ALPHA:
            for l in range(L):
                p18, p27, p72, p80, p90 = _powers(fexp(hs[l] * r1))
                DEC[g, 0, l] = p90
                a = AL[l]
                bh = BL[l] * hs[l]
                _add_stages((a + bh * TAB_C[1]) * p18, (a + bh * TAB_C[2]) * p27, (a + bh * TAB_C[3]) * p72,
                            (a + bh * TAB_C[4]) * p80, (a + bh) * p90, cg, E, GS, GES, l)
        else:
            for l in range(L):
                p18, p27, p72, p80, p90 = _powers(fexp(hs[l] * r1))
                q18, q27, q72, q80, q90 = _powers(fexp(hs[l] * r2))
                DEC[g, 0, l] = p90
                DEC[g, 1, l] = q90
                a = AL[l]
                b = BL[l]
                _add_stages(a * p18 - b * q18, a * p27 - b * q27, a * p72 - b * q72, a * p80 - b * q80,
                            a * p90 - b * q90, cg, E, GS, GES, l)


@njit(cache=True, error_model="numpy", fastmath=False)
def _propagate(i, l, step, LIN, DEC):
    """Cell i's linear synapse states after its accepted step of lane l (exact, with the
    step's decays from :func:`_lane_synapses`)."""
    lin_kind, lin_A, lin_B = LIN.kind, LIN.A, LIN.B
    for g in range(lin_kind.shape[0]):
        a = lin_A[g, i]
        b = lin_B[g, i]
        if a == 0.0 and b == 0.0:
            continue
        a, b = lin_propagate(lin_kind[g], a, b, step, DEC[g, 0, l], DEC[g, 1, l])
        lin_A[g, i] = a
        lin_B[g, i] = b


@njit(cache=True, error_model="numpy", fastmath=False)
def _record(i, q, t, te, hs, l, Y, Z, K, LIN, REC):
    """The state monitor's samples of cell i (column q) inside the accepted step
    [t, te] of lane l (from Y to Z): V and the states on the step's cubic Hermite
    interpolant, the synaptic current at V."""
    rec_col, rec_next, rec_dt, t0, rec_v, rec_y, rec_i = REC
    n_rec = rec_v.shape[0]
    ns = Y.shape[0]
    while rec_next[i] < n_rec:
        r_i = rec_next[i]
        tr = t0 + r_i * rec_dt
        if tr > te + 1e-12 * (1.0 + abs(te)):
            break
        x = min(max((tr - t) / hs, 0.0), 1.0)
        vr = _hermite(Y[0, l], Z[0, l], hs * K[0, 0, l], hs * K[6, 0, l], x)
        rec_v[r_i, q] = vr
        for j in range(1, ns):
            rec_y[r_i, j - 1, q] = _hermite(Y[j, l], Z[j, l], hs * K[0, j, l], hs * K[6, j, l], x)
        G, GE = linear_terms(LIN.kind, LIN.tau1, LIN.tau2, LIN.E, LIN.cg, LIN.A, LIN.B, i, x * hs)
        rec_i[r_i, q] = G * vr - GE  # outward positive, as the fixed-step loop records it
        rec_next[i] = r_i + 1


@njit(cache=True, error_model="numpy", nogil=True, fastmath=False)
def advance_lanes(rhs, Ys, params, SL, base, T0, T1, CELL, LIN, ST, EVW, OUT, REC, tol, lo, hi):
    """Integrate cells lo .. hi - 1 of one membrane structure across the window [T0, T1]
    in lanes (see the module's docstring).

    ``rhs``: the structure's ``lanes_rhs``; ``Ys[c]``: cell c's (V, x0, ..);
    ``params[c]``: its parameter row; ``SL``: each cell's slope at its time
    (:class:`~hhsim.engine.network_tables.LaneSlopes`); ``base``: the structure's first
    node; the records as :func:`hhsim.engine.network_adaptive.advance_cells` takes
    them.  Returns -1, or a cell that failed (its status in ``CELL.status``; the run
    stops).

    A cell's slope at the start of a step is the last step's end slope (first same as
    last), also across an event and a window's end: only the drive jumps there (a
    synapse's state, the stimulus), and dV/dt is linear in it, so the slope is
    corrected by the jump of the current over C_m instead of evaluated again.
    """
    thr, refr, sp_last, hold, hcell, logp, status = CELL
    kt, ka, kb, kj, wave, scale = ST.kt, ST.ka, ST.kb, ST.kj, ST.wave, ST.scale
    ev_ptr, ev_t, ev_g, ev_w = EVW
    out_t, out_n = OUT
    rec_col = REC.col
    rtol, atol, h_max = tol
    L = LANES
    if hi <= lo:
        return -1
    nv = Ys.shape[1]
    npar = params.shape[1]
    Y = np.empty((nv, L))
    Z = np.empty((nv, L))
    K = np.zeros((STAGE_ROWS, nv, L))
    PL = np.empty((npar, L))
    IL = np.zeros(L)
    IS = np.zeros((7, L))     # the stimulus at each stage
    GS = np.zeros((7, L))     # the linear synapses' G at each stage
    GES = np.zeros((7, L))    # and their G E
    ng = LIN.kind.shape[0]
    AL = np.zeros(L)
    BL = np.zeros(L)
    DEC = np.ones((ng, 2, L))  # each group's decay over each lane's step
    hs = np.zeros(L)
    err = np.zeros(L)
    D = np.zeros(L)           # a lane's error estimate of one state
    dI = np.zeros(L)          # the jump of a lane's drive at its step's end (µA/cm²)
    fac = np.zeros(L)         # an accepted step's growth factor
    lp_next = np.zeros(L)     # and the log error the step control remembers
    ok = np.zeros(L, dtype=np.bool_)
    cell = np.full(L, -1, dtype=np.int64)
    t = np.zeros(L)
    h = np.zeros(L)
    lp = np.zeros(L)
    stop = np.zeros(L)
    te = np.zeros(L)
    e = np.zeros(L, dtype=np.int64)
    kc = np.zeros(L, dtype=np.int64)
    landing = np.zeros(L, dtype=np.bool_)
    restart = np.zeros(L, dtype=np.bool_)
    y_p, z_p, k_p, i_p, p_p = data_pointer(Y), data_pointer(Z), data_pointer(K), data_pointer(IL), data_pointer(PL)
    cm_row = npar - 1  # C_m, the parameter row's last entry (codegen.parameter_offsets)
    # every lane starts on a copy of the first cell (an empty lane computes on it)
    for l in range(L):
        for j in range(nv):
            Y[j, l] = Ys[lo, j]
        for j in range(npar):
            PL[j, l] = params[lo, j]
    nxt = lo
    live = 0
    while True:
        # ---- fill the empty lanes with the next cells of the range
        any_restart = False
        for l in range(L):
            if cell[l] >= 0 or nxt >= hi:
                continue
            c = nxt
            nxt += 1
            i = base + c
            cell[l] = c
            live += 1
            for j in range(nv):
                Y[j, l] = Ys[c, j]
            for j in range(npar):
                PL[j, l] = params[c, j]
            w = wave[i]
            t[l] = T0
            kc[l] = max(0, count_not_after(kt[w], T0) - 1) if w >= 0 else 0
            e[l] = _apply_events(i, T0, ev_ptr[i], ev_ptr[i + 1], ev_t, ev_g, ev_w, LIN)
            stop[l] = _next_stop(i, T0, T1, w, kt, kj, e[l], ev_ptr[i + 1], ev_t)
            h[l] = hcell[i]
            lp[l] = logp[i]
            status[i] = OK
            if SL.known[c]:
                drive = _drive(i, w, scale[i], kt, ka, kb, kc[l], T0, False, 0.0, Y[0, l], LIN)
                for j in range(nv):
                    K[0, j, l] = SL.k[c, j]
                K[0, 0, l] += (drive - SL.drive[c]) / PL[cm_row, l]
            else:
                restart[l] = True
                any_restart = True
        if live == 0:
            return -1
        # ---- the slope at the start of the lanes that have none (a cell's first step)
        if any_restart:
            for l in range(L):
                IL[l] = 0.0
                if restart[l]:
                    i = base + cell[l]
                    IL[l] = _drive(i, wave[i], scale[i], kt, ka, kb, kc[l], t[l], False, 0.0, Y[0, l], LIN)
            rhs(y_p, k_p, _SCRATCH, i_p, p_p)
            for l in range(L):
                if restart[l]:
                    restart[l] = False
                    for j in range(nv):
                        K[0, j, l] = K[_SCRATCH, j, l]
        # ---- each lane's step: its length, its stimulus at the stage times
        for l in range(L):
            hs[l] = 0.0
            landing[l] = False
            if cell[l] < 0:
                continue
            i = base + cell[l]
            tl = t[l]
            sl = stop[l]
            step = h[l]
            if tl + step >= sl - 1e-12 * (1.0 + abs(sl)):
                step = sl - tl
                landing[l] = True
            elif step < H_MIN:
                status[i] = TOO_STIFF
                return cell[l]
            hs[l] = step
            te[l] = sl if landing[l] else tl + step
            w = wave[i]
            if w < 0:
                for s in range(1, 7):
                    IS[s, l] = 0.0
                continue
            sc = scale[i]
            for s in range(1, 7):
                if s >= 5:  # the step's end: the stimulus's left limit there
                    IS[s, l] = sc * stim_at(kt, ka, kb, w, kc[l], te[l], True)
                else:
                    IS[s, l] = sc * stim_at(kt, ka, kb, w, kc[l], tl + TAB_C[s] * step, False)
        _lane_synapses(base, cell, hs, LIN, AL, BL, GS, GES, DEC)
        # ---- the stages, every lane at once
        for s in range(1, 7):
            for j in range(nv):
                for l in range(L):
                    Z[j, l] = 0.0
                for m in range(s):
                    a = TAB_A[s, m]
                    for l in range(L):
                        Z[j, l] += a * K[m, j, l]
                for l in range(L):
                    Z[j, l] = Y[j, l] + hs[l] * Z[j, l]
            for l in range(L):
                IL[l] = IS[s, l] + GES[s, l] - GS[s, l] * Z[0, l]
            rhs(z_p, k_p, s, i_p, p_p)
        # ---- the error norms and which lanes accept their step, every lane at once
        for l in range(L):
            err[l] = 0.0
        for j in range(nv):
            for l in range(L):
                D[l] = 0.0
            for m in range(7):
                a = TAB_E[m]
                for l in range(L):
                    D[l] += a * K[m, j, l]
            for l in range(L):
                r = hs[l] * D[l] / (atol + rtol * max(abs(Y[j, l]), abs(Z[j, l])))
                err[l] += r * r
        for l in range(L):
            err[l] = math.sqrt(err[l] / nv)
            ok[l] = err[l] <= 1.0 and cell[l] >= 0
            dI[l] = 0.0
        lanes_step_growth(err, lp, fac, lp_next)  # the point engine's PI step control
        # ---- each lane: a rejected step's next size, or an accepted step's spikes,
        # records, synapses, events and next size
        for l in range(L):
            if cell[l] < 0:
                continue
            c = cell[l]
            i = base + c
            step = hs[l]
            el = err[l]
            if not ok[l]:
                if step < H_MIN:
                    status[i] = TOO_STIFF
                    return c
                h[l] = step * (0.1 if el != el or el > 1e300 else max(0.2, 0.9 * el ** -0.17))
                continue
            V = Y[0, l]
            Vn = Z[0, l]
            if not (abs(Vn) < 1e4):
                status[i] = DIVERGED
                return c
            tl = t[l]
            m0 = step * K[0, 0, l]
            m1 = step * K[6, 0, l]
            th = thr[i]
            if (V < th and Vn >= th) or hold[i] <= te[l]:  # a crossing, or a held one decided
                if not _spikes_in_step(i, tl, step, V, Vn, m0, m1, th, refr[i], sp_last, hold, out_t, out_n):
                    status[i] = SPIKES_FULL
                    return c
            q = rec_col[i]
            if q >= 0:
                _record(i, q, tl, te[l], step, l, Y, Z, K, LIN, REC)
            lp[l] = lp_next[l]
            h[l] = min(h_max, max(h[l], step * fac[l]) if landing[l] else step * fac[l])
            _propagate(i, l, step, LIN, DEC)
            tl = te[l]
            t[l] = tl
            w = wave[i]
            if w >= 0:
                while kt[w, kc[l] + 1] <= tl:
                    kc[l] += 1
            if not landing[l]:
                continue
            drive = IS[6, l] + GES[6, l] - GS[6, l] * Vn  # the drive the end slope saw
            if tl >= T1:  # the window's end: the cell goes back, the lane is free
                for j in range(nv):
                    Ys[c, j] = Z[j, l]
                    SL.k[c, j] = K[6, j, l]
                SL.drive[c] = drive
                SL.known[c] = True
                hcell[i] = h[l]
                logp[i] = lp[l]
                cell[l] = -1
                live -= 1
                continue
            e_end = ev_ptr[i + 1]
            e[l] = _apply_events(i, tl, e[l], e_end, ev_t, ev_g, ev_w, LIN)
            stop[l] = _next_stop(i, tl, T1, w, kt, kj, e[l], e_end, ev_t)
            dI[l] = (_drive(i, w, scale[i], kt, ka, kb, kc[l], tl, False, 0.0, Vn, LIN) - drive) / PL[cm_row, l]
        # ---- the accepted lanes move to their step's end, every lane at once
        for j in range(nv):
            for l in range(L):
                Y[j, l] = Z[j, l] if ok[l] else Y[j, l]
                K[0, j, l] = K[6, j, l] if ok[l] else K[0, j, l]
        for l in range(L):
            K[0, 0, l] += dI[l]


__all__ = ["advance_lanes"]
