"""``hhsim fit``: fit model parameters to recorded sweeps (NWB, ABF, CSV)."""

from __future__ import annotations

import click

from .common import FIGURE_SUFFIXES, build_model, check_output, emit_json, model_options


@click.command("fit")
@model_options
@click.option("--data", "data_files", multiple=True, required=True, metavar="FILE",
              help="A recording: .nwb (icephys series with their stimuli), .abf or .csv (t_ms, one column "
                   "per sweep named NAME_UNIT, stimuli as stim_NAME_UNIT columns or --stim). Repeatable.")
@click.option("--stim", "stims", multiple=True, metavar="SPEC",
              help="Stimulus of one sweep, in order (repeatable; specs joined by + add up), for files without "
                   "one: µA/cm² for current clamp, the command in mV for voltage clamp, "
                   "e.g. 'step(amp=-65)+step(amp=100,start=5,dur=20)'. Applies to every --data file.")
@click.option("--units", default=None, metavar="UNIT",
              help="Unit of CSV sweep columns named without one (mV, V, pA, nA, uA_cm2 ...).")
@click.option("--param", "params", multiple=True, required=True, metavar="NAME=LOW:HIGH[:log]",
              help="A fitted parameter and its bounds (repeatable); names as `hhsim models NAME` lists.")
@click.option("--area", "area_um2", type=float, default=None, metavar="UM2",
              help="Membrane area in µm², converting recorded currents (A, nA, pA) into µA/cm² "
                   "(default: the area of a cell file given as --model).")
@click.option("--objective", "objectives", multiple=True, type=click.Choice(["trace", "features", "clamp"]),
              help="What is compared: trace (current clamp, default), features (eFEL spike features; with "
                   "trace both add up), clamp (voltage-clamp currents).")
@click.option("--features", "features", default=None, metavar="LIST",
              help="eFEL features of the features objective, comma-separated, each NAME[:WEIGHT] (default "
                   "spike_count,AP_amplitude,spike_half_width,AHP_depth,all_ISI_values,time_to_first_spike).")
@click.option("--distance", default="mse", show_default=True, type=click.Choice(["mse", "shift"]),
              help="Trace distance: mean squared difference, or shift (tolerates spike-time shifts up to --shift-ms).")
@click.option("--shift-ms", type=float, default=1.0, show_default=True, metavar="MS",
              help="Largest spike-time shift the shift distance forgives.")
@click.option("--rs", "series_resistance", type=float, default=None, metavar="OHM_CM2",
              help="Voltage clamp through this series resistance (Ω·cm²), as `hhsim vclamp --rs`.")
@click.option("--gain", type=float, default=None, help="Amplifier open-loop gain with --rs (default infinite).")
@click.option("--leak-subtracted", is_flag=True,
              help="The recorded clamp currents had their linear leak subtracted (P/N): compare the gated channels.")
@click.option("--search", "strategy", default="cmaes", show_default=True, type=click.Choice(["cmaes", "de"]),
              help="Population search: CMA-ES, or scipy's differential evolution (each generation one batch).")
@click.option("--generations", type=int, default=40, show_default=True, metavar="N", help="CMA-ES generations.")
@click.option("--population", type=int, default=None, metavar="N",
              help="Candidates per generation, one batch (default 4 + 3 ln d, at least 8).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the search (same seed, same result).")
@click.option("--restarts", type=int, default=1, show_default=True, metavar="N",
              help="Independent searches from seeds SEED, SEED+1, ...; the best is kept (on Dask).")
@click.option("--workers", type=int, default=None, metavar="N",
              help="Worker processes of the local Dask cluster running the restarts (default: one per core; "
                   "0: one after another in this process).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run the restarts on a running Dask scheduler, e.g. tcp://127.0.0.1:8786.")
@click.option("--polish", "polish_fit", is_flag=True,
              help="Refine the best candidate by least squares (trace with mse, or clamp).")
@click.option("--method", default=None, help="Integration method (default dopri5).")
@click.option("--dt", type=float, default=None, metavar="MS", help="Time step (fixed-step methods).")
@click.option("--out", default=None, metavar="FITTED.toml",
              help="Write the fitted model as a cell file (`hhsim run --model FITTED.toml`).")
@click.option("--plot", "plot_path", default=None, metavar="FILE",
              help="Report figure (data against fit, convergence, features): .png/.svg/.pdf.")
@click.option("--json", "as_json", is_flag=True,
              help="Print params, uncertainty, loss, generations, evaluations (and more) as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def fit_cmd(model_name, overrides, temperature, drugs, channel_files, data_files, stims, units, params, area_um2,
            objectives, features, distance, shift_ms, series_resistance, gain, leak_subtracted, strategy, generations,
            population, seed, restarts, workers, scheduler, polish_fit, method, dt, out, plot_path, as_json, quiet):
    """Fit model parameters to recorded current- or voltage-clamp sweeps.

    \b
    Each generation of the CMA-ES search is one compiled batch of every
    candidate on every sweep.  Example (current clamp, NWB in SI units):
      hhsim fit --model hh --data cell.nwb --area 20000 \\
                --param gNa=60:240 --param gK=18:72 --param gL=0.05:1:log \\
                --param EL=-70:-45 --out fitted.toml --plot report.png
    """
    from ..fit import Clamp, Feature, Objective, fit, parse_stimulus
    from ..fit.objectives import DEFAULT_FEATURES
    from ..fit.recordings import read_recording

    out_path = check_output(out, (".toml",), "cell file")
    plot_out = check_output(plot_path, FIGURE_SUFFIXES, "figure")
    model = build_model(model_name, overrides, temperature, drugs, channel_files)
    if area_um2 is None and str(model_name).lower().endswith(".toml"):
        area_um2 = _cell_area(model_name)
    feats = tuple(Feature.parse(f) for f in features.split(",") if f.strip()) if features else \
        tuple(Feature(f) for f in DEFAULT_FEATURES)
    kinds = tuple(dict.fromkeys(objectives)) or ("trace",)
    if features and "features" not in kinds:
        from ..errors import ParameterError

        raise ParameterError("--features applies to --objective features; add --objective features")
    objective = Objective(kinds=kinds, distance=distance, shift_ms=shift_ms, features=feats)
    stimuli = [parse_stimulus(s) for s in stims] or None
    sweeps = []
    for path in data_files:
        sweeps.extend(read_recording(path, stimuli=stimuli, units=units, area_um2=area_um2))
    clamp = Clamp(series_resistance=series_resistance, gain=gain, leak_subtracted=leak_subtracted)
    if gain is not None and series_resistance is None:
        from ..errors import ParameterError

        raise ParameterError("--gain only applies with a series resistance (--rs)")
    result = fit(model, sweeps, params, objective=objective, clamp=clamp, generations=generations,
                 population=population, seed=seed, polish_fit=polish_fit, method=method, dt=dt,
                 search=strategy, restarts=restarts, workers=workers, scheduler=scheduler,
                 progress=False if quiet else None)
    # draw the figure before writing anything, so that a failure leaves no file behind
    fig = result.plot() if plot_out is not None else None
    if out_path is not None:
        result.write_cell(out_path)
    if fig is not None:
        from ..plot.figures import save_figure

        save_figure(fig, plot_out)
    data = result.to_dict()
    if out_path is not None:
        data["cell_file"] = str(out_path)
    if as_json:
        emit_json(data)
        return
    click.echo(f"fit of {result.base} to {len(result.sweeps)} sweeps ({', '.join(kinds)}): "
               f"loss {result.loss:.6g} after {result.generations} generations, {result.evaluations} evaluations"
               + (" (polished)" if result.polished else ""))
    click.echo(f"{'parameter':<24}{'value':>14}{'± spread':>12}  bounds")
    for name, value in result.params.items():
        low, high, scale = result.bounds[name]
        click.echo(f"{name:<24}{value:>14.6g}{result.uncertainty[name]:>12.3g}  {low:g}:{high:g} {scale}")
    for run in result.restarts or []:
        click.echo(f"restart seed {run['seed']}: loss {run['loss']:.6g}")
    if out_path is not None:
        click.echo(f"fitted cell file: {out_path}")
    if plot_out is not None:
        click.echo(f"report figure: {plot_out}")


def _cell_area(path) -> float | None:
    """The membrane area (µm²) a cell file states, or None."""
    from ..cells import read_cell

    return read_cell(path).area_um2


def register(cli: click.Group) -> None:
    cli.add_command(fit_cmd)
