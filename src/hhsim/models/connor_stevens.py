"""The Connor-Stevens model neuron with the transient A-current."""

from __future__ import annotations

from ..channels.connor_stevens import SOURCE, cs_a, cs_k, cs_na
from ..channels.leak import leak
from ..model import Model


def connor_stevens() -> Model:
    """Connor-Stevens neuron as in Dayan & Abbott (2001), section 6.2.

    Cm 1 µF/cm² (10 nF/mm²); gNa 120, gK 20, gA 47.7, gL 0.3 mS/cm²
    (1.2, 0.2, 0.477, 0.003 mS/mm²); ENa 55, EK -72, EA -75, EL -17 mV.
    The A-current makes the f-I curve start at low rates (type I;
    Dayan & Abbott, Fig. 6.2).  Fixed reversal potentials as in the source.
    The source gives no temperature: the rates apply at the model's
    nominal 18 °C (Q10 = 3 if you change it).
    """
    return Model(
        name="connor_stevens",
        channels=(cs_na(), cs_k(), cs_a(), leak(0.3, -17.0)),
        Cm=1.0, temperature=18.0,
        source=SOURCE,
        description="Connor-Stevens neuron with A-current (Dayan & Abbott 6.2), type I",
        notes="Values of Dayan & Abbott (2001), section 6.2 (they differ slightly from Connor et al. 1977).",
    )
