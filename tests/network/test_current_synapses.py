"""Current-based synapses (``exp_current``, ``alpha_current``): an event adds a
current waveform whatever the voltage, as NEST's ``hh_psc_alpha``.

Every current kind of the synapse table is checked (registry-driven): its
current against the closed form at exact delivery times, and the voltage of a
passive cell against an independent solve_ivp of C dV/dt = -gL (V - EL) + I(t).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from hhsim.channels.leak import leak
from hhsim.engine import network_kernels as nk
from hhsim.errors import ParameterError
from hhsim.model import Model
from hhsim.network import Monitors, Network, Population, Projection, SpikeSource, simulate_network, synapses
from hhsim.network.toml_io import loads

G_L, E_L, C_M = 0.1, -70.0, 1.0
T_SPIKE, DELAY = 10.3, 1.234  # ms: delivery at 11.534, between grid points
ONSET = T_SPIKE + DELAY

CURRENT_KINDS = [cls for cls in synapses.KINDS.values() if cls.current]

#: the waveform of each engine code, peak 1 (exp: at 0; alpha: at tau)
SHAPES = {
    nk.LIN_EXP: lambda s, tau: np.exp(-s / tau),
    nk.LIN_ALPHA: lambda s, tau: (s / tau) * np.exp(1.0 - s / tau),
}


def _passive() -> Model:
    return Model(name="passive", channels=(leak(G_L, E_L),), Cm=C_M)


def _run(syn, weight, area=None, t_stop=60.0, dt=0.025, method="rk4"):
    net = Network(
        populations=[Population("cell", _passive(), area_um2=area)],
        sources=[SpikeSource("src", times_ms=[T_SPIKE])],
        projections=[Projection("src", "cell", syn, weight=weight, delay=DELAY)],
        t_stop=t_stop, dt=dt, method=method, monitors=Monitors(states={"cell": [0]}, every_ms=0.1))
    return simulate_network(net)


def test_the_table_has_current_kinds_on_the_engines_waveforms():
    assert {cls.kind for cls in CURRENT_KINDS} >= {"exp_current", "alpha_current"}
    assert (synapses.Exp.code, synapses.Alpha.code, synapses.BiExp.code) == (nk.LIN_EXP, nk.LIN_ALPHA, nk.LIN_BIEXP)
    for cls in CURRENT_KINDS:
        assert cls.family == "linear" and cls.code in SHAPES


@pytest.mark.parametrize("cls", CURRENT_KINDS, ids=lambda c: c.kind)
def test_current_waveform_at_exact_delivery(cls):
    syn, w = cls(tau=3.0), 0.8  # µA/cm²
    r = _run(syn, w)
    s = np.where(r.t > ONSET, r.t - ONSET, np.nan)
    expected = np.where(np.isnan(s), 0.0, w * SHAPES[cls.code](np.nan_to_num(s), 3.0))
    # i_syn is outward positive: a depolarising current is negative
    np.testing.assert_allclose(-r.i_syn["cell"][:, 0], expected, rtol=1e-9, atol=1e-12)
    assert np.count_nonzero(expected) > 100  # the waveform was seen, not only zeros


@pytest.mark.parametrize("cls", CURRENT_KINDS, ids=lambda c: c.kind)
@pytest.mark.parametrize("w", [0.8, -0.5])
def test_voltage_of_a_passive_cell_against_solve_ivp(cls, w):
    tau = 2.0
    r = _run(cls(tau=tau), w)

    def current(t):
        return w * SHAPES[cls.code](t - ONSET, tau) if t > ONSET else 0.0

    def rhs(t, v):
        return [(-G_L * (v[0] - E_L) + current(t)) / C_M]

    # the reference integrates in two pieces, so the kink at the onset is exact
    first = solve_ivp(rhs, (0.0, ONSET), [E_L], rtol=1e-12, atol=1e-12, dense_output=True)
    second = solve_ivp(rhs, (ONSET, 60.0), first.y[:, -1], rtol=1e-12, atol=1e-12, dense_output=True,
                       method="DOP853")
    v_ref = np.where(r.t <= ONSET, first.sol(np.minimum(r.t, ONSET))[0], second.sol(np.maximum(r.t, ONSET))[0])
    v = r.v["cell"][:, 0]
    np.testing.assert_allclose(v, v_ref, atol=1e-6)
    # the sign of the weight decides the direction, whatever the voltage
    assert (v.max() - E_L > 0.1) if w > 0 else (E_L - v.min() > 0.1)


def test_a_weight_in_pa_goes_through_the_population_area():
    area = 1000.0  # µm²: 1 pA is 1e-6 µA over 1e-5 cm², 0.1 µA/cm²
    r = _run(synapses.ExpCurrent(tau=3.0), "100 pA", area=area)
    peak = -r.i_syn["cell"][:, 0].min()
    sampled = math.exp(-(math.ceil(ONSET / 0.1) * 0.1 - ONSET) / 3.0)  # the first recorded point after onset
    assert peak == pytest.approx(100 * 1e-6 / (area * 1e-8) * sampled, rel=1e-9)


def test_units_of_the_wrong_kind_are_refused_in_one_line():
    with pytest.raises(ParameterError, match="is a conductance; this synapse's weight is a current"):
        _run(synapses.ExpCurrent(tau=3.0), "6 nS", area=1000.0)
    with pytest.raises(ParameterError, match="is a current; this synapse's weight is a conductance"):
        _run(synapses.Exp(tau=3.0, E=0.0), "100 pA", area=1000.0)


def test_a_network_file_takes_current_synapses_in_pa():
    text = """
t_stop = 30.0
dt = 0.025
[populations.cell]
model = "hh"
area_um2 = 1000.0
[sources.src]
times_ms = [5.0]
[[synapses]]
pre = "src"
post = "cell"
kind = "alpha_current"
tau = 1.0
weight = "2000 pA"
"""
    r = simulate_network(loads(text))
    assert r.spikes["cell"][1].size >= 1  # a 200 µA/cm² peak for about a millisecond fires it
    bad = text.replace('weight = "2000 pA"', 'weight = "5 nS"')
    with pytest.raises(ParameterError, match="current"):
        loads(bad)
