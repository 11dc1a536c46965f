"""The squid-axon equations written out by hand in mpmath (30 digits), independent of hhsim.

Hodgkin & Huxley (1952), J Physiol 117:500-544, in the modern convention
(absolute V in mV, rest near -65 mV) with the values of NEURON's ``hh``
mechanism: gNa 120, gK 36, gL 0.3 mS/cm², ENa 50, EK -77, EL -54.387 mV,
Cm 1 µF/cm², 6.3 °C (temperature factor 1).  Used as the reference for the
equilibria, Jacobians and Hopf points of :mod:`hhsim.dynamics`.
"""

from __future__ import annotations

import functools

import mpmath as mp

DIGITS = 30

with mp.workdps(DIGITS):
    G_NA, G_K, G_L = mp.mpf(120), mp.mpf(36), mp.mpf("0.3")
    E_NA, E_K, E_L = mp.mpf(50), mp.mpf(-77), mp.mpf("-54.387")


def _digits(fn):
    """Run ``fn`` at DIGITS decimal digits without changing mpmath's global precision."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        with mp.workdps(DIGITS):
            return fn(*args, **kwargs)
    return run


def rates(v):
    am = mp.mpf("0.1") * (v + 40) / (1 - mp.exp(-(v + 40) / 10))
    bm = 4 * mp.exp(-(v + 65) / 18)
    ah = mp.mpf("0.07") * mp.exp(-(v + 65) / 20)
    bh = 1 / (1 + mp.exp(-(v + 35) / 10))
    an = mp.mpf("0.01") * (v + 55) / (1 - mp.exp(-(v + 55) / 10))
    bn = mp.mpf("0.125") * mp.exp(-(v + 65) / 80)
    return am, bm, ah, bh, an, bn


def rhs(v, m, h, n, i_app=0):
    am, bm, ah, bh, an, bn = rates(v)
    i_ion = G_NA * m ** 3 * h * (v - E_NA) + G_K * n ** 4 * (v - E_K) + G_L * (v - E_L)
    return [i_app - i_ion, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - n) - bn * n]


def steady(v):
    am, bm, ah, bh, an, bn = rates(v)
    return am / (am + bm), ah / (ah + bh), an / (an + bn)


@_digits
def steady_current(v):
    m, h, n = steady(v)
    return -rhs(v, m, h, n)[0]


@_digits
def jacobian(v):
    """Jacobian at the equilibrium at V, by mpmath's high-precision differentiation."""
    x = [mp.mpf(v)] + list(steady(mp.mpf(v)))
    J = mp.matrix(4, 4)
    for j in range(4):
        for i in range(4):
            def fi(t, i=i, j=j):
                y = list(x)
                y[j] = y[j] + t
                return rhs(*y)[i]
            J[i, j] = mp.diff(fi, 0)
    return J


@_digits
def critical_real_part(v):
    """Real part of the complex eigenvalue pair nearest the imaginary axis at V."""
    ev = mp.eig(jacobian(v), left=False, right=False)
    pairs = [e for e in ev if abs(mp.im(e)) > mp.mpf("1e-12")]
    return min((mp.re(e) for e in pairs), key=abs)


@_digits
def hopf_current(v_guess):
    """(V, I) of the Hopf point near ``v_guess`` (mV), by the secant method on the real part."""
    v = mp.findroot(critical_real_part, (mp.mpf(v_guess) - mp.mpf("0.05"), mp.mpf(v_guess) + mp.mpf("0.05")),
                    solver="secant", tol=mp.mpf("1e-24"))
    return v, steady_current(v)
