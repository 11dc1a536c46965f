"""Helpers of the sweep tests: a reference sweep computed in this process, and bitwise comparison."""

from __future__ import annotations

import os

import numpy as np

# The Dask tests start clusters of worker processes.  After hundreds of other tests in
# the same interpreter their workers did not come back here (the sweep then stopped
# with "no worker for 120 s"), while the same file passes on its own; so the full
# suite runs that file in a fresh interpreter (test_sweep_dask_isolated.py).
ISOLATED = "HHSIM_SWEEP_DASK_ISOLATED"
collect_ignore = [] if os.environ.get(ISOLATED) else ["test_sweep_dask.py"]


def same_numbers(a, b) -> None:
    """Every variable and coordinate of two sweep datasets identical bit for bit (NaN included)."""
    assert sorted(a.data_vars) == sorted(b.data_vars)
    for name in list(a.data_vars) + list(a.coords):
        x, y = np.asarray(a[name].values), np.asarray(b[name].values)
        assert x.dtype == y.dtype and x.shape == y.shape, name
        assert x.tobytes() == y.tobytes(), name
