"""Sweep measures against the protocols and simulations they stand for, point by point.

Each point of a sweep is one neuron (or one bracket) of a batch; the numbers
must equal what the single-model protocol or ``simulate`` gives for that
point's model.  Run in this process (``workers=0``); the Dask paths are
tested in test_sweep_dask.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import hhsim
from hhsim import analysis
from hhsim.errors import DivergenceError
from hhsim.sweep import measures as M

HH = hhsim.models.get("hh")


def at(**kw):
    return HH.with_params(kw)


def test_rheobase_and_pulse_threshold_equal_the_protocols():
    ds = hhsim.sweep("hh", {"gNa": [90.0, 140.0], "gK": [30.0, 40.0]}, ["rheobase", "pulse_threshold"],
                     workers=0, chunk=3)
    assert ds["rheobase_uA_cm2"].dims == ("gNa", "gK")
    for g_na in (90.0, 140.0):
        for g_k in (30.0, 40.0):
            point = ds.sel(gNa=g_na, gK=g_k)
            model = at(gNa=g_na, gK=g_k)
            assert float(point["rheobase_uA_cm2"]) == analysis.rheobase(model, progress=False).threshold_uA_cm2
            assert float(point["threshold_uA_cm2"]) == analysis.threshold(model, progress=False).threshold_uA_cm2
    assert np.all(ds["status_rheobase_uA_cm2"].values == M.OK)


def test_trace_features_equal_simulate_and_ap_features():
    stim = hhsim.stim.step(8.0, start=5.0, dur=60.0)
    ds = hhsim.sweep("hh", {"gNa": [80.0, 120.0, 160.0]}, ["n_spikes", "rate_hz", "peak_mV", "half_width_ms"],
                     stimulus=stim, workers=0)
    for g in (80.0, 120.0, 160.0):
        r = hhsim.simulate(at(gNa=g), stim, t_stop=85.0)
        f = analysis.ap_features(r.t, r.v, stim_start=5.0, stim_end=65.0, threshold=0.0)
        point = ds.sel(gNa=g)
        assert float(point["n_spikes"]) == r.n_spikes
        assert float(point["rate_hz"]) == analysis.steady_rate(r.spike_times, 5.0, 65.0)
        assert float(point["peak_mV"]) == float(f.peak_mV[0])
        assert float(point["half_width_ms"]) == float(f.half_width_ms[0])


def test_fi_rate_refractory_and_clamp_peak_equal_the_protocols():
    ds = hhsim.sweep("hh", {"gK": [30.0, 36.0]},
                     ["fi_rate_hz:10", "absolute_refractory_ms", "relative_refractory_ms", "clamp_peak_uA_cm2@0"],
                     workers=0)
    assert "fi_rate_hz_at_10" in ds and "clamp_peak_uA_cm2_at_0" in ds
    for g in (30.0, 36.0):
        model = at(gK=g)
        point = ds.sel(gK=g)
        fi = analysis.fi_curve(model, 10.0, 11.0, n=2, progress=False)  # from-rest rate at 10 µA/cm²
        # fi_curve integrates in segments (a restart of the adaptive steps), the sweep in one run
        assert float(point["fi_rate_hz_at_10"]) == pytest.approx(fi.rates_hz[0], rel=1e-6)
        ref = analysis.refractory(model, progress=False)
        assert float(point["absolute_refractory_ms"]) == ref.absolute_ms
        assert float(point["relative_refractory_ms"]) == ref.relative_ms
        vc = analysis.vclamp(model, steps=[0.0], prepulses=[], progress=False)
        assert float(point["clamp_peak_uA_cm2_at_0"]) == float(vc.peak_inward_uA_cm2[0])


def test_failures_give_nan_and_a_reason_without_stopping_the_sweep():
    # rk4 at 0.02 ms: gNa = 1000 mS/cm² blows up, the others run; an impossible reversal has no rest
    values = [120.0, 1000.0, 3000.0]
    ds = hhsim.sweep("hh", {"gNa": values}, ["n_spikes", "rheobase"], method="rk4", dt=0.02, workers=0, chunk=3)
    stim = M.DEFAULT_STIMULUS
    for k, g in enumerate(values):
        try:
            r = hhsim.simulate(at(gNa=g), stim, t_stop=130.0, method="rk4", dt=0.02)
        except DivergenceError:
            assert int(ds["status_n_spikes"][k]) == M.DIVERGED and np.isnan(ds["n_spikes"][k])
        else:
            assert int(ds["status_n_spikes"][k]) == M.OK and float(ds["n_spikes"][k]) == r.n_spikes
    assert int(ds["status_n_spikes"][1]) == M.DIVERGED  # the case above really diverges
    # no sodium and a leak of 30 mS/cm²: 50 µA/cm² depolarises by less than 2 mV, so no spike in the bracket
    ds = hhsim.sweep("hh", {"gNa": [0.0, 120.0], "gL": [0.3, 30.0]}, "rheobase", workers=0)
    status = ds["status_rheobase_uA_cm2"]
    assert int(status.sel(gNa=0.0, gL=30.0)) == M.NO_THRESHOLD
    assert np.isnan(float(ds["rheobase_uA_cm2"].sel(gNa=0.0, gL=30.0)))
    assert int(status.sel(gNa=120.0, gL=0.3)) == M.OK
    assert hhsim.sweep.reason(M.NO_THRESHOLD).startswith("no spike")


def test_a_model_that_fires_at_rest_and_an_invalid_model():
    # gK = 10 mS/cm²: hh fires repetitively without any stimulus
    ds = hhsim.sweep("hh", {"gK": [36.0, 10.0]}, "rheobase", workers=0)
    with pytest.raises(analysis.BracketError, match="without any stimulus"):
        analysis.rheobase(at(gK=10.0), progress=False)
    assert list(ds["status_rheobase_uA_cm2"].values) == [M.OK, M.FIRES_AT_REST]
    # a negative capacitance is refused by the model: that point only
    with pytest.raises(hhsim.ParameterError):
        at(Cm=-1.0)
    ds = hhsim.sweep("hh", {"Cm": [1.0, -1.0]}, ["rheobase", "n_spikes"], workers=0)
    assert list(ds["status_rheobase_uA_cm2"].values) == [M.OK, M.MODEL_ERROR]
    assert list(ds["status_n_spikes"].values) == [M.OK, M.MODEL_ERROR]
    assert np.isnan(float(ds["n_spikes"][1])) and float(ds["n_spikes"][0]) > 0


def test_user_function_of_a_result():
    def v_max(r):
        return float(r.v.max())

    def first_spike(r):
        return float(r.spike_times[0])  # IndexError without a spike: that point only

    ds = hhsim.sweep("hh", {"gNa": [10.0, 120.0]}, [v_max, {"spike": first_spike}.popitem()], workers=0)
    r = hhsim.simulate(at(gNa=120.0), M.DEFAULT_STIMULUS, t_stop=130.0)
    assert float(ds["v_max"].sel(gNa=120.0)) == float(r.v.max())
    assert float(ds["spike"].sel(gNa=120.0)) == float(r.spike_times[0])
    silent = hhsim.simulate(at(gNa=10.0), M.DEFAULT_STIMULUS, t_stop=130.0)
    assert silent.n_spikes == 0
    assert int(ds["status_spike"].sel(gNa=10.0)) == M.FUNCTION_ERROR


def test_latin_hypercube_is_seeded_and_stratified():
    a = hhsim.sweep("hh", {"gNa": [80.0, 160.0], "gK": [20.0, 50.0]}, "v_rest", samples=12, seed=3, workers=0,
                    chunk=5)
    b = hhsim.sweep("hh", {"gNa": [80.0, 160.0], "gK": [20.0, 50.0]}, "v_rest", samples=12, seed=3, workers=0,
                    chunk=12)
    c = hhsim.sweep("hh", {"gNa": [80.0, 160.0], "gK": [20.0, 50.0]}, "v_rest", samples=12, seed=4, workers=0)
    assert a["v_rest_mV"].dims == ("sample",)
    assert a["gNa"].values.tobytes() == b["gNa"].values.tobytes()
    assert a["v_rest_mV"].values.tobytes() == b["v_rest_mV"].values.tobytes()
    assert not np.array_equal(a["gNa"].values, c["gNa"].values)
    for name, (lo, hi) in (("gNa", (80.0, 160.0)), ("gK", (20.0, 50.0))):
        strata = np.floor((a[name].values - lo) / (hi - lo) * 12).astype(int)
        assert sorted(strata) == list(range(12))  # one point in each twelfth of the range
    k = 7
    expect = at(gNa=float(a["gNa"][k]), gK=float(a["gK"][k])).resting_potential()
    assert float(a["v_rest_mV"][k]) == expect


def test_cable_velocity_grows_as_the_square_root_of_the_diameter():
    from hhsim.cable import cable, conduction_velocity, point, simulate_cable

    ds = hhsim.sweep("hh", {"temperature": [6.3, 18.5], "cable.diam_um": [119.0, 476.0]}, "velocity_m_s",
                     workers=0)
    v = ds["velocity_m_s"]
    assert np.all(ds["status_velocity_m_s"].values == M.OK)
    # cable theory for an unmyelinated axon: velocity proportional to sqrt(diameter), here 4x -> 2x
    for t in (6.3, 18.5):
        assert float(v.sel(temperature=t, **{"cable.diam_um": 476.0}) / v.sel(temperature=t, **{"cable.diam_um": 119.0})) \
            == pytest.approx(2.0, rel=0.02)
    # Hodgkin & Huxley (1952), Part III: 18.8 m/s computed for the 476 µm squid axon at 18.5 °C
    assert float(v.sel(temperature=18.5, **{"cable.diam_um": 476.0})) == pytest.approx(18.8, rel=0.05)
    r = simulate_cable(cable(60000.0, 476.0, 35.4), at(temperature=18.5),
                       point(hhsim.stim.pulse(20000.0, start=0.5, dur=0.2), at=0.0), t_stop=10.0)
    assert float(v.sel(temperature=18.5, **{"cable.diam_um": 476.0})) == conduction_velocity(r)
    with pytest.raises(hhsim.sweep.SweepError, match="only apply to the measure velocity_m_s"):
        hhsim.sweep("hh", {"cable.diam_um": [100.0, 200.0]}, "rheobase", workers=0)


@pytest.mark.slow
def test_network_population_rate_equals_hhsim_network():
    import dataclasses

    from hhsim.network import presets, simulate_network

    ds = hhsim.sweep("hh", {"net.weight_scale": [0.1, 1.0], "gNa": [100.0]}, "network_rate_hz:chain.chain",
                     workers=0)
    rate = ds["network_rate_hz_chain_chain"]
    ref = simulate_network(presets.chain())
    # the preset's own cells have gNa = 120; with every cell at gNa = 100 (the swept model):
    net = presets.chain()
    net = net.replace(populations=tuple(dataclasses.replace(p, model=at(gNa=100.0)) for p in net.populations))
    r = simulate_network(net)
    assert float(rate.sel({"net.weight_scale": 1.0, "gNa": 100.0})) == r.rate("chain", start=0.2 * r.t_stop)
    assert r.n_spikes("chain") == ref.n_spikes("chain") == 10  # the spike travels the whole chain
    # at a tenth of the synaptic weight the spike does not travel: nothing fires after the first fifth
    assert float(rate.sel({"net.weight_scale": 0.1, "gNa": 100.0})) == 0.0
    with pytest.raises(hhsim.sweep.SweepError, match="accepted: net.weight_scale, net.n, net.t_stop"):
        hhsim.sweep("hh", {"net.gain": [1.0, 2.0]}, "network_rate_hz:chain", workers=0)


def test_large_chunks_keep_the_protocols_bits(monkeypatch):
    """Protocol batches above a work bound run in shorter time segments (analysis._common); the
    sweep's threshold searches stay below it, so a big chunk gives `hhsim rheobase`'s numbers."""
    from hhsim.analysis import _common

    values = [100.0, 110.0, 120.0]
    ref = [analysis.rheobase(at(gNa=g), progress=False).threshold_uA_cm2 for g in values]
    monkeypatch.setattr(_common, "CHUNK_NEURON_STEPS", 1 << 14)  # 3 points x 16 amplitudes is above it now
    ds = hhsim.sweep("hh", {"gNa": values}, "rheobase", workers=0, chunk=3)
    assert list(ds["rheobase_uA_cm2"].values) == ref
