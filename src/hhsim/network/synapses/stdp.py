"""Pair-based spike-timing-dependent plasticity (STDP) with pre- and postsynaptic traces.

Each plastic synapse keeps a presynaptic trace x (+1 at each of its
presynaptic spikes, decaying with ``tau_plus``) and sees its target's
postsynaptic trace y (+1 at each postsynaptic spike, decaying with
``tau_minus``); every pair of spikes interacts (all-to-all, as Song, Miller &
Abbott 2000, Brian2's STDP example and NEST's ``stdp_synapse``).

* at a postsynaptic spike (as the synapse sees it): potentiation with the
  presynaptic trace x just before it;
* at a presynaptic spike (as the synapse sees it): depression with the
  postsynaptic trace y just before it.

Rules (bounds ``w_min`` < ``w_max`` in the projection's weight unit;
``A_plus``, ``A_minus`` dimensionless, fractions of ``w_max``):

* ``additive`` (Song et al. 2000): ``w += A_plus w_max x``,
  ``w -= A_minus w_max y``, clipped to [w_min, w_max] after each change;
* ``multiplicative`` (van Rossum, Bi & Turrigiano 2000; NEST's
  ``stdp_synapse`` with mu_plus = mu_minus = 1 and w_min = 0):
  ``w += A_plus (w_max - w) x``, ``w -= A_minus (w - w_min) y``, clipped to
  [w_min, w_max].

So a single pair with the postsynaptic spike Δt = t_post - t_pre ms after the
presynaptic one (as the synapse sees them) changes an additive weight by
``A_plus w_max exp(-Δt / tau_plus)`` when Δt >= 0 and by
``-A_minus w_max exp(Δt / tau_minus)`` when Δt < 0.

Delay conventions (``delay``): where the projection's synaptic delay d sits
between the two neurons, which fixes when each spike reaches the synapse:

* ``"axonal"`` (Brian2's default for a ``Synapses`` delay: ``on_pre`` delayed,
  ``on_post`` immediate): the presynaptic spike reaches the synapse when it is
  delivered, t_pre + d; the postsynaptic spike at once, t_post.  Δt = t_post -
  (t_pre + d).
* ``"dendritic"`` (NEST's ``stdp_synapse``, whose delay is the dendritic
  delay): the presynaptic spike reaches the synapse at t_pre, the postsynaptic
  spike back-propagates to it in d ms, t_post + d.  Δt = t_post + d - t_pre.

In both the postsynaptic potential starts at t_pre + d (the delivery).  The
event delivered carries the weight after the potentiations by every earlier
postsynaptic spike and before this spike's own depression (Brian2's
``on_pre`` order: ``ge += w`` first; NEST sends the weight after it).  A pair
with Δt = 0 potentiates.

Sources: Song S, Miller KD, Abbott LF (2000) Nat Neurosci 3:919-926;
van Rossum MCW, Bi GQ, Turrigiano GG (2000) J Neurosci 20:8812-8821;
Morrison A, Diesmann M, Gerstner W (2008) Biol Cybern 98:459-478 (NEST's
``stdp_synapse`` and its dendritic delay).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...errors import ParameterError

#: The rules, by name -> the engine's code.
RULES = {"additive": 0, "multiplicative": 1}
#: The delay conventions, by name -> the share of the delay that is dendritic.
DELAYS = {"axonal": 0.0, "dendritic": 1.0}
#: The longest trace time constant accepted (ms).
MAX_TAU_MS = 1e6

_KEYS = ("tau_plus", "tau_minus", "A_plus", "A_minus", "w_max", "w_min", "rule", "delay")


@dataclass(frozen=True)
class STDP:
    """Pair-based STDP on a projection (see the module's text for the equations).

    Parameters
    ----------
    tau_plus, tau_minus : decay times (ms, > 0) of the presynaptic and
        postsynaptic traces (the potentiation and depression windows).
    A_plus, A_minus : the size of potentiation and depression per pair, as a
        fraction of ``w_max`` (additive) or of the room left (multiplicative); >= 0.
    w_max : the upper bound of the weight (> 0), in the projection's weight
        units (mS/cm², or a quantity such as ``"10 nS"`` with the target's area).
    w_min : the lower bound (>= 0, < w_max; default 0), in the same units.
    rule : ``"additive"`` (Song et al. 2000) or ``"multiplicative"``.
    delay : ``"axonal"`` (Brian2) or ``"dendritic"`` (NEST's ``stdp_synapse``).
    """

    tau_plus: float = 20.0
    tau_minus: float = 20.0
    A_plus: float = 0.01
    A_minus: float = 0.0105
    w_max: Any = 0.01
    w_min: Any = 0.0
    rule: str = "additive"
    delay: str = "axonal"

    def __post_init__(self):
        from ... import validate as _v

        for name in ("tau_plus", "tau_minus"):
            value = getattr(self, name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value <= 0:
                raise ParameterError(f"stdp {name} must be > 0 ms (got {value:g}); accepted: 0 < {name} <= "
                                     f"{MAX_TAU_MS:g} ms")
            object.__setattr__(self, name, _v.number(value, f"stdp {name}", unit="ms", lo=_v.MIN_TAU_MS,
                                                     hi=MAX_TAU_MS))
        for name in ("A_plus", "A_minus"):
            object.__setattr__(self, name, _v.number(getattr(self, name), f"stdp {name}", lo=0.0, hi=1.0))
        for name in ("w_max", "w_min"):
            w = getattr(self, name)
            if isinstance(w, (int, float)) and not isinstance(w, bool):
                w = _v.number(w, f"stdp {name}")
                if w < 0 or (name == "w_max" and w == 0):
                    raise ParameterError(f"stdp {name} must be {'> 0' if name == 'w_max' else '>= 0'} (got {w:g}): "
                                         "the weights stay in [w_min, w_max] with 0 <= w_min < w_max")
                object.__setattr__(self, name, w)
            elif not isinstance(w, (str, dict)):
                raise ParameterError(f"stdp {name} must be a number or a value with a unit such as \"10 nS\" "
                                     f"(got {type(w).__name__} {_v.shown(w)})")
        if isinstance(self.w_max, float) and isinstance(self.w_min, float) and not self.w_min < self.w_max:
            raise ParameterError(f"stdp bounds reversed: w_min = {self.w_min:g} must be < w_max = {self.w_max:g} "
                                 "(the weights stay in [w_min, w_max])")
        if not isinstance(self.rule, str) or self.rule.lower() not in RULES:
            raise ParameterError(f"unknown stdp rule {self.rule!r}; accepted: {', '.join(RULES)}")
        if not isinstance(self.delay, str) or self.delay.lower() not in DELAYS:
            raise ParameterError(f"unknown stdp delay convention {self.delay!r}; accepted: {', '.join(DELAYS)}")
        object.__setattr__(self, "rule", self.rule.lower())
        object.__setattr__(self, "delay", self.delay.lower())

    @property
    def multiplicative(self) -> bool:
        """The weight-dependent rule (NEST's mu = 1), else the additive one."""
        return RULES[self.rule] == 1

    @property
    def dendritic_share(self) -> float:
        """The share of the synaptic delay that is dendritic (0 axonal, 1 dendritic)."""
        return DELAYS[self.delay]

    @classmethod
    def from_table(cls, table: dict, where: str = "stdp") -> "STDP":
        """The rule of a TOML table (its keys only)."""
        if not isinstance(table, dict):
            raise ParameterError(f"{where} must be a table of {', '.join(_KEYS)}")
        unknown = sorted(set(table) - set(_KEYS))
        if unknown:
            raise ParameterError(f"unknown key {unknown[0]!r} in {where}; accepted: {', '.join(_KEYS)}")
        return cls(**table)

    def describe(self) -> dict:
        return {k: getattr(self, k) for k in _KEYS}
