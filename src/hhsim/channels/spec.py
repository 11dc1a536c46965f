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

import tomllib
from pathlib import Path

from ..errors import ModelError
from ..io import read_text
from .base import Channel, Gate

_CHANNEL_KEYS = {"name", "gbar", "E", "ion", "q10", "q10_reference_c", "source", "description", "params", "gates"}
_GATE_KEYS = {"name", "power", "alpha", "beta", "inf", "tau", "instantaneous"}


def load_channel(path: str | Path) -> Channel:
    """The channel described by the TOML file ``path`` (errors name the file and key)."""
    path = Path(path)
    text = read_text(path, "channel file", ModelError)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ModelError(f"channel file {str(path)!r} is not valid TOML: {exc}") from None
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
        try:
            gates.append(Gate(g["name"], g["power"], alpha=g.get("alpha"), beta=g.get("beta"), inf=g.get("inf"),
                              tau=g.get("tau"), instantaneous=bool(g.get("instantaneous", False))))
        except ModelError as exc:
            raise type(exc)(f"{where}: channel {str(data['name'])!r}, {exc}") from None
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise ModelError(f"{where}: [params] must be a table of numbers")
    for key in ("gbar", "q10", "q10_reference_c"):
        if key in data and (isinstance(data[key], bool) or not isinstance(data[key], (int, float))):
            raise ModelError(f"{where}: {key} must be a number")
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
