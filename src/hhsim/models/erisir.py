"""The Erisir fast-spiking neocortical interneuron."""

from __future__ import annotations

from ..channels.erisir import SOURCE, erisir_kv3, erisir_na
from ..channels.leak import leak
from ..model import Model
from ._ions import matching


def erisir() -> Model:
    """Erisir et al. (1999) FS interneuron, reduced as in Börgers (2017), section 5.3.

    Cm 1 µF/cm²; gNa 112, gKv3 224, gL 0.5 mS/cm²; ENa 60, EK -90, EL -70 mV;
    sodium activation instantaneous.  Type II excitability: repetitive firing
    starts at a high rate (Börgers 2017, chapter 14).  Runs at 36 °C with
    ENa/EK from concentrations that give exactly 60/-90 mV there.
    """
    T = 36.0
    return Model(
        name="erisir",
        channels=(erisir_na(), erisir_kv3(), leak(0.5, -70.0)),
        Cm=1.0, temperature=T, concentrations=matching(T, e_na=60.0, e_k=-90.0),
        source=SOURCE,
        description="Erisir fast-spiking neocortical interneuron (1999), type II",
        notes=(
            "Borgers' reduced form: instantaneous m, n^2 Kv3 and no Kv1.3 current; gL 0.5 mS/cm2 "
            "(Borgers' value)."
        ),
    )
