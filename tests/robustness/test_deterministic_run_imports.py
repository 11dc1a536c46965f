"""A deterministic run does not import what it does not use (issue 19: the first
``hhsim run`` within seconds): hhsim.noise and the scipy.stats it needs (about
0.4 s of start-up, only a run with ``noise=`` uses them), scipy.integrate (0.3 s,
LSODA only) and scipy.optimize (0.3 s, the rest search of models with ion pools)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
LAZY = ("hhsim.noise", "scipy.stats", "scipy.integrate", "scipy.optimize")
import hhsim
r = hhsim.simulate("hh", hhsim.stim.step(10, start=1, dur=3), t_stop=5)
print(sorted(m for m in LAZY if m in sys.modules))
r = hhsim.simulate("hh", None, t_stop=1, noise="markov", area_um2=10, seed=1)
print(sorted(m for m in ("hhsim.noise", "scipy.stats") if m in sys.modules))
"""


def test_noise_is_imported_only_by_a_noisy_run():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True,
                         timeout=300).stdout.strip().splitlines()
    assert out[-2] == "[]", out
    assert "hhsim.noise" in out[-1], out
