"""``hhsim sweep``: a parameter study on a Dask cluster (local by default)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click

from ..errors import OutputError
from .common import FIGURE_SUFFIXES, build_model, check_output, emit_json, model_options

#: Rows of the text table printed without --json (the rest is in --out).
TABLE_ROWS = 40
#: Points up to which --json lists every value.
JSON_POINTS = 100_000


def _check_out(out: str | None):
    if out is None:
        return None
    p = Path(out)
    if p.suffix.lower() == ".zarr":
        parent = p.parent if str(p.parent) else Path(".")
        if not parent.is_dir():
            raise OutputError(f"cannot write {out!r}: directory {str(parent)!r} does not exist")
        return p
    return check_output(out, (".nc", ".zarr"), "sweep")


@click.command("sweep")
@model_options
@click.option("--param", "params", multiple=True, required=True, metavar="NAME=START:STOP:N",
              help="A swept parameter and its N values (repeatable); with --samples, NAME=LOW:HIGH. "
                   "Model parameters (hhsim models NAME), ttx_nM/tea_mM, cable.diam_um/cable.length_um/"
                   "cable.ra_ohm_cm (velocity_m_s), net.weight_scale/net.<preset keyword> (network_rate_hz).")
@click.option("--measure", "measures", multiple=True, required=True, metavar="NAME",
              help="What to measure at each point (repeatable): a scan feature (n_spikes, rate_hz, peak_mV ...), "
                   "rheobase, pulse_threshold (1 ms pulse), fi_rate_hz:I, absolute_refractory_ms, "
                   "relative_refractory_ms, clamp_peak_uA_cm2:V, v_rest_mV, velocity_m_s (cable), "
                   "network_rate_hz:NET.POP (network preset).")
@click.option("--samples", type=int, default=None, metavar="N",
              help="N Latin-hypercube points inside the --param bounds instead of a grid.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the Latin hypercube.")
@click.option("--stim", "stims", multiple=True, metavar="SPEC",
              help="Stimulus of the trace features (default step(amp=10,start=10,dur=100)).")
@click.option("--t-stop", type=float, default=None, metavar="MS",
              help="Duration of the trace-feature runs (default: 20 ms after the stimulus ends).")
@click.option("--method", default=None, help="Integration method (default dopri5).")
@click.option("--dt", type=float, default=None, metavar="MS", help="Time step / output grid (ms).")
@click.option("--chunk", type=int, default=None, metavar="N",
              help="Points per task (default: about four tasks per worker, at most 1000).")
@click.option("--out", default=None, metavar="FILE.nc|DIR.zarr",
              help="Write the dataset: a NetCDF file at the end, or a zarr store filled chunk by chunk.")
@click.option("--resume", is_flag=True, help="Continue the interrupted sweep in --out DIR.zarr.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Use a running Dask scheduler, e.g. tcp://127.0.0.1:8786 (default: a local cluster).")
@click.option("--workers", type=int, default=None, metavar="N",
              help="Worker processes of the local cluster (default: one per core; 0: in this process).")
@click.option("--plot", "plot_path", default=None, metavar="FILE",
              help="Heat map (two parameters), curves (one) or facets (three, four): .png/.svg/.pdf.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def sweep_cmd(model_name, overrides, temperature, drugs, channel_files, params, measures, samples, seed, stims,
              t_stop, method, dt, chunk, out, resume, scheduler, workers, plot_path, as_json, quiet):
    """Measure features over a grid (or Latin hypercube) of parameters, on Dask.

    \b
    Example: rheobase over gNa x gK on every core, streamed to a store:
      hhsim sweep --param gNa=80:160:9 --param gK=20:50:7 --measure rheobase \\
                  --out rheo.zarr --plot rheo.png
    Interrupted (Ctrl-C, a lost job)?  The same command with --resume
    computes only the chunks not yet stored.
    """
    from .. import sweep as sweeps
    from ..stim import total
    from ..stimspec import parse as parse_stim
    from ..sweep.run import SweepInterrupted
    from ..sweep.spec import SweepError, parse_param

    out_path = _check_out(out)
    check_output(plot_path, FIGURE_SUFFIXES, "figure")
    if resume and (out_path is None or out_path.suffix.lower() != ".zarr"):
        raise SweepError("--resume needs the store of the interrupted sweep: --out DIR.zarr")
    if out_path is not None and out_path.suffix.lower() == ".nc" and out_path.exists() and resume:
        raise SweepError("--resume needs a DIR.zarr store")
    model = build_model(model_name, overrides, temperature, drugs, channel_files)
    axes = {}
    for text in params:
        name, values = parse_param(text, samples is not None)
        if name in axes:
            raise SweepError(f"--param {name} is given twice")
        axes[name] = values
    stimulus = total([parse_stim(s) for s in stims]) if stims else None
    store = str(out_path) if out_path is not None and out_path.suffix.lower() == ".zarr" else None
    try:
        ds = sweeps.sweep(model, axes, list(measures), samples=samples, seed=seed, stimulus=stimulus,
                          t_stop=t_stop, method=method, dt=dt, scheduler=scheduler, workers=workers, chunk=chunk,
                          store=store, resume=resume, progress=False if quiet else None)
    except SweepInterrupted as exc:
        click.echo(f"hhsim: {exc}", err=True)
        sys.exit(130)
    if out_path is not None and out_path.suffix.lower() == ".nc":
        from ..io import atomic_write
        from ..result import write_netcdf

        atomic_write(out_path, lambda tmp: write_netcdf(ds, tmp, out_path))
    if plot_path:
        from ..plot.sweep import plot_sweep

        plot_sweep(ds, plot_path)
    names = list(json.loads(ds.attrs["measures"]))
    if as_json:
        emit_json(_summary(ds, names, model.name, out, plot_path))
        return
    _table(ds, names, model.name, out_path)


def _finite_list(a):
    return [float(x) if math.isfinite(x) else None for x in a.ravel()]


def _summary(ds, names, model, out, plot) -> dict:
    import numpy as np

    attrs = ds.attrs
    coords = {c: _finite_list(np.asarray(ds[c].values, dtype=float)) for c in ds.coords if c != "sample"}
    data = {"model": model, "mode": "samples" if "sample" in ds.dims else "grid", "dims": list(ds[names[0]].dims),
            "params": coords, "points": int(attrs["points"]), "chunk": int(attrs["chunk"]),
            "chunks_total": int(attrs["chunks_total"]), "chunks_computed": int(attrs["chunks_computed"]),
            "chunks_resumed": int(attrs["chunks_resumed"]), "elapsed_s": float(attrs["elapsed_s"]),
            "points_per_s": float(attrs["points_per_s"]), "workers": int(attrs["workers"]),
            "out": out, "plot": plot, "measures": {}}
    for m in names:
        entry = {"units": ds[m].attrs.get("units", "")}
        if int(attrs["points"]) <= JSON_POINTS:
            v = ds[m].values
            entry["values"] = np.where(np.isfinite(v), v, None).tolist()  # NaN -> null
            entry["status"] = ds[f"status_{m}"].values.astype(int).tolist()
        entry["n_missing"] = int(np.count_nonzero(~np.isfinite(ds[m].values)))
        data["measures"][m] = entry
    return data


def _table(ds, names, model, out=None) -> None:
    import numpy as np

    flat = ds.to_dataframe().reset_index()
    params = [c for c in ds.coords if c != "sample"]
    cols = params + names
    a = ds.attrs
    click.echo(f"# {model}: {a['points']} points, {a['chunks_computed']} of {a['chunks_total']} chunks computed "
               f"({a['chunks_resumed']} resumed) in {a['elapsed_s']:g} s, {a['points_per_s']:g} points/s, "
               f"{a['workers']} workers")
    click.echo("\t".join(cols))
    for _, row in flat.head(TABLE_ROWS).iterrows():
        click.echo("\t".join("nan" if not np.isfinite(row[c]) else f"{row[c]:.6g}" for c in cols))
    if len(flat) > TABLE_ROWS:
        where = f"all of them are in {str(out)!r}" if out is not None else "write them with --out FILE.nc or --json"
        click.echo(f"# ... {len(flat) - TABLE_ROWS} more rows ({where})")


def register(cli) -> None:
    cli.add_command(sweep_cmd)
