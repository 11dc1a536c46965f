"""Class 4 (issue 24): API requests are sized before any work, as the CLI's are.

Each call here would run for minutes or allocate terabytes if it started; it
must be refused at once, in one line naming the limit and the size asked for.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from hhsim import dynamics
from hhsim.errors import HHSimError
from hhsim.network import connect, distributions


def _refused(fn, *needles):
    t0 = time.monotonic()
    with pytest.raises(HHSimError) as err:
        fn()
    assert time.monotonic() - t0 < 10.0  # refused up front, not after the work
    text = str(err.value)
    assert "\n" not in text
    for n in needles:
        assert n in text, text


def test_a_phase_plane_start_far_outside_the_plane():
    _refused(lambda: dynamics.phase_plane("hh", starts=[(1e300, 0.3)]), "far outside the plane")


def test_too_many_phase_plane_starts():
    starts = [(-65.0 + 1e-4 * i, 0.3) for i in range(100_000)]
    _refused(lambda: dynamics.phase_plane("hh", starts=starts), "100000 start points", "limit of 200")


def test_orbit_at_intervals_bounded():
    _refused(lambda: dynamics.orbit_at("hh", 10.0, intervals=10**7), "intervals = 10000000", "<= 2000")


@pytest.mark.parametrize("rule, n", [("all", 10**6), ({"p": 0.5}, 10**8)])
def test_connect_checks_the_synapses_memory_first(rule, n):
    _refused(lambda: connect.connect(rule, n, n, seed=1), "synapses would need")


def test_connect_sizes_bounded_and_shortened():
    _refused(lambda: connect.connect("all", 1e300, 10, seed=1), "301 digits")


def test_sample_checks_memory_first():
    _refused(lambda: distributions.sample({"dist": "normal", "mean": 0.0, "std": 1.0}, 10**12, 1),
             "would need")


def test_small_requests_still_run():
    pre, post = connect.connect({"p": 0.2}, 50, 50, seed=3)
    assert 0 < pre.size < 2500
    x = distributions.sample({"dist": "uniform", "low": 0.0, "high": 1.0}, 100, 1)
    assert np.all((x >= 0) & (x < 1))


def test_a_stimulus_csv_is_read_without_a_many_fold_memory_peak(tmp_path):
    """A CSV of 1e6 rows (~17 MB): the reader's peak stays under 10 times the file (it was ~30)."""
    import subprocess
    import sys

    rng = np.random.default_rng(0)
    path = tmp_path / "stim.csv"
    t = np.arange(1_000_000) * 0.01
    np.savetxt(path, np.column_stack([t, rng.random(t.size) * 10]), fmt="%.6f", delimiter=",",
               header="time_ms,current", comments="")
    size_mb = path.stat().st_size / 1e6
    code = ("import resource, sys\nfrom hhsim.stim import from_file\nimport numpy\n"
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "s = from_file(sys.argv[1])\nassert len(s.t) == 1_000_000\n"
            "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)\n")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    assert float(out) < 10 * size_mb, (out, size_mb)
