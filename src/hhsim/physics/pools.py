"""Steady states of ion pools with every option of :class:`~hhsim.channels.ions.IonPool`.

``Model.pool_steady_state`` solves the clipped ``cadecay`` equation
``C = C_rest + tau max(-k I, 0)``; a pool that is unclipped, decays to its own
``rest`` or has a pump obeys ``dC/dt = A(C) - B(C) C`` as
:func:`hhsim.physics.evaluate.physics` gives it, whose root at a holding
potential (gates at their steady states there) :func:`steady_pools` finds by
bisection.
"""

from __future__ import annotations

import numpy as np

#: Largest concentration (mM) searched for a pool's steady state.
MAX_CONCENTRATION = 1e4


def steady_pools(model, v) -> dict[str, np.ndarray]:
    """Pool state name -> concentration (mM) with dC/dt = 0 at holding potential ``v`` (mV),
    every gate at its steady state there; pools are solved in turn (three passes when
    there are several, as the model's own solver does)."""
    v = np.asarray(v, dtype=float)
    conc = model.concentration
    state = {p.state_name: np.full(v.shape, conc[f"{p.prefix}_in"] if p.rest is None else max(p.rest, 1e-9))
             for p in model.pools}
    n_gates = model.n_gates
    for _ in range(3 if len(model.pools) > 1 else 1):
        for k, p in enumerate(model.pools):
            row = n_gates + k

            def rate(c):
                dyn = dict(state)
                dyn[p.state_name] = c
                ph, shape = model._physics(v, None, dyn, steady=True)
                return (ph["A"][row] - ph["B"][row] * np.asarray(c, dtype=float).reshape(-1)).reshape(shape)

            lo = np.zeros(v.shape)
            hi = np.full(v.shape, 1e-3)
            for _ in range(80):  # grow the bracket until the pool falls there
                rising = rate(hi) > 0
                if not rising.any() or np.all(hi >= MAX_CONCENTRATION):
                    break
                hi = np.where(rising, np.minimum(hi * 4.0, MAX_CONCENTRATION), hi)
            for _ in range(200):
                mid = 0.5 * (lo + hi)
                up = rate(mid) > 0
                lo = np.where(up, mid, lo)
                hi = np.where(up, hi, mid)
                if np.all(hi - lo <= 1e-15 * np.maximum(hi, 1e-300) + 1e-300):
                    break
            state[p.state_name] = 0.5 * (lo + hi)
    return state
