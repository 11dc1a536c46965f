"""The command table that lets `hhsim --help` answer without the numerical stack:
it names every command the modules define, with their own one-line help, and the
group's help, --version and an unknown command load neither NumPy nor numba."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import click

import hhsim.cli
from hhsim.cli.commands import COMMANDS


def defined_commands() -> dict[str, click.Command]:
    found = click.Group()
    for info in pkgutil.iter_modules(hhsim.cli.__path__):
        module = importlib.import_module(f"hhsim.cli.{info.name}")
        if info.name != "main" and hasattr(module, "register"):
            module.register(found)
    return dict(found.commands)


def test_the_table_names_every_command_with_its_module_and_help():
    commands = defined_commands()
    assert set(COMMANDS) == set(commands)
    for name, cmd in commands.items():
        module, short = COMMANDS[name]
        assert cmd.callback.__module__ == f"hhsim.cli.{module}", name
        assert short == cmd.get_short_help_str(limit=90), name


PROBE = """
import sys
from hhsim.cli.main import main
try:
    main({argv!r})
except SystemExit:
    pass
print("HEAVY", sorted(m for m in ("numpy", "scipy", "numba") if m in sys.modules))
"""


def heavy_modules(argv: list[str]) -> tuple[str, str]:
    p = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True, text=True, timeout=120)
    line = [ln for ln in p.stdout.splitlines() if ln.startswith("HEAVY")][-1]
    return line, p.stdout + p.stderr


def test_group_help_version_and_unknown_command_load_no_numerics():
    for argv in (["--help"], ["--version"], ["no-such-command"]):
        line, out = heavy_modules(argv)
        assert line == "HEAVY []", (argv, line)
    _, out = heavy_modules(["--help"])
    assert "network" in out and "Simulate a network of neurons" in out
    _, out = heavy_modules(["no-such-command"])
    assert "No such command" in out


def test_a_command_still_runs_and_its_help_still_shows():
    line, out = heavy_modules(["run", "--help"])
    assert "--t-stop" in out
