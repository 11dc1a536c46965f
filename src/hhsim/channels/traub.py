"""Traub-Miles fast sodium and delayed-rectifier potassium channels.

Source: R. D. Traub and R. Miles, *Neuronal Networks of the Hippocampus*
(Cambridge University Press, 1991), in the form used by A. Destexhe's
``HH_traub.mod`` (ModelDB 123623) and by the COBAHH benchmark of
R. Brette et al., "Simulation of networks of spiking neurons: a review of
tools and strategies", J Comput Neurosci 23:349-398 (2007).

The voltage ``VT`` (channel constant, mV) shifts every rate: ``V - VT`` is
the potential in Traub's convention.  Rates in 1/ms at 36 °C; Q10 = 3
(Destexhe's ``tadj = 3^((celsius - 36)/10)``)::

    alpha_m = 0.32 (13 - v) / (exp((13 - v)/4) - 1)     beta_m = 0.28 (v - 40) / (exp((v - 40)/5) - 1)
    alpha_h = 0.128 exp((17 - v)/18)                     beta_h = 4 / (1 + exp((40 - v)/5))
    alpha_n = 0.032 (15 - v) / (exp((15 - v)/5) - 1)    beta_n = 0.5 exp((10 - v)/40)

with ``v = V - VT``; I_Na = gNa m^3 h (V - ENa), I_K = gK n^4 (V - EK).
"""

from __future__ import annotations

from .base import Channel, Gate

SOURCE = (
    "Traub RD, Miles R (1991) Neuronal Networks of the Hippocampus. Cambridge University Press; "
    "as in Brette R et al. (2007) J Comput Neurosci 23:349-398 (COBAHH) and Destexhe's HH_traub.mod"
)


def traub_na(gbar: float = 100.0, E="nernst", VT: float = -63.0) -> Channel:
    """Fast sodium, m^3 h (gNa 100 mS/cm², VT -63 mV: the COBAHH values)."""
    return Channel(
        "Na", gbar=gbar, E=E, ion="na", q10=3.0, q10_reference_c=36.0, source=SOURCE,
        params={"VT": (VT, "mV")},
        description="Traub-Miles fast Na+ (m^3 h)",
        gates=(
            Gate("m", 3, alpha="0.32*vtrap(13 - (V - VT), 4)", beta="0.28*vtrap((V - VT) - 40, 5)"),
            Gate("h", 1, alpha="0.128*exp((17 - (V - VT))/18)", beta="4/(1 + exp((40 - (V - VT))/5))"),
        ),
    )


def traub_k(gbar: float = 30.0, E="nernst", VT: float = -63.0) -> Channel:
    """Delayed-rectifier potassium, n^4 (gK 30 mS/cm²: COBAHH)."""
    return Channel(
        "K", gbar=gbar, E=E, ion="k", q10=3.0, q10_reference_c=36.0, source=SOURCE,
        params={"VT": (VT, "mV")},
        description="Traub-Miles delayed-rectifier K+ (n^4)",
        gates=(Gate("n", 4, alpha="0.032*vtrap(15 - (V - VT), 5)", beta="0.5*exp((10 - (V - VT))/40)"),),
    )
