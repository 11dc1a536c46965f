"""Squid giant axon presets (Hodgkin and Huxley 1952)."""

from __future__ import annotations

from ..channels.hh import HH1952, hh_channels
from ..model import Model


def hh() -> Model:
    """Squid axon, modern convention: absolute V, rest near -65 mV, 6.3 °C.

    Cm 1 µF/cm²; gNa 120, gK 36, gL 0.3 mS/cm²; ENa 50, EK -77,
    EL -54.387 mV (the values of NEURON's built-in ``hh`` mechanism).
    """
    return Model(
        name="hh",
        channels=hh_channels("modern"),
        Cm=1.0,
        temperature=6.3,
        spike_threshold=0.0,
        source=HH1952,
        description="Squid giant axon (Hodgkin & Huxley 1952), absolute voltage, rest near -65 mV",
    )


def hh1952() -> Model:
    """Squid axon in the paper's convention: V is the displacement from rest.

    Depolarisation is positive (the paper counted it negative); rest is 0 mV,
    ENa 115, EK -12, EL 10.613 mV.  Spikes are detected at +65 mV, the same
    membrane potential as 0 mV in the modern convention.
    """
    return Model(
        name="hh1952",
        channels=hh_channels("1952"),
        Cm=1.0,
        temperature=6.3,
        spike_threshold=65.0,
        source=HH1952,
        description="Squid giant axon, original 1952 convention: V = displacement from rest",
    )
