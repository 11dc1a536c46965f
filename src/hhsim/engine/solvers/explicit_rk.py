"""Explicit Runge-Kutta methods from their Butcher tableau: one stage emitter.

An explicit method is its tableau: ``a`` (row i holds the weights of the
slopes of stages 1..i that make the input of stage i+1), ``b`` (the weights
of the step) and the nodes ``c`` (each row's sum).  The drivers know the
stimulus and the synaptic drive at a step's start, middle and end only, so
the nodes must be 0, 1/2 or 1 -- as for forward Euler, the classical RK4 and
the strong-stability-preserving RK3.

From the tableau this module writes:

* the point kernels' update (:func:`point_advance`, the ``advance_lines`` of
  a :class:`~hhsim.engine.solvers.base.FixedStepSolver`), and its NumPy twin
  (:func:`numpy_step`) for the reference path;
* the lines of a step for any driver that names its slopes and inputs its
  own way (:func:`stage_lines`): the network's node update and its fast loop
  use it, so a method added here runs in the network too.

The coefficients are kept as exact fractions and written over their common
denominator (``dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)``), the same
operations in every domain, so that a neuron advanced alone, in a batch or
as a node of a network gets the same bits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

from .base import FixedStepSolver

#: Nodes the drivers provide the drive at (a step's start, middle, end).
NODES = (Fraction(0), Fraction(1, 2), Fraction(1))


@dataclass(frozen=True)
class Tableau:
    """Butcher tableau of an explicit method: ``a[i]`` has i entries (stage i+1's
    weights of the earlier slopes), ``b`` one weight per stage."""

    a: tuple[tuple[Fraction, ...], ...]
    b: tuple[Fraction, ...]

    def __post_init__(self):
        a = tuple(tuple(Fraction(x) for x in row) for row in self.a)
        b = tuple(Fraction(x) for x in self.b)
        object.__setattr__(self, "a", a)
        object.__setattr__(self, "b", b)
        if [len(row) for row in a] != list(range(len(a))) or len(b) != len(a):
            raise ValueError("an explicit tableau has rows of 0, 1, 2, ... weights and one b per stage")
        if sum(b) != 1:
            raise ValueError(f"the weights b must add up to 1 (consistency), got {sum(b)}")
        bad = [c for c in self.c if c not in NODES]
        if bad:
            raise ValueError(f"stage nodes must be 0, 1/2 or 1 (where the drivers know the drive), got {bad[0]}")

    @property
    def stages(self) -> int:
        return len(self.b)

    @property
    def c(self) -> tuple[Fraction, ...]:
        return tuple(sum(row, Fraction(0)) for row in self.a)

    @property
    def needs_mid_and_end(self) -> bool:
        """Whether a stage is evaluated inside the step or at its end (the drive
        there must then be known)."""
        return any(c != 0 for c in self.c)

    def stability_polynomial(self) -> list[Fraction]:
        """Coefficients (lowest power first) of R(z), y_{n+1} = R(h lambda) y_n for y' = lambda y."""
        # stage values as polynomials in z: Y_i = 1 + z * sum_j a_ij Y_j; R = 1 + z * sum_i b_i Y_i
        ys: list[list[Fraction]] = []
        for row in self.a:
            poly = [Fraction(1)]
            for w, y in zip(row, ys):
                poly = _add(poly, [Fraction(0)] + [w * t for t in y])
            ys.append(poly)
        r = [Fraction(1)]
        for w, y in zip(self.b, ys):
            r = _add(r, [Fraction(0)] + [w * t for t in y])
        return r


def _add(p: list[Fraction], q: list[Fraction]) -> list[Fraction]:
    n = max(len(p), len(q))
    return [(p[k] if k < len(p) else 0) + (q[k] if k < len(q) else 0) for k in range(n)]


def _number(x: Fraction) -> str:
    return repr(float(x))


def combination(base: str, h: str, weights, slopes: list[str]) -> str:
    """``base + h * (sum of weights x slopes)``, the weights over their common
    denominator; terms of weight 0 are left out."""
    terms = [(Fraction(w), k) for w, k in zip(weights, slopes) if w != 0]
    if not terms:
        return base
    if len(terms) == 1:
        w, k = terms[0]
        return f"{base} + {h} * {k}" if w == 1 else f"{base} + {_number(w)} * {h} * {k}"
    den = math.lcm(*(w.denominator for w, _ in terms))
    inner = " + ".join(k if w * den == 1 else f"{_number(w * den)} * {k}" for w, k in terms)
    scale = h if den == 1 else f"{h} / {_number(Fraction(den))}"
    return f"{base} + {scale} * ({inner})"


@dataclass(frozen=True)
class StageNames:
    """How a driver names things in the lines :func:`stage_lines` writes.

    ``slope(n, comp)``: the slope of stage n (1-based) for component comp
    (0: V, j+1: state j); ``slopes(n, v, xs, at)``: the lines computing stage
    n's slopes at voltage ``v`` and states ``xs`` with the drive of node ``at``
    (0, 1/2 or 1); ``stage_v(n, expr)``: the line defining stage n's voltage.
    """

    slope: Callable[[int, int], str]
    slopes: Callable[[int, str, list[str], Fraction], list[str]]
    stage_v: Callable[[int, str], str]


def stage_lines(tab: Tableau, n_states: int, h: str, names: StageNames) -> list[str]:
    """Lines of one step of length ``h`` from ``V``, ``x0..``: every stage, then
    ``Vn`` and ``xn<j>`` (the caller adds what its driver needs around them)."""
    lines = []
    for i, (row, c) in enumerate(zip(tab.a, tab.c)):
        n = i + 1
        earlier = range(1, n)
        v = combination("V", h, row, [names.slope(m, 0) for m in earlier])
        xs = [combination(f"x{j}", h, row, [names.slope(m, j + 1) for m in earlier]) for j in range(n_states)]
        lines.append(names.stage_v(n, v))
        lines += names.slopes(n, f"V{n}", xs, c)
    every = range(1, tab.stages + 1)
    lines.append("Vn = " + combination("V", h, tab.b, [names.slope(m, 0) for m in every]))
    lines += [f"xn{j} = " + combination(f"x{j}", h, tab.b, [names.slope(m, j + 1) for m in every])
              for j in range(n_states)]
    return lines


_POINT_DRIVE = {Fraction(0): "Ia", Fraction(1, 2): "Im", Fraction(1): "Ib"}


def point_advance(tab: Tableau) -> Callable:
    """``advance_lines`` of the point kernels (see :mod:`~hhsim.engine.solvers.base`):
    stage voltages are the command under ``clamp``."""

    def advance(ng: int, k) -> list[str]:
        names = StageNames(
            slope=lambda n, comp: f"k{n}_{comp}",
            slopes=lambda n, v, xs, at: k.derivs(f"k{n}_", v, xs, _POINT_DRIVE[at]),
            stage_v=lambda n, expr: f"V{n} = choose(clamp, {_POINT_DRIVE[tab.c[n - 1]]}, {expr})",
        )
        lines = stage_lines(tab, ng, "dt", names)
        last = lines.index(next(ln for ln in lines if ln.startswith("Vn = ")))
        return lines[:last] + ["dV0 = k1_0"] + lines[last:]

    return advance


def _combine(base, h, weights, slopes):
    """NumPy twin of :func:`combination` (the same operations in the same order)."""
    terms = [(Fraction(w), k) for w, k in zip(weights, slopes) if w != 0]
    if not terms:
        return base
    if len(terms) == 1:
        w, k = terms[0]
        return base + h * k if w == 1 else base + float(w) * h * k
    den = math.lcm(*(w.denominator for w, _ in terms))
    total = None
    for w, k in terms:
        term = k if w * den == 1 else float(w * den) * k
        total = term if total is None else total + term
    return base + (h if den == 1 else h / float(den)) * total


def numpy_step(tab: Tableau) -> Callable:
    """The method's step on NumPy arrays, for the reference path
    (``rhs(v, y, i) -> (dv, dy)``; ``ia, im, ib``: the drive at the start, middle, end)."""

    def step(rhs, v, y, ia, im, ib, dt, clamp):
        drive = {Fraction(0): ia, Fraction(1, 2): im, Fraction(1): ib}
        kv, ky = [], []
        for row, c in zip(tab.a, tab.c):
            vs = drive[c] if clamp else _combine(v, dt, row, kv)
            dv, dy = rhs(vs, _combine(y, dt, row, ky), drive[c])
            kv.append(dv)
            ky.append(dy)
        return _combine(v, dt, tab.b, kv), _combine(y, dt, tab.b, ky)

    return step


def explicit_solver(name: str, order: int, description: str, tab: Tableau, default_dt: float) -> FixedStepSolver:
    """The point kernels' solver for an explicit tableau."""
    return FixedStepSolver(name=name, order=order, description=description, advance_lines=point_advance(tab),
                           numpy_step=numpy_step(tab), default_dt=default_dt, tableau=tab)


def real_stability_extent(tab: Tableau) -> float:
    """The extent s of the stability region on the negative real axis: |R(-s)| = 1
    with |R(-x)| < 1 on (0, s) (bisection on the first crossing of |R| = 1)."""
    coeffs = [float(x) for x in tab.stability_polynomial()]

    def excess(x: float) -> float:
        return abs(sum(c * (-x) ** k for k, c in enumerate(coeffs))) - 1.0

    step, x = 1e-3, 1e-3
    while excess(x) < 0.0:
        x += step
        if x > 100.0:
            raise ValueError("no finite stability extent on the real axis")
    lo, hi = x - step, x
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if excess(mid) < 0.0 else (lo, mid)
    return 0.5 * (lo + hi)
