"""The channel-noise protocols reproduce their sources' qualitative signatures.

* Chow & White (1996): the spontaneous firing of a patch of hh membrane falls
  with its area (a 1 µm² patch fires at tens of Hz, a 100 µm² patch much less).
* Schneidman, Freedman & Segev (1998): repeated, a fast-fluctuating stimulus
  gives spike times that are more reliable and less jittered than a constant
  one of the same mean, and more precise on a larger (less noisy) membrane.

Differences are asserted beyond their standard errors (from the spread over trials).
"""

from __future__ import annotations

import json

import numpy as np

from helpers.cli import run_cli
from hhsim.analysis.channel_noise import event_statistics, spike_reliability, spontaneous_rate


def test_spontaneous_rate_falls_with_area(tmp_path):
    r = spontaneous_rate(areas=(1.0, 100.0), trials=4, t_stop=500.0, seed=2)
    gap = r.rate_hz[0] - r.rate_hz[1]
    assert gap > 5.0 * np.hypot(*r.rate_se_hz), r.to_dict()
    assert r.rate_hz[0] > 20.0  # tens of Hz at 60 Na and 18 K channels
    assert r.efold_area_um2 is not None and r.efold_area_um2 > 0
    json.dumps(r.to_dict())
    r.plot(tmp_path / "rate.png")
    assert (tmp_path / "rate.png").stat().st_size > 1000


def test_fluctuating_stimulus_gives_reliable_precise_spikes(tmp_path):
    q = spike_reliability(areas=(30.0, 1000.0), trials=12, t_stop=200.0, seed=5)
    fl, co = q.stimuli.index("fluctuating"), q.stimuli.index("constant")
    assert q.reliability[1, fl] > q.reliability[1, co]
    assert q.jitter_ms[1, fl] < q.jitter_ms[1, co]
    assert q.jitter_ms[1, fl] < q.jitter_ms[0, fl]  # a larger membrane is more precise
    d = q.to_dict()
    assert set(d["jitter_ms"]) == {"fluctuating", "constant"}
    q.plot(tmp_path / "rel.svg")


def test_event_statistics_by_hand():
    events = np.array([10.0, 30.0])
    trials = [np.array([10.5, 29.0]), np.array([9.5]), np.array([31.0, 50.0])]
    rel, jit = event_statistics(events, trials, window=2.0)
    assert rel == (2 / 3 + 2 / 3) / 2
    assert np.isclose(jit, (np.std([10.5, 9.5], ddof=1) + np.std([29.0, 31.0], ddof=1)) / 2)


def test_cli_spontaneous_json(capsys):
    code, out, err = run_cli(capsys, "spontaneous", "--areas", "2,50", "--trials", "2", "--t-stop", "200",
                             "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["areas_um2"] == [2.0, 50.0] and len(d["rate_hz"]) == 2 and d["density_per_um2"] == {"Na": 60.0,
                                                                                                   "K": 18.0}
