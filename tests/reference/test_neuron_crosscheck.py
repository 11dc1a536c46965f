"""Cross-check of hhsim's ``hh`` preset against NEURON's built-in ``hh`` mechanism.

Set-up (see PROVENANCE.md in this directory): one NEURON section, nseg 1,
L = diam chosen so that the area is 1e-4 cm², Cm 1 µF/cm², the built-in
``hh`` mechanism with EL -54.387 mV (ENa 50, EK -77 mV, gNa 120, gK 36,
gL 0.3 mS/cm²), 6.3 °C, rate tables off (``usetable_hh = 0``, so the rates
are computed exactly instead of interpolated from a 1 mV table), and
second-order (Crank-Nicolson) fixed steps (``secondorder = 2``).  An IClamp of
I_nA = 10 µA/cm² * area (cm²) * 1e3 = 1 nA is on from t = 0; the cell starts
at hhsim's resting potential with the gates at steady state.

Spike times are the upward 0 mV crossings of v recorded at every step,
linearly interpolated (NEURON's NetCon reports fixed-step crossings
quantised to the time step, which would dominate the comparison).

NEURON's own discretisation error is estimated by running it at dt and dt/2;
hhsim must agree with the dt/2 run to within 3 times the dt-vs-dt/2
difference, or 1e-3 ms, whichever is larger.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import hhsim

neuron = pytest.importorskip("neuron")

pytestmark = pytest.mark.neuron

I_STIM = 10.0  # µA/cm², on from t = 0
T_STOP = 100.0  # ms
DT = 0.0025  # ms, NEURON's coarser step; the finer one is DT / 2
AREA_CM2 = 1e-4  # section area
SAFETY = 3.0  # times NEURON's estimated discretisation error
FLOOR_MS = 1e-3  # smallest tolerance on spike times (ms)


def upward_crossings(t: np.ndarray, v: np.ndarray, threshold: float = 0.0) -> np.ndarray:
    """Times (ms) where v crosses ``threshold`` upwards, by linear interpolation."""
    i = np.nonzero((v[:-1] < threshold) & (v[1:] >= threshold))[0]
    return t[i] + (threshold - v[i]) * (t[i + 1] - t[i]) / (v[i + 1] - v[i])


@pytest.fixture(scope="module")
def hhsim_run():
    """hhsim at its defaults (rk4, dt 0.025 ms)."""
    return hhsim.simulate("hh", hhsim.stim.step(I_STIM), t_stop=T_STOP)


@pytest.fixture(scope="module")
def neuron_runs(hhsim_run):
    """NEURON runs: {"dt": spikes, "dt/2": spikes, "rest": v trace without current}.

    NEURON's globals touched here are restored afterwards.
    """
    h = neuron.h
    h.load_file("stdrun.hoc")
    saved = {name: getattr(h, name) for name in ("celsius", "dt", "secondorder", "usetable_hh")}
    saved_cvode = h.cvode.active()
    v_rest = hhsim_run.v_rest
    try:
        h.celsius = 6.3
        h.usetable_hh = 0
        h.secondorder = 2
        h.cvode.active(0)

        sec = h.Section(name="hhsim_crosscheck")
        sec.L = sec.diam = math.sqrt(AREA_CM2 * 1e8 / math.pi)  # µm; π d L = area
        sec.nseg = 1
        sec.cm = 1.0
        sec.insert("hh")
        sec.el_hh = -54.387
        sec.ena = 50.0
        sec.ek = -77.0
        area_cm2 = sec(0.5).area() * 1e-8
        assert area_cm2 == pytest.approx(AREA_CM2, rel=1e-12)

        clamp = h.IClamp(sec(0.5))
        clamp.delay = 0.0
        clamp.dur = 1e9
        t_vec = h.Vector().record(h._ref_t)
        v_vec = h.Vector().record(sec(0.5)._ref_v)

        def run(dt: float, amp_uA_cm2: float) -> tuple[np.ndarray, np.ndarray]:
            clamp.amp = amp_uA_cm2 * area_cm2 * 1e3  # nA
            h.dt = dt
            h.finitialize(v_rest)
            h.continuerun(T_STOP)
            return np.array(t_vec), np.array(v_vec)

        out = {
            "dt": upward_crossings(*run(DT, I_STIM)),
            "dt/2": upward_crossings(*run(DT / 2, I_STIM)),
            "rest": run(DT, 0.0)[1],
        }
        del t_vec, v_vec, clamp, sec
    finally:
        for name, value in saved.items():
            setattr(h, name, value)
        h.cvode.active(saved_cvode)
    return out


def test_resting_potential_is_neuron_equilibrium(hhsim_run, neuron_runs):
    """Without current NEURON's hh stays at hhsim's resting potential."""
    drift = np.max(np.abs(neuron_runs["rest"] - hhsim_run.v_rest))
    assert drift < 1e-6, f"NEURON drifts {drift:.3g} mV from hhsim's v_rest {hhsim_run.v_rest:.6f} mV"


def test_same_number_of_spikes(hhsim_run, neuron_runs):
    n = len(hhsim_run.spike_times)
    assert n >= 5, "the 10 µA/cm² step should make the hh model fire repetitively"
    assert len(neuron_runs["dt"]) == n
    assert len(neuron_runs["dt/2"]) == n


def test_spike_times_within_neuron_discretisation_error(hhsim_run, neuron_runs):
    """|hhsim - NEURON(dt/2)| <= max(3 * max|NEURON(dt) - NEURON(dt/2)|, 1e-3 ms)."""
    coarse, fine = neuron_runs["dt"], neuron_runs["dt/2"]
    ours = hhsim_run.spike_times
    assert len(ours) == len(fine) == len(coarse)
    neuron_err = float(np.max(np.abs(coarse - fine)))
    tol = max(SAFETY * neuron_err, FLOOR_MS)
    diff = float(np.max(np.abs(ours - fine)))
    assert diff <= tol, (
        f"max |hhsim - NEURON| = {diff:.3g} ms exceeds {tol:.3g} ms "
        f"(NEURON dt vs dt/2 differ by {neuron_err:.3g} ms)\n"
        f"hhsim:  {np.array2string(ours, precision=6)}\nNEURON: {np.array2string(fine, precision=6)}"
    )
