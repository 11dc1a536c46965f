"""Hyperpolarisation-activated cation current Ih (HCN, "anomalous rectifier").

Source: J. R. Huguenard and D. A. McCormick, J Neurophysiol 68:1373-1383
(1992), from the voltage-clamp data of D. A. McCormick and H.-C. Pape,
J Physiol 431:291-318 (1990); in the form of A. Destexhe's ``iar.mod``
(Destexhe et al., Biophys J 65:1538-1552, 1993) without its calcium
up-regulation.  At 36 °C, Q10 = 3::

    r_inf = 1 / (1 + exp((V + 75)/5.5))
    tau_r = taum + 1000 / (exp((V + 71.5)/14.2) + exp(-(V + 89)/11.6))     (ms, taum = 20)

I_H = gH r (V - EH), EH = -40 mV (mixed Na+/K+); the gate is called r here.
"""

from __future__ import annotations

from .base import Channel, Gate

SOURCE = (
    "Huguenard JR, McCormick DA (1992) J Neurophysiol 68:1373-1383; McCormick DA, Pape H-C (1990) "
    "J Physiol 431:291-318; Destexhe's iar.mod (Destexhe A et al. 1993 Biophys J 65:1538-1552)"
)


def ih(gbar: float = 0.02, E: float = -40.0, taum: float = 20.0) -> Channel:
    return Channel(
        "H", gbar=gbar, E=E, ion="", q10=3.0, q10_reference_c=36.0, source=SOURCE,
        params={"taum": (taum, "ms")},
        description="Ih, hyperpolarisation-activated cation current (HCN)",
        gates=(Gate("r", 1, inf="1/(1 + exp((V + 75)/5.5))",
                    tau="taum + 1000/(exp((V + 71.5)/14.2) + exp(-(V + 89)/11.6))"),),
    )
