"""Leak currents: a non-specific leak and a potassium leak.

A leak is a channel without gates: I = gL (V - EL).  The potassium leak of
thalamic relay cells (Destexhe et al., J Neurophysiol 76:2049-2070, 1996)
follows EK (Nernst), so it moves with K_out.
"""

from __future__ import annotations

from .base import Channel


def leak(gbar: float = 0.1, E: float = -70.0, name: str = "L") -> Channel:
    return Channel(name, gbar=gbar, E=E, source="passive membrane", description="non-specific leak")


def k_leak(gbar: float = 0.01, E="nernst") -> Channel:
    return Channel(
        "KL", gbar=gbar, E=E, ion="k",
        source="Destexhe A, Bal T, McCormick DA, Sejnowski TJ (1996) J Neurophysiol 76:2049-2070",
        description="potassium leak",
    )
