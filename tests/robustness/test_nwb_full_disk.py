"""NWB output on a full disk (a file-size limit, SIGXFSZ ignored, as the NetCDF
case in test_output_failures.py): one line naming the file, exit 2, an existing
file kept as it was, no temporary left.  HDF5 writing to the disk printed
hundreds of lines of h5py errors and could end in a segmentation fault."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("pynwb")

from ._harness import child_env  # noqa: E402
from .test_output_failures import LIMITED  # noqa: E402


@pytest.mark.parametrize("argv", [["run", "--t-stop", "50"], ["fi", "--n", "3", "--dur", "20"]],
                         ids=["run", "fi"])
def test_nwb_on_a_full_disk_is_one_line_and_keeps_the_file(tmp_path, argv):
    (tmp_path / "keep.nwb").write_text("an earlier file")
    proc = subprocess.run([sys.executable, "-c", LIMITED, *argv, "--out", "keep.nwb"], capture_output=True,
                          text=True, timeout=300, cwd=tmp_path, env=child_env())
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "keep.nwb" in lines[0] and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert os.listdir(tmp_path) == ["keep.nwb"]
    assert (tmp_path / "keep.nwb").read_text() == "an earlier file"
