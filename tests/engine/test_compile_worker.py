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
from numba.core import event
import hhsim
from hhsim.engine.solvers import dopri5_driver as d
compiled = []
class Listener(event.Listener):
    def on_start(self, ev):
        f = ev.data["dispatcher"].py_func
        compiled.append(f.__module__ + "." + f.__qualname__)
    def on_end(self, ev):
        pass
event.register("numba:compile", Listener())
started = []
original = d.start_loop_compile
def start():
    original()
    started.append(d._WORKER["process"] is not None)
d.start_loop_compile = start
r = hhsim.simulate("hh", hhsim.stim.step(10, start=5, dur=40), t_stop=50)
ir = d.run_dopri5.inspect_llvm(d.SIGNATURE.args) if "hhsim.engine.solvers.dopri5_driver.run_dopri5" in compiled else ""
print(json.dumps({"worker": any(started), "v": r.v.tobytes().hex(), "spikes": list(r.spike_times),
                  "compiled": compiled, "parts_in_loop": [p for p in ("hermite_crossing", "next_stop") if p in ir]}))
"""
#: The loop and its parts (the functions numba compiles for them, by module and name).
LOOP = "hhsim.engine.solvers.dopri5_driver.run_dopri5"
PARTS = ("hhsim.engine.kernel_series._hermite_crossing_py", "hhsim.engine.solvers.dopri5_driver.next_stop")


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
    # the loop's parts compile apart from the loop: here (or in the worker once done with the
    # loop, whichever process reaches a part first), while the worker compiles the loop
    assert LOOP not in with_worker["compiled"]
    assert LOOP in alone["compiled"] and all(p in alone["compiled"] for p in PARTS)
    assert alone["parts_in_loop"] == []  # called through their addresses, not linked into the loop's code


def test_the_worker_accepts_only_its_kernel_names():
    done = subprocess.run([sys.executable, "-m", "hhsim.engine.compile_worker", "import os"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.strip().startswith("usage:")
