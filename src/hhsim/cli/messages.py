"""Make any error text a readable single line for the terminal.

* whitespace (newlines included) collapses to single spaces;
* numbers written with more than 4 significant digits are shown with 4
  (``0.30000000000000004`` -> ``0.3``, ``1234567.0`` -> ``1.235e+06``);
  whole numbers without a point or exponent (counts, sizes) stay as written,
  unless longer than 15 digits (``1.234e+299 (300 digits)``);
* quoted user text longer than :data:`QUOTE_MAX` characters is cut, with its
  length given, and the whole line is kept under :data:`LINE_MAX` characters.
"""

from __future__ import annotations

import re

QUOTE_MAX = 60
LINE_MAX = 480

# a quoted string as repr() writes it (either quote), or a decimal/exponent number
_TOKEN = re.compile(
    r"""(?P<q>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
    r"""|(?<![\w.])(?P<n>[-+]?(?:\d+\.\d*|\.\d+|\d+(?=[eE])|\d{16,})(?:[eE][-+]?\d+)?)(?![\w.])"""
)


def _number(text: str) -> str:
    digits = text.lstrip("+-")
    if digits.isdigit() and len(digits) > 15:  # a hostile whole number: its size, not its 300 digits
        return f"{text[0] if text[0] in '+-' else ''}{digits[0]}.{digits[1:4]}e+{len(digits) - 1:02d} " \
               f"({len(digits)} digits)"
    try:
        value = float(text)
    except ValueError:  # pragma: no cover - the pattern only matches numbers
        return text
    digits = len(re.sub(r"[^0-9]", "", re.split(r"[eE]", text)[0]).lstrip("0"))
    return text if digits <= 4 else f"{value:.4g}"


def _quoted(text: str) -> str:
    inner = text[1:-1]
    if len(inner) <= QUOTE_MAX:
        return text
    return f"{text[0]}{inner[:QUOTE_MAX - 20]}…{text[0]} ({len(inner)} characters)"


def one_line(text: str) -> str:
    """``text`` as one readable line (see the module docstring)."""
    flat = " ".join(str(text).split())

    def fix(m: re.Match) -> str:
        return _quoted(m.group("q")) if m.group("q") is not None else _number(m.group("n"))

    flat = _TOKEN.sub(fix, flat)
    if len(flat) > LINE_MAX:
        flat = flat[: LINE_MAX - 1] + "…"
    return flat


#: Optional third-party packages -> the extra of ``pyproject.toml`` that installs them.
EXTRAS = {
    "panel": "explore", "bokeh": "explore",
    "dask": "sweep", "distributed": "sweep", "zarr": "sweep",
    "xarray": "netcdf", "netCDF4": "netcdf",
    "efel": "fit", "cma": "fit", "pyabf": "fit",
    "pynwb": "interop", "neuroml": "interop", "lxml": "interop",
    "lark": "nmodl", "pint": "units", "neuron": "neuron", "brian2": "brian2",
}


def missing_extra(exc: ImportError) -> str | None:
    """One line naming the extra to install for a missing optional package (None: not one of ours)."""
    name = (getattr(exc, "name", None) or "").split(".")[0]
    extra = EXTRAS.get(name)
    if extra is None:
        return None
    return f"this command needs the {name!r} package: pip install 'hhsim[{extra}]'"
