"""Synapse families, one per module, and the table of kinds by name.

Every synapse names its kinetics, reversal potential (mV) and source.  The
weight of a projection is the synapse's peak (linear kinds) or maximal
(kinetic and graded kinds) conductance density on the target, mS/cm², or a
quantity with units converted by the target population's area.
"""

from __future__ import annotations

from ...errors import ParameterError
from .base import Synapse
from .current import AlphaCurrent, ExpCurrent
from .custom import Custom
from .gap import Gap
from .graded import Graded
from .kinetic import AMPA, GABA_A, GABA_B, NMDA
from .linear import Alpha, BiExp, Exp
from .stdp import STDP
from .stp import TsodyksMarkram

#: kind name -> class, as used in TOML files (`kind = "exp"`).
KINDS: dict[str, type[Synapse]] = {
    "exp": Exp,
    "alpha": Alpha,
    "biexp": BiExp,
    "exp_current": ExpCurrent,
    "alpha_current": AlphaCurrent,
    "ampa": AMPA,
    "gaba_a": GABA_A,
    "gaba_b": GABA_B,
    "nmda": NMDA,
    "graded": Graded,
    "gap": Gap,
    "custom": Custom,
}


def make(kind: str, **params) -> Synapse:
    """The synapse of ``kind`` with ``params`` (its own keys only)."""
    try:
        cls = KINDS[str(kind).lower()]
    except KeyError:
        raise ParameterError(f"unknown synapse kind {kind!r}; accepted: {', '.join(KINDS)}") from None
    return cls.from_params(params)


__all__ = ["KINDS", "make", "Synapse", "Exp", "Alpha", "BiExp", "ExpCurrent", "AlphaCurrent", "AMPA", "GABA_A", "GABA_B", "NMDA",
           "Graded", "Gap", "Custom", "TsodyksMarkram", "STDP"]
