"""The vector field of a model as an analytic function: complex-safe and vectorised.

:func:`hhsim.engine.numpy_path.physics` evaluates the lowered equations in
real arithmetic only (it casts to float and uses ``maximum`` and real branch
tests).  Complex-step differentiation and Cauchy-integral derivatives need
the *same* equations evaluated at complex states, so this module walks the
same :class:`~hhsim.physics.structure.Plan` (rate forms, expression trees,
Nernst/GHK terms, ion pools) with complex-safe NumPy: branch decisions
(``where``, ``min``/``max``/``abs``, the series cut of ``linexp``) are taken
on the real part, which leaves the function analytic near the real axis and
its real part identical to the real evaluation.

The dynamic state is ``u = (V, the non-instantaneous gates, the pools)``:
instantaneous gates are functions of V and the pools, not states.  Points
are columns: ``u`` has shape ``(n, m)`` for m points at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..channels import expr as _expr
from ..channels.base import LINEXP_SERIES_BELOW
from ..physics.evaluate import open_fraction
from ..physics.structure import Plan, lower
from ..model import Model
from ..units import FARADAY


def _re(x):
    return np.real(x)


def _ratio(x):
    """x / (1 - exp(-x)), analytic, series near 0 (cut taken on |x|)."""
    small = np.abs(x) < LINEXP_SERIES_BELOW
    safe = np.where(small, 1.0, x)
    return np.where(small, 1.0 + x * (0.5 + x / 12.0), safe / -np.expm1(-safe))


def _c_linexp(x, k):
    return k * _ratio(x / k)


def _c_vtrap(x, k):
    return k * _ratio(-x / k)


def _c_abs(x):
    return np.where(_re(x) >= 0, x, -x)


def _c_min(a, b):
    return np.where(_re(a) <= _re(b), a, b)


def _c_max(a, b):
    return np.where(_re(a) >= _re(b), a, b)


_FUNCS = {
    "exp": np.exp, "expm1": np.expm1, "log": np.log, "log1p": np.log1p, "log10": np.log10,
    "sqrt": np.sqrt, "tanh": np.tanh, "sinh": np.sinh, "cosh": np.cosh, "abs": _c_abs,
    "min": _c_min, "max": _c_max, "linexp": _c_linexp, "vtrap": _c_vtrap,
}
_OPS = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "**": np.power}
_CMP = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}


def _evaluate(tree: tuple, env: dict):
    """A checked expression tree (see :mod:`hhsim.channels.expr`) at complex inputs."""

    def go(n):
        kind = n[0]
        if kind == "num":
            return n[1]
        if kind == "name":
            return env[n[1]]
        if kind == "neg":
            return -go(n[1])
        if kind == "bin":
            return _OPS[n[1]](go(n[2]), go(n[3]))
        if kind == "cmp":
            return _CMP[n[1]](_re(go(n[2])), _re(go(n[3])))
        if n[1] == "where":
            c, a, b = (go(x) for x in n[2])
            return np.where(c, a, b)
        return _FUNCS[n[1]](*(go(a) for a in n[2]))

    return go(tree)


def _builtin_form(kind: str, p, v):
    """The four built-in rate shapes of :mod:`hhsim.channels.base`, complex-safe."""
    if kind == "exp":
        a, k, v0 = p
        return a * np.exp((v - v0) / k)
    if kind == "sigmoid":
        a, k, v0 = p
        return a / (1.0 + np.exp((v - v0) / k))
    if kind == "linexp":
        a, k, v0 = p
        return a * k * _ratio((v - v0) / k)
    if kind == "const":
        return p[0] + 0.0 * v
    raise ValueError(f"unknown rate form kind {kind!r}")


def _ghk(v, c_in, c_out, z, rtf):
    xi = z * v / rtf
    return z * FARADAY * _ratio(xi) * (c_in - c_out * np.exp(-xi))


@dataclass
class ModelField:
    """du/dt = f(u; I) of one model, u = (V, dynamic gates, pools), I in µA/cm².

    Build with :func:`model_field`.  ``names`` labels the rows of ``u``;
    ``scale`` is a typical size of each row (mV, 1, mM) used to weigh norms.
    """

    model: Model
    plan: Plan
    dyn_gates: tuple[int, ...]
    names: tuple[str, ...]
    scale: np.ndarray
    _trees: dict = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        """Number of dynamic states (V included)."""
        return len(self.names)

    @property
    def cm(self) -> float:
        return float(self.plan.cm[0])

    # ------------------------------------------------------------- evaluation
    def _form(self, j: int, which: int, v, pools):
        s = self.plan.structure
        g = s.gates[j]
        kind, off = g.form_kinds[which], g.param_offsets[which]
        rp = self.plan.rp[:, 0]
        if kind != "expr":
            return _builtin_form(kind, rp[off: off + {"const": 1}.get(kind, 3)], v)
        key = g.form_code[which]
        tree = self._trees.get(key)
        if tree is None:
            tree = self._trees[key] = _expr.parse(key)
        env = {"V": v}
        env.update({f"p{k}": rp[off + k] for k in range(g.form_sizes[which])})
        env.update({p.name: pools[k] for k, p in enumerate(s.pools)})
        return _evaluate(tree, env)

    def _split(self, u):
        s = self.plan.structure
        ng = len(self.dyn_gates)
        v = u[0]
        gates = u[1: 1 + ng]
        pools = u[1 + ng: 1 + ng + s.n_pools]
        return v, gates, pools

    def relaxation(self, v, pools):
        """(A, B) of every gate at (V, pools): dx/dt = A - B x (instantaneous gates: x_inf, 0)."""
        s = self.plan.structure
        A, B = [], []
        phi = self.plan.phi[:, 0]
        for j, g in enumerate(s.gates):
            fa = self._form(j, 0, v, pools)
            if g.instantaneous:
                if g.form_names == ("alpha", "beta"):
                    fa = fa / (fa + self._form(j, 1, v, pools))
                A.append(fa)
                B.append(None)
                continue
            fb = self._form(j, 1, v, pools)
            p = phi[g.channel_index]
            if g.form_names == ("alpha", "beta"):
                A.append(p * fa)
                B.append(p * (fa + fb))
            else:
                A.append(p * fa / fb)
                B.append(p / fb)
        return A, B

    def _currents(self, v, x, pools):
        """Channel currents (µA/cm², outward positive) with gate values ``x`` (all gates)."""
        s, plan = self.plan.structure, self.plan
        rp = plan.rp[:, 0]
        out = []
        for i in range(s.n_channels):
            g = plan.gbar[i, 0]
            if s.open_code(i):  # a conductance expression of the gates
                g = g * open_fraction(s, i, x, rp, _evaluate)
            else:
                for j in s.channel_gates[i]:
                    g = g * x[j] ** s.gates[j].power
            mode, pool = s.mode(i), s.pool_of(i)
            if mode == "ohmic":
                out.append(g * (v - plan.erev[i, 0]))
                continue
            o = s.channel_extra[i]
            cin = pools[pool] if pool >= 0 else rp[o + 2]
            if mode == "ghk":
                out.append(g * _ghk(v, cin, rp[o + 1], float(s.channel_valence[i]), rp[o]))
            else:
                out.append(g * (v - rp[o] * np.log(rp[o + 1] / cin)))
        return out

    def _all_gates(self, v, gates, pools, A):
        """Values of every gate row: states for dynamic gates, x_inf for instantaneous ones."""
        x = list(A)
        for k, j in enumerate(self.dyn_gates):
            x[j] = gates[k]
        return x

    def _pool_terms(self, I):
        """(A, B) of every pool: dC/dt = A - B C, influx only inward (as the kernels)."""
        s, rp = self.plan.structure, self.plan.rp[:, 0]
        A, B = [], []
        for k, p in enumerate(s.pools):
            o = p.offset
            feeding = [I[i] for i in range(s.n_channels) if s.pool_of(i) == k]
            influx = -rp[o] * sum(feeding) if feeding else 0.0 * I[0]
            influx = np.where(_re(influx) > 0, influx, 0.0)
            A.append(rp[o + 2] / rp[o + 1] + influx)
            B.append(1.0 / rp[o + 1])
        return A, B

    def ionic_current(self, u):
        """Total ionic current (µA/cm², outward positive) at states ``u`` (n, m)."""
        v, gates, pools = self._split(u)
        A, _ = self.relaxation(v, pools)
        return sum(self._currents(v, self._all_gates(v, gates, pools, A), pools))

    def __call__(self, u, i_app=0.0):
        """du/dt at ``u`` (n, m), real or complex, for injected current ``i_app`` (µA/cm²)."""
        u = np.asarray(u)
        with np.errstate(all="ignore"):
            v, gates, pools = self._split(u)
            A, B = self.relaxation(v, pools)
            x = self._all_gates(v, gates, pools, A)
            I = self._currents(v, x, pools)
            out = [(i_app - sum(I)) / self.cm]
            out += [A[j] - B[j] * gates[k] for k, j in enumerate(self.dyn_gates)]
            pa, pb = self._pool_terms(I)
            out += [pa[k] - pb[k] * pools[k] for k in range(len(pa))]
        return np.array([np.broadcast_to(o, np.shape(v)) for o in out])

    # ------------------------------------------------------------- steady state
    def steady_state(self, v) -> np.ndarray:
        """u with every gate and pool at its steady state at holding potential(s) V (mV): (n, m)."""
        v = np.atleast_1d(np.asarray(v, dtype=float))
        s = self.plan.structure
        if s.n_pools:
            dyn = self.model.pool_steady_state(v)
            pools = np.array([np.broadcast_to(dyn[p.name], v.shape) for p in s.pools])
        else:
            pools = np.zeros((0, v.size))
        with np.errstate(all="ignore"):
            A, B = self.relaxation(v, pools)
            gates = [np.broadcast_to(A[j] / B[j], v.shape) for j in self.dyn_gates]
        return np.vstack([v[None, :], np.array(gates).reshape(len(gates), v.size), pools])

    def full_state(self, u) -> tuple[np.ndarray, np.ndarray]:
        """(V, states as :attr:`Model.state_names`) from u (n, m): instantaneous gates filled in."""
        v, gates, pools = self._split(np.asarray(u, dtype=float))
        A, _ = self.relaxation(v, pools)
        x = self._all_gates(v, gates, pools, A)
        rows = [np.broadcast_to(r, v.shape) for r in x] + list(pools)
        return v, np.array(rows, dtype=float)


def model_field(model: Model) -> ModelField:
    """The :class:`ModelField` of ``model`` (lowered once; one compartment); a preset name is accepted."""
    from .. import models as _models

    model = _models.get(model)
    plan = lower(model)
    s = plan.structure
    s.check_classic("the dynamics tools (equilibria, bifurcation, phase plane)")  # their own equations
    dyn = tuple(j for j, g in enumerate(s.gates) if not g.instantaneous)
    state_names = model.state_names
    names = ("V",) + tuple(state_names[j] for j in dyn) + tuple(p.name for p in s.pools)
    rest = model.concentration
    scale = np.array([10.0] + [0.1] * len(dyn) + [0.5 * rest[f"{p.name[:-2]}_in"] for p in s.pools])
    return ModelField(model, plan, dyn, names, scale)
