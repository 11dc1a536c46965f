"""``hhsim spontaneous`` and ``hhsim reliability``: the channel-noise protocols
(thin wrappers over :mod:`hhsim.analysis.channel_noise`)."""

from __future__ import annotations

import click

from ..analysis.channel_noise import spike_reliability, spontaneous_rate
from ..errors import ProtocolError
from .common import FIGURE_SUFFIXES, build_model, check_output, emit_json, model_options
from .noise_options import parse_pairs


def _floats(text: str, option: str) -> list[float]:
    try:
        values = [float(x) for x in str(text).split(",") if x.strip()]
    except ValueError:
        raise ProtocolError(f"{option} needs numbers separated by commas, e.g. 1,10,100; got {text!r}") from None
    if not values:
        raise ProtocolError(f"{option} needs at least one number")
    return values


def _shared(f):
    for opt in reversed([
        click.option("--method", "noise", type=click.Choice(["markov", "langevin"]), default="markov",
                     show_default=True, help="Noise method."),
        click.option("--density", default=None, metavar="CH=D,...",
                     help="Channel densities (channels/µm²); default Na=60,K=18 (squid)."),
        click.option("--trials", type=int, default=None, metavar="N", help="Neurons per area."),
        click.option("--t-stop", type=float, default=None, metavar="MS", help="Duration of each trial (ms)."),
        click.option("--dt", type=float, default=None, metavar="MS", help="Time step (ms); default 0.01."),
        click.option("--seed", type=int, default=0, show_default=True, help="Seed of the channel noise."),
        click.option("--plot", default=None, metavar="FILE", help="Save the figure: .png, .svg or .pdf."),
        click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the results."),
    ]):
        f = opt(f)
    return model_options(f)


def _given(**kw):
    return {k: v for k, v in kw.items() if v is not None}


@click.command("spontaneous")
@_shared
@click.option("--areas", default="1,2,5,10,20,50,100", show_default=True, metavar="UM2,...",
              help="Membrane areas (µm²).")
def spontaneous_cmd(model_name, overrides, temperature, drugs, channel_files, noise, density, trials, t_stop, dt,
                    seed, plot, as_json, areas):
    """Spontaneous firing rate at rest against membrane area (channel noise)."""
    model = build_model(model_name, overrides, temperature, drugs, channel_files)
    plot = check_output(plot, FIGURE_SUFFIXES, "figure")
    result = spontaneous_rate(model, areas=_floats(areas, "--areas"), method=noise, dt=dt, seed=seed,
                              density=parse_pairs(density, "--density"), **_given(trials=trials, t_stop=t_stop))
    if plot is not None:
        result.plot(plot)
    if as_json:
        emit_json(result.to_dict())
        return
    click.echo(f"spontaneous firing of {result.model.name} at rest ({result.method}, {result.counts.shape[1]} x "
               f"{result.t_stop_ms:g} ms per area)")
    click.echo("  area (µm²)   rate (Hz)   s.e. (Hz)   CV of ISI")
    for a, r, s, c in zip(result.areas_um2, result.rate_hz, result.rate_se_hz, result.cv_isi):
        click.echo(f"  {a:10.4g}   {r:9.3f}   {s:9.3f}   {c:9.3f}")
    if result.efold_area_um2 is not None:
        click.echo(f"  the rate falls by e per {result.efold_area_um2:.3g} µm² (exponential fit)")
    if plot is not None:
        click.echo(f"wrote {plot}")


@click.command("reliability")
@_shared
@click.option("--areas", default="30,100,300,1000", show_default=True, metavar="UM2,...",
              help="Membrane areas (µm²).")
@click.option("--mean", type=float, default=8.0, show_default=True, metavar="UA",
              help="Mean current of both stimuli (µA/cm²).")
@click.option("--std", type=float, default=4.0, show_default=True, metavar="UA",
              help="S.d. of the fluctuating stimulus (µA/cm²).")
@click.option("--tau", type=float, default=2.0, show_default=True, metavar="MS",
              help="Correlation time of the fluctuating stimulus (ms).")
@click.option("--window", type=float, default=5.0, show_default=True, metavar="MS",
              help="How far from an event a trial's spike may fall (ms).")
def reliability_cmd(model_name, overrides, temperature, drugs, channel_files, noise, density, trials, t_stop, dt,
                    seed, plot, as_json, areas, mean, std, tau, window):
    """Spike-time reliability and jitter under a repeated stimulus (Schneidman 1998)."""
    model = build_model(model_name, overrides, temperature, drugs, channel_files)
    plot = check_output(plot, FIGURE_SUFFIXES, "figure")
    result = spike_reliability(model, areas=_floats(areas, "--areas"), method=noise, dt=dt, seed=seed,
                               density=parse_pairs(density, "--density"), mean=mean, std=std, tau=tau,
                               window_ms=window, **_given(trials=trials, t_stop=t_stop))
    if plot is not None:
        result.plot(plot)
    if as_json:
        emit_json(result.to_dict())
        return
    click.echo(f"spike timing of {result.model.name} over {result.trials} repetitions ({result.method}; events: "
               f"the deterministic spikes, window {result.window_ms:g} ms)")
    click.echo("  area (µm²)   stimulus      reliability   jitter (ms)")
    for i, a in enumerate(result.areas_um2):
        for k, s in enumerate(result.stimuli):
            click.echo(f"  {a:10.4g}   {s:12s}  {result.reliability[i, k]:11.3f}   {result.jitter_ms[i, k]:11.3f}")
    if plot is not None:
        click.echo(f"wrote {plot}")


def register(group: click.Group) -> None:
    for cmd in (spontaneous_cmd, reliability_cmd):
        group.add_command(cmd)
