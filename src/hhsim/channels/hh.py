"""The Hodgkin-Huxley (1952) squid giant axon channels.

Source: A. L. Hodgkin and A. F. Huxley, "A quantitative description of
membrane current and its application to conduction and excitation in
nerve", J. Physiol. 117:500-544 (1952), equations 7-26.

Two voltage conventions are provided:

* ``modern``: V is the absolute membrane potential (mV), rest near -65 mV;
  the rate functions are the paper's shifted by -65 mV and with the sign of
  V reversed (depolarisation positive), as in NEURON's ``hh`` mechanism.
* ``1952``: V is the displacement from rest (mV), depolarisation positive,
  rest at 0 mV.  (The paper itself counted depolarisation as negative; every
  textbook reprint, and this package, flips that sign so that a spike goes
  up.)  E_Na = 115, E_K = -12, E_L = 10.613 mV.
"""

from __future__ import annotations

from .base import Channel, Exp, Gate, LinExp, Sigmoid

HH1952 = (
    "Hodgkin AL, Huxley AF (1952) A quantitative description of membrane current and its "
    "application to conduction and excitation in nerve. J Physiol 117:500-544"
)


def _gates(shift: float):
    """m, h, n gates of the 1952 paper, with V measured as (V_paper_flipped + shift)."""
    m = Gate(
        "m", 3,
        alpha=LinExp(A=0.1, k=10.0, V0=25.0 + shift),
        beta=Exp(A=4.0, k=-18.0, V0=shift),
    )
    h = Gate(
        "h", 1,
        alpha=Exp(A=0.07, k=-20.0, V0=shift),
        beta=Sigmoid(A=1.0, k=-10.0, V0=30.0 + shift),
    )
    n = Gate(
        "n", 4,
        alpha=LinExp(A=0.01, k=10.0, V0=10.0 + shift),
        beta=Exp(A=0.125, k=-80.0, V0=shift),
    )
    return m, h, n


def hh_channels(convention: str = "modern") -> tuple[Channel, Channel, Channel]:
    """The Na, K and leak channels of the squid axon in the given voltage convention."""
    if convention == "modern":
        shift, e_na, e_k, e_l = -65.0, 50.0, -77.0, -54.387
    elif convention == "1952":
        shift, e_na, e_k, e_l = 0.0, 115.0, -12.0, 10.613
    else:
        raise ValueError(f"unknown convention {convention!r}; use 'modern' or '1952'")
    m, h, n = _gates(shift)
    na = Channel("Na", gbar=120.0, E=e_na, gates=(m, h), ion="na", source=HH1952)
    k = Channel("K", gbar=36.0, E=e_k, gates=(n,), ion="k", source=HH1952)
    leak = Channel("L", gbar=0.3, E=e_l, gates=(), ion="", source=HH1952)
    return na, k, leak


def hh_na(convention: str = "modern") -> Channel:
    """The squid-axon sodium channel, m^3 h (gNa 120 mS/cm²)."""
    return hh_channels(convention)[0].replace(description="Hodgkin-Huxley squid-axon Na+ (m^3 h)")


def hh_k(convention: str = "modern") -> Channel:
    """The squid-axon potassium channel, n^4 (gK 36 mS/cm²)."""
    return hh_channels(convention)[1].replace(description="Hodgkin-Huxley squid-axon K+ (n^4)")


def hh_leak(convention: str = "modern") -> Channel:
    """The squid-axon leak (gL 0.3 mS/cm²)."""
    return hh_channels(convention)[2].replace(description="Hodgkin-Huxley squid-axon leak")
