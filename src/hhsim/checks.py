"""Argument checks shared by the Python API: wrong types and values become
hhsim's own errors with one clear message (never an AttributeError)."""

from __future__ import annotations

import math
import numbers

from .errors import HHSimError, ParameterError, SolverError, StimulusError
from .validate import shown


#: Largest |potential| accepted (mV) for reversal potentials, thresholds, shifts and starting voltages.
MAX_POTENTIAL = 1000.0


def start_potential(value, name: str = "v_init", why: str = "") -> float:
    """A starting membrane potential (mV): finite and within ±:data:`MAX_POTENTIAL`, else
    one :class:`ParameterError` line (``why`` says what could not start there)."""
    v = finite_number(name, value, "mV")
    if abs(v) > MAX_POTENTIAL:
        raise ParameterError(f"{name} = {v:.4g} mV is beyond any membrane potential{why}; accepted: "
                             f"-{MAX_POTENTIAL:g} to {MAX_POTENTIAL:g} mV")
    return v


def finite_number(name: str, value, unit: str = "", error: type[HHSimError] = ParameterError) -> float:
    """``value`` as a finite float, else ``error`` naming ``name`` (in ``unit``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise error(f"{name} must be a number{f' in {unit}' if unit else ''}, got {type(value).__name__} {value!r}")
    try:
        value = float(value)
    except OverflowError:  # an integer beyond any float
        raise error(f"{name} = {shown(value)}{f' {unit}' if unit else ''} is too large; accepted: a finite number"
                    f"{f' in {unit}' if unit else ''}") from None
    if not math.isfinite(value):
        raise error(f"{name} must be finite{f' (in {unit})' if unit else ''}, got {value}")
    return value


def check_tolerance(name: str, value) -> float | None:
    """An adaptive solver's tolerance: None (the default) or 0 < value (< 1 for rtol)."""
    if value is None:
        return None
    value = finite_number(name, value, error=SolverError)
    if not (value > 0 and (name != "rtol" or value < 1)):
        accepted = "0 < rtol < 1" if name == "rtol" else "atol > 0"
        raise SolverError(f"{name} = {value:g} cannot be used; accepted: {accepted}")
    return value


def check_stimulus(stimulus):
    """A stimulus, a list of stimuli (summed) or None; anything else is a StimulusError."""
    from .stim import Stimulus, total

    if stimulus is None or isinstance(stimulus, Stimulus):
        return stimulus
    if isinstance(stimulus, (list, tuple)):
        bad = [s for s in stimulus if s is not None and not isinstance(s, Stimulus)]
        if not bad:
            return total(list(stimulus))
        stimulus = bad[0]
    hint = " (parse a text spec with hhsim.stimspec.parse)" if isinstance(stimulus, str) else ""
    raise StimulusError(f"stimulus must be a hhsim.stim stimulus such as stim.step(10, start=10, dur=30), "
                        f"a list of them or None; got {type(stimulus).__name__} {stimulus!r}{hint}")
