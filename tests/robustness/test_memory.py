"""Class 3 (the issue's section 2): memory is checked before it is taken.

Each case would exhaust the machine if it allocated without checking; the
child runs under a 3 GB address-space limit, so an unchecked allocation
shows up here as a MemoryError (a failure), never as the machine running out.
The refusal must name the size and a remedy.  Input files are read only when
regular and below the size limit (``HHSIM_MAX_INPUT_BYTES``).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import hhsim
from hhsim import limits

from ._harness import assert_one_line_refusal, child_env, run_batch

REFUSED = [
    ["run", "--t-stop", "1.2e7"],
    ["run", "--t-stop", "1.2e7", "--method", "rk4"],
    ["run", "--t-stop", "1.2e7", "--method", "lsoda"],
    ["run", "--stim", "pulses(amp=10, dur=1, period=2, count=1e9)"],
    ["fi", "--n", "10000000"],
    ["fi", "--n", "10000", "--dur", "1e6"],
    ["refractory", "--intervals", "1:99999:1"],
    ["scan", "--param", "gNa=60:120:1e12", "--measure", "n_spikes"],
    ["vclamp", "--dt", "1e-7"],
    ["vclamp", "--steps", "-100:100:0.001"],
    ["strength-duration", "--n", "100000000"],
    ["cable", "--t-stop", "1e6", "--dt", "0.01", "--quiet"],
    ["run", "--stim", "file(path=/dev/zero)"],
    ["run", "--channel", "/dev/zero"],
    ["cable", "--swc", "/dev/zero", "--quiet"],
    ["run", "--stim", "file(path=big.csv)"],
    ["run", "--channel", "big.toml"],
    ["cable", "--swc", "big.swc", "--quiet"],
    ["run", "--stim", "file(path=.)"],
]


def test_every_request_is_refused_before_allocating(tmp_path):
    # the size limit comes from the environment: 1 kB here, files of 2 kB
    for name in ("big.csv", "big.toml", "big.swc"):
        (tmp_path / name).write_text("#" * 2048 + "\n")
    outcomes = run_batch(REFUSED, tmp_path, timeout=300, env=child_env(HHSIM_MAX_INPUT_BYTES="1K"))
    for o in outcomes:
        line = assert_one_line_refusal(o)
        assert "MemoryError" not in line and "not enough memory" not in line, o.explain()
        if "/dev/zero" in " ".join(o.argv) or o.argv[-1] == "file(path=.)":
            assert "regular file" in line or "directory" in line, o.explain()
        elif "big." in " ".join(o.argv):
            assert "larger than" in line and "HHSIM_MAX_INPUT_BYTES" in line, o.explain()
        else:
            assert "would need" in line or "at most" in line or "too many" in line, o.explain()


def test_refusal_names_size_and_remedy(monkeypatch):
    monkeypatch.setenv(limits.MEMORY_ENV, "60M")
    t_stop = 4e4  # 1.6e6 steps of V and 3 gates: 32 bytes a step, 51 MB, with t and I 77 MB
    with pytest.raises(hhsim.SolverError) as exc:
        hhsim.simulate("hh", None, t_stop=t_stop, method="rk4")
    text = str(exc.value)
    steps = int(t_stop / 0.025)
    # V and 3 gates, t and the stimulus per recorded point, 3 stimulus arrays per step of a chunk
    expected = limits.format_bytes(8.0 * (steps + 1) * 4 + 16 * (steps + 1) + 24 * min(steps, 2**19))
    assert expected in text and "60 MB" in text and "record_every" in text
    # the remedy works: every 4000th step fits
    r = hhsim.simulate("hh", None, t_stop=t_stop, method="rk4", record_every=4000)
    assert r.t.size == int(t_stop / 0.025) // 4000 + 1


def test_budget_follows_the_address_space_limit():
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    budget = limits.memory_budget()
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert budget <= pages // 2
    if soft != resource.RLIM_INFINITY:
        assert budget <= soft // 2


def test_sizes_parse():
    assert limits.parse_bytes("512M", "X") == 512 * 2**20
    assert limits.parse_bytes("8GB", "X") == 8 * 2**30
    assert limits.parse_bytes("1000", "X") == 1000
    for bad in ("", "lots", "-1G", "0"):
        with pytest.raises(hhsim.HHSimError):
            limits.parse_bytes(bad, "X")


def test_pulse_trains_cost_time_independent_of_count():
    """A train of 1e9 pulses evaluates like the 5 that fall in the window (the old
    loop over every pulse took minutes); values agree with one pulse at a time."""
    t = np.linspace(0, 10, 2001)
    big = hhsim.stim.pulses(10, 1, start=0.5, period=2, count=10**9).value(t)
    few = sum(hhsim.stim.pulses(10, 1, start=0.5 + 2 * k).value(t) for k in range(5))
    assert np.array_equal(big, few)
