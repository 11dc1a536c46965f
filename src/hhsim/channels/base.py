"""Building blocks of a conductance-based model: rate forms, gates, channels.

A *rate form* is a named function of the membrane potential with a few
parameters (the standard Hodgkin-Huxley shapes).  A *gate* pairs two rate
forms, either ``alpha``/``beta`` (opening and closing rates, 1/ms) or
``inf``/``tau`` (steady state, dimensionless, and time constant, ms).  A
*channel* multiplies its maximal conductance by the product of its gates
raised to their exponents, and drives current towards its reversal potential::

    I = gbar * x1**p1 * x2**p2 ... * (V - E)       (µA/cm²)

Every object here is immutable; ``replace`` returns a modified copy.  Each
rate form can be evaluated with NumPy (``form(v)``) and can emit the same
expression as source text for the compiled kernels (``form.emit``).  The
emitted source only ever contains our own templates and indices into a
parameter array: no user text reaches the code generator.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

# Below this |x| the linear-over-exponential form uses its Taylor series.
# The series 1 + x/2 + x^2/12 has error x^4/720 < 2e-19 there.
LINEXP_SERIES_BELOW = 1e-4


@dataclass(frozen=True)
class RateForm:
    """A rate (1/ms), steady state or time constant (ms) as a function of V (mV).

    Subclasses define ``param_names`` (their fields, in order), ``__call__``
    for NumPy arrays, and ``template``: a format string using ``{v}`` and the
    parameter names, calling helpers defined in the kernel module.
    """

    param_names: ClassVar[tuple[str, ...]] = ()
    template: ClassVar[str] = ""
    kind: ClassVar[str] = ""

    def values(self) -> tuple[float, ...]:
        return tuple(float(getattr(self, n)) for n in self.param_names)

    def emit(self, v: str, param_exprs: tuple[str, ...]) -> str:
        """Source text of this form, with ``param_exprs`` standing for the parameters."""
        return emit_form(type(self), v, param_exprs)

    def __call__(self, v):  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:
        """Human-readable formula with the parameter values substituted."""
        vals = {n: _fmt(getattr(self, n)) for n in self.param_names}
        return self.formula.format(**vals)

    formula: ClassVar[str] = ""


def emit_form(cls: type[RateForm], v: str, param_exprs: tuple[str, ...]) -> str:
    """Source text of a rate form of class ``cls`` (see ``RateForm.template``)."""
    return cls.template.format(v=v, **dict(zip(cls.param_names, param_exprs)))


def _fmt(x: float) -> str:
    return f"{x:g}"


@dataclass(frozen=True)
class Exp(RateForm):
    """``A * exp((V - V0) / k)``."""

    A: float
    k: float
    V0: float
    param_names: ClassVar = ("A", "k", "V0")
    template: ClassVar = "_exp_rate({v}, {A}, {k}, {V0})"
    kind: ClassVar = "exp"
    formula: ClassVar = "{A}*exp((V - ({V0}))/{k})"

    def __call__(self, v):
        return self.A * np.exp((np.asarray(v, dtype=float) - self.V0) / self.k)


@dataclass(frozen=True)
class Sigmoid(RateForm):
    """``A / (1 + exp((V - V0) / k))`` (use k < 0 for a rising sigmoid)."""

    A: float
    k: float
    V0: float
    param_names: ClassVar = ("A", "k", "V0")
    template: ClassVar = "_sigmoid_rate({v}, {A}, {k}, {V0})"
    kind: ClassVar = "sigmoid"
    formula: ClassVar = "{A}/(1 + exp((V - ({V0}))/{k}))"

    def __call__(self, v):
        return self.A / (1.0 + np.exp((np.asarray(v, dtype=float) - self.V0) / self.k))


@dataclass(frozen=True)
class LinExp(RateForm):
    """``A * (V - V0) / (1 - exp(-(V - V0) / k))``.

    The point ``V = V0`` is a removable singularity with limit ``A * k``;
    near it the function is evaluated from its Taylor series, elsewhere with
    ``expm1``, so no precision is lost on either side.
    """

    A: float
    k: float
    V0: float
    param_names: ClassVar = ("A", "k", "V0")
    template: ClassVar = "_linexp_rate({v}, {A}, {k}, {V0})"
    kind: ClassVar = "linexp"
    formula: ClassVar = "{A}*(V - ({V0}))/(1 - exp(-(V - ({V0}))/{k}))"

    def __call__(self, v):
        x = (np.asarray(v, dtype=float) - self.V0) / self.k
        small = np.abs(x) < LINEXP_SERIES_BELOW
        safe = np.where(small, 1.0, x)
        ratio = np.where(small, 1.0 + x * (0.5 + x / 12.0), safe / -np.expm1(-safe))
        return self.A * self.k * ratio


@dataclass(frozen=True)
class Const(RateForm):
    """A constant (a voltage-independent rate or time constant)."""

    value: float
    param_names: ClassVar = ("value",)
    template: ClassVar = "({value})"
    kind: ClassVar = "const"
    formula: ClassVar = "{value}"

    def __call__(self, v):
        return np.full_like(np.asarray(v, dtype=float), self.value)


#: Rate-form classes by kind, used by the code generator.
FORMS: dict[str, type[RateForm]] = {f.kind: f for f in (Exp, Sigmoid, LinExp, Const)}


@dataclass(frozen=True)
class Gate:
    """A gating variable with first-order kinetics.

    Give either ``alpha`` and ``beta`` (1/ms), for
    ``dx/dt = alpha (1 - x) - beta x``, or ``inf`` (dimensionless) and
    ``tau`` (ms), for ``dx/dt = (inf - x) / tau``.  Rates are multiplied by
    the channel's temperature factor.
    """

    name: str
    power: float
    alpha: RateForm | None = None
    beta: RateForm | None = None
    inf: RateForm | None = None
    tau: RateForm | None = None

    def __post_init__(self):
        ab = self.alpha is not None and self.beta is not None
        it = self.inf is not None and self.tau is not None
        if ab == it:
            raise ValueError(f"gate {self.name!r}: give alpha and beta, or inf and tau")

    @property
    def form_names(self) -> tuple[str, str]:
        return ("alpha", "beta") if self.alpha is not None else ("inf", "tau")

    @property
    def forms(self) -> tuple[RateForm, RateForm]:
        a, b = self.form_names
        return getattr(self, a), getattr(self, b)

    def steady_state(self, v):
        """x_inf(V), dimensionless."""
        if self.alpha is not None:
            a, b = self.alpha(v), self.beta(v)
            return a / (a + b)
        return self.inf(v)

    def time_constant(self, v, phi: float = 1.0):
        """tau_x(V) in ms, at temperature factor ``phi``."""
        if self.alpha is not None:
            return 1.0 / (phi * (self.alpha(v) + self.beta(v)))
        return self.tau(v) / phi

    def relaxation(self, v, phi: float = 1.0):
        """Coefficients (A, B) of ``dx/dt = A - B x`` (1/ms), NumPy arrays."""
        if self.alpha is not None:
            a, b = self.alpha(v), self.beta(v)
            return phi * a, phi * (a + b)
        tau = self.tau(v)
        return phi * self.inf(v) / tau, phi / tau


@dataclass(frozen=True)
class Channel:
    """An ionic conductance: ``I = gbar * prod(x**p) * (V - E)`` in µA/cm².

    ``gbar`` in mS/cm², ``E`` in mV.  ``q10`` and ``q10_reference_c`` set the
    temperature factor ``q10 ** ((T - T_ref) / 10)`` applied to the gates'
    rates (a channel without gates, a leak, is not temperature dependent).
    """

    name: str
    gbar: float
    E: float
    gates: tuple[Gate, ...] = ()
    q10: float = 3.0
    q10_reference_c: float = 6.3
    ion: str = ""
    source: str = ""

    def phi(self, temperature_c: float) -> float:
        return self.q10 ** ((temperature_c - self.q10_reference_c) / 10.0)

    def open_fraction(self, gate_values: dict[str, np.ndarray]):
        """prod(x**p) from arrays of the gate values."""
        out = 1.0
        for g in self.gates:
            out = out * np.asarray(gate_values[g.name], dtype=float) ** g.power
        return out

    def replace(self, **changes) -> "Channel":
        return dataclasses.replace(self, **changes)


def replace_form_param(form: RateForm, name: str, value: float) -> RateForm:
    """Copy of ``form`` with one parameter changed."""
    return dataclasses.replace(form, **{name: float(value)})
