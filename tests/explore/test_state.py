"""The explorer's framework-free layer: state -> traces, code, sessions, bounds (no browser)."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

import numpy as np
import pytest

from hhsim.errors import HHSimError
from hhsim.explore.experiments import clamp_family, propagation
from hhsim.explore.limits import MAX_T_STOP_MS, LimitError
from hhsim.explore.state import (
    ExplorerState, SessionError, StimulusPart, compute, next_peak, parameter_groups, rate_curves, read_at,
    traces_csv, traces_png,
)
from helpers.cli import cli_error, run_cli

STATES = [
    ExplorerState(),
    ExplorerState(params=(("gNa", 84.0),)),
    ExplorerState(temperature=18.5, stimuli=(StimulusPart.make("pulses", amp=20.0, start=5.0, dur=0.5,
                                                              period=8.0, count=6),), t_stop=60.0),
    ExplorerState(drugs=("tea=0.4mM",), stimuli=(StimulusPart.make("ramp", start=5.0, dur=60.0, amp0=0.0,
                                                                   amp1=20.0),), t_stop=80.0),
    ExplorerState(model="wang_buzsaki", stimuli=(StimulusPart.make("sine", amp=1.0, freq=20.0, start=0.0,
                                                                   dur=100.0, offset=1.0),
                                                 StimulusPart.make("noise", mean=0.5, std=1.0, tau=2.0,
                                                                   seed=3, start=0.0, dur=100.0))),
]


def _cli_json(capsys, command: str) -> dict:
    words = shlex.split(command)
    assert words[:2] == ["hhsim", "run"]
    code, out, err = run_cli(capsys, *words[1:], "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("state", STATES, ids=lambda s: s.model + "-" + s.stimuli[0].kind)
def test_cli_command_reproduces_the_view(capsys, state):
    """The command the page shows gives the same spikes, to the last digit, through the CLI parser."""
    tr = compute(state)
    s = _cli_json(capsys, state.cli_command())
    assert s["n_spikes"] == tr.n_spikes
    assert s["spike_times_ms"] == pytest.approx(list(tr.spike_times), abs=1e-9)
    assert s["v_max_mV"] == float(np.max(tr.result.v))


def test_python_snippet_reproduces_the_view():
    """The Python snippet, run in a fresh interpreter, prints the same spike times."""
    state = STATES[3].with_param("gK", 30.5)
    tr = compute(state)
    out = subprocess.run([sys.executable, "-c", state.python_snippet()], capture_output=True, text=True,
                         check=True, timeout=120).stdout.strip().splitlines()[-1]
    n, _, times = out.partition(" ")
    assert int(n) == tr.n_spikes
    got = [float(x) for x in times.strip("[]").replace("np.float64(", "").replace(")", "").split(",") if x.strip()]
    assert got == pytest.approx(list(tr.spike_times), abs=1e-12)


def test_gna_changes_spike_count_and_ttx_removes_spikes():
    base = compute(ExplorerState())
    assert base.n_spikes == 2  # 10 µA/cm² for 30 ms on the squid axon: two spikes
    assert compute(ExplorerState(params=(("gNa", 60.0),))).n_spikes < base.n_spikes
    # TTX at 1000 x IC50 (5.1 nM) leaves 0.1 % of gNa: no spike, V stays within a few mV of its passive response
    blocked = compute(ExplorerState(drugs=("ttx=5100nM",)))
    assert blocked.n_spikes == 0
    assert blocked.result.v.max() < -50


def test_bad_values_give_the_command_lines_message(capsys):
    """Same validation as the CLI: the page shows the line `hhsim run` prints."""
    for state, args in [
        (ExplorerState(params=(("gNa", -5.0),)), ["--set", "gNa=-5"]),
        (ExplorerState(params=(("gNax", 1.0),)), ["--set", "gNax=1"]),
        (ExplorerState(drugs=("ttx=-3nM",)), ["--drug", "ttx=-3nM"]),
        (ExplorerState(stimuli=(StimulusPart.make("step", amp=1.0, start=0.0, dur=-2.0),)),
         ["--stim", "step(amp=1.0, start=0.0, dur=-2.0)"]),
        (ExplorerState(model="nope"), ["--model", "nope"]),
    ]:
        with pytest.raises(HHSimError) as exc:
            compute(state)
        _, line = cli_error(capsys, "run", *args)
        assert line == "hhsim: error: " + " ".join(str(exc.value).split())


def test_requests_are_bounded():
    with pytest.raises(LimitError, match="limit of 5000 ms"):
        compute(ExplorerState(t_stop=2 * MAX_T_STOP_MS))
    with pytest.raises(LimitError, match="steps"):
        compute(ExplorerState(t_stop=4000.0, method="euler", dt=0.001))
    with pytest.raises(LimitError, match="clamp steps"):
        clamp_family(ExplorerState(), v_from=-100, v_to=100, v_step=1)
    with pytest.raises(LimitError, match="compartments"):
        propagation(ExplorerState(), length_cm=100.0, t_stop=1.0)
    with pytest.raises(LimitError, match="stimuli"):
        ExplorerState(stimuli=DEFAULT_MANY).stimulus()
    from hhsim.explore.experiments import bifurcation_data, network_raster

    with pytest.raises(LimitError, match="limit of 1000 ms"):
        network_raster("chain", t_stop=5000.0)
    with pytest.raises(LimitError, match="current span"):
        bifurcation_data(ExplorerState(), i_from=0.0, i_to=1000.0)


DEFAULT_MANY = tuple(StimulusPart.make("step", amp=0.1, start=float(k), dur=1.0) for k in range(9))


def test_session_round_trip(tmp_path):
    state = STATES[2].with_param("Na.m.alpha.V0", -41.5)
    path = state.save(tmp_path / "s.json")
    assert ExplorerState.load(path) == state
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**state.to_dict(), "colour": "red"}))
    with pytest.raises(SessionError, match="unknown session key 'colour'"):
        ExplorerState.load(bad)
    bad.write_text("{not json")
    with pytest.raises(SessionError, match="not valid JSON"):
        ExplorerState.load(bad)


def test_rate_curves_follow_edits_and_temperature():
    """hh's alpha_m against the 1952 formula, x_inf = a/(a+b), tau = 1/(a+b), and the Q10 of 3."""
    v = np.array([-80.0, -40.0 + 1e-9, -20.0, 10.0])
    c = rate_curves(ExplorerState().build_model(), v)["Na.m"]
    x = v + 40.0
    alpha = 0.1 * x / -np.expm1(-x / 10.0)  # expm1: exact near the removable singularity at -40 mV
    beta = 4.0 * np.exp(-(v + 65.0) / 18.0)
    assert c["alpha"] == pytest.approx(alpha, rel=1e-9)
    assert c["inf"] == pytest.approx(alpha / (alpha + beta), rel=1e-9)
    assert c["tau"] == pytest.approx(1.0 / (alpha + beta), rel=1e-9)
    warm = rate_curves(ExplorerState(temperature=16.3).build_model(), v)["Na.m"]
    assert warm["alpha"] == pytest.approx(3.0 * alpha, rel=1e-9)
    shifted = rate_curves(ExplorerState(params=(("Na.m.alpha.V0", -30.0),)).build_model(), v)["Na.m"]
    assert shifted["alpha"] == pytest.approx(0.1 * (v + 30) / -np.expm1(-(v + 30) / 10), rel=1e-9)


def test_every_preset_has_grouped_parameters_and_rates():
    import hhsim

    for name in hhsim.models.names():
        model = hhsim.models.get(name)
        groups = dict(parameter_groups(model))
        names = [p.name for ps in groups.values() for p in ps]
        assert sorted(names) == sorted(model.params())  # every parameter, exactly once
        assert all(f"g{c.name}" in [p.name for p in groups[c.name]] or f"p{c.name}" in [p.name for p in groups[c.name]]
                   for c in model.channels)
        curves = rate_curves(model)
        assert len(curves) == model.n_gates
        xs = model.gate_steady_states(curves[next(iter(curves))]["v"])
        for (ch, g), x in xs.items():  # x_inf as the model itself computes it
            assert curves[f"{ch}.{g}"]["inf"] == pytest.approx(np.broadcast_to(x, curves[f"{ch}.{g}"]["v"].shape))


def test_cursor_and_peaks():
    tr = compute(ExplorerState())
    r = tr.result
    for s in tr.spike_times:
        window = (r.t >= s) & (r.t < s + 3.0)
        assert tr.peak_v[np.argmin(abs(tr.peak_t - s))] == r.v[window].max()
    t1 = next_peak(tr, 0.0)
    assert t1 == tr.peak_t[0] and next_peak(tr, t1) == tr.peak_t[1] and next_peak(tr, tr.peak_t[-1]) == t1
    vals = read_at(tr, 12.3)
    j = int(np.argmin(abs(r.t - 12.3)))
    assert vals["v_mV"] == r.v[j] and vals["m"] == r.states["m"][j]
    # the readout's currents agree with the gates: I_Na = gNa m^3 h (V - ENa)
    assert vals["i_Na_uA_cm2"] == pytest.approx(120 * vals["m"] ** 3 * vals["h"] * (vals["v_mV"] - 50), rel=1e-12)


def test_exports():
    tr = compute(ExplorerState())
    csv = traces_csv(tr).splitlines()
    assert csv[0].startswith("t_ms,v_mV") and len(csv) == len(tr.result.t) + 1
    assert traces_png(tr)[:8] == b"\x89PNG\r\n\x1a\n"


def test_clamp_family_steady_state_is_the_model_iv():
    """The last sample of each 30 ms step is the steady-state I-V of the model (computed from x_inf)."""
    state = ExplorerState()
    c = clamp_family(state, v_from=-90, v_to=30, v_step=20, dur=60)
    model = state.build_model()
    t = c["t_ms"]
    end = np.searchsorted(t, 5.0 + 60.0) - 1  # last sample inside the step (5 ms before it)
    ss = model.steady_state_current(c["steps_mV"])
    assert c["i_total_uA_cm2"][:, end] == pytest.approx(ss, rel=2e-3, abs=0.05)


@pytest.mark.slow
def test_propagation_velocity_near_the_travelling_wave():
    """The 2 cm squid axon at 6.3 °C: within 2 % of the converged HH wave speed, 12.314 m/s
    (README; tests/cable measure it by shooting)."""
    d = propagation(ExplorerState(), length_cm=2.0, t_stop=6.0)
    assert d["propagated"]
    assert d["velocity_m_s"] == pytest.approx(12.314, rel=0.02)


LEAK_K_TOML = """
name = "KX"
gbar = 2.0
E = -90.0
ion = "k"
[[gates]]
name = "w"
power = 1
inf = "1/(1 + exp(-(V + 50)/8))"
tau = "20"
"""


def test_custom_channel_from_toml(capsys, tmp_path):
    """A channel file joins the model: its parameters get their own group, the rates follow,
    and the shown command (with --channel) reproduces the view."""
    path = tmp_path / "kx.toml"
    path.write_text(LEAK_K_TOML)
    state = ExplorerState(channel_files=(str(path),), params=(("gKX", 4.0),))
    groups = dict(parameter_groups(state.base_model()))
    assert [p.name for p in groups["KX"]][:2] == ["gKX", "EKX"]
    v = np.array([-70.0, -50.0, -30.0])
    c = rate_curves(state.build_model(), v)["KX.w"]
    assert c["inf"] == pytest.approx(1 / (1 + np.exp(-(v + 50) / 8)), rel=1e-12)
    assert c["tau"] == pytest.approx([20.0] * 3)
    tr = compute(state)
    s = _cli_json(capsys, state.cli_command())
    assert "--channel" in state.cli_command() and s["spike_times_ms"] == pytest.approx(list(tr.spike_times), abs=1e-9)
    assert tr.n_spikes < compute(ExplorerState()).n_spikes  # an extra K conductance delays or removes spikes


def test_background_job_reports_and_cancels():
    """The worker returns results and one-line errors, and a cancelled job's process is gone at once."""
    import time

    from hhsim.explore.experiments import run_protocol
    from hhsim.explore.jobs import BackgroundJob, Task

    job = BackgroundJob([Task("threshold", run_protocol, (ExplorerState(), "threshold")),
                         Task("bad", run_protocol, (ExplorerState(params=(("gNa", -1.0),)), "threshold"))]).start()
    events = job.wait(timeout=120)
    kinds = [e[0] for e in events]
    assert kinds.count("result") == 1 and kinds.count("error") == 1 and job.state == "finished"
    error = next(e for e in events if e[0] == "error")[3]
    assert error.startswith("gNa must be a conductance >= 0") and "\n" not in error
    slow = BackgroundJob([Task("sleep", time.sleep, (60,))]).start()
    time.sleep(0.5)
    t0 = time.monotonic()
    slow.cancel()
    assert slow.state == "cancelled" and not slow._proc.is_alive() and time.monotonic() - t0 < 5
