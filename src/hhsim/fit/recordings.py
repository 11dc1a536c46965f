"""Read any supported recording by its suffix: ``.nwb``, ``.abf``, ``.csv``."""

from __future__ import annotations

from pathlib import Path

from ..validate import file_path, number
from .data import DataError, Sweep

SUFFIXES = (".nwb", ".abf", ".csv")


def read_recording(path, *, stimuli=None, units: str | None = None, area_um2: float | None = None) -> list[Sweep]:
    """The sweeps of one recording file in library units.

    ``stimuli``: hhsim stimuli, one per sweep (needed when the file holds none);
    ``units``: the unit of CSV sweep columns named without one; ``area_um2``:
    membrane area (µm²) for recordings whose currents are point currents.
    """
    if area_um2 is not None:
        area_um2 = number(area_um2, "--area (the membrane area)", unit="µm²", lo=0.0, lo_open=True, error=DataError)
    path = file_path(path, "recording", error=DataError)
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        from .csvfile import read_csv

        return read_csv(path, stimuli=stimuli, units=units, area_um2=area_um2)
    if units is not None:
        raise DataError(f"{Path(path).name}: --units applies to CSV columns without units; "
                        f"{suffix} files carry their units")
    if suffix == ".nwb":
        from .nwb import read_nwb

        return read_nwb(path, stimuli=stimuli, area_um2=area_um2)
    if suffix == ".abf":
        from .abf import read_abf

        return read_abf(path, stimuli=stimuli, area_um2=area_um2)
    raise DataError(f"cannot read {str(path)!r}: unknown kind of recording; accepted: {', '.join(SUFFIXES)}")
