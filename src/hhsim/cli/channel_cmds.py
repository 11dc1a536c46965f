"""``hhsim channels`` (the channel library) and ``hhsim rates`` (rate functions against V)."""

from __future__ import annotations

import click

from .. import channels as _channels
from ..channels.rates import plot_rates, rate_table, summary, voltage_grid
from ..channels.spec import load_channel
from ..io import atomic_write
from .common import FIGURE_SUFFIXES, build_model, check_output, model_options


@click.command("channels")
@click.argument("name", required=False)
@click.option("--file", "path", default=None, metavar="FILE.toml|FILE.mod",
              help="Check and show a custom channel written in a TOML file (see hhsim.channels.spec) "
                   "or a NEURON .mod file (see `hhsim import-mod --help`).")
def channels_cmd(name, path):
    """List the channel library, or show one channel's equations and defaults."""
    if path is not None:
        if path.lower().endswith(".mod"):
            from ..interop.nmodl import ImportedPool, load_mod

            found = load_mod(path)
            if isinstance(found, ImportedPool):
                p = found.pool
                click.echo(f"{found.name}: {p.ion} pool, depth {p.depth:g} µm, tau {p.tau:g} ms, "
                           f"resting {p.prefix}_in {found.resting_mM:g} mM")
                return
            found = found if isinstance(found, tuple) else (found,)
        else:
            found = (load_channel(path),)
        from ..model import Model

        for ch in found:  # the checks a model makes when it takes the channel (gates within 0 to 1, ...)
            Model(name=ch.name, channels=(ch,)).validate()
        click.echo("\n\n".join(describe_channel(ch.name, ch) for ch in found))
        return
    if name is None:
        for n in _channels.names():
            entry = _channels.LIBRARY[n]
            ch = entry.build()
            click.echo(f"{n:12s} {ch.description}")
            click.echo(f"{'':12s} file: channels/{entry.family}.py; source: {ch.source}")
        return
    ch = _channels.get(name)
    click.echo(describe_channel(name, ch))


def describe_channel(key: str, ch) -> str:
    """A channel's current law, gates and constants as plain text."""
    gates = " * ".join(f"{g.name}^{g.power:g}" if g.power != 1 else g.name for g in ch.gates)
    if ch.open_tree is not None:  # g = gbar * f(gates): show f
        from ..channels.expr import unparse

        gates = f"({unparse(ch.open_tree)})"
    lines = [f"{key}: {ch.description}", f"source: {ch.source}", ""]
    if ch.reversal == "ghk":
        lines.append(f"I_{ch.name} = p{ch.name}" + (f" * {gates}" if gates else "")
                     + f" * GHK(V, {ch.ion} in, {ch.ion} out)   p{ch.name} = {ch.gbar:g} cm/s")
    else:
        e = "Nernst (from the model's concentrations)" if ch.reversal == "nernst" else f"{ch.E:g} mV"
        lines.append(f"I_{ch.name} = g{ch.name}" + (f" * {gates}" if gates else "") + f" * (V - E{ch.name})")
        lines.append(f"  g{ch.name} = {ch.gbar:g} mS/cm², E{ch.name}: {e}")
    if ch.ion:
        lines.append(f"  ion: {ch.ion}")
    for pname, pval in ch.params:
        unit = ch.param_unit(pname)
        lines.append(f"  {ch.name}.{pname} = {pval:g}{(' ' + unit) if unit and unit != '1' else ''}")
    if ch.gates:
        lines.append(f"  Q10 {ch.q10:g} (rates as written apply at {ch.q10_reference_c:g} °C)")
    for g in ch.gates:
        kind = "instantaneous" if g.instantaneous else ("alpha/beta" if g.alpha is not None else "inf/tau")
        lines.append(f"  gate {g.name} (power {g.power:g}, {kind}):")
        for fname, form in zip(g.form_names, g.forms):
            label = f"{g.name}_inf" if fname == "inf" else f"{fname}_{g.name}"
            lines.append(f"    {label}(V) = {form.describe()}")
    return "\n".join(lines)


@click.command("rates")
@model_options
@click.option("--plot", default=None, metavar="FILE", help="Figure of alpha/beta, x_inf and tau of every gate: .png, .svg or .pdf.")
@click.option("--out", default=None, metavar="FILE.csv", help="Write the curves as CSV (V_mV, then 4 columns per gate).")
@click.option("--vmin", type=float, default=-120.0, show_default=True, metavar="MV", help="Lowest voltage.")
@click.option("--vmax", type=float, default=60.0, show_default=True, metavar="MV", help="Highest voltage.")
def rates_cmd(model_name, overrides, temperature, drugs, plot, out, vmin, vmax, channel_files):
    """Rate functions of every gate against voltage (alpha, beta, x_inf, tau).

    Without --plot or --out, prints each gate's half-activation voltage and
    largest time constant.  Rates include the temperature factor at the
    model's temperature (change it with --temperature).
    """
    model = build_model(model_name, overrides, temperature, drugs, channel_files)
    v = voltage_grid(vmin, vmax)
    targets = [check_output(plot, FIGURE_SUFFIXES, "figure"), check_output(out, (".csv",), "data")]
    if targets[0] is not None:
        plot_rates(model, targets[0], v)
        click.echo(f"wrote {targets[0]}")
    if targets[1] is not None:
        cols = rate_table(model, v)

        def write(tmp):
            import numpy as np

            with open(tmp, "w") as fh:
                fh.write(",".join(cols) + "\n")
                np.savetxt(fh, np.column_stack(list(cols.values())), delimiter=",", fmt="%.10g")

        atomic_write(targets[1], write)
        click.echo(f"wrote {targets[1]}")
    if targets[0] is None and targets[1] is None:
        click.echo(f"{model.name} at {model.temperature:g} °C, V from {vmin:g} to {vmax:g} mV")
        click.echo(f"{'gate':12s} {'x_inf = 1/2 at':>15s}  {'largest tau':>12s}  at")
        for row in summary(model, v):
            half = "--" if row["v_half_mV"] is None else f"{row['v_half_mV']:.2f} mV"
            direction = "activates" if row["rising"] else "inactivates"
            if row["instantaneous"]:
                tau = "instantaneous"
                at = ""
            else:
                tau = f"{row['tau_max_ms']:.4g} ms"
                at = f"{row['at_mV']:.1f} mV"
            click.echo(f"{row['gate']:12s} {half:>15s}  {tau:>12s}  {at:9s} ({direction} with depolarisation)")


def register(group: click.Group) -> None:
    for cmd in (channels_cmd, rates_cmd):
        group.add_command(cmd)
