"""The cable's theta steps with noisy channels (channel counts per compartment).

Fixed numba code, compiled once for every structure (the membrane functions
arrive as ``mem``, as for :mod:`hhsim.engine.cable_driver`'s drivers).

One step of ``dt`` (ms), as :func:`hhsim.engine.cable_driver.theta_step` with
NEURON's staggering: the channels' transitions are taken over ``tau`` at
V(t), from the middle of the previous step to the middle of this one
(``tau = dt/2`` on a run's first step, ``dt`` after), together with the
deterministic gates; then the noisy conductance of compartment ``c``,
``g_ext[c] = area[c] * sum_k gbar[k, c] * open[k, c] / N[k, c]`` (µS; ``area``
in µS per mS/cm²) and its current at V = 0, ``ge_ext[c] = sum_k g_k E_k`` (nA),
enter the theta step's matrix beside the membrane's (whose noisy channels have
``gbar`` = 0, so they are counted once).

The transitions are those of :func:`hhsim.engine.noise_kernels.run_noise` (the
Markov binomial/multinomial step or the Langevin step with the Markov step's
moments), called for one step with every compartment held at its own V (the
kernel's ideal clamp): the same code, the same random numbers, keyed by (seed,
compartment, step) (:mod:`hhsim.engine.noise_random`), so a run does not depend
on the number of threads.  It runs on one thread: the two-thread path of long
chains assembles the membrane without extra conductances.

Units: V in mV, t in ms, conductances in µS, currents in nA.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .cable_driver import (MEMBRANE_SIGNATURES, V_LIMIT, _no_membrane_rates, crossings, largest, record,
                           theta_step)
from .function_values import CompiledFunction
from .int_args import FALSE, ONE, TRUE, ZERO
from .noise_kernels import run_noise
from .tree_solve import chain_middle


def membrane_functions(mod) -> tuple:
    """``mem`` for :func:`run_noisy_implicit` from a generated cable module ``mod``:
    its membrane_step and membrane_assemble, a placeholder for membrane_rates
    (as :func:`hhsim.engine.cable_driver.bind` gives the implicit drivers)."""
    step = CompiledFunction(mod.membrane_step, MEMBRANE_SIGNATURES["membrane_step"])
    assemble = CompiledFunction(mod.membrane_assemble, MEMBRANE_SIGNATURES["membrane_assemble"])
    rates = CompiledFunction(_no_membrane_rates, MEMBRANE_SIGNATURES["membrane_rates"])
    return step, assemble, rates


@njit(cache=True, error_model="numpy", fastmath=False)
def noisy_conductance(z, ch_row0, ch_ns, ch_gbar, ch_erev, ch_n, area, g_ext, ge_ext):
    """``g_ext`` (µS) and ``ge_ext`` (nA, g E) of every compartment's noisy channels from
    their counts ``z`` (a compartment without channels gets 0)."""
    for c in range(g_ext.shape[0]):
        g = 0.0
        ge = 0.0
        for k in range(ch_row0.shape[0]):
            N = ch_n[k, c]
            if N > 0.0:
                gk = area[c] * ch_gbar[k, c] * z[ch_row0[k] + ch_ns[k] - 1, c] / N
                g += gk
                ge += gk * ch_erev[k, c]
        g_ext[c] = g
        ge_ext[c] = ge


@njit(cache=True, error_model="numpy", fastmath=False)
def record_open(z, ch_row0, ch_ns, ch_n, rec_nodes, o_rec, r):
    """Row r of ``o_rec`` (n_rows, n_noisy, n_recorded): each noisy channel's open fraction at
    the recorded compartments (NaN where a compartment has none of its channels)."""
    for k in range(ch_row0.shape[0]):
        top = ch_row0[k] + ch_ns[k] - 1
        for m in range(rec_nodes.shape[0]):
            c = rec_nodes[m]
            o_rec[r, k, m] = z[top, c] / ch_n[k, c] if ch_n[k, c] > 0.0 else np.nan


@njit(cache=True, error_model="numpy", nogil=True, fastmath=False)
def run_noisy_implicit(mem, theta, chain, v, y, vmax, hist, PT, runs, area, cap, parent, gax, sumg, bfix,
                       alg_idx, alg_ptr, alg_nbr, alg_g, site_node, site_wave, site_scale, i_t, i_end, damp,
                       dt, h_prev, t_origin, n0, n_steps, rec_every, rec_nodes, v_rec, o_rec, thr, spk_t, spk_n,
                       G, GE, d, b, d2, b2, cw, red, g_ext, ge_ext, zeros, nz):
    """``n_steps`` noisy theta steps of ``dt`` ms (see the module docstring); crossings timed, V
    and the open fractions recorded every ``rec_every`` steps.  Returns -1, or the local step at
    which V blew up.

    ``nz``: the noise arrays, in this order: ``z`` (state counts, n_rows x n), ``tab`` and
    ``tab_half`` (the rate tables of :mod:`hhsim.noise.lowering` for steps of ``dt`` and
    ``dt/2``), ``grp``, ``vlo``, ``vh``, ``ch_row0``, ``ch_ns``, ``ch_g0``, ``ch_ng``,
    ``ch_gbar`` (mS/cm²), ``ch_erev`` (mV), ``ch_n`` (channels per compartment), ``gt_pow``,
    ``gt_stride``, ``gt_col``, ``method`` (0 markov, 1 langevin), ``seed``, ``node_id``
    (each compartment's stream), then the unused arguments of ``run_noise``: ``xd``,
    ``dch_g0``, ``dch_ng``, ``dch_gbar``, ``dch_erev``, ``dg_pow``, ``dg_col``, ``dg_inst``,
    ``gfix``, ``gefix``, ``cm``, ``wave``, ``scale``, ``i_m``, ``clamp`` (all True),
    ``thr``, ``v_rec``, ``g_rec``, ``o_rec``, ``gm_kind``, ``gm_a``, ``gm_b``, ``spk_t``,
    ``spk_n``.
    """
    (z, tab, tab_half, grp, vlo, vh, ch_row0, ch_ns, ch_g0, ch_ng, ch_gbar, ch_erev, ch_n, gt_pow, gt_stride,
     gt_col, method, seed, node_id, xd, dch_g0, dch_ng, dch_gbar, dch_erev, dg_pow, dg_col, dg_inst, gfix,
     gefix, cm, wave, scale, i_m, clamp, nthr, nv_rec, ng_rec, no_rec, gm_kind, gm_a, gm_b, nspk_t, nspk_n) = nz
    n = v.shape[0]
    probe = chain_middle(n) if chain else 0
    r = 0
    for k in range(n_steps):
        ng_step = n0 + k
        h_new = (ng_step + 1) % 4
        split = damp[k] != 0 and theta == 0.5
        tau = 0.5 * (h_prev + dt)
        # the transitions over tau at each compartment's V (held: v is its own clamp)
        tab_k = tab
        if h_prev == 0.0:
            tab_k = tab_half
        run_noise(v, z, xd, tab_k, grp, vlo, vh,
                  ch_row0, ch_ns, ch_g0, ch_ng, ch_gbar, ch_erev, ch_n, gt_pow, gt_stride, gt_col,
                  dch_g0, dch_ng, dch_gbar, dch_erev, dg_pow, dg_col, dg_inst,
                  gfix, gefix, cm, wave, scale, i_m, clamp, v, nthr,
                  method, seed, node_id, tau, 0.0, ng_step, ONE,
                  ZERO, nv_rec, ng_rec, no_rec, gm_kind, gm_a, gm_b, nspk_t, nspk_n, ZERO, n)
        noisy_conductance(z, ch_row0, ch_ns, ch_gbar, ch_erev, ch_n, area, g_ext, ge_ext)
        ok = theta_step(mem, theta, split, chain, probe, v, y, tau, dt, G, GE, vmax, hist, h_new, PT,
                        runs, cap, area, sumg, bfix, parent, gax, g_ext, ge_ext, zeros, site_node,
                        site_wave, site_scale, i_t, i_end, k, alg_idx, alg_ptr, alg_nbr, alg_g, d, b, d2,
                        b2, cw, red)
        if not ok:
            return k
        crossings(hist, ng_step, thr, spk_t, spk_n, t_origin, dt, FALSE, ZERO, n, TRUE)
        h_prev = dt
        if rec_every > 0 and (ng_step + 1) % rec_every == 0:
            record(v, rec_nodes, v_rec, r, ZERO, n)
            record_open(z, ch_row0, ch_ns, ch_n, rec_nodes, o_rec, r)
            r += 1
        if (k & 63) == 63 and not (largest(v) < V_LIMIT):
            return k
    return -1
