"""Pictures of a sweep: curves for one parameter, a heat map for two, facets beyond.

* one swept parameter: the measure against it, one panel per measure;
* two: a heat map (first parameter on y, second on x), one panel per measure;
* three or four: facets of heat maps over the third (columns) and fourth
  (rows) parameter, for the first measure;
* Latin-hypercube samples: the points of the first two parameters coloured
  by the measure.

Points whose value is NaN (no spike, no threshold, diverged) are left blank.
"""

from __future__ import annotations

import json

import numpy as np

from ..errors import OutputError


def _measures(ds) -> list[str]:
    return list(json.loads(ds.attrs["measures"])) if "measures" in ds.attrs else \
        [v for v in ds.data_vars if not v.startswith("status_")]


def _label(ds, name: str) -> str:
    units = ds[name].attrs.get("units", "")
    return f"{name} ({units})" if units and units != "1" and not name.endswith(("_mV", "_ms", "_hz", "_uA_cm2")) else name


def plot_sweep(ds, path=None, measure: str | None = None):
    """Draw the sweep dataset ``ds`` (from :func:`hhsim.sweep`); save to ``path`` if given."""
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    names = _measures(ds)
    if measure is not None:
        if measure not in names:
            raise OutputError(f"cannot plot {measure!r}: not a measure of this sweep ({', '.join(names)})")
        names = [measure]
    dims = [d for d in ds[names[0]].dims]
    if dims == ["sample"]:
        fig = _samples(plt, ds, names)
    elif len(dims) == 1:
        fig = _curves(plt, ds, names, dims[0])
    elif len(dims) == 2:
        fig = _heat_maps(plt, ds, names, dims)
    elif len(dims) <= 4:
        fig = _facets(plt, ds, names[0], dims)
    else:
        raise OutputError(f"cannot draw a sweep of {len(dims)} parameters (at most 4); plot a selection "
                          "(ds.sel(...)) instead")
    if path is not None:
        from ..io import atomic_write

        atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=120, format=str(path).rsplit(".", 1)[-1]))
        plt.close(fig)
    return fig


def _curves(plt, ds, names, dim):
    fig, axes = plt.subplots(len(names), 1, figsize=(6, 2.8 * len(names)), squeeze=False, sharex=True)
    x = ds[dim].values
    for ax, m in zip(axes[:, 0], names):
        ax.plot(x, ds[m].values, "o-", ms=3)
        ax.set_ylabel(_label(ds, m))
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel(_label(ds, dim))
    fig.suptitle(f"{ds.attrs.get('model', '')}: sweep of {dim}")
    fig.tight_layout()
    return fig


def _mesh(ax, ds, m, ydim, xdim, vmin=None, vmax=None):
    z = ds[m].transpose(ydim, xdim).values
    x, y = ds[xdim].values, ds[ydim].values
    return ax.pcolormesh(x, y, np.ma.masked_invalid(z), shading="nearest", vmin=vmin, vmax=vmax, cmap="viridis")


def _heat_maps(plt, ds, names, dims):
    ydim, xdim = dims
    fig, axes = plt.subplots(1, len(names), figsize=(5.2 * len(names), 4.2), squeeze=False)
    for ax, m in zip(axes[0], names):
        mesh = _mesh(ax, ds, m, ydim, xdim)
        fig.colorbar(mesh, ax=ax, label=_label(ds, m))
        ax.set_xlabel(_label(ds, xdim))
        ax.set_ylabel(_label(ds, ydim))
        ax.set_title(m)
    fig.suptitle(f"{ds.attrs.get('model', '')}: sweep of {ydim} x {xdim}")
    fig.tight_layout()
    return fig


def _facets(plt, ds, m, dims):
    ydim, xdim, cdim = dims[:3]
    rdim = dims[3] if len(dims) == 4 else None
    cols = ds[cdim].values
    rows = ds[rdim].values if rdim else [None]
    finite = ds[m].values[np.isfinite(ds[m].values)]
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (None, None)
    fig, axes = plt.subplots(len(rows), len(cols), figsize=(2.8 * len(cols) + 1, 2.6 * len(rows)),
                             squeeze=False, sharex=True, sharey=True)
    mesh = None
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            sel = {cdim: c} if rdim is None else {cdim: c, rdim: r}
            ax = axes[i, j]
            mesh = _mesh(ax, ds.sel(sel), m, ydim, xdim, vmin, vmax)
            ax.set_title(", ".join(f"{k}={v:g}" for k, v in sel.items()), fontsize=8)
            if i == len(rows) - 1:
                ax.set_xlabel(xdim)
            if j == 0:
                ax.set_ylabel(ydim)
    fig.colorbar(mesh, ax=axes, label=_label(ds, m))
    fig.suptitle(f"{ds.attrs.get('model', '')}: {m}")
    return fig


def _samples(plt, ds, names):
    params = [c for c in ds.coords if c != "sample"]
    fig, axes = plt.subplots(1, len(names), figsize=(5.2 * len(names), 4.2), squeeze=False)
    for ax, m in zip(axes[0], names):
        if len(params) >= 2:
            sc = ax.scatter(ds[params[1]].values, ds[params[0]].values, c=ds[m].values, s=12, cmap="viridis")
            fig.colorbar(sc, ax=ax, label=_label(ds, m))
            ax.set_xlabel(_label(ds, params[1]))
            ax.set_ylabel(_label(ds, params[0]))
        else:
            ax.plot(ds[params[0]].values, ds[m].values, "o", ms=3)
            ax.set_xlabel(_label(ds, params[0]))
            ax.set_ylabel(_label(ds, m))
        ax.set_title(f"{m} ({ds.sizes['sample']} samples)")
    fig.tight_layout()
    return fig
