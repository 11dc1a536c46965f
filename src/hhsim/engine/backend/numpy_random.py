"""The network drive's counter-based random numbers, in plain Python.

The twins of :func:`hhsim.engine.network_kernels.uniform01`, ``normal01`` and
``poisson_count``: SplitMix64 finalisers over five integer coordinates
(seed, stream, node, step, k), in Python integers modulo 2**64, so the
NumPy reference draws the very numbers the compiled loop draws.
"""

from __future__ import annotations

import math

from ..network_kernels import poisson_inversion_py

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def _mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def uniform01(seed: int, stream: int, node: int, step: int, k: int) -> float:
    """A uniform number in (0, 1) that depends only on its five coordinates."""
    z = (int(seed) & _MASK) * _GOLDEN & _MASK
    for c in (stream, node, step, k):
        z = _mix(z ^ (int(c) & _MASK))
    return ((z >> 11) + 1) * (1.0 / 9007199254740994.0)


def normal01(seed: int, stream: int, node: int, step: int) -> float:
    """A standard normal number (Box-Muller) from the same coordinates."""
    u1 = uniform01(seed, stream, node, step, 0)
    u2 = uniform01(seed, stream, node, step, 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def poisson_count(lam: float, seed: int, stream: int, node: int, step: int) -> int:
    """A Poisson(lam) count by inversion (the compiled loop's own, run as Python) of the
    uniform number of k = 2."""
    return poisson_inversion_py(lam, uniform01(seed, stream, node, step, 2))
