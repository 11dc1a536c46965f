"""An independent reference for two coupled `hh` cells: solve_ivp with exact events.

Cell A receives a current step and excites cell B through an exponential
conductance synapse with a delay; B inhibits A the same way.  The
reference integrates the ten ODEs (V, m, h, n and the synaptic conductance
of each cell) with DOP853 at rtol 1e-10 between events: an upward crossing
of 0 mV ends a segment (and schedules its delivery at crossing + delay), a
delivery adds the weight to the target's conductance at exactly its time,
and the stimulus edges are segment ends.  A cell's crossing is re-armed once
its V falls below the threshold again.  Nothing here imports hhsim.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from helpers import hh_textbook as tb

AMP, START, DUR = 10.0, 5.0, 40.0  # µA/cm², ms: the current step into A
W_AB, TAU_AB, E_AB, D_AB = 0.5, 3.0, 0.0, 2.0  # mS/cm², ms, mV, ms: A excites B
W_BA, TAU_BA, E_BA, D_BA = 0.5, 5.0, -80.0, 1.5  # B inhibits A
THRESHOLD = 0.0


def stim_a(t: float) -> float:
    return AMP if START <= t < START + DUR else 0.0


def _rhs(t, y):
    out = np.empty(10)
    for off, stim, e_syn, tau in ((0, stim_a, E_BA, TAU_BA), (5, lambda _t: 0.0, E_AB, TAU_AB)):
        v, m, h, n, g = y[off:off + 5]
        i_total = stim(t) - g * (v - e_syn)
        out[off:off + 4] = tb.rhs(t, (v, m, h, n), lambda _t: i_total)
        out[off + 4] = -g / tau
    return out


def reference(t_stop: float) -> tuple[np.ndarray, np.ndarray]:
    """Spike times (ms) of A and of B over [0, t_stop]."""
    rest = tb.resting_state()
    y = np.concatenate([rest, [0.0], rest, [0.0]])
    t = 0.0
    armed = [True, True]
    spikes = ([], [])
    pending = []  # (delivery time, conductance index, weight)
    edges = [START, START + DUR]
    while t < t_stop:
        t_next = min([p[0] for p in pending if p[0] > t] + [e for e in edges if e > t] + [t_stop])
        events = []
        for cell in (0, 1):
            def ev(_t, yy, off=5 * cell):
                return yy[off] - THRESHOLD

            ev.terminal = True
            ev.direction = 1.0 if armed[cell] else -1.0
            events.append(ev)
        sol = solve_ivp(_rhs, (t, t_next), y, method="DOP853", rtol=1e-10, atol=1e-12, events=events)
        assert sol.success, sol.message
        fired = [c for c in (0, 1) if sol.t_events[c].size]
        if fired:
            c = fired[0]
            t = float(sol.t_events[c][0])
            y = sol.y_events[c][0].copy()
            if armed[c]:
                spikes[c].append(t)
                pending.append((t + (D_AB if c == 0 else D_BA), 9 if c == 0 else 4, W_AB if c == 0 else W_BA))
            armed[c] = not armed[c]
        else:
            t = t_next
            y = sol.y[:, -1].copy()
        for p in [p for p in pending if p[0] <= t]:
            if abs(p[0] - t) < 1e-12:
                y[p[1]] += p[2]
                pending.remove(p)
    return np.array(spikes[0]), np.array(spikes[1])
