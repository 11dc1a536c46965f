"""Hostile input files, written into a test's directory."""

from __future__ import annotations

from pathlib import Path

GOOD_ALPHA = "0.1*vtrap(-(V+55), 10)"


def channel(name: str = "K2", top: str = "", power: str = "3", alpha: str = GOOD_ALPHA, n_gates: int = 1) -> str:
    """A channel TOML: ``n_gates`` delayed-rectifier-like gates with the given power and alpha."""
    text = f'name = "{name}"\ngbar = 1.0\nE = -80.0\n{top}\n'
    for g in range(n_gates):
        text += (f'[[gates]]\nname = "n{g}"\npower = {power}\nalpha = "{alpha}"\n'
                 'beta = "0.125*exp(-(V+65)/80)"\n')
    return text


def write_all(d: Path) -> Path:
    """Every hostile file of the issue, in ``d``."""
    files = {
        "bigfield.csv": "t_ms,i\n0," + "7" * 200_000 + "\n",
        "power_str.toml": channel(power='"3"'),
        "q10.toml": channel(top="q10 = 1e308\nq10_reference_c = -1e308"),
        "bigint.toml": channel(alpha="9" * 400 + "*(V+55)"),
        "deep.toml": "a = " + "[" * 100_000 + "]" * 100_000 + "\n",
        "divzero.toml": channel(alpha="1/(V+65)"),
        "gates300.toml": channel(n_gates=300, power="1"),
        "radius.swc": "1 1 0 0 0 1e300 -1\n2 3 10 0 0 1 1\n",
    }
    for name, text in files.items():
        (d / name).write_text(text)
    return d
