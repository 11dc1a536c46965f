"""Erisir fast-spiking interneuron channels: Na+ and the Kv3 delayed rectifier.

Source: A. Erisir, D. Lau, B. Rudy and C. S. Leonard, "Function of specific
K+ channels in sustained high-frequency firing of fast-spiking neocortical
interneurons", J Neurophysiol 82:2476-2489 (1999); in the reduced form of
C. Börgers, *An Introduction to Modeling Neuronal Dynamics* (Springer,
2017), section 5.3 (sodium activation instantaneous, Kv3 as n^2, no Kv1.3).
Rates in 1/ms::

    alpha_m = 40 (75.5 - V) / (exp((75.5 - V)/13.5) - 1)      beta_m = 1.2262 exp(-V/42.248)
    alpha_h = 0.0035 exp(-V/24.186)                           beta_h = 0.017 (V + 51.25) / (1 - exp(-(V + 51.25)/5.2))
    alpha_n = (95 - V) / (exp((95 - V)/11.8) - 1)             beta_n = 0.025 exp(-V/22.222)

I_Na = gNa m_inf^3 h (V - ENa), I_Kv3 = gK n^2 (V - EK).
"""

from __future__ import annotations

from .base import Channel, Gate

SOURCE = (
    "Erisir A, Lau D, Rudy B, Leonard CS (1999) J Neurophysiol 82:2476-2489; reduced form of "
    "Borgers C (2017) An Introduction to Modeling Neuronal Dynamics, Springer, section 5.3"
)


def erisir_na(gbar: float = 112.0, E="nernst") -> Channel:
    return Channel(
        "Na", gbar=gbar, E=E, ion="na", q10=3.0, q10_reference_c=36.0, source=SOURCE,
        description="Erisir Na+ (m_inf^3 h, instantaneous activation)",
        gates=(
            Gate("m", 3, alpha="40*vtrap(75.5 - V, 13.5)", beta="1.2262*exp(-V/42.248)", instantaneous=True),
            Gate("h", 1, alpha="0.0035*exp(-V/24.186)", beta="0.017*linexp(V + 51.25, 5.2)"),
        ),
    )


def erisir_kv3(gbar: float = 224.0, E="nernst") -> Channel:
    return Channel(
        "K", gbar=gbar, E=E, ion="k", q10=3.0, q10_reference_c=36.0, source=SOURCE,
        description="Erisir Kv3 delayed rectifier (n^2)",
        gates=(Gate("n", 2, alpha="vtrap(95 - V, 11.8)", beta="0.025*exp(-V/22.222)"),),
    )
