"""Timing helper shared by the benchmark scripts."""

from __future__ import annotations

import math
import time


def best_of(fn, repeats: int) -> float:
    """Smallest wall time (s) of ``repeats`` calls of ``fn()``."""
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best
