"""``hhsim network``: simulate a network from a TOML file or a preset."""

from __future__ import annotations

import click

from ..errors import ParameterError
from .common import ANIMATION_SUFFIXES, DATA_SUFFIXES, FIGURE_SUFFIXES, backend_option, check_output, emit_json


@click.command("network")
@click.argument("file", required=False, metavar="[FILE.toml|FILE.nml]")
@click.option("--preset", default=None, metavar="NAME", help="A preset network: cobahh, wang_buzsaki_gamma, chain.")
@click.option("--t-stop", type=float, default=None, metavar="MS", help="Duration (ms); default the network's.")
@click.option("--dt", type=float, default=None, metavar="MS", help="Time step (ms); default the network's (0.025).")
@click.option("--method", default=None, metavar="NAME",
              help="rk4, expeuler, euler, ... or dopri5: each cell its own adaptive steps between exact events "
                   "(needs delays > 0 between cells). Default the network's, else dopri5 where it pays "
                   "(1000 cells or more, every cell in SIMD lanes, no --dt), else rk4.")
@click.option("--rtol", type=float, default=None, metavar="X", help="dopri5's relative tolerance (default 1e-6).")
@click.option("--atol", type=float, default=None, metavar="X", help="dopri5's absolute tolerance (default 1e-6).")
@click.option("--seed", type=int, default=None, metavar="N", help="Seed of connectivity, initial states and drive.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the results.")
@click.option("--plot", default=None, metavar="FILE", help="Raster, population rates and traces: .png, .svg or .pdf.")
@click.option("--animate", default=None, metavar="FILE.gif", help="An animation of the activity (.gif).")
@click.option("--plot-weights", "plot_weights", default=None, metavar="FILE",
              help="Histogram of the final weights of each plastic (STDP) projection, as a fraction of w_max: "
                   ".png, .svg or .pdf.")
@click.option("--out", default=None, metavar="FILE", help="Spike table .csv (population,neuron,t_ms), or .npz/.nc/.nwb.")
@click.option("--refractory", "refractory", multiple=True, metavar="[POP=]MS",
              help="Dead time for spike emission (ms) of population POP, or of every population; repeatable. "
                   "No spike within MS ms of a neuron's last one; the membrane is not clamped.")
@click.option("--noise", "noise", multiple=True, metavar="[POP=]METHOD",
              help="Channel noise in every cell of population POP, or of every population: markov, langevin or "
                   "none; repeatable. Channels: the squid densities (or the file's density/counts) times --area.")
@click.option("--area", "area", multiple=True, metavar="[POP=]UM2",
              help="Membrane area (um2) of population POP's cells, or of every population; repeatable. The noisy "
                   "channels' number, and the area of weights in nS.")
@click.option("--describe", is_flag=True, help="Print the network as a TOML file this command accepts, and stop.")
@backend_option
def network_cmd(file, preset, t_stop, dt, method, rtol, atol, seed, as_json, plot, animate, plot_weights, out,
                refractory, noise, area, describe, backend):
    """Simulate a network of neurons connected by synapses."""
    from ..network import presets, simulate_network, toml_io

    if (file is None) == (preset is None):
        raise ParameterError("give a network file (FILE.toml) or --preset NAME "
                             f"({', '.join(presets.PRESETS)}), not both or neither")
    net = load_network_file(file) if file is not None else presets.get(preset)
    changes = {k: v for k, v in (("t_stop", t_stop), ("dt", dt), ("method", method), ("seed", seed),
                                 ("rtol", rtol), ("atol", atol)) if v is not None}
    if changes:
        net = net.replace(**changes)
    for spec in refractory:
        pop, ms = _refractory_spec(spec)
        net = net.with_refractory(ms, pop)
    if area or noise:
        from ..noise.network import with_channel_noise

        for spec in area:  # the areas first: a noise then counts its channels on them
            pop, um2 = _population_spec(spec, "--area", "UM2", "a number of um2 (e.g. 100 or E=100)", float)
            net = with_channel_noise(net, area_um2=um2, population=pop)
        for spec in noise:
            pop, name = _population_spec(spec, "--noise", "METHOD", "markov, langevin or none (e.g. E=markov)", str)
            net = with_channel_noise(net, method=name, population=pop)
    if describe:
        if file is not None and str(file).lower().endswith(".nml"):
            raise ParameterError("--describe writes hhsim's TOML; a NeuroML network is described by its file "
                                 f"(`hhsim import-neuroml {file}` lists its cells and networks)")
        click.echo(toml_io.dumps(net), nl=False)
        return
    targets = [check_output(out, DATA_SUFFIXES, "data"), check_output(plot, FIGURE_SUFFIXES, "figure"),
               check_output(animate, ANIMATION_SUFFIXES[:1], "animation"),
               check_output(plot_weights, FIGURE_SUFFIXES, "weight histogram")]
    if targets[3] is not None and not any(getattr(pr, "stdp", None) is not None for pr in net.projections):
        raise ParameterError("--plot-weights draws the weights of plastic projections, and this network has none; "
                             "give a projection an stdp table (see `hhsim network --help` and the formats reference)")
    result = simulate_network(net, progress=not as_json, backend=backend)
    if targets[0] is not None:
        result.save(targets[0])
    if targets[1] is not None or targets[2] is not None:
        from ..plot import network as netplot

        if targets[1] is not None:
            netplot.plot_network(result, targets[1])
        if targets[2] is not None:
            netplot.animate_network(result, targets[2])
    if targets[3] is not None:
        result.plot_weights(targets[3])
    if as_json:
        emit_json(result.summary())
        return
    s = result.summary()
    click.echo(f"network {net.name}: {sum(result.sizes.values())} neurons, {s['n_synapses']} synapses, "
               f"{s['t_stop_ms']:g} ms, {s['method']} dt {s['dt_ms']:g} ms, seed {s['seed']}")
    for name, p in s["populations"].items():
        if p.get("spikes_recorded") is False:
            click.echo(f"  {name:<12} n {p['n']:>6}   spikes not recorded (not in monitors spikes)")
            continue
        cv = "n/a" if p["cv_isi"] is None else f"{p['cv_isi']:.3f}"
        click.echo(f"  {name:<12} n {p['n']:>6}   spikes {p['n_spikes']:>8}   rate {p['rate_hz']:8.3f} Hz   CV {cv}")
    for p in targets:
        if p is not None:
            click.echo(f"wrote {p}")


def _refractory_spec(spec: str) -> tuple[str | None, float]:
    """``"POP=MS"`` or ``"MS"`` as (population or None for all, ms)."""
    pop, sep, ms = spec.rpartition("=")
    if sep and not pop.strip():
        raise ParameterError(f"--refractory {spec!r}: no population before '='; expected MS for every "
                             "population or POP=MS (e.g. 3 or E=3)")
    try:
        value = float(ms)
    except ValueError:
        raise ParameterError(f"--refractory {spec!r}: expected MS or POP=MS with MS a number of ms "
                             "(e.g. 3 or E=3)") from None
    return (pop or None), value


def _population_spec(spec: str, option: str, what: str, accepted: str, kind) -> tuple[str | None, object]:
    """``"POP=VALUE"`` or ``"VALUE"`` as (population or None for all, the value as ``kind``)."""
    pop, sep, value = spec.rpartition("=")
    if sep and not pop.strip():
        raise ParameterError(f"{option} {spec!r}: no population before '='; expected {what} or POP={what}")
    try:
        out = kind(value.strip())
    except ValueError:
        raise ParameterError(f"{option} {spec!r}: expected {what} or POP={what}, {what} {accepted}") from None
    return (pop.strip() or None), out


def load_network_file(path: str):
    """The network in ``path``: a NeuroML2 file (``.nml``) or hhsim's TOML."""
    if str(path).lower().endswith(".nml"):
        from ..interop.neuroml import load_network

        return load_network(path)
    from ..network import toml_io

    return toml_io.load(path)


def register(cli: click.Group) -> None:
    cli.add_command(network_cmd)
