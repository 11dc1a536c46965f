"""The phase plane of any two states of a model, the others reduced away.

Reductions of the states not drawn:

* ``fixed``: held at their values at the equilibrium (the rest state at the
  current, or the lowest equilibrium);
* ``steady``: at their steady state at the present V (gates x_inf(V), pools
  at steady state), the fast-slow view;
* ``rinzel``: Rinzel's reduction (Rinzel 1985, in *Mathematical Methods in
  Neurophysiology*, "Excitation dynamics: insights from simplified membrane
  models"; Krinsky & Kokoz 1973): gates much faster than the drawn slow
  variable (time constant at rest under a tenth of its) sit at x_inf(V), and
  every other gate is a linear function of the drawn one, fitted along a
  simulated action potential (for the squid axon h falls as n rises, h + n
  roughly constant along a spike, as Krinsky & Kokoz observed).  Pools stay at rest.

From the reduced planar field: nullclines, the vector field, the equilibria
with their types (eigenvalues of the planar Jacobian by the complex step),
trajectories (scipy's ``solve_ivp``, Radau) from given points or under a
stimulus, and — where an equilibrium is a saddle — its stable manifold,
the threshold separatrix, by integrating backwards from the saddle along
its stable eigenvector.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import fsolve

from .. import models as _models
from .. import validate as _validate
from ..checks import check_stimulus
from ..errors import ParameterError
from .derivatives import jacobian
from .equilibria import at_current, classify
from .field import ModelField, model_field

REDUCTIONS = ("fixed", "steady", "rinzel")
GRID = 21
FINE = 241


@dataclass
class PhasePlane:
    """A computed phase plane (units: mV for V, 1 for gates, mM for pools, ms)."""

    model_name: str
    x_name: str
    y_name: str
    reduce: str
    i_uA_cm2: float
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    grid: tuple[np.ndarray, np.ndarray]
    field_xy: tuple[np.ndarray, np.ndarray]
    fine: tuple[np.ndarray, np.ndarray]
    nullcline_x: np.ndarray
    nullcline_y: np.ndarray
    equilibria: list[dict]
    trajectories: list[np.ndarray] = field(default_factory=list)
    separatrix: np.ndarray | None = None
    full_trajectory: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)
    relation: dict = field(default_factory=dict)

    @property
    def x_label(self) -> str:
        return _label(self.x_name)

    @property
    def y_label(self) -> str:
        return _label(self.y_name)

    @property
    def title(self) -> str:
        return (f"{self.model_name}: {self.y_name} against {self.x_name} ({self.reduce} reduction), "
                f"I = {self.i_uA_cm2:g} µA/cm²")

    def plot(self, path=None):
        from ..plot.dynamics import plot_phase_plane

        return plot_phase_plane(self, path)

    def to_dict(self) -> dict:
        return {
            "model": self.model_name, "vars": [self.x_name, self.y_name], "reduce": self.reduce,
            "I_uA_cm2": self.i_uA_cm2, "equilibria": self.equilibria,
            "separatrix": None if self.separatrix is None else self.separatrix.tolist(),
            "trajectories": [t.tolist() for t in self.trajectories],
            "full_trajectory": None if self.full_trajectory is None else self.full_trajectory.tolist(),
            "relations": self.relation, "notes": self.notes,
        }


def _label(name: str) -> str:
    return "V (mV)" if name == "V" else (f"{name} (mM)" if name.endswith("_i") else name)


class Reduced:
    """The planar field (dx/dt, dy/dt) of two states, the others given by a reduction."""

    def __init__(self, f: ModelField, ix: int, iy: int, base: np.ndarray, reduce: str, relation: dict):
        self.f, self.ix, self.iy, self.base, self.reduce, self.relation = f, ix, iy, base, reduce, relation

    def full(self, x, y):
        """Full states (n, m) at the points (x, y) (arrays, complex allowed)."""
        x, y = np.broadcast_arrays(np.asarray(x), np.asarray(y))
        x, y = x.ravel(), y.ravel()
        dtype = np.result_type(x, y, float)
        u = np.repeat(self.base[:, None], x.size, axis=1).astype(dtype)
        u[self.ix], u[self.iy] = x, y
        if self.reduce != "fixed":
            v = u[0]
            pools = u[1 + len(self.f.dyn_gates):]
            A, B = self.f.relaxation(v, pools)
            for k, j in enumerate(self.f.dyn_gates):
                row = 1 + k
                if row in (self.ix, self.iy):
                    continue
                if self.reduce == "steady" or row in self.relation.get("fast", ()):
                    u[row] = A[j] / B[j]
                elif row in self.relation.get("linear", {}):
                    a, b = self.relation["linear"][row]
                    u[row] = a + b * u[self.iy]
        return u

    def __call__(self, xy, i_app):
        """(dx/dt, dy/dt) at points xy (2, m)."""
        with np.errstate(all="ignore"):
            d = self.f(self.full(xy[0], xy[1]), i_app)
        return np.array([d[self.ix], d[self.iy]])


def _rinzel_relation(f: ModelField, ix: int, iy: int, rest: np.ndarray) -> dict:
    """Fast gates and linear fits of the other gates against y along a simulated spike."""
    from ..simulation import simulate
    from ..stim import pulse

    v = np.array([rest[0]])
    pools = rest[1 + len(f.dyn_gates):, None]
    A, B = f.relaxation(v, pools)
    tau = {1 + k: float(1.0 / np.real(B[j][0])) for k, j in enumerate(f.dyn_gates)}
    ref = tau.get(iy, min(tau.values()) if tau else 1.0)
    fast = tuple(r for r, t in tau.items() if t < 0.1 * ref and r not in (ix, iy))
    others = [r for r in tau if r not in fast and r not in (ix, iy)]
    linear = {}
    if others:
        amp = 20.0 * f.cm
        r = simulate(f.model, pulse(amp, 5.0, 1.0), t_stop=40.0, dt=0.01,
                     initial_state={"v": rest[0], **{n: float(x) for n, x in zip(f.names[1:], rest[1:])}})
        y = r.states[f.names[iy]] if iy else r.v
        for row in others:
            z = r.states[f.names[row]]
            b, a = np.polyfit(y, z, 1)
            linear[row] = (float(a), float(b))
    return {"fast": fast, "linear": linear}


def _default_vars(f: ModelField) -> tuple[str, str]:
    if "n" in f.names:
        return "V", "n"
    return "V", f.names[-1]


def _parse_vars(f: ModelField, vars_) -> tuple[int, int]:
    if vars_ is None:
        vars_ = _default_vars(f)
    if isinstance(vars_, str):
        vars_ = [s.strip() for s in vars_.split(",")]
    if not isinstance(vars_, (list, tuple)) or not all(isinstance(v, str) for v in vars_):
        raise ParameterError(f"vars must be two state names such as 'V,n' or ('V', 'n') (got "
                             f"{type(vars_).__name__} {_validate.shown(vars_)})")
    names = list(f.names)
    if len(vars_) != 2 or vars_[0] == vars_[1]:
        raise ParameterError(f"--vars needs two different state names separated by a comma, got {vars_!r}")
    for v in vars_:
        if v not in names:
            raise ParameterError(f"model {f.model.name!r} has no state {v!r}; its states: {', '.join(names)}")
    return names.index(vars_[0]), names.index(vars_[1])


def _span(f: ModelField, i: int, base: np.ndarray) -> tuple[float, float]:
    name = f.names[i]
    if name == "V":
        return (-100.0, 60.0)
    if name.endswith("_i"):
        return (0.0, float(10 * base[i]))
    return (0.0, 1.0)


def phase_plane(model, vars=None, *, reduce: str = "rinzel", i_app: float = 0.0, starts=(),
                stimulus=None, t_stop: float = 100.0, x_range=None, y_range=None) -> PhasePlane:
    """The phase plane of states ``vars`` (``"V,n"``) at injected current ``i_app`` µA/cm².

    ``starts``: (x, y) points to start trajectories from; ``stimulus``: a
    :class:`~hhsim.stim.Stimulus` added to ``i_app`` for a trajectory from the
    rest state (drawn for the reduced system and, projected, the full model).
    """
    model = _models.get(model)
    if reduce not in REDUCTIONS:
        raise ParameterError(f"unknown reduction {reduce!r}; accepted: {', '.join(REDUCTIONS)}")
    i_app = _validate.number(i_app, "i_app", unit="µA/cm²", lo=-1e5, hi=1e5)
    # a subnormal t_stop (5e-324 ms) left LSODA looping for ever: a trajectory is at least a microsecond
    t_stop = _validate.number(t_stop, "t_stop", unit="ms", lo=MIN_TRAJECTORY_MS, hi=MAX_TRAJECTORY_MS)
    stimulus = check_stimulus(stimulus)
    x_range, y_range = _checked_range(x_range, "x_range"), _checked_range(y_range, "y_range")
    f = model_field(model)
    ix, iy = _parse_vars(f, vars)
    i_app = float(i_app)
    eqs = at_current(f, i_app)
    rest_eq = next((e for e in eqs if e.stable), eqs[0] if eqs else None)
    notes = []
    if rest_eq is None:
        base = f.steady_state(model.resting_potential())[:, 0]
        notes.append(f"no equilibrium of the full model at {i_app:g} µA/cm²")
    else:
        base = rest_eq.state
        if not rest_eq.stable:
            notes.append(f"no stable rest state at {i_app:g} µA/cm²")
    relation = _rinzel_relation(f, ix, iy, base) if reduce == "rinzel" else {}
    red = Reduced(f, ix, iy, base, reduce, relation)
    xr = tuple(x_range) if x_range is not None else _span(f, ix, base)
    yr = tuple(y_range) if y_range is not None else _span(f, iy, base)
    for name, r in ((f.names[ix], xr), (f.names[iy], yr)):
        if not (np.all(np.isfinite(r)) and r[1] > r[0]):
            raise ParameterError(f"range of {name} must be two finite numbers low < high, got {r}")
    X, Y = np.meshgrid(np.linspace(*xr, GRID), np.linspace(*yr, GRID))
    UV = np.real(red(np.array([X.ravel(), Y.ravel()]), i_app))
    Xf, Yf = np.meshgrid(np.linspace(*xr, FINE), np.linspace(*yr, FINE))
    F = np.real(red(np.array([Xf.ravel(), Yf.ravel()]), i_app))
    nx, ny = F[0].reshape(Xf.shape), F[1].reshape(Xf.shape)
    pts = _equilibria(red, i_app, Xf, Yf, nx, ny, xr, yr)
    pp = PhasePlane(model.name, f.names[ix], f.names[iy], reduce, i_app, xr, yr, (X, Y),
                    (UV[0].reshape(X.shape), UV[1].reshape(X.shape)), (Xf, Yf), nx, ny, pts, notes=notes,
                    relation={"fast": [f.names[r] for r in relation.get("fast", ())],
                              "linear": {f.names[r]: {"intercept": a, "slope": b, "of": f.names[iy]}
                                         for r, (a, b) in relation.get("linear", {}).items()}})
    for s in _checked_starts(starts, (f.names[ix], f.names[iy]), xr, yr):
        pp.trajectories.append(_trajectory(red, lambda t: i_app, s, t_stop))
    if stimulus is not None:
        rest_xy = np.array([base[ix], base[iy]])
        pp.trajectories.append(_trajectory(red, lambda t: i_app + float(stimulus.value(np.array([t]))[0]),
                                           rest_xy, t_stop, max_step=0.25))
        from ..simulation import simulate
        from ..stim import step, total

        stim_all = total([step(i_app), stimulus]) if i_app else stimulus
        r = simulate(model, stim_all, t_stop=t_stop, dt=0.02,
                     initial_state={"v": base[0], **{n: float(x) for n, x in zip(f.names[1:], base[1:])}})
        pick = [r.v if k == 0 else r.states[f.names[k]] for k in (ix, iy)]
        pp.full_trajectory = np.column_stack(pick)
        pp.notes.append("last trajectory: the reduced model from rest under the stimulus; "
                        "full_trajectory: the full model, projected")
    saddles = [e for e in pts if e["type"] == "saddle"]
    if saddles:
        pp.separatrix = _separatrix(red, i_app, saddles[0], xr, yr)
    else:
        pp.notes.append("no saddle in the reduced plane: no threshold separatrix")
    return pp


def _equilibria(red: Reduced, i_app, Xf, Yf, nx, ny, xr, yr) -> list[dict]:
    """Intersections of the nullclines, refined by fsolve and classified."""
    sx = (np.sign(nx[:-1, :-1]) != np.sign(nx[1:, 1:])) | (np.sign(nx[:-1, :-1]) != np.sign(nx[:-1, 1:]))
    sy = (np.sign(ny[:-1, :-1]) != np.sign(ny[1:, 1:])) | (np.sign(ny[:-1, :-1]) != np.sign(ny[:-1, 1:]))
    cand = np.argwhere(sx & sy)
    scale = np.array([xr[1] - xr[0], yr[1] - yr[0]])
    out: list[dict] = []
    for r, c in cand:
        p0 = np.array([Xf[r, c], Yf[r, c]])
        sol, info, ok, _ = fsolve(lambda p: np.real(red(p[:, None], i_app))[:, 0], p0, full_output=True,
                                  xtol=1e-13)
        if ok != 1 or not (xr[0] <= sol[0] <= xr[1] and yr[0] <= sol[1] <= yr[1]):
            continue
        if any(np.all(np.abs(sol - np.array([e["x"], e["y"]])) < 1e-6 * scale) for e in out):
            continue
        J = jacobian(lambda z: red(z, i_app), sol)
        ev = np.linalg.eigvals(J)
        out.append({"x": float(sol[0]), "y": float(sol[1]), "type": classify(ev),
                    "stable": bool(np.all(ev.real < 0)),
                    "eigenvalues_per_ms": [[float(z.real), float(z.imag)] for z in ev],
                    "_J": J})
    for e in out:
        e.pop("_J")
    return sorted(out, key=lambda e: e["x"])


#: Most trajectories of one phase plane (each is an ODE solve in Python).
MAX_STARTS = 200
#: Longest trajectory (ms).
MAX_TRAJECTORY_MS = 10_000.0
#: Shortest trajectory (ms): a microsecond.
MIN_TRAJECTORY_MS = 1e-3


def _checked_range(r, where: str):
    """A plane's range: None (the default) or two finite numbers low < high."""
    if r is None:
        return None
    a = _validate.float_array(r, where, flat=False, max_len=2)
    if a.size != 2 or not a[1] > a[0]:
        raise ParameterError(f"{where} must be two finite numbers low < high (got {_validate.shown(r)})")
    return (float(a[0]), float(a[1]))


def _checked_starts(starts, names, xr, yr) -> list[np.ndarray]:
    """The start points, each two finite numbers within 10 widths of the plane's view; at most
    :data:`MAX_STARTS` (a start at V = 1e300 would run the solver for minutes)."""
    if starts is None:
        return []
    if not isinstance(starts, (list, tuple)) and not hasattr(starts, "tolist"):
        raise ParameterError(f"starts must be a list of (x, y) points (got {type(starts).__name__})")
    starts = list(starts.tolist() if hasattr(starts, "tolist") else starts)
    if len(starts) > MAX_STARTS:
        raise ParameterError(f"{len(starts)} start points is over the limit of {MAX_STARTS} trajectories; "
                             "give fewer")
    out = []
    for k, s in enumerate(starts):
        try:
            p = np.asarray(s, dtype=float) if isinstance(s, (list, tuple, np.ndarray)) else np.array([np.nan])
        except (TypeError, ValueError, OverflowError):  # text, ragged, an integer beyond a float
            p = np.array([np.nan])
        if p.shape != (2,) or not np.all(np.isfinite(p)):
            raise ParameterError(f"start point {k + 1} needs two finite numbers ({names[0]}, {names[1]}), "
                                 f"got {_validate.shown(s)}")
        for value, name, (lo, hi) in zip(p, names, (xr, yr)):
            width = hi - lo
            if not lo - 10 * width <= value <= hi + 10 * width:
                raise ParameterError(f"start point {k + 1}: {name} = {value:g} is far outside the plane "
                                     f"({lo:g} to {hi:g}); accepted: within ten widths of it")
        out.append(p)
    return out


def _trajectory(red: Reduced, current, start: np.ndarray, t_stop: float, max_step: float = np.inf) -> np.ndarray:
    if start.shape != (2,) or not np.all(np.isfinite(start)):
        raise ParameterError(f"a start point needs two finite numbers, got {start.tolist()}")
    sol = solve_ivp(lambda t, p: np.real(red(p[:, None], current(t)))[:, 0], (0.0, float(t_stop)), start,
                    method="LSODA", rtol=1e-8, atol=1e-10, max_step=max_step, dense_output=True)
    t = np.union1d(sol.t, np.linspace(0.0, sol.t[-1], 1000))  # the solver's steps keep the spike sharp
    return sol.sol(t).T


def _separatrix(red: Reduced, i_app, saddle: dict, xr, yr) -> np.ndarray:
    """The saddle's stable manifold: backwards from the saddle along its stable eigenvector."""
    p = np.array([saddle["x"], saddle["y"]])
    J = jacobian(lambda z: red(z, i_app), p)
    ev, vec = np.linalg.eig(J)
    k = int(np.argmin(ev.real))
    d = np.real(vec[:, k])
    scale = np.array([xr[1] - xr[0], yr[1] - yr[0]])
    d = d / np.linalg.norm(d / scale)
    halves = []
    for sign in (1.0, -1.0):
        start = p + sign * 1e-4 * d

        def back(t, q):
            return -np.real(red(q[:, None], i_app))[:, 0]

        def leave(t, q):
            inside = min(q[0] - xr[0], xr[1] - q[0], (q[1] - yr[0]) * scale[0] / scale[1],
                         (yr[1] - q[1]) * scale[0] / scale[1])
            return inside
        leave.terminal = True
        sol = solve_ivp(back, (0.0, 200.0), start, method="Radau", rtol=1e-8, atol=1e-10, events=leave,
                        dense_output=True)
        t = np.linspace(0.0, sol.t[-1], 600)
        halves.append(sol.sol(t).T)
    return np.vstack([halves[1][::-1], halves[0]])
