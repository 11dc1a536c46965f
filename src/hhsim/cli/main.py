"""Entry point: the ``hhsim`` group and the one-line error policy.

Every user error (an :class:`~hhsim.errors.HHSimError` or a usage error
found by click) is printed as one line ``hhsim: error: ...`` on stderr with
exit status 2 and no traceback (see :mod:`hhsim.cli.messages` for how the
line is kept readable, :mod:`hhsim.cli.process` for signals and stdout).
"""

from __future__ import annotations

import errno
import importlib
import sys

import click

from .. import first_run, quick_exit
from .._version import __version__
from ..errors import HHSimError
from .commands import COMMANDS
from .messages import missing_extra, one_line
from .process import (StdoutError, Terminated, describe_os_error, flush_stdout, follow_parent, handle_termination,
                      is_stdout_error, quiet_numerics)


class LazyGroup(click.Group):
    """The ``hhsim`` group: commands listed from :data:`~hhsim.cli.commands.COMMANDS`,
    each module imported only when one of its commands is used."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module = importlib.import_module(f"{__package__}.{COMMANDS[name][0]}")
        found = click.Group()
        module.register(found)
        return found.commands.get(name)

    def format_commands(self, ctx, formatter):
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hhsim")
def cli():
    """hhsim: simulate and analyse Hodgkin-Huxley-type neuron models.

    Units: mV, ms, µA/cm², mS/cm², µF/cm², °C.  Start with `hhsim demo`.
    """


def main(argv=None) -> None:
    """Console-script entry point: every failure is one line on stderr.

    Exit status 2 for bad input (and environment errors: a full disk, a path
    that cannot be written, not enough memory), 130 when interrupted (Ctrl-C),
    143 on SIGTERM; in each case temporary files are removed first.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    quick_exit.install()
    if not argv:  # a bare `hhsim`: the normal help, not an error line
        click.echo(cli.get_help(click.Context(cli, info_name="hhsim")))
        return
    if argv[0] not in COMMANDS:  # the group's own help, --version or a usage error: no numerics
        with handle_termination():
            code = _run(argv)
    else:
        first_run.start_for(argv)  # a first `hhsim run`: its loop compiles meanwhile
        try:
            with handle_termination(), quiet_numerics():
                code = _run(argv)
        finally:
            first_run.stop_unadopted()
    if code:
        sys.exit(code)


def _run(argv) -> int:
    try:
        follow_parent()
        cli.main(args=argv, prog_name="hhsim", standalone_mode=False)
        flush_stdout()
        return 0
    except (KeyboardInterrupt, click.exceptions.Abort):
        return _fail("interrupted", 130)
    except Terminated:
        return _fail("terminated", 143)
    except click.exceptions.ClickException as exc:  # usage errors, bad option values
        return _fail(f"error: {exc.format_message()}", 2)
    except HHSimError as exc:
        return _fail(f"error: {exc}", 2)
    except StdoutError as exc:
        return _fail(f"error: {exc.strerror}", 2) if exc.errno != errno.EPIPE else 1
    except ImportError as exc:  # an optional package of this command is not installed
        line = missing_extra(exc)
        if line is None:
            raise
        return _fail(f"error: {line}", 2)
    except MemoryError:
        return _fail("error: not enough memory for this request; ask for less (a shorter --t-stop, "
                     "fewer points, a larger --dt) or free memory", 2)
    except RecursionError:
        return _fail("error: the input is nested too deeply to be read", 2)
    except OSError as exc:  # the environment, not the request: a full disk, a path too long
        if is_stdout_error(exc) and exc.errno == errno.EPIPE:  # `hhsim models | head`: quietly
            describe_os_error(exc)
            return 1
        return _fail(f"error: {describe_os_error(exc)}", 2)


def _fail(text: str, code: int) -> int:
    try:
        click.echo(f"hhsim: {one_line(text)}", err=True)
    except OSError:
        pass
    return code


if __name__ == "__main__":  # pragma: no cover
    main()
