"""Class 8 (issue 24): a command whose optional packages are missing says which extra to install.

The packages are hidden from a child process (``sys.modules[name] = None``
makes their import fail as on a machine without them); the command must
answer with one line naming ``pip install 'hhsim[EXTRA]'`` and exit 2.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from ._harness import child_env

HIDE = ("import sys\nfor m in sys.argv[1].split(','):\n    sys.modules[m] = None\n"
        "from hhsim.cli.main import main\nmain(sys.argv[2:])\n")


@pytest.mark.parametrize("hidden, argv, extra", [
    ("distributed,dask", ["sweep", "--param", "gNa=80:160:3", "--measure", "n_spikes"], "sweep"),
    ("panel,bokeh", ["explore", "--no-browser", "--port", "0"], "explore"),
    ("xarray", ["run", "--t-stop", "1", "--out", "x.nc"], "netcdf"),
])
def test_one_line_names_the_extra(tmp_path, hidden, argv, extra):
    proc = subprocess.run([sys.executable, "-c", HIDE, hidden, *argv], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, env=child_env())
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and f"pip install 'hhsim[{extra}]'" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
