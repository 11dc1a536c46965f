"""Persistent sodium current INaP: instantaneous activation, very slow inactivation.

Source: R. J. Butera, J. Rinzel and J. C. Smith, "Models of respiratory
rhythm generation in the pre-Bötzinger complex. I. Bursting pacemaker
neurons", J Neurophysiol 82:382-397 (1999), model 1::

    m = m_inf(V) = 1 / (1 + exp(-(V + 40)/6))                 (instantaneous)
    h_inf = 1 / (1 + exp((V + 48)/6))
    tau_h = tau_max / cosh((V + 48)/12)                         (ms, tau_max = 10000)

I_NaP = gNaP m h (V - ENa); gNaP 2.8 nS in a 21 pF cell = 0.133 mS/cm².
"""

from __future__ import annotations

from .base import Channel, Gate

SOURCE = (
    "Butera RJ, Rinzel J, Smith JC (1999) Models of respiratory rhythm generation in the "
    "pre-Botzinger complex. I. J Neurophysiol 82:382-397"
)


def nap(gbar: float = 0.133, E="nernst", tau_max: float = 10000.0) -> Channel:
    return Channel(
        "NaP", gbar=gbar, E=E, ion="na", q10=1.0, q10_reference_c=36.0, source=SOURCE,
        params={"tau_max": (tau_max, "ms")},
        description="persistent Na+ (m_inf h, slow inactivation)",
        gates=(
            Gate("m", 1, inf="1/(1 + exp(-(V + 40)/6))"),
            Gate("h", 1, inf="1/(1 + exp((V + 48)/6))", tau="tau_max/cosh((V + 48)/12)"),
        ),
    )
