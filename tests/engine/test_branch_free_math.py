"""The branch-free exp and rate forms of the kernels against 40-digit mpmath.

Every function is checked twice: called alone (numba's scalar code) and
inside a compiled loop over an array (the code LLVM vectorises, as in the
batch kernels; the loops allow contraction into fused multiply-adds, as the
kernels and the helpers themselves do).  Both must be within 1e-13 relative of the high-precision
value, and give the same bits: a neuron's result may not depend on whether
it sat in a vector lane or in the scalar remainder of a loop.
"""

from __future__ import annotations

import re

import mpmath
import numpy as np
import pytest
from numba import njit

from hhsim.engine import kernel_helpers as kh
from hhsim.units import FARADAY

mpmath.mp.dps = 40
REL = 1e-13  # the bound; the measured worst cases are below 1e-14


def _rel_err(got, want):
    return max(abs(float(g) / float(w) - 1.0) if w != 0 else abs(float(g)) for g, w in zip(got, want))


def _offsets_around_zero():
    """Points from 1e-15 to 30 on both sides of 0, and both sides of the series switch."""
    pts = [0.0]
    for e in range(-15, 2):
        for m in (1.0, 2.5, 7.0):
            pts += [m * 10.0**e, -m * 10.0**e]
    edge = kh.EXP_RATIO_SERIES_BELOW
    for f in (-1e-3, -1e-12, 0.0, 1e-12, 1e-3):
        pts += [edge * (1 + f), -edge * (1 + f)]
    pts += list(np.linspace(-30.0, 30.0, 601))
    return np.array(pts)


# Compiled loops over arrays (numba cannot take the inlined helpers as arguments).
@njit(error_model="numpy", fastmath={"contract"})
def _exp_loop(x):
    """Rows: fexp(x), x / (1 - exp(-x))."""
    out = np.empty((2, x.shape[0]))
    for i in range(x.shape[0]):
        out[0, i] = kh.fexp(x[i])
        out[1, i] = kh._exp_ratio(x[i])
    return out


@njit(error_model="numpy", fastmath={"contract"})
def _forms_loop(v, a, k, v0):
    n = v.shape[0]
    out = np.empty((6, n))
    for i in range(n):
        out[0, i] = kh._exp_rate(v[i], a, k, v0)
        out[1, i] = kh._sigmoid_rate(v[i], a, k, v0)
        out[2, i] = kh._linexp_rate(v[i], a, k, v0)
        out[3, i] = kh._linexp(v[i] - v0, k)
        out[4, i] = kh._vtrap(v[i] - v0, k)
        out[5, i] = kh._ghk(v[i], 0.05, 2.0, 2.0, 25.0)
    return out


def test_fexp_matches_mpmath_over_the_whole_range():
    xs = np.concatenate([np.linspace(-708.0, 709.0, 40001), np.linspace(-1.0, 1.0, 4001),
                         [0.0, 1e-300, -1e-300, 0.5 * np.log(2.0), -0.5 * np.log(2.0), 1e-8, -1e-8]])
    want = [mpmath.exp(mpmath.mpf(float(x))) for x in xs]
    vec = _exp_loop(xs)[0]
    assert _rel_err(vec, want) < REL
    scalar = np.array([kh.fexp(float(x)) for x in xs[::37]])
    assert np.array_equal(scalar, vec[::37])


def test_fexp_is_finite_and_monotone_at_the_clamps():
    big = _exp_loop(np.array([709.0, 710.0, 1e6, np.inf]))[0]
    small = _exp_loop(np.array([-708.0, -709.0, -1e6, -np.inf]))[0]
    assert np.all(np.isfinite(big)) and np.all(big[1:] == big[0])
    assert np.all(small > 0) and np.all(small[1:] == small[0])


def test_exp_ratio_matches_mpmath_through_its_removable_singularity():
    xs = np.concatenate([_offsets_around_zero(), np.linspace(-700.0, 700.0, 2801)])
    want = [1 if x == 0 else mpmath.mpf(float(x)) / (1 - mpmath.exp(-mpmath.mpf(float(x)))) for x in xs]
    vec = _exp_loop(xs)[1]
    assert _rel_err(vec, want) < REL
    assert np.array_equal(np.array([kh._exp_ratio(float(x)) for x in xs]), vec)


@pytest.mark.parametrize("a, k, v0", [(0.1, 10.0, -40.0), (0.01, 10.0, -55.0), (4.0, -18.0, -65.0), (0.32, 4.0, -54.0)])
def test_rate_forms_match_mpmath(a, k, v0):
    v = np.concatenate([v0 + _offsets_around_zero() * abs(k), np.linspace(-150.0, 100.0, 2501)])
    vec = _forms_loop(v, a, k, v0)
    A, K, V0 = mpmath.mpf(a), mpmath.mpf(k), mpmath.mpf(v0)

    def ratio(x):  # x / (1 - e^-x), limit 1
        return mpmath.mpf(1) if x == 0 else x / (1 - mpmath.exp(-x))

    refs = [[], [], [], [], [], []]
    ghk_scale = []  # the GHK current is a difference: its error is relative to the terms' size
    for vi in v:
        V = mpmath.mpf(float(vi))
        x = (V - V0) / K
        refs[0].append(A * mpmath.exp(x))
        refs[1].append(A / (1 + mpmath.exp(x)))
        refs[2].append(A * K * ratio(x))
        refs[3].append(K * ratio(x))
        refs[4].append(K * ratio(-x))
        xi = 2 * V / 25
        refs[5].append(2 * mpmath.mpf(FARADAY) * ratio(xi) * (mpmath.mpf(0.05) - 2 * mpmath.exp(-xi)))
        ghk_scale.append(2 * mpmath.mpf(FARADAY) * ratio(xi) * (mpmath.mpf(0.05) + 2 * mpmath.exp(-xi)))
    for row in range(5):
        assert _rel_err(vec[row], refs[row]) < REL, row
    ghk_err = max(abs(mpmath.mpf(float(g)) - w) / m for g, w, m in zip(vec[5], refs[5], ghk_scale))
    assert ghk_err < REL
    # the scalar entry points give the same bits as the vectorised loop
    for i in range(0, v.size, 53):
        scalar = (kh._exp_rate(v[i], a, k, v0), kh._sigmoid_rate(v[i], a, k, v0), kh._linexp_rate(v[i], a, k, v0),
                  kh._linexp(v[i] - v0, k), kh._vtrap(v[i] - v0, k), kh._ghk(v[i], 0.05, 2.0, 2.0, 25.0))
        assert np.array_equal(np.array(scalar), vec[:, i])


def test_choose_selects_without_evaluating_a_branch():
    @njit(error_model="numpy")
    def pick(x):
        return kh.choose(x > 0.0, 1.0 / x, -1.0)

    assert pick(4.0) == 0.25
    assert pick(0.0) == -1.0  # 1/0 was computed (inf) and not selected


def test_the_loop_over_the_forms_is_vectorised():
    """LLVM turns the loop into packed double-precision instructions (AVX2 ymm or AVX-512 zmm)."""
    _forms_loop(np.linspace(-80, 40, 64), 0.1, 10.0, -40.0)
    asm = next(iter(_forms_loop.inspect_asm().values()))
    packed = re.findall(r"\bv(?:fmadd|fnmadd|mul|add|sub|div)\w*pd\s+[^\n]*%[yz]mm", asm)
    assert len(packed) > 50
