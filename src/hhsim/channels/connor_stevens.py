"""Connor-Stevens channels: fast Na+, delayed-rectifier K+ and the transient A-current.

Sources: J. A. Connor, D. Walter and R. McKown, "Neural repetitive firing:
modifications of the Hodgkin-Huxley axon suggested by experimental results
from crustacean axons", Biophys J 18:81-102 (1977); in the form given by
P. Dayan and L. F. Abbott, *Theoretical Neuroscience* (MIT Press, 2001),
section 6.2 (equations 6.1-6.2 and the rate functions of its exercises).
Rates in 1/ms, V in mV::

    alpha_m = 0.38 (V + 29.7) / (1 - exp(-0.1 (V + 29.7)))   beta_m = 15.2 exp(-0.0556 (V + 54.7))
    alpha_h = 0.266 exp(-0.05 (V + 48))                       beta_h = 3.8 / (1 + exp(-0.1 (V + 18)))
    alpha_n = 0.02 (V + 45.7) / (1 - exp(-0.1 (V + 45.7)))   beta_n = 0.25 exp(-0.0125 (V + 55.7))
    a_inf = (0.0761 exp(0.0314 (V + 94.22)) / (1 + exp(0.0346 (V + 1.17))))^(1/3)
    tau_a = 0.3632 + 1.158 / (1 + exp(0.0497 (V + 55.96)))
    b_inf = (1 / (1 + exp(0.0688 (V + 53.3))))^4
    tau_b = 1.24 + 2.678 / (1 + exp(0.0624 (V + 50)))

I_A = gA a^3 b (V - EA).  The A-current is written with named constants
(``A.Va`` ... overridable) to show each parameter's role in ``hhsim rates``.
"""

from __future__ import annotations

from .base import Channel, Gate

SOURCE = (
    "Connor JA, Walter D, McKown R (1977) Biophys J 18:81-102; as given in Dayan P, Abbott LF "
    "(2001) Theoretical Neuroscience, MIT Press, section 6.2"
)


def cs_na(gbar: float = 120.0, E: float = 55.0) -> Channel:
    return Channel(
        "Na", gbar=gbar, E=E, ion="na", q10=3.0, q10_reference_c=18.0, source=SOURCE,
        description="Connor-Stevens fast Na+ (m^3 h)",
        gates=(
            Gate("m", 3, alpha="0.38*linexp(V + 29.7, 10)", beta="15.2*exp(-0.0556*(V + 54.7))"),
            Gate("h", 1, alpha="0.266*exp(-0.05*(V + 48))", beta="3.8/(1 + exp(-0.1*(V + 18)))"),
        ),
    )


def cs_k(gbar: float = 20.0, E: float = -72.0) -> Channel:
    return Channel(
        "K", gbar=gbar, E=E, ion="k", q10=3.0, q10_reference_c=18.0, source=SOURCE,
        description="Connor-Stevens delayed-rectifier K+ (n^4)",
        gates=(Gate("n", 4, alpha="0.02*linexp(V + 45.7, 10)", beta="0.25*exp(-0.0125*(V + 55.7))"),),
    )


def cs_a(gbar: float = 47.7, E: float = -75.0) -> Channel:
    """The transient (A-type) potassium current, a^3 b."""
    return Channel(
        "A", gbar=gbar, E=E, ion="k", q10=3.0, q10_reference_c=18.0, source=SOURCE,
        description="Connor-Stevens transient A-type K+ (a^3 b)",
        params={
            "Va": (-94.22, "mV"), "ka": (0.0314, "1/mV"), "Vb": (-1.17, "mV"), "kb": (0.0346, "1/mV"),
            "Vi": (-53.3, "mV"), "ki": (0.0688, "1/mV"),
        },
        gates=(
            Gate("a", 3, inf="(0.0761*exp(ka*(V - Va))/(1 + exp(kb*(V - Vb))))**(1/3)",
                 tau="0.3632 + 1.158/(1 + exp(0.0497*(V + 55.96)))"),
            Gate("b", 1, inf="(1/(1 + exp(ki*(V - Vi))))**4",
                 tau="1.24 + 2.678/(1 + exp(0.0624*(V + 50)))"),
        ),
    )
