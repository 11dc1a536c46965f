"""Parse command-line stimulus specifications with a restricted grammar.

Grammar (whitespace allowed between tokens)::

    spec    := NAME "(" [arg ("," arg)*] ")"
    arg     := KEY "=" value
    value   := NUMBER | QUOTED_STRING | BARE_PATH     (strings only for file(path=...))

``NAME`` must be one of the stimulus kinds below and every ``KEY`` one of its
keywords.  Nothing is ever evaluated: numbers go through ``float``.
"""

from __future__ import annotations

import math
import re

from . import stim
from .errors import StimulusError

# kind -> (factory, accepted keywords, required keywords)
KINDS = {
    "step": (stim.step, ("amp", "start", "dur"), ("amp",)),
    "pulses": (stim.pulses, ("amp", "start", "dur", "period", "count"), ("amp", "dur")),
    "ramp": (stim.ramp, ("start", "dur", "amp0", "amp1"), ("dur", "amp1")),
    "sine": (stim.sine, ("amp", "freq", "start", "dur", "offset"), ("amp", "freq")),
    "noise": (stim.noise, ("mean", "std", "tau", "seed", "start", "dur"), ("std",)),
    "file": (stim.from_file, ("path",), ("path",)),
}

_CALL = re.compile(r"^\s*([A-Za-z_]\w*)\s*\((.*)\)\s*$", re.S)
_KEY = re.compile(r"^\s*([A-Za-z_]\w*)\s*=\s*(.*?)\s*$", re.S)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?inf$")


def _split_args(body: str) -> list[str]:
    """Split on commas that are not inside quotes."""
    parts, cur, quote = [], [], None
    for ch in body:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
            cur.append(ch)
        elif ch == ",":
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if quote:
        raise StimulusError("unterminated quoted string in stimulus spec")
    parts.append("".join(cur))
    if len(parts) == 1 and not parts[0].strip():
        return []
    return parts


def _value(kind: str, key: str, text: str):
    if key == "path":
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
            return text[1:-1]
        if not text or any(c in text for c in "()=,\"'"):
            raise StimulusError(f"{kind}: path must be a file name, got {text!r}")
        return text
    if not _NUMBER.match(text):
        raise StimulusError(f"{kind}: {key}={text!r} is not a number")
    value = float(text)
    if math.isnan(value):
        raise StimulusError(f"{kind}: {key} must be a number")
    if key in ("count", "seed"):
        if not value.is_integer():
            raise StimulusError(f"{kind}: {key} must be a whole number (got {text})")
        return int(value)
    return value


def parse(spec: str) -> stim.Stimulus:
    """Turn ``"step(amp=10, start=10, dur=30)"`` into a :class:`hhsim.stim.Stimulus`."""
    accepted = ", ".join(f"{k}({', '.join(v[1])})" for k, v in KINDS.items())
    m = _CALL.match(spec or "")
    if not m:
        raise StimulusError(
            f"malformed stimulus {spec!r}; write a call such as step(amp=10, start=10, dur=30). "
            f"Accepted: {accepted}"
        )
    kind, body = m.group(1), m.group(2)
    if kind not in KINDS:
        raise StimulusError(f"unknown stimulus {kind!r}; accepted: {accepted}")
    factory, keys, required = KINDS[kind]
    kwargs = {}
    for arg in _split_args(body):
        km = _KEY.match(arg)
        if not km:
            raise StimulusError(
                f"{kind}: argument {arg.strip()!r} must be written keyword=value "
                f"(keywords: {', '.join(keys)})"
            )
        key, text = km.group(1), km.group(2)
        if key not in keys:
            raise StimulusError(f"{kind}: unknown keyword {key!r}; accepted: {', '.join(keys)}")
        if key in kwargs:
            raise StimulusError(f"{kind}: keyword {key!r} given twice")
        kwargs[key] = _value(kind, key, text)
    missing = [k for k in required if k not in kwargs]
    if missing:
        raise StimulusError(f"{kind}: missing {', '.join(missing)} (keywords: {', '.join(keys)})")
    try:
        return factory(**kwargs)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, StimulusError):
            raise
        raise StimulusError(f"{kind}: {exc}") from None
