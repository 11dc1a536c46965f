"""The first dopri5 run compiles its loop in a worker process beside the model's own
functions (issue 19: the first run within seconds), with the same result.

Both runs start from an empty kernel cache in a fresh interpreter: one with two
threads allowed (the worker compiles the loop into the cache and the run loads
it), one with ``HHSIM_THREADS=1`` (no worker, the loop compiled in-process).
The traces must be the same bits, and a bad worker request is refused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = """
import json
import numpy as np
import hhsim
from hhsim.engine.solvers import dopri5_driver as d
started = []
original = d.start_loop_compile
def start():
    original()
    started.append(d._WORKER["process"] is not None)
d.start_loop_compile = start
r = hhsim.simulate("hh", hhsim.stim.step(10, start=5, dur=40), t_stop=50)
print(json.dumps({"worker": any(started), "v": r.v.tobytes().hex(), "spikes": list(r.spike_times)}))
"""


def _run(tmp_path, name: str, threads: str) -> dict:
    # HHSIM_PREBUILT=0: nothing compiled anywhere, the prebuilt fixed kernels included
    env = dict(os.environ, HHSIM_CACHE_DIR=str(tmp_path / name), HHSIM_THREADS=threads, HHSIM_PREBUILT="0")
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True,
                         timeout=600).stdout.strip().splitlines()[-1]
    return json.loads(out)


def test_the_worker_compiled_loop_gives_the_same_bits(tmp_path):
    with_worker = _run(tmp_path, "a", "2")
    alone = _run(tmp_path, "b", "1")
    assert with_worker["worker"] and not alone["worker"]
    assert with_worker["v"] == alone["v"]
    assert with_worker["spikes"] == alone["spikes"] and len(alone["spikes"]) >= 2


def test_the_worker_accepts_only_its_kernel_names():
    done = subprocess.run([sys.executable, "-m", "hhsim.engine.compile_worker", "import os"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.strip().startswith("usage:")
