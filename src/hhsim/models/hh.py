"""Squid giant axon presets (Hodgkin and Huxley 1952)."""

from __future__ import annotations

from ..channels.hh import HH1952, hh_channels
from ..model import Model


NOTES = ("EL = -54.387 mV puts rest at -65 mV (HH 1952: the leak reversal 10.613 mV above rest). "
         "NEURON's hh.mod uses EL = -54.3 mV and NEST's hh_psc_alpha -54.402 mV: about 1 ms of drift per "
         "second of firing against either. To reproduce NEURON: --set EL=-54.3 (NEST: --set EL=-54.402).")


def hh() -> Model:
    """Squid axon, modern convention: absolute V, rest near -65 mV, 6.3 °C.

    Cm 1 µF/cm²; gNa 120, gK 36, gL 0.3 mS/cm²; ENa 50, EK -77,
    EL -54.387 mV: the leak reversal that puts rest at -65 mV (HH 1952's
    10.613 mV above rest).  NEURON's built-in ``hh`` mechanism rounds it to
    -54.3 mV and NEST's ``hh_psc_alpha`` uses -54.402 mV; each drifts about
    1 ms per second of firing from the others (``--set EL=-54.3`` reproduces
    NEURON, ``--set EL=-54.402`` NEST).
    """
    return Model(
        name="hh",
        channels=hh_channels("modern"),
        Cm=1.0,
        temperature=6.3,
        spike_threshold=0.0,
        source=HH1952,
        description="Squid giant axon (Hodgkin & Huxley 1952), absolute voltage, rest near -65 mV",
        notes=NOTES,
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
