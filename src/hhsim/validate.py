"""One set of checks for values that come from users (files, the API, the command line).

Every loader and constructor that takes user values checks them here, so a
wrong type, a NaN, an infinity, a value out of range or a size beyond the
machine becomes a :class:`~hhsim.errors.ParameterError` with one line naming
where the value is, what it was and what is accepted -- never a TypeError or
an OverflowError from deep inside a kernel.  :func:`shown` keeps a hostile
value (a 300-digit integer, a long string, a nested list) short in messages.
"""

from __future__ import annotations

import math
import numbers

from .errors import HHSimError, ParameterError

#: Most neurons, sources or inputs of one population (a bound on sizes, checked before any allocation).
MAX_COUNT = 100_000_000
#: Longest synaptic delay (ms): far beyond any axon, short enough for the event queues.
MAX_DELAY_MS = 10_000.0
#: Highest rate of a spike source or Poisson input (Hz): beyond any neuron (a spike every 10 µs).
MAX_RATE_HZ = 100_000.0
#: Shortest time constant (ms) a kernel can follow at any usable step.
MIN_TAU_MS = 1e-6
#: Most time steps of one run (and the largest ``record_every``): checked before any allocation.
MAX_STEPS = 2_000_000_000


def shown(value, limit: int = 40) -> str:
    """``value`` for a message: long integers as ``1.234e+299 (300 digits)``, long text cut."""
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, numbers.Integral):
        text = str(int(value))
        digits = len(text.lstrip("-"))
        if digits > 15:
            return f"{float(int(value)) if digits < 309 else (-1 if value < 0 else 1) * math.inf:.4g} ({digits} digits)"
        return text
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 5] + "...' " + f"({len(text)} characters)"


def _where(where: str) -> str:
    return where[0].upper() + where[1:] if where else "value"


def number(value, where: str, *, unit: str = "", lo: float | None = None, hi: float | None = None,
           lo_open: bool = False, error: type[HHSimError] = ParameterError) -> float:
    """``value`` as a finite float within [lo, hi] (``lo_open``: > lo), else one clear error."""
    u = f" {unit}" if unit else ""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise error(f"{where} must be a number{f' in {unit}' if unit else ''} (got {type(value).__name__} "
                    f"{shown(value)})")
    try:
        x = float(value)
    except OverflowError:
        raise error(f"{where} {shown(value)} is too large; accepted: a number{_range(lo, hi, lo_open, u)}") from None
    if not math.isfinite(x):
        raise error(f"{where} must be a finite number{f' in {unit}' if unit else ''} (got {x})")
    if (lo is not None and (x < lo or (lo_open and x == lo))) or (hi is not None and x > hi):
        got = shown(value) if isinstance(value, numbers.Integral) else f"{x:g}"
        raise error(f"{where} = {got}{u} is out of range; accepted: {_range(lo, hi, lo_open, u).strip()}")
    return x


def _range(lo, hi, lo_open, u) -> str:
    parts = []
    if lo is not None:
        parts.append(f"{'>' if lo_open else '>='} {lo:g}{u}")
    if hi is not None:
        parts.append(f"<= {hi:g}{u}")
    return " " + " and ".join(parts) if parts else ""


def optional_number(value, where: str, **kw) -> float | None:
    return None if value is None else number(value, where, **kw)


def whole(value, where: str, *, lo: int = 0, hi: int | None = None,
          error: type[HHSimError] = ParameterError) -> int:
    """``value`` as an int in [lo, hi] (a float with no fraction is accepted), else one clear error."""
    ok = not isinstance(value, bool) and isinstance(value, numbers.Real)
    if ok and not isinstance(value, numbers.Integral):
        ok = math.isfinite(float(value)) and float(value).is_integer()
    if not ok:
        raise error(f"{where} must be a whole number (got {type(value).__name__} {shown(value)})")
    n = int(value)
    if n < lo or (hi is not None and n > hi):
        top = f" and <= {shown(hi)}" if hi is not None else ""
        raise error(f"{where} = {shown(n)} is out of range; accepted: >= {lo}{top}")
    return n


def text(value, where: str, *, choices=None, error: type[HHSimError] = ParameterError) -> str:
    """``value`` as a string (one of ``choices`` when given)."""
    if not isinstance(value, str):
        raise error(f"{where} must be a string (got {type(value).__name__} {shown(value)})")
    if choices is not None and value not in choices:
        raise error(f"unknown {where} {shown(value)}; accepted: {', '.join(choices)}")
    return value


def table(value, where: str, *, error: type[HHSimError] = ParameterError) -> dict:
    """``value`` as a table (dict) with string keys."""
    if not isinstance(value, dict):
        raise error(f"{where} must be a table of name = value (got {type(value).__name__} {shown(value)})")
    bad = [k for k in value if not isinstance(k, str)]
    if bad:
        raise error(f"{where}: names must be strings (got {shown(bad[0])})")
    return value


def tables(value, where: str, *, error: type[HHSimError] = ParameterError) -> list:
    """``value`` as a list of tables (a TOML array of tables)."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(t, dict) for t in value):
        raise error(f"{where} must be an array of tables ([[...]] entries) (got {type(value).__name__} "
                    f"{shown(value)})")
    return list(value)


def names(value, where: str, *, error: type[HHSimError] = ParameterError) -> list[str]:
    """One name or a list of names, as a list."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise error(f"{where} must be a name or a list of names (got {type(value).__name__} {shown(value)})")
    return list(value)


def numbers_list(value, where: str, *, lo: float | None = None, hi: float | None = None, unit: str = "",
                 max_len: int = MAX_COUNT, error: type[HHSimError] = ParameterError) -> list[float]:
    """A flat list of finite numbers in [lo, hi]."""
    if not isinstance(value, (list, tuple)) and not hasattr(value, "tolist"):
        raise error(f"{where} must be a list of numbers (got {type(value).__name__} {shown(value)})")
    items = list(value.tolist() if hasattr(value, "tolist") else value)
    if len(items) > max_len:
        raise error(f"{where} has {len(items)} values; the limit is {max_len}")
    return [number(x, f"{where}[{i}]", lo=lo, hi=hi, unit=unit, error=error) for i, x in enumerate(items)]


def indices(value, where: str, size: int | None = None, *, error: type[HHSimError] = ParameterError) -> list[int]:
    """A list of neuron indices (whole numbers >= 0, below ``size`` when given)."""
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        items = list(value.tolist() if hasattr(value, "tolist") else value)
    else:
        items = [value]
    hi = None if size is None else size - 1
    return [whole(x, f"{where}[{i}]", lo=0, hi=hi, error=error) for i, x in enumerate(items)]


def file_path(value, where: str = "path", *, error: type[HHSimError] = ParameterError, example: str = "out.csv"):
    """``value`` as a :class:`pathlib.Path` (a str or path-like), else one clear error."""
    import os
    from pathlib import Path

    if isinstance(value, (str, os.PathLike)) and not isinstance(value, bytes):
        text = os.fspath(value)
        if text and "\x00" not in text:
            return Path(text)
    raise error(f"{where} must be a file name such as {example!r} (got {type(value).__name__} {shown(value)})")


def float_array(value, where: str, *, flat: bool = True, min_len: int = 0, max_len: int | None = MAX_COUNT,
                finite: bool = True, lo: float | None = None, hi: float | None = None, lo_open: bool = False,
                unit: str = "", error: type[HHSimError] = ParameterError):
    """``value`` (a list, tuple or array of numbers) as a float array, else one clear error.

    ``flat``: flattened to 1-D (an array of any shape accepted, as NumPy's ``ravel``);
    otherwise it must already be 1-D.  Text, a mapping, ragged or nested lists, integers
    beyond a float and (with ``finite``) NaN or infinities are refused, naming the first
    bad element; ``lo``/``hi`` bound every element.
    """
    import numpy as np

    kind = f"a list of numbers{f' in {unit}' if unit else ''}"
    if isinstance(value, (str, bytes, dict, set, frozenset)) or value is None or not (
            isinstance(value, (list, tuple, range)) or hasattr(value, "__array__") or hasattr(value, "tolist")):
        raise error(f"{where} must be {kind} (got {type(value).__name__} {shown(value)})")
    if max_len is not None and hasattr(value, "__len__") and len(value) > max_len:
        raise error(f"{where} has {len(value)} values; the limit is {max_len}")
    try:
        a = np.asarray(value, dtype=float)
    except OverflowError:
        big = next((x for x in value if isinstance(x, numbers.Integral)
                    and not isinstance(x, bool) and abs(int(x)) > 2**1023), None) if isinstance(value, (list, tuple)) else None
        raise error(f"{where} holds a number too large for a float{f' ({shown(big)})' if big is not None else ''}; "
                    f"accepted: {kind}") from None
    except (TypeError, ValueError):
        raise error(f"{where} must be {kind} of one shape (got {type(value).__name__} {shown(value)})") from None
    if flat:
        a = a.ravel()
    elif a.ndim != 1:
        raise error(f"{where} must be a flat (1-D) {kind[2:]} (got an array of shape {a.shape})")
    if max_len is not None and a.size > max_len:
        raise error(f"{where} has {a.size} values; the limit is {max_len}")
    if a.size < min_len:
        raise error(f"{where} has {a.size} value{'s' if a.size != 1 else ''}; at least {min_len} needed")
    if finite:
        bad = np.flatnonzero(~np.isfinite(a))
        if bad.size:
            raise error(f"{where}[{bad[0]}] must be a finite number{f' in {unit}' if unit else ''} "
                        f"(got {a.flat[bad[0]]})")
    u = f" {unit}" if unit else ""
    if lo is not None:
        low = np.flatnonzero(a <= lo if lo_open else a < lo)
        if low.size:
            raise error(f"{where}[{low[0]}] = {a.flat[low[0]]:g}{u} is out of range; accepted: "
                        f"{_range(lo, hi, lo_open, u).strip()}")
    if hi is not None:
        high = np.flatnonzero(a > hi)
        if high.size:
            raise error(f"{where}[{high[0]}] = {a.flat[high[0]]:g}{u} is out of range; accepted: "
                        f"{_range(lo, hi, lo_open, u).strip()}")
    return a


def record_every(value, error: type[HHSimError] = ParameterError) -> int:
    """``record_every`` (keep every k-th step) as an int from 1 to :data:`MAX_STEPS`, else one clear error."""
    return whole(value, "record_every", lo=1, hi=MAX_STEPS, error=error)
