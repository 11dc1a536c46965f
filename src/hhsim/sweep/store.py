"""The zarr store of a sweep and the gridded ``xarray.Dataset`` built from results.

Layout of a store (a zarr directory in format 2 with consolidated metadata, so
that ``xarray.open_zarr(path)`` opens it at once, without a warning, as the
same grid the NetCDF output holds):

* grid mode: one coordinate array per swept parameter (its axis values, on
  its own dimension) and, per measure, a float64 array and its status
  (``status_<measure>``, int8) on the parameters' dimensions, in the order
  given; samples mode: every array on dimension ``sample``, the parameters'
  values as coordinates;
* ``done`` (dimension ``chunk``): set to 1 only after every value of that
  sweep chunk is written, so a chunk interrupted half-way is simply computed
  again;
* the attribute ``hhsim_sweep``: the sweep's fingerprint, compared on resume.

Chunks of the sweep are runs of points in C order; each is written point by
point into the grid (zarr's coordinate selection), by the client only.
:func:`open_sweep` adds the dataset attributes of the NetCDF output.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from .measures import CABLE_PARAMS, REASONS, unit
from .spec import SweepError, SweepSpec, differences

FORMAT = "hhsim-sweep-2"
#: The flat zarr-3 layout of earlier versions (refused on resume with a clear line).
OLD_FORMATS = ("hhsim-sweep-1",)


def _dims(array, names) -> None:
    """Dimension names the xarray way for zarr format 2."""
    array.attrs["_ARRAY_DIMENSIONS"] = list(names)


def _flag_attrs() -> dict:
    return {"flag_values": list(REASONS), "flag_meanings": " ".join(r.split(" (")[0].replace(" ", "_")
                                                                  for r in REASONS.values())}


class SweepStore:
    """A sweep's results on disk, written chunk by chunk by the client."""

    def __init__(self, path: Path, group, chunk: int):
        self.path = path
        self.group = group
        self.chunk = chunk

    # -------------------------------------------------------------- opening
    @classmethod
    def create(cls, path, spec: SweepSpec, chunk: int, samples: np.ndarray | None = None) -> "SweepStore":
        """A new, empty store for ``spec`` (refuses an existing path); Latin-hypercube
        ``samples`` ((n, d), samples mode) are written at once, grid points chunk by chunk."""
        import zarr

        path = Path(path)
        if path.suffix.lower() != ".zarr":
            raise SweepError(f"cannot use {str(path)!r} as a sweep store: the name must end in .zarr")
        if path.exists():
            raise SweepError(f"store {str(path)!r} already exists; continue it with --resume (resume=True) "
                             "or choose another name")
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise SweepError(f"cannot create {str(path)!r}: directory {str(parent)!r} does not exist")
        n = spec.n_points
        n_chunks = -(-n // chunk)
        # build under a temporary name, then rename: a store either exists complete or not at all
        tmp = parent / f".{path.name}.creating"
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            g = zarr.open_group(str(tmp), mode="w", zarr_format=2)
            if spec.grid:
                dims = tuple(spec.names)
                shape = tuple(len(spec.axes[nm]) for nm in spec.names)
                for nm in spec.names:
                    a = g.create_array(nm, shape=(len(spec.axes[nm]),), dtype="f8", fill_value=np.nan)
                    a[:] = np.asarray(spec.axes[nm], dtype=float)
                    _dims(a, (nm,))
            else:
                dims, shape = ("sample",), (n,)
                a = g.create_array("sample", shape=(n,), chunks=(chunk,), dtype="i8", fill_value=None)
                a[:] = np.arange(n)
                _dims(a, dims)
                for j, nm in enumerate(spec.names):
                    a = g.create_array(nm, shape=(n,), chunks=(chunk,), dtype="f8", fill_value=np.nan)
                    a[:] = samples[:, j]
                    _dims(a, dims)
            for m in spec.measures:
                a = g.create_array(m, shape=shape, dtype="f8", fill_value=np.nan)
                a.attrs["units"] = unit(m)
                _dims(a, dims)
                # no fill value: xarray would mask it (and turn the flags into floats); -1 written instead
                st = g.create_array(f"status_{m}", shape=shape, dtype="i1", fill_value=None)
                st[...] = -1
                st.attrs.update(_flag_attrs())
                _dims(st, dims)
            d = g.create_array("done", shape=(n_chunks,), chunks=(1,), dtype="i1", fill_value=None)
            d[...] = 0
            _dims(d, ("chunk",))
            layout = layout_of(spec)
            g.attrs.update({"format": FORMAT, "hhsim_sweep": spec.fingerprint(), "chunk": int(chunk),
                            "layout": layout,
                            **{k: v for k, v in _dataset_attrs(layout).items() if k != "hhsim_sweep"}})
            for nm in spec.names:
                g[nm].attrs["units"] = layout["param_units"].get(nm, "")
            zarr.consolidate_metadata(str(tmp), zarr_format=2)
            tmp.rename(path)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise SweepError(f"cannot create {str(path)!r}: {exc.strerror or exc}") from None
        return cls(path, zarr.open_group(str(path), mode="r+"), int(chunk))

    @classmethod
    def resume(cls, path, spec: SweepSpec) -> "SweepStore":
        """The existing store of the same sweep (a missing store is created by the caller)."""
        group = _open(path, "r+")
        stored = dict(group.attrs).get("hhsim_sweep")
        diff = differences(stored, spec.fingerprint())
        if diff:
            raise SweepError(f"store {str(path)!r} belongs to another sweep (it differs in: {', '.join(diff)}); "
                             "give the same model, parameters, measures and settings, or another --out")
        store = cls(Path(path), group, 0)
        try:  # everything resume reads, read now: a damaged store is one line, not a traceback later
            store.chunk = int(group.attrs["chunk"])
            done = store.done()
            arrays = [group[m] for m in spec.measures] + [group[f"status_{m}"] for m in spec.measures]
            if done.ndim != 1 or store.chunk < 1 or any(a.size != spec.n_points for a in arrays):
                raise ValueError("its arrays do not have the sweep's sizes")
            for a in arrays:  # every stored chunk decodes (a truncated or overwritten chunk file does not)
                a[...]
        except Exception as exc:  # noqa: BLE001 - zarr and numcodecs raise many kinds for damaged files
            raise SweepError(f"store {str(path)!r} is damaged ({type(exc).__name__}: "
                             f"{' '.join(str(exc).split())[:120]}); remove it and run the sweep again, "
                             "or use another --out") from None
        return store

    # -------------------------------------------------------------- chunks
    def done(self) -> np.ndarray:
        """(n_chunks,) bool: chunks already stored."""
        return np.asarray(self.group["done"][:], dtype=bool)

    def write(self, k: int, start: int, points: np.ndarray, names, values: dict, status: dict) -> None:
        """Store chunk ``k`` (points ``start`` .. in C order of the grid), then mark it done."""
        stop = start + points.shape[0]
        for m, v in values.items():
            arr, st = self.group[m], self.group[f"status_{m}"]
            if arr.ndim == 1:
                arr[start:stop] = v
                st[start:stop] = status[m]
            else:
                where = np.unravel_index(np.arange(start, stop), arr.shape)
                arr.vindex[where] = np.asarray(v, dtype=float)
                st.vindex[where] = np.asarray(status[m], dtype=np.int8)
        self.group["done"][k] = 1


def _open(path, mode: str):
    import zarr

    p = Path(path)
    if not p.is_dir():
        raise SweepError(f"no sweep store at {str(path)!r}")
    try:
        group = zarr.open_group(str(p), mode=mode)
    except Exception as exc:  # zarr raises several kinds for a directory that is not a store
        raise SweepError(f"{str(path)!r} is not a sweep store: {exc}") from None
    fmt = dict(group.attrs).get("format")
    if fmt in OLD_FORMATS:
        raise SweepError(f"{str(path)!r} was written by an older hhsim (a flat store); run the sweep again "
                         "into a new --out store")
    if fmt != FORMAT:
        raise SweepError(f"{str(path)!r} is not a sweep store written by hhsim sweep")
    return group


def layout_of(spec: SweepSpec) -> dict:
    """What :func:`build_dataset` needs, as JSON-ready values (also kept in the store)."""
    params = spec.model.params()
    return {
        "names": spec.names, "axes": {k: [float(x) for x in v] for k, v in spec.axes.items()},
        "grid": spec.grid, "n_points": spec.n_points, "measures": list(spec.measures),
        "param_units": {n: params[n].unit if n in params else CABLE_PARAMS.get(n, ("",))[0] for n in spec.names},
        "model": spec.model.name, "fingerprint": spec.fingerprint(),
    }


def build_dataset(layout: dict, values: dict, status: dict, points: np.ndarray | None = None):
    """The gridded dataset from flat per-point arrays (``points``: (n, d), samples mode only)."""
    import xarray as xr

    names, measures = layout["names"], layout["measures"]
    if layout["grid"]:
        dims = tuple(names)
        coords = {n: np.asarray(layout["axes"][n], dtype=float) for n in names}
        shape = tuple(len(layout["axes"][n]) for n in names)
    else:
        dims = ("sample",)
        coords = {"sample": np.arange(layout["n_points"])}
        coords.update({n: ("sample", np.asarray(points[:, j], dtype=float)) for j, n in enumerate(names)})
        shape = (layout["n_points"],)
    data = {}
    for m in measures:
        data[m] = (dims, np.asarray(values[m]).reshape(shape), {"units": unit(m)})
        data[f"status_{m}"] = (dims, np.asarray(status[m]).reshape(shape), _flag_attrs())
    ds = xr.Dataset(data, coords=coords)
    for n in names:
        ds[n].attrs["units"] = layout["param_units"].get(n, "")
    ds.attrs.update(_dataset_attrs(layout))
    return ds


def _dataset_attrs(layout: dict) -> dict:
    """The attributes of the gridded dataset (NetCDF output and store alike)."""
    return {"model": layout["model"], "measures": json.dumps(layout["measures"]),
            "hhsim_sweep": json.dumps(layout["fingerprint"])}


def open_sweep(path, load: bool = True):
    """The gridded ``xarray.Dataset`` of the sweep store at ``path`` (points not yet
    computed are NaN with status -1).  ``load=False`` keeps it lazy (Dask arrays)."""
    import xarray as xr

    group = _open(path, "r")
    layout = dict(group.attrs)["layout"]
    flat = xr.open_zarr(str(path), consolidated=True)
    if load:
        flat = flat.load()
    measures = layout["measures"]
    values = {m: flat[m].data for m in measures}
    status = {m: flat[f"status_{m}"].data for m in measures}
    points = None if layout["grid"] else np.column_stack([np.asarray(flat[n].data) for n in layout["names"]])
    ds = build_dataset(layout, values, status, points)
    ds.attrs["chunks_total"] = int(flat["done"].size)
    ds.attrs["chunks_done"] = int(np.asarray(flat["done"].data).sum())
    return ds
