"""Rate functions as LEMS ``ComponentType`` s: hhsim expressions to and from LEMS text.

NeuroML2 writes a rate that none of its standard forms (``HHExpRate``, ...)
covers as a LEMS component type extending ``baseVoltageDepRate`` (exposing
``r``, per time), ``baseVoltageDepVariable`` (``x``, dimensionless) or
``baseVoltageDepTime`` (``t``, time), with constants and derived variables
written in the LEMS expression language (``+ - * / ^``, ``exp``, ``ln``, ...;
conditions ``.gt.``, ``.lt.``, ``.geq.``, ``.leq.``, ``.eq.``, ``.neq.``).

Reading: every constant is taken in hhsim's unit for its dimension (mV,
ms, 1/ms, mM) and ``v`` is the membrane potential in mV.  An expression is
dimensionally consistent in any coherent set of units, so evaluated this way
it gives the rate directly in 1/ms (a time in ms).  The derived variables
are substituted into the exposed one as checked expression trees
(:mod:`hhsim.channels.expr`): nothing is evaluated, and anything outside the
expression whitelist is refused.

Writing: hhsim's expression tree rendered in LEMS syntax, with ``V`` the
potential in mV (``v / VOLT_SCALE``) and the channel's named constants as
dimensionless LEMS constants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...channels import expr as _expr
from ...errors import ModelError
from . import units as _units

#: role -> (base types accepted, exposed variable, dimension of the exposure, hhsim dimension)
ROLES = {
    "rate": (("baseVoltageDepRate", "baseVoltageConcDepRate", "baseHHRate"), "r", "per_time"),
    "variable": (("baseVoltageDepVariable", "baseVoltageConcDepVariable", "baseHHVariable"), "x", "none"),
    "time": (("baseVoltageDepTime", "baseVoltageConcDepTime", "baseHHTime"), "t", "time"),
}
#: Base type written for each role.
BASE = {role: bases[0] for role, (bases, _, _) in ROLES.items()}

_LEMS_DIMENSIONS = {"voltage": "voltage", "time": "time", "per_time": "per_time", "none": "none",
                    "concentration": "concentration"}
_CONDITION = re.compile(r"\.(gt|lt|geq|ge|leq|le|eq|neq|ne)\.")
_PY_CMP = {"gt": ">", "lt": "<", "geq": ">=", "ge": ">=", "leq": "<=", "le": "<="}


@dataclass(frozen=True)
class RateType:
    """A custom rate's component type as read: its name and hhsim expression text."""

    name: str
    text: str


def _translate(text: str, where: str) -> str:
    """LEMS expression text -> hhsim expression syntax (operators and function names only)."""
    if not isinstance(text, str) or not text.strip():
        raise ModelError(f"{where}: empty expression")
    out = text.replace("^", "**")
    out = re.sub(r"\bln\s*\(", "log(", out)
    return out


def _parse(text: str, where: str) -> tuple:
    try:
        return _expr.parse(_translate(text, where))
    except _expr.ExprError as exc:
        raise ModelError(f"{where}: {exc}") from None


def _condition(text: str, where: str) -> tuple:
    """A LEMS condition ``a .gt. b`` as hhsim's comparison node (``.eq.``/``.neq.`` as |a - b| > 0)."""
    parts = _CONDITION.split(text)
    if len(parts) != 3:
        raise ModelError(f"{where}: condition {text!r} must be one comparison such as 'x .gt. 0' "
                         "(.and. and .or. are not supported)")
    left, op, right = _parse(parts[0], where), parts[1], _parse(parts[2], where)
    if op in _PY_CMP:
        return ("cmp", _PY_CMP[op], left, right), False
    diff = ("call", "abs", (("bin", "-", left, right),))
    return ("cmp", ">", diff, ("num", 0.0)), op == "eq"


def _substitute(tree: tuple, env: dict[str, tuple]) -> tuple:
    kind = tree[0]
    if kind == "name":
        return env.get(tree[1], tree)
    if kind == "neg":
        return ("neg", _substitute(tree[1], env))
    if kind in ("bin", "cmp"):
        return (kind, tree[1], _substitute(tree[2], env), _substitute(tree[3], env))
    if kind == "call":
        return ("call", tree[1], tuple(_substitute(a, env) for a in tree[2]))
    return tree


def read_component_type(ct, role: str, where: str, params: dict[str, float] | None = None) -> str:
    """hhsim expression text of libNeuroML ``ComponentType`` ``ct`` in ``role``.

    ``params``: values (in hhsim units) of the component's parameters given on
    the gate element (``rate``, ``midpoint``, ``scale``).
    """
    bases, exposure, _ = ROLES[role]
    if ct.extends not in bases:
        raise ModelError(f"{where}: component type {ct.name!r} extends {ct.extends!r}; a {role} must extend "
                         + " or ".join(bases))
    env: dict[str, tuple] = {"v": ("name", "V")}
    if ct.extends.startswith("baseVoltageConcDep"):
        env["caConc"] = ("name", "Ca_i")
    for c in ct.Constant:
        dim = c.dimension or "none"
        if dim not in _LEMS_DIMENSIONS:
            raise ModelError(f"{where}: constant {c.name!r} of {ct.name!r} has dimension {dim!r}; accepted: "
                             + ", ".join(_LEMS_DIMENSIONS))
        env[c.name] = ("num", _units.value(c.value, _LEMS_DIMENSIONS[dim], f"{where}: constant {c.name!r}"))
    for p in ct.Parameter:
        if params is None or p.name not in params:
            raise ModelError(f"{where}: component type {ct.name!r} needs parameter {p.name!r}, which the gate "
                             "does not give")
        env[p.name] = ("num", float(params[p.name]))
    if ct.Requirement:
        extra = [r.name for r in ct.Requirement if r.name not in env]
        if extra:
            raise ModelError(f"{where}: component type {ct.name!r} requires {extra[0]!r}; hhsim reads rates of "
                             "v (and caConc) only")
    dyn = ct.Dynamics
    if not dyn or len(dyn) != 1:
        raise ModelError(f"{where}: component type {ct.name!r} needs one <Dynamics> block")
    dyn = dyn[0]
    if dyn.StateVariable or dyn.TimeDerivative or dyn.OnEvent or dyn.OnCondition or dyn.Regime:
        raise ModelError(f"{where}: component type {ct.name!r} has state or events; a rate is a function of v")
    defs: dict[str, tuple] = {}
    for dv in dyn.DerivedVariable:
        if dv.value is None:
            raise ModelError(f"{where}: derived variable {dv.name!r} of {ct.name!r} has no value "
                             "(select= is not supported)")
        defs[dv.name] = ("plain", dv.value)
    for cdv in dyn.ConditionalDerivedVariable:
        defs[cdv.name] = ("cases", cdv.Case)
    resolved: dict[str, tuple] = {}

    def resolve(name: str, stack: tuple) -> tuple:
        if name in resolved:
            return resolved[name]
        if name in stack:
            raise ModelError(f"{where}: derived variables of {ct.name!r} refer to each other in a circle ({name})")
        kind, body = defs[name]
        w = f"{where}: {ct.name}.{name}"
        if kind == "plain":
            tree = _parse(body, w)
        else:
            default = [c for c in body if not c.condition]
            conds = [c for c in body if c.condition]
            if len(default) != 1:
                raise ModelError(f"{w}: a conditional derived variable needs exactly one case without condition")
            tree = _parse(default[0].value, w)
            for case in reversed(conds):
                cmp, swap = _condition(case.condition, w)
                value = _parse(case.value, w)
                tree = ("call", "where", (cmp, tree, value) if swap else (cmp, value, tree))
        local = {n: resolve(n, stack + (name,)) for n in _expr.names(tree) if n in defs}
        tree = _substitute(_substitute(tree, local), env)
        resolved[name] = tree
        return tree

    if exposure not in defs:
        raise ModelError(f"{where}: component type {ct.name!r} must define {exposure!r} (its exposure as a {role})")
    tree = _tidy(resolve(exposure, ()))
    unknown = [n for n in _expr.names(tree) if n not in ("V", "Ca_i")]
    if unknown:
        raise ModelError(f"{where}: {ct.name!r} uses {unknown[0]!r}, which is neither a constant, a parameter, "
                         "a derived variable nor v")
    return _expr.unparse(tree)


def _tidy(tree: tuple) -> tuple:
    """Exact simplifications of a substituted tree: ``x * 1``, ``x / 1`` -> ``x``; and the
    removable singularities written out, ``x / (exp(x/k) - 1)`` -> ``vtrap(x, k)`` and
    ``x / (1 - exp(-x/k))`` -> ``linexp(x, k)``, so that they stay exact at ``x = 0``."""
    kind = tree[0]
    if kind == "neg":
        return ("neg", _tidy(tree[1]))
    if kind == "call":
        return ("call", tree[1], tuple(_tidy(a) for a in tree[2]))
    if kind not in ("bin", "cmp"):
        return tree
    op, a, b = tree[1], _tidy(tree[2]), _tidy(tree[3])
    if kind == "bin" and op in ("*", "/") and b == ("num", 1.0):
        return a
    if kind == "bin" and op == "*" and a == ("num", 1.0):
        return b
    if kind == "bin" and op == "/" and b[0] == "bin" and b[1] == "-":
        minus_a, minus_b = b[2], b[3]
        # x / (exp(x/k) - 1)
        if minus_b == ("num", 1.0) and _is_exp_of_ratio(minus_a, a, negated=False):
            return ("call", "vtrap", (a, minus_a[2][0][3]))
        # x / (1 - exp(-x/k))
        if minus_a == ("num", 1.0) and _is_exp_of_ratio(minus_b, a, negated=True):
            return ("call", "linexp", (a, minus_b[2][0][3]))
    return (kind, op, a, b)


def _is_exp_of_ratio(node: tuple, x: tuple, negated: bool) -> bool:
    """Is ``node`` ``exp(x / k)`` (``exp(-x / k)`` when ``negated``)?"""
    if node[0] != "call" or node[1] != "exp":
        return False
    arg = node[2][0]
    if arg[0] != "bin" or arg[1] != "/":
        return False
    num = arg[2]
    return num == ("neg", x) if negated else num == x


# ------------------------------------------------------------------ writing
_FUNC_OUT = {"exp": "exp", "sqrt": "sqrt", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "abs": "abs",
             "log": "ln"}


def render(tree: tuple, where: str) -> str:
    """hhsim expression tree -> LEMS expression text (every operation parenthesised)."""
    kind = tree[0]
    if kind == "num":
        return _units.fmt(tree[1])
    if kind == "name":
        return tree[1]
    if kind == "neg":
        return f"(-{render(tree[1], where)})"
    if kind == "bin":
        op = "^" if tree[1] == "**" else tree[1]
        return f"({render(tree[2], where)} {op} {render(tree[3], where)})"
    if kind == "call":
        name, args = tree[1], [render(a, where) for a in tree[2]]
        if name in _FUNC_OUT:
            return f"{_FUNC_OUT[name]}({args[0]})"
        if name == "expm1":
            return f"(exp({args[0]}) - 1)"
        if name == "log1p":
            return f"ln(1 + {args[0]})"
        if name == "log10":
            return f"(ln({args[0]}) / ln(10))"
        if name == "linexp":
            x, k = args
            return f"({x} / (1 - exp((-{x}) / {k})))"
        if name == "vtrap":
            x, k = args
            return f"({x} / (exp({x} / {k}) - 1))"
        raise ModelError(f"{where}: {name}() has no NeuroML/LEMS form that hhsim writes; "
                         "write the rate without min, max or where to export it")
    raise ModelError(f"{where}: cannot write this expression to NeuroML")
