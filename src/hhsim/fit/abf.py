"""Axon Binary Format recordings (pyabf): every sweep of one channel.

The response unit is the channel's ADC unit (``mV`` current clamp, ``pA``
voltage clamp); the stimulus is the protocol's command waveform
(``sweepC``, in the DAC unit) unless stimulus specs are given, as they must
be for files without a protocol (an ABF1 file written by a program).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .data import DataError, Sweep, clamp_of_unit, factor, from_samples, make_sweep


def read_abf(path, *, stimuli=None, area_um2: float | None = None, channel: int = 0) -> list[Sweep]:
    """The sweeps of an ABF file in library units (see the module docstring)."""
    try:
        import pyabf
    except ImportError:  # pragma: no cover - the fit extra installs it
        raise DataError("reading ABF needs pyabf (pip install 'hhsim[fit]')") from None
    path = Path(path)
    src = path.name
    if not path.is_file():
        raise DataError(f"recording {str(path)!r} not found")
    try:
        abf = pyabf.ABF(str(path))
    except Exception as exc:  # pyabf raises plain exceptions on a damaged file
        raise DataError(f"{src}: not a readable ABF file ({type(exc).__name__}: {exc})".splitlines()[0]) from None
    if not 0 <= channel < abf.channelCount:
        raise DataError(f"{src}: channel {channel} does not exist; accepted: 0 to {abf.channelCount - 1}")
    n = abf.sweepCount
    if stimuli is not None and len(stimuli) != n:
        raise DataError(f"{src}: {n} sweeps but {len(stimuli)} stimulus specs; accepted: one --stim per sweep")
    sweeps = []
    for k in range(n):
        abf.setSweep(k, channel=channel)
        unit = _unit(abf.sweepUnitsY)
        what = f"{src}: sweep {k}"
        if not unit:
            raise DataError(f"{what} has no unit")
        clamp = clamp_of_unit(unit, what)
        t = np.asarray(abf.sweepX, dtype=float) * 1000.0
        values = np.asarray(abf.sweepY, dtype=float) * factor(unit, clamp, what, area_um2, "response")
        if stimuli is not None:
            stimulus = stimuli[k]
        else:
            command = np.asarray(abf.sweepC, dtype=float)
            c_unit = _unit(abf.sweepUnitsC)
            if not c_unit:
                raise DataError(f"{src}: no protocol waveform; give one stimulus spec per sweep (--stim)")
            stimulus = from_samples(t - t[0], command * factor(c_unit, clamp, f"{what} command", area_um2,
                                                               "stimulus"), f"{src}:{k}")
        sweeps.append(make_sweep(str(k), clamp, t, values, stimulus, src))
    return sweeps


def _unit(text) -> str:
    """A unit as ABF stores it (fixed-width, NUL- or space-padded), cleaned."""
    return str(text or "").replace("\x00", "").strip()
