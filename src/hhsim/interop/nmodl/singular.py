"""The removable singularities of HH rate functions, made exact.

``c*x/(exp(x/k) - 1)`` is 0/0 at ``x = 0``; files write it as it is, or guard it
(``if (fabs(x/y) < 1e-6) {...}``).  Here such a tree becomes ``c*vtrap(x, k)``
(:mod:`hhsim.channels.expr`: exact through ``x = 0``), and a guard around it is
dropped.
"""

from __future__ import annotations

import numpy as np

from . import symbolic as Y
from .numeric import V_GRID, close, round_value


def rewrite_vtrap(t, evaluate=None):
    """``x/(exp(x/k) - 1)`` -> ``vtrap(x, k)`` and ``x/(1 - exp(-x/k))`` -> ``linexp(x, k)``
    (exact through x = 0, where the file's form is 0/0); a ``where`` that guards such a
    form near its singular point by an approximation is replaced by the exact form."""
    kind = t[0]
    if kind in ("num", "name"):
        return t
    if kind == "neg":
        return Y.neg(rewrite_vtrap(t[1], evaluate))
    if kind == "cmp":
        return ("cmp", t[1], rewrite_vtrap(t[2], evaluate), rewrite_vtrap(t[3], evaluate))
    if kind == "call":
        args = tuple(rewrite_vtrap(a, evaluate) for a in t[2])
        if t[1] == "where" and args[2][0] == "call" and args[2][1] in ("vtrap", "linexp") \
                and _guards_singularity(args[0]):
            return args[2]
        if t[1] == "where" and args[1][0] == "call" and args[1][1] in ("vtrap", "linexp") \
                and _guards_singularity(args[0], negated=True):
            return args[1]
        return Y.call(t[1], *args)
    a, b = rewrite_vtrap(t[2], evaluate), rewrite_vtrap(t[3], evaluate)
    if t[1] == "/":
        hit = _vtrap_of(a, b, evaluate)
        if hit is not None:
            return hit
    return Y.binop(t[1], a, b)


def _guards_singularity(cond, negated: bool = False) -> bool:
    """``abs(..) < small`` (or ``>`` small when ``negated``, the else branch being the guard)."""
    op = cond[1]
    want = (">", ">=") if negated else ("<", "<=")
    return (cond[0] == "cmp" and op in want and cond[2][0] == "call" and cond[2][1] == "abs"
            and Y.is_num(cond[3]) and 0 < cond[3][1] <= 1e-2)


def _ratio(z):
    """(x, k) with z == x/k and k free of V, or None."""
    if z[0] == "bin" and z[1] == "/" and "V" not in Y.names(z[3]):
        return z[2], z[3]
    if z[0] == "bin" and z[1] == "*":
        for a, b in ((z[2], z[3]), (z[3], z[2])):
            if Y.is_num(b) and b[1] != 0:
                return a, Y.num(1.0 / b[1])
    if z[0] == "neg":
        inner = _ratio(z[1])
        if inner is not None:
            return Y.neg(inner[0]), inner[1]
    return None


def _coefficient(num, x, evaluate=None):
    """c with num == c * x (c a number), or None; written differently (``95 - V`` for
    ``-(V - 95)``), c is found by ``evaluate`` on the voltage grid and must be constant."""
    if num == x:
        return 1.0
    if num == Y.neg(x):
        return -1.0
    if num[0] == "bin" and num[1] == "*":
        for c, y in ((num[2], num[3]), (num[3], num[2])):
            if Y.is_num(c):
                if y == x:
                    return c[1]
                if y == Y.neg(x):
                    return -c[1]
    if num[0] == "neg":
        inner = _coefficient(num[1], x)
        if inner is not None:
            return -inner
    if evaluate is not None and "V" in Y.names(x) and Y.names(num) <= Y.names(x):
        ratio = np.asarray(evaluate(Y.binop("/", num, x)), dtype=float)
        c = float(np.median(ratio))
        if ratio.shape == V_GRID.shape and c != 0 and close(ratio, np.full_like(ratio, c), rel=1e-12):
            return round_value(c)
    return None


def _vtrap_of(num, den, evaluate=None):
    """``c * vtrap(x, k)`` when num/den is c*x/(exp(x/k) - 1) or its negative
    c*x/(1 - exp(x/k)); else None."""
    sign = 1.0
    if den[0] == "bin" and den[1] == "-" and Y.is_num(den[3], 1.0) and den[2][0] == "call" and den[2][1] == "exp":
        z = den[2][2][0]          # exp(z) - 1
    elif den[0] == "bin" and den[1] == "-" and Y.is_num(den[2], 1.0) and den[3][0] == "call" \
            and den[3][1] == "exp":
        z, sign = den[3][2][0], -1.0  # 1 - exp(z) = -(exp(z) - 1)
    else:
        return None
    xk = _ratio(z)
    if xk is None:
        return None
    x, k = xk
    c = _coefficient(num, x, evaluate)
    if c is None:
        return None
    return Y.binop("*", Y.num(c * sign), Y.call("vtrap", x, k))
