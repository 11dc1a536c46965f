"""``scan``: one parameter varied in one batch, checked against the reference with the
parameter changed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import ref_hh as ref
from hhsim import analysis, stim
from hhsim.analysis import FeatureError, ProtocolError
from hhsim.analysis.scan import parse_param
from hhsim.errors import HHSimError


def test_resting_potential_against_reference(monkeypatch):
    values = [60.0, 90.0, 120.0]
    r = analysis.scan("hh", "gNa", values, "v_rest")
    assert r.measure == "v_rest_mV" and r.unit == "mV"
    for g, got in zip(values, r.results):
        monkeypatch.setattr(ref, "G_NA", g)
        assert got == pytest.approx(ref.resting_potential(), abs=1e-8)


def test_ttx_concentration_as_parameter(monkeypatch):
    r = analysis.scan("hh", "ttx_nM", [0.0, 5.1], "v_rest_mV")
    monkeypatch.setattr(ref, "G_NA", 60.0)
    assert r.results[1] == pytest.approx(ref.resting_potential(), abs=1e-8)


def test_rheobase_scan_against_reference(monkeypatch, ref_rheobase):
    r = analysis.scan("hh", "gNa", [80.0, 120.0], "rheobase_uA_cm2")
    assert r.results[1] == pytest.approx(ref_rheobase, rel=1e-3)
    monkeypatch.setattr(ref, "G_NA", 80.0)
    want = ref.bisect(lambda a: ref.pulse_fires(a, 200.0, 20.0), 2.0, 10.0)
    assert r.results[0] == pytest.approx(want, rel=1e-3)


def test_peak_of_first_spike_against_reference():
    r = analysis.scan("hh", "gNa", [120.0], "peak_mV", stimulus=stim.step(10.0, start=10.0, dur=100.0))
    y0 = ref.state_at(ref.resting_potential())
    _, _, (t, y) = ref.run([(0.0, 10.0, 0.0), (10.0, 25.0, 10.0)], y0, max_step=0.005)
    assert r.results[0] == pytest.approx(np.max(y[0]), abs=0.05)
    assert r.v_mV.shape[0] == 1 and r.t_ms.size == r.v_mV.shape[1]


def test_spike_count_falls_with_ttx():
    r = analysis.scan("hh", "ttx_nM", [0.0, 2.0, 50.0], "n_spikes")
    assert r.results[0] >= 5 and r.results[-1] == 0
    assert np.all(np.diff(r.results) <= 0)
    d = r.to_dict()
    assert d["param"] == "ttx_nM" and d["measure"] == "n_spikes" and len(d["table"]) == 3


def test_unmeasurable_values_are_nan():
    r = analysis.scan("hh", "ttx_nM", [50.0], "peak_mV")
    assert np.isnan(r.results[0])
    assert r.to_dict()["results"] == [None]


def test_parse_param():
    name, values = parse_param("gNa=60:120:7")
    assert name == "gNa" and values == pytest.approx(np.linspace(60, 120, 7))


@pytest.mark.parametrize("text", ["gNa", "gNa=120:60:3", "gNa=60:60:3", "gNa=60:120:1", "gNa=60:120:2.5",
                                  "gNa=a:b:c", "=1:2:3"])
def test_bad_param_ranges(text):
    with pytest.raises(ProtocolError):
        parse_param(text)


def test_unknown_parameter_and_feature():
    with pytest.raises(HHSimError, match="unknown parameter 'gFoo'"):
        analysis.scan("hh", "gFoo", [1.0, 2.0], "n_spikes")
    with pytest.raises(FeatureError, match="unknown feature 'wobble'"):
        analysis.scan("hh", "gNa", [1.0, 2.0], "wobble")
