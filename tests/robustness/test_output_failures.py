"""Class 3 (issue 24): a full disk on NetCDF output is one line; a closed stdout is no traceback.

A file-size limit (``RLIMIT_FSIZE``, SIGXFSZ ignored) makes writes fail as on
a full disk; the NetCDF library then reports only "HDF error", which must
reach the user as one line naming the file, with nothing left behind.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ._harness import child_env

LIMITED = ("import resource, signal, sys\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
           "resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))\n"
           "from hhsim.cli.main import main\nmain(sys.argv[1:])\n")


@pytest.mark.parametrize("argv, name", [
    (["run", "--t-stop", "50", "--out", "full.nc"], "full.nc"),
    (["network", "--preset", "chain", "--t-stop", "20", "--out", "net.nc"], "net.nc"),
])
def test_netcdf_on_a_full_disk_is_one_line(tmp_path, argv, name):
    proc = subprocess.run([sys.executable, "-c", LIMITED, *argv], capture_output=True, text=True, timeout=180,
                          cwd=tmp_path, env=child_env())
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and "Traceback" not in proc.stderr, proc.stderr
    assert os.listdir(tmp_path) == []  # neither the file nor a temporary one


@pytest.mark.parametrize("argv", [["run", "--t-stop", "5"], ["run", "--t-stop", "5", "--json"], ["models"]])
def test_a_closed_stdout_is_no_traceback(tmp_path, argv):
    proc = subprocess.run([sys.executable, "-m", "hhsim.cli.main", *argv], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, timeout=120, cwd=tmp_path, env=child_env(),
                          preexec_fn=lambda: os.close(1))
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1, 2)
