"""Floquet multipliers of a collocated periodic orbit, computed stably.

The monodromy matrix is a product of N interval transfer matrices
``M = Φ_N ··· Φ_1`` (each from the collocation of the variational equation
on one interval).  For Hodgkin-Huxley its eigenvalues span tens of orders of
magnitude, so forming M loses all but the largest ones.  Instead a periodic
(product) QR iteration — orthogonal iteration through the cyclic product,
as in the periodic Schur decomposition (Bojanczyk, Golub & Van Dooren
1992, Proc. SPIE 1770:31) — gives ``M Q₀ = Q_N R_N ··· R_1`` with Q_N ≈ Q₀ up
to ±1 and 2×2 rotations; the multipliers are then the eigenvalues of the
diagonal blocks of the triangular product, kept as logarithms of their
moduli, so 1e-40 is as accurate as 1.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import lapack

SWEEPS = 60
CONVERGED = 1e-10


def transfer_matrices(col, orbit, J: np.ndarray) -> np.ndarray:
    """Φ_j (N, n, n): the collocation solution operator of v' = T J v across each interval.

    ``J`` (N, m, n, n) is the Jacobian at the collocation points.
    """
    s = col.s
    N, m, n, _ = J.shape
    h = np.diff(orbit.mesh)
    eye = np.eye(n)
    G = (s.D[None, :, :, None, None] / h[:, None, None, None, None] * eye
         - orbit.period_ms * s.L[None, :, :, None, None] * J[:, :, None, :, :])  # (N, m, m+1, n, n)
    G = G.transpose(0, 1, 3, 2, 4)  # (N, c, i, l, k)
    G0 = G[:, :, :, 0, :].reshape(N, m * n, n)
    Gr = G[:, :, :, 1:, :].reshape(N, m * n, m * n)
    X = np.linalg.solve(Gr, -G0)  # (N, m n, n): node values 1..m per unit start vector
    return X[:, -n:, :]


def multipliers(phis: np.ndarray, basis: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues of Φ_N ··· Φ_1 (complex, sorted by decreasing modulus) and the
    converged orthogonal basis (pass it back as ``basis`` at a nearby orbit: the
    iteration then needs fewer sweeps)."""
    N, n, _ = phis.shape
    Q0 = np.eye(n) if basis is None else basis
    for _ in range(SWEEPS):
        Q = Q0
        logs = np.zeros(n)
        Rs = []
        for P in phis:
            # LAPACK QR directly: this loop is sequential, so call overhead counts
            qr, tau, _, _ = lapack.dgeqrf(P @ Q)
            Qn, _, _ = lapack.dorgqr(qr, tau)
            d = np.sign(qr.diagonal())
            d[d == 0] = 1.0
            Q = Qn * d  # R's diagonal made positive: Q is then unique
            logs += np.log(np.abs(qr.diagonal()))
            Rs.append((qr, d))
        T = Q0.T @ Q
        # converged when T is block diagonal (1x1 and 2x2 blocks)
        off = np.abs(np.tril(T, -2))
        pairs = np.abs(np.diag(T, -1)) > 1e-6
        if off.max(initial=0.0) < CONVERGED and not np.any(pairs[:-1] & pairs[1:]):
            break
        Q0 = Q
    return _block_eigenvalues(T, Rs, logs), Q0


def _block_eigenvalues(T: np.ndarray, Rs: list, logs: np.ndarray) -> np.ndarray:
    n = T.shape[0]
    out = []
    k = 0
    while k < n:
        if k + 1 < n and abs(T[k + 1, k]) > 1e-6:
            P = np.eye(2)
            scale = 0.0
            for qr, d in Rs:
                R = d[k:k + 2, None] * np.triu(qr[k:k + 2, k:k + 2])
                P = R @ P
                s = np.abs(P).max()
                P /= s
                scale += np.log(s)
            ev = np.linalg.eigvals(T[k:k + 2, k:k + 2] @ P)
            out += list(ev * np.exp(scale))
            k += 2
        else:
            out.append(np.sign(T[k, k]) * np.exp(logs[k]))
            k += 1
    out = np.array(out, dtype=complex)
    return out[np.argsort(-np.abs(out))]


def trivial_index(mu: np.ndarray) -> int:
    """Index of the multiplier closest to 1 (the phase direction)."""
    return int(np.argmin(np.abs(mu - 1.0)))
