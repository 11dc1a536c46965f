"""Adaptive steps per cell in networks (``method="dopri5"``, issue 23 item 4): each cell its
own Dormand-Prince steps between events delivered exactly.

Checked against the independent two-cell reference (``helpers.two_cells``: solve_ivp,
DOP853 at rtol 1e-10, exact event handling), against the fixed-step loop at a small
step (another integrator, the same network), for the same bits on one and two threads,
and for one-line refusals of what it does not integrate.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from helpers import two_cells as ref
from helpers.two_cells_network import T_STOP, network as _two_cells, spike_error as _error
from helpers.cli import cli_error, run_cli
import hhsim
from hhsim.errors import ParameterError
from hhsim.network import Monitors, Network, Population, Projection, presets, simulate_network, synapses, toml_io

pytestmark = pytest.mark.xdist_group("adaptive_network")


@pytest.fixture(scope="module")
def reference():
    a, b = ref.reference(T_STOP)
    assert a.size >= 3 and b.size >= 2  # B fires only through A: the coupling matters
    return a, b


def test_two_cells_within_1e6_ms_at_rtol_1e9(reference):
    r = simulate_network(_two_cells(), method="dopri5", rtol=1e-9, atol=1e-9)
    assert r.method == "dopri5"
    assert _error(r, reference) < 1e-6


def test_error_falls_with_the_tolerance(reference):
    errors = [_error(simulate_network(_two_cells(), method="dopri5", rtol=tol, atol=tol), reference)
              for tol in (1e-5, 1e-7, 1e-9)]
    assert errors[0] > errors[1] > errors[2]
    assert errors[0] > 30 * errors[2]
    assert errors[0] < 1e-3  # even the loosest is better than rk4 at 0.025 ms (about 1e-4 ms, see test_reference_two_cells)


def test_tolerances_from_the_network_and_its_file(reference, tmp_path):
    net = _two_cells(method="dopri5", rtol=1e-9, atol=1e-9)
    back = toml_io.loads(toml_io.dumps(net))
    assert (back.method, back.rtol, back.atol) == ("dopri5", 1e-9, 1e-9)
    assert _error(simulate_network(back), reference) < 1e-6


def test_matches_the_fixed_step_loop_with_dead_time_and_stimulus():
    """The chain preset (1 ms delays, a pulse into cell 0) with bi-exponential inhibition
    backwards and a 4 ms dead time: rk4 at 0.0025 ms (the fixed-step loop, another
    integrator) gives the same spikes, traces and synaptic currents."""
    net = presets.chain(n=6, t_stop=40.0)
    back = Projection("chain", "chain", synapses.BiExp(tau_rise=0.5, tau_decay=4.0, E=-80.0),
                      connect={"pre": [2, 4], "post": [0, 2]}, weight=0.2, delay=1.3, name="back")
    net = net.replace(projections=(*net.projections, back)).with_refractory(4.0)
    fixed = simulate_network(net, method="rk4", dt=0.0025)
    adaptive = simulate_network(net, method="dopri5", rtol=1e-8, atol=1e-8)
    fi, ft = fixed.spikes["chain"]
    ai, at = adaptive.spikes["chain"]
    assert ft.size >= 6 and np.array_equal(np.sort(fi), np.sort(ai))
    for c in np.unique(fi):
        np.testing.assert_allclose(np.sort(at[ai == c]), np.sort(ft[fi == c]), atol=2e-3)
    # the recorded traces agree too (Hermite interpolation of the steps onto the grid),
    # and the synaptic current (µA/cm², outward positive)
    np.testing.assert_allclose(adaptive.v["chain"], fixed.v["chain"], atol=0.01)
    assert np.max(np.abs(fixed.i_syn["chain"])) > 1.0
    np.testing.assert_allclose(adaptive.i_syn["chain"][1:], fixed.i_syn["chain"][1:], atol=1e-3)


def test_spike_source_alpha_synapses_and_depression_against_solve_ivp():
    """One `hh` cell driven by a spike source (2.0, 2.5, 3.0 ms) through an alpha
    conductance (0.6 mS/cm², 1.5 ms, E 0 mV, delay 2.1 ms) and an alpha current with
    Tsodyks-Markram depression (U 0.5, tau_rec 50 ms; 3 µA/cm², 1 ms, delay 0.7 ms):
    its spike time against solve_ivp on the same input written out here."""
    times = np.array([2.0, 2.5, 3.0])
    src = hhsim.network.SpikeSource("kick", times_ms=times.tolist())
    cond = Projection("kick", "P", synapses.Alpha(tau=1.5, E=0.0), connect="all", weight=0.6, delay=2.1,
                      name="cond")
    cur = Projection("kick", "P", synapses.AlphaCurrent(tau=1.0), connect="all", weight=3.0, delay=0.7,
                     stp=synapses.TsodyksMarkram(U=0.5, tau_rec=50.0, tau_fac=0.0), name="cur")
    net = Network(populations=[Population("P", "hh")], sources=[src], projections=[cond, cur], t_stop=10.0)
    r = simulate_network(net, method="dopri5", rtol=1e-9, atol=1e-9)
    # the released fractions of the depressing synapse: u x with u = U, x recovering
    x, last, frac = 1.0, None, []
    for t in times:
        if last is not None:
            x = 1.0 - (1.0 - x) * np.exp(-(t - last) / 50.0)
        frac.append(0.5 * x)
        x -= 0.5 * x
        last = t

    def alpha(t, t0, tau):
        s = t - t0
        return np.where(s >= 0, s / tau * np.exp(1 - s / tau), 0.0)

    def drive(t, v):
        g = sum(0.6 * alpha(t, tk + 2.1, 1.5) for tk in times)
        i = sum(3.0 * f * alpha(t, tk + 0.7, 1.0) for tk, f in zip(times, frac))
        return i - g * v

    from helpers import hh_textbook as tb
    from scipy.integrate import solve_ivp

    def crossing(t, y):
        return y[0]

    crossing.direction = 1.0
    sol = solve_ivp(lambda t, y: tb.rhs(t, y, lambda _t: drive(t, y[0])), (0.0, 10.0), tb.resting_state(),
                    method="DOP853", rtol=1e-11, atol=1e-12, events=crossing, max_step=0.05)
    expected = sol.t_events[0]
    assert expected.size == 1  # the drive makes one spike
    got = r.spikes["P"][1]
    assert got.size == 1 and abs(got[0] - expected[0]) < 1e-6, (got, expected)


def test_two_threads_give_the_bits_of_one(monkeypatch):
    net = presets.cobahh(n=100, t_stop=30.0)
    net = net.replace(projections=tuple(dataclasses.replace(p, delay=0.5) for p in net.projections),
                      monitors=Monitors(spikes="all", states={"E": [0, 79], "I": [3]}, every_ms=0.5))
    runs = {}
    for n in (1, 2):
        monkeypatch.setenv("HHSIM_THREADS", str(n))
        runs[n] = simulate_network(net, method="dopri5", rtol=1e-5, atol=1e-5)
    one, two = runs[1], runs[2]
    assert one.spikes["E"][1].size > 20
    for pop in ("E", "I"):
        assert np.array_equal(one.spikes[pop][0], two.spikes[pop][0])
        assert np.array_equal(one.spikes[pop][1], two.spikes[pop][1])
        assert np.array_equal(one.v[pop], two.v[pop])


def test_refusals_name_what_is_not_integrated():
    gap = Network(populations=[Population("P", "hh", n=2)],
                  projections=[Projection("P", "P", synapses.Gap(), connect="all", weight=0.01)], t_stop=5.0)
    with pytest.raises(ParameterError, match="gap junctions; accepted: point neurons"):
        simulate_network(gap, method="dopri5")
    with pytest.raises(ParameterError, match="delays of 0 ms"):
        simulate_network(presets.cobahh(n=20, t_stop=5.0), method="dopri5")
    with pytest.raises(ParameterError, match="rtol and atol apply to method dopri5 only"):
        simulate_network(_two_cells(), method="rk4", rtol=1e-6)
    with pytest.raises(ParameterError, match="rtol"):
        simulate_network(_two_cells(), method="dopri5", rtol=0.0)


def test_cli_runs_it_and_refuses_in_one_line(capsys, tmp_path):
    path = tmp_path / "two.toml"
    path.write_text(toml_io.dumps(_two_cells()))
    code, out, err = run_cli(capsys, "network", str(path), "--method", "dopri5", "--rtol", "1e-7", "--atol", "1e-8",
                             "--json")
    assert code == 0, err
    assert '"method": "dopri5"' in out and '"rtol": 1e-07' in out and '"atol": 1e-08' in out
    _, line = cli_error(capsys, "network", "--preset", "cobahh", "--t-stop", "5", "--method", "dopri5")
    assert "delays of 0 ms" in line and "accepted" in line
    _, line = cli_error(capsys, "network", str(path), "--method", "dopri5", "--rtol", "0")
    assert "rtol" in line
    _, line = cli_error(capsys, "network", str(path), "--method", "dopri5", "--atol", "-1e-6")
    assert "atol" in line
