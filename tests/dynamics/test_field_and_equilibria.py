"""The complex-safe vector field, its exact Jacobian and the equilibrium branch."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from helpers import ref_hh_mp as ref
import hhsim
from hhsim.dynamics import equilibria as eq
from hhsim.dynamics.derivatives import jacobian, second, taylor
from hhsim.dynamics.field import model_field
from hhsim.physics.structure import lower
from hhsim.engine.numpy_path import physics

PRESETS = hhsim.models.names()


@pytest.mark.parametrize("name", PRESETS)
def test_field_equals_the_numpy_path(name):
    """Real part of the complex-safe field = numpy_path.physics (the kernels' test path)."""
    m = hhsim.models.get(name)
    f = model_field(m)
    rng = np.random.default_rng(1)
    v0 = m.resting_potential()
    u = f.steady_state(np.array([v0 - 5, v0, v0 + 12]))
    u = u + 0.02 * rng.standard_normal(u.shape) * f.scale[:, None]
    v, full = f.full_state(u)
    plan = lower([m] * 3)
    ph = physics(plan, v, full)
    dv = (2.5 - ph["I"].sum(axis=0)) / plan.cm
    dy = ph["A"] - ph["B"] * full
    expect = np.vstack([dv[None], dy[list(f.dyn_gates)], dy[plan.structure.n_gates:]])
    got = f(u.astype(complex), 2.5)
    assert np.allclose(got.real, expect, rtol=1e-12, atol=1e-13)
    assert np.all(got.imag == 0)


@pytest.mark.parametrize("name", PRESETS)
def test_steady_state_matches_the_model(name):
    m = hhsim.models.get(name)
    f = model_field(m)
    v = np.array([-80.0, -60.0, -30.0])
    for k in range(3):
        _, full = f.full_state(f.steady_state(v[k]))
        assert np.allclose(full[:, 0], m.steady_states(v[k]), rtol=1e-12, atol=1e-15)
    assert np.allclose(eq.steady_current(f, v), m.steady_state_current(v), rtol=1e-12, atol=1e-12)


def test_complex_step_jacobian_matches_30_digit_reference():
    f = model_field(hhsim.models.get("hh"))
    for v in (-70.0, -59.0, -41.3):  # (avoiding the removable 0/0 points of the mpmath rates)
        J = jacobian(f, f.steady_state(v)[:, 0])
        R = np.array(ref.jacobian(v).tolist(), dtype=float)
        assert np.allclose(J, R, rtol=1e-13, atol=1e-14 * np.abs(R).max())


def test_cauchy_derivatives_of_an_analytic_map():
    """Taylor coefficients of t -> f(u + t d) against closed forms."""
    def f(U):
        x, y = U
        return np.array([np.exp(x) * y, np.sin(x) + y ** 3])

    u = np.array([0.3, -0.7])
    d = np.array([0.4 + 0.1j, 1.2])
    c = taylor(f, u, d, 3, scale=np.ones(2))
    x, y = u
    dx, dy = d
    # second derivative of exp(x+t dx)(y + t dy): e^x (dx² y + 2 dx dy)
    assert c[2][0] == pytest.approx(np.exp(x) * (dx ** 2 * y + 2 * dx * dy), rel=1e-11)
    assert c[3][1] == pytest.approx(-np.cos(x) * dx ** 3 + 6 * dy ** 3, rel=1e-11)
    b = second(f, u, np.array([1.0, 0]), np.array([0, 1.0]), np.ones(2))
    assert b[0] == pytest.approx(np.exp(x), rel=1e-11)  # d²(e^x y)/dx dy


@pytest.mark.parametrize("name", PRESETS)
def test_equilibria_agree_with_the_resting_potential(name):
    """`hhsim models` reports Model.resting_potential(); it is one of the equilibria at 0."""
    m = hhsim.models.get(name)
    out = hhsim.dynamics.equilibria_at(m, 0.0)
    vs = [e["V_mV"] for e in out["equilibria"]]
    assert min(abs(v - m.resting_potential()) for v in vs) < 1e-8
    for e in out["equilibria"]:
        assert abs(float(m.steady_state_current(np.asarray(e["V_mV"])))) < 1e-9
        assert len(e["eigenvalues_per_ms"]) == len(out["states"])


def test_hh_rest_eigenvalues_and_traub_miles_has_no_stable_rest():
    hh = hhsim.dynamics.equilibria_at("hh", 0.0)
    (rest,) = hh["equilibria"]
    mp_v = mp.findroot(ref.steady_current, -65)
    assert rest["V_mV"] == pytest.approx(float(mp_v), abs=1e-10)
    expect = sorted((complex(z) for z in mp.eig(ref.jacobian(mp_v), left=False, right=False)),
                    key=lambda z: (-z.real, z.imag))
    got = sorted((complex(*z) for z in rest["eigenvalues_per_ms"]), key=lambda z: (-z.real, z.imag))
    assert np.allclose(got, expect, rtol=1e-10)
    # slowest mode real (-0.12 /ms), then a damped pair: a stable node by its leading eigenvalue
    assert rest["stable"] and rest["type"] == "stable node"
    tm = hhsim.dynamics.equilibria_at("traub_miles", 0.0)
    assert not any(e["stable"] for e in tm["equilibria"])
    assert "no stable rest state at 0 µA/cm²" in tm["notes"]


def test_saddle_node_is_a_local_maximum_of_the_steady_current():
    from hhsim.dynamics.saddle_node import saddle_nodes

    f = model_field(hhsim.models.get("wang_buzsaki"))
    sn = min((s for s in saddle_nodes(f, eq.branch(f)) if s.lower), key=lambda s: s.v_mV)
    i = eq.steady_current(f, np.array([sn.v_mV - 1e-3, sn.v_mV, sn.v_mV + 1e-3]))
    assert i[1] > i[0] and i[1] > i[2]
    assert i[1] - max(i[0], i[2]) < 1e-6  # flat top: a fold, not a kink
    J = jacobian(f, f.steady_state(sn.v_mV)[:, 0])
    assert np.min(np.abs(np.linalg.eigvals(J))) < 1e-9  # a zero eigenvalue


def test_custom_expression_channel_is_analytic_and_matches():
    """A user channel written as expressions (where, min, abs, linexp, a pool-free Nernst-free
    K current): the complex-safe field equals the NumPy path and its Jacobian is exact."""
    from hhsim.channels import Channel, Gate

    ka = Channel("KA", gbar=20.0, E=-80.0, ion="k", gates=[
        Gate("a", 3, inf="1/(1 + exp(-(V + 50)/abs(-10)))",
             tau="where(V < -40, 1 + 0.5*linexp(V + 60, 8)/8, min(2.0, 1 + exp(-(V + 40)/20)))"),
        Gate("b", 1, inf="1/(1 + exp((V + 70)/6))", tau="20 + max(0, (V + 30)/10)"),
    ])
    m = hhsim.models.get("hh").with_channels(ka)
    f = model_field(m)
    u = f.steady_state(np.array([-75.0, -55.0, -20.0]))
    v, full = f.full_state(u)
    plan = lower([m] * 3)
    ph = physics(plan, v, full)
    dy = ph["A"] - ph["B"] * full
    assert np.allclose(f(u)[1:].real, dy[list(f.dyn_gates)], rtol=1e-12, atol=1e-14)
    # complex step against a central difference with a Richardson step (an independent check)
    J = jacobian(f, u[:, 1])
    h = 1e-4
    for j in range(f.n):
        e = np.zeros(f.n)
        e[j] = h * f.scale[j]
        d1 = (f((u[:, 1] + e)[:, None]) - f((u[:, 1] - e)[:, None]))[:, 0].real / (2 * e[j])
        d2 = (f((u[:, 1] + 2 * e)[:, None]) - f((u[:, 1] - 2 * e)[:, None]))[:, 0].real / (4 * e[j])
        assert np.allclose(J[:, j], (4 * d1 - d2) / 3, rtol=1e-7, atol=1e-9)
    eqs = hhsim.dynamics.equilibria_at(m, 0.0)["equilibria"]
    assert min(abs(e["V_mV"] - m.resting_potential()) for e in eqs) < 1e-8
