"""Periodic orbits by orthogonal collocation (the AUTO discretisation).

The orbit is rescaled to unit period, ``u'(τ) = T f(u(τ); I)`` on [0, 1]
with ``u(0) = u(1)``.  On each of N mesh intervals u is a polynomial of
degree m (values at m + 1 equally spaced nodes, shared at interval ends,
the last node of the last interval being the first one), and the equation
holds exactly at the m Gauss-Legendre points of each interval.  That is
superconvergent: errors O(h^2m) at the mesh points and in the period
(de Boor & Swartz 1973, SIAM J. Numer. Anal. 10:582; Doedel, Keller &
Kernévez 1991, Int. J. Bifurcation Chaos 1:493).

The unknowns are the node values, the period T (ms) and, for continuation,
the current I (µA/cm²), or whatever parameter the field takes as its second
argument (its derivative by the complex step as well).  The mesh is adapted to equidistribute the
(m+1)-th derivative of the solution (Russell & Christiansen 1978), which
puts the intervals where the spike is.  Jacobians are assembled sparse from
the complex-step Jacobian of the vector field at every collocation point at
once and solved with SuperLU.
"""

from __future__ import annotations

import hashlib

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.interpolate import CubicSpline
from scipy.sparse.linalg import splu

from .derivatives import jacobian

DEGREE = 4
INTERVALS = 60


def _lagrange(nodes: np.ndarray, x: np.ndarray):
    """Values and derivatives of the Lagrange basis on ``nodes`` at points ``x``: (len(x), len(nodes))."""
    k = nodes.size
    L = np.ones((x.size, k))
    D = np.zeros((x.size, k))
    for l in range(k):
        others = [j for j in range(k) if j != l]
        denom = np.prod([nodes[l] - nodes[j] for j in others])
        for j in others:
            L[:, l] *= (x - nodes[j])
        L[:, l] /= denom
        for skip in others:
            term = np.ones(x.size)
            for j in others:
                if j != skip:
                    term *= (x - nodes[j])
            D[:, l] += term / denom
    return L, D


@dataclass(frozen=True)
class Scheme:
    """The reference-interval tables for degree m: nodes, Gauss points and weights."""

    m: int
    nodes: np.ndarray
    gauss: np.ndarray
    weights: np.ndarray
    L: np.ndarray  # (m, m+1) basis values at the Gauss points
    D: np.ndarray  # (m, m+1) basis derivatives at the Gauss points


def scheme(m: int = DEGREE) -> Scheme:
    g, w = np.polynomial.legendre.leggauss(m)
    g, w = 0.5 * (g + 1.0), 0.5 * w
    nodes = np.linspace(0.0, 1.0, m + 1)
    L, D = _lagrange(nodes, g)
    return Scheme(m, nodes, g, w, L, D)


@dataclass
class Orbit:
    """A periodic orbit on a mesh: ``mesh`` (N+1,) in [0, 1], ``u`` (N m, n) node values
    (the node at τ = 1 is node 0), ``period_ms``, ``i_uA_cm2``."""

    mesh: np.ndarray
    u: np.ndarray
    period_ms: float
    i_uA_cm2: float
    m: int = DEGREE
    #: (K, dT, dI, J) from the last Newton iteration that produced this orbit (or None)
    linear: object = field(default=None, repr=False, compare=False)

    @property
    def n_intervals(self) -> int:
        return self.mesh.size - 1

    def times(self) -> np.ndarray:
        """Normalised time of every node (N m,)."""
        h = np.diff(self.mesh)
        z = np.arange(self.m) / self.m
        return (self.mesh[:-1, None] + h[:, None] * z[None, :]).ravel()

    def closed(self):
        """(τ (N m + 1,), u (N m + 1, n)) with the end point appended."""
        return np.append(self.times(), 1.0), np.vstack([self.u, self.u[:1]])

    def evaluate(self, tau: np.ndarray) -> np.ndarray:
        """The collocation polynomial at normalised times ``tau`` (k,) -> (k, n)."""
        tau = np.mod(np.asarray(tau, dtype=float), 1.0)
        j = np.clip(np.searchsorted(self.mesh, tau, side="right") - 1, 0, self.n_intervals - 1)
        h = np.diff(self.mesh)
        z = (tau - self.mesh[j]) / h[j]
        nodes = np.linspace(0.0, 1.0, self.m + 1)
        out = np.zeros((tau.size, self.u.shape[1]))
        ext = np.vstack([self.u, self.u[:1]])
        for l in range(self.m + 1):
            others = [k for k in range(self.m + 1) if k != l]
            b = np.ones(tau.size)
            for k in others:
                b *= (z - nodes[k]) / (nodes[l] - nodes[k])
            out += b[:, None] * ext[j * self.m + l]
        return out

    def v_extrema(self, samples: int = 2000) -> tuple[float, float]:
        """(min V, max V) in mV along the orbit."""
        v = self.evaluate(np.linspace(0, 1, samples, endpoint=False))[:, 0]
        return float(v.min()), float(v.max())


class Collocation:
    """Residuals and sparse Jacobians of the periodic collocation problem for one field."""

    def __init__(self, field, m: int = DEGREE):
        self.field = field
        self.s = scheme(m)
        self.n = field.n
        self.w = 1.0 / np.asarray(field.scale, dtype=float) ** 2  # norm weights per state

    # --------------------------------------------------------------- indexing
    def _node_index(self, N: int) -> np.ndarray:
        """(N, m+1) global node of local node l of interval j (periodic wrap)."""
        m = self.s.m
        idx = np.arange(N)[:, None] * m + np.arange(m + 1)[None, :]
        idx[-1, -1] = 0
        return idx

    def points(self, orbit: Orbit):
        """States at the collocation points (N, m, n) and polynomial derivatives d/dτ there."""
        N = orbit.n_intervals
        h = np.diff(orbit.mesh)
        U = orbit.u[self._node_index(N)]  # (N, m+1, n)
        x = np.einsum("cl,jln->jcn", self.s.L, U)
        dx = np.einsum("cl,jln->jcn", self.s.D, U) / h[:, None, None]
        return x, dx

    def residual(self, orbit: Orbit) -> np.ndarray:
        """Collocation residual (N m n,): u' - T f(u; I) at every Gauss point."""
        x, dx = self.points(orbit)
        N, m, n = x.shape
        fx = self.field(x.reshape(-1, n).T, orbit.i_uA_cm2).T.reshape(N, m, n)
        return (dx - orbit.period_ms * np.real(fx)).ravel()

    def jacobian(self, orbit: Orbit):
        """(sparse d residual / d nodes, d/dT column, d/dI column, J at the points (N, m, n, n))."""
        return self.linearise(orbit)[1:]

    def linearise(self, orbit: Orbit):
        """(residual, sparse d residual / d nodes, d/dT column, d/dI column, J at the points)."""
        x, dx = self.points(orbit)
        N, m, n = x.shape
        pts = x.reshape(-1, n).T
        J = jacobian(lambda z: self.field(z, orbit.i_uA_cm2), pts).reshape(N, m, n, n)
        fx = np.real(self.field(pts, orbit.i_uA_cm2)).T.reshape(N, m, n)
        h = np.diff(orbit.mesh)
        T = orbit.period_ms
        eye = np.eye(n)
        # block (j, c, l): D[c,l]/h_j I - T L[c,l] J_jc
        blocks = (self.s.D[None, :, :, None, None] / h[:, None, None, None, None] * eye
                  - T * self.s.L[None, :, :, None, None] * J[:, :, None, :, :])  # (N, m, m+1, n, n)
        rows = (np.arange(N)[:, None, None, None, None] * m + np.arange(m)[None, :, None, None, None]) * n \
            + np.arange(n)[None, None, None, :, None]
        cols = self._node_index(N)[:, None, :, None, None] * n + np.arange(n)[None, None, None, None, :]
        shape = blocks.shape
        rows = np.broadcast_to(rows, shape).ravel()
        cols = np.broadcast_to(cols, shape).ravel()
        K = sparse.coo_matrix((blocks.ravel(), (rows, cols)), shape=(N * m * n, N * m * n))
        dT = -fx.ravel()
        # d f / d I by the complex step on the parameter (for a model: e_V / Cm)
        h = 1e-30
        dfdi = np.imag(self.field(pts.astype(complex), orbit.i_uA_cm2 + 1j * h)).T.reshape(N, m, n) / h
        return (dx - T * fx).ravel(), K, dT, (-T * dfdi).ravel(), J

    # ------------------------------------------------------------- conditions
    def node_weights(self, orbit: Orbit) -> np.ndarray:
        """Quadrature weight of every node value (N m, n), scaled by the state weights."""
        h = np.diff(orbit.mesh)
        return (np.repeat(h, self.s.m) / self.s.m)[:, None] * self.w[None, :]

    def velocity(self, orbit: Orbit) -> np.ndarray:
        """du/dτ at the nodes (N m, n) from the vector field."""
        return orbit.period_ms * np.real(self.field(orbit.u.T, orbit.i_uA_cm2)).T

    # ------------------------------------------------------------------ mesh
    def adapt(self, orbit: Orbit, N: int | None = None) -> Orbit:
        """The same orbit on a mesh equidistributing |u^(m+1)|^(1/(m+1))."""
        N = orbit.n_intervals if N is None else int(N)
        m = self.s.m
        h = np.diff(orbit.mesh)
        U = orbit.u[self._node_index(orbit.n_intervals)] / np.sqrt(1.0 / self.w)  # scaled
        # m-th finite difference on m+1 equally spaced nodes: m-th derivative * (h/m)^m
        diff = U
        for _ in range(m):
            diff = np.diff(diff, axis=1)
        dm = diff[:, 0, :] / (h[:, None] / m) ** m  # (N, n)
        jump = np.linalg.norm(np.roll(dm, -1, axis=0) - dm, axis=1)
        hh = 0.5 * (h + np.roll(h, -1))
        d1 = jump / hh  # at the right end of each interval
        mon = 0.5 * (d1 + np.roll(d1, 1))
        mon = mon ** (1.0 / (m + 1))
        mon = mon + 0.05 * np.mean(mon) + 1e-12  # a floor: no interval starves
        cum = np.concatenate([[0.0], np.cumsum(mon * h)])
        cum /= cum[-1]
        mesh = np.interp(np.linspace(0, 1, N + 1), cum, orbit.mesh)
        mesh[0], mesh[-1] = 0.0, 1.0
        new = Orbit(mesh, np.zeros((N * m, self.n)), orbit.period_ms, orbit.i_uA_cm2, m)
        new.u = orbit.evaluate(new.times())
        return new


def orbit_from_samples(t: np.ndarray, u: np.ndarray, period: float, i_app: float,
                       N: int = INTERVALS, m: int = DEGREE, scale=None) -> Orbit:
    """An :class:`Orbit` from one period of samples ``u`` (k, n) at times t (ms).

    The mesh equidistributes the arclength of the samples (in units of
    ``scale`` per state, plus a share of time), so that a brief spike in a long
    period gets its intervals before Newton's method starts.
    """
    tau = (np.asarray(t) - t[0]) / period
    spline = CubicSpline(tau, u, axis=0)
    sc = np.ones(u.shape[1]) if scale is None else np.asarray(scale, dtype=float)
    step = np.linalg.norm(np.diff(u, axis=0) / sc, axis=1)
    step = step + 0.2 * step.sum() * np.diff(tau)  # a floor: quiet stretches keep some intervals
    arc = np.concatenate([[0.0], np.cumsum(step)])
    mesh = np.interp(np.linspace(0.0, arc[-1], N + 1), arc, tau)
    mesh[0], mesh[-1] = 0.0, 1.0
    o = Orbit(mesh, np.zeros((N * m, u.shape[1])), float(period), float(i_app), m)
    o.u = spline(o.times())
    return o


def bordered(K, columns, rows):
    """The CSC matrix [[K, C], [R]]: C the dense columns (len nK each), R the dense rows
    (len nK + len(C) each), assembled from triplets in one pass."""
    K = K.tocoo()
    nk, nc = K.shape[0], len(columns)
    size = nk + len(rows)
    r = [K.row, np.tile(np.arange(nk), nc)] + [np.full(nk + nc, nk + k) for k in range(len(rows))]
    c = [K.col, np.repeat(nk + np.arange(nc), nk)] + [np.arange(nk + nc)] * len(rows)
    d = [K.data] + [np.asarray(x, dtype=float) for x in columns] + [np.asarray(x, dtype=float) for x in rows]
    return sparse.csc_matrix((np.concatenate(d), (np.concatenate(r), np.concatenate(c))), shape=(size, size))


#: Column orders of the last few sparsity patterns solved (:func:`solve_sparse`).
_ORDERS: dict = {}
_MAX_ORDERS = 8


def solve_sparse(K, rhs):
    """Solve the bordered collocation system (SuperLU).

    The minimum-degree ordering on AᵀA + A keeps the fill of the almost
    block-banded matrix (periodic corner, dense border rows) about 5x below
    the default COLAMD ordering here, and the factorisation 4x faster.  The
    ordering depends only on where the nonzeros are, which Newton's iterations
    and the continuation's steps on one mesh keep: it is found once per
    pattern and reused (the columns taken in that order, no ordering asked
    for), the same factors in 45 % of the time on a 64,000-unknown system.
    """
    K = sparse.csc_matrix(K)
    K.sort_indices()
    key = (K.shape, hashlib.blake2b(K.indptr.tobytes() + K.indices.tobytes(), digest_size=16).digest())
    order = _ORDERS.get(key)
    if order is None:
        lu = splu(K, permc_spec="MMD_AT_PLUS_A")
        if len(_ORDERS) >= _MAX_ORDERS:
            _ORDERS.pop(next(iter(_ORDERS)))
        _ORDERS[key] = np.argsort(lu.perm_c)
        return lu.solve(rhs)
    y = splu(K[:, order], permc_spec="NATURAL").solve(rhs)
    x = np.empty_like(y)
    x[order] = y
    return x
