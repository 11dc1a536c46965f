"""Drugs: concentration-dependent block (fraction blocked = c / (c + IC50)) and pronase
(Na inactivation removed, h held at 1), checked against closed forms of the ideal clamp
and against the solve_ivp reference with the conductance scaled by hand."""

from __future__ import annotations

import json

import pytest

from helpers import ref_hh as ref
from hhsim import analysis, models
from hhsim.analysis import ProtocolError, apply_drugs, parse_drug
from hhsim.analysis.pharmacology import DRUGS
from hhsim.cli.main import main

HOLD = -65.0


def test_fraction_blocked_formula():
    ttx, tea = DRUGS["ttx"], DRUGS["tea"]
    assert ttx.fraction_blocked(ttx.ic50) == pytest.approx(0.5)
    assert tea.fraction_blocked(3 * tea.ic50) == pytest.approx(0.75)
    assert ttx.fraction_blocked(0.0) == 0.0
    m = apply_drugs(models.get("hh"), [parse_drug("ttx=10nM"), parse_drug("tea=400uM")])
    assert m.channel("Na").gbar == pytest.approx(120.0 * ttx.ic50 / (10.0 + ttx.ic50))
    assert m.channel("K").gbar == pytest.approx(36.0 * 0.5)
    assert m.channel("L").gbar == 0.3
    assert "TTX 10 nM" in m.name and "TEA 0.4 mM" in m.name


@pytest.mark.parametrize("text, conc", [("ttx=10nM", 10.0), ("ttx=0.01uM", 10.0), ("TTX = 10 nM", 10.0),
                                        ("ttx=10", 10.0), ("tea=5mM", 5.0), ("tea=500uM", 0.5),
                                        ("tea=5", 5.0)])
def test_parse_concentrations(text, conc):
    assert parse_drug(text).concentration == pytest.approx(conc)


@pytest.mark.parametrize("text", ["ttx", "caffeine=1mM", "ttx=3kg", "pronase=2", "ttx=-1nM", "ttx=nM", ""])
def test_parse_errors(text):
    with pytest.raises(ProtocolError):
        parse_drug(text)


def test_drug_given_twice():
    with pytest.raises(ProtocolError, match="twice"):
        apply_drugs(models.get("hh"), [parse_drug("ttx=1nM"), parse_drug("ttx=2nM")])


def test_ttx_at_ic50_halves_the_sodium_current_under_clamp():
    drugged = apply_drugs(models.get("hh"), [parse_drug(f"ttx={DRUGS['ttx'].ic50}nM")])
    r = analysis.vclamp(drugged, [0.0], hold=HOLD, prepulses=[])
    want = ref.peak_na(HOLD, 0.0, gna=ref.G_NA / 2)
    assert r.peak_currents["Na"][0] == pytest.approx(want, rel=1e-4)


def test_tea_scales_the_steady_potassium_current():
    drugged = apply_drugs(models.get("hh"), [parse_drug("tea=5mM")])
    r = analysis.vclamp(drugged, [20.0], hold=HOLD, dur=30.0, prepulses=[])
    keep = 1 - 5.0 / (5.0 + DRUGS["tea"].ic50)
    end = int(round((r.pre_ms + r.dur_ms) / r.dt_ms))
    _, ik, _ = ref.clamp_currents(HOLD, 20.0, 30.0, gk=ref.G_K * keep)
    assert r.currents["K"][0, end] == pytest.approx(float(ik), rel=1e-5)


def test_pronase_removes_inactivation():
    drugged = apply_drugs(models.get("hh"), [parse_drug("pronase")])
    r = analysis.vclamp(drugged, [0.0], hold=HOLD, dur=30.0, prepulses=[])
    end = int(round((r.pre_ms + r.dur_ms) / r.dt_ms))
    # h stays at 1: I_Na = gNa m(t)^3 (V - ENa) with m relaxing exponentially
    t = r.t_ms[end] - r.pre_ms
    ina, _, _ = ref.clamp_currents(HOLD, 0.0, t, h_held=True)
    assert r.currents["Na"][0, end] == pytest.approx(float(ina), rel=1e-6)
    assert not r.inactivation  # nothing left to inactivate
    # the sodium current is sustained: at the end of the step as large as at its peak
    assert r.currents["Na"][0, end] == pytest.approx(r.peak_currents["Na"][0], rel=1e-6)


def test_ttx_raises_the_rheobase_as_the_reference_with_scaled_gna(monkeypatch):
    conc = 2.0  # nM
    keep = 1 - conc / (conc + DRUGS["ttx"].ic50)
    drugged = apply_drugs(models.get("hh"), [parse_drug(f"ttx={conc}nM")])
    got = analysis.rheobase(drugged).threshold_uA_cm2
    monkeypatch.setattr(ref, "G_NA", 120.0 * keep)
    want = ref.bisect(lambda a: ref.pulse_fires(a, 200.0, 20.0), 2.0, 10.0)
    assert got == pytest.approx(want, rel=1e-3)


def run_cli(capsys, *args):
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_run_accepts_drugs(capsys):
    code, out, err = run_cli(capsys, "run", "--stim", "step(amp=10, start=5, dur=40)", "--t-stop", "50",
                             "--json", "--drug", "ttx=200nM")
    assert code == 0, err
    data = json.loads(out)
    assert "TTX 200 nM" in data["model"] and data["n_spikes"] == 0
    code, out, _ = run_cli(capsys, "run", "--stim", "step(amp=10, start=5, dur=40)", "--t-stop", "50", "--json")
    assert json.loads(out)["n_spikes"] >= 2


def test_drugs_apply_after_set(capsys):
    """--set gNa=60 with TTX at IC50 leaves 30 mS/cm², whatever the option order."""
    a = run_cli(capsys, "run", "--t-stop", "5", "--json", "--set", "gNa=60", "--drug", "ttx=5.1nM")
    b = run_cli(capsys, "run", "--t-stop", "5", "--json", "--set", "gNa=30")
    assert json.loads(a[1])["v_rest_mV"] == pytest.approx(json.loads(b[1])["v_rest_mV"], abs=1e-9)


def test_bad_drug_on_the_command_line(capsys):
    code, out, err = run_cli(capsys, "rheobase", "--drug", "curare=1mM")
    assert code == 2 and out == ""
    assert err.startswith("hhsim: error:") and "unknown drug" in err and len(err.strip().splitlines()) == 1
