"""The Wang-Buzsaki hippocampal interneuron."""

from __future__ import annotations

from ..channels.leak import leak
from ..channels.wang_buzsaki import SOURCE, wb_k, wb_na
from ..model import Model
from ._ions import matching


def wang_buzsaki() -> Model:
    """Wang & Buzsáki (1996) fast-spiking hippocampal basket cell.

    Cm 1 µF/cm²; gNa 35, gK 9, gL 0.1 mS/cm²; ENa 55, EK -90, EL -65 mV;
    phi = 5; sodium activation instantaneous.  The paper gives no temperature
    (phi is its temperature factor); the model runs at 36 °C with ENa/EK from
    concentrations that give exactly 55/-90 mV there.  Type I excitability:
    firing starts at an arbitrarily low rate (paper, Fig. 1C).
    """
    T = 36.0
    return Model(
        name="wang_buzsaki",
        channels=(wb_na(), wb_k(), leak(0.1, -65.0)),
        Cm=1.0, temperature=T, concentrations=matching(T, e_na=55.0, e_k=-90.0),
        source=SOURCE,
        description="Wang-Buzsaki hippocampal interneuron (1996), type I",
        notes="All values from the paper (eqs. 1-4); phi = 5 multiplies the h and n rates.",
    )
