"""Run the Dask sweep tests (test_sweep_dask.py, assertions unchanged there) in a fresh
interpreter with the environment the session started with; see conftest.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ISOLATED

HERE = Path(__file__).resolve().parent


@pytest.mark.slow  # a whole pytest run of test_sweep_dask.py: 25-45 s
def test_dask_sweeps_in_a_fresh_interpreter():
    from helpers.start_env import START_ENV

    env = dict(START_ENV, **{ISOLATED: "1"})
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(HERE / "test_sweep_dask.py")],
                       cwd=HERE.parent.parent, env=env, capture_output=True, text=True, timeout=1500)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    assert " passed" in p.stdout and " failed" not in p.stdout
