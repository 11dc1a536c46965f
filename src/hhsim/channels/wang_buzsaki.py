"""Wang-Buzsaki sodium (instantaneous activation) and potassium channels.

Source: X.-J. Wang and G. Buzsáki, "Gamma oscillation by synaptic
inhibition in a hippocampal interneuronal network model", J Neurosci
16:6402-6413 (1996), equations 2-4.  Rates in 1/ms; ``phi`` (= 5) speeds up
h and n (the paper's temperature factor; a channel constant here)::

    m = m_inf(V) = alpha_m / (alpha_m + beta_m)          (instantaneous)
    alpha_m = 0.1 (V + 35) / (1 - exp(-(V + 35)/10))     beta_m = 4 exp(-(V + 60)/18)
    alpha_h = phi 0.07 exp(-(V + 58)/20)                  beta_h = phi / (exp(-0.1 (V + 28)) + 1)
    alpha_n = phi 0.01 (V + 34) / (1 - exp(-0.1 (V + 34)))
    beta_n  = phi 0.125 exp(-(V + 44)/80)

I_Na = gNa m_inf^3 h (V - ENa) with gNa 35 mS/cm²; I_K = gK n^4 (V - EK), gK 9.
"""

from __future__ import annotations

from .base import Channel, Gate

SOURCE = (
    "Wang X-J, Buzsaki G (1996) Gamma oscillation by synaptic inhibition in a hippocampal "
    "interneuronal network model. J Neurosci 16:6402-6413"
)


def wb_na(gbar: float = 35.0, E="nernst", phi: float = 5.0) -> Channel:
    """Sodium with instantaneous activation m_inf(V)^3 and inactivation h."""
    return Channel(
        "Na", gbar=gbar, E=E, ion="na", q10=3.0, q10_reference_c=36.0, source=SOURCE,
        params={"phi": (phi, "1")},
        description="Wang-Buzsaki Na+ (m_inf^3 h, instantaneous activation)",
        gates=(
            Gate("m", 3, alpha="0.1*linexp(V + 35, 10)", beta="4*exp(-(V + 60)/18)", instantaneous=True),
            Gate("h", 1, alpha="phi*0.07*exp(-(V + 58)/20)", beta="phi/(exp(-0.1*(V + 28)) + 1)"),
        ),
    )


def wb_k(gbar: float = 9.0, E="nernst", phi: float = 5.0) -> Channel:
    """Delayed-rectifier potassium, n^4."""
    return Channel(
        "K", gbar=gbar, E=E, ion="k", q10=3.0, q10_reference_c=36.0, source=SOURCE,
        params={"phi": (phi, "1")},
        description="Wang-Buzsaki delayed-rectifier K+ (n^4)",
        gates=(Gate("n", 4, alpha="phi*0.01*linexp(V + 34, 10)", beta="phi*0.125*exp(-(V + 44)/80)"),),
    )
