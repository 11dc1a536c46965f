"""The test mod files run by NEURON (compiled with the neuron wheel's ``nrnivmodl``)
and by hhsim (imported, no compiler): the same spike times.

Set-up, the same on both sides: one compartment of 1e-4 cm² (NEURON: one
section, nseg 1, L = diam), Cm 1 µF/cm², a leak of 0.3 mS/cm² to -54.387 mV,
ENa 50 mV, EK -77 mV, 6.3 °C, a step of 10 µA/cm² from t = 0 for 200 ms, the
start at -65 mV with every gate at its steady state there (NEURON's INITIAL
blocks; hhsim's ``initial_state``), the calcium pool at its resting level.
NEURON: fixed steps of 0.0025 ms, Crank-Nicolson (``secondorder = 2``), rate
tables off (``usetable_* = 0``: the tables interpolate, hhsim computes the
rates exactly).  hhsim: dopri5 at rtol = atol = 1e-10.  Spike times: upward
0 mV crossings, linearly interpolated between NEURON's steps.

Compiling the thirteen mod files takes about 25-30 s on this machine (once per
session, in a temporary directory); it is skipped with its reason if no C
compiler or ``nrnivmodl`` is present.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import hhsim
from hhsim.interop.nmodl import load_mod, with_mechanisms

neuron = pytest.importorskip("neuron")

pytestmark = pytest.mark.neuron

MOD = Path(__file__).parent / "mod"
FILES = ("nat", "kdr", "kdr_explicit", "ka", "km", "ih", "kca", "kht", "cat", "cad", "capool", "kv_scheme", "capump")
T_STOP = 200.0  # ms
DT = 0.0025  # ms, NEURON's step
AREA_CM2 = 1e-4
I_STIM = 10.0  # µA/cm²
V0 = -65.0  # mV
TOLERANCE_MS = 0.05


def upward_crossings(t: np.ndarray, v: np.ndarray, threshold: float = 0.0) -> np.ndarray:
    i = np.nonzero((v[:-1] < threshold) & (v[1:] >= threshold))[0]
    return t[i] + (threshold - v[i]) * (t[i + 1] - t[i]) / (v[i + 1] - v[i])


@pytest.fixture(scope="session")
def compiled_mechanisms(tmp_path_factory):
    """The mod files compiled by nrnivmodl and loaded into NEURON (once per session)."""
    nrnivmodl = Path(sys.executable).parent / "nrnivmodl"
    if not nrnivmodl.exists():
        nrnivmodl = shutil.which("nrnivmodl")
    if nrnivmodl is None:
        pytest.skip("nrnivmodl (from the neuron wheel) not found")
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no C compiler (cc/gcc): nrnivmodl cannot build the mod files")
    build = tmp_path_factory.mktemp("nrnmech")
    for name in FILES:
        shutil.copy(MOD / f"{name}.mod", build / f"{name}.mod")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run([str(nrnivmodl), "."], cwd=build, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        pytest.skip(f"nrnivmodl failed: {done.stderr.strip().splitlines()[-1:] or done.stdout[-200:]}")
    neuron.load_mechanisms(str(build))
    return build


def neuron_spikes(mechanisms: tuple[str, ...], ranges: dict[str, float]) -> np.ndarray:
    h = neuron.h
    h.load_file("stdrun.hoc")
    saved = {name: getattr(h, name) for name in ("celsius", "dt", "secondorder")}
    saved_cvode = h.cvode.active()
    try:
        h.celsius, h.secondorder = 6.3, 2
        h.cvode.active(0)
        sec = h.Section(name="nmodl_crosscheck")
        sec.L = sec.diam = math.sqrt(AREA_CM2 * 1e8 / math.pi)
        sec.nseg, sec.cm = 1, 1.0
        for mech in ("pas",) + mechanisms:
            sec.insert(mech)
            if hasattr(h, f"usetable_{mech}"):
                setattr(h, f"usetable_{mech}", 0)
        sec.g_pas, sec.e_pas, sec.ena, sec.ek = 3e-4, -54.387, 50.0, -77.0
        for name, value in ranges.items():
            setattr(sec, name, value)
        assert sec(0.5).area() * 1e-8 == pytest.approx(AREA_CM2, rel=1e-12)
        clamp = h.IClamp(sec(0.5))
        clamp.delay, clamp.dur, clamp.amp = 0.0, 1e9, I_STIM * AREA_CM2 * 1e3  # nA
        t_vec = h.Vector().record(h._ref_t)
        v_vec = h.Vector().record(sec(0.5)._ref_v)
        h.dt = DT
        h.finitialize(V0)
        h.continuerun(T_STOP)
        out = upward_crossings(np.array(t_vec), np.array(v_vec))
        del t_vec, v_vec, clamp, sec
        return out
    finally:
        for name, value in saved.items():
            setattr(h, name, value)
        h.cvode.active(saved_cvode)


def hhsim_spikes(files: tuple[str, ...], params: dict[str, float]) -> np.ndarray:
    leak = hhsim.models.get("hh").channel("L")  # 0.3 mS/cm², -54.387 mV
    mechanisms = [load_mod(MOD / f"{name}.mod") for name in files]
    channels = [m for m in mechanisms if isinstance(m, hhsim.channels.Channel)] + [leak]
    pools = [m for m in mechanisms if not isinstance(m, hhsim.channels.Channel)]
    # channels then the leak, as in test_nmodl's hh-from-mod model: one compiled kernel for both
    model = with_mechanisms(hhsim.Model("from_mod", channels, temperature=6.3), pools)
    model = model.with_params(params) if params else model
    start = {"v": V0}
    if model.pools:
        start["Ca_i"] = dict(model.concentrations)["Ca_in"]  # NEURON's INITIAL: cai = cainf
        # and every gate at its steady state at V0 and that calcium, as the INITIAL blocks set
        # them (simulate would take the gates' steady state at the pool's equilibrium at V0)
        env = model._env({"Ca_i": start["Ca_i"]})
        for ch in model.channels:
            for g in ch.gates:
                if not g.instantaneous and not getattr(g, "scheme", ""):  # (a scheme starts at its steady state)
                    start[f"{ch.name}.{g.name}"] = float(g.steady_state(V0, {**env, **dict(ch.params)}))
    res = hhsim.simulate(model, hhsim.stim.step(I_STIM), t_stop=T_STOP, method="dopri5", rtol=1e-10, atol=1e-10,
                         dt=0.025, initial_state=start)
    return np.asarray(res.spike_times)


def test_na_kdr_pair_matches_neuron(compiled_mechanisms):
    ours = hhsim_spikes(("nat", "kdr"), {})
    theirs = neuron_spikes(("nat", "kdr"), {})
    assert len(ours) >= 10
    assert len(theirs) == len(ours)
    assert np.max(np.abs(theirs - ours)) < TOLERANCE_MS


def test_every_channel_type_together_matches_neuron(compiled_mechanisms):
    """Na, the explicit-update Kdr, A-type K, M-current, Ih, Ca-activated K, the
    high-threshold K with a sum conductance, T-type Ca (GHK) and the calcium pool in one cell."""
    files = ("nat", "kdr_explicit", "ka", "km", "ih", "kca", "kht", "cat", "cad")
    ours = hhsim_spikes(files, {"gkat": 2.0, "gkca": 1.0, "gkht": 2.0, "pcat": 5e-4})
    theirs = neuron_spikes(("nat", "kdrx", "kat", "km", "hcn", "kca", "kht", "cat", "cad"),
                           {"gkabar_kat": 2e-3, "gkbar_kca": 1e-3, "gkhtbar_kht": 2e-3, "pcabar_cat": 5e-4})
    assert len(ours) >= 10
    assert len(theirs) == len(ours)
    assert np.max(np.abs(theirs - ours)) < TOLERANCE_MS


def test_calcium_pool_in_another_idiom_matches_neuron(compiled_mechanisms):
    """T-type calcium (GHK) filling capool.mod's shell (cad.mod's physics in other names,
    units and statements) and a Ca-activated K reading it: NEURON's spike times."""
    files = ("nat", "kdr", "cat", "kca", "capool")
    ours = hhsim_spikes(files, {"gkca": 1.0, "pcat": 5e-4})
    theirs = neuron_spikes(files, {"gkbar_kca": 1e-3, "pcabar_cat": 5e-4})
    assert len(ours) >= 10
    assert len(theirs) == len(ours)
    assert np.max(np.abs(theirs - ours)) < TOLERANCE_MS



def test_kinetic_scheme_and_pumped_pool_match_neuron(compiled_mechanisms):
    """In one cell (one compiled kernel): kv_scheme.mod's KINETIC block (six states, rates
    from a PROCEDURE with a Q10 factor, CONSERVE, INITIAL's SOLVE ... STEADYSTATE sparse)
    beside the Na channel, and capump.mod (Destexhe's cad.mod with its pump on, the influx
    not clipped, cainf = 0, the pool starting at INITIAL's castart) filled by the T-type
    calcium current and read by the Ca-activated K: NEURON's spike times (measured: 10 spikes,
    0.0175 ms at most).  (Measured alone:
    the scheme beside Na 3e-4 ms in 14 spikes; nat, kdr, cat, kca and the pool 0.017 ms in 10,
    and 8 spikes without the pump.)"""
    files = ("nat", "kv_scheme", "cat", "kca", "capump")
    ours = hhsim_spikes(files, {"gkca": 1.0, "pcat": 5e-4})
    theirs = neuron_spikes(("nat", "kvs", "cat", "kca", "capump"), {"gkbar_kca": 1e-3, "pcabar_cat": 5e-4})
    assert len(ours) >= 10
    assert len(theirs) == len(ours)
    assert np.max(np.abs(theirs - ours)) < TOLERANCE_MS
