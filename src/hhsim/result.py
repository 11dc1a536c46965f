"""Simulation results: arrays with units, spike times, metadata, and exporters."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from .display import ShownResult, scalars
from .errors import OutputError
from .io import atomic_write
from .model import Model, StateDict

# Column and variable names that leave the library carry their unit.
_STATE_UNIT = "1"


@dataclass(repr=False)
class Result(ShownResult):
    """One simulated trace.

    Attributes
    ----------
    t : ms, the recorded times.
    v : mV, membrane potential at ``t``.
    states : gate name -> values (dimensionless, in [0, 1]); intracellular ion
        pools by their state name, e.g. ``states["Ca_i"]`` (mM).
    stimulus : µA/cm², injected current at ``t`` (command voltage in mV under clamp).
    spike_times : ms, upward crossings of ``model.spike_threshold``, located on the
        cubic Hermite interpolant of V between steps (O(dt^4) accurate).
    model, method, dt (ms), t_stop (ms), v_rest (mV, the model's resting equilibrium).
    """

    t: np.ndarray
    v: np.ndarray
    states: dict[str, np.ndarray]
    stimulus: np.ndarray
    spike_times: np.ndarray
    model: Model
    method: str
    dt: float
    t_stop: float
    v_rest: float
    clamped: bool = False
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        # qualified gate names (states["Na.m"]) always work, short ones where unique
        if not isinstance(self.states, StateDict) and isinstance(self.model, Model):
            self.states = StateDict(self.states, self.model.state_aliases)

    # ------------------------------------------------------------ derived
    def _gate_values(self, channel) -> dict[str, np.ndarray]:
        names = dict(zip([(ch.name, g.name) for ch, g in self.model.gates], self.model.state_names))
        return {g.name: self.states[names[(channel.name, g.name)]] for g in channel.gates}

    @cached_property
    def conductances(self) -> dict[str, np.ndarray]:
        """Channel name -> conductance (mS/cm²) at ``t`` (for a GHK channel the
        chord conductance I / (V - E_rev)), from the engine's one NumPy
        description of the physics (:func:`hhsim.engine.numpy_path.physics`)."""
        return self.model.channel_conductances(self.v, self.states)

    @cached_property
    def currents(self) -> dict[str, np.ndarray]:
        """Channel name -> ionic current density (µA/cm², outward positive) at ``t``
        (Nernst reversal potentials follow the pool concentrations; GHK channels
        use the GHK current equation), from the engine's physics as
        :attr:`conductances`."""
        return self.model.channel_currents(self.v, self.states)

    @property
    def i_ion(self) -> np.ndarray:
        """Total ionic current (µA/cm²)."""
        return sum(self.currents.values())

    @property
    def n_spikes(self) -> int:
        return int(len(self.spike_times))

    def summary(self) -> dict:
        """The JSON summary of ``hhsim run --json`` (keys carry units)."""
        after = self.v[self.t >= (self.spike_times[0] if self.n_spikes else np.inf)]
        return {
            "model": self.model.name,
            "method": self.method,
            "dt_ms": self.dt,
            "t_stop_ms": self.t_stop,
            "temperature_C": self.model.temperature,
            "n_spikes": self.n_spikes,
            "spike_times_ms": [round(float(s), 9) for s in self.spike_times],
            "spike_threshold_mV": self.model.spike_threshold,
            "v_rest_mV": float(self.v_rest),
            "v_max_mV": float(np.max(self.v)),
            "v_min_mV": float(np.min(self.v)),
            "ahp_min_mV": float(np.min(after)) if after.size else None,
        }

    # ------------------------------------------------------------ export
    def columns(self) -> dict[str, np.ndarray]:
        """Ordered columns with unit-carrying names (the CSV layout)."""
        cols = {"t_ms": self.t, "v_mV": self.v}
        for name, values in self.states.items():
            unit = self.model.state_unit(name)
            cols[name if unit == "1" else f"{name}_{unit}"] = values
        for name, values in self.currents.items():
            cols[f"i_{name.lower()}_uA_cm2"] = values
        for name, values in self.conductances.items():
            cols[f"g_{name.lower()}_mS_cm2"] = values
        cols["v_clamp_mV" if self.clamped else "i_stim_uA_cm2"] = self.stimulus
        return cols

    def metadata(self) -> dict:
        from ._version import __version__

        return {
            "model": self.model.name,
            "method": self.method,
            "dt_ms": self.dt,
            "t_stop_ms": self.t_stop,
            "temperature_C": self.model.temperature,
            "v_rest_mV": float(self.v_rest),
            "spike_times_ms": [float(s) for s in self.spike_times],
            "hhsim_version": __version__,
            "parameters": {k: p.value for k, p in self.model.params().items()},
            **self.meta,
        }

    def to_dataframe(self):
        """A pandas DataFrame with one row per recorded time."""
        import pandas as pd

        df = pd.DataFrame(self.columns())
        df.attrs.update(self.metadata())
        return df

    def to_xarray(self):
        """An ``xarray.Dataset`` on the time coordinate (requires xarray)."""
        try:
            import xarray as xr
        except ImportError:
            raise OutputError("NetCDF output needs xarray: pip install 'hhsim[netcdf]'") from None
        cols = self.columns()
        t = cols.pop("t_ms")
        ds = xr.Dataset({k: ("t_ms", v) for k, v in cols.items()}, coords={"t_ms": t})
        ds["spike_times_ms"] = ("spike", np.asarray(self.spike_times, dtype=float))
        meta = self.metadata()
        ds.attrs.update({k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in meta.items()})
        return ds

    def save(self, path: str | Path) -> Path:
        """Write CSV, NPZ, NetCDF or NWB (by suffix), atomically."""
        from . import validate as _v

        path = _v.file_path(path, "save: the path", error=OutputError)
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".csv":
            def write(tmp):
                self.to_dataframe().to_csv(tmp, index=False, float_format="%.10g")
        elif suffix == ".npz":
            def write(tmp):
                with open(tmp, "wb") as fh:
                    np.savez_compressed(
                        fh, **self.columns(), spike_times_ms=np.asarray(self.spike_times),
                        metadata=json.dumps(self.metadata()),
                    )
        elif suffix == ".nc":
            ds = self.to_xarray()

            def write(tmp):
                write_netcdf(ds, tmp, path)
        elif suffix == ".nwb":
            from .interop.nwb import write_result  # pynwb only when an NWB file is asked for

            return write_result(self, path, area_um2=self.meta.get("area_um2"))
        else:
            raise OutputError(f"cannot write {str(path)!r}: use a .csv, .npz, .nc or .nwb file name")
        atomic_write(path, write)
        return path

    def plot(self, path: str | Path | None = None):
        """The classic four-panel figure (V, gates, currents, stimulus), saved to ``path`` if given."""
        from .plot import plot_result

        return plot_result(self, path)

    def _headline(self) -> tuple:
        return (self.model.name, self.method, f"{self.t_stop:g} ms",
                f"{self.n_spikes} spike{'s' if self.n_spikes != 1 else ''}")

    def _rows(self) -> dict:
        return scalars(self.summary())

    def _title(self) -> str:
        return f"Result of {self.model.name}"


def write_netcdf(ds, tmp, final) -> None:
    """``ds.to_netcdf(tmp)``, its library's failures as one :class:`OutputError` line.

    The NetCDF and HDF5 libraries report a full disk or a file-size limit as a
    bare ``RuntimeError: NetCDF: HDF error``; the line names the file and the
    likely cause instead (the temporary file is removed by the atomic write).
    """
    try:
        ds.to_netcdf(tmp, engine=_netcdf_engine())
    except RuntimeError as exc:
        raise OutputError(f"cannot write {str(final)!r}: the NetCDF library failed ({' '.join(str(exc).split())}); "
                          "is the disk full or the file too large?") from None


def _netcdf_engine() -> str:
    """netCDF4 (NetCDF-4 files) when installed, else scipy's NetCDF-3 writer."""
    for module, engine in (("netCDF4", "netcdf4"),):
        try:
            __import__(module)
            return engine
        except ImportError:
            continue
    return "scipy"
