"""The Traub-Miles neuron of the COBAHH benchmark."""

from __future__ import annotations

from ..channels.leak import leak
from ..channels.traub import SOURCE, traub_k, traub_na
from ..model import Model
from ._ions import matching

CITATION = (
    "Brette R et al. (2007) Simulation of networks of spiking neurons: a review of tools and "
    "strategies. J Comput Neurosci 23:349-398 (COBAHH benchmark), after Traub RD, Miles R (1991)"
)


def traub_miles() -> Model:
    """Single-compartment Traub-Miles neuron as in the COBAHH benchmark (Brette et al. 2007).

    Cm 1 µF/cm² (200 pF over 20000 µm²); gNa 100, gK 30, gL 0.05 mS/cm²;
    ENa 50, EK -90, EL -60 mV; VT -63 mV.  The benchmark gives no temperature;
    the rates are used as published at the model's 36 °C (factor 1), and
    ENa/EK come from concentrations that give exactly 50/-90 mV there.

    With these values the sodium window current exceeds the leak everywhere
    below -34 mV: the neuron has no resting state and fires on its own at
    about 14 Hz.  It starts at V = -60 mV (EL; the benchmark starts its
    neurons near EL) with gates at their steady state there.
    """
    T = 36.0
    return Model(
        name="traub_miles",
        channels=(traub_na(100.0, VT=-63.0), traub_k(30.0, VT=-63.0), leak(0.05, -60.0)),
        Cm=1.0, temperature=T, concentrations=matching(T, e_na=50.0, e_k=-90.0),
        v_init=-60.0,
        source=CITATION,
        description="Traub-Miles neuron of the COBAHH benchmark; a pacemaker (~14 Hz without input)",
        notes=(
            "Conductances are the COBAHH densities (g_na 20 uS, g_kd 6 uS, g_l 10 nS over 20000 um2). "
            "Channel rates: " + SOURCE + "."
        ),
    )
