"""The counter-based stream and the binomial draws of the noise kernels."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numba import njit
from scipy.stats import binom

from hhsim.engine.noise_random import binomial, binomial_stay, binomial_u, philox4x32, uniform

# Random123's tests/kat_vectors, rows "philox4x32 10": counter[4], key[2] -> output[4]
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


@njit
def _philox(c0, c1, c2, c3, k0, k1):
    u = np.uint64
    return philox4x32(u(c0), u(c1), u(c2), u(c3), u(k0), u(k1))


@pytest.mark.parametrize("ctr, key, expected", KAT)
def test_philox_known_answers(ctr, key, expected):
    assert tuple(int(x) for x in _philox(*ctr, *key)) == expected


@njit
def _grid(n, p, m, stay):
    out = np.empty(m)
    log_stay = math.log1p(-p)
    for i in range(m):
        u = (i + 0.5) / m
        out[i] = binomial_stay(n, log_stay, p, u) if stay else binomial(n, p, u)
    return out


@pytest.mark.parametrize("n, p", [(10, 0.3), (1000, 0.001), (1000, 0.2), (6e5, 0.01), (6e7, 0.3), (50, 0.9)])
@pytest.mark.parametrize("stay", [False, True])
def test_binomial_is_exact_inversion(n, p, stay):
    """Inversion from one uniform: a fine grid of M uniforms hits each k a number of times
    within 2 of M pmf(k) (each outcome owns one interval of length pmf(k) in [0, 1))."""
    m = 50_000
    k = _grid(float(n), p, m, stay)
    ks, counts = np.unique(k, return_counts=True)
    assert np.all(ks == np.round(ks)) and ks.min() >= 0 and ks.max() <= n
    assert np.max(np.abs(counts - m * binom.pmf(ks, n, p))) <= 2.0


@njit
def _uniforms(seed, nodes, steps, slots):
    out = np.empty((nodes, steps, slots))
    for a in range(nodes):
        for b in range(steps):
            for c in range(slots):
                out[a, b, c] = uniform(seed, a, b, c, 0)
    return out


def test_uniforms_are_uniform_and_distinct():
    u = _uniforms(np.uint64(7), 20, 50, 100).ravel()
    assert np.unique(u).size == u.size
    # Kolmogorov-Smirnov against U(0, 1): D below its 0.1 % critical value 1.95/sqrt(n)
    x = np.sort(u)
    d = np.max(np.maximum(np.arange(1, x.size + 1) / x.size - x, x - np.arange(x.size) / x.size))
    assert d < 1.95 / np.sqrt(x.size)
    # another seed gives other numbers
    assert not np.any(_uniforms(np.uint64(8), 20, 50, 100).ravel() == u)


@njit
def _grid_u(n, p, m):
    k = np.empty(m)
    w = np.empty(m)
    for i in range(m):
        k[i], w[i] = binomial_u(n, p, (i + 0.5) / m)
    return k, w


@pytest.mark.parametrize("n, p", [(1, 0.3), (10, 0.3), (1000, 0.001), (1000, 0.2), (6e5, 0.01), (50, 0.9)])
def test_binomial_u_inverts_and_leaves_a_uniform(n, p):
    """binomial_u is an exact inversion (as test_binomial_is_exact_inversion) and the uniform
    it leaves is uniform within each outcome: the grid points that fall on outcome k map
    onto an even grid of [0, 1) (spacing 1/count), whatever k."""
    m = 50_000
    k, w = _grid_u(float(n), p, m)
    ks, counts = np.unique(k, return_counts=True)
    assert np.max(np.abs(counts - m * binom.pmf(ks, n, p))) <= 2.0
    assert np.all((w >= 0.0) & (w < 1.0))
    for kk, cnt in zip(ks, counts):
        if cnt < 50:
            continue
        got = np.sort(w[k == kk])
        even = (np.arange(cnt) + 0.5) / cnt
        assert np.max(np.abs(got - even)) <= 2.0 / cnt, (kk, cnt)
