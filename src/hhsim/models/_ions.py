"""Concentrations that reproduce a paper's reversal potentials at a temperature.

Most papers give ENa and EK as numbers.  The mammalian presets compute them
instead by the Nernst equation (so that ``--set K_out=...`` moves them), from
K_in = 140 mM and Na_out = 145 mM (typical mammalian values, Hille 2001,
Table 1.1) and the other side chosen so that the Nernst potential at the
preset's temperature is exactly the paper's value.
"""

from __future__ import annotations

import math

from ..channels.ions import rt_over_f

K_IN = 140.0  # mM
NA_OUT = 145.0  # mM


def matching(temperature_c: float, e_na: float | None = None, e_k: float | None = None) -> dict[str, float]:
    """{"K_in", "K_out", "Na_in", "Na_out"} giving ``e_na``/``e_k`` (mV) at ``temperature_c``."""
    rtf = rt_over_f(temperature_c)
    out = {}
    if e_k is not None:
        out.update(K_in=K_IN, K_out=K_IN * math.exp(e_k / rtf))
    if e_na is not None:
        out.update(Na_in=NA_OUT * math.exp(-e_na / rtf), Na_out=NA_OUT)
    return out
