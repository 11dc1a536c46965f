"""The rounds of Philox4x32 that a noisy run draws with (noise_random.ROUNDS = 7) against
Random123's known-answer vectors, and the uniforms of a run made from that cipher."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from hhsim.engine.noise_random import ROUNDS, philox4x32_r, uniform2

from .test_random import KAT as KAT10

# Random123's tests/kat_vectors, rows "philox4x32 7" (KAT10: its rows "philox4x32 10")
KAT7 = [((0, 0, 0, 0), (0, 0), (0x5F6FB709, 0x0D893F64, 0x4F121F81, 0x4F730A48)),
        ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x5207DDC2, 0x45165E59, 0x4D8EE751, 0x8C52F662)),
        ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
         (0x4DFCCABA, 0x190A87F0, 0xC47362BA, 0xB6B5242A))]


@njit
def _philox(c0, c1, c2, c3, k0, k1, rounds):
    u = np.uint64
    return philox4x32_r(u(c0), u(c1), u(c2), u(c3), u(k0), u(k1), rounds)


@njit
def _uniform2(seed, node, step, slot, stream):
    return uniform2(np.uint64(seed), node, step, slot, stream)


def test_runs_draw_with_seven_rounds():
    assert ROUNDS == 7


@pytest.mark.parametrize("rounds, ctr, key, expected", [(7, *row) for row in KAT7] + [(10, *row) for row in KAT10])
def test_philox_rounds_known_answers(rounds, ctr, key, expected):
    assert tuple(int(x) for x in _philox(*ctr, *key, rounds)) == expected


@pytest.mark.parametrize("seed, node, step, slot, stream", [(0, 0, 0, 0, 0), (2**64 - 1, 3, 77, 5, 1),
                                                            (0x299F31D0A4093822, 2**40 + 9, 2**31, 11, 2)])
def test_uniforms_are_the_seven_round_cipher_of_the_counter(seed, node, step, slot, stream):
    """The counter (slot, step, node low word, node high 16 bits | stream << 16) under the key
    (seed low word, seed high word); each uniform the top 53 bits of two output words."""
    w = [int(x) for x in _philox(slot, step, node & 0xFFFFFFFF, ((node >> 32) & 0xFFFF) | (stream << 16),
                                 seed & 0xFFFFFFFF, seed >> 32, ROUNDS)]
    a = ((w[0] << 32) | w[1]) >> 11
    b = ((w[2] << 32) | w[3]) >> 11
    assert _uniform2(np.uint64(seed), node, step, slot, stream) == (a / 2.0**53, b / 2.0**53)
