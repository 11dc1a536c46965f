"""Class 5 (the issue's section 5): one line means one line.

No NumPy RuntimeWarning lines before the error, numbers with at most 4
significant digits, user text cut to a readable length, ``v_init = nan``
named as such, a channel too large for the compiler said to be too large.
"""

from __future__ import annotations

import re

from hhsim.cli.messages import one_line

from ._harness import assert_one_line_refusal, run_batch
from ._inputs import write_all

LONG = "x" * 100_000
CASES = {
    ("run", "--v-init", "inf"): "v_init must be finite",
    ("run", "--v-init", "-inf", "--method", "rk4"): "v_init must be finite",
    ("run", "--v-init", "nan"): "v_init must be finite",
    ("run", "--v-init", "nan", "--method", "rk4"): "v_init must be finite",
    ("run", "--v-init", "nan", "--method", "expeuler"): "v_init must be finite",
    ("run", "--v-init", "nan", "--method", "lsoda"): "v_init must be finite",
    ("run", "--stim", "noise(std=1e308)", "--t-stop", "5"): "",
    ("run", "--stim", "noise(std=1e308)", "--t-stop", "5", "--method", "rk4"): "",
    ("run", "--set", "Ca_out=1e308", "--model", "destexhe_tc", "--t-stop", "5"): "",
    ("run", "--set", "Ca_in=1e-308", "--model", "destexhe_tc", "--t-stop", "5"): "",
    ("run", "--channel", "divzero.toml", "--t-stop", "5"): "not finite",
    ("run", "--channel", "gates300.toml", "--t-stop", "5"): "too large",
    ("run", "--model", LONG): "100000 characters",
    ("models", LONG): "100000 characters",
    ("run", "--set", LONG + "=1"): "100000 characters",
    ("run", "--stim", LONG): "100000 characters",
    ("run", "--stim", f"step(amp={'9' * 5000})"): "",
    ("run", "--t-stop", LONG): "100000 characters",
    ("run", "--dt", "0.1234567", "--t-stop", "0.1"): "0.1235",
    ("run", "--t-stop", "0.30000000000000004", "--dt", "0.6"): "0.3",
}

# a decimal number written with more than 4 significant digits
_LONG_NUMBER = re.compile(r"(?<![\w.'])[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?(?![\w.'])")


def _digits(number: str) -> int:
    return len(re.sub(r"\D", "", re.split(r"[eE]", number)[0]).lstrip("0"))


def test_messages_are_one_readable_line(tmp_path):
    write_all(tmp_path)
    for o in run_batch([list(c) for c in CASES], tmp_path, timeout=300):
        want = CASES[tuple(o.argv)]
        line = assert_one_line_refusal(o, contains=(want,) if want else ())
        assert "Warning" not in o.err, o.explain()
        unquoted = re.sub(r"'[^']*'", "''", line)
        for m in _LONG_NUMBER.finditer(unquoted):
            assert _digits(m.group(0)) <= 4, (m.group(0), line)


def test_one_line_formatting():
    assert one_line("a\n  b\tc") == "a b c"
    assert one_line("dt 0.30000000000000004 ms") == "dt 0.3 ms"
    assert one_line("t = 1234567.891 ms") == "t = 1.235e+06 ms"
    assert one_line("1920000004 steps, version 0.1.0, 12.5 mV") == "1920000004 steps, version 0.1.0, 12.5 mV"
    cut = one_line(f"unknown model {'y' * 500!r}")
    assert "(500 characters)" in cut and len(cut) < 120
    assert len(one_line("z " * 5000)) <= 480
