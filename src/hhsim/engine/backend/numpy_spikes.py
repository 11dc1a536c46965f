"""Spikes of a network's nodes in NumPy: threshold crossings under the dead-time
rule, the spike monitor, and the queue of deliveries.

The twins of ``crossing``, ``release_held`` and ``record_spike``
(:mod:`hhsim.engine.network_driver`) and of the event queue's
``push_spikes``, ``step_of`` and ``gather_events``
(:mod:`hhsim.engine.network_kernels`), written with Python lists and dicts:
a spike at t_s over an edge of delay d is delivered at exactly t_s + d, in
the step whose interval holds that time; a delivery due before the next
step's start (delay shorter than the rest of the step) is made at that
start.  Times in ms, V in mV.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from .. import network_kernels as _kernels
from .numpy_common import hermite_value


#: The step n whose interval [t0 + n dt, t0 + (n + 1) dt) holds a time, its ends computed as
#: the time loop computes them: the compiled queue's own function, run as Python.
step_of = _kernels.step_of.py_func


class Spikes:
    """Each node's last spike and held crossing, the step's spikes, the monitor."""

    def __init__(self, n_nodes: int, refr: np.ndarray, mask: np.ndarray):
        self.refr, self.mask = refr, mask
        self.last = np.full(n_nodes, -np.inf)
        self.hold = np.full(n_nodes, np.inf)
        self.step: list[tuple[float, int]] = []  # this step's spikes (time, node)
        self.mon_t: list[float] = []
        self.mon_src: list[int] = []

    def record(self, i: int, ts: float) -> None:
        self.last[i] = ts
        self.hold[i] = math.inf
        self.step.append((ts, i))
        if self.mask[i]:
            self.mon_t.append(ts)
            self.mon_src.append(i)

    def crossing(self, i: int, ts: float, V, Vn, m0, m1, ta: float, h: float, thr: float) -> None:
        """Node i crossed ``thr`` upwards at ts in the sub-step [ta, ta + h] from V to Vn
        (``m0``, ``m1``: the end slopes times h): a spike, unless within its dead time,
        where it is held to the dead time's end (and emitted there if V is at or above
        threshold then)."""
        if ts - self.last[i] < self.refr[i]:
            tr = self.last[i] + self.refr[i]
            if tr <= ta + h:
                if hermite_value(V, Vn, m0, m1, (tr - ta) / h) >= thr:
                    self.record(i, tr)
                return
            self.hold[i] = tr
            return
        self.record(i, ts)

    def release(self, i: int, V, Vn, m0, m1, ta: float, h: float, thr: float) -> None:
        """Node i's dead time ends inside [ta, ta + h] with a crossing held: a spike there if
        the interpolant is at or above ``thr``."""
        tr = self.hold[i]
        self.hold[i] = math.inf
        if hermite_value(V, Vn, m0, m1, max(tr - ta, 0.0) / h) >= thr:
            self.record(i, tr)


class Queue:
    """Deliveries (time, edge) by the step that holds them."""

    def __init__(self, t0: float, dt: float):
        self.t0, self.dt = t0, dt
        self.buckets: dict[int, list] = defaultdict(list)

    def push(self, td: float, e: int, not_before: int) -> None:
        self.buckets[max(step_of(td, self.t0, self.dt), not_before)].append((td, e))

    def gather(self, n: int, post: np.ndarray, t: float):
        """Step n's deliveries: {node: [(time, edge), ...] sorted by time then edge}, and how
        many were due before the step's start ``t`` (moved to it)."""
        per: dict[int, list] = defaultdict(list)
        late = 0
        for td, e in self.buckets.pop(n, []):
            if td < t:
                td, late = t, late + 1
            per[int(post[e])].append((td, e))
        for lst in per.values():
            lst.sort()
        return per, late
