"""The same equations in plain NumPy, vectorised over compartments.

Slow (the time loop is in Python) and kept only to test the generated,
compiled kernels: it reads the same :class:`~hhsim.engine.lower.Plan` but
evaluates the rate forms with their NumPy implementations (expression forms
by walking their checked tree), the Nernst and GHK terms and the ion pools
with NumPy, independently of the code generator.
"""

from __future__ import annotations

import numpy as np

from ..channels import expr as _expr
from ..channels.base import FORMS
from ..units import FARADAY
from .batch import Grid, stimulus_arrays
from .lower import Plan
from .solvers import FIXED_STEP


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


def _gates(plan: Plan, v, y):
    """(A, B, x_eff): gate relaxation coefficients (n_states rows, pools filled later)
    and the gate values to use in the conductances (x_inf for instantaneous gates)."""
    s = plan.structure
    A = np.zeros((s.n_states, plan.ncomp))
    B = np.zeros_like(A)
    x_eff = np.array(y[: s.n_gates], dtype=float, copy=True).reshape(s.n_gates, plan.ncomp)
    for j, g in enumerate(s.gates):
        phi = plan.phi[g.channel_index]
        fa = _form_value(plan, j, 0, v, y)
        if g.instantaneous:
            if g.form_names == ("alpha", "beta"):
                fb = _form_value(plan, j, 1, v, y)
                x_eff[j] = fa / (fa + fb)
            else:
                x_eff[j] = fa
            continue
        fb = _form_value(plan, j, 1, v, y)
        if g.form_names == ("alpha", "beta"):
            A[j], B[j] = phi * fa, phi * (fa + fb)
        else:
            A[j], B[j] = phi * fa / fb, phi / fb
    return A, B, x_eff


def _conductances(plan: Plan, x: np.ndarray) -> np.ndarray:
    s = plan.structure
    g = plan.gbar.copy()
    for i, idx in enumerate(s.channel_gates):
        for j in idx:
            g[i] = g[i] * x[j] ** s.gates[j].power
    return g


def _ghk(v, c_in, c_out, z, rtf):
    xi = z * v / rtf
    small = np.abs(xi) < 1e-4
    safe = np.where(small, 1.0, xi)
    ratio = np.where(small, 1.0 + xi * (0.5 + xi / 12.0), safe / -np.expm1(-safe))
    return z * FARADAY * ratio * (c_in - c_out * np.exp(-xi))


def physics(plan: Plan, v, y):
    """Everything the solvers need at (V, states): a dict of arrays.

    ``A``, ``B`` (n_states, ncomp): dx/dt = A - B x for gates and pools;
    ``g`` (n_channels, ncomp); ``I`` channel currents (µA/cm²); ``G``, ``GE``:
    the linearised membrane (G = sum of ohmic conductances, GE = sum g E minus
    the GHK currents); ``x_eff``: gate values used (x_inf for instantaneous gates).
    """
    s = plan.structure
    v = np.asarray(v, dtype=float)
    A, B, x_eff = _gates(plan, v, y)
    g = _conductances(plan, x_eff)
    I = np.empty_like(g)
    G = np.zeros(plan.ncomp)
    GE = np.zeros(plan.ncomp)
    for i in range(s.n_channels):
        mode, pool = s.mode(i), s.pool_of(i)
        if mode == "ohmic":
            e = plan.erev[i]
        else:
            o = s.channel_extra[i]
            cin = y[s.n_gates + pool] if pool >= 0 else plan.rp[o + 2]
            if mode == "ghk":
                I[i] = g[i] * _ghk(v, cin, plan.rp[o + 1], float(s.channel_valence[i]), plan.rp[o])
                GE = GE - I[i]
                continue
            e = plan.rp[o] * np.log(plan.rp[o + 1] / cin)
        I[i] = g[i] * (v - e)
        G = G + g[i]
        GE = GE + g[i] * e
    for k, p in enumerate(s.pools):
        j, o = s.n_gates + k, p.offset
        feeding = [i for i in range(s.n_channels) if s.pool_of(i) == k]
        i_ion = np.sum(I[feeding], axis=0) if feeding else 0.0
        A[j] = plan.rp[o + 2] / plan.rp[o + 1] + np.maximum(-plan.rp[o] * i_ion, 0.0)
        B[j] = 1.0 / plan.rp[o + 1]
    return {"A": A, "B": B, "g": g, "I": I, "G": G, "GE": GE, "x_eff": x_eff}


def instantaneous(plan: Plan, v, y) -> np.ndarray:
    """``y`` with the rows of instantaneous gates set to x_inf at (V, pools)."""
    s = plan.structure
    inst = [j for j, g in enumerate(s.gates) if g.instantaneous]
    if not inst:
        return y
    _, _, x_eff = _gates(plan, v, y)
    y = y.copy()
    y[inst] = x_eff[inst]
    return y


def run_numpy(plan: Plan, stimuli, grid: Grid, method: str, wave=None, scale=None, clamp=False):
    """Integrate like :func:`hhsim.engine.batch.run_batch`; returns (t, v, y) recorded every step."""
    solver = FIXED_STEP[method]
    ncomp = plan.ncomp
    wave = np.zeros(ncomp, dtype=int) if wave is None else np.asarray(wave)
    scale = np.ones(ncomp) if scale is None else np.asarray(scale, dtype=float)
    i_a, i_m, i_b = stimulus_arrays(stimuli, grid)

    def rhs(v, y, i):
        ph = physics(plan, v, y)
        dv = (i - np.sum(ph["I"], axis=0)) / plan.cm
        return dv, ph["A"] - ph["B"] * y

    def relax(v, y):
        ph = physics(plan, v, y)
        return ph["A"], ph["B"], ph["G"], ph["GE"], plan.cm

    step_fn = relax if method == "expeuler" else rhs
    v = plan.v0.astype(float).copy()
    y = plan.y0.astype(float).copy()
    vs = [v.copy()]
    ys = [y.copy()]
    for n in range(grid.n_steps):
        ia, im, ib = (scale * arr[n, wave] for arr in (i_a, i_m, i_b))
        with np.errstate(divide="ignore", invalid="ignore"):
            v, y = solver.numpy_step(step_fn, v, y, ia, im, ib, grid.dt, clamp)
        if clamp:
            v = ib.copy()
        y = instantaneous(plan, v, y)
        vs.append(v.copy())
        ys.append(y.copy())
    t = grid.t0 + grid.dt * np.arange(grid.n_steps + 1)
    return t, np.array(vs), np.array(ys)
