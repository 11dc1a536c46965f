"""The raw output record of a noisy run (shared by the fixed-step and event-driven runners)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .lowering import NoisePlan


@dataclass
class NoiseOutput:
    """Raw output of a noisy run of ``n`` nodes.

    ``t`` (ms), ``v`` (n_rec, n) mV, ``gates`` (n_rec, n_gates, n) (a noisy gate's
    mean fraction of open subunits), ``open`` (n_rec, n_noisy, n) each noisy
    channel's open fraction, ``spike_times`` per node (ms, upward crossings of
    the threshold, linearly interpolated between steps), ``counts`` (n_noisy, n)
    the numbers of channels, ``v_final``, ``z_final`` and ``xd_final`` the last state
    (``z``: channels per state, rows by channel as ``NoisePlan.ch_row0``;
    ``xd``: the deterministic gates, rows as ``NoisePlan.dg_col``).
    """

    t: np.ndarray
    v: np.ndarray
    gates: np.ndarray
    open: np.ndarray
    spike_times: list
    counts: np.ndarray
    v_final: np.ndarray
    z_final: np.ndarray
    plan: NoisePlan
    xd_final: np.ndarray | None = None
    meta: dict = field(default_factory=dict)


def gate_values(z: np.ndarray, xd: np.ndarray, plan: NoisePlan) -> np.ndarray:
    """(n_gates, n) the model's gate values from a noisy state, as the kernels record them:
    a noisy gate's mean fraction of open subunits over its channels (0 where a node has
    none), a deterministic gate's value; ``z`` (n_rows, n) channels per state, ``xd``
    (n_det_gates, n) the deterministic gates."""
    n = z.shape[1]
    out = np.zeros((plan.gm_kind.size, n))
    for j in range(plan.gm_kind.size):
        if plan.gm_kind[j] == 1:
            out[j] = xd[plan.gm_a[j]]
            continue
        k, g = int(plan.gm_a[j]), int(plan.gm_b[j])
        a = int(plan.gt_pow[g])
        row0, ns = int(plan.ch_row0[k]), int(plan.ch_ns[k])
        acc = np.zeros(n)
        for s in range(ns):  # in the kernel's order, so that the values are its bits
            acc += z[row0 + s] * float((s // int(plan.gt_stride[g])) % (a + 1))
        cnt = plan.counts[k]
        out[j] = np.divide(acc, a * cnt, out=np.zeros(n), where=cnt > 0)
    return out
