"""Synthetic recordings for the fitting tests: made here from the presets with known
parameters changed, noise added with a fixed seed."""

import numpy as np
import pytest

import hhsim
from hhsim import stim
from hhsim.fit import CURRENT_CLAMP, make_sweep

#: hh with gNa, gK, gL and EL changed by 10-30 %.
HH_TRUTH = {"gNa": 120.0 * 1.2, "gK": 36.0 * 0.8, "gL": 0.3 * 1.25, "EL": -54.387 * 1.1}
#: Bounds around the preset's own values (not around the truth).
HH_BOUNDS = ["gNa=80:200", "gK=20:60", "gL=0.1:1:log", "EL=-70:-45"]
#: Current-clamp protocol: a hyperpolarising step (leak), a subthreshold and a spiking one (µA/cm²).
AMPS = (-3.0, 4.0, 10.0)
AREA_UM2 = 20000.0  # 2e-4 cm²: 1 µA/cm² = 0.2 nA
NOISE_MV = 0.5


@pytest.fixture(scope="session")
def hh_sweeps():
    """Three current-clamp sweeps of the changed hh (0.05 ms samples, 80 ms) with 0.5 mV noise."""
    model = hhsim.models.get("hh").with_params(HH_TRUTH)
    rng = np.random.default_rng(2026)
    out = []
    for k, amp in enumerate(AMPS):
        s = stim.step(amp, start=10.0, dur=60.0)
        r = hhsim.simulate(model, s, t_stop=80.0, dt=0.05)
        out.append(make_sweep(f"sweep{k}", CURRENT_CLAMP, r.t, r.v + rng.normal(0.0, NOISE_MV, r.v.size), s, ""))
    return out


def write_hh_csv(path, sweeps):
    """The sweeps as a CSV recording in mV with stimulus columns in nA (through AREA_UM2)."""
    t = sweeps[0].t_ms
    cols = {"t_ms": t}
    for s in sweeps:
        cols[f"{s.name}_mV"] = s.values
    for s in sweeps:
        cols[f"stim_{s.name}_nA"] = s.stimulus.value(t) * AREA_UM2 * 1e-5  # µA/cm² -> nA
    with open(path, "w") as fh:
        fh.write(",".join(cols) + "\n")
        np.savetxt(fh, np.column_stack(list(cols.values())), delimiter=",", fmt="%.9g")
    return path


def write_hh_nwb(path, sweeps):
    """The sweeps as an NWB file written with pynwb: CurrentClampSeries in volts with their
    CurrentClampStimulusSeries in amperes (through AREA_UM2), paired by sweep number."""
    from datetime import datetime, timezone

    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.icephys import CurrentClampSeries, CurrentClampStimulusSeries

    nwb = NWBFile(session_description="synthetic hh", identifier="fit-test",
                  session_start_time=datetime(2026, 1, 1, tzinfo=timezone.utc))
    device = nwb.create_device(name="amplifier")
    electrode = nwb.create_icephys_electrode(name="pipette", description="whole cell", device=device)
    rate = 1000.0 / sweeps[0].dt_ms  # Hz
    for k, s in enumerate(sweeps):
        amperes = s.stimulus.value(s.t_ms) * AREA_UM2 * 1e-8 * 1e-6  # µA/cm² * cm² -> µA -> A
        # stored as integers-like scaled data with a conversion factor, as acquisition systems do
        st = CurrentClampStimulusSeries(name=f"stimulus{k}", data=amperes / 1e-12, conversion=1e-12,
                                        electrode=electrode, gain=1.0, rate=rate, starting_time=0.0,
                                        sweep_number=np.uint64(k))
        resp = CurrentClampSeries(name=f"response{k}", data=s.values / 1000.0, electrode=electrode, gain=1.0,
                                  rate=rate, starting_time=0.0, sweep_number=np.uint64(k))
        nwb.add_intracellular_recording(electrode=electrode, stimulus=st, response=resp)
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path
