"""The dynamics-lab subcommands: ``equilibria``, ``bifurcation`` and ``phase-plane``.

Thin wrappers over :mod:`hhsim.dynamics`; each takes ``--model``, ``--set``,
``--temperature``, ``--drug``, ``--channel`` and ``--json``.
"""

from __future__ import annotations

import click

from .common import FIGURE_SUFFIXES, build_model, check_output, emit_json, model_options


def json_safe(data):
    from ..dynamics.diagram import json_safe as safe

    return safe(data)


def _model(kw):
    return build_model(kw.pop("model_name"), kw.pop("overrides"), kw.pop("temperature"), kw.pop("drugs"),
                       kw.pop("channel_files"))


@click.command("equilibria")
@model_options
@click.option("--at", "i_app", type=float, default=0.0, show_default=True, metavar="UA",
              help="Injected current (µA/cm²).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the results.")
def equilibria_cmd(**kw):
    """Every equilibrium at one injected current, with its type and the eigenvalues
    of the full Jacobian (V, every gate, every pool).  JSON: equilibria."""
    from ..dynamics import equilibria_at

    model = _model(kw)
    out = equilibria_at(model, kw["i_app"])
    if kw["as_json"]:
        emit_json(json_safe(out))
        return
    click.echo(f"model {model.name} at {model.temperature:g} °C, I = {kw['i_app']:g} µA/cm²")
    if not out["equilibria"]:
        click.echo("no equilibrium between -120 and 60 mV")
    for e in out["equilibria"]:
        lead = e["eigenvalues_per_ms"][0]
        click.echo(f"V {e['V_mV']:10.5f} mV   {e['type']:<22} leading eigenvalue "
                   f"{lead[0]:+.5g}{lead[1]:+.5g}i /ms")
    for note in out["notes"]:
        click.echo(note)


@click.command("bifurcation")
@model_options
@click.option("--param", default="I", show_default=True, metavar="NAME",
              help="Continuation parameter: I, the injected current (µA/cm²), or any model parameter "
                   "(see `hhsim models NAME`; equilibria and their bifurcations only).")
@click.option("--at", "i_app", type=float, default=0.0, show_default=True, metavar="UA",
              help="Injected current held while another --param varies (µA/cm²).")
@click.option("--from", "i_from", type=float, default=None, metavar="A",
              help="Start of the parameter range (default 0 for I, else half the parameter's value).")
@click.option("--to", "i_to", type=float, default=None, metavar="B",
              help="End of the parameter range (default for I 50, or beyond the highest Hopf point; "
                   "else 1.5 times the value).")
@click.option("--no-cycles", is_flag=True, help="Equilibria and their bifurcations only.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--no-fi", is_flag=True,
              help="Do not simulate the f-I curve (up and down staircases) drawn on the figure.")
@click.option("--plot", default=None, metavar="FILE", help="Save the figure: .png, .svg or .pdf.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the results.")
def bifurcation_cmd(**kw):
    """Bifurcation diagram along the injected current: equilibria, saddle-nodes, Hopf
    points (with the first Lyapunov coefficient), periodic orbits, folds of cycles,
    period doublings and the onset of firing."""
    from ..dynamics import bifurcation_diagram

    model = _model(kw)
    plot = check_output(kw["plot"], FIGURE_SUFFIXES, "figure")
    if kw["param"] != "I":
        _parameter_cmd(model, kw, plot)
        return
    d = bifurcation_diagram(model, 0.0 if kw["i_from"] is None else kw["i_from"], kw["i_to"], cycles=not kw["no_cycles"],
                            fi=plot is not None and not kw["no_fi"], progress=False if kw["quiet"] else None)
    if plot is not None:
        d.plot(plot)
    if kw["as_json"]:
        emit_json(d.to_dict())
        return
    for line in _diagram_lines(d):
        click.echo(line)
    if plot is not None:
        click.echo(f"wrote {plot}")


def _parameter_cmd(model, kw, plot) -> None:
    from ..dynamics.param_branch import parameter_diagram
    from ..errors import ParameterError

    name = kw["param"]
    params = model.params()
    if name not in params:
        raise ParameterError(f"unknown continuation parameter {name!r} for model {model.name!r}; accepted: I, "
                             + ", ".join(params))
    value = params[name].value
    lo = kw["i_from"] if kw["i_from"] is not None else value - 0.5 * abs(value or 1.0)
    hi = kw["i_to"] if kw["i_to"] is not None else value + 0.5 * abs(value or 1.0)
    d = parameter_diagram(model, name, lo, hi, kw["i_app"])
    if plot is not None:
        from ..plot.dynamics import plot_parameter_diagram

        plot_parameter_diagram(d, plot)
    if kw["as_json"]:
        emit_json(d)
        return
    unit = params[name].unit
    click.echo(f"model {model.name}: {name} from {lo:g} to {hi:g} {unit} at I = {kw['i_app']:g} µA/cm²")
    for h in d["hopf"]:
        click.echo(f"Hopf         {name} {h['value']:.10g} {unit}  V {h['V_mV']:.6g} mV  "
                   f"{h['frequency_hz']:.5g} Hz  l1 {h['lyapunov']:+.4g}  {h['kind']}")
    for sn in d["saddle_nodes"]:
        click.echo(f"saddle-node  {name} {sn['value']:.10g} {unit}  V {sn['V_mV']:.6g} mV")
    for note in d["notes"]:
        click.echo(note)
    if plot is not None:
        click.echo(f"wrote {plot}")


def _diagram_lines(d) -> list[str]:
    js = d.to_dict()
    lines = [f"model {d.model.name} at {d.model.temperature:g} °C, I from {js['from']:g} to {js['to']:g} µA/cm²"]
    for h in js["hopf"]:
        lines.append(f"Hopf         I {h['I_uA_cm2']:.10g} µA/cm²  V {h['V_mV']:.6g} mV  "
                     f"{h['frequency_hz']:.5g} Hz  l1 {h['lyapunov']:+.4g}  {h['kind']}")
    for s in js["saddle_nodes"]:
        lines.append(f"saddle-node  I {s['I_uA_cm2']:.10g} µA/cm²  V {s['V_mV']:.6g} mV  ({s['fold']})")
    for c in js["cycle_folds"]:
        lines.append(f"cycle fold   I {c['I_uA_cm2']:.8g} µA/cm²  period {c['period_ms']:.6g} ms")
    for c in js["period_doublings"]:
        lines.append(f"period doubling I {c['I_uA_cm2']:.8g} µA/cm²  period {c['period_ms']:.6g} ms")
    for c in js["torus"]:
        lines.append(f"torus        I {c['I_uA_cm2']:.8g} µA/cm²  period {c['period_ms']:.6g} ms")
    for c in js["homoclinic"]:
        lines.append(f"period to infinity near I {c['I_uA_cm2']:.8g} µA/cm² (period {c['period_ms']:.4g} ms): "
                     "homoclinic orbit or saddle-node on an invariant circle")
    for b in js["cycles"]:
        lines.append(f"cycle branch from {b['start']}: {len(b['points'])} orbits, ends: {b['end']}")
    on = js["onset"]
    if on.get("type"):
        lines.append(f"onset        {on['type']} at {on['I_uA_cm2']:.8g} µA/cm²"
                     + (f" ({on['note']})" if on.get("note") else ""))
        if on.get("mechanism"):
            lines.append(f"             {on['mechanism']}")
    else:
        lines.append(f"onset        none ({on.get('note', '')})")
    lines += js["notes"]
    return lines


def _point(text: str) -> tuple[float, float]:
    parts = text.split(",")
    try:
        x, y = (float(p) for p in parts)
    except ValueError:
        raise click.BadParameter(f"--start needs two numbers X,Y (e.g. -40,0.35), got {text!r}") from None
    return x, y


@click.command("phase-plane")
@model_options
@click.option("--vars", "vars_", default=None, metavar="X,Y",
              help="The two states drawn, e.g. V,n (default V,n, else V and the last state).")
@click.option("--reduce", default="rinzel", show_default=True, type=click.Choice(["rinzel", "steady", "fixed"]),
              help="The other states: Rinzel's reduction, at steady state at V, or fixed at rest.")
@click.option("--at", "i_app", type=float, default=0.0, show_default=True, metavar="UA",
              help="Injected current (µA/cm²).")
@click.option("--stim", "stim_spec", default=None, metavar="SPEC",
              help="Trajectory from rest under this stimulus, e.g. 'pulses(amp=20, start=5, dur=1)'.")
@click.option("--start", "starts", multiple=True, metavar="X,Y", help="Start a trajectory here (repeatable).")
@click.option("--t-stop", type=float, default=100.0, show_default=True, metavar="MS", help="Trajectory length (ms).")
@click.option("--plot", default=None, metavar="FILE", help="Save the figure: .png, .svg or .pdf.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the results.")
def phase_plane_cmd(**kw):
    """Phase plane of two states: nullclines, vector field, equilibria with their types,
    trajectories and the threshold separatrix (the stable manifold of a saddle)."""
    from ..dynamics.phase_plane import phase_plane
    from ..stimspec import parse as parse_stim

    model = _model(kw)
    plot = check_output(kw["plot"], FIGURE_SUFFIXES, "figure")
    stimulus = parse_stim(kw["stim_spec"]) if kw["stim_spec"] else None
    if not kw["t_stop"] > 0:
        raise click.BadParameter(f"--t-stop must be > 0 ms, got {kw['t_stop']:g}")
    pp = phase_plane(model, kw["vars_"], reduce=kw["reduce"], i_app=kw["i_app"],
                     starts=[_point(s) for s in kw["starts"]], stimulus=stimulus, t_stop=kw["t_stop"])
    if plot is not None:
        pp.plot(plot)
    if kw["as_json"]:
        emit_json(json_safe(pp.to_dict()))
        return
    click.echo(pp.title)
    for e in pp.equilibria:
        click.echo(f"equilibrium  {pp.x_name} {e['x']:.6g}  {pp.y_name} {e['y']:.6g}  {e['type']}")
    for name, rel in pp.relation.get("linear", {}).items():
        click.echo(f"reduction    {name} = {rel['intercept']:.4g} {rel['slope']:+.4g} {rel['of']}")
    for note in pp.notes:
        click.echo(note)
    if plot is not None:
        click.echo(f"wrote {plot}")


def register(cli) -> None:
    cli.add_command(equilibria_cmd)
    cli.add_command(bifurcation_cmd)
    cli.add_command(phase_plane_cmd)
