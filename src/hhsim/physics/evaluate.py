"""The equations of every kind of state, once, in plain NumPy.

:func:`physics` is the one description of the membrane's physics outside
the generated kernels: for gates (relaxing and instantaneous), ion pools,
ohmic, Nernst and GHK currents it gives the relaxation form used by the
exponential integrators (``A``, ``B``), the steady states (``x_inf``), the
conductances and currents, and the linearised membrane (``G``, ``GE``).
Everything that evaluates the physics in NumPy reads it: the NumPy test
paths of the compiled kernels (:func:`hhsim.engine.numpy_path.run_numpy`,
and the cable's), the resting-state solver and steady-state I-V curve
(:meth:`hhsim.model.Model.steady_state_current`) and
``Result.currents`` / ``Result.conductances``
(:meth:`hhsim.model.Model.channel_currents`).

It reads a lowered :class:`~hhsim.physics.structure.Plan` (one column per
compartment, or one column broadcast over a trace of V) but evaluates the
rate forms with their NumPy implementations (expression forms by walking
their checked tree), independently of the code generator.
"""

from __future__ import annotations

import numpy as np

from ..channels import expr as _expr
from ..channels.base import FORMS
from ..units import FARADAY
from .structure import Plan


def _form_value(plan: Plan, j: int, which: int, v, y):
    """Value of form ``which`` of gate ``j`` at V for every compartment."""
    s = plan.structure
    g = s.gates[j]
    kind, off = g.form_kinds[which], g.param_offsets[which]
    if kind != "expr":
        n = len(FORMS[kind].param_names)
        return FORMS[kind](*plan.rp[off: off + n])(v)
    env = {"V": v}
    env.update({f"p{k}": plan.rp[off + k] for k in range(g.form_sizes[which])})
    env.update({p.name: y[s.n_gates + k] for k, p in enumerate(s.pools)})
    return _expr.evaluate(_expr.parse(g.form_code[which]), env)


def _shape(plan: Plan, v) -> tuple[int, ...]:
    """Shape of one row of results: the plan's columns broadcast against V."""
    return np.broadcast_shapes(np.shape(v), (plan.ncomp,))


def _gates(plan: Plan, v, y, steady: bool = False):
    """(A, B, x_eff, x_inf): gate relaxation coefficients (n_states rows, pools
    filled later), the gate values to use in the conductances (x_inf for
    instantaneous gates) and every gate's steady state at V.  ``steady``: the
    gates at their steady states (x_eff = x_inf); the time constants of inf/tau
    gates are then not evaluated (A, B stay 0)."""
    s = plan.structure
    shape = _shape(plan, v)
    A = np.zeros((s.n_states,) + shape)
    B = np.zeros_like(A)
    x_eff = np.empty((s.n_gates,) + shape)
    x_eff[:] = np.asarray(y[: s.n_gates], dtype=float).reshape((s.n_gates,) + np.shape(y)[1:])
    x_inf = np.empty_like(x_eff)
    for j, g in enumerate(s.gates):
        if g.scheme:
            continue
        phi = plan.phi[g.channel_index]
        fa = _form_value(plan, j, 0, v, y)
        if g.instantaneous:
            if g.form_names == ("alpha", "beta"):
                fb = _form_value(plan, j, 1, v, y)
                x_eff[j] = fa / (fa + fb)
            else:
                x_eff[j] = fa
            x_inf[j] = x_eff[j]
            continue
        if steady and g.form_names != ("alpha", "beta"):
            x_inf[j] = x_eff[j] = fa
            continue
        fb = _form_value(plan, j, 1, v, y)
        if g.form_names == ("alpha", "beta"):
            A[j], B[j] = phi * fa, phi * (fa + fb)
            x_inf[j] = fa / (fa + fb)
        else:
            A[j], B[j] = phi * fa / fb, phi / fb
            x_inf[j] = fa
        if steady:
            x_eff[j] = x_inf[j]
    for group in s.schemes:
        _scheme(plan, group, v, y, shape, A, B, x_eff, x_inf, steady)
    return A, B, x_eff, x_inf


def _scheme(plan: Plan, group, v, y, shape, A, B, x_eff, x_inf, steady: bool) -> None:
    """One kinetic scheme's rows: dx_i/dt = A_i - B_i x_i with A_i the flux into state i
    (1/ms, from the other states' occupancies) and B_i the sum of the rates out of it;
    x_inf the stationary occupancies (null vector of Q, summing to 1)."""
    from ..channels.scheme import stationary

    s = plan.structure
    n = len(group)
    pos = {j: k for k, j in enumerate(group)}
    q = np.zeros((n, n) + shape)
    for j in group:
        g = s.gates[j]
        phi = plan.phi[g.channel_index]
        for which, t in enumerate(g.targets):
            k = phi * np.broadcast_to(_form_value(plan, j, which, v, y), shape)
            q[pos[t], pos[j]] += k
            q[pos[j], pos[j]] -= k
    xs = stationary(q)
    for k, j in enumerate(group):
        x_inf[j] = xs[k]
        if steady:
            x_eff[j] = xs[k]
    for a, i in enumerate(group):
        B[i] = -q[a, a]
        A[i] = sum(q[a, b] * x_eff[j] for b, j in enumerate(group) if b != a)


def _conductances(plan: Plan, x: np.ndarray) -> np.ndarray:
    s = plan.structure
    g = np.empty((s.n_channels,) + x.shape[1:])
    for i, idx in enumerate(s.channel_gates):
        gi = plan.gbar[i] * np.ones(x.shape[1:])
        if s.open_code(i):
            gi = gi * open_fraction(s, i, x, plan.rp)
        else:
            for j in idx:
                gi = gi * x[j] ** s.gates[j].power
        g[i] = gi
    return g


def open_fraction(s, i: int, x, rp, evaluate=_expr.evaluate):
    """g / gbar of channel i, given by a conductance expression, from the gate
    values ``x`` (rows by gate) and its constants in ``rp`` (rows); ``evaluate``
    walks the checked tree."""
    tree = _expr.parse(s.open_code(i))
    env = {f"g{k}": x[j] for k, j in enumerate(s.channel_gates[i])}
    off = s.channel_open_offset[i]
    env.update({n: rp[off + int(n[1:])] for n in _expr.names(tree) if n[0] == "c"})
    return evaluate(tree, env)


def _ghk(v, c_in, c_out, z, rtf):
    xi = z * v / rtf
    small = np.abs(xi) < 1e-4
    safe = np.where(small, 1.0, xi)
    ratio = np.where(small, 1.0 + xi * (0.5 + xi / 12.0), safe / -np.expm1(-safe))
    return z * FARADAY * ratio * (c_in - c_out * np.exp(-xi))


def physics(plan: Plan, v, y, steady: bool = False):
    """Everything the solvers need at (V, states): a dict of arrays.

    ``v``: mV, one per column of the plan (or any shape that broadcasts
    against them, e.g. a trace of one model's V); ``y``: the states (gates,
    then pools), one row each of the same shape (instantaneous gates' rows
    are not read: they follow V).  ``steady``: every gate at its steady state
    at V (the gate rows of ``y`` are not read; the pools are), as the
    resting-state solver and the steady-state I-V curve need.

    ``A``, ``B`` (n_states, ...): dx/dt = A - B x for gates and pools (1/ms;
    pools mM/ms and 1/ms); ``x_inf`` (n_gates, ...): each gate's steady state
    at V (and the pools); ``x_eff``: the gate values used (x_inf for
    instantaneous gates); ``g`` (n_channels, ...): conductances (mS/cm²; a
    GHK channel's permeability times its gates, cm/s); ``I``: channel
    currents (µA/cm², outward positive); ``E``: each channel's reversal
    potential (mV; Nernst at the pool's concentration; for GHK the Nernst
    potential of its ion, where its current reverses); ``G``, ``GE``: the
    linearised membrane (G = sum of ohmic and Nernst conductances, GE = sum
    g E minus the GHK currents), the ionic current being ``G V - GE``.
    """
    s = plan.structure
    v = np.asarray(v, dtype=float)
    A, B, x_eff, x_inf = _gates(plan, v, y, steady)
    g = _conductances(plan, x_eff)
    shape = g.shape[1:]
    I = np.empty_like(g)
    E = np.empty_like(g)
    G = np.zeros(shape)
    GE = np.zeros(shape)
    for i in range(s.n_channels):
        mode, pool = s.mode(i), s.pool_of(i)
        if mode == "ohmic":
            e = plan.erev[i]
        else:
            o = s.channel_extra[i]
            cin = y[s.n_gates + pool] if pool >= 0 else plan.rp[o + 2]
            if mode == "ghk":
                z = float(s.channel_valence[i])
                if s.ghk2(i):  # (see hhsim.channels.ions.ghk2_current)
                    f, co = plan.rp[o + 3], plan.rp[o + 1]
                    I[i] = g[i] * f / (co * FARADAY) * _ghk(v, cin, co, 1.0, f)
                else:
                    I[i] = g[i] * _ghk(v, cin, plan.rp[o + 1], z, plan.rp[o])
                E[i] = plan.rp[o] / z * np.log(plan.rp[o + 1] / cin)
                GE = GE - I[i]
                continue
            e = plan.rp[o] * np.log(plan.rp[o + 1] / cin)
        E[i] = e
        I[i] = g[i] * (v - e)
        G = G + g[i]
        GE = GE + g[i] * e
    for k, p in enumerate(s.pools):
        j, o = s.n_gates + k, p.offset
        feeding = [i for i in range(s.n_channels) if s.pool_of(i) == k]
        i_ion = np.sum(I[feeding], axis=0) if feeding else 0.0
        influx = -plan.rp[o] * i_ion
        A[j] = plan.rp[o + 2] / plan.rp[o + 1] + (np.maximum(influx, 0.0) if p.clip else influx)
        B[j] = 1.0 / plan.rp[o + 1]
        if p.pump:  # Michaelis-Menten extrusion vmax C / (C + km), as B C
            B[j] = B[j] + plan.rp[o + 3] / (y[j] + plan.rp[o + 4])
    return {"A": A, "B": B, "g": g, "I": I, "E": E, "G": G, "GE": GE, "x_eff": x_eff, "x_inf": x_inf}


def instantaneous(plan: Plan, v, y) -> np.ndarray:
    """``y`` with the rows of instantaneous gates set to x_inf at (V, pools)."""
    s = plan.structure
    inst = [j for j, g in enumerate(s.gates) if g.instantaneous]
    if not inst:
        return y
    _, _, x_eff, _ = _gates(plan, v, y)
    y = y.copy()
    y[inst] = x_eff[inst]
    return y
