"""``hhsim import-neuroml`` and ``hhsim export-neuroml``: NeuroML2 files in and out.

A NeuroML cell is also accepted wherever a model is (``--model cell.nml``),
and a NeuroML network by ``hhsim network FILE.nml``.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import ParameterError
from .common import check_output


@click.command("import-neuroml")
@click.argument("file", metavar="FILE.nml")
@click.option("--cell", default=None, metavar="ID", help="The cell to convert when the file has several.")
@click.option("--out", default=None, metavar="FILE.toml",
              help="Write the cell as an hhsim cell file (read back by --model FILE.toml).")
def import_neuroml_cmd(file, cell, out):
    """Read a NeuroML2 file: list its cells (channels, gates) and networks, and
    convert a cell into an hhsim cell file with --out."""
    from ..interop import neuroml as nml

    contents = nml.read(file)
    if out is not None:
        target = check_output(out, (".toml",), "cell file")
        model = nml.load_model(file, cell)
        _write_cell_file(model, contents.areas_um2[cell or next(iter(contents.models))], target)
        click.echo(f"wrote {out} (cell {model.name!r}, {len(model.channels)} channels)")
        return
    for ident, model in contents.models.items():
        click.echo(f"cell {ident}: {contents.areas_um2[ident]:.6g} um2, {model.temperature:g} degC, "
                   f"Cm {model.Cm:g} uF/cm2, threshold {model.spike_threshold:g} mV")
        for ch in model.channels:
            gates = " ".join(f"{g.name}^{g.power:g}" for g in ch.gates) or "(no gates)"
            unit = "cm/s" if ch.reversal == "ghk" else "mS/cm2"
            rev = f"E {ch.E:g} mV" if ch.reversal == "fixed" else ch.reversal
            click.echo(f"  {ch.name:12s} {ch.ion or '-':3s} {ch.gbar:g} {unit}, {rev}; gates {gates}")
    for ident, cr in contents.cables.items():
        regions = ", ".join(f"{r} ({', '.join(c.name for c in m.channels)})" for r, m in cr.channels.items())
        click.echo(f"cable cell {ident}: {len(cr.morph.sections)} sections; regions {regions}")
    for ident in contents.networks:
        click.echo(f"network {ident}: run it with `hhsim network {file}`")


def _write_cell_file(model, area_um2: float, path) -> None:
    """An hhsim cell file of ``model`` with its NeuroML membrane area (so nA and nS convert)."""
    import tomli_w

    from ..cells import cell_to_dict
    from ..io import atomic_write

    table = cell_to_dict(model)
    table["membrane"]["area"] = float(area_um2)
    text = "# hhsim cell file converted from NeuroML by `hhsim import-neuroml`\n\n" + tomli_w.dumps(table)
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))


@click.command("export-neuroml")
@click.option("--model", "model_name", default=None, metavar="NAME|FILE",
              help="A preset or model file (cell.toml, cell.nml) to write.")
@click.option("--network", "network_file", default=None, metavar="FILE.toml", help="A network file to write.")
@click.option("--area", "area_um2", type=float, default=None, metavar="UM2",
              help="Membrane area of the written cell (um2; default 1000, or the cell file's).")
@click.option("--out", required=True, metavar="FILE.nml", help="The NeuroML2 file to write.")
def export_neuroml_cmd(model_name, network_file, area_um2, out):
    """Write a model or a network as NeuroML2 (valid against the NeuroML2 schema):
    ion channels, the cell, and a network that runs it at the model's temperature."""
    from ..interop import neuroml as nml

    if (model_name is None) == (network_file is None):
        raise ParameterError("give --model NAME|FILE or --network FILE.toml (one of them)")
    target = check_output(out, nml.SUFFIXES, "NeuroML file")
    if network_file is not None:
        from ..network import toml_io

        obj = toml_io.load(network_file)
    else:
        from .. import models

        obj = models.get(model_name)
        if area_um2 is None and str(model_name).lower().endswith(".toml"):
            from ..cells import read_cell

            area_um2 = read_cell(model_name).area_um2
    nml.write_neuroml(obj, target, area_um2=area_um2)
    click.echo(f"wrote {out}")


def register(cli: click.Group) -> None:
    cli.add_command(import_neuroml_cmd)
    cli.add_command(export_neuroml_cmd)
