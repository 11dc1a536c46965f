"""Small numerical helpers of the NMODL translation: the grid of the checks and
tolerant comparisons."""

from __future__ import annotations

import numpy as np

#: Voltages (mV) of the numerical checks (off the round values where files put 0/0 points).
V_GRID = np.linspace(-100.0, 50.0, 61) + 0.123


def close(a, b, rel: float = 1e-9) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return bool(np.all(np.isfinite(a) == np.isfinite(b))
                and np.all(np.abs(np.where(np.isfinite(a), a - b, 0.0))
                           <= rel * np.maximum(np.abs(np.where(np.isfinite(b), b, 0.0)), 1e-12)))


def round_value(x: float) -> float:
    """Drop the last bits of a value recovered by arithmetic (3.0000000000000004 -> 3.0)."""
    return float(f"{x:.12g}")
