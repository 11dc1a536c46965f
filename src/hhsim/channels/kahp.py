"""Calcium-activated potassium current (slow AHP), voltage independent.

Source: A. Destexhe, D. Contreras, T. J. Sejnowski and M. Steriade, "A
model of spindle rhythmicity in the isolated thalamic reticular nucleus",
J Neurophysiol 72:803-818 (1994), ``iahp.mod``: a first-order binding of
two calcium ions, half-activated at ``cac``.  At 22 °C, Q10 = 3::

    car   = (Ca_i / cac)^2
    m_inf = car / (1 + car)
    tau_m = max(1 / (beta (1 + car)), taumin)       (ms)

I_AHP = gAHP m^2 (V - EK), with ``beta`` 0.03 /ms, ``cac`` 0.025 mM,
``taumin`` 0.1 ms.  (The original clips tau after the temperature factor;
here the clip applies to the 22 °C value.)  Needs a calcium pool (``Ca_i``).
"""

from __future__ import annotations

from .base import Channel, Gate

SOURCE = (
    "Destexhe A, Contreras D, Sejnowski TJ, Steriade M (1994) A model of spindle rhythmicity in "
    "the isolated thalamic reticular nucleus. J Neurophysiol 72:803-818"
)


def kahp(gbar: float = 1.0, E="nernst", beta: float = 0.03, cac: float = 0.025,
         taumin: float = 0.1) -> Channel:
    return Channel(
        "AHP", gbar=gbar, E=E, ion="k", q10=3.0, q10_reference_c=22.0, source=SOURCE,
        params={"beta": (beta, "1/ms"), "cac": (cac, "mM"), "taumin": (taumin, "ms")},
        description="Ca2+-activated K+ (slow AHP, m^2)",
        gates=(Gate("m", 2, inf="(Ca_i/cac)**2/(1 + (Ca_i/cac)**2)",
                    tau="max(1/(beta*(1 + (Ca_i/cac)**2)), taumin)"),),
    )
