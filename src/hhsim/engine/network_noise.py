"""Channel noise of a network's cells: one step of their channel counts, inside the network's loop.

Fixed numba code, compiled once.  The network's time loop
(:func:`hhsim.engine.network_loop.steps`) calls ``chan`` once per step on
every thread, after the step's start (:func:`~hhsim.engine.network_driver.step_begin`)
and before the membranes; ``chan`` is :func:`channel_step` for a network with
noisy cells and :func:`no_channels` (with an empty record) for one without,
both first-class function values (:class:`~hhsim.engine.function_values.CompiledFunction`).

For each noisy cell ``c`` (network node ``nodes[c]``), as the cable's noisy
channels (:mod:`hhsim.engine.cable_noise`):

1. its noisy channels' conductance from the counts at the step's start,
   ``g = sum_k gbar[k] * open[k] / N[k]`` (mS/cm²) and ``g E`` (mS/cm² x mV),
   goes into the node's held coupling terms ``Gf``, ``GEf`` (those of gap
   junctions and graded synapses, :mod:`hhsim.engine.network_driver`): the
   membrane of every path (the vectorised fast path and the sub-steps between
   events) takes them as a conductance with its reversal potential held over
   the step, beside the deterministic membrane whose noisy channels have
   ``gbar`` = 0;
2. the counts then make their transitions over the step at the cell's V at the
   step's start (the kernel's ideal clamp), by the kernel of single cells and
   batches (:func:`hhsim.engine.noise_kernels.run_noise`, passed in as a
   function value ``run`` so that it is compiled once and shared with the batch
   path): the same random numbers, keyed by (seed, node, step)
   (:mod:`hhsim.engine.noise_random`), so each thread may take any share of the
   cells and the bits do not depend on the number of threads.

So a spike of a noisy cell is located inside its step as for any cell (on the
step's cubic interpolant), with its channel counts held over the step, as the
exponential-Euler noisy kernel holds them.

Units: V in mV, t in ms, conductances in mS/cm².
"""

from __future__ import annotations

from numba import float64, int64, njit, typeof, types

from .function_values import CompiledFunction

#: The record of one block of noisy cells (``NZ`` of :func:`channel_step` holds one per
#: block: cells of one structure, method and set of noisy channels), by position: ``run`` (the kernel,
#: a function value), ``nodes`` (each noisy cell's network node), ``vn`` (their V
#: at the step's start, scratch), ``gn``, ``gen`` (their noisy conductance and g E
#: over the step, as added to ``Gf``, ``GEf``), then the arrays of ``run_noise`` in its order
#: from ``z`` to ``gt_col`` (``ch_n`` the channels per cell), from ``dch_g0`` to
#: ``cm``, ``wave``, ``scale``, ``i_m``, ``clamp`` (all True), ``thr``, ``v_rec``,
#: ``g_rec``, ``o_rec``, ``gm_kind``, ``gm_a``, ``gm_b``, ``spk_t``, ``spk_n``,
#: ``node_id`` (each cell's random stream), ``y`` (the states of the cells' structure
#: group, the network's array) and ``cols`` (the cells' columns in it), and the scalars ``vlo``, ``vh`` (the
#: rate table's grid, mV), ``method`` (0 markov, 1 langevin) and ``seed``.
RECORD = ("run", "nodes", "vn", "gn", "gen", "z", "xd", "tab", "grp", "ch_row0", "ch_ns", "ch_g0", "ch_ng", "ch_gbar",
          "ch_erev", "ch_n", "gt_pow", "gt_stride", "gt_col", "dch_g0", "dch_ng", "dch_gbar", "dch_erev", "dg_pow",
          "dg_col", "dg_inst", "gfix", "gefix", "cm", "wave", "scale", "i_m", "clamp", "thr", "v_rec", "g_rec",
          "o_rec", "gm_kind", "gm_a", "gm_b", "spk_t", "spk_n", "node_id", "y", "cols", "vlo", "vh", "method", "seed")


@njit(cache=True, error_model="numpy", _nrt=False, fastmath=False)
def no_channels(tid, n_threads, n, dt, v, GAP, GR, NZ):
    """``chan`` of a network without noisy cells (``NZ`` empty): nothing to do."""
    return -1


@njit(cache=True, error_model="numpy", _nrt=False, fastmath=False)
def channel_step(tid, n_threads, n, dt, v, GAP, GR, NZ):
    """Step ``n`` (of ``dt`` ms) of thread ``tid``'s share of the noisy cells of every block
    of ``NZ`` (one record per block, see :data:`RECORD`): their conductance into ``Gf``,
    ``GEf``, then their transitions (see the module docstring).  Returns -1.

    ``tid`` = -1 (the leading thread, after the membranes and before the step's end
    records): take the noisy conductance out of ``Gf``, ``GEf`` again, so that the
    recorded synaptic current of a noisy cell is its synapses' alone, and set its noisy
    gates' states to the counts' mean fractions of open subunits (as the single-cell
    path records them)."""
    for b in range(len(NZ)):
        _block_step(tid, n_threads, n, dt, v, GAP, GR, NZ[b])
    return -1


@njit(cache=True, error_model="numpy", _nrt=False, fastmath=False)
def _block_step(tid, n_threads, n, dt, v, GAP, GR, B):
    """:func:`channel_step` for one block's record ``B``."""
    (run, nodes, vn, gn, gen, z, xd, tab, grp, ch_row0, ch_ns, ch_g0, ch_ng, ch_gbar, ch_erev, ch_n, gt_pow, gt_stride,
     gt_col, dch_g0, dch_ng, dch_gbar, dch_erev, dg_pow, dg_col, dg_inst, gfix, gefix, cm, wave, scale, i_m, clamp,
     thr, v_rec, g_rec, o_rec, gm_kind, gm_a, gm_b, spk_t, spk_n, node_id, y, cols, vlo, vh, method, seed) = B
    m = nodes.shape[0]
    nn = v.shape[0]
    if tid < 0:
        coupled = GAP.ptr[nn] > 0 or GR.ptr[nn] > 0
        for c in range(m):
            i = nodes[c]
            GAP.Gf[i] = GAP.Gf[i] - gn[c] if coupled else 0.0
            GAP.GEf[i] = GAP.GEf[i] - gen[c] if coupled else 0.0
            # the noisy gates' states: the mean fraction of open subunits of the counts (the
            # membrane's own copies carry nothing, their gbar 0), so that they are recorded
            for j in range(gm_kind.shape[0]):
                if gm_kind[j] == 0:
                    k = gm_a[j]
                    g = gm_b[j]
                    a = gt_pow[g]
                    acc = 0.0
                    for st in range(ch_ns[k]):
                        acc += z[ch_row0[k] + st, c] * ((st // gt_stride[g]) % (a + 1))
                    if ch_n[k, c] > 0.0:
                        y[j, cols[c]] = acc / (a * ch_n[k, c])
        return
    # step_begin has set Gf, GEf afresh when the network has gap junctions or graded synapses;
    # else they are 0 (this function took its own terms out at the last step's end)
    lo = (tid * m) // n_threads
    hi = ((tid + 1) * m) // n_threads
    Gf = GAP.Gf
    GEf = GAP.GEf
    for c in range(lo, hi):
        i = nodes[c]
        vn[c] = v[i]
        g = 0.0
        ge = 0.0
        for k in range(ch_row0.shape[0]):
            N = ch_n[k, c]
            if N > 0.0:
                gk = ch_gbar[k, c] * z[ch_row0[k] + ch_ns[k] - 1, c] / N
                g += gk
                ge += gk * ch_erev[k, c]
        gn[c] = g
        gen[c] = ge
        Gf[i] += g
        GEf[i] += ge
    if hi > lo:
        run(vn, z, xd, tab, grp, vlo, vh, ch_row0, ch_ns, ch_g0, ch_ng, ch_gbar, ch_erev, ch_n, gt_pow,
            gt_stride, gt_col, dch_g0, dch_ng, dch_gbar, dch_erev, dg_pow, dg_col, dg_inst, gfix, gefix, cm,
            wave, scale, i_m, clamp, vn, thr, method, seed, node_id, dt, 0.0, n, 1, 0, v_rec, g_rec, o_rec,
            gm_kind, gm_a, gm_b, spk_t, spk_n, lo, hi)


def kernel_signature(arrays: dict):
    """The signature under which :func:`channel_step` calls ``run_noise`` (int64 result), from
    the record's values ``arrays`` (by the names of :data:`RECORD`)."""
    a = {k: typeof(v) for k, v in arrays.items() if k != "run"}
    order = (["vn", "z", "xd", "tab", "grp", "vlo", "vh", "ch_row0", "ch_ns", "ch_g0", "ch_ng", "ch_gbar", "ch_erev",
              "ch_n", "gt_pow", "gt_stride", "gt_col", "dch_g0", "dch_ng", "dch_gbar", "dch_erev", "dg_pow", "dg_col",
              "dg_inst", "gfix", "gefix", "cm", "wave", "scale", "i_m", "clamp", "vn", "thr", "method", "seed",
              "node_id"])
    args = [a[k] for k in order] + [float64, float64, int64, int64, int64, a["v_rec"], a["g_rec"], a["o_rec"],
                                    a["gm_kind"], a["gm_a"], a["gm_b"], a["spk_t"], a["spk_n"], int64, int64]
    return int64(*args)


_CHAN: dict = {}


def chan_function(v, GAP, GR, NZ) -> CompiledFunction:
    """``chan`` for the loop: :func:`channel_step` for the blocks' records ``NZ``,
    :func:`no_channels` for none; one function value per argument types."""
    arg_types = (int64, int64, int64, float64, typeof(v), typeof(GAP), typeof(GR), typeof(NZ))
    key = tuple(str(t) for t in arg_types)
    if key not in _CHAN:
        function = channel_step if len(NZ) else no_channels
        _CHAN[key] = CompiledFunction(function, types.int64(*arg_types))
    return _CHAN[key]
