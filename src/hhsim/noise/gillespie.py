"""The exact event-driven path (Gillespie) for one small noisy patch.

:func:`run_gillespie` runs :func:`hhsim.engine.noise_kernels.run_gillespie`:
every channel transition at its own time, drawn from the exponential
distribution of the total transition rate (Gillespie 1977, J Phys Chem
81:2340; for a membrane as Chow & White 1996, Biophys J 71:3013), V relaxing
exactly between events.  Its cost grows with the number of transitions, so
it is meant for patches of a few hundred channels and for checking the
fixed-step methods.
"""

from __future__ import annotations

import numpy as np

from ..engine.batch import Grid, stimulus_arrays
from ..engine.noise_kernels import init_counts
from ..engine.noise_kernels import run_gillespie as _kernel
from ..errors import DivergenceError, ParameterError
from .lowering import VH, VLO, NoisePlan
from .output import NoiseOutput
from .spec import ChannelNoise


def run_gillespie(np_plan: NoisePlan, noise: ChannelNoise, stimulus, grid: Grid, *, record_every: int = 1):
    """One node of ``np_plan`` by exact event times; returns a :class:`~hhsim.noise.run.NoiseOutput`."""
    if np_plan.n != 1:
        raise ParameterError(f"the gillespie method runs one neuron, not {np_plan.n}; use markov for batches")
    v = np_plan.v0.copy()
    node_id = np.zeros(1, dtype=np.int64)
    z = np.zeros((max(np_plan.n_rows, 1), 1))
    init_counts(z, np_plan.xinit.copy(), np_plan.ch_row0, np_plan.ch_ns, np_plan.ch_g0, np_plan.ch_ng,
                np_plan.counts, np_plan.gt_pow, np_plan.gt_stride, np.uint64(noise.seed), node_id, 0, 1)
    xd = np_plan.xd0.copy()
    _, i_m, _ = stimulus_arrays([stimulus], grid)
    every = int(record_every)
    n_rec = grid.n_steps // every + 1
    v_rec = np.full((n_rec, 1), np.nan)
    g_rec = np.full((n_rec, np_plan.gm_kind.size, 1), np.nan)
    o_rec = np.full((n_rec, len(np_plan.noisy), 1), np.nan)
    max_spk = int(grid.n_steps * grid.dt / 1.0) + 16
    spk_t = np.full((1, max_spk), np.nan)
    spk_n = np.zeros(1, dtype=np.int64)
    status = _kernel(v, z, xd, np_plan.tab, np_plan.grp, VLO, VH,
                     np_plan.ch_row0, np_plan.ch_ns, np_plan.ch_g0, np_plan.ch_ng, np_plan.ch_gbar,
                     np_plan.ch_erev, np_plan.counts, np_plan.gt_pow, np_plan.gt_stride, np_plan.gt_col,
                     np_plan.dch_g0, np_plan.dch_ng, np_plan.dch_gbar, np_plan.dch_erev, np_plan.dg_pow,
                     np_plan.dg_col, np_plan.dg_inst, np_plan.gfix, np_plan.gefix, np_plan.cm,
                     np.ones(1), i_m, np_plan.thr, np.uint64(noise.seed), 0, grid.dt, grid.t0, grid.n_steps,
                     every, v_rec, g_rec, o_rec, np_plan.gm_kind, np_plan.gm_a, np_plan.gm_b, spk_t, spk_n)
    if status >= 0:
        t_fail = grid.t0 + (status + 1) * grid.dt
        raise DivergenceError(f"the noisy membrane diverged at t = {t_fail:.6g} ms; use a smaller dt", t_fail)
    t = grid.t0 + grid.dt * every * np.arange(n_rec)
    spikes = [spk_t[0, : min(spk_n[0], max_spk)].copy()]
    return NoiseOutput(t, v_rec, g_rec, o_rec, spikes, np_plan.counts.copy(), v.copy(), z, np_plan)
