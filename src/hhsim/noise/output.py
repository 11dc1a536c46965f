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
    the numbers of channels, ``v_final`` and ``z_final`` the last state
    (``z``: channels per state, rows by channel as ``NoisePlan.ch_row0``).
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
    meta: dict = field(default_factory=dict)
