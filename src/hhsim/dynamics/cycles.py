"""Periodic orbits: found at one current, and continued along the current.

* :func:`orbit_at` — the orbit at a fixed current from a simulated spike
  train (one inter-spike interval of a run of the compiled integrator),
  polished by Newton on the collocation equations with an integral phase
  condition.
* :func:`continue_cycles` — pseudo-arclength continuation (Keller 1977) of
  the branch in (orbit, T, I), started at a Hopf point (branch switching
  along the critical eigenvector) or at any converged orbit.  At every step:
  the period, the V extrema and the Floquet multipliers (computed stably,
  :mod:`hhsim.dynamics.floquet`).  Folds of cycles (the current turns back),
  period doublings (a multiplier through -1) and torus points (a complex
  pair through the unit circle) are located by the secant method on the
  arclength step from the last point before the change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import HHSimError, ParameterError
from . import floquet
from .collocation import DEGREE, INTERVALS, Collocation, Orbit, bordered, orbit_from_samples, solve_sparse

NEWTON_TOL = 1e-9
NEWTON_MAX = 10
ADAPT_EVERY = 3
W_T = 1e-2  # weight of the period (ms) in the arclength norm
W_I = 1e-2  # weight of the current (µA/cm²)
TRIVIAL_TOL = 1e-4  # refine the mesh when the phase multiplier is further than this from 1
#: Most intervals the continuation refines a mesh to (N m n + 2 unknowns: 7,682 for 8 states).
MAX_INTERVALS = 240
HOMOCLINIC_FRACTION = 0.25  # events above this fraction of period_max count as the homoclinic end
AMPLITUDE_END_MV = 1.0  # a branch ends at a Hopf point when its V range falls below this


class NoConvergence(HHSimError):
    """Newton's method on the collocation equations did not converge."""


@dataclass
class CyclePoint:
    """One converged orbit of a branch with its Floquet multipliers."""

    orbit: Orbit
    multipliers: np.ndarray
    s: float = 0.0
    d_current: float = 0.0  # dI/ds of the tangent
    basis: np.ndarray | None = field(default=None, repr=False)

    @property
    def i_uA_cm2(self) -> float:
        return self.orbit.i_uA_cm2

    @property
    def period_ms(self) -> float:
        return self.orbit.period_ms

    @property
    def nontrivial(self) -> np.ndarray:
        mu = self.multipliers
        return np.delete(mu, floquet.trivial_index(mu))

    @property
    def stable(self) -> bool:
        return bool(np.all(np.abs(self.nontrivial) < 1.0))


@dataclass
class CycleBranch:
    """Points along a branch of periodic orbits, and the bifurcations located on it."""

    points: list[CyclePoint] = field(default_factory=list)
    folds: list[CyclePoint] = field(default_factory=list)
    period_doublings: list[CyclePoint] = field(default_factory=list)
    torus: list[CyclePoint] = field(default_factory=list)
    start: str = ""
    end: str = ""
    homoclinic: CyclePoint | None = None  # the last orbit when the period diverged
    unconfirmed: list = field(default_factory=list)  # (kind, I) where a test changed sign without the event

    def arrays(self) -> dict[str, np.ndarray]:
        ext = np.array([p.orbit.v_extrema() for p in self.points]).reshape(-1, 2)
        return {
            "I_uA_cm2": np.array([p.i_uA_cm2 for p in self.points]),
            "period_ms": np.array([p.period_ms for p in self.points]),
            "V_min_mV": ext[:, 0], "V_max_mV": ext[:, 1],
            "stable": np.array([p.stable for p in self.points], dtype=bool),
        }


def _newton(col: Collocation, orbit: Orbit, ref: Orbit, arc=None):
    """Newton on residual + phase condition (+ arclength when ``arc = (X0, tangent, ds)``).

    Returns the converged orbit and the bordered Jacobian at it.
    """
    free_i = arc is not None
    o = Orbit(orbit.mesh, orbit.u.copy(), orbit.period_ms, orbit.i_uA_cm2, orbit.m)
    wts = col.node_weights(ref)
    vel = col.velocity(ref)
    phase_row = (wts * vel).ravel()
    for it in range(NEWTON_MAX):
        r, K, dT, dI, J = col.linearise(o)
        phase = float(phase_row @ (o.u - ref.u).ravel())
        columns = [dT, dI] if free_i else [dT]
        rows = [np.concatenate([phase_row, np.zeros(len(columns))])]
        rhs = [r, [phase]]
        if free_i:
            X0, tan, ds = arc
            wvec = _weights(col, o)
            rows.append(tan * wvec)
            rhs.append([float(np.dot((_pack(o) - X0) * wvec, tan)) - ds])
        B = bordered(K, columns, rows)
        res = np.concatenate([np.ravel(x) for x in rhs])
        if not np.all(np.isfinite(res)):
            raise NoConvergence("non-finite residual")
        delta = solve_sparse(B, -res)
        nu = o.u.size
        o.u = o.u + delta[:nu].reshape(o.u.shape)
        o.period_ms += delta[nu]
        if free_i:
            o.i_uA_cm2 += delta[nu + 1]
        size = np.max(np.abs(delta[:nu].reshape(o.u.shape)) / np.sqrt(1.0 / col.w))
        if o.period_ms <= 0 or not np.isfinite(size):
            raise NoConvergence("period left the positive numbers")
        if size < NEWTON_TOL and abs(delta[nu]) < NEWTON_TOL * o.period_ms:
            o.linear = (K, dT, dI, J)  # at the last iterate, within NEWTON_TOL of o: reused
            return o, B, it + 1
    raise NoConvergence(f"no convergence in {NEWTON_MAX} Newton steps")


def _linear(col: Collocation, o: Orbit):
    """(K, dT, dI, J) of ``o``: kept from its last Newton iteration, else computed."""
    lin = getattr(o, "linear", None)
    return lin if lin is not None else col.jacobian(o)


def _adapted(col: Collocation, o: Orbit, tan, N: int | None = None):
    """The orbit re-solved on an adapted mesh of N intervals (and its tangent), or unchanged if that fails."""
    try:
        guess = col.adapt(o, N)
        new, _, _ = _newton(col, guess, guess)
        return new, (None if tan is None else _tangent(col, new, _on_mesh(tan, o, new)))
    except (NoConvergence, np.linalg.LinAlgError, RuntimeError):
        return o, tan


def _on_mesh(tan: np.ndarray, old: Orbit, new: Orbit) -> np.ndarray:
    """A tangent vector of ``old``'s mesh carried to ``new``'s mesh."""
    shape = Orbit(old.mesh, tan[:-2].reshape(old.u.shape), 1.0, 0.0, old.m)
    return np.concatenate([shape.evaluate(new.times()).ravel(), tan[-2:]])


def _weights(col, o: Orbit) -> np.ndarray:
    return np.concatenate([col.node_weights(o).ravel(), [W_T, W_I]])


def _pack(o: Orbit) -> np.ndarray:
    return np.concatenate([o.u.ravel(), [o.period_ms, o.i_uA_cm2]])


def _unpack(X: np.ndarray, like: Orbit) -> Orbit:
    nu = like.u.size
    return Orbit(like.mesh, X[:nu].reshape(like.u.shape).copy(), float(X[nu]), float(X[nu + 1]), like.m)


def _tangent(col: Collocation, o: Orbit, prev_tan: np.ndarray) -> np.ndarray:
    """Unit tangent (weighted norm) of the branch at ``o``, oriented like ``prev_tan``."""
    K, dT, dI, _ = _linear(col, o)
    wts = col.node_weights(o)
    phase_row = (wts * col.velocity(o)).ravel()
    w = _weights(col, o)
    B = bordered(K, [dT, dI], [np.concatenate([phase_row, [0.0, 0.0]]), prev_tan * w])
    rhs = np.zeros(B.shape[0])
    rhs[-1] = 1.0
    t = solve_sparse(B, rhs)
    return t / np.sqrt(np.dot(t * w, t))


def point_of(col: Collocation, o: Orbit, basis: np.ndarray | None = None) -> CyclePoint:
    """Floquet multipliers of a converged orbit (``basis``: from a nearby point, to start from)."""
    J = _linear(col, o)[3]
    mu, q = floquet.multipliers(floquet.transfer_matrices(col, o, J), basis)
    return CyclePoint(o, mu, basis=q)


#: Most collocation intervals a caller may ask :func:`orbit_at` for (the Newton system
#: grows with their square).  Its own name: it once shadowed the continuation's
#: :data:`MAX_INTERVALS`, and branches near a homoclinic end were refined to 2,000
#: intervals (64,002 unknowns for 8 states) instead of 240.
MAX_ORBIT_INTERVALS = 2000
#: Longest settling run before an orbit's first guess (ms).
MAX_SETTLE_MS = 100_000.0


def orbit_at(field, i_app: float, guess: Orbit | None = None, *, settle_ms: float | None = None,
             intervals: int = 100) -> CyclePoint:
    """The periodic orbit at injected current ``i_app`` (µA/cm²), from a spike train when no guess.

    ``field``: a :class:`~hhsim.dynamics.field.ModelField`, a Model or a preset name;
    ``intervals``: collocation intervals, 4 to :data:`MAX_ORBIT_INTERVALS`; ``settle_ms``:
    the run before the first guess, at most :data:`MAX_SETTLE_MS`.
    """
    from .. import validate as _validate
    from .field import ModelField, model_field

    if not isinstance(field, ModelField):
        field = model_field(field)
    i_app = _validate.number(i_app, "i_app", unit="µA/cm²", lo=-1e5, hi=1e5)
    intervals = _validate.whole(intervals, "intervals", lo=4, hi=MAX_ORBIT_INTERVALS)
    if settle_ms is not None:
        settle_ms = _validate.number(settle_ms, "settle_ms", unit="ms", lo=0.0, lo_open=True, hi=MAX_SETTLE_MS)
    if guess is not None and not isinstance(guess, Orbit):
        raise ParameterError(f"guess must be an Orbit (the .orbit of a CyclePoint) or None (got "
                             f"{type(guess).__name__} {_validate.shown(guess)})")
    col = Collocation(field)
    if guess is None:
        guess = _from_simulation(field, float(i_app), intervals, settle_ms)
    o = guess
    for _ in range(3):
        o, _, _ = _newton(col, o, o)
        o = col.adapt(o)
    o, _, _ = _newton(col, o, o)
    return point_of(col, o)


def _from_simulation(field, i_app: float, intervals: int, settle_ms: float | None) -> Orbit:
    """One inter-spike interval of a long run at ``i_app`` as a first guess."""
    from ..simulation import simulate
    from ..stim import step as constant

    settle = 600.0 if settle_ms is None else float(settle_ms)
    r = simulate(field.model, constant(i_app), t_stop=settle, dt=0.01, rtol=1e-8, atol=1e-8)
    st = r.spike_times
    if st.size < 4:
        raise HHSimError(
            f"model {field.model.name!r} does not fire repetitively at {i_app:g} µA/cm² "
            f"within {settle:g} ms: no spike train to start a periodic orbit from"
        )
    t0, t1 = st[-2], st[-1]
    k = (r.t >= t0 - 1.0) & (r.t <= t1 - 1.0 + 1e-9)
    t = r.t[k]
    states = np.array([r.v[k]] + [r.states[nm][k] for nm in field.names[1:]]).T
    return orbit_from_samples(t, states, float(t[-1] - t[0]), i_app, intervals, scale=field.scale)


def from_hopf(field, hopf, intervals: int = INTERVALS) -> tuple[Orbit, np.ndarray]:
    """The constant orbit at a Hopf point and the direction of the cycle branch (branch switching)."""
    col = Collocation(field)
    T = 2 * np.pi / hopf.omega_per_ms
    mesh = np.linspace(0.0, 1.0, intervals + 1)
    o = Orbit(mesh, np.zeros((intervals * DEGREE, field.n)), T, hopf.i_uA_cm2)
    tau = o.times()
    q = hopf.eigenvector / abs(hopf.eigenvector[0])
    shape = np.real(q[None, :] * np.exp(2j * np.pi * tau)[:, None])
    o.u = np.repeat(hopf.state[None, :], tau.size, axis=0)
    tan = np.concatenate([shape.ravel(), [0.0, 0.0]])
    w = _weights(col, o)
    return o, tan / np.sqrt(np.dot(tan * w, tan))


def continue_cycles(field, start: Orbit, tangent: np.ndarray | None, i_span: tuple[float, float], *,
                    ds: float = 0.3, ds_max: float = 3.0, max_steps: int = 300, period_max: float = 300.0,
                    hopf_points=(), start_label: str = "", from_equilibrium: bool = False,
                    on_point=None) -> CycleBranch:
    """Continue a branch of periodic orbits while I stays in ``i_span`` (µA/cm², with a margin).

    ``tangent``: the initial direction (None: towards increasing current).
    ``from_equilibrium``: ``start`` is the constant orbit at a Hopf point and
    ``tangent`` the critical eigen-direction (:func:`from_hopf`).  Stops at the end of the
    current span, at a period above ``period_max`` (a homoclinic or SNIC
    end), back at a Hopf point (amplitude to zero) or after ``max_steps``.
    ``on_point``: called after every orbit added (a progress bar).
    """
    from .. import validate as _validate

    if isinstance(field, str):  # a preset's name: its field (any other field object is used as given)
        from .field import model_field

        field = model_field(field)
    if not isinstance(start, Orbit):
        raise ParameterError(f"start must be an Orbit (the .orbit of a CyclePoint from orbit_at) (got "
                             f"{type(start).__name__} {_validate.shown(start)})")
    span = _validate.float_array(i_span, "i_span", flat=False, max_len=2, unit="µA/cm²")
    if span.size != 2 or not span[1] > span[0]:
        raise ParameterError(f"i_span must be two currents low < high in µA/cm² (got {_validate.shown(i_span)})")
    ds = _validate.number(ds, "ds", lo=0.0, lo_open=True)
    ds_max = _validate.number(ds_max, "ds_max", lo=0.0, lo_open=True)
    max_steps = _validate.whole(max_steps, "max_steps", lo=1, hi=100_000)
    period_max = _validate.number(period_max, "period_max", unit="ms", lo=0.0, lo_open=True, hi=1e6)
    col = Collocation(field)
    lo, hi = float(span[0]), float(span[1])
    margin = 0.02 * (hi - lo) + 1e-9
    out = CycleBranch(start=start_label)
    if from_equilibrium:
        X0, tan, step, o = _pack(start), tangent, ds, None
        for _ in range(8):
            pred = _unpack(X0 + step * tan, start)
            try:
                o, _, _ = _newton(col, pred, pred, (X0, tan, step))
                break
            except (NoConvergence, np.linalg.LinAlgError, RuntimeError):
                step *= 0.5
        if o is None:
            raise NoConvergence("could not leave the Hopf point onto the cycle branch")
        o, _ = _adapted(col, o, None)
        d = _pack(o) - X0
        prev_tan = _tangent(col, o, d / np.sqrt(np.dot(d * _weights(col, o), d)))
    else:
        if start.n_intervals != INTERVALS:  # continue on the standard mesh size
            start = col.adapt(start, INTERVALS)
        o, _, _ = _newton(col, start, start)
        guess = np.zeros(o.u.size + 2)
        guess[-1] = 1.0
        prev_tan = _tangent(col, o, guess if tangent is None or tangent.size != guess.size else tangent)
    pt = point_of(col, o)
    pt.d_current = float(prev_tan[-1])
    out.points.append(pt)
    s_total = 0.0
    step = ds
    peak_amp, last_amp = 0.0, np.inf
    steps_done = 0
    while steps_done < max_steps:
        steps_done += 1
        X0 = _pack(o)
        try:
            pred = _unpack(X0 + step * prev_tan, o)
            new, _, its = _newton(col, pred, o, (X0, prev_tan, step))
        except (NoConvergence, np.linalg.LinAlgError, RuntimeError):
            step *= 0.5
            if step < 1e-6:
                out.end = "step size underflow"
                break
            continue
        tan = _tangent(col, new, prev_tan)
        s_total += step
        p = point_of(col, new, out.points[-1].basis)
        p.s, p.d_current = s_total, float(tan[-1])
        last = out.points[-1]
        _locate_events(col, out, last, o, prev_tan, p, step)
        out.points.append(p)
        if on_point is not None:
            on_point()
        o, prev_tan = new, tan
        if steps_done % ADAPT_EVERY == 0:
            # a posteriori: the phase multiplier's distance from 1 measures the discretisation
            # error; long periods (near a homoclinic end) need more intervals
            err = np.min(np.abs(p.multipliers - 1.0))
            N = o.n_intervals
            if err > TRIVIAL_TOL and N < MAX_INTERVALS:
                N = min(MAX_INTERVALS, int(1.5 * N))
            o, prev_tan = _adapted(col, o, prev_tan, N)
        step = min(step * (1.5 if its <= 3 else 1.0 if its <= 5 else 0.5), ds_max)
        vmin, vmax = o.v_extrema(400)
        if not (lo - margin <= o.i_uA_cm2 <= hi + margin):
            out.end = "end of the current range"
            break
        if o.period_ms > period_max:
            out.end = f"period above {period_max:g} ms (homoclinic or saddle-node on invariant circle)"
            out.homoclinic = p
            # near a homoclinic orbit of a saddle-focus the branch snakes: many folds and
            # period doublings crowd at one current; they are reported as the homoclinic end
            slow = HOMOCLINIC_FRACTION * period_max
            out.folds = [q for q in out.folds if q.period_ms < slow]
            out.period_doublings = [q for q in out.period_doublings if q.period_ms < slow]
            out.torus = [q for q in out.torus if q.period_ms < slow]
            break
        amp = vmax - vmin
        peak_amp = max(peak_amp, amp)
        if steps_done > 3 and amp < max(AMPLITUDE_END_MV, 0.2 * peak_amp) and amp < last_amp:
            near = [h for h in hopf_points if abs(h.i_uA_cm2 - o.i_uA_cm2) < 0.01 * (hi - lo) + 0.5]
            if near or amp < AMPLITUDE_END_MV:
                out.end = "amplitude to zero" + (f" at the Hopf point {near[0].i_uA_cm2:.6g} µA/cm²" if near else "")
                break
        last_amp = amp
    else:
        out.end = f"{max_steps} steps"
    return out


def _pd_test(p: CyclePoint) -> float:
    """prod (μ + 1) over the nontrivial multipliers: continuous, and its sign changes
    exactly when a real multiplier passes through -1 (a pair contributes |μ + 1|²)."""
    return float(np.real(np.prod(p.nontrivial + 1.0)))


def _torus_test(p: CyclePoint) -> float:
    """Largest modulus of a complex multiplier minus one (meaningful only while the
    number of complex multipliers stays the same, checked by the caller)."""
    mu = p.nontrivial
    cpx = mu[np.abs(mu.imag) > 1e-9]
    return float(np.max(np.abs(cpx)) - 1.0) if cpx.size else -1.0


def _n_complex(p: CyclePoint) -> int:
    return int(np.sum(np.abs(p.nontrivial.imag) > 1e-9))


#: A located event is kept only if its defining condition holds this well.
EVENT_CHECK = {"fold": 1e-6, "pd": 1e-4, "torus": 1e-4}


def _event_holds(name: str, p: CyclePoint) -> bool:
    mu = p.nontrivial
    if name == "fold":  # the current turns, and a second multiplier sits at 1
        return abs(p.d_current) < EVENT_CHECK["fold"] and np.min(np.abs(mu - 1.0)) < 1e-2
    if name == "pd":
        return np.min(np.abs(mu + 1.0)) < EVENT_CHECK["pd"]
    cpx = mu[np.abs(mu.imag) > 1e-9]
    return cpx.size > 0 and np.min(np.abs(np.abs(cpx) - 1.0)) < EVENT_CHECK["torus"]


def _locate_events(col, out: CycleBranch, a: CyclePoint, o: Orbit, tan: np.ndarray, b: CyclePoint, step: float):
    """Locate a fold, period doubling or torus point between a and b (secant on the step)."""
    tests = [("fold", lambda p: p.d_current, out.folds),
             ("pd", _pd_test, out.period_doublings),
             ("torus", _torus_test, out.torus)]
    X0 = _pack(o)
    for name, fn, bucket in tests:
        fa, fb = fn(a), fn(b)
        if not (np.isfinite(fa) and np.isfinite(fb)) or fa * fb >= 0:
            continue
        if name == "torus" and _n_complex(a) != _n_complex(b):
            continue
        s0, s1, f0, f1 = 0.0, step, fa, fb
        best = b
        side = 0
        for _ in range(30):  # regula falsi, Illinois variant (no one-sided stagnation)
            s = s1 - f1 * (s1 - s0) / (f1 - f0) if f1 != f0 else 0.5 * (s0 + s1)
            if not (min(s0, s1) < s < max(s0, s1)):
                s = 0.5 * (s0 + s1)
            try:
                new, _, _ = _newton(col, _unpack(X0 + s * tan, o), o, (X0, tan, s))
            except NoConvergence:
                break
            p = point_of(col, new, a.basis)
            if name == "fold":
                p.d_current = float(_tangent(col, new, tan)[-1])
            fs = fn(p)
            best = p
            if abs(s1 - s0) < 1e-12 * max(1.0, step) or fs == 0:
                break
            if fs * f0 < 0:
                s1, f1 = s, fs
                if side == 1:
                    f0 *= 0.5
                side = 1
            else:
                s0, f0 = s, fs
                if side == -1:
                    f1 *= 0.5
                side = -1
        lo_v, hi_v = best.orbit.v_extrema(400)
        if hi_v - lo_v <= AMPLITUDE_END_MV:  # a turn through a Hopf point is not a fold of cycles
            continue
        if _event_holds(name, best):
            bucket.append(best)
        else:  # the test function changed sign without the event (e.g. multipliers colliding)
            out.unconfirmed.append((name, best.i_uA_cm2))
