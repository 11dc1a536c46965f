"""Variants of the issue's classes, not its examples (issue 24, "the fix must be the class").

Each class is tried with several values a hostile or careless user could give
in the same place: integers beyond any float, steps so small that the step
count overflows, text or ragged lists where numbers are expected, NaN where a
threshold is expected, precisions that mean nothing, durations shorter than a
step.  Every one must be hhsim's own error (one line, naming the value and
what is accepted), raised before any work; on the command line exit 2 and no
traceback.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import hhsim
from hhsim import analysis, stim
from hhsim.errors import HHSimError

from ._harness import assert_one_line_refusal, run_batch

HUGE = 10**400  # an int no float can hold
TINY = 5e-324   # the smallest subnormal: a step count of infinity


def _refused(call, *words):
    with pytest.raises(HHSimError) as info:
        call()
    text = str(info.value)
    assert "\n" not in text and len(text) < 480, text
    for w in words:
        assert w.lower() in text.lower(), text
    return text


# -- integers beyond a float, anywhere a number goes ----------------------------------------
HUGE_CALLS = {
    "simulate t_stop": lambda: hhsim.simulate("hh", t_stop=HUGE),
    "simulate dt": lambda: hhsim.simulate("hh", t_stop=5, dt=HUGE),
    "simulate v_init": lambda: hhsim.simulate("hh", t_stop=5, v_init=HUGE),
    "simulate record_every": lambda: hhsim.simulate("hh", t_stop=5, record_every=10**30),
    "simulate_batch record_every": lambda: hhsim.simulate_batch("hh", {"gNa": [100, 120]}, t_stop=5,
                                                                 record_every=10**30),
    "rheobase dur": lambda: analysis.rheobase("hh", dur=HUGE),
    "rheobase i_max": lambda: analysis.rheobase("hh", dur=10, i_max=HUGE),
    "rheobase rtol": lambda: analysis.rheobase("hh", dur=10, rtol=HUGE),
    "anode_break i_max": lambda: analysis.anode_break("hh", dur=10, i_max=HUGE),
    "fi_curve i_max": lambda: analysis.fi_curve("hh", 0, HUGE, n=3, dur=10),
    "strength_duration durations": lambda: analysis.strength_duration("hh", durations=[1, 2, HUGE]),
    "refractory intervals": lambda: analysis.refractory("hh", intervals=[HUGE]),
    "vclamp steps": lambda: analysis.vclamp("hh", steps=[0, HUGE]),
    "vclamp hold": lambda: analysis.vclamp("hh", steps=[0], hold=HUGE),
    "scan values": lambda: analysis.scan("hh", "gNa", [1, HUGE], "n_spikes", t_stop=10),
    "scan t_stop": lambda: analysis.scan("hh", "gNa", [1, 2], "n_spikes", stimulus=stim.step(10), t_stop=HUGE),
    "drug concentration": lambda: analysis.application("ttx", HUGE),
    "bracket_search hi": lambda: analysis.bracket_search(lambda a, w: a > 1, 0, HUGE),
}


@pytest.mark.parametrize("name", list(HUGE_CALLS))
def test_integers_beyond_a_float_are_refused(name):
    _refused(HUGE_CALLS[name])


# -- a step so small that the number of steps overflows ------------------------------------
TINY_DT = {
    "simulate dopri5": lambda: hhsim.simulate("hh", t_stop=1, dt=TINY),
    "simulate rk4": lambda: hhsim.simulate("hh", t_stop=1, dt=TINY, method="rk4"),
    "simulate 1e-300": lambda: hhsim.simulate("hh", t_stop=1, dt=1e-300, method="euler"),
    "rheobase": lambda: analysis.rheobase("hh", dur=10, method="rk4", dt=TINY),
    "fi_curve": lambda: analysis.fi_curve("hh", 0, 10, n=3, dur=10, dt=TINY),
    "vclamp": lambda: analysis.vclamp("hh", steps=[0], dt=1e-200),
}


@pytest.mark.parametrize("name", list(TINY_DT))
def test_steps_too_small_to_count_are_refused(name):
    _refused(TINY_DT[name], "dt")


# -- text, mappings and ragged lists where numbers are expected ------------------------------
WRONG_SHAPES = {
    "samples text": lambda: stim.samples("abc", [1, 2, 3]),
    "samples text array": lambda: stim.samples(np.arange(3), np.array(["a", "b", "c"])),
    "samples ragged": lambda: stim.samples([0, [1, 2]], [1, 2]),
    "samples huge": lambda: stim.samples([0, 1, HUGE], [1, 2, 3]),
    "from_file int": lambda: stim.from_file(5),
    "from_file None": lambda: stim.from_file(None),
    "noise seed text": lambda: stim.noise(1, seed="x"),
    "noise seed list": lambda: stim.noise(1, seed=[1, 2]),
    "strength_duration text": lambda: analysis.strength_duration("hh", durations="abc"),
    "refractory range text": lambda: analysis.refractory("hh", intervals="1:10:1"),
    "vclamp steps text": lambda: analysis.vclamp("hh", steps="abc"),
    "vclamp prepulses dict": lambda: analysis.vclamp("hh", steps=[0], prepulses={"a": 1}),
    "scan values text": lambda: analysis.scan("hh", "gNa", "abc", "n_spikes", t_stop=10),
    "scan stimulus text": lambda: analysis.scan("hh", "gNa", [1, 2], "n_spikes", stimulus="step(amp=1)",
                                                t_stop=10),
    "scan drugs text": lambda: analysis.scan("hh", "gNa", [1, 2], "n_spikes", stimulus=stim.step(10),
                                             t_stop=10, drugs="ttx"),
    "apply_drugs text": lambda: analysis.apply_drugs(hhsim.models.get("hh"), "ttx"),
    "apply_drugs int": lambda: analysis.apply_drugs(hhsim.models.get("hh"), [5]),
    "application text": lambda: analysis.application("ttx", "x"),
    "application name": lambda: analysis.application(5),
    "parse_drug int": lambda: analysis.parse_drug(5),
    "detect_spikes text": lambda: analysis.detect_spikes("abc", "def"),
    "detect_spikes lengths": lambda: analysis.detect_spikes([0, 1, 2], [0, 1]),
    "detect_spikes 2-D": lambda: analysis.detect_spikes([[0, 1], [2, 3]], [[0, 1], [2, 3]]),
    "detect_spikes backwards": lambda: analysis.detect_spikes([2, 1, 0], [-10, 10, -10]),
    "steady_rate text": lambda: analysis.steady_rate("abc", 0, 1),
    "steady_rate empty window": lambda: analysis.steady_rate([1, 2, 3], 5, 1),
    "ap_features lengths": lambda: analysis.ap_features([0, 1, 2], [0, 1]),
    "ap_features text": lambda: analysis.ap_features("abc", "abc"),
    "fit_boltzmann lengths": lambda: analysis.fit_boltzmann([1, 2], [1]),
    "fit_boltzmann text": lambda: analysis.fit_boltzmann("ab", "cd"),
    "fit_weiss lengths": lambda: analysis.fit_weiss([1, 2], [1]),
    "fit_weiss zero duration": lambda: analysis.fit_weiss([0, 1, 2], [1, 2, 3]),
    "fit_lapicque nan": lambda: analysis.fit_lapicque([1, np.nan, 3], [1, 2, 3]),
    "fit_lapicque negative": lambda: analysis.fit_lapicque([-1, 2, 3], [1, 2, 3]),
    "bracket_search not callable": lambda: analysis.bracket_search(5, 0, 10),
    "bracket_search points": lambda: analysis.bracket_search(lambda a, w: a > 1, 0, 10, points=10**9),
}


@pytest.mark.parametrize("name", list(WRONG_SHAPES))
def test_wrong_types_and_shapes_are_refused(name):
    _refused(WRONG_SHAPES[name])


# -- NaN or infinity where a threshold or a trace value goes: no silent "0 spikes" ---------
SILENT = {
    "detect_spikes threshold nan": lambda: analysis.detect_spikes([0, 1, 2], [-10, 10, -10], threshold=math.nan),
    "detect_spikes threshold inf": lambda: analysis.detect_spikes([0, 1, 2], [-10, 10, -10], threshold=math.inf),
    "detect_spikes threshold text": lambda: analysis.detect_spikes([0, 1, 2], [-10, 10, -10], threshold="x"),
    "detect_spikes nan in v": lambda: analysis.detect_spikes([0, 1, 2, 3], [-10, math.nan, 10, -10]),
    "ap_features threshold inf": lambda: analysis.ap_features([0, 1, 2], [0, 1, 2], threshold=math.inf),
    "ap_features nan in v": lambda: analysis.ap_features([0, 1, 2], [0, math.nan, 2]),
    "steady_rate nan window": lambda: analysis.steady_rate([1, 2, 3], math.nan, 1),
    "steady_rate nan spike": lambda: analysis.steady_rate([1, 2, math.nan], 0, 10),
}


@pytest.mark.parametrize("name", list(SILENT))
def test_nan_thresholds_and_traces_are_refused(name):
    _refused(SILENT[name])


# -- values that make a protocol meaningless, refused before any simulation ---------------
MEANINGLESS = {
    "rheobase rtol 5": (lambda: analysis.rheobase("hh", dur=10, rtol=5), "rtol"),
    "threshold rtol 1": (lambda: analysis.threshold("hh", rtol=1.0), "rtol"),
    "anode_break rtol 2": (lambda: analysis.anode_break("hh", rtol=2), "rtol"),
    "strength_duration rtol": (lambda: analysis.strength_duration("hh", n=3, rtol=1e300), "rtol"),
    "refractory rtol": (lambda: analysis.refractory("hh", rtol=-1), "rtol"),
    "rheobase delay nan": (lambda: analysis.rheobase("hh", dur=10, delay=math.nan), "delay"),
    "rheobase delay negative": (lambda: analysis.rheobase("hh", dur=10, delay=-5), "delay"),
    "threshold tail negative": (lambda: analysis.threshold("hh", tail=-1), "tail"),
    "refractory delay inf": (lambda: analysis.refractory("hh", delay=math.inf), "delay"),
    "threshold pulse 5e-324": (lambda: analysis.threshold("hh", pulse_dur=TINY), "too short"),
    "fi dur below a step": (lambda: analysis.fi_curve("hh", 0, 10, n=3, dur=TINY), "time step"),
    "fi dur 0.001": (lambda: analysis.fi_curve("hh", 0, 10, n=3, dur=0.001), "time step"),
    "vclamp dur below a step": (lambda: analysis.vclamp("hh", steps=[0], dur=TINY), "time step"),
    "vclamp post below a step": (lambda: analysis.vclamp("hh", steps=[0], post=1e-9), "time step"),
    "vclamp rs 5e-324": (lambda: analysis.vclamp("hh", steps=[0], series_resistance=TINY), "--rs"),
    "vclamp rs 1e-9": (lambda: analysis.vclamp("hh", steps=[0], series_resistance=1e-9), "--rs"),
    "noise tau 5e-324": (lambda: stim.noise(1, tau=TINY), "tau"),
    "noise tau 1e-12": (lambda: stim.noise(1, tau=1e-12), "tau"),
    "scan pulse_dur nan": (lambda: analysis.scan("hh", "gNa", [1, 2], "n_spikes", t_stop=10,
                                                 pulse_dur=math.nan), "pulse duration"),
}


@pytest.mark.parametrize("name", list(MEANINGLESS))
def test_meaningless_protocol_settings_are_refused(name):
    call, word = MEANINGLESS[name]
    _refused(call, word)


# -- the same classes on the command line: one line, exit 2, no traceback -------------------
CLI = [
    ["run", "--dt", "5e-324", "--t-stop", "1"],
    ["run", "--dt", "1e-310", "--t-stop", "100", "--method", "rk4"],
    ["run", "--record-every", "99999999999999999999999999999", "--t-stop", "5"],
    ["run", "--record-every", "9223372036854775808", "--t-stop", "5"],
    ["run", "--stim", "noise(std=1, tau=5e-324)", "--t-stop", "5"],
    ["run", "--stim", "noise(std=1, tau=1e-300, dur=10)", "--t-stop", "5"],
    ["fi", "--dt", "5e-324", "--dur", "10", "--n", "3"],
    ["fi", "--dur", "5e-324", "--n", "3"],
    ["fi", "--dur", "0.001", "--n", "3"],
    ["threshold", "--pulse-dur", "5e-324"],
    ["threshold", "--rtol", "1"],
    ["rheobase", "--rtol", "1e300", "--dur", "10"],
    ["anode-break", "--rtol", "2"],
    ["vclamp", "--rs", "5e-324"],
    ["vclamp", "--rs", "1e-12"],
    ["vclamp", "--dur", "5e-324"],
    ["strength-duration", "--dt", "1e-300", "--method", "rk4", "--n", "3"],
]


def test_cli_variants_are_one_line(tmp_path):
    for o in run_batch(CLI, tmp_path, timeout=240):
        assert_one_line_refusal(o)


# -- dynamics: wrong types and values at the API edge, and a trajectory too short to integrate --------
def _hh_field():
    from hhsim import dynamics

    return dynamics.model_field(hhsim.models.get("hh"))


DYNAMICS = {
    "equilibria_at huge": lambda: hhsim.dynamics.equilibria_at("hh", HUGE),
    "equilibria_at text": lambda: hhsim.dynamics.equilibria_at("hh", "x"),
    "equilibria_at list": lambda: hhsim.dynamics.equilibria_at("hh", [1, 2]),
    "equilibria_at 1e300": lambda: hhsim.dynamics.equilibria_at("hh", 1e300),
    "diagram max_steps huge": lambda: hhsim.dynamics.bifurcation_diagram("hh", 0, 20, max_steps=10**12,
                                                                        cycles=False, progress=False),
    "diagram max_steps negative": lambda: hhsim.dynamics.bifurcation_diagram("hh", 0, 20, max_steps=-1,
                                                                            cycles=False, progress=False),
    "diagram fi_points": lambda: hhsim.dynamics.bifurcation_diagram("hh", 0, 20, fi=True, fi_points=10**9,
                                                                   cycles=False, progress=False),
    "diagram cycles text": lambda: hhsim.dynamics.bifurcation_diagram("hh", 0, 20, cycles="yes", progress=False),
    "diagram i_to 1e300": lambda: hhsim.dynamics.bifurcation_diagram("hh", 0, 1e300, cycles=False, progress=False),
    "continue_parameter ds nan": lambda: hhsim.dynamics.continue_parameter("hh", "gNa", 0, 100, ds=math.nan),
    "continue_parameter ds_max": lambda: hhsim.dynamics.continue_parameter("hh", "gNa", 0, 100, ds_max=1e300),
    "continue_parameter ds > ds_max": lambda: hhsim.dynamics.continue_parameter("hh", "gNa", 0, 100, ds=1,
                                                                                ds_max=0.1),
    "phase_plane vars int": lambda: hhsim.dynamics.phase_plane("hh", vars=5),
    "phase_plane start huge": lambda: hhsim.dynamics.phase_plane("hh", starts=[(-65, HUGE)]),
    "phase_plane stimulus text": lambda: hhsim.dynamics.phase_plane("hh", stimulus="step(amp=1)"),
    "phase_plane range short": lambda: hhsim.dynamics.phase_plane("hh", x_range=(0,)),
    "phase_plane range text": lambda: hhsim.dynamics.phase_plane("hh", x_range="ab"),
    "phase_plane range huge": lambda: hhsim.dynamics.phase_plane("hh", y_range=(0, HUGE)),
    "phase_plane t_stop subnormal": lambda: hhsim.dynamics.phase_plane("hh", starts=[(-65, 0.3)], t_stop=TINY),
    "phase_plane stim t_stop subnormal": lambda: hhsim.dynamics.phase_plane("hh", stimulus=stim.step(1),
                                                                           t_stop=1e-300),
    "orbit_at guess int": lambda: hhsim.dynamics.orbit_at(_hh_field(), 10, guess=5),
    "continue_cycles start int": lambda: hhsim.dynamics.continue_cycles(_hh_field(), 5, None, (0, 10)),
}


@pytest.mark.parametrize("name", list(DYNAMICS))
def test_dynamics_edges(name):
    _refused(DYNAMICS[name])


# -- cable: integers beyond a float, unbounded builders, wrong types ----------------------------
CABLE = {
    "cable length huge": lambda: hhsim.cable.cable(HUGE, 476),
    "cable nseg text": lambda: hhsim.cable.cable(1, 476, nseg="x"),
    "cable nseg 1e12": lambda: hhsim.cable.cable(1, 476, nseg=10**12),
    "cable region int": lambda: hhsim.cable.cable(1, 476, region=5),
    "cable name None": lambda: hhsim.cable.cable(1, 476, name=None),
    "myelinated 1e9 nodes": lambda: hhsim.cable.myelinated_axon(10, 10**9),
    "myelinated huge nodes": lambda: hhsim.cable.myelinated_axon(10, HUGE),
    "myelinated internode_nseg": lambda: hhsim.cable.myelinated_axon(10, 5, internode_nseg=10**12),
    "lambda_f nan": lambda: hhsim.cable.lambda_f(1, 1, 1, math.nan),
    "lambda_f negative": lambda: hhsim.cable.lambda_f(1, 1, 1, -5),
    "lambda_f text": lambda: hhsim.cable.lambda_f("a", 1, 1, 1),
    "lambda_f huge": lambda: hhsim.cable.lambda_f(HUGE, 1, 1, 1),
    "point at huge": lambda: hhsim.cable.point(stim.step(1), at=HUGE),
    "point x nan": lambda: hhsim.cable.point(stim.step(1), x=math.nan),
    "point section int": lambda: hhsim.cable.point(stim.step(1), section=5),
    "parse_point int": lambda: hhsim.cable.parse_point(5),
    "parse_swc int": lambda: hhsim.cable.parse_swc(5),
    "read_swc int": lambda: hhsim.cable.read_swc(5),
    "simulate_cable v_init huge": lambda: hhsim.cable.simulate_cable(hhsim.cable.cable(1, 476), "hh", t_stop=5,
                                                                     v_init=HUGE),
    "simulate_cable d_lambda 0": lambda: hhsim.cable.simulate_cable(hhsim.cable.cable(1, 476), "hh", t_stop=5,
                                                                    d_lambda=0),
    "simulate_cable d_lambda nan": lambda: hhsim.cable.simulate_cable(hhsim.cable.cable(1, 476), "hh", t_stop=5,
                                                                      d_lambda=math.nan),
    "simulate_cable record_every": lambda: hhsim.cable.simulate_cable(hhsim.cable.cable(1, 476), "hh", t_stop=5,
                                                                      record_every=10**30),
    "conduction_velocity int": lambda: hhsim.cable.conduction_velocity(5),
    "arrival_time int": lambda: hhsim.cable.arrival_time(5, 0),
    "CableStepper v_init huge": lambda: hhsim.cable.CableStepper(hhsim.cable.cable(1, 476), "hh", v_init=HUGE),
}


@pytest.mark.parametrize("name", list(CABLE))
def test_cable_edges(name):
    _refused(CABLE[name])


# -- batches and models: huge values, the wrong kind of container, a batch too big to build --------
MODELS = {
    "batch params huge": lambda: hhsim.simulate_batch("hh", {"gNa": [100, HUGE]}, t_stop=5),
    "batch params list": lambda: hhsim.simulate_batch("hh", [1, 2], t_stop=5),
    "batch n huge": lambda: hhsim.simulate_batch("hh", n=HUGE, t_stop=5),
    "batch scale text": lambda: hhsim.simulate_batch("hh", scale="abc", t_stop=5, stimulus=stim.step(1)),
    "batch scale huge": lambda: hhsim.simulate_batch("hh", scale=[1, HUGE], t_stop=5, stimulus=stim.step(1)),
    "batch record int": lambda: hhsim.simulate_batch("hh", t_stop=5, record=5),
    "batch stimulus list of int": lambda: hhsim.simulate_batch("hh", t_stop=5, stimulus=[5], n=2),
    "with_params huge": lambda: hhsim.models.get("hh").with_params({"gNa": HUGE}),
    "with_params temperature huge": lambda: hhsim.models.get("hh").with_params({"temperature": HUGE}),
    "with_params text": lambda: hhsim.models.get("hh").with_params("gNa=5"),
    "spike_threshold 1e300": lambda: hhsim.models.get("hh").with_params({"spike_threshold": 1e300}),
    "spike_threshold -5000": lambda: hhsim.models.get("hh").with_params({"spike_threshold": -5000}),
    "Cm 1e300": lambda: hhsim.models.get("hh").with_params({"Cm": 1e300}),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_batch_and_model_edges(name):
    _refused(MODELS[name])


def test_a_batch_of_values_beyond_the_budget_is_refused_before_building_it(monkeypatch):
    import time

    monkeypatch.setenv("HHSIM_MAX_MEMORY", "100M")  # n= was checked against it, arrays of values were not
    start = time.monotonic()
    _refused(lambda: hhsim.simulate_batch("hh", {"gNa": np.linspace(50, 150, 10**6)}, t_stop=5), "GB")
    assert time.monotonic() - start < 10  # it built one model per value first (minutes for 10**7)


# -- channel and cell files ----------------------------------------------------------------------
_GATE = 'name = "K2"\ngbar = 1.0\nE = -80.0\n[[gates]]\nname = "{g}"\npower = 1\ninf = "{inf}"\ntau = "1 + 0*V"\n'
_OK = _GATE.format(g="n", inf="0.5 + 0*V")


def _hh_cell(old: str = "", new: str = "", extra: str = "") -> str:
    """hh's own cell file with ``old`` replaced by ``new`` and ``extra`` appended."""
    from hhsim.cells.file import describe_cell

    text = describe_cell(hhsim.models.get("hh"))
    assert old in text
    return text.replace(old, new, 1) + extra


FILE_CASES = {
    "channel E inf": ("channel", _OK.replace("E = -80.0", "E = inf")),
    "channel E 1e300": ("channel", _OK.replace("E = -80.0", "E = 1e300")),
    "channel E huge int": ("channel", _OK.replace("E = -80.0", "E = " + "9" * 400)),
    "channel x_inf 2": ("channel", _GATE.format(g="n", inf="2 + 0*V")),
    "channel x_inf -1": ("channel", _GATE.format(g="n", inf="-1 + 0*V")),
    "gate named V": ("channel", _GATE.format(g="V", inf="0.5 + 0*V")),
    "gate named v": ("channel", _GATE.format(g="v", inf="0.5 + 0*V")),
    "cell without channels": ("cell", 'name = "empty"\n[membrane]\nC_m = 1.0\n'),
    "empty cell file": ("cell", ""),
    "cell initial gate 5": ("cell", lambda: _hh_cell(extra="\n[initial_states]\nm = 5\n")),
    "cell initial gate -0.5": ("cell", lambda: _hh_cell(extra="\n[initial_states]\nh = -0.5\n")),
    "cell threshold 1e300": ("cell", lambda: _hh_cell("spike_threshold = 0.0", "spike_threshold = 1e300")),
    "cell threshold -2000": ("cell", lambda: _hh_cell("spike_threshold = 0.0", "spike_threshold = -2000")),
    "cell Cm 1e300": ("cell", lambda: _hh_cell("C_m = 1.0", "C_m = 1e300")),
}


def test_channel_and_cell_files(tmp_path):
    cases = []
    for k, (kind, text) in enumerate(FILE_CASES.values()):
        path = tmp_path / f"{kind}{k}.toml"
        path.write_text(text() if callable(text) else text)
        cases.append(["run", "--channel" if kind == "channel" else "--model", str(path), "--t-stop", "5"])
        if kind == "channel":
            cases.append(["channels", "--file", str(path)])  # the checker refuses what a run refuses
    for o in run_batch(cases, tmp_path, timeout=240):
        assert_one_line_refusal(o)


# -- fits and sweeps: their API edges -----------------------------------------------------------
def _sweep_of(**kw):
    from hhsim import fit

    args = {"name": "s", "clamp": "current", "t_ms": [0, 1, 2], "values": [1, 2, 3], "stimulus": stim.step(1),
            "source": "x"}
    args.update(kw)
    return lambda: fit.make_sweep(**args)


FITS_AND_SWEEPS = {
    "make_sweep times text": _sweep_of(t_ms="abc"),
    "make_sweep times huge": _sweep_of(t_ms=[0, 1, HUGE]),
    "make_sweep values ragged": _sweep_of(values=[1, [2, 3]]),
    "make_sweep clamp unknown": _sweep_of(clamp="nosuch"),
    "make_sweep stimulus text": _sweep_of(stimulus="step(amp=1)"),
    "make_sweep name int": _sweep_of(name=5),
    "parse_stimulus int": lambda: __import__("hhsim.fit", fromlist=["x"]).parse_stimulus(5),
    "read_recording int": lambda: __import__("hhsim.fit", fromlist=["x"]).read_recording(5),
    "read_recording area text": lambda: __import__("hhsim.fit", fromlist=["x"]).read_recording("x.csv", area_um2="x"),
    "sweep params list": lambda: hhsim.sweep.sweep("hh", [1, 2], "n_spikes", workers=0),
    "sweep params huge": lambda: hhsim.sweep.sweep("hh", {"gNa": [1, HUGE]}, "n_spikes", workers=0),
    "sweep measure int": lambda: hhsim.sweep.sweep("hh", {"gNa": [1, 2]}, 5, workers=0),
    "sweep t_stop huge": lambda: hhsim.sweep.sweep("hh", {"gNa": [1, 2]}, "n_spikes", t_stop=HUGE, workers=0),
    "sweep stimulus text": lambda: hhsim.sweep.sweep("hh", {"gNa": [1, 2]}, "n_spikes", stimulus="step(amp=1)",
                                                     workers=0),
    "sweep store int": lambda: hhsim.sweep.sweep("hh", {"gNa": [1, 2]}, "n_spikes", store=5, workers=0),
    "sweep samples text": lambda: hhsim.sweep.sweep("hh", {"gNa": (1, 2)}, "n_spikes", samples="x", grid=False,
                                                    workers=0),
}


@pytest.mark.parametrize("name", list(FITS_AND_SWEEPS))
def test_fit_and_sweep_edges(name):
    _refused(FITS_AND_SWEEPS[name])


def test_rates_axis_beyond_any_membrane_is_one_line(tmp_path):
    cases = [["rates", "--vmin", "-1e300", "--vmax", "1e300"], ["rates", "--vmin", "-5000", "--vmax", "0"]]
    for o in run_batch(cases, tmp_path, timeout=120):
        assert_one_line_refusal(o, contains=("1000",))


def test_cli_sweep_axis_too_long_is_one_line(tmp_path):
    cases = [["sweep", "--param", "gNa=1:2:99999999999999999999", "--measure", "n_spikes", "--workers", "0"],
             ["sweep", "--param", "gNa=1:2:1e300", "--measure", "n_spikes", "--workers", "0"]]
    for o in run_batch(cases, tmp_path, timeout=120):
        assert_one_line_refusal(o, contains=("too many",))


def test_a_spike_threshold_at_or_below_rest_is_one_line(tmp_path):
    """The class of 'threshold = nan gives 0 spikes': a threshold the membrane sits above at rest is
    never crossed upwards, so a firing cell reported 0 spikes (``fi`` a curve of zeros) without a word."""
    from hhsim.cells.file import describe_cell

    (tmp_path / "low.toml").write_text(describe_cell(hhsim.models.get("hh")).replace(
        "spike_threshold = 0.0", "spike_threshold = -80"))
    cases = [["run", "--set", "spike_threshold=-100", "--stim", "step(amp=10, start=5, dur=20)", "--t-stop", "30"],
             ["run", "--set", "spike_threshold=-70", "--t-stop", "5"],  # between the AHP and rest
             ["fi", "--set", "spike_threshold=-100", "--n", "3", "--dur", "50"],
             ["run", "--model", "hh1952", "--set", "spike_threshold=-1", "--t-stop", "5"],
             ["run", "--model", str(tmp_path / "low.toml"), "--t-stop", "5"],
             ["scan", "--param", "spike_threshold=-100:0:5", "--measure", "n_spikes"]]  # -75 counted 1 of 7
    for o in run_batch(cases, tmp_path, timeout=120):
        assert_one_line_refusal(o, contains=("resting potential",))


def test_a_sine_faster_than_the_grid_is_one_line(tmp_path):
    """A sine above half the sampling rate of the time grid reached the kernels aliased (a current never
    asked for) without a word; beyond a megahertz it is refused for every solver, lsoda included."""
    cases = [["run", "--stim", "sine(amp=1, freq=1e15)", "--t-stop", "5", "--method", "rk4", "--dt", "0.01"],
             ["run", "--stim", "sine(amp=1, freq=21000)", "--t-stop", "5"],  # dopri5's 0.025 ms grid
             ["run", "--stim", "sine(amp=1, freq=60000)", "--t-stop", "5", "--method", "expeuler", "--dt", "0.01"],
             ["run", "--stim", "sine(amp=1, freq=1e300)", "--t-stop", "5", "--method", "lsoda"],
             ["run", "--stim", "step(amp=1)", "--stim", "sine(amp=1, freq=1e5)", "--t-stop", "5"],
             ["fi", "--n", "3", "--dur", "20"]]  # no sine: runs
    outcomes = run_batch(cases, tmp_path, timeout=180)
    for o in outcomes[:-1]:
        assert_one_line_refusal(o, contains=("Hz",))
    assert outcomes[-1].code == 0, outcomes[-1].explain()
    with pytest.raises(HHSimError, match="Hz"):
        hhsim.simulate_batch("hh", n=2, stimulus=stim.sine(1, freq=30000), t_stop=5)
    ok = hhsim.simulate("hh", stim.sine(1, freq=19000), t_stop=2)  # two samples a period: accepted
    assert ok.t[-1] == pytest.approx(2.0)


# -- output paths of the wrong type, and a batch's neuron index ---------------------------------
def _rheobase():
    return analysis.rheobase("hh", dur=5)


OUTPUTS = {
    "Result.plot int": lambda: hhsim.simulate("hh", t_stop=2).plot(5),
    "Result.plot list": lambda: hhsim.simulate("hh", t_stop=2).plot(["a.png"]),
    "Result.save bytes": lambda: hhsim.simulate("hh", t_stop=2).save(b"x.csv"),
    "protocol plot int": lambda: _rheobase().plot(5),
    "phase plane plot float": lambda: hhsim.dynamics.phase_plane("hh").plot(1.5),
    "cable save int": lambda: hhsim.cable.simulate_cable(hhsim.cable.cable(1000, 10), "hh", t_stop=2).save(5),
    "batch result 5": lambda: hhsim.simulate_batch("hh", n=2, t_stop=2, record="all").result(5),
    "batch result text": lambda: hhsim.simulate_batch("hh", n=2, t_stop=2, record="all").result("0"),
    "batch result huge": lambda: hhsim.simulate_batch("hh", n=2, t_stop=2, record="all").result(HUGE),
    "batch result None": lambda: hhsim.simulate_batch("hh", n=2, t_stop=2, record="all").result(None),
}


@pytest.mark.parametrize("name", list(OUTPUTS))
def test_output_paths_and_indices(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _refused(OUTPUTS[name])
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_a_cable_without_a_spike_reports_no_spike_width():
    """A subthreshold bump was reported as a 'spike width' beside 'propagated no'."""
    from hhsim.cable import cable, parse_point, simulate_cable, spike_width

    r = simulate_cable(cable(10_000, 476), "hh", parse_point("pulses(amp=1, dur=0.1)"), t_stop=10)
    assert not r.propagated
    assert math.isnan(spike_width(r, 5_000.0))
    assert r.summary().get("spike_width_ms") is None


def test_a_waveform_of_a_million_samples_is_not_quadratic():
    """Every sample of a waveform is a knot of the adaptive solver; each was compared with every grid
    point in Python (10**7 samples over 5 ms ran for minutes)."""
    import time

    n = 10**6
    start = time.monotonic()
    r = hhsim.simulate("hh", stim.samples(np.arange(n) * 1e-5, np.zeros(n)), t_stop=5)
    assert r.t[-1] == pytest.approx(5.0) and time.monotonic() - start < 30


def test_huge_counts_are_shown_short_in_messages():
    import re

    text = _refused(lambda: hhsim.simulate("hh", stim.pulses(1, 1, period=2, count=10**30), t_stop=5))
    assert not re.search(r"\d{16}", text), text


@pytest.mark.parametrize("call", [
    lambda: hhsim.simulate("hh", t_stop=2, v_init=5000),
    lambda: hhsim.simulate("hh", t_stop=2, v_init=-1e4),
    lambda: hhsim.simulate("hh", t_stop=2, initial_state={"v": 5000}),
    lambda: hhsim.models.get("hh").with_params({"EL": -54.4}).__class__(
        name="x", channels=hhsim.models.get("hh").channels, v_init=2000.0),
    lambda: hhsim.cable.simulate_cable(hhsim.cable.cable(100, 2), "hh", t_stop=1, v_init=5000),
    lambda: hhsim.cable.CableStepper(hhsim.cable.cable(100, 2), "hh", v_init=-5000),
])
def test_a_start_beyond_any_membrane_potential_is_refused(call):
    """v_init = 5000 mV ran and reported a 'peak' of 5000 mV; the model's potentials are refused beyond
    +-1000 mV, so is its start."""
    _refused(call, "1000")
