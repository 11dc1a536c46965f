"""Class 7 (the issue's section 7): nothing silently ignored.

``rtol = 0`` / ``atol = 0`` are refused (they were replaced by the
defaults), the same ``--set`` name twice is refused (the last one won), and
a bare ``hhsim`` prints its normal help (it was squashed into an error line).
"""

from __future__ import annotations

import pytest
from helpers.cli import run_cli

import hhsim

from ._harness import assert_one_line_refusal, run_batch


@pytest.mark.parametrize("method", ["dopri5", "lsoda"])
@pytest.mark.parametrize("tol", [{"rtol": 0}, {"atol": 0}, {"rtol": 0.0, "atol": 0.0}, {"rtol": 1.0},
                                 {"atol": -1e-9}, {"rtol": float("nan")}])
def test_zero_and_out_of_range_tolerances_are_refused(method, tol):
    with pytest.raises(hhsim.SolverError, match="rtol|atol"):
        hhsim.simulate("hh", None, t_stop=1, method=method, **tol)


def test_cli_refusals(tmp_path):
    cases = [["run", "--set", "gNa=60", "--set", "gNa=70", "--t-stop", "5"],
             ["run", "--set", "gNa=60", "--set", " gNa =60", "--t-stop", "5"],
             ["fi", "--set", "gK=30", "--set", "gK=30"],
             ["cable", "--set", "gNa=100", "--set", "gNa=110", "--quiet"]]
    for o in run_batch(cases, tmp_path, timeout=120):
        assert_one_line_refusal(o, contains=("given twice",))


def test_bare_hhsim_prints_the_normal_help(capsys):
    code, out, err = run_cli(capsys)
    _, help_out, _ = run_cli(capsys, "--help")
    assert code == 0 and err == ""
    assert out == help_out
    assert out.startswith("Usage: hhsim") and "Commands:" in out and len(out.splitlines()) > 10
