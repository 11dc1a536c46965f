"""As the membrane area grows the noisy model becomes the deterministic one.

Both noisy methods' expected step is the exponential-Euler step of the
deterministic gates, so with N channels the difference from
``simulate(method="expeuler")`` at the same dt shrinks as 1/sqrt(N): the
spread of the first spike time and the RMS difference of V fall by about
10 for 100 times the area.
"""

from __future__ import annotations

import numpy as np
import pytest

import hhsim
from hhsim.noise import ChannelNoise, simulate_noisy_batch

STIM = hhsim.stim.step(10.0, start=5.0, dur=20.0)
N = 16


@pytest.mark.parametrize("method", ["markov", "langevin"])
def test_large_area_gives_the_deterministic_model(method):
    det = hhsim.simulate("hh", STIM, t_stop=30.0, method="expeuler", dt=0.01)
    rms, spread = [], []
    for area in (1e3, 1e5, 1e7):
        b = simulate_noisy_batch("hh", ChannelNoise(method, area_um2=area, seed=21), n=N, stimulus=STIM,
                                 t_stop=30.0, dt=0.01, record="v")
        first = np.array([s[0] for s in b.spike_times])
        # the mean first spike time is the deterministic one within 5 standard errors
        assert abs(first.mean() - det.spike_times[0]) < 5 * first.std(ddof=1) / np.sqrt(N) + 1e-6
        rms.append(np.sqrt(np.mean((b.traces["v"] - det.v[:, None]) ** 2)))
        spread.append(first.std(ddof=1))
    # 1/sqrt(N): a factor 10 per hundredfold area (16 samples: a ratio of two s.d. estimates
    # has a relative spread of about 25 %, so 4 to 25 is more than 3.5 of its s.d.)
    for k in range(2):
        assert 4.0 < rms[k] / rms[k + 1] < 25.0, rms
        assert 4.0 < spread[k] / spread[k + 1] < 25.0, spread
    assert rms[-1] < 0.3  # mV, at 6e8 Na channels (measured about 0.2)
