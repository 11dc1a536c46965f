"""``hhsim run``, ``hhsim demo`` and ``hhsim models``."""

from __future__ import annotations

from pathlib import Path

import click

from .. import models as _models
from ..models.resolve import resolve_stimulus
from ..describe import describe_model
from ..engine.solvers import ADAPTIVE, DEFAULT_METHOD, FIXED_STEP
from ..simulation import simulate
from ..stim import step, total
from ..stimspec import parse as parse_stim
from .noise_options import noise_options, noise_record
from .common import (
    ANIMATION_SUFFIXES, DATA_SUFFIXES, FIGURE_SUFFIXES, backend_option, build_model, check_output, emit_json,
    model_options,
)

METHODS = list(FIXED_STEP) + list(ADAPTIVE)


@click.command("run")
@model_options
@click.option("--stim", "stims", multiple=True, metavar="SPEC",
              help="Stimulus, e.g. 'step(amp=10, start=10, dur=30)'; repeat to add several. "
                   "Kinds: step, pulses, ramp, sine, noise, file.")
@click.option("--t-stop", type=float, default=100.0, show_default=True, metavar="MS", help="Duration (ms).")
@click.option("--dt", type=float, default=None, metavar="MS", help="Time step (ms); default depends on the method.")
@click.option("--method", default=None, metavar="NAME",
              help=f"Solver: {', '.join(METHODS)} (default {DEFAULT_METHOD}).")
@click.option("--v-init", type=float, default=None, metavar="MV", help="Initial V (mV); default: the resting equilibrium.")
@click.option("--out", default=None, metavar="FILE", help="Save the trace: .csv, .npz, .nc or .nwb.")
@click.option("--plot", default=None, metavar="FILE", help="Save the classic figure: .png, .svg or .pdf.")
@click.option("--animate", default=None, metavar="FILE", help="Save an animation: .gif (or .mp4 with ffmpeg).")
@click.option("--record-every", type=int, default=1, show_default=True, metavar="K",
              help="Keep every K-th step of the trace (spikes still use every step); less memory for long runs.")
@noise_options
@backend_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the results.")
def run_cmd(model_name, overrides, temperature, drugs, channel_files, stims, t_stop, dt, method, v_init, out, plot,
            animate, record_every, noise, area, density, counts, seed, backend, as_json):
    """Simulate one neuron and report spikes; optionally save data, figure, animation."""
    model = build_model(model_name, overrides, temperature, drugs, channel_files, noise_applies=True)
    # no --stim: the stimulus a cell file carries, if any
    stimulus = total([parse_stim(s) for s in stims]) if stims else resolve_stimulus(model_name)
    targets = [
        check_output(out, DATA_SUFFIXES, "data"),
        check_output(plot, FIGURE_SUFFIXES, "figure"),
        check_output(animate, ANIMATION_SUFFIXES, "animation"),
    ]
    spec = noise_record(noise, area, density, counts, seed, default_area=_area_of(model_name) if noise else None,
                        file_noise=_noise_of(model_name))
    result = simulate(model, stimulus, t_stop=t_stop, dt=dt, method=method, v_init=v_init, record_every=record_every,
                      noise=spec, backend=backend)
    if targets[0] is not None and targets[0].suffix.lower() == ".nwb":
        result.meta["area_um2"] = _area_of(model_name)  # NWB stores currents, not densities
    _save(result, *targets)
    if as_json:
        emit_json(result.summary())
    else:
        click.echo(_text_summary(result))
        for p in targets:
            if p is not None:
                click.echo(f"wrote {p}")


def _area_of(model_name) -> float | None:
    """The membrane area (µm²) a model file gives (cell.toml, cell.nml), else None."""
    name = str(model_name).lower()
    if name.endswith(".toml"):
        from ..cells import read_cell

        return read_cell(model_name).area_um2
    if name.endswith(".nml"):
        from ..interop.neuroml import read

        areas = read(model_name).areas_um2
        return next(iter(areas.values())) if len(areas) == 1 else None
    return None


def _noise_of(model_name) -> dict | None:
    """The [noise] table of a cell file (``ChannelNoise`` keyword arguments), else None."""
    if str(model_name).lower().endswith(".toml"):
        from ..cells import read_cell

        return read_cell(model_name).noise
    return None


def _save(result, out: Path | None, plot: Path | None, animate: Path | None) -> None:
    if out is not None:
        result.save(out)
    if plot is not None:
        from ..plot import plot_result

        plot_result(result, plot)
    if animate is not None:
        from ..plot import animate_result

        animate_result(result, animate)


def _text_summary(result) -> str:
    s = result.summary()
    times = ", ".join(f"{t:.3f}" for t in s["spike_times_ms"][:12])
    if s["n_spikes"] > 12:
        times += ", ..."
    lines = [
        f"model {s['model']} at {s['temperature_C']:g} °C, method {s['method']}, dt {s['dt_ms']:g} ms, "
        f"{s['t_stop_ms']:g} ms",
        f"resting potential   {s['v_rest_mV']:8.3f} mV",
        f"peak                {s['v_max_mV']:8.3f} mV",
        f"minimum             {s['v_min_mV']:8.3f} mV",
        f"spikes              {s['n_spikes']:8d}" + (f"   at {times} ms" if s["n_spikes"] else ""),
    ]
    if "channel_counts" in s:
        counts = ", ".join(f"{k} {v}" for k, v in s["channel_counts"].items())
        lines.append(f"channel noise       {s['noise']['method']}, seed {s['noise']['seed']}: {counts} channels")
    return "\n".join(lines)


@click.command("demo")
@click.option("--outdir", default="hhsim_demo", show_default=True, metavar="DIR",
              help="Directory for the figure, animation and CSV (created if needed).")
def demo_cmd(outdir):
    """The classic experiment: 10 µA/cm² from 10 to 40 ms on the squid axon, 80 ms."""
    out = Path(outdir)
    if out.exists() and not out.is_dir():
        from ..errors import OutputError

        raise OutputError(f"--outdir {outdir!r} exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from ..errors import OutputError

        raise OutputError(f"cannot create --outdir {outdir!r}: {exc.strerror or exc}") from None
    paths = [
        check_output(str(out / "hh_demo.png"), FIGURE_SUFFIXES, "figure"),
        check_output(str(out / "hh_demo.csv"), DATA_SUFFIXES, "data"),
        check_output(str(out / "hh_demo.gif"), ANIMATION_SUFFIXES, "animation"),
    ]
    stimulus = step(10.0, start=10.0, dur=30.0)
    result = simulate("hh", stimulus, t_stop=80.0)
    _save(result, paths[1], paths[0], paths[2])
    s = result.summary()
    isi = [b - a for a, b in zip(s["spike_times_ms"], s["spike_times_ms"][1:])]
    click.echo("Hodgkin-Huxley squid axon, 6.3 °C: 10 µA/cm² from 10 to 40 ms (80 ms simulated)")
    click.echo(f"  resting potential       {s['v_rest_mV']:7.2f} mV")
    click.echo(f"  spike peak              {s['v_max_mV']:7.2f} mV")
    if s["ahp_min_mV"] is not None:
        click.echo(f"  after-hyperpolarisation {s['ahp_min_mV']:7.2f} mV "
                   f"({s['ahp_min_mV'] - s['v_rest_mV']:+.2f} mV from rest)")
    click.echo(f"  spikes                  {s['n_spikes']:4d}   at "
               + ", ".join(f"{t:.2f}" for t in s["spike_times_ms"]) + " ms")
    if isi:
        click.echo(f"  firing rate during the step about {1000.0 / (sum(isi) / len(isi)):.1f} Hz")
    click.echo("  files: " + ", ".join(str(p) for p in paths))


@click.command("models")
@click.argument("name", required=False)
@click.option("--describe", "as_cell_file", is_flag=True,
              help="Print the model as a cell file (TOML) that `--model FILE.toml` reads back identically.")
@click.option("--out", default=None, metavar="FILE.toml", help="With --describe: write the cell file here.")
def models_cmd(name, as_cell_file, out):
    """List the preset models, or show one model's parameters and equations
    (NAME may also be a cell file)."""
    if as_cell_file or out is not None:
        _describe_cell(name, as_cell_file, out)
        return
    if name is None:
        for n in _models.names():
            m = _models.get(n)
            click.echo(f"{n:16s} {m.description}")
            click.echo(f"{'':16s} channels: {', '.join(c.name for c in m.channels)}"
                       + (f"; pools: {', '.join(p.state_name for p in m.pools)}" if m.pools else "")
                       + f"; {m.temperature:g} °C")
            click.echo(f"{'':16s} source: {m.source}")
        return
    m = _models.get(name)
    click.echo(describe_model(m))


def _describe_cell(name, as_cell_file: bool, out) -> None:
    from ..cells import describe_cell, write_cell
    from ..errors import ParameterError

    if name is None or not as_cell_file:
        raise ParameterError("--describe needs a model name (hhsim models NAME --describe [--out FILE.toml])")
    model = _models.get(name)
    if out is None:
        click.echo(describe_cell(model), nl=False)
        return
    write_cell(model, check_output(out, (".toml",), "cell file"))
    click.echo(f"wrote {out}")


def register(group: click.Group) -> None:
    for cmd in (run_cmd, demo_cmd, models_cmd):
        group.add_command(cmd)
