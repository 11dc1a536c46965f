"""Low-threshold (T-type) calcium current: the rebound burst.

Source: J. R. Huguenard and D. A. McCormick, "Simulation of the currents
involved in rhythmic oscillations in thalamic relay neurons",
J Neurophysiol 68:1373-1383 (1992); in A. Destexhe's ``IT.mod`` (1993,
modified 1995: activation at steady state, inactivation time constant a
bi-exponential fit) as used by Destexhe et al., J Neurophysiol 76:2049-2070
(1996) and M. Pospischil et al., Biol Cybern 99:427-441 (2008), eq. 11.
``Vx`` (channel constant ``CaT.Vx``, mV) shifts the voltage dependence
(+2 mV for 2 mM extracellular calcium).  Inactivation time constant at
24 °C with Q10 = 3 (factor 3^1.2 = 3.74 at 36 °C)::

    s = s_inf(V) = 1 / (1 + exp(-(V + Vx + 57)/6.2))         (instantaneous)
    u_inf = 1 / (1 + exp((V + Vx + 81)/4))
    tau_u = 30.8 + (211.4 + exp((V + Vx + 113.2)/5)) / (1 + exp((V + Vx + 84)/3.2))   (ms)

I_T = gT s^2 u (V - ECa), or with ``E="ghk"`` the GHK current
pT s^2 u GHK(V, Ca_i, Ca_out) (pT in cm/s, as in Destexhe et al. 1998,
J Neurosci 18:3574-3588, ``ITGHK.mod``: default 2e-4 cm/s).
"""

from __future__ import annotations

from .base import Channel, Gate

SOURCE = (
    "Huguenard JR, McCormick DA (1992) J Neurophysiol 68:1373-1383; Destexhe's IT.mod as in "
    "Destexhe A et al. (1996) J Neurophysiol 76:2049-2070 and Pospischil M et al. (2008) Biol Cybern "
    "99:427-441"
)


def cat(gbar: float = 0.4, E="nernst", Vx: float = 2.0) -> Channel:
    """T-type calcium; ``E="ghk"`` makes ``gbar`` a permeability in cm/s."""
    return Channel(
        "CaT", gbar=gbar, E=E, ion="ca", q10=3.0, q10_reference_c=24.0, source=SOURCE,
        params={"Vx": (Vx, "mV")},
        description="T-type (low-threshold) Ca2+ (s_inf^2 u)",
        gates=(
            Gate("s", 2, inf="1/(1 + exp(-(V + Vx + 57)/6.2))"),
            Gate("u", 1, inf="1/(1 + exp((V + Vx + 81)/4))",
                 tau="30.8 + (211.4 + exp((V + Vx + 113.2)/5))/(1 + exp((V + Vx + 84)/3.2))"),
        ),
    )


def cat_ghk(pbar: float = 2e-4, Vx: float = 2.0) -> Channel:
    """The same T-type gating with a GHK calcium current (permeability in cm/s)."""
    return cat(pbar, "ghk", Vx).replace(description="T-type (low-threshold) Ca2+, GHK current (s_inf^2 u)")
