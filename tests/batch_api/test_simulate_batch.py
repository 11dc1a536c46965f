"""The public batch API against ``simulate``, neuron by neuron.

Every neuron of a batch runs through the same compiled kernel, grid and
method as a lone ``simulate`` call, so the spike times, traces and final
states must agree bit for bit (the stimulus is a unit waveform scaled per
neuron, which is the same product the kernel forms for ``step(amp)``).
"""

from __future__ import annotations

import numpy as np
import pytest

import hhsim
from hhsim import simulate, simulate_batch
from hhsim.analysis import application, apply_drugs
from hhsim.errors import ParameterError, SolverError

G_NA = np.array([80.0, 100.0, 120.0, 140.0, 160.0])
G_K = np.array([30.0, 36.0, 40.0, 33.0, 36.0])
AMPS = np.array([3.0, 6.0, 9.0, 12.0, 0.0])
UNIT = hhsim.stim.step(1.0, start=10.0, dur=40.0)


def lone(i, method, **kw):
    model = hhsim.models.get("hh").with_params(gNa=G_NA[i], gK=G_K[i])
    return simulate(model, hhsim.stim.step(AMPS[i], start=10.0, dur=40.0), t_stop=60.0, method=method, **kw)


@pytest.mark.parametrize("method", ["dopri5", "rk4", "expeuler"])
def test_each_neuron_equals_simulate(method):
    b = simulate_batch("hh", {"gNa": G_NA, "gK": G_K}, stimulus=UNIT, scale=AMPS, t_stop=60.0,
                       method=method, record="all")
    assert b.n == 5
    fired = 0
    for i in range(5):
        r = lone(i, method)
        assert np.array_equal(b.spike_times[i], r.spike_times)
        assert np.array_equal(b.traces["v"][:, i], r.v)
        for name in ("m", "h", "n"):
            assert np.array_equal(b.traces[name][:, i], r.states[name])
        assert np.array_equal(b.t, r.t)
        fired += r.n_spikes > 0
    assert 0 < fired < 5  # the batch mixes silent and firing neurons


def test_no_recording_keeps_spikes_and_final_state():
    b = simulate_batch("hh", {"gNa": G_NA, "gK": G_K}, stimulus=UNIT, scale=AMPS, t_stop=60.0)
    assert b.traces == {} and b.t.size == 0
    for i in range(5):
        r = lone(i, None)
        assert np.array_equal(b.spike_times[i], r.spike_times)
        assert b.v_final[i] == r.v[-1]
        assert b.states_final[1, i] == r.states["h"][-1]
    assert list(b.n_spikes) == [lone(i, None).n_spikes for i in range(5)]


def test_scalar_parameter_and_scales_set_the_size():
    b = simulate_batch("hh", {"gNa": 100.0}, stimulus=UNIT, scale=AMPS, t_stop=60.0)
    assert b.n == 5 and np.all(b.params["gNa"] == 100.0)
    r = simulate(hhsim.models.get("hh").with_params(gNa=100.0), hhsim.stim.step(AMPS[3], start=10.0, dur=40.0),
                 t_stop=60.0)
    assert np.array_equal(b.spike_times[3], r.spike_times)


def test_drug_concentration_as_a_parameter():
    b = simulate_batch("hh", {"ttx_nM": [0.0, 30.0]}, stimulus=hhsim.stim.step(10.0, start=5.0, dur=40.0),
                       t_stop=50.0)
    base = hhsim.models.get("hh")
    r = simulate(apply_drugs(base, [application("ttx", 30.0)]), hhsim.stim.step(10.0, start=5.0, dur=40.0),
                 t_stop=50.0)
    assert np.array_equal(b.spike_times[1], r.spike_times)
    assert b.n_spikes[0] > b.n_spikes[1]  # TTX blocks the sodium current


def test_to_xarray_has_parameters_as_coordinates():
    b = simulate_batch("hh", {"gNa": G_NA, "gK": G_K}, stimulus=UNIT, scale=AMPS, t_stop=60.0, record=["v"],
                       record_every=4)
    ds = b.to_xarray()
    assert np.array_equal(ds["gNa"].values, G_NA) and np.array_equal(ds["scale"].values, AMPS)
    assert ds["v_mV"].dims == ("t_ms", "neuron")
    assert np.array_equal(ds["t_ms"].values, lone(0, None).t[::4])
    for i in range(5):
        times = ds["spike_times_ms"].values[i]
        assert np.array_equal(times[np.isfinite(times)], b.spike_times[i])
        assert int(ds["n_spikes"][i]) == b.spike_times[i].size


def test_result_of_one_neuron():
    b = simulate_batch("hh", {"gNa": G_NA, "gK": G_K}, stimulus=UNIT, scale=AMPS, t_stop=60.0, record="all")
    r, ref = b.result(3), lone(3, None)
    assert np.array_equal(r.v, ref.v) and np.array_equal(r.stimulus, ref.stimulus)
    assert np.allclose(r.currents["Na"], ref.currents["Na"], rtol=0, atol=0)
    with pytest.raises(ParameterError, match="record='all'"):
        simulate_batch("hh", {"gNa": G_NA}, t_stop=5.0).result(0)


@pytest.mark.parametrize("kwargs, error, text", [
    ({"params": {"gFoo": [1.0]}}, ParameterError, "unknown parameter 'gFoo'.*accepted: Cm"),
    ({"params": {"gNa": [1.0, 2.0], "gK": [1.0, 2.0, 3.0]}}, ParameterError, "differ in length"),
    ({"params": {"gNa": []}}, ParameterError, "at least one neuron"),
    ({"params": {"gNa": [100.0]}, "method": "lsoda"}, SolverError, "accepted: dopri5"),
    ({"params": {"gNa": [100.0]}, "record": ["q"]}, ParameterError, "cannot record 'q'"),
    ({"params": {"gNa": [100.0, 110.0]}, "scale": [1.0, 2.0, 3.0]}, ParameterError, "scale needs"),
])
def test_bad_input(kwargs, error, text):
    with pytest.raises(error, match=text):
        simulate_batch("hh", t_stop=10.0, **kwargs)


def test_memory_is_checked_before_allocating(monkeypatch):
    import hhsim.batch_api as api

    monkeypatch.setattr(api, "free_memory_bytes", lambda: 1 << 20)
    with pytest.raises(SolverError, match="would need .* GB"):
        simulate_batch("hh", {"gNa": np.full(100, 120.0)}, t_stop=100.0, record="all")
