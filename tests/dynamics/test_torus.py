"""Torus (Neimark-Sacker) point located on a cycle branch, against a closed form.

The planar cycle x² + y² = 1 (angular speed w) carries a transverse
oscillator w' = (mu + i nu) w - |w|² w that does not feed back.  The
cycle's Floquet multipliers are exactly exp(-2 T) (radial) and
exp((mu ± i nu) T) with T = 2 pi / w, so a complex pair leaves the unit
circle at mu = 0 with argument nu T (mod 2 pi).
"""

from __future__ import annotations

import numpy as np
import pytest

from hhsim.dynamics import cycles
from hhsim.dynamics.collocation import Orbit

W, NU = 1.0, 1.3


class CycleWithTransverseOscillator:
    n = 4
    scale = np.ones(4)
    names = ("x", "y", "w1", "w2")

    def __call__(self, U, mu=0.0):
        x, y, a, b = U
        r = 1 - x * x - y * y
        s = a * a + b * b
        return np.array([x * r - W * y, y * r + W * x, mu * a - NU * b - s * a, NU * a + mu * b - s * b])


def test_torus_point_of_a_cycle_with_a_transverse_oscillator():
    T = 2 * np.pi / W
    mesh = np.linspace(0, 1, 41)
    o = Orbit(mesh, np.zeros((160, 4)), T, -0.3)
    tau = o.times()
    o.u[:, 0], o.u[:, 1] = np.cos(2 * np.pi * tau), np.sin(2 * np.pi * tau)
    tan = np.zeros(o.u.size + 2)
    tan[-1] = 1.0
    b = cycles.continue_cycles(CycleWithTransverseOscillator(), o, tan, (-0.3, 0.3), ds=0.05, ds_max=0.1)
    (tor,) = b.torus
    assert tor.i_uA_cm2 == pytest.approx(0.0, abs=1e-7)
    mu = tor.multipliers
    pair = mu[np.abs(mu.imag) > 1e-6]
    assert np.allclose(np.abs(pair), 1.0, atol=1e-7)
    assert np.angle(pair[pair.imag > 0][0]) == pytest.approx(np.angle(np.exp(1j * NU * T)), abs=1e-7)
    radial = mu[np.argmin(np.abs(mu))]
    assert abs(radial) == pytest.approx(np.exp(-2 * T), rel=1e-6)
    assert tor.period_ms == pytest.approx(T, rel=1e-12)
