"""Independent neurons in NumPy: the point kernels' reference
(:func:`hhsim.engine.numpy_path.run_numpy`, each fixed-step solver's NumPy
twin) with the kernels' spike rule: an upward crossing of the threshold
between two steps, located on the cubic Hermite interpolant of V whose end
slopes are dV/dt at the step's start and end (stimulus at the start and the
end's left limit).  Units: t in ms, V in mV, currents µA/cm².
"""

from __future__ import annotations

import numpy as np

from ...physics.evaluate import physics
from ..batch import BatchOutput, stimulus_arrays
from ..numpy_path import run_numpy
from .numpy_common import check_method, check_size, hermite_crossing


def dvdt(plan, c: int, v: float, y: np.ndarray, i_inj: float) -> float:
    """dV/dt (mV/ms) of neuron c of ``plan`` at V ``v`` with states ``y`` and the injected
    current ``i_inj`` (µA/cm²)."""
    col = plan.columns(np.array([c]))
    ph = physics(col, np.array([v]), y.reshape(-1, 1))
    return float((i_inj - np.sum(ph["I"], axis=0)[0]) / col.cm[0])


def run_point(plan, stimuli, grid, method: str, wave=None, scale=None, record_every: int = 1, max_spikes=None,
              clamp: bool = False, **tolerances) -> BatchOutput:
    """As :func:`hhsim.engine.batch.run_batch` for a fixed-step ``method`` (the tolerances
    of the adaptive methods are not used here); every spike is kept."""
    check_method(method)
    check_size(plan.ncomp, grid.n_steps, "neurons")
    ncomp = plan.ncomp
    wave = np.zeros(ncomp, dtype=np.int64) if wave is None else np.asarray(wave, dtype=np.int64)
    scale = np.ones(ncomp) if scale is None else np.asarray(scale, dtype=float)
    t, v, y = run_numpy(plan, stimuli, grid, method, wave, scale, clamp)
    spikes = [np.zeros(0) for _ in range(ncomp)]
    if not clamp:
        i_a, _, i_b = stimulus_arrays(stimuli, grid)
        thr = plan.threshold
        for c in range(ncomp):
            up = np.nonzero((v[:-1, c] < thr[c]) & (v[1:, c] >= thr[c]))[0]
            times = []
            for n in up:
                d0 = dvdt(plan, c, v[n, c], y[n, :, c], scale[c] * i_a[n, wave[c]])
                d1 = dvdt(plan, c, v[n + 1, c], y[n + 1, :, c], scale[c] * i_b[n, wave[c]])
                s = hermite_crossing(v[n, c], v[n + 1, c], d0 * grid.dt, d1 * grid.dt, thr[c])
                times.append(grid.t0 + (n + s) * grid.dt)
            spikes[c] = np.array(times)
    keep = slice(None, None, record_every) if record_every > 0 else slice(0, 1)
    return BatchOutput(t[keep], v[keep], y[keep], spikes, v[-1].copy(), y[-1].copy())
