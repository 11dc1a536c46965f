"""``hhsim import-mod``: a NEURON ``.mod`` file as an hhsim channel file, without a compiler."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import ModelError
from ..io import atomic_write
from .common import check_output


@click.command("import-mod")
@click.argument("path", metavar="FILE.mod")
@click.option("--out", default=None, metavar="FILE.toml",
              help="Write the channel file (read back by --channel FILE.toml); without it, print it.")
def import_mod_cmd(path, out):
    """Import a NEURON .mod file (an HH-type density mechanism) as an hhsim channel.

    Read: NEURON (SUFFIX, USEION, NONSPECIFIC_CURRENT, RANGE, GLOBAL), UNITS
    (with FARADAY and R), PARAMETER, STATE, ASSIGNED, INITIAL, BREAKPOINT
    with SOLVE ... METHOD cnexp/derivimplicit, DERIVATIVE, PROCEDURE and
    FUNCTION (LOCAL, IF/ELSE, exp, log, fabs, pow), TABLE (computed exactly),
    the explicit-update idiom x = x + (1 - exp(-dt/tau))*(inf - x), Q10
    factors of celsius, GHK currents, calcium pools (clipped or not, with
    their own resting level and a pump) and KINETIC schemes (SOLVE ... METHOD
    sparse, CONSERVE).  NET_RECEIVE, VERBATIM (other than `return 0;`),
    POINTER, LINEAR, NONLINEAR and KINETIC reactions with ligands or fluxes
    are refused with file:line.  Use the file directly with
    --channel FILE.mod on any command.
    """
    from ..channels.spec import describe_channel
    from ..interop.nmodl import ImportedPool, load_mod

    target = check_output(out, (".toml",), "channel file")
    mech = load_mod(path)
    if isinstance(mech, ImportedPool):
        p = mech.pool
        text = (f"{path}: an ion pool ({p.ion}): {p.describe()}, resting "
                f"{p.prefix}_in {mech.resting_mM:g} mM; add it to a model with --channel {path}")
        if target is not None:
            raise ModelError(f"{text}; a channel file cannot hold a pool, so --out is not written")
        click.echo(text)
        return
    if isinstance(mech, tuple):  # one channel per current (NEURON's hh.mod)
        names = ", ".join(c.name for c in mech)
        if target is not None:
            raise ModelError(f"{path} writes {len(mech)} currents, one channel each ({names}); a channel file "
                             f"holds one, so --out is not written: use --channel {path} directly")
        for i, ch in enumerate(mech):
            click.echo(f"# channel {i + 1} of {len(mech)}: {ch.name}\n{describe_channel(ch)}")
        return
    toml_text = describe_channel(mech)
    if target is None:
        click.echo(toml_text, nl=False)
        return

    def write(tmp):
        Path(tmp).write_text(toml_text, encoding="utf-8")

    atomic_write(target, write)
    gates = ", ".join(f"{g.name}^{g.power:g}" for g in mech.gates) or "no gates"
    click.echo(f"wrote {target} (channel {mech.name}: {gates})")


def register(group: click.Group) -> None:
    group.add_command(import_mod_cmd)
