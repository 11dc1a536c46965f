"""The M-current: a slow, non-inactivating potassium current (spike-frequency adaptation).

Source: W. M. Yamada, C. Koch and P. R. Adams, "Multiple channels and
calcium dynamics", in *Methods in Neuronal Modeling* (Koch and Segev, eds.,
MIT Press, 1989), pp. 97-134; in the form of M. Pospischil et al., Biol
Cybern 99:427-441 (2008), eq. 6, and Destexhe's ``IM_cortex.mod``.  At 36 °C,
Q10 = 2.3::

    p_inf = 1 / (1 + exp(-(V + 35)/10))
    tau_p = tau_max / (3.3 exp((V + 35)/20) + exp(-(V + 35)/20))      (ms)

I_M = gM p (V - EK).  ``tau_max`` (channel constant ``M.tau_max``, ms) is
the peak time constant.
"""

from __future__ import annotations

from .base import Channel, Gate

SOURCE = (
    "Yamada WM, Koch C, Adams PR (1989) Multiple channels and calcium dynamics, in Methods in "
    "Neuronal Modeling, MIT Press; as in Pospischil M et al. (2008) Biol Cybern 99:427-441"
)


def m_current(gbar: float = 0.07, E="nernst", tau_max: float = 1000.0) -> Channel:
    return Channel(
        "M", gbar=gbar, E=E, ion="k", q10=2.3, q10_reference_c=36.0, source=SOURCE,
        params={"tau_max": (tau_max, "ms")},
        description="M-current: slow non-inactivating K+ (p)",
        gates=(Gate("p", 1, inf="1/(1 + exp(-(V + 35)/10))",
                    tau="tau_max/(3.3*exp((V + 35)/20) + exp(-(V + 35)/20))"),),
    )
