"""High-threshold (L-type) calcium current.

Source: I. Reuveni, A. Friedman, Y. Amitai and M. J. Gutnick, "Stepwise
repolarization from Ca2+ plateaus in neocortical pyramidal cells: evidence
for nonhomogeneous distribution of HVA Ca2+ channels in dendrites",
J Neurosci 13:4609-4621 (1993); in the form of M. Pospischil et al., Biol
Cybern 99:427-441 (2008), eq. 8, and Destexhe's ``IL_gutnick.mod``.  Rates
at 36 °C, no temperature dependence (Q10 = 1)::

    alpha_q = 0.055 (-27 - V) / (exp((-27 - V)/3.8) - 1)     beta_q = 0.94 exp((-75 - V)/17)
    alpha_r = 0.000457 exp((-13 - V)/50)                     beta_r = 0.0065 / (exp((-15 - V)/28) + 1)

I_L = gCaL q^2 r (V - ECa).
"""

from __future__ import annotations

from .base import Channel, Gate

SOURCE = (
    "Reuveni I, Friedman A, Amitai Y, Gutnick MJ (1993) J Neurosci 13:4609-4621; as in "
    "Pospischil M et al. (2008) Biol Cybern 99:427-441"
)


def cal(gbar: float = 0.1, E="nernst") -> Channel:
    return Channel(
        "CaL", gbar=gbar, E=E, ion="ca", q10=1.0, q10_reference_c=36.0, source=SOURCE,
        description="L-type (high-threshold) Ca2+ (q^2 r)",
        gates=(
            Gate("q", 2, alpha="0.055*vtrap(-27 - V, 3.8)", beta="0.94*exp((-75 - V)/17)"),
            Gate("r", 1, alpha="0.000457*exp((-13 - V)/50)", beta="0.0065/(exp((-15 - V)/28) + 1)"),
        ),
    )
