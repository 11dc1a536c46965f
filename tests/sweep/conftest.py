"""Helpers of the sweep tests: a reference sweep computed in this process, and bitwise comparison."""

from __future__ import annotations

import numpy as np


def same_numbers(a, b) -> None:
    """Every variable and coordinate of two sweep datasets identical bit for bit (NaN included)."""
    assert sorted(a.data_vars) == sorted(b.data_vars)
    for name in list(a.data_vars) + list(a.coords):
        x, y = np.asarray(a[name].values), np.asarray(b[name].values)
        assert x.dtype == y.dtype and x.shape == y.shape, name
        assert x.tobytes() == y.tobytes(), name
