"""Channels from TOML files (for the command line and cell files), checked key by key,
and written back exactly.

Example ``a_current.toml``::

    name = "A"
    gbar = 47.7          # mS/cm² (cm/s for E = "ghk"), or with a unit: "47.7 mS/cm2"
    E = -75.0            # mV, or "nernst" / "ghk"
    ion = "k"
    q10 = 3.0
    q10_reference_c = 18.0
    source = "Connor et al. 1977"

    [params]             # named constants used in the expressions
    Va = -94.22          # or "-94.22 mV"

    [[gates]]
    name = "a"
    power = 3
    inf = "(0.0761*exp(0.0314*(V - Va))/(1 + exp(0.0346*(V + 1.17))))**(1/3)"
    tau = "0.3632 + 1.158/(1 + exp(0.0497*(V + 55.96)))"

A rate is an expression string, a number (a constant), a built-in shape
``{form = "linexp", A = 0.1, k = 10.0, V0 = -40.0}`` (``exp``, ``sigmoid``,
``linexp``, ``const``; see :mod:`hhsim.channels.base`) or an expression with
its own parameters ``{expr = "A*exp(-(V - Vh)/k)", params = {A = 1, Vh = -40, k = 9}}``.

A conductance that is not a product of gate powers is written as the
literature writes it (``conductance = "gbar * (nf*n**2 + (1 - nf)*p)"``,
gate powers then unused and optional); a current carried by no single ion
(a nonspecific current such as Ih) has no ``ion`` and a fixed ``E``.

The expressions go through the same checked parser as in Python
(:mod:`hhsim.channels.expr`); nothing in the file is evaluated.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

from .. import quantity
from ..errors import ModelError, ParameterError
from ..io import read_text
from .base import FORMS, Channel, Const, Expr, Gate, RateForm

CHANNEL_KEYS = ("name", "gbar", "E", "ion", "q10", "q10_reference_c", "conductance", "source",
                "description", "params", "param_units", "gates")
_CHANNEL_KEYS = set(CHANNEL_KEYS)
#: Gates per channel accepted from a file: numba's compile time grows steeply
#: with the kernel's size (about a minute for 15 gates in a model here) and a
#: 32-gate channel fails inside the compiler.
MAX_GATES = 16
_GATE_KEYS = {"name", "power", "alpha", "beta", "inf", "tau", "instantaneous"}
_RATES = ("alpha", "beta", "inf", "tau")


def read_toml(path: str | Path, what: str) -> dict:
    """The TOML table in ``path``; a malformed file raises :class:`ModelError`
    naming the file and the line."""
    path = Path(path)
    text = read_text(path, what, ModelError)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ModelError(f"{what} {str(path)!r} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ModelError(f"{what} {str(path)!r}: values nested too deeply to be read") from None


def load_channel(path: str | Path) -> Channel:
    """The channel described by the TOML file ``path`` (errors name the file and key)."""
    path = Path(path)
    data = read_toml(path, "channel file")
    return channel_from_dict(data, f"channel file {str(path)!r}", default_source=str(path),
                             default_description=f"custom channel from {path.name}")


def channel_from_dict(data: dict, where: str, *, area_um2: float | None = None,
                      default_source: str = "", default_description: str = "") -> Channel:
    """A :class:`Channel` from the table ``data`` of a channel or cell file.

    ``where`` starts every error message (file and table); ``area_um2``
    (µm²) lets ``gbar`` be a point conductance (``"20 nS"``).
    """
    unknown = set(data) - _CHANNEL_KEYS
    if unknown:
        raise ModelError(f"{where}: unknown key {sorted(unknown)[0]!r}; accepted: {', '.join(sorted(_CHANNEL_KEYS))}")
    for key in ("name", "gbar", "E"):
        if key not in data:
            raise ModelError(f"{where}: missing key {key!r}")
    if not isinstance(data["name"], str) or not data["name"]:
        raise ModelError(f"{where}: name must be a non-empty string")
    cond = data.get("conductance", "")
    if not isinstance(cond, str):
        raise ModelError(f"{where}: conductance must be an expression string such as "
                         "\"gbar * (nf*n**2 + (1 - nf)*p)\"")
    gates = _gates(data.get("gates", []), where, data["name"], power_optional=bool(cond))
    params, units = _params(data, where)
    E = data["E"]
    if isinstance(E, bool) or not isinstance(E, (int, float, str)):
        raise ModelError(f"{where}: E must be a number (mV), 'nernst', 'ghk' or 'ghk2'")
    if isinstance(E, str) and E.strip().lower() not in ("nernst", "ghk", "ghk2"):
        E = _quantity(where, "E", E, "mV")
    if not isinstance(E, str):  # a number: a reversal potential a membrane can have (E = inf was kept)
        E = _range(where, "E", _as_float(E), -MAX_E_MV, MAX_E_MV)
    ghk = isinstance(E, str) and E.strip().lower() == "ghk"
    gbar = _quantity(where, "gbar", data["gbar"], "cm/s" if ghk else "mS/cm2", area_um2)
    _range(where, "gbar", gbar, 0.0, 1e9)
    q10 = _number(where, "q10", data.get("q10", 3.0), 1e-3, 1e3)
    tref = _range(where, "q10_reference_c", _quantity(where, "q10_reference_c", data.get("q10_reference_c", 6.3),
                                                      "degC"), -273.15, 1000.0)
    for key in ("ion", "source", "description"):
        if key in data and not isinstance(data[key], str):
            raise ModelError(f"{where}: {key} must be a string")
    try:
        return Channel(
            str(data["name"]), gbar=gbar, E=E, gates=tuple(gates), q10=q10, q10_reference_c=tref,
            ion=str(data.get("ion", "")), source=str(data.get("source", default_source)),
            description=str(data.get("description", default_description)), params=params,
            param_units=tuple(units.items()), conductance=cond,
        )
    except ModelError as exc:
        raise type(exc)(f"{where}: {exc}") from None
    except (TypeError, ValueError, OverflowError) as exc:
        raise ModelError(f"{where}: {exc}") from None


def _gates(raw, where: str, chname, power_optional: bool) -> list[Gate]:
    if not isinstance(raw, list):
        raise ModelError(f"{where}: 'gates' must be a list of [[gates]] tables")
    if len(raw) > MAX_GATES:  # before checking each gate's rates over the voltage range
        raise ModelError(f"{where}: {len(raw)} gates is too large a channel for the compiler; "
                         f"at most {MAX_GATES} gates per channel are accepted")
    gates = []
    for i, g in enumerate(raw):
        if not isinstance(g, dict):
            raise ModelError(f"{where}: gate {i + 1} must be a table")
        if "scheme" in g:  # a state of a kinetic scheme: its transitions to_<state> = rate (1/ms)
            gates.append(_scheme_state(g, i, where, chname))
            continue
        unknown = set(g) - _GATE_KEYS
        if unknown:
            raise ModelError(f"{where}: gate {i + 1}: unknown key {sorted(unknown)[0]!r}; accepted: "
                             + ", ".join(sorted(_GATE_KEYS)))
        if "name" not in g or ("power" not in g and not power_optional):
            raise ModelError(f"{where}: gate {i + 1} needs a name and a power")
        if not isinstance(g["name"], str):
            raise ModelError(f"{where}: gate {i + 1}: name must be a string")
        gw = f"{where}: gate {g['name']!r}"
        power = _number(where, f"gate {i + 1}: power", g.get("power", 1), 0.0, 16.0)
        if not isinstance(g.get("instantaneous", False), bool):
            raise ModelError(f"{where}: gate {i + 1}: instantaneous must be true or false")
        forms = {key: _rate(gw, key, g[key]) for key in _RATES if key in g}
        try:
            gates.append(Gate(g["name"], power, instantaneous=bool(g.get("instantaneous", False)), **forms))
        except ModelError as exc:
            raise type(exc)(f"{where}: channel {str(chname)!r}, {exc}") from None
        except (TypeError, ValueError, OverflowError) as exc:
            raise ModelError(f"{where}: gate {i + 1}: {exc}") from None
    return gates


def _scheme_state(g: dict, i: int, where: str, chname):
    """A ``[[gates]]`` table with ``scheme``: a :class:`~hhsim.channels.scheme.SchemeState`
    whose keys ``to_<state>`` give the rates (1/ms) of its transitions."""
    from .scheme import SchemeState

    unknown = [k for k in g if k not in ("name", "scheme", "power") and not k.startswith("to_")]
    if unknown:
        raise ModelError(f"{where}: gate {i + 1} (a state of a kinetic scheme): unknown key {unknown[0]!r}; "
                         "accepted: name, scheme, to_<state> = rate (1/ms)")
    if not isinstance(g.get("name"), str) or not isinstance(g["scheme"], str):
        raise ModelError(f"{where}: gate {i + 1}: name and scheme must be strings")
    gw = f"{where}: gate {g['name']!r}"
    targets = [k[3:] for k in g if k.startswith("to_")]
    try:
        return SchemeState(g["name"], 1, scheme=g["scheme"], targets=tuple(targets),
                           out_rates=tuple(_rate(gw, f"to_{t}", g[f"to_{t}"]) for t in targets))
    except ModelError as exc:
        raise type(exc)(f"{where}: channel {str(chname)!r}, {exc}") from None


def _rate(where: str, key: str, value) -> RateForm | str:
    """A rate from a file: expression text, number, built-in shape table or expression table."""
    if isinstance(value, bool):
        raise ModelError(f"{where}: {key} must be an expression string or a number")
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return Const(_range(where, key, float(value), -1e300, 1e300))
    if not isinstance(value, dict):
        raise ModelError(f"{where}: {key} must be an expression string or a number")
    if "expr" in value:
        extra = set(value) - {"expr", "params", "units"}
        if extra:
            raise ModelError(f"{where}: {key}: unknown key {sorted(extra)[0]!r}; accepted: expr, params, units")
        params, units = value.get("params", {}), value.get("units", {})
        if not isinstance(value["expr"], str) or not isinstance(params, dict) or not isinstance(units, dict):
            raise ModelError(f"{where}: {key}: expr is a string, params a table of numbers, units a table of strings")
        if not all(isinstance(u, str) for u in units.values()):
            raise ModelError(f"{where}: {key}: units must be strings")
        values, units = {}, dict(units)
        for p, x in params.items():
            if isinstance(x, str):  # "-40 mV": into its library unit (or the unit units names)
                units[p] = units.get(p) or quantity.library_unit(x, f"{where}: {key}.params.{p}")
                values[p] = _quantity(where, f"{key}.params.{p}", x, units[p])
            else:
                values[p] = _number(where, f"{key}.params.{p}", x, -1e300, 1e300)
        try:
            return Expr(value["expr"], values, tuple(units.items()))
        except ModelError as exc:
            raise type(exc)(f"{where}: {key}: {exc}") from None
    kind = value.get("form")
    if kind not in FORMS or kind == "expr":
        shapes = ", ".join(k for k in FORMS if k != "expr")
        raise ModelError(f"{where}: {key}: a table needs form = one of {shapes}, or expr = \"...\"")
    cls = FORMS[kind]
    names = set(cls.param_names)
    given = set(value) - {"form"}
    if given != names:
        odd = sorted(given - names) or sorted(names - given)
        raise ModelError(f"{where}: {key}: form {kind!r} takes exactly {', '.join(cls.param_names)} "
                         f"(check {odd[0]!r})")
    args = {n: _form_number(where, key, kind, n, value[n]) for n in cls.param_names}
    return cls(**args)


#: The unit of a built-in shape's amplitude by the rate's role (a linexp amplitude
#: carries an extra 1/mV and is given as a plain number).
_AMPLITUDE_UNIT = {"alpha": "1/ms", "beta": "1/ms", "inf": "1", "tau": "ms"}


def _form_number(where: str, key: str, kind: str, name: str, value) -> float:
    """A built-in shape's parameter: a number, or a string with a unit (V0 and k in mV,
    the amplitude in 1/ms for a rate, ms for a time constant)."""
    if not isinstance(value, str):
        return _number(where, f"{key}.{name}", value, -1e300, 1e300)
    if name in ("V0", "k"):
        unit = "mV"
    elif kind != "linexp":
        unit = _AMPLITUDE_UNIT[key]
    else:
        raise ModelError(f"{where}: {key}.{name} of a linexp form is in 1/(ms mV); give it as a number")
    return _quantity(where, f"{key}.{name}", value, unit)


def _params(data: dict, where: str) -> tuple[dict, dict]:
    """(name -> value, name -> unit) of the channel's named constants."""
    params = data.get("params", {})
    units = data.get("param_units", {})
    if not isinstance(params, dict):
        raise ModelError(f"{where}: [params] must be a table of numbers")
    if not isinstance(units, dict) or not all(isinstance(u, str) for u in units.values()):
        raise ModelError(f"{where}: [param_units] must be a table of unit strings")
    values, out_units = {}, dict(units)
    for key, value in params.items():
        if isinstance(value, str):
            unit = units.get(key) or quantity.library_unit(value, f"{where}: [params] {key}")
            values[key] = _quantity(where, f"[params] {key}", value, unit)
            out_units[key] = unit
        else:
            values[key] = _number(where, f"[params] {key}", value, -1e300, 1e300)
    stray = set(units) - set(params)
    if stray:
        raise ModelError(f"{where}: [param_units] names {sorted(stray)[0]!r}, which is not in [params]")
    return values, out_units


def _quantity(where: str, key: str, value, unit: str, area_um2: float | None = None) -> float:
    """A number in ``unit`` or a string with a unit (converted); refused with file and key."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ModelError(f"{where}: {key} must be a number in {unit} or a string with a unit, "
                         f"got {type(value).__name__} {value!r}")
    if isinstance(value, (int, float)):
        return _range(where, key, _as_float(value), -1e300, 1e300)
    try:
        return quantity.to_unit(value, unit, key, area_um2=area_um2)
    except ParameterError as exc:
        raise ParameterError(f"{where}: {exc}") from None


#: Largest reversal potential (mV, either sign) a channel file may give: as the model's parameters.
MAX_E_MV = 1000.0


def _as_float(value) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _range(where: str, key: str, x: float, lo: float, hi: float) -> float:
    if not (lo <= x <= hi):
        raise ModelError(f"{where}: {key} = {x:.4g} is outside the accepted range {lo:g} to {hi:g}")
    return x


def _number(where: str, key: str, value, lo: float, hi: float) -> float:
    """A TOML number within [lo, hi] (TOML strings such as "3" are refused, not converted)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ModelError(f"{where}: {key} must be a number, got {type(value).__name__} {value!r}")
    return _range(where, key, _as_float(value), lo, hi)


# ----------------------------------------------------------------- writing
def rate_to_toml(form: RateForm):
    """The file value of a rate form (read back by :func:`channel_from_dict` to an equal form)."""
    if isinstance(form, Expr):
        if not form.params and not form.units:
            return form.text
        out = {"expr": form.text}
        if form.params:
            out["params"] = dict(form.params)
        if form.units:
            out["units"] = dict(form.units)
        return out
    return {"form": form.kind, **dict(zip(form.param_names, form.values()))}


def channel_to_dict(ch: Channel, *, resolved_E: bool = False) -> dict:
    """The TOML table of ``ch`` (numbers in the library units, written exactly).

    A Nernst or GHK channel is written with ``E = "nernst"``/``"ghk"``: its
    value comes from the concentrations of the model that reads it.
    """
    out: dict = {"name": ch.name, "gbar": float(ch.gbar)}
    out["E"] = float(ch.E) if ch.reversal == "fixed" else ch.reversal
    if ch.ion:
        out["ion"] = ch.ion
    out["q10"] = float(ch.q10)
    out["q10_reference_c"] = float(ch.q10_reference_c)
    if ch.conductance:
        out["conductance"] = ch.conductance
    out["source"] = ch.source
    out["description"] = ch.description
    if ch.params:
        out["params"] = dict(ch.params)
    if ch.param_units:
        out["param_units"] = dict(ch.param_units)
    gates = []
    for g in ch.gates:
        if getattr(g, "scheme", ""):  # a state of a kinetic scheme
            gates.append({"name": g.name, "scheme": g.scheme,
                          **{f"to_{t}": rate_to_toml(f) for t, f in zip(g.targets, g.forms)}})
            continue
        power = float(g.power)
        t = {"name": g.name, "power": int(power) if power.is_integer() and abs(power) < 2**53 else power}
        if g.instantaneous and g.alpha is not None:
            t["instantaneous"] = True
        for fname, form in zip(g.form_names, g.forms):
            t[fname] = rate_to_toml(form)
        gates.append(t)
    if gates:
        out["gates"] = gates
    return out


def describe_channel(ch: Channel) -> str:
    """A channel file for ``ch`` (TOML text; :func:`load_channel` reads it back to an equal channel,
    source and description included)."""
    import tomli_w

    return tomli_w.dumps(channel_to_dict(ch))
