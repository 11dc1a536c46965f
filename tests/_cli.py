"""Run the ``hhsim`` command line in-process, for the CLI tests of every area."""

from __future__ import annotations

from hhsim.cli.main import main


def run_cli(capsys, *args):
    """Run ``hhsim args...``; returns (exit status, stdout, stderr)."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return code, out.out, out.err
