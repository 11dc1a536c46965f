"""CSV recordings: a time column in ms, one column per sweep, units in the column names.

Layout (header, then one row per sample)::

    t_ms,s1_mV,s2_mV,stim_s1_nA,stim_s2_nA
    0.0,-65.0,-65.1,0.0,0.0
    ...

* the first column is the time: ``t_ms`` (or ``t_s``, ``t_us``);
* every other column is a sweep named ``NAME_UNIT`` with ``UNIT`` one of
  ``mV``, ``V``, ``uV`` (current clamp) or ``pA``, ``nA``, ``uA``, ``A``,
  ``uA_cm2`` (voltage clamp); a column without a unit needs ``units``;
* a column ``stim_NAME_UNIT`` is the stimulus of sweep ``NAME`` (a current for
  current clamp, the command potential for voltage clamp); otherwise the
  stimuli are given as hhsim stimulus specs, one per sweep.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from ..io import read_text
from ..stim import Stimulus
from .data import DataError, Sweep, clamp_of_unit, factor, from_samples, make_sweep

#: Unit suffixes of column names and their spelling for the unit converter.
UNITS = {"uA_cm2": "uA/cm2", "mV": "mV", "uV": "uV", "V": "V", "pA": "pA", "nA": "nA", "uA": "uA", "A": "A",
         "ms": "ms", "s": "s", "us": "us"}


def split_unit(column: str) -> tuple[str, str | None]:
    """``"s1_mV"`` -> ``("s1", "mV")``; ``"s1"`` -> ``("s1", None)``."""
    for suffix in sorted(UNITS, key=len, reverse=True):
        if column.endswith("_" + suffix) and len(column) > len(suffix) + 1:
            return column[: -len(suffix) - 1], UNITS[suffix]
    return column, None


def read_csv(path, *, stimuli: list[Stimulus] | None = None, units: str | None = None,
             area_um2: float | None = None) -> list[Sweep]:
    """The sweeps of a CSV recording (see the module docstring), in library units.

    ``stimuli``: one hhsim stimulus per sweep (µA/cm² or mV) when the file has no
    ``stim_`` columns; ``units``: the unit of sweep columns named without one;
    ``area_um2``: membrane area (µm²) converting point currents into densities.
    """
    path = Path(path)
    src = path.name
    text = read_text(path, "recording", DataError)
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if len(rows) < 4:
        raise DataError(f"{src}: a CSV recording needs a header and at least 3 rows of samples")
    header = [h.strip() for h in rows[0]]
    width = len(header)
    if width < 2:
        raise DataError(f"{src}: needs a time column and at least one sweep column")
    for k, r in enumerate(rows[1:], start=2):
        if len(r) != width:
            raise DataError(f"{src}: row {k} has {len(r)} values, the header {width}; accepted: "
                            "sweeps of equal length (one value per column on every row)")
    try:
        data = np.array([[float(c) if c.strip() else np.nan for c in r] for r in rows[1:]], dtype=float)
    except ValueError as exc:
        raise DataError(f"{src}: a value is not a number ({exc})") from None
    tname, tunit = split_unit(header[0])
    if tname not in ("t", "time") or tunit not in ("ms", "s", "us"):
        raise DataError(f"{src}: the first column must be the time with its unit (t_ms or t_s), got {header[0]!r}")
    t_ms = data[:, 0] * {"ms": 1.0, "s": 1000.0, "us": 1e-3}[tunit]
    columns = {}
    stim_cols = {}
    for j, h in enumerate(header[1:], start=1):
        name, unit = split_unit(h)
        if name.startswith("stim_"):
            if unit is None:
                raise DataError(f"{src}: stimulus column {h!r} has no unit; name it like stim_NAME_nA or stim_NAME_mV")
            stim_cols[name[5:]] = (j, unit)
            continue
        if unit is None:
            if units is None:
                raise DataError(f"{src}: column {h!r} has no unit; name it {h}_mV (or _pA, _nA, ...) "
                                "or state the unit (--units)")
            unit = units
        if name in columns:
            raise DataError(f"{src}: sweep {name!r} appears twice")
        columns[name] = (j, unit)
    if not columns:
        raise DataError(f"{src}: no sweep columns (only the time and stimuli)")
    extra = sorted(set(stim_cols) - set(columns))
    if extra:
        raise DataError(f"{src}: stimulus column stim_{extra[0]} has no sweep {extra[0]!r}")
    if stim_cols and stimuli:
        raise DataError(f"{src}: has stimulus columns; give either those or stimulus specs, not both")
    if not stim_cols:
        if not stimuli:
            raise DataError(f"{src}: no stimulus; add stim_NAME_UNIT columns or give one stimulus spec per sweep "
                            "(--stim)")
        if len(stimuli) != len(columns):
            raise DataError(f"{src}: {len(columns)} sweeps but {len(stimuli)} stimulus specs; "
                            "accepted: one --stim per sweep, in column order")
    elif set(stim_cols) != set(columns):
        missing = sorted(set(columns) - set(stim_cols))
        raise DataError(f"{src}: sweep {missing[0]!r} has no stimulus column stim_{missing[0]}_UNIT")
    clamps = {name: clamp_of_unit(unit, f"{src}: column {name!r}") for name, (_, unit) in columns.items()}
    if len(set(clamps.values())) > 1:
        raise DataError(f"{src}: mixes potentials and currents in its sweep columns; accepted: one kind per file")
    sweeps = []
    for k, (name, (j, unit)) in enumerate(columns.items()):
        clamp = clamps[name]
        what = f"{src}: sweep {name!r}"
        values = data[:, j] * factor(unit, clamp, what, area_um2, "response")
        if stim_cols:
            sj, sunit = stim_cols[name]
            raw = data[:, sj]
            if not np.all(np.isfinite(raw)):
                raise DataError(f"{src}: stimulus column of sweep {name!r} has NaN or empty samples")
            s_values = raw * factor(sunit, clamp, f"{src}: stimulus of sweep {name!r}", area_um2, "stimulus")
            stimulus = from_samples(t_ms - t_ms[0], s_values, f"{src}:stim_{name}")
        else:
            stimulus = stimuli[k]
        sweeps.append(make_sweep(name, clamp, t_ms, values, stimulus, src))
    return sweeps


def write_csv(path, sweeps: list[Sweep], stimulus_columns: bool = True) -> None:
    """Write sweeps (one time axis) as a CSV recording in library units, atomically."""
    from ..io import atomic_write

    t = sweeps[0].t_ms
    cols = {"t_ms": t}
    for s in sweeps:
        if s.t_ms.size != t.size:
            raise DataError("write_csv: sweeps of one file need the same time axis")
        cols[f"{s.name}_{'mV' if s.unit == 'mV' else 'uA_cm2'}"] = s.values
    if stimulus_columns:
        for s in sweeps:
            cols[f"stim_{s.name}_{'uA_cm2' if s.unit == 'mV' else 'mV'}"] = s.stimulus.value(t)
    table = np.column_stack(list(cols.values()))

    def write(tmp):
        with open(tmp, "w", newline="") as fh:
            fh.write(",".join(cols) + "\n")
            np.savetxt(fh, table, delimiter=",", fmt="%.10g")

    atomic_write(path, write)
