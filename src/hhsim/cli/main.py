"""Entry point: the ``hhsim`` group and the one-line error policy.

Every user error (an :class:`~hhsim.errors.HHSimError` or a usage error
found by click) is printed as one line ``hhsim: error: ...`` on stderr with
exit status 2 and no traceback.
"""

from __future__ import annotations

import sys

import click

from .. import __version__
from ..errors import HHSimError
from . import cable_cmds, channel_cmds, protocol_cmds, simulate_cmds, sweep_cmds
from . import explore_cmds


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hhsim")
def cli():
    """hhsim: simulate and analyse Hodgkin-Huxley-type neuron models.

    Units: mV, ms, µA/cm², mS/cm², µF/cm², °C.  Start with `hhsim demo`.
    """


simulate_cmds.register(cli)
cable_cmds.register(cli)
protocol_cmds.register(cli)
channel_cmds.register(cli)
sweep_cmds.register(cli)
explore_cmds.register(cli)


def main(argv=None) -> None:
    """Console-script entry point."""
    try:
        cli.main(args=argv, prog_name="hhsim", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("hhsim: aborted", err=True)
        sys.exit(1)
    except click.exceptions.ClickException as exc:  # usage errors, bad option values
        msg = " ".join(exc.format_message().split())
        click.echo(f"hhsim: error: {msg}", err=True)
        sys.exit(2)
    except HHSimError as exc:
        click.echo(f"hhsim: error: {' '.join(str(exc).split())}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("hhsim: interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
