"""Writing a fit's outputs: the fitted cell file (through :mod:`hhsim.cells`) and the JSON report."""

from __future__ import annotations

import json
from pathlib import Path

from ..io import atomic_write
from ..model import Model


def write_cell_file(model: Model, path) -> Path:
    """The fitted model as a TOML cell file that ``hhsim run --model PATH`` reads."""
    from ..cells import write_cell

    return write_cell(model, path)


def write_json(data: dict, path) -> Path:
    """A JSON report written atomically."""
    text = json.dumps(data, indent=2, allow_nan=False)
    atomic_write(path, lambda tmp: Path(tmp).write_text(text + "\n"))
    return Path(path)
