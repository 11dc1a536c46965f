"""Class 2 (the issue's section 4): no tracebacks.

Every case of the issue, and the variations of each class we tried, runs in
one child process under a time and address-space limit; each must exit 2
with one line on stderr, no traceback and no file left behind.  The Python
API raises hhsim's own errors for wrong types.
"""

from __future__ import annotations

import pytest

import hhsim
from hhsim.cable.swc import SWCError, parse_swc
from hhsim.channels.spec import load_channel

from ._harness import assert_one_line_refusal, run_batch
from ._inputs import channel, write_all

CASES = {
    # input files
    ("run", "--stim", "file(path=bigfield.csv)", "--t-stop", "5"): "stimulus file",
    ("run", "--channel", "bigint.toml", "--t-stop", "5"): "out of range",
    ("run", "--channel", "power_str.toml", "--t-stop", "5"): "power must be a number",
    ("run", "--channel", "q10.toml", "--t-stop", "5"): "q10",
    ("run", "--channel", "deep.toml", "--t-stop", "5"): "nested too deeply",
    ("cable", "--swc", "radius.swc", "--t-stop", "1", "--quiet"): "radius",
    # numbers at the edge of double precision
    ("run", "--dt", "1e308", "--t-stop", "1e308"): "",
    ("run", "--dt", "1e308", "--t-stop", "1e308", "--method", "rk4"): "",
    ("run", "--dt", "1e-300", "--t-stop", "10", "--method", "rk4"): "steps",
    ("threshold", "--pulse-dur", "1e-300"): "too short",
    ("rheobase", "--dur", "1e-300"): "",
    ("strength-duration", "--d-min", "1e-300", "--d-max", "1"): "",
    ("refractory", "--pulse-dur", "1e-300"): "too short",
    ("cable", "--diam", "1e-300", "--t-stop", "1", "--quiet"): "diameter",
    ("cable", "--diam", "1e300", "--t-stop", "1", "--quiet"): "diameter",
    ("cable", "--length", "1e-300", "--t-stop", "1", "--quiet"): "length",
    ("vclamp", "--steps", "0:1e300:1e-300"): "values",
    ("vclamp", "--prepulses", "-1e308:1e308:1e-308"): "values",
    ("refractory", "--intervals", "1:1e300:1e-300"): "values",
    ("scan", "--param", "gNa=60:120:1e300", "--measure", "n_spikes"): "at most",
    ("vclamp", "--rs", "1e5"): "--rs",
    ("run", "--v-init", "nan", "--method", "lsoda"): "v_init must be finite",
    ("run", "--v-init", "1e308", "--method", "rk4"): "",
    # the environment: names, directories
    ("run", "--out", "a" * 300 + ".csv", "--t-stop", "5"): "too long",
    ("run", "--plot", "b" * 250 + ".pdf", "--t-stop", "5"): "too long",
    ("demo", "--outdir", "/proc/nope"): "cannot create",
    ("run", "--out", "/proc/nope/x.csv", "--t-stop", "5"): "does not exist",
}


def test_cli_cases_are_one_line_refusals(tmp_path):
    write_all(tmp_path)
    outcomes = run_batch([list(c) for c in CASES], tmp_path, timeout=300)
    for o in outcomes:
        assert_one_line_refusal(o, contains=(CASES[tuple(o.argv)],) if CASES[tuple(o.argv)] else ())


def test_full_disk_pdf_is_one_line_and_leaves_nothing(tmp_path):
    """A file-size limit of 4 kB stands for a full disk: the figure cannot be written."""
    cases = [["run", "--t-stop", "20", "--plot", "fig.pdf"], ["run", "--t-stop", "20", "--out", "trace.csv"],
             ["run", "--t-stop", "20", "--out", "trace.npz"]]
    for o in run_batch(cases, tmp_path, fsize=4096, timeout=300):
        line = assert_one_line_refusal(o, contains=("cannot write",))
        assert "File too large" in line or "No space" in line, line


@pytest.mark.parametrize("call, error", [
    (lambda: hhsim.simulate("hh", "step(amp=1)", t_stop=10), hhsim.StimulusError),
    (lambda: hhsim.simulate("hh", [hhsim.stim.step(1), "x"], t_stop=10), hhsim.StimulusError),
    (lambda: hhsim.simulate("hh", None, t_stop=10, v_init="-60"), hhsim.ParameterError),
    (lambda: hhsim.simulate("hh", None, t_stop=10, rtol="1e-6"), hhsim.SolverError),
    (lambda: hhsim.simulate("hh", None, t_stop=10, atol=[1e-6]), hhsim.SolverError),
    (lambda: hhsim.simulate("hh", None, t_stop="ten"), hhsim.SolverError),
    (lambda: hhsim.simulate("hh", None, t_stop=10, record_every=True), hhsim.SolverError),
    (lambda: hhsim.simulate("hh", None, t_stop=10, initial_state=[1, 2]), hhsim.ParameterError),
    (lambda: hhsim.models.get("hh").with_params({5: 1}), hhsim.ParameterError),
    (lambda: hhsim.models.get("hh").with_params({"gNa": "lots"}), hhsim.ParameterError),
    (lambda: hhsim.models.get("hh").with_channels(5), hhsim.ModelError),
    (lambda: hhsim.simulate("hh", None, t_stop=1, initial_state={"m": "x"}), hhsim.ParameterError),
    (lambda: hhsim.simulate("hh", None, t_stop=1, initial_state={"v": float("inf")}), hhsim.ParameterError),
    (lambda: hhsim.stim.step("x"), hhsim.StimulusError),
    (lambda: hhsim.stim.pulses(1, 1, count=None), hhsim.StimulusError),
    (lambda: hhsim.stim.sine(1, freq=[50]), hhsim.StimulusError),
])
def test_api_wrong_types_raise_hhsim_errors(call, error):
    with pytest.raises(error) as exc:
        call()
    assert "\n" not in str(exc.value)


def test_api_files_raise_hhsim_errors(tmp_path):
    write_all(tmp_path)
    for name in ("power_str.toml", "q10.toml", "bigint.toml", "deep.toml"):
        with pytest.raises(hhsim.ModelError):
            load_channel(tmp_path / name)
    with pytest.raises(SWCError, match="radius"):
        parse_swc((tmp_path / "radius.swc").read_text())
    (tmp_path / "g17.toml").write_text(channel(n_gates=17, power="1"))
    with pytest.raises(hhsim.ModelError, match="too large"):
        load_channel(tmp_path / "g17.toml")
