"""Rate forms from shared exponentials (``hhsim.physics.exp_sharing``).

* The groups found for ``hh`` are the exact relations of its rate constants
  (checked with rational arithmetic, from the 1952 forms' k values).
* E^p exp(c), the way the kernels build a member's exponential, is within
  1e-13 relative of 40-digit mpmath over the whole voltage range of use.
* A batch run with sharing agrees with the same run without it (each form
  its own exponential) to rounding, and with a NumPy loop written here.
* A neuron's bits depend on its own parameters only: a neighbour whose slope
  breaks the relations (so it runs without sharing) changes nothing for the
  others, and that neuron gets the same bits alone as in the batch.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
from numba import njit

import hhsim
from hhsim.channels.base import FORMS
from hhsim.physics import exp_sharing
from hhsim.engine.batch import make_grid, run_batch
from hhsim.engine.codegen import BLOCK
from hhsim.engine.kernel_helpers import fexp
from hhsim.physics.structure import lower

mpmath.mp.dps = 40


def _slope(structure, rp, form) -> Fraction:
    """sign / k of a built-in form ((gate, which), or a base's (gate, which, site)),
    exactly (k is a whole or decimal number in the presets)."""
    j, which = form[:2]
    k_row, _ = exp_sharing._rows(structure, (j, which))
    sign = FORMS[structure.gates[j].form_kinds[which]].exp_sign
    return Fraction(sign) / Fraction(str(rp[k_row]))


def test_hh_groups_are_exact_slope_relations():
    plan = lower(hhsim.models.get("hh"))
    [(sharing, idx)] = exp_sharing.groups(plan.structure, plan.rp)
    assert sharing is not None and list(idx) == [0]
    rp = plan.rp[:, 0]
    members = {(m.gate, m.which) for m in sharing.forms}
    # alpha_m, beta_h, alpha_n (slope -1/10), alpha_h (-1/20), beta_n (-1/80): one group; beta_m (-1/18) alone
    assert len(sharing.bases) == 1 and len(members) == 5
    for m in sharing.forms:
        base = sharing.bases[m.base]
        assert _slope(plan.structure, rp, (m.gate, m.which)) == m.power * _slope(plan.structure, rp, base)
    assert min(abs(_slope(plan.structure, rp, base)) for base in sharing.bases) == Fraction(1, 80)


@njit(cache=False, error_model="numpy", fastmath={"contract"})
def _shared_exp(v, slope, c, power):
    """exp(power * slope * v + c) as the kernels build it: squarings of one fexp, times fexp(c)."""
    out = np.empty(v.size)
    for i in range(v.size):
        e1 = fexp(v[i] * slope)
        acc = 1.0
        sq = e1
        p = power
        while p:
            if p & 1:
                acc = acc * sq
            sq = sq * sq
            p >>= 1
        out[i] = acc * fexp(c)
    return out


@pytest.mark.parametrize("power", [1, 2, 3, 4, 8, 16])
def test_a_power_of_a_shared_exponential_is_accurate(power):
    v = np.linspace(-150.0, 100.0, 2001)
    slope, c = -1.0 / 80.0, -0.8125  # beta_n's slope; an intercept like the presets'
    got = _shared_exp(v, slope, c, power)
    worst = max(abs(mpmath.mpf(float(g)) / mpmath.exp(power * mpmath.mpf(slope) * mpmath.mpf(float(x))
                                                     + mpmath.mpf(c)) - 1) for g, x in zip(got, v))
    assert worst < 1e-13


def _run(plan, scale, method="expeuler", t_stop=40.0):
    return run_batch(plan, [hhsim.stim.step(1.0)], make_grid(t_stop, 0.01), method, scale=scale, record_every=10)


def test_sharing_agrees_with_each_form_its_own_exponential(monkeypatch):
    n = 40
    scale = np.linspace(0.0, 20.0, n)
    shared = _run(lower([hhsim.models.get("hh")] * n), scale)
    monkeypatch.setattr(exp_sharing, "find", lambda structure, rp: None)
    import hhsim.engine.batch as batch
    monkeypatch.setattr(batch, "groups", lambda s, rp: [(None, np.arange(rp.shape[1]))])
    direct = _run(lower([hhsim.models.get("hh")] * n), scale)
    assert sum(len(s) for s in shared.spike_times) >= 50
    np.testing.assert_allclose(shared.v, direct.v, rtol=0, atol=1e-8)
    for a, b in zip(shared.spike_times, direct.spike_times):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)


def _numpy_hh(v, m, h, n_, i_amp, dt, steps):
    """Exponential Euler on the 1952 equations, every rate its own np.exp (independent of hhsim)."""
    def ratio(x):
        return np.where(np.abs(x) < 1e-6, 1.0 + 0.5 * x, x / -np.expm1(-np.where(x == 0, 1.0, x)))
    for _ in range(steps):
        am, bm = ratio((v + 40) / 10), 4 * np.exp(-(v + 65) / 18)
        ah, bh = 0.07 * np.exp(-(v + 65) / 20), 1 / (1 + np.exp(-(v + 35) / 10))
        an, bn = 0.1 * ratio((v + 55) / 10), 0.125 * np.exp(-(v + 65) / 80)
        g_na, g_k = 120 * m ** 3 * h, 36 * n_ ** 4
        g = g_na + g_k + 0.3
        ge = g_na * 50 - g_k * 77 - 0.3 * 54.387
        vinf = (i_amp + ge) / g
        v_new = vinf + (v - vinf) * np.exp(-dt * g)
        m = am / (am + bm) + (m - am / (am + bm)) * np.exp(-(am + bm) * dt)
        h = ah / (ah + bh) + (h - ah / (ah + bh)) * np.exp(-(ah + bh) * dt)
        n_ = an / (an + bn) + (n_ - an / (an + bn)) * np.exp(-(an + bn) * dt)
        v = v_new
    return v


def test_sharing_agrees_with_an_independent_numpy_loop():
    n = 16
    scale = np.linspace(0.0, 20.0, n)
    plan = lower([hhsim.models.get("hh")] * n)
    out = run_batch(plan, [hhsim.stim.step(1.0)], make_grid(15.0, 0.01), "expeuler", scale=scale, record_every=0)
    m0, h0, n0 = plan.y0[:, 0]
    ref = _numpy_hh(np.full(n, plan.v0[0]), np.full(n, m0), np.full(n, h0), np.full(n, n0), scale, 0.01, 1500)
    np.testing.assert_allclose(out.v_final, ref, rtol=0, atol=1e-8)


def test_a_neighbour_without_the_relations_changes_no_one_else(monkeypatch):
    monkeypatch.setenv("HHSIM_THREADS", "1")
    base = hhsim.models.get("hh")
    scale = np.linspace(2.0, 20.0, BLOCK)
    same = lower([base] * BLOCK)
    mixed = lower([base] * BLOCK)
    k_row, _ = exp_sharing._rows(mixed.structure, (0, 0))  # alpha_m's k
    mixed.rp[k_row, 1] *= 1.07  # neuron 1's alpha_m slope no longer 8 x beta_n's
    groups = exp_sharing.groups(mixed.structure, mixed.rp)
    assert len(groups) == 2 and list(groups[1][1]) == [1]
    a, b = _run(same, scale), _run(mixed, scale)
    keep = [c for c in range(BLOCK) if c != 1]
    assert sum(len(a.spike_times[c]) for c in keep) > 50
    assert np.array_equal(a.v[:, keep], b.v[:, keep]) and np.array_equal(a.y[:, :, keep], b.y[:, :, keep])
    assert all(np.array_equal(a.spike_times[c], b.spike_times[c]) for c in keep)
    alone = lower(base)
    alone.rp[:, 0] = mixed.rp[:, 1]
    c = _run(alone, scale[1:2])
    assert np.array_equal(c.v[:, 0], b.v[:, 1]) and np.array_equal(c.spike_times[0], b.spike_times[1])
    assert not np.array_equal(a.v[:, 1], b.v[:, 1])


# ------------------------------------------------ the adaptive method (dopri5)
def test_dopri5_run_constants_rebuild_each_forms_exponential():
    """The run constants in a neuron's parameter row (the bases' slopes, the members'
    exp(c)) give back each member's own exponent: E^p exp(c) = exp(slope V + c)."""
    plan = lower(hhsim.models.get("hh"))
    sharing = exp_sharing.find(plan.structure, plan.rp[:, 0])
    constants = exp_sharing.run_constants(plan.structure, sharing, plan.rp)[:, 0]
    slopes, factors = constants[:len(sharing.bases)], constants[len(sharing.bases):]
    v = mpmath.mpf(-37.25)
    for n, m in enumerate(sharing.forms):
        k_row, v0_row = exp_sharing._rows(plan.structure, (m.gate, m.which))
        k, v0 = plan.rp[k_row, 0], plan.rp[v0_row, 0]
        sign = FORMS[plan.structure.gates[m.gate].form_kinds[m.which]].exp_sign
        own = mpmath.exp(sign * (v - mpmath.mpf(v0)) / mpmath.mpf(k))  # the form's exponential, from its k, V0
        built = mpmath.exp(m.power * mpmath.mpf(slopes[m.base]) * v) * mpmath.mpf(factors[n])
        assert abs(built / own - 1) < 1e-14, m


def test_dopri5_sharing_agrees_with_each_form_its_own_exponential(monkeypatch):
    """The adaptive runs with and without shared exponentials: the same spikes, each
    time within twice the 1e-5 ms the default tolerances keep from a converged reference."""
    n = 12
    scale = np.linspace(0.0, 20.0, n)
    shared = _run(lower([hhsim.models.get("hh")] * n), scale, method="dopri5", t_stop=100.0)
    monkeypatch.setattr(exp_sharing, "find", lambda structure, rp: None)
    import hhsim.engine.batch as batch
    monkeypatch.setattr(batch, "groups", lambda s, rp: [(None, np.arange(rp.shape[1]))])
    direct = _run(lower([hhsim.models.get("hh")] * n), scale, method="dopri5", t_stop=100.0)
    assert sum(len(s) for s in shared.spike_times) >= 40
    for a, b in zip(shared.spike_times, direct.spike_times):
        assert len(a) == len(b)
        np.testing.assert_allclose(a, b, rtol=0, atol=2e-5)


def test_dopri5_neighbour_without_the_relations_changes_no_one_else():
    """As for the fixed-step kernels: in an adaptive batch a neuron whose slopes break the
    relations runs in its own group, and the others' bits do not change."""
    base = hhsim.models.get("hh")
    n = 6
    scale = np.linspace(4.0, 20.0, n)
    same = lower([base] * n)
    mixed = lower([base] * n)
    k_row, _ = exp_sharing._rows(mixed.structure, (0, 0))
    mixed.rp[k_row, 1] *= 1.07
    a, b = _run(same, scale, method="dopri5"), _run(mixed, scale, method="dopri5")
    keep = [c for c in range(n) if c != 1]
    assert sum(len(a.spike_times[c]) for c in keep) > 5
    assert np.array_equal(a.v[:, keep], b.v[:, keep])
    assert all(np.array_equal(a.spike_times[c], b.spike_times[c]) for c in keep)
    assert not np.array_equal(a.v[:, 1], b.v[:, 1])
