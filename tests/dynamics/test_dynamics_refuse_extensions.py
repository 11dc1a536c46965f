"""The dynamics tools write the classic equations out themselves: a model with a
multi-state kinetic scheme (kv_scheme.mod) is refused in one line, exit 2, where they
crashed with a traceback, rather than misread."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.cli import cli_error

SCHEME = Path(__file__).resolve().parents[1] / "interop" / "mod" / "kv_scheme.mod"


@pytest.mark.parametrize("command", [["equilibria"], ["bifurcation", "--to", "20"], ["phase-plane"]])
def test_a_kinetic_scheme_is_refused_in_one_line(capsys, command):
    _, line = cli_error(capsys, *command, "--channel", str(SCHEME))  # exit 2, one line, no traceback
    assert "kinetic scheme" in line and "dynamics tools" in line
