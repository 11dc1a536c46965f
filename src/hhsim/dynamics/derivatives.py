"""Exact derivatives of an analytic vector field, without finite differences.

* First derivatives (the Jacobian) by the complex step: for real u and a
  real direction e, ``Im f(u + i h e) / h = J e + O(h²)`` with no
  subtraction, so ``h = 1e-30`` gives J to rounding (Squire & Trapp 1998,
  SIAM Review 40:110).
* Higher directional derivatives, also along complex directions, by the
  Cauchy integral on a circle (Lyness & Moler 1967, SIAM J. Numer. Anal.
  4:202): the trapezoidal rule on N points is spectrally accurate for an
  analytic function, so the Taylor coefficients of ``t -> f(u + t d)`` come
  from one FFT of N evaluations.  Used for the quadratic and cubic forms
  B(a, b) and C(a, b, c) of the normal-form coefficients and for the second
  derivatives in the Hopf extended system.

``f`` is any callable taking states as columns (n, m) (real or complex) and
returning (n, m); ``scale`` (n,) gives the size of a safe step in each state
(the radius of the circle is set so no state moves by more than its scale).
"""

from __future__ import annotations

import numpy as np

COMPLEX_STEP = 1e-30
CAUCHY_POINTS = 32


def jacobian(f, u, scale=None) -> np.ndarray:
    """J = df/du at one point u (n,) (or at each column of u (n, m): returns (m, n, n))."""
    u = np.asarray(u, dtype=float)
    single = u.ndim == 1
    U = u[:, None] if single else u
    n, m = U.shape
    h = COMPLEX_STEP
    # columns: point k, direction j -> index k*n + j
    pts = np.repeat(U, n, axis=1).astype(complex)
    pts[np.tile(np.arange(n), m), np.arange(n * m)] += 1j * h
    vals = np.imag(f(pts)) / h  # (n, m*n)
    J = vals.reshape(n, m, n).transpose(1, 0, 2)  # (m, n_out, n_dir)
    return J[0] if single else J


def taylor(f, u, d, order: int, scale, points: int = CAUCHY_POINTS) -> list[np.ndarray]:
    """[f(u), D f[d], D²f[d, d], ...] up to ``order`` along direction d (complex allowed).

    The k-th entry is the k-th derivative of ``t -> f(u + t d)`` at 0.
    """
    u = np.asarray(u, dtype=float)
    d = np.asarray(d, dtype=complex)
    size = np.max(np.abs(d) / np.asarray(scale, dtype=float))
    if size == 0:
        return [np.real(f(u[:, None].astype(complex)))[:, 0]] + [np.zeros(u.size)] * order
    r = 1.0 / size
    theta = 2 * np.pi * np.arange(points) / points
    t = r * np.exp(1j * theta)
    vals = f(u[:, None] + d[:, None] * t[None, :])  # (n, points)
    coef = np.fft.fft(vals, axis=1) / points  # c_k r^k
    out = []
    fact = 1.0
    for k in range(order + 1):
        if k:
            fact *= k
        out.append(coef[:, k] * fact / r ** k)
    return out


def second(f, u, a, b, scale) -> np.ndarray:
    """B(a, b) = D²f(u)[a, b] (symmetric bilinear, complex directions allowed)."""
    p = taylor(f, u, np.asarray(a) + b, 2, scale)[2]
    m = taylor(f, u, np.asarray(a) - b, 2, scale)[2]
    return (p - m) / 4.0


def third(f, u, a, b, scale) -> np.ndarray:
    """C(a, a, b) = D³f(u)[a, a, b], by polarisation of cubic directional derivatives."""
    a = np.asarray(a, dtype=complex)
    b = np.asarray(b, dtype=complex)
    p = taylor(f, u, a + b, 3, scale)[3]
    m = taylor(f, u, a - b, 3, scale)[3]
    bb = taylor(f, u, b, 3, scale)[3]
    return (p - m - 2.0 * bb) / 6.0
