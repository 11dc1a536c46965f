"""The Markov kernel advances nodes in blocks (:data:`hhsim.engine.noise_kernels.BLOCK`) with
vectorised loops over each block; a node's numbers must not depend on which block, or which
lane of it, holds it.  A batch that spans several blocks gives, for any part of it run alone
(another block boundary, another lane), the same bits, at both a small and a huge channel
count (the scalar exact inversion of large means)."""

from __future__ import annotations

import numpy as np
import pytest

import hhsim
from hhsim.engine.noise_kernels import BLOCK
from hhsim.noise import ChannelNoise, simulate_noisy_batch

STIM = hhsim.stim.step(6.0, start=1.0, dur=10.0)


@pytest.mark.parametrize("area", [20.0, 2e4])
def test_a_part_of_a_batch_across_blocks_gives_the_same_bits(area):
    noise = ChannelNoise("markov", area_um2=area, seed=12)
    n = BLOCK + 7
    whole = simulate_noisy_batch("hh", noise, n=n, stimulus=STIM, t_stop=12.0, record=["v", "Na.open"],
                                 scale=np.linspace(0.5, 1.5, n))
    lo, hi = BLOCK - 3, BLOCK + 4  # across the first block boundary, in other lanes of one block
    part = simulate_noisy_batch("hh", noise, n=hi - lo, stimulus=STIM, t_stop=12.0, record=["v", "Na.open"],
                                scale=np.linspace(0.5, 1.5, n)[lo:hi], node_offset=lo)
    np.testing.assert_array_equal(whole.traces["v"][:, lo:hi], part.traces["v"])
    np.testing.assert_array_equal(whole.traces["Na.open"][:, lo:hi], part.traces["Na.open"])
    assert len({round(float(x), 9) for x in whole.traces["v"][-1]}) > n // 2  # the neurons differ
