"""The zarr store of a sweep and the gridded ``xarray.Dataset`` built from results.

Layout of a store (a zarr v3 directory, readable by ``xarray.open_zarr``):

* one flat array per swept parameter, per measure (float64) and per
  measure's status (``status_<measure>``, int8), all on dimension ``point``
  and chunked exactly as the sweep's chunks, so that one finished chunk is
  one write per array;
* ``done`` (dimension ``chunk``, one zarr chunk per sweep chunk): set to 1
  only after every array of that chunk is written, so a chunk interrupted
  half-way is simply computed again;
* the attribute ``hhsim_sweep``: the sweep's fingerprint, compared on resume.

:func:`open_sweep` turns a store into the gridded dataset (parameters as
dimensions in grid mode, dimension ``sample`` in samples mode).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from .measures import CABLE_PARAMS, REASONS, unit
from .spec import SweepError, SweepSpec, differences

FORMAT = "hhsim-sweep-1"


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
            g = zarr.open_group(str(tmp), mode="w")
            for j, name in enumerate(spec.names):
                a = g.create_array(name, shape=(n,), chunks=(chunk,), dtype="f8", fill_value=np.nan,
                                   dimension_names=("point",))
                if samples is not None:
                    a[:] = samples[:, j]
            for m in spec.measures:
                a = g.create_array(m, shape=(n,), chunks=(chunk,), dtype="f8", fill_value=np.nan,
                                   dimension_names=("point",))
                a.attrs["units"] = unit(m)
                s = g.create_array(f"status_{m}", shape=(n,), chunks=(chunk,), dtype="i1", fill_value=-1,
                                   dimension_names=("point",))
                s.attrs.update(_flag_attrs())
            g.create_array("done", shape=(n_chunks,), chunks=(1,), dtype="i1", fill_value=0,
                           dimension_names=("chunk",))
            g.attrs.update({"format": FORMAT, "hhsim_sweep": spec.fingerprint(), "chunk": int(chunk),
                            "layout": layout_of(spec)})
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
        return cls(Path(path), group, int(group.attrs["chunk"]))

    # -------------------------------------------------------------- chunks
    def done(self) -> np.ndarray:
        """(n_chunks,) bool: chunks already stored."""
        return np.asarray(self.group["done"][:], dtype=bool)

    def write(self, k: int, start: int, points: np.ndarray, names, values: dict, status: dict) -> None:
        """Store chunk ``k`` (points ``start`` ..), then mark it done."""
        stop = start + points.shape[0]
        for j, name in enumerate(names):
            self.group[name][start:stop] = points[:, j]
        for m, v in values.items():
            self.group[m][start:stop] = v
            self.group[f"status_{m}"][start:stop] = status[m]
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
    if dict(group.attrs).get("format") != FORMAT:
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
    ds.attrs["model"] = layout["model"]
    ds.attrs["measures"] = json.dumps(measures)
    ds.attrs["hhsim_sweep"] = json.dumps(layout["fingerprint"])
    return ds


def open_sweep(path, load: bool = True):
    """The gridded ``xarray.Dataset`` of the sweep store at ``path`` (points not yet
    computed are NaN with status -1).  ``load=False`` keeps it lazy (Dask arrays)."""
    import xarray as xr

    group = _open(path, "r")
    layout = dict(group.attrs)["layout"]
    flat = xr.open_zarr(str(path), consolidated=False)
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
