"""Building blocks of a conductance-based model: rate forms, gates, channels.

A *rate form* is a named function of the membrane potential with a few
parameters (the standard Hodgkin-Huxley shapes, or :class:`Expr`, a checked
expression written as text).  A *gate* pairs two rate forms, either
``alpha``/``beta`` (opening and closing rates, 1/ms) or ``inf``/``tau``
(steady state, dimensionless, and time constant, ms); an *instantaneous*
gate (``inf`` alone, or ``alpha``/``beta`` with ``instantaneous=True``) has
no state: it sits at its steady state ``x = x_inf(V)`` at every moment.  A
*channel* multiplies its maximal conductance by the product of its gates
raised to their exponents, and drives current towards its reversal potential::

    I = gbar * x1**p1 * x2**p2 ... * (V - E)       (µA/cm²)

``E`` is a number (mV), ``"nernst"`` (from the model's concentrations of the
channel's ion, at the model's temperature) or ``"ghk"`` (a
Goldman-Hodgkin-Katz current; ``gbar`` is then a permeability in cm/s); see
:mod:`hhsim.channels.ions`.

Writing a channel in a few lines (rates read like the paper; ``V`` in mV)::

    from hhsim.channels import Channel, Gate

    ka = Channel("A", gbar=47.7, E=-75.0, ion="k", q10=1.0, gates=[
        Gate("a", 3, inf="(0.0761*exp(0.0314*(V + 94.22)) / (1 + exp(0.0346*(V + 1.17))))**(1/3)",
                     tau="0.3632 + 1.158/(1 + exp(0.0497*(V + 55.96)))"),
        Gate("b", 1, inf="(1/(1 + exp(0.0688*(V + 53.3))))**4",
                     tau="1.24 + 2.678/(1 + exp(0.0624*(V + 50)))"),
    ])

Named constants (``params={"Vh": -40}``, overridable later as ``A.Vh``) may
appear in the expressions; see :mod:`hhsim.channels.expr` for everything an
expression may contain.

Every object here is immutable; ``replace`` returns a modified copy.  Each
rate form can be evaluated with NumPy (``form(v)``) and can emit the same
expression as source text for the compiled kernels (``form.emit``).  The
emitted source only ever contains our own templates, our rendering of a
checked expression tree, and indices into a parameter array: no user text
reaches the code generator.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..errors import ModelError, ParameterError
from . import expr as _expr
from .ions import DEFAULT_CONCENTRATIONS, IONS, REVERSALS

# Below this |x| the linear-over-exponential form uses its Taylor series.
# The series 1 + x/2 + x^2/12 has error x^4/720 < 2e-19 there.
LINEXP_SERIES_BELOW = 1e-4

#: The voltage range (mV) over which every rate function must be finite.
PHYSIOLOGICAL_RANGE = (-120.0, 60.0)


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
    #: Forms built on one exponential exp(exp_sign (V - V0) / k) (parameters
    #: named ``k`` and ``V0``) also give ``shared_template``: the same form with
    #: that exponential passed in as ``{e}``, so that kernels can compute the
    #: exponentials of several forms from one (:mod:`hhsim.physics.exp_sharing`).
    exp_sign: ClassVar[int] = 0
    shared_template: ClassVar[str] = ""

    def values(self) -> tuple[float, ...]:
        return tuple(float(getattr(self, n)) for n in self.param_names)

    def emit(self, v: str, param_exprs: tuple[str, ...]) -> str:
        """Source text of this form, with ``param_exprs`` standing for the parameters."""
        return emit_form(type(self), v, param_exprs)

    def __call__(self, v, env=None):  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:
        """Human-readable formula with the parameter values substituted."""
        vals = {n: _fmt(getattr(self, n)) for n in self.param_names}
        return self.formula.format(**vals)

    def with_param(self, name: str, value: float) -> "RateForm":
        """Copy with one parameter changed."""
        return dataclasses.replace(self, **{name: float(value)})

    def external_names(self) -> list[str]:
        """Names this form reads from its channel or model (none for the built-in shapes)."""
        return []

    formula: ClassVar[str] = ""


def emit_form(cls: type[RateForm], v: str, param_exprs: tuple[str, ...], e: str | None = None) -> str:
    """Source text of a rate form of class ``cls`` (see ``RateForm.template``);
    with ``e``, the form's exponential given as that expression (``shared_template``)."""
    template = cls.template if e is None else cls.shared_template
    return template.format(v=v, e=e, **dict(zip(cls.param_names, param_exprs)))


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
    exp_sign: ClassVar = 1
    shared_template: ClassVar = "_exp_rate_e({A}, {e})"
    formula: ClassVar = "{A}*exp((V - ({V0}))/{k})"

    def __call__(self, v, env=None):
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
    exp_sign: ClassVar = 1
    shared_template: ClassVar = "_sigmoid_rate_e({A}, {e})"
    formula: ClassVar = "{A}/(1 + exp((V - ({V0}))/{k}))"

    def __call__(self, v, env=None):
        with np.errstate(over="ignore"):
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
    exp_sign: ClassVar = -1
    shared_template: ClassVar = "_linexp_rate_e({v}, {A}, {k}, {V0}, {e})"
    formula: ClassVar = "{A}*(V - ({V0}))/(1 - exp(-(V - ({V0}))/{k}))"

    def __call__(self, v, env=None):
        x = (np.asarray(v, dtype=float) - self.V0) / self.k
        small = np.abs(x) < LINEXP_SERIES_BELOW
        safe = np.where(small, 1.0, x)
        with np.errstate(over="ignore"):
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

    def __call__(self, v, env=None):
        return np.full_like(np.asarray(v, dtype=float), self.value)


@dataclass(frozen=True, init=False)
class Expr(RateForm):
    """A rate function written as a checked expression (see :mod:`hhsim.channels.expr`).

    ``Expr("0.1*linexp(V - Vh, 10)", Vh=-40)``: ``V`` is the membrane
    potential (mV); ``Vh`` is a parameter of this form (overridable as
    ``Channel.gate.alpha.Vh``).  Other names are looked up in the channel's
    ``params`` and in the model's concentrations.  Parameter values may be
    given as ``(value, unit)`` pairs for the parameter table.

    The text is parsed by :mod:`ast` and checked against a whitelist; it is
    never evaluated by Python.
    """

    text: str
    params: tuple[tuple[str, float], ...]
    units: tuple[tuple[str, str], ...]
    kind: ClassVar = "expr"

    def __init__(self, text: str, params=None, units=None, **kwargs):
        given = dict(params or {})
        given.update(kwargs)
        vals, unit_map = [], dict(units or ())
        for name, value in given.items():
            if not (isinstance(name, str) and name.isidentifier()) or name.startswith("_"):
                raise _expr.ExprError(f"parameter name {name!r} is not a valid identifier")
            if name in _expr.RESERVED:
                raise _expr.ExprError(f"parameter name {name!r} is reserved (a variable or function)")
            if isinstance(value, tuple):
                value, unit = value
                unit_map[name] = str(unit)
            vals.append((name, _number(name, value)))
        object.__setattr__(self, "text", str(text).strip() if isinstance(text, str) else text)
        object.__setattr__(self, "params", tuple(vals))
        object.__setattr__(self, "units", tuple(sorted(unit_map.items())))
        _expr.parse(self.text)  # raises ExprError on anything outside the whitelist

    @property
    def tree(self) -> tuple:
        return _expr.parse(self.text)

    @property
    def param_names(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(n for n, _ in self.params)

    def values(self) -> tuple[float, ...]:
        return tuple(v for _, v in self.params)

    def unit(self, name: str) -> str:
        return dict(self.units).get(name, "")

    def external_names(self) -> list[str]:
        own = set(self.param_names)
        return [n for n in _expr.names(self.tree) if n != "V" and n not in own]

    def with_param(self, name: str, value: float) -> "Expr":
        if name not in self.param_names:
            raise ParameterError(f"expression {self.text!r} has no parameter {name!r}")
        new = tuple((n, float(value) if n == name else v) for n, v in self.params)
        return Expr(self.text, dict(new), self.units)

    def __call__(self, v, env=None):
        names = dict(env or {})
        names.update(self.params)
        names["V"] = np.asarray(v, dtype=float)
        try:
            return _expr.evaluate(self.tree, names)
        except KeyError as exc:
            raise _expr.ExprError(
                f"name {exc.args[0]!r} in {self.text!r} has no value here; pass the channel's constants "
                "and the concentrations, e.g. gate.steady_state(v, env=channel.env)"
            ) from None

    def describe(self) -> str:
        out = _expr.unparse(self.tree)
        if self.params:
            out += "   [" + ", ".join(f"{n} = {_fmt(v)}" for n, v in self.params) + "]"
        return out


def _number(name: str, value) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"parameter {name} needs a number, got {value!r}") from None
    if not math.isfinite(x):
        raise ParameterError(f"parameter {name} must be finite (got {value!r})")
    return x


#: Rate-form classes by kind, used by the code generator.
FORMS: dict[str, type[RateForm]] = {f.kind: f for f in (Exp, Sigmoid, LinExp, Const, Expr)}


def _as_form(x):
    if x is None or isinstance(x, RateForm):
        return x
    if isinstance(x, str):
        return Expr(x)
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return Const(float(x))
    raise ModelError(f"a rate function must be a rate form or an expression string, got {x!r}")


#: Names a gate may not take: the membrane potential's (``initial_state={"V": -60}`` sets V).
RESERVED_GATE_NAMES = frozenset({"V", "v"})


@dataclass(frozen=True)
class Gate:
    """A gating variable.

    Give ``alpha`` and ``beta`` (1/ms), for ``dx/dt = alpha (1 - x) - beta x``,
    or ``inf`` (dimensionless) and ``tau`` (ms), for ``dx/dt = (inf - x) / tau``.
    Rates are multiplied by the channel's temperature factor.  An
    *instantaneous* gate has no dynamics: give ``inf`` alone, or ``alpha`` and
    ``beta`` with ``instantaneous=True`` (then ``x = alpha / (alpha + beta)``).

    Each rate may be a rate form or an expression string (see :class:`Expr`).
    """

    name: str
    power: float
    alpha: RateForm | None = None
    beta: RateForm | None = None
    inf: RateForm | None = None
    tau: RateForm | None = None
    instantaneous: bool = False

    def __post_init__(self):
        for f in ("alpha", "beta", "inf", "tau"):
            try:
                object.__setattr__(self, f, _as_form(getattr(self, f)))
            except _expr.ExprError as exc:
                raise _expr.ExprError(f"gate {self.name!r}, {f}: {exc}") from None
        if not (isinstance(self.name, str) and self.name.isidentifier()):
            raise ModelError(f"gate name {self.name!r} must be an identifier")
        if self.name in RESERVED_GATE_NAMES:  # initial_state={"V": ...} and the CSV columns mean the membrane
            raise ModelError(f"gate name {self.name!r} is the membrane potential's; accepted: any other identifier "
                             "(e.g. 'n', 'q')")
        try:
            p = float(self.power)
        except (TypeError, ValueError):
            raise ModelError(f"gate {self.name!r}: power must be a number, got {self.power!r}") from None
        if not (math.isfinite(p) and p > 0):
            raise ModelError(f"gate {self.name!r}: power must be > 0, got {self.power!r}")
        ab = self.alpha is not None and self.beta is not None
        it = self.inf is not None and self.tau is not None
        inf_only = self.inf is not None and self.tau is None and self.alpha is None and self.beta is None
        if inf_only:
            object.__setattr__(self, "instantaneous", True)
        elif ab == it:
            raise ModelError(f"gate {self.name!r}: give alpha and beta, or inf and tau (or inf alone)")
        elif it and self.instantaneous:
            raise ModelError(f"gate {self.name!r}: an instantaneous gate needs no tau; give inf alone")

    @property
    def form_names(self) -> tuple[str, ...]:
        if self.alpha is not None:
            return ("alpha", "beta")
        return ("inf",) if self.tau is None else ("inf", "tau")

    @property
    def forms(self) -> tuple[RateForm, ...]:
        return tuple(getattr(self, a) for a in self.form_names)

    def steady_state(self, v, env=None):
        """x_inf(V), dimensionless."""
        if self.alpha is not None:
            a, b = self.alpha(v, env), self.beta(v, env)
            return a / (a + b)
        return self.inf(v, env)

    def time_constant(self, v, phi: float = 1.0, env=None):
        """tau_x(V) in ms, at temperature factor ``phi`` (0 for an instantaneous gate)."""
        if self.instantaneous:
            return np.zeros_like(np.asarray(v, dtype=float))
        if self.alpha is not None:
            return 1.0 / (phi * (self.alpha(v, env) + self.beta(v, env)))
        return self.tau(v, env) / phi

    def rates(self, v, phi: float = 1.0, env=None):
        """(alpha, beta) in 1/ms at temperature factor ``phi`` (from inf/tau if needed)."""
        if self.alpha is not None:
            return phi * self.alpha(v, env), phi * self.beta(v, env)
        xi, tau = self.steady_state(v, env), self.time_constant(v, phi, env)
        return xi / tau, (1.0 - xi) / tau

    def relaxation(self, v, phi: float = 1.0, env=None):
        """Coefficients (A, B) of ``dx/dt = A - B x`` (1/ms), NumPy arrays."""
        if self.instantaneous:
            raise ModelError(f"gate {self.name!r} is instantaneous: it has no relaxation")
        if self.alpha is not None:
            a, b = self.alpha(v, env), self.beta(v, env)
            return phi * a, phi * (a + b)
        tau = self.tau(v, env)
        return phi * self.inf(v, env) / tau, phi / tau


@dataclass(frozen=True)
class Channel:
    """An ionic conductance: ``I = gbar * prod(x**p) * (V - E)`` in µA/cm².

    ``gbar`` in mS/cm², ``E`` in mV.  ``q10`` and ``q10_reference_c`` set the
    temperature factor ``q10 ** ((T - T_ref) / 10)`` applied to the gates'
    rates (a channel without gates, a leak, is not temperature dependent).

    ``E="nernst"``: the reversal potential follows the Nernst equation for
    ``ion`` from the model's concentrations and temperature (a model resolves
    ``E`` to that value at rest; with a pool of the ion it changes in time).
    ``E="ghk"``: a GHK current of ``ion``; ``gbar`` is then the maximal
    permeability in cm/s.  ``E="ghk2"``: the GHK-type current of Jaffe et al.
    1994 (NeuroML's ``channelDensityGHK2``), ``gbar`` a conductance in mS/cm²
    (see :mod:`hhsim.channels.ions`).  ``params``: named constants the channel's
    expression rates use (``{"VT": -56.2}`` or ``{"VT": (-56.2, "mV")}``),
    overridable as ``<name>.<param>``.

    ``conductance``: a conductance that is not a product of gate powers, as
    the literature writes it, ``"gbar * (nf*n**2 + (1 - nf)*p)"``: a checked
    expression (:mod:`hhsim.channels.expr`) of the gates and ``params``,
    written ``gbar * (...)``, finite and >= 0 for gate values in [0, 1]; the
    gates' powers are then unused.  A nonspecific current (Ih) has no ``ion``
    and a fixed ``E``; a fixed ``E`` with an ``ion`` that has a pool keeps the
    reversal fixed while the current still feeds the pool.
    """

    name: str
    gbar: float
    E: float
    gates: tuple[Gate, ...] = ()
    q10: float = 3.0
    q10_reference_c: float = 6.3
    ion: str = ""
    source: str = ""
    reversal: str = "fixed"
    params: tuple[tuple[str, float], ...] = ()
    param_units: tuple[tuple[str, str], ...] = ()
    description: str = ""
    conductance: str = ""

    def __post_init__(self):
        set_ = functools.partial(object.__setattr__, self)
        if not isinstance(self.conductance, str):
            raise ModelError(f"channel {self.name!r}: conductance must be an expression string")
        set_("conductance", self.conductance.strip())
        if not (isinstance(self.name, str) and self.name.isidentifier()):
            raise ModelError(f"channel name {self.name!r} must be an identifier (letters, digits, _)")
        if isinstance(self.E, str):
            mode = self.E.strip().lower()
            if mode not in ("nernst", "ghk", "ghk2"):
                raise ModelError(f"channel {self.name!r}: E must be a number (mV), 'nernst', 'ghk' or 'ghk2'")
            set_("reversal", mode)
            set_("E", float("nan"))
        if self.reversal not in REVERSALS:
            raise ModelError(f"channel {self.name!r}: reversal must be one of {REVERSALS}")
        if self.reversal != "fixed" and self.ion not in IONS:
            raise ModelError(
                f"channel {self.name!r}: E={self.reversal!r} needs ion= one of {', '.join(IONS)}"
            )
        if self.ion and self.ion not in IONS:
            raise ModelError(f"channel {self.name!r}: unknown ion {self.ion!r}; accepted: {', '.join(IONS)}")
        if not isinstance(self.gates, tuple):
            set_("gates", tuple(self.gates))
        gnames = [g.name for g in self.gates]
        if len(set(gnames)) != len(gnames):
            raise ModelError(f"channel {self.name!r}: gate names must be unique, got {gnames}")
        units = dict(self.param_units)
        if isinstance(self.params, dict):
            vals = []
            for k, v in self.params.items():
                if isinstance(v, tuple):
                    v, units[k] = v
                vals.append((k, v))
        else:
            vals = list(self.params)
        checked = []
        for k, v in vals:
            if not (isinstance(k, str) and k.isidentifier()) or k.startswith("_"):
                raise ModelError(f"channel {self.name!r}: parameter name {k!r} is not an identifier")
            if k in _expr.RESERVED or k == "q10":
                raise ModelError(f"channel {self.name!r}: parameter name {k!r} is reserved")
            checked.append((k, _number(f"{self.name}.{k}", v)))
        set_("params", tuple(checked))
        set_("param_units", tuple(sorted(units.items())))
        _check_channel(self.name, self.gates, self.params)
        check_schemes(self.name, self.gates, self.conductance)
        if self.conductance:
            _check_conductance(self.name, self.conductance, self.gates, self.params)

    def phi(self, temperature_c: float) -> float:
        return self.q10 ** ((temperature_c - self.q10_reference_c) / 10.0)

    @property
    def env(self) -> dict[str, float]:
        """The channel's named constants, for evaluating its expressions."""
        return dict(self.params)

    def param_unit(self, name: str) -> str:
        return dict(self.param_units).get(name, "")

    @property
    def open_tree(self) -> tuple | None:
        """The checked tree of the open fraction ``g / gbar`` when the channel gives a
        ``conductance`` expression (names: its gates and constants), else None."""
        return open_fraction_tree(self.conductance) if self.conductance else None

    def open_fraction(self, gate_values: dict[str, np.ndarray]):
        """g / gbar from arrays of the gate values: prod(x**p), or the ``conductance``
        expression divided by gbar."""
        if self.conductance:
            env = dict(self.params)
            env.update({g.name: np.asarray(gate_values[g.name], dtype=float) for g in self.gates})
            return _expr.evaluate(self.open_tree, env)
        out = 1.0
        for g in self.gates:
            out = out * np.asarray(gate_values[g.name], dtype=float) ** g.power
        return out

    def replace(self, **changes) -> "Channel":
        return dataclasses.replace(self, **changes)

    @property
    def concentration_dependent(self) -> bool:
        return any(n in _expr.DYNAMIC_NAMES for g in self.gates for f in g.forms for n in f.external_names())


def replace_form_param(form: RateForm, name: str, value: float) -> RateForm:
    """Copy of ``form`` with one parameter changed."""
    return form.with_param(name, value)


# ------------------------------------------------------------------ checks
def open_fraction_tree(text: str) -> tuple:
    """The tree of ``f`` in a conductance written ``gbar * f`` (or ``f * gbar``)."""
    tree = _expr.parse(text)
    if tree[0] == "bin" and tree[1] == "*":
        if tree[2] == ("name", "gbar") and "gbar" not in _expr.names(tree[3]):
            return tree[3]
        if tree[3] == ("name", "gbar") and "gbar" not in _expr.names(tree[2]):
            return tree[2]
    raise _expr.ExprError(
        f"a conductance is written gbar * (an expression of the gates), e.g. "
        f"\"gbar * (nf*n**2 + (1 - nf)*p)\"; got {text!r}")


def _check_conductance(name: str, text: str, gates: tuple[Gate, ...], params: tuple) -> None:
    """The conductance expression reads only gates and constants, uses every gate, and is
    finite and >= 0 with every gate in [0, 1]."""
    try:
        tree = open_fraction_tree(text)
    except _expr.ExprError as exc:
        raise _expr.ExprError(f"channel {name!r}: conductance: {exc}") from None
    gnames = [g.name for g in gates]
    pnames = [k for k, _ in params]
    _expr.check_names(tree, text, set(gnames) | set(pnames) | {"gbar"},
                      f"channel {name!r}, conductance")
    used = set(_expr.names(tree))
    # a kinetic scheme's closed states need not conduct
    unused = [g.name for g in gates if g.name not in used and not hasattr(g, "scheme")]
    if unused:
        raise ModelError(f"channel {name!r}: gate {unused[0]!r} is not used in the conductance {text!r}")
    read = [g for g in gnames if g in used]
    grid = np.linspace(0.0, 1.0, 5 if len(read) <= 6 else 3 if len(read) <= 10 else 2)
    mesh = np.meshgrid(*([grid] * len(read)), indexing="ij") if read else []
    env = dict(params)
    env.update({g: m.ravel() for g, m in zip(read, mesh)})
    val = np.asarray(_expr.evaluate(tree, env), dtype=float)
    if not np.all(np.isfinite(val)) or np.any(val < 0):
        raise ModelError(f"channel {name!r}: the conductance {text!r} must be finite and >= 0 for every "
                         "gate value between 0 and 1")


#: The most states one kinetic scheme may have (the kernels' unrolled elimination grows as n^3).
MAX_SCHEME_STATES = 24


def check_schemes(channel_name: str, gates, conductance: str) -> None:
    """A channel's kinetic-scheme states (:class:`hhsim.channels.scheme.SchemeState`, known
    here by their ``scheme`` attribute): targets in the same scheme of the channel, at least
    two states per scheme, and a ``conductance`` expression saying which states conduct."""
    by_scheme: dict[str, list] = {}
    for g in gates:
        if getattr(g, "scheme", ""):
            by_scheme.setdefault(g.scheme, []).append(g)
    if not by_scheme:
        return
    names = {g.name: g for g in gates}
    for scheme, members in by_scheme.items():
        if len(members) > MAX_SCHEME_STATES:  # the kernels' unrolled elimination grows as n^3
            raise ModelError(f"channel {channel_name!r}: kinetic scheme {scheme!r} has {len(members)} states; "
                             f"accepted: at most {MAX_SCHEME_STATES}")
        if len(members) < 2:
            raise ModelError(f"channel {channel_name!r}: kinetic scheme {scheme!r} has one state; a scheme needs "
                             "at least two")
        for g in members:
            for t in g.targets:
                other = names.get(t)
                if not (other is not None and getattr(other, "scheme", "") == scheme):
                    raise ModelError(f"channel {channel_name!r}: kinetic state {g.name!r} leads to {t!r}, which is "
                                     f"not a state of its scheme {scheme!r}")
    if not conductance:
        raise ModelError(f"channel {channel_name!r} has a kinetic scheme, so it needs a conductance expression "
                         "naming its open states, e.g. conductance = \"gbar * O\"")


_V_GRID = np.arange(int(PHYSIOLOGICAL_RANGE[0] * 10), int(PHYSIOLOGICAL_RANGE[1] * 10) + 1) / 10.0
_CONC_GRID = np.array([1e-5, 1e-4, 1e-3, 1e-2, 1e-1])


def _check_channel(name: str, gates: tuple[Gate, ...], params: tuple) -> None:
    allowed_base = {"V"} | set(_expr.CONCENTRATION_NAMES) | set(_expr.DYNAMIC_NAMES) | {k for k, _ in params}
    for g in gates:
        for fname, form in zip(g.form_names, g.forms):
            if isinstance(form, Expr):
                where = f"channel {name!r}, gate {g.name!r}, {fname}"
                _expr.check_names(form.tree, form.text, allowed_base | set(form.param_names), where)
        _check_gate_values(name, g, params)


@functools.lru_cache(maxsize=2048)
def _check_gate_values(name: str, gate: Gate, params: tuple) -> None:
    """Every rate of ``gate`` finite (and of the right sign) over -120..60 mV."""
    env = dict(DEFAULT_CONCENTRATIONS)
    env.update({n: env[n[:-2] + "_in"] for n in _expr.DYNAMIC_NAMES})
    env.update(dict(params))
    dynamic = any(n in _expr.DYNAMIC_NAMES for f in gate.forms for n in f.external_names())
    v = _V_GRID[:, None] if dynamic else _V_GRID
    if dynamic:
        env.update({n: _CONC_GRID[None, :] for n in _expr.DYNAMIC_NAMES})
    lo, hi = PHYSIOLOGICAL_RANGE
    for fname, form in zip(gate.form_names, gate.forms):
        where = f"channel {name!r}, gate {gate.name!r}: {fname}(V) = {form.describe()}"
        with np.errstate(all="ignore"):
            val = np.broadcast_to(np.asarray(form(v, env), dtype=float), np.broadcast_shapes(np.shape(v), np.shape(env.get("Ca_i", 1.0))))
        bad = ~np.isfinite(val)
        kind = "not finite"
        if not bad.any():
            if fname == "tau":
                bad, kind = val <= 0, "not > 0 ms"
            elif fname in ("alpha", "beta"):
                bad, kind = val < 0, "negative"
            else:  # a steady state; published fits may exceed 1 slightly (Connor-Stevens a_inf)
                bad, kind = val < -1e-12, "negative"
        if bad.any():
            idx = np.argwhere(bad)[0]
            at = f"V = {float(np.broadcast_to(v, val.shape)[tuple(idx)]):g} mV"
            if dynamic:
                at += f", concentration {float(_CONC_GRID[idx[-1]]):g} mM"
            need = {"not finite": "finite", "not > 0 ms": "> 0", "negative": ">= 0"}[kind]
            raise _expr.ExprError(
                f"{where} is {kind} at {at} (it must be {need} over {lo:g} to {hi:g} mV"
                + ("; use linexp(x, k) or vtrap(x, k) for x/(1 - exp(-x/k))-type rates"
                   if kind == "not finite" else "") + ")"
            )
