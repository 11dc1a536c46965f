"""Multi-state kinetic schemes: a channel gate as a Markov chain of named states.

A kinetic scheme (NeuroML's ``gateKS``, NMODL's ``KINETIC`` block) is a set
of states (occupancies, fractions of the channels in each state, summing to
1) joined by first-order transitions ``A -> B`` at rates ``k(V)`` (1/ms)::

    dx_B/dt = sum_A k_{A->B}(V) x_A - (sum_C k_{B->C}(V)) x_B

hhsim keeps one state variable per scheme state: each is a
:class:`SchemeState`, a gate of its channel (so that it is a named state of
the model, ``Kv.O``, recorded and set like any gate) that carries the rates
of the transitions *leaving* it.  The channel's ``conductance`` expression
reads the open states (``"gbar * O"``, ``"gbar * (O1 + O2)**2 * h"``).

In the compiled kernels the explicit Runge-Kutta methods and dopri5 integrate
the equations above as written; exponential Euler advances a scheme's
occupancies by one backward-Euler step at the rates of the step's start,
``x(t + dt) = (I - dt Q)^-1 x(t)`` (an unrolled elimination; ``I - dt Q`` is
column diagonally dominant, so no pivoting is needed), which keeps the
occupancies >= 0 and their sum exact for any step, is first order like the
rest of exponential Euler, and is NEURON's ``METHOD sparse``.  The steady
state at V is the null vector of ``Q(V)`` normalised to sum 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ModelError
from . import expr as _expr
from .base import MAX_SCHEME_STATES, Const, Exp, Expr, Gate, LinExp, RateForm, Sigmoid, _as_form, check_schemes



def plain_form(form: RateForm) -> RateForm:
    """``form`` with its own parameters written as numbers (an :class:`Expr` reading only
    ``V``, the channel's constants and concentrations), so that a scheme's rates carry no
    per-form parameters.  Built-in shapes become the same formula as text."""
    num = lambda x: repr(float(x))  # noqa: E731
    if isinstance(form, Expr):
        if not form.params:
            return form
        values = {n: f"({num(v)})" for n, v in form.params}
        return Expr(_expr.unparse(form.tree, rename=values))
    n = {p: num(v) for p, v in zip(form.param_names, form.values())}
    if isinstance(form, Const):
        return Expr(n["value"])
    if isinstance(form, Exp):
        return Expr(f"({n['A']})*exp((V - ({n['V0']}))/({n['k']}))")
    if isinstance(form, Sigmoid):
        return Expr(f"({n['A']})/(1 + exp((V - ({n['V0']}))/({n['k']})))")
    if isinstance(form, LinExp):
        return Expr(f"({n['A']})*linexp(V - ({n['V0']}), {n['k']})")
    raise ModelError(f"rate form {form!r} cannot be a transition rate of a kinetic scheme")


@dataclass(frozen=True)
class SchemeState(Gate):
    """One state of a kinetic scheme: an occupancy (0..1) and the transitions leaving it.

    ``scheme``: the name of the scheme it belongs to (a channel may have
    several, each conserving its own total); ``targets[k]`` the state the
    k-th transition leads to, at rate ``out_rates[k]`` (1/ms, a rate form or an
    expression of V, the channel's constants and concentrations; multiplied
    by the channel's temperature factor).  Its ``power`` is unused: the
    channel's ``conductance`` expression says how the states conduct.
    """

    scheme: str = ""
    targets: tuple[str, ...] = ()
    out_rates: tuple[RateForm, ...] = ()

    def __post_init__(self):
        if not (isinstance(self.name, str) and self.name.isidentifier()) or self.name in ("V", "v"):
            raise ModelError(f"kinetic state name {self.name!r} must be an identifier other than V")
        if not (isinstance(self.scheme, str) and self.scheme):
            raise ModelError(f"kinetic state {self.name!r} needs the name of its scheme")
        targets = tuple(self.targets)
        try:
            rates = tuple(plain_form(_as_form(r)) for r in self.out_rates)
        except _expr.ExprError as exc:
            raise _expr.ExprError(f"kinetic state {self.name!r}: {exc}") from None
        if len(targets) != len(rates) or len(set(targets)) != len(targets) or self.name in targets:
            raise ModelError(f"kinetic state {self.name!r}: give one rate per other state it leads to "
                             f"(targets {list(targets)}, {len(rates)} rates)")
        object.__setattr__(self, "targets", targets)
        object.__setattr__(self, "out_rates", rates)
        object.__setattr__(self, "power", 1.0)

    @property
    def form_names(self) -> tuple[str, ...]:
        return tuple(f"to_{t}" for t in self.targets)

    @property
    def forms(self) -> tuple[RateForm, ...]:
        return self.out_rates

    def _none(self, what: str):
        raise ModelError(f"gate {self.name!r} is a state of the kinetic scheme {self.scheme!r}: it has no "
                         f"{what} of its own (the scheme's occupancies relax together; see "
                         "Model.gate_steady_states for their steady state)")

    def steady_state(self, v, env=None):
        self._none("steady state")

    def time_constant(self, v, phi: float = 1.0, env=None):
        self._none("time constant")

    def rates_at(self, v, phi: float = 1.0, env=None) -> dict[str, np.ndarray]:
        """Target state -> rate of the transition to it (1/ms) at V."""
        return {t: phi * np.asarray(f(v, env), dtype=float) for t, f in zip(self.targets, self.out_rates)}

    def rates(self, v, phi: float = 1.0, env=None):
        self._none("alpha and beta")

    def relaxation(self, v, phi: float = 1.0, env=None):
        self._none("relaxation")


def scheme_states(scheme: str, states: list[str], transitions) -> tuple[SchemeState, ...]:
    """The :class:`SchemeState` gates of a scheme.

    ``states``: the state names in order; ``transitions``: (from, to, forward
    rate, reverse rate or None) with rates as rate forms or expression strings
    (1/ms); parallel transitions between the same two states add up.
    """
    states = list(states)
    if len(states) < 2:
        raise ModelError(f"kinetic scheme {scheme!r} needs at least two states (got {states})")
    if len(states) > MAX_SCHEME_STATES:
        raise ModelError(f"kinetic scheme {scheme!r} has {len(states)} states; accepted: at most "
                         f"{MAX_SCHEME_STATES}")
    if len(set(states)) != len(states):
        raise ModelError(f"kinetic scheme {scheme!r}: state names must be unique, got {states}")
    out: dict[str, dict[str, list[str]]] = {s: {} for s in states}
    for a, b, fwd, rev in transitions:
        for x in (a, b):
            if x not in out:
                raise ModelError(f"kinetic scheme {scheme!r}: transition {a} <-> {b} names unknown state {x!r}; "
                                 f"states: {', '.join(states)}")
        if a == b:
            raise ModelError(f"kinetic scheme {scheme!r}: transition from {a!r} to itself")
        for src, dst, form in ((a, b, fwd), (b, a, rev)):
            if form is None:
                continue
            text = _text(_as_form(form))
            out[src].setdefault(dst, []).append(text)
    gates = []
    for s in states:
        targets = tuple(out[s])
        rates = tuple(Expr(" + ".join(f"({t})" for t in out[s][d])) if len(out[s][d]) > 1 else Expr(out[s][d][0])
                      for d in targets)
        gates.append(SchemeState(s, 1, scheme=scheme, targets=targets, out_rates=rates))
    return tuple(gates)


def _text(form: RateForm) -> str:
    f = plain_form(form)
    return f.text


def is_scheme_state(gate) -> bool:
    return isinstance(gate, SchemeState)


def generator(gates, v, phi: float = 1.0, env=None) -> np.ndarray:
    """The rate matrix ``Q`` (n x n x shape of V, 1/ms) of one scheme's states ``gates`` (in
    order): ``Q[i, j]`` the rate from state j to state i, columns summing to 0."""
    v = np.asarray(v, dtype=float)
    index = {g.name: k for k, g in enumerate(gates)}
    n = len(gates)
    q = np.zeros((n, n) + v.shape)
    for j, g in enumerate(gates):
        for t, k in g.rates_at(v, phi, env).items():
            q[index[t], j] += k
            q[j, j] -= k
    return q


def stationary(q: np.ndarray) -> np.ndarray:
    """The occupancies (n x ...) with ``Q x = 0`` and ``sum x = 1`` for rate matrices ``q``
    (n x n x ...)."""
    n = q.shape[0]
    rest = q.shape[2:]
    m = np.moveaxis(np.asarray(q, dtype=float).reshape(n, n, -1), 2, 0).copy()
    m[:, n - 1, :] = 1.0
    rhs = np.zeros((m.shape[0], n))
    rhs[:, n - 1] = 1.0
    try:
        x = np.linalg.solve(m, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:  # a state no transition reaches or leaves at some V
        x = np.array([np.linalg.lstsq(mk, rk, rcond=None)[0] for mk, rk in zip(m, rhs)])
    return np.moveaxis(x, 1, 0).reshape((n,) + rest)


__all__ = ["SchemeState", "scheme_states", "check_schemes", "generator", "stationary", "plain_form",
           "MAX_SCHEME_STATES"]


def equation_lines(gates, phi_name: str = "q10_factor") -> list[str]:
    """The equations of a scheme's states as text, one state per line with its transitions'
    rates (for model descriptions)::

        dC1/dt = q10_factor * (k_C2->C1 C2 - (k_C1->C2) C1)
          k_C1->C2(V) = 4 * (0.01 * vtrap(-(V + 55), 10))
    """
    gates = [g for g in gates if isinstance(g, SchemeState)]
    into: dict[str, list[str]] = {g.name: [] for g in gates}
    for g in gates:
        for t in g.targets:
            into[t].append(f"k_{g.name}->{t} {g.name}")
    lines = []
    for g in gates:
        out = " + ".join(f"k_{g.name}->{t}" for t in g.targets) or "0"
        gain = " + ".join(into[g.name]) or "0"
        lines.append(f"d{g.name}/dt = {phi_name} * ({gain} - ({out}) {g.name})")
        lines += [f"  k_{g.name}->{t}(V) = {_expr.unparse(f.tree)}" for t, f in zip(g.targets, g.forms)]
    return lines
