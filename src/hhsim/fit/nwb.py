"""NWB intracellular recordings (pynwb): current- and voltage-clamp series with their stimuli.

Responses are the ``PatchClampSeries`` of ``acquisition``
(``CurrentClampSeries``/``IZeroClampSeries`` in volts, ``VoltageClampSeries``
in amperes); each is paired with the stimulus series of ``stimulus`` that
has its ``sweep_number`` (or, when the file numbers no sweeps, the one at the
same position).  Samples are ``data * conversion + offset`` in the series'
``unit``; times come from ``starting_time`` and ``rate`` (Hz) or
``timestamps`` (s).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .data import CURRENT_CLAMP, VOLTAGE_CLAMP, DataError, Sweep, factor, from_samples, make_sweep


def _samples(ts) -> np.ndarray:
    data = np.asarray(ts.data[:], dtype=float).ravel()
    conv = float(getattr(ts, "conversion", 1.0) or 1.0)
    offset = float(getattr(ts, "offset", 0.0) or 0.0)
    return data * conv + offset


def _times_ms(ts, n: int) -> np.ndarray:
    if ts.timestamps is not None:
        return np.asarray(ts.timestamps[:], dtype=float) * 1000.0
    if not ts.rate:
        raise DataError(f"NWB series {ts.name!r} has neither a sampling rate nor timestamps")
    return (float(ts.starting_time or 0.0) + np.arange(n) / float(ts.rate)) * 1000.0


def _clamp_of(ts) -> str:
    kind = type(ts).__name__
    if kind in ("CurrentClampSeries", "IZeroClampSeries"):
        return CURRENT_CLAMP
    if kind == "VoltageClampSeries":
        return VOLTAGE_CLAMP
    raise DataError(f"NWB series {ts.name!r} is a {kind}; accepted: CurrentClampSeries, VoltageClampSeries")


def read_nwb(path, *, stimuli=None, area_um2: float | None = None) -> list[Sweep]:
    """The sweeps of an NWB file (see the module docstring), in library units.

    ``stimuli``: hhsim stimuli, one per sweep, replacing the file's stimulus
    series; ``area_um2``: membrane area (µm²) converting amperes into µA/cm².
    """
    try:
        from pynwb import NWBHDF5IO
        from pynwb.icephys import PatchClampSeries
    except ImportError:  # pragma: no cover - the fit extra installs it
        raise DataError("reading NWB needs pynwb (pip install 'hhsim[fit]')") from None
    path = Path(path)
    src = path.name
    if not path.is_file():
        raise DataError(f"recording {str(path)!r} not found")
    try:
        io = NWBHDF5IO(str(path), "r")
        nwb = io.read()
    except Exception as exc:  # h5py and hdmf raise many kinds on a damaged file
        raise DataError(f"{src}: not a readable NWB file ({type(exc).__name__}: {exc})".splitlines()[0]) from None
    try:
        responses = [ts for ts in nwb.acquisition.values() if isinstance(ts, PatchClampSeries)]
        if not responses:
            raise DataError(f"{src}: no current- or voltage-clamp series in acquisition")
        stim_series = [ts for ts in nwb.stimulus.values() if isinstance(ts, PatchClampSeries)]
        if stimuli is not None:
            if len(stimuli) != len(responses):
                raise DataError(f"{src}: {len(responses)} sweeps but {len(stimuli)} stimulus specs; "
                                "accepted: one --stim per sweep")
            paired = list(stimuli)
        else:
            paired = _pair(src, responses, stim_series)
        sweeps = []
        for k, (ts, st) in enumerate(zip(responses, paired)):
            clamp = _clamp_of(ts)
            what = f"{src}: series {ts.name!r}"
            values = _samples(ts)
            t = _times_ms(ts, values.size)
            if t.size != values.size:
                raise DataError(f"{what} has {values.size} samples and {t.size} timestamps")
            values = values * factor(ts.unit, clamp, what, area_um2, "response")
            if stimuli is None:
                s_values = _samples(st)
                s_what = f"{src}: stimulus {st.name!r} of {ts.name!r}"
                if s_values.size != values.size or not np.allclose(_times_ms(st, s_values.size), t, atol=1e-6):
                    raise DataError(f"{s_what} has {s_values.size} samples on another time axis than its sweep "
                                    f"({values.size}); accepted: a stimulus sampled with its response")
                if not np.all(np.isfinite(s_values)):
                    raise DataError(f"{s_what} has NaN samples")
                s_values = s_values * factor(st.unit, clamp, s_what, area_um2, "stimulus")
                st = from_samples(t - t[0], s_values, f"{src}:{st.name}")
            sweeps.append(make_sweep(ts.name, clamp, t, values, st, src))
        return sweeps
    finally:
        io.close()


def _pair(src: str, responses, stim_series) -> list:
    """Each response's stimulus series: same sweep number, else same position."""
    if not stim_series:
        raise DataError(f"{src}: no stimulus series; give one stimulus spec per sweep (--stim)")
    numbers = [getattr(ts, "sweep_number", None) for ts in responses]
    if all(n is not None for n in numbers) and len(set(numbers)) == len(numbers):
        by_number = {getattr(s, "sweep_number", None): s for s in stim_series}
        out = []
        for ts, n in zip(responses, numbers):
            if n not in by_number:
                raise DataError(f"{src}: sweep {n} ({ts.name!r}) has no stimulus series")
            out.append(by_number[n])
        return out
    if len(stim_series) != len(responses):
        raise DataError(f"{src}: {len(responses)} responses but {len(stim_series)} stimulus series")
    return list(stim_series)


def write_nwb(path, sweeps: list[Sweep], area_um2: float) -> None:
    """Write sweeps as an NWB file in SI units (volts, amperes through ``area_um2``), atomically.

    Current clamp: ``CurrentClampSeries`` + ``CurrentClampStimulusSeries``;
    voltage clamp: ``VoltageClampSeries`` + ``VoltageClampStimulusSeries``.
    """
    from datetime import datetime, timezone

    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.icephys import (CurrentClampSeries, CurrentClampStimulusSeries, VoltageClampSeries,
                               VoltageClampStimulusSeries)

    from ..io import atomic_write

    nwb = NWBFile(session_description="hhsim recording", identifier="hhsim",
                  session_start_time=datetime(2000, 1, 1, tzinfo=timezone.utc))
    dev = nwb.create_device(name="amplifier")
    el = nwb.create_icephys_electrode(name="electrode", description="whole-cell", device=dev)
    amps = area_um2 * 1e-8 * 1e-6  # µA/cm² -> A
    for k, s in enumerate(sweeps):
        rate = 1000.0 / s.dt_ms
        command = s.stimulus.value(s.t_ms)
        if s.clamp == CURRENT_CLAMP:
            resp = CurrentClampSeries(name=s.name, data=s.values * 1e-3, electrode=el, gain=1.0, rate=rate,
                                      starting_time=0.0, sweep_number=np.uint64(k))
            st = CurrentClampStimulusSeries(name=f"stim_{s.name}", data=command * amps, electrode=el, gain=1.0,
                                            rate=rate, starting_time=0.0, sweep_number=np.uint64(k))
        else:
            resp = VoltageClampSeries(name=s.name, data=s.values * amps, electrode=el, gain=1.0, rate=rate,
                                      starting_time=0.0, sweep_number=np.uint64(k))
            st = VoltageClampStimulusSeries(name=f"stim_{s.name}", data=command * 1e-3, electrode=el, gain=1.0,
                                            rate=rate, starting_time=0.0, sweep_number=np.uint64(k))
        nwb.add_intracellular_recording(electrode=el, stimulus=st, response=resp)

    def write(tmp):
        with NWBHDF5IO(tmp, "w") as io:
            io.write(nwb)

    atomic_write(path, write)
