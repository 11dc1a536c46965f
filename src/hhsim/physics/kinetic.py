"""A channel's kinetic scheme: the Markov chain of one channel built from its gates.

A channel whose conductance is ``gbar * x1**a1 * x2**a2 ...`` with independent
relaxing gates and whole-number exponents is, read as Hodgkin and Huxley
meant it, a protein with ``a1`` subunits of kind ``x1``, ``a2`` of kind ``x2``
and so on, each subunit flipping between closed and open with the gate's
rates ``alpha`` (closed -> open, 1/ms) and ``beta`` (open -> closed, 1/ms).
The channel's state is the number of open subunits of each kind, so it has
``(a1 + 1)(a2 + 1)...`` states and conducts only with every subunit open:
8 states for the squid Na channel ``m^3 h`` and 5 for K ``n^4`` (the schemes
of Fitzhugh 1965, Skaugen & Walloe 1979 and Goldwyn & Shea-Brown 2011,
PLoS Comput Biol 7:e1002247, their Fig. 1).

States are numbered in mixed radix: ``index = sum_k i_k * stride_k`` with
``i_k`` the open subunits of gate ``k`` and ``stride_0 = 1``; the fully open
state is the last one.  A channel without gates, with an instantaneous gate,
a fractional exponent or a ``conductance`` expression has no such scheme and
cannot be made noisy (:func:`kinetic_scheme` refuses it in one line).

Everything here is NumPy and reads only the channel description; the
transition probabilities of a step feed the compiled noise kernels
(:mod:`hhsim.engine.noise_kernels`) through tables built by
:mod:`hhsim.noise.lowering`.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np

from ..errors import ParameterError

#: Largest exponent of a gate made noisy (the kernels keep per-level arrays of this size).
MAX_POWER = 8


@dataclass(frozen=True)
class KineticScheme:
    """The Markov scheme of one channel from its gates.

    ``gate_names`` and ``powers`` (whole numbers >= 1) in the channel's gate
    order; ``strides`` the mixed-radix strides of the state index.
    """

    channel: str
    gate_names: tuple[str, ...]
    powers: tuple[int, ...]

    @property
    def strides(self) -> tuple[int, ...]:
        out, s = [], 1
        for a in self.powers:
            out.append(s)
            s *= a + 1
        return tuple(out)

    @property
    def n_states(self) -> int:
        return int(np.prod([a + 1 for a in self.powers]))

    @property
    def open_state(self) -> int:
        """Index of the conducting state (every subunit open): the last."""
        return self.n_states - 1

    def levels(self) -> np.ndarray:
        """(n_states, n_gates) int array: open subunits of each gate in each state."""
        idx = np.arange(self.n_states)
        return np.stack([(idx // s) % (a + 1) for s, a in zip(self.strides, self.powers)], axis=1)

    def state_labels(self) -> list[str]:
        """``m2h1`` style names of the states (open subunits per gate)."""
        return ["".join(f"{g}{i}" for g, i in zip(self.gate_names, row)) for row in self.levels()]

    def stationary(self, x_inf) -> np.ndarray:
        """Stationary probabilities of the states (n_states, ...) given each gate's
        steady state ``x_inf[k]`` (arrays broadcast): a product of binomials, since
        subunits flip independently."""
        lv = self.levels()
        out = []
        for s in range(self.n_states):
            p = 1.0
            for k, a in enumerate(self.powers):
                p = p * _binomial_pmf(lv[s, k], a, np.asarray(x_inf[k], dtype=float))
            out.append(p)
        return np.array(out)

    def generator(self, alpha, beta) -> np.ndarray:
        """The rate matrix Q (n_states x n_states, 1/ms), ``Q[i, j]`` the rate from
        state j to state i, columns summing to 0, for scalar gate rates
        ``alpha[k]``, ``beta[k]`` (1/ms)."""
        n = self.n_states
        lv = self.levels()
        q = np.zeros((n, n))
        for s in range(n):
            for k, (a, st) in enumerate(zip(self.powers, self.strides)):
                i = lv[s, k]
                if i < a:
                    q[s + st, s] += (a - i) * alpha[k]
                if i > 0:
                    q[s - st, s] += i * beta[k]
        q -= np.diag(q.sum(axis=0))
        return q

    def edges(self) -> list[tuple[int, int, int, int]]:
        """Every transition as (from state, to state, gate, multiplicity sign):
        sign +1 means rate ``(a - i) alpha`` (a subunit opens), -1 ``i beta``."""
        out = []
        lv = self.levels()
        for s in range(self.n_states):
            for k, (a, st) in enumerate(zip(self.powers, self.strides)):
                i = lv[s, k]
                if i < a:
                    out.append((s, s + st, k, +1))
                if i > 0:
                    out.append((s, s - st, k, -1))
        return out


def kinetic_scheme(channel) -> KineticScheme:
    """The kinetic scheme of ``channel`` (a :class:`~hhsim.channels.base.Channel`),
    or a :class:`ParameterError` naming why it has none."""
    name = channel.name
    if not channel.gates:
        raise ParameterError(f"channel {name!r} has no gates, so no kinetic scheme: it cannot be noisy; "
                             "accepted: channels with relaxing gates and whole-number exponents (hh Na, K)")
    if any(getattr(g, "scheme", "") for g in channel.gates):
        raise ParameterError(f"channel {name!r} has a multi-state kinetic scheme of its own; channel noise runs on "
                             "channels of HH gates (the Markov chain of their subunits), not on general schemes yet")
    if channel.conductance:
        raise ParameterError(f"channel {name!r} gives a conductance expression, not a product of gate powers, "
                             "so no kinetic scheme: it cannot be noisy")
    powers = []
    for g in channel.gates:
        if g.instantaneous:
            raise ParameterError(f"channel {name!r}: gate {g.name!r} is instantaneous, so the channel has no "
                                 "kinetic scheme and cannot be noisy")
        p = float(g.power)
        if p != round(p) or not 1 <= p <= MAX_POWER:
            raise ParameterError(f"channel {name!r}: gate {g.name!r} has exponent {g.power:g}; a kinetic "
                                 f"scheme needs whole-number exponents 1..{MAX_POWER}")
        powers.append(int(round(p)))
    return KineticScheme(name, tuple(g.name for g in channel.gates), tuple(powers))


def subunit_transition(a: int, p_co, p_oc) -> np.ndarray:
    """Transition matrix of the number of open subunits of one gate over a step.

    ``a`` subunits; ``p_co`` / ``p_oc`` (arrays broadcast) the probabilities
    that one closed subunit is open / one open subunit is closed at the end
    of the step.  Returns ``P[..., i, j]``: from ``i`` open to ``j`` open
    (rows sum to 1): ``j = i - C + O`` with ``C ~ Bin(i, p_oc)`` and
    ``O ~ Bin(a - i, p_co)`` independent.
    """
    p_co = np.asarray(p_co, dtype=float)
    p_oc = np.asarray(p_oc, dtype=float)
    shape = np.broadcast_shapes(p_co.shape, p_oc.shape)
    out = np.zeros(shape + (a + 1, a + 1))
    for i in range(a + 1):
        for c in range(i + 1):
            pc = comb(i, c) * p_oc ** c * (1.0 - p_oc) ** (i - c)
            for o in range(a - i + 1):
                po = comb(a - i, o) * p_co ** o * (1.0 - p_co) ** (a - i - o)
                out[..., i, i - c + o] += pc * po
    return out


def step_probabilities(alpha, beta, dt: float):
    """(p_co, p_oc): one subunit's probabilities of ending a step of ``dt`` (ms) open when
    closed, and closed when open, at fixed rates ``alpha``, ``beta`` (1/ms): the exact
    solution of the two-state chain, ``p_co = alpha / (alpha + beta) (1 - exp(-(alpha + beta) dt))``."""
    alpha = np.asarray(alpha, dtype=float)
    beta = np.asarray(beta, dtype=float)
    tot = alpha + beta
    decay = -np.expm1(-tot * dt)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(tot > 0, alpha / np.where(tot > 0, tot, 1.0), 0.0)
    return frac * decay, (1.0 - frac) * decay


def _binomial_pmf(k, n, p):
    """scipy.stats.binom.pmf, imported when first needed (scipy.stats takes about 0.3 s to import)."""
    from scipy.stats import binom

    return binom.pmf(k, n, p)
