"""Custom rate expressions: the whitelist, the checks, their errors, and that nothing is evaluated."""

from __future__ import annotations

import ast
import builtins
import math
from decimal import Decimal, localcontext

import numpy as np
import pytest

import hhsim
from hhsim.channels import Channel, Expr, ExprError, Gate
from hhsim.channels import expr as E
from hhsim.errors import HHSimError


def ev(text, v, **env):
    return float(E.evaluate(E.parse(text), {"V": np.asarray(v, float), **env}))


def test_arithmetic_and_functions_by_hand():
    v = -30.0
    assert ev("0.07*exp(-(V + 65)/20)", v) == pytest.approx(0.07 * math.exp(-35 / 20), rel=1e-15)
    assert ev("1/(1 + exp(-(V + 35)/10))", v) == pytest.approx(1 / (1 + math.exp(-0.5)), rel=1e-15)
    assert ev("2**3 - -4 + abs(V)", v) == 8 + 4 + 30
    assert ev("max(V, -40) + min(V, -40)", v) == -70.0
    assert ev("sqrt(4) * log(e0)", v, e0=math.e) == pytest.approx(2.0)
    assert ev("where(V < -50, 1, 2)", v) == 2.0 and ev("where(V < -50, 1, 2)", -60.0) == 1.0
    # linexp(x, k) = x / (1 - exp(-x/k)); vtrap(x, k) = x / (exp(x/k) - 1)
    assert ev("0.1*linexp(V + 40, 10)", v) == pytest.approx(0.1 * 10 / (1 - math.exp(-1)), rel=1e-14)
    assert ev("vtrap(V + 40, 10)", v) == pytest.approx(10 / (math.exp(1) - 1), rel=1e-14)


def _linexp_exact(x, k):
    with localcontext() as ctx:
        ctx.prec = 50
        x, k = Decimal(x), Decimal(k)
        if x == 0:
            return float(k)
        return float(x / (1 - (-x / k).exp()))


@pytest.mark.parametrize("x", [0.0, 1e-12, -1e-9, 3e-6, -7e-5, 1e-4, -2e-4, 0.3, -5.0,
                               0.999999, 1.0, 1.000001, -1.0, 37.0])
def test_linexp_and_vtrap_through_the_singularity(x):
    """NumPy and compiled helpers against 60-digit arithmetic, on both sides of each
    switch to the series (|x/k| = 1e-4 for NumPy, 0.1 compiled)."""
    from hhsim.engine.kernel_helpers import _linexp, _vtrap

    exact = _linexp_exact(x, 10.0)
    assert float(E.np_linexp(x, 10.0)) == pytest.approx(exact, rel=2e-15)
    assert float(E.np_vtrap(-x, 10.0)) == pytest.approx(exact, rel=2e-15)
    assert _linexp(x, 10.0) == pytest.approx(exact, rel=3e-15)
    assert _vtrap(-x, 10.0) == pytest.approx(exact, rel=3e-15)


BAD = [
    ("__import__('os').system('true')", "not allowed"),
    ("V.__class__", "attribute"),
    ("(lambda: 1)()", "not allowed"),
    ("open('/etc/passwd')", "function 'open'"),
    ("eval('1')", "function 'eval'"),
    ("[1, 2][0]", "not allowed"),
    ("1 if V else 2", "where"),
    ("'abc'", "numbers"),
    ("exp(V, 2)", "takes 1 argument"),
    ("V < 3", "where()"),
    ("exp(x=V)", "keyword"),
    ("V and 1", "and/or"),
    ("_secret", "not allowed"),
    ("exp", "call it"),
    ("1 +", "malformed"),
    ("", "empty"),
    ("V ^ 2", "operator"),
    ("V % 2", "operator"),
    ("x" * 3000, "longer"),
]


@pytest.mark.parametrize("text,fragment", BAD, ids=[b[0][:30] for b in BAD])
def test_rejected(text, fragment):
    with pytest.raises(ExprError, match=None) as info:
        E.parse(text)
    assert fragment in str(info.value)
    assert isinstance(info.value, HHSimError)


def test_unknown_name_names_channel_and_gate():
    with pytest.raises(ExprError) as info:
        Channel("Kx", gbar=1.0, E=-80.0, gates=[Gate("n", 4, alpha="0.01*linexp(V + Vh, 10)", beta="0.1")])
    msg = str(info.value)
    assert "'Kx'" in msg and "'n'" in msg and "'Vh'" in msg and "allowed" in msg
    # a channel constant makes the name known, and overridable by name
    ch = Channel("Kx", gbar=1.0, E=-80.0, params={"Vh": 55.0},
                 gates=[Gate("n", 4, alpha="0.01*linexp(V + Vh, 10)", beta="0.125*exp(-(V + 65)/80)")])
    m = hhsim.Model("m", (ch,), temperature=6.3)
    assert m.params()["Kx.Vh"].value == 55.0
    assert dict(m.with_params({"Kx.Vh": 50.0}).channel("Kx").params)["Vh"] == 50.0


def test_form_parameter_is_overridable():
    g = Gate("m", 3, alpha=Expr("A*linexp(V - V0, k)", A=0.1, V0=-40.0, k=10.0), beta="4*exp(-(V + 65)/18)")
    m = hhsim.Model("m", (Channel("Na", gbar=120.0, E=50.0, gates=[g, Gate("h", 1, inf="0.6", tau="1")]),))
    assert m.params()["Na.m.alpha.V0"].value == -40.0
    m2 = m.with_params({"Na.m.alpha.V0": -45.0})
    assert m2.channel("Na").gates[0].alpha.params == (("A", 0.1), ("V0", -45.0), ("k", 10.0))


def test_not_finite_names_channel_gate_and_voltage():
    with pytest.raises(ExprError) as info:
        Channel("Na", gbar=120.0, E=50.0, gates=[
            Gate("m", 3, alpha="0.1*(V + 40)/(1 - exp(-(V + 40)/10))", beta="4*exp(-(V + 65)/18)")])
    msg = str(info.value)
    assert "'Na'" in msg and "'m'" in msg and "V = -40 mV" in msg and "linexp" in msg


def test_negative_tau_rejected():
    with pytest.raises(ExprError, match="not > 0"):
        Channel("X", gbar=1.0, E=0.0, gates=[Gate("x", 1, inf="0.5", tau="V/10")])


def test_reserved_parameter_names():
    with pytest.raises(ExprError, match="reserved"):
        Expr("V + exp", exp=1.0)
    with pytest.raises(HHSimError, match="reserved"):
        Channel("X", gbar=1.0, E=0.0, params={"V": 1.0})


def test_no_eval_or_exec_of_user_text(monkeypatch):
    """Build, lower, compile and run a custom channel while eval/exec/compile refuse any
    source that contains the user's text (parsing it to an AST with ast.parse is allowed):
    only our rendering of the checked tree is ever compiled to code."""
    texts = ["1/(1+exp(-(V+40)/7.25))", "where(V<-60,10.5,3+2/cosh((V+50)/9.5))"]
    real = {name: getattr(builtins, name) for name in ("eval", "exec", "compile")}

    def guard(name):
        def wrapped(source, *args, **kwargs):
            text = source.decode() if isinstance(source, bytes) else source
            own_source = isinstance(text, str) and "test_no_eval_or_exec_of_user_text" in text  # pytest reading this file
            flags = args[2] if len(args) > 2 else kwargs.get("flags", 0)
            only_ast = name == "compile" and bool(flags & ast.PyCF_ONLY_AST)  # ast.parse: parsing, not running
            if isinstance(text, str) and not own_source and not only_ast and any(t in text for t in texts):
                raise AssertionError(f"user text passed to {name}")
            return real[name](source, *args, **kwargs)
        return wrapped

    for name in real:
        monkeypatch.setattr(builtins, name, guard(name))
    ch = Channel("Kx", gbar=5.0, E=-80.0, gates=[Gate("w", 2, inf=texts[0], tau=texts[1])])
    m = hhsim.models.get("hh").with_channels(ch)
    r = hhsim.simulate(m, hhsim.stim.step(10.0), t_stop=20.0, method="rk4")
    assert r.n_spikes >= 1 and "w" in r.states
    # the guard does catch a direct attempt
    with pytest.raises(AssertionError):
        builtins.eval(texts[0], {"exp": math.exp, "V": 0.0})


def test_compile_failure_names_channel_and_gate(monkeypatch):
    """If numba cannot compile an expression the error names its channel and gate."""
    monkeypatch.setitem(E.FUNCTIONS, "tanh", (1, "math.tanh({0}, {0})"))  # a rendering numba rejects
    ch = Channel("Weird", gbar=1.0, E=-80.0, gates=[Gate("z", 1, inf="0.5*(1 + tanh((V + 0.123456)/7.5))", tau="2")])
    m = hhsim.models.get("hh").with_channels(ch)
    with pytest.raises(hhsim.ModelError) as info:
        hhsim.simulate(m, None, t_stop=1.0, method="euler")
    msg = str(info.value)
    assert "'Weird'" in msg and "'z'" in msg and "numba" in msg
