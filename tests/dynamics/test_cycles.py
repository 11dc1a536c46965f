"""Periodic orbits: period against a long simulation, Floquet multipliers against the
compiled integrator's finite-difference monodromy, the fold of cycles of the squid axon."""

from __future__ import annotations

import numpy as np
import pytest

import hhsim
from hhsim.dynamics import cycles, equilibria as eq, hopf
from hhsim.dynamics.field import model_field
from hhsim.engine.batch import make_grid, run_batch
from hhsim.physics.structure import lower


@pytest.fixture(scope="module")
def hh_orbit_8():
    f = model_field(hhsim.models.get("hh"))
    return f, cycles.orbit_at(f, 8.0)


def test_period_at_8_matches_a_long_simulation(hh_orbit_8):
    _, p = hh_orbit_8
    r = hhsim.simulate("hh", hhsim.stim.step(8.0), t_stop=2500.0, dt=0.01, rtol=1e-11, atol=1e-11)
    st = r.spike_times[r.spike_times > 500.0]
    isi = (st[-1] - st[0]) / (st.size - 1)  # mean inter-spike interval (ms)
    assert st.size > 100
    assert p.period_ms == pytest.approx(isi, rel=1e-6)


def test_floquet_multipliers_match_the_compiled_integrators_monodromy(hh_orbit_8):
    f, p = hh_orbit_8
    mu = p.multipliers
    assert np.min(np.abs(mu - 1.0)) < 1e-8  # the phase direction
    m = f.model
    u0 = p.orbit.u[0]
    T = p.period_ms
    n = f.n
    delta = 1e-5 * f.scale
    starts = []
    for j in range(n):
        for sgn in (1.0, -1.0):
            u = u0.copy()
            u[j] += sgn * delta[j]
            starts.append((u[0], u[1:]))
    plan = lower([m] * len(starts), initial=starts)
    out = run_batch(plan, [hhsim.stim.step(8.0)], make_grid(T, T / 400), "dopri5",
                    record_every=0, rtol=1e-12, atol=1e-12)
    ends = np.vstack([out.v_final[None, :], out.y_final])  # (n, 2n)
    M = (ends[:, 0::2] - ends[:, 1::2]) / (2 * delta[None, :])
    fd = np.sort_complex(np.linalg.eigvals(M))[::-1]
    col = np.sort_complex(mu.astype(complex))[::-1]
    order = np.argsort(-np.abs(fd))
    fd = fd[order]
    col = col[np.argsort(-np.abs(col))]
    assert np.allclose(col, fd, atol=2e-5)
    assert abs(col[1] - fd[1]) < 1e-5 * abs(fd[1]) + 1e-7
    # the stable orbit: every other multiplier inside the unit circle, spanning > 40 decades
    assert p.stable and abs(col[-1]) < 1e-40


@pytest.mark.slow
def test_hh_cycle_branch_fold_near_6_26():
    """Rinzel & Miller 1980 (Math Biosci 49:27-59): fold of limit cycles at 6.26 µA/cm²."""
    f = model_field(hhsim.models.get("hh"))
    h = hopf.hopf_points(f, eq.branch(f))
    o, tan = cycles.from_hopf(f, h[0])
    b = cycles.continue_cycles(f, o, tan, (0.0, 200.0), ds=0.05, hopf_points=h, from_equilibrium=True)
    assert "154.5" in b.end  # the branch from the subcritical Hopf point ends at the supercritical one
    big = [p for p in b.folds if np.ptp(p.orbit.v_extrema()) > 50]
    assert len(big) == 1
    fold = big[0]
    assert fold.i_uA_cm2 == pytest.approx(6.26, abs=0.01)
    mu = np.sort(np.abs(fold.multipliers))[::-1]
    assert abs(mu[1] - 1.0) < 1e-3  # a second multiplier at 1: a fold, by its definition
    stable = [p for p in b.points if p.stable]
    assert min(p.i_uA_cm2 for p in stable) == pytest.approx(fold.i_uA_cm2, abs=0.05)
