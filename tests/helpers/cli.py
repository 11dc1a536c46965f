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


def cli_error(capsys, *args) -> tuple[str, str]:
    """Run ``hhsim args...`` on bad input: asserts exit status 2 and a single line on
    stderr without a traceback; returns (stdout, that line)."""
    code, out, err = run_cli(capsys, *args)
    assert code == 2, out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return out, lines[0]
