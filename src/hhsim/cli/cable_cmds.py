"""``hhsim cable``: the action potential travelling along an axon."""

from __future__ import annotations

import sys

import click

from ..cable.experiment import run_experiment
from ..cable.presets import PRESETS
from ..cable.simulate import METHODS
from ..cable.stimulus import parse_point
from .noise_options import noise_record
from .common import ANIMATION_SUFFIXES, FIGURE_SUFFIXES, backend_option, check_output, emit_json, parse_overrides

DATA_SUFFIXES = (".npz", ".csv")


@click.command("cable")
@click.option("--preset", default=None, metavar="NAME",
              help=f"A ready-made experiment: {', '.join(PRESETS)} (other options override it).")
@click.option("--model", "model_name", default=None, metavar="NAME",
              help="Channels of every compartment (a preset from `hhsim models`; default hh).")
@click.option("--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Override a model parameter, e.g. --set gNa=60.")
@click.option("--length", type=float, default=None, metavar="CM", help="Cable length in cm (default 2).")
@click.option("--diam", type=float, default=None, metavar="UM", help="Diameter in µm (default 476).")
@click.option("--ri", type=float, default=None, metavar="OHM_CM", help="Axial resistivity in Ω·cm (default 35.4).")
@click.option("--dx", type=float, default=None, metavar="UM",
              help="Largest compartment length in µm (default: d_lambda rule, 0.1 λ at 1 kHz).")
@click.option("--nseg", type=int, default=None, metavar="N", help="Number of compartments (per section).")
@click.option("--temperature", type=float, default=None, metavar="C", help="Temperature in °C.")
@click.option("--stim", "stims", multiple=True, metavar="SPEC",
              help="Point stimulus in nA with its place: at=µm from the start or x=fraction, e.g. "
                   "'pulses(amp=20000, dur=0.2, start=0.5, at=0)'. Default: a brief pulse at the start.")
@click.option("--t-stop", type=float, default=None, metavar="MS",
              help="Duration in ms (default: until the activity has ended).")
@click.option("--dt", type=float, default=None, metavar="MS", help="Time step in ms (default 0.01 for cn).")
@click.option("--method", default=None, metavar="NAME",
              help=f"Solver: {', '.join(METHODS)} (default cn, Crank-Nicolson).")
@click.option("--boundary", default=None, metavar="KIND",
              help="Both ends: sealed (default), killed or infinite.")
@click.option("--swc", default=None, metavar="FILE",
              help="A branched morphology (SWC file) instead of a cylinder; x= of --stim is along its root section.")
@click.option("--out", default=None, metavar="FILE", help="Save V(x, t): .npz or .csv.")
@click.option("--plot", default=None, metavar="FILE", help="Space-time plot and traces: .png, .svg or .pdf.")
@click.option("--animate", default=None, metavar="FILE", help="The spike travelling: .gif (or .mp4 with ffmpeg).")
@click.option("--noise", default=None, metavar="METHOD",
              help="Channel noise in every compartment: markov or langevin (default none); each compartment "
                   "holds density x its area channels (methods cn and be).")
@click.option("--density", default=None, metavar="CH=D,...",
              help="Noisy channels and their densities (channels/µm²), e.g. Na=60,K=18 (the squid default).")
@click.option("--count", "counts", default=None, metavar="CH=N,...",
              help="Noisy channels and their numbers of channels in every compartment, instead of densities.")
@click.option("--seed", type=int, default=None, metavar="S", help="Seed of the channel noise (default 0).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the results.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@backend_option
def cable_cmd(preset, model_name, overrides, length, diam, ri, dx, nseg, temperature, stims, t_stop, dt,
              method, boundary, swc, noise, density, counts, seed, out, plot, animate, as_json, quiet, backend):
    """Simulate an axon (or a morphology) and measure the conduction velocity.

    Units: --length in cm, --diam and --dx in µm, --ri in Ω·cm, stimuli in nA,
    times in ms.  `hhsim cable --preset hh1952-axon` runs the propagated
    action potential of Hodgkin & Huxley (1952).
    """
    targets = (check_output(out, DATA_SUFFIXES, "data"), check_output(plot, FIGURE_SUFFIXES, "figure"),
               check_output(animate, ANIMATION_SUFFIXES, "animation"))
    stimuli = [parse_point(s) for s in stims]
    spec = noise_record(noise, None, density, counts, seed)
    result = run_experiment(
        preset=preset, model=model_name, overrides=parse_overrides(overrides), length_cm=length,
        diam_um=diam, ri_ohm_cm=ri, dx_um=dx, nseg=nseg, temperature=temperature, stimuli=stimuli,
        t_stop=t_stop, dt=dt, method=method, boundary=boundary, swc=swc,
        progress=not quiet and not as_json and sys.stderr.isatty(), noise=spec if spec.active else None,
        backend=backend,
    )
    if targets[0] is not None:
        result.save(targets[0])
    if targets[1] is not None:
        from ..plot.cable import plot_cable

        plot_cable(result, targets[1])
    if targets[2] is not None:
        from ..plot.cable import animate_cable

        animate_cable(result, targets[2])
    summary = result.summary()
    if as_json:
        emit_json(summary)
        return
    click.echo(_text(summary))
    for p in targets:
        if p is not None:
            click.echo(f"wrote {p}")


def _text(s: dict) -> str:
    lines = [
        f"{s['model']} cable at {s['temperature_C']:g} °C: {s['length_um'] / 1e4:g} cm, "
        f"{s['n_compartments']} compartments, method {s['method']}, dt {s['dt_ms']:g} ms, {s['t_stop_ms']:.4g} ms",
    ]
    v = s.get("velocity_m_s")
    if "velocity_between_um" in s:
        a, b = s["velocity_between_um"]
        lines.append(f"conduction velocity  {v:.5g} m/s   (between {a / 1e4:.4g} and {b / 1e4:.4g} cm)"
                     if v is not None else "conduction velocity  -   (the spike did not reach both points)")
    lines.append(f"propagated           {'yes' if s['propagated'] else 'no'}")
    if s.get("spike_amplitude_mV") is not None:
        lines.append(f"spike amplitude      {s['spike_amplitude_mV']:.4g} mV   (peak - rest, mid-cable)")
    if s.get("spike_width_ms") is not None:
        lines.append(f"spike width          {s['spike_width_ms']:.4g} ms   (at half amplitude)")
    lines.append(f"resting potential    {s['v_rest_mV']:.4g} mV")
    if "noise" in s:
        nz = s["noise"]
        chans = ", ".join(f"{k} {v:,}" for k, v in nz["channels_total"].items())
        lines.append(f"channel noise        {nz['method']}, seed {nz['seed']}: {chans} channels in all; "
                     f"{s['threshold_crossings']} threshold crossings")
    if "length_constant_um" in s:
        lines.append(f"length constant      {s['length_constant_um'] / 1e4:.4g} cm   (passive, at rest)")
        lines.append(f"input resistance     {s['input_resistance_MOhm'] * 1e3:.4g} kΩ   (at the start)")
    return "\n".join(lines)


def register(group: click.Group) -> None:
    group.add_command(cable_cmd)
