"""Channels from TOML files (for the command line), checked key by key.

Example ``a_current.toml``::

    name = "A"
    gbar = 47.7          # mS/cm² (cm/s for E = "ghk")
    E = -75.0            # mV, or "nernst" / "ghk"
    ion = "k"
    q10 = 3.0
    q10_reference_c = 18.0
    source = "Connor et al. 1977"

    [params]             # named constants used in the expressions
    Va = -94.22

    [[gates]]
    name = "a"
    power = 3
    inf = "(0.0761*exp(0.0314*(V - Va))/(1 + exp(0.0346*(V + 1.17))))**(1/3)"
    tau = "0.3632 + 1.158/(1 + exp(0.0497*(V + 55.96)))"

The expressions go through the same checked parser as in Python
(:mod:`hhsim.channels.expr`); nothing in the file is evaluated.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

from ..errors import ModelError
from ..io import read_text
from .base import Channel, Gate

_CHANNEL_KEYS = {"name", "gbar", "E", "ion", "q10", "q10_reference_c", "source", "description", "params", "gates"}
#: Gates per channel accepted from a file: numba's compile time grows steeply
#: with the kernel's size (about a minute for 15 gates in a model here) and a
#: 32-gate channel fails inside the compiler.
MAX_GATES = 16
_GATE_KEYS = {"name", "power", "alpha", "beta", "inf", "tau", "instantaneous"}


def load_channel(path: str | Path) -> Channel:
    """The channel described by the TOML file ``path`` (errors name the file and key)."""
    path = Path(path)
    text = read_text(path, "channel file", ModelError)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ModelError(f"channel file {str(path)!r} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ModelError(f"channel file {str(path)!r}: values nested too deeply to be read") from None
    where = f"channel file {str(path)!r}"
    unknown = set(data) - _CHANNEL_KEYS
    if unknown:
        raise ModelError(f"{where}: unknown key {sorted(unknown)[0]!r}; accepted: {', '.join(sorted(_CHANNEL_KEYS))}")
    for key in ("name", "gbar", "E"):
        if key not in data:
            raise ModelError(f"{where}: missing key {key!r}")
    gates = []
    raw_gates = data.get("gates", [])
    if not isinstance(raw_gates, list):
        raise ModelError(f"{where}: 'gates' must be a list of [[gates]] tables")
    for i, g in enumerate(raw_gates):
        if not isinstance(g, dict):
            raise ModelError(f"{where}: gate {i + 1} must be a table")
        unknown = set(g) - _GATE_KEYS
        if unknown:
            raise ModelError(f"{where}: gate {i + 1}: unknown key {sorted(unknown)[0]!r}; accepted: "
                             + ", ".join(sorted(_GATE_KEYS)))
        for key in ("alpha", "beta", "inf", "tau"):
            if key in g and not isinstance(g[key], (str, int, float)) or isinstance(g.get(key), bool):
                raise ModelError(f"{where}: gate {i + 1}: {key} must be an expression string or a number")
        if "name" not in g or "power" not in g:
            raise ModelError(f"{where}: gate {i + 1} needs a name and a power")
        if not isinstance(g["name"], str):
            raise ModelError(f"{where}: gate {i + 1}: name must be a string")
        _number(where, f"gate {i + 1}: power", g["power"], 0.0, 16.0)
        if not isinstance(g.get("instantaneous", False), bool):
            raise ModelError(f"{where}: gate {i + 1}: instantaneous must be true or false")
        try:
            gates.append(Gate(g["name"], g["power"], alpha=g.get("alpha"), beta=g.get("beta"), inf=g.get("inf"),
                              tau=g.get("tau"), instantaneous=bool(g.get("instantaneous", False))))
        except ModelError as exc:
            raise type(exc)(f"{where}: channel {str(data['name'])!r}, {exc}") from None
        except (TypeError, ValueError, OverflowError) as exc:
            raise ModelError(f"{where}: gate {i + 1}: {exc}") from None
    if len(gates) > MAX_GATES:
        raise ModelError(f"{where}: {len(gates)} gates is too large a channel for the compiler; "
                         f"at most {MAX_GATES} gates per channel are accepted")
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise ModelError(f"{where}: [params] must be a table of numbers")
    for key, lo, hi in (("gbar", 0.0, 1e9), ("q10", 1e-3, 1e3), ("q10_reference_c", -273.15, 1000.0)):
        if key in data:
            _number(where, key, data[key], lo, hi)
    if not isinstance(data["name"], str) or not data["name"]:
        raise ModelError(f"{where}: name must be a non-empty string")
    for key, value in params.items():
        _number(where, f"[params] {key}", value, -1e300, 1e300)
    if isinstance(data["E"], bool) or not isinstance(data["E"], (int, float, str)):
        raise ModelError(f"{where}: E must be a number (mV), 'nernst' or 'ghk'")
    try:
        return Channel(
            str(data["name"]), gbar=float(data["gbar"]), E=data["E"], gates=tuple(gates),
            q10=float(data.get("q10", 3.0)), q10_reference_c=float(data.get("q10_reference_c", 6.3)),
            ion=str(data.get("ion", "")), source=str(data.get("source", str(path))),
            description=str(data.get("description", f"custom channel from {path.name}")), params=params,
        )
    except ModelError as exc:
        raise type(exc)(f"{where}: {exc}") from None
    except (TypeError, ValueError, OverflowError) as exc:
        raise ModelError(f"{where}: {exc}") from None


def _number(where: str, key: str, value, lo: float, hi: float) -> float:
    """A TOML number within [lo, hi] (TOML strings such as "3" are refused, not converted)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ModelError(f"{where}: {key} must be a number, got {type(value).__name__} {value!r}")
    try:
        x = float(value)
    except OverflowError:
        x = math.inf
    if not (lo <= x <= hi):
        raise ModelError(f"{where}: {key} = {x:.4g} is outside the accepted range {lo:g} to {hi:g}")
    return x
