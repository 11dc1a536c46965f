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


#: A parent that starts a child as it would start a compile worker, then waits to be
#: killed; the child asks to die with its parent as the worker does, then sleeps.
PARENT = """
import subprocess, sys, time
from hhsim import prebuilt_place
child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], env=prebuilt_place.worker_environment())
print(child.pid, flush=True)
time.sleep(120)
"""
CHILD = """
import sys, time
from hhsim.engine.compile_worker import _die_with_parent
if not _die_with_parent():
    sys.exit(3)
print("following", flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"  # a zombie has ended
    except OSError:
        return False


def test_a_worker_ends_with_its_parent_even_when_the_parent_is_killed():
    """A parent ended by SIGKILL runs none of its clean-up (it cannot stop the worker it
    started): the worker, having asked Linux for its parent's death, ends with it."""
    import pytest
    import signal
    import time

    if not sys.platform.startswith("linux"):
        pytest.skip("the parent's death signal is Linux's")
    parent = subprocess.Popen([sys.executable, "-c", PARENT, CHILD], stdout=subprocess.PIPE, text=True)
    try:
        child = int(parent.stdout.readline())
        assert parent.stdout.readline().strip() == "following"  # the child writes to the same pipe
        assert _alive(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child), "the worker outlived its killed parent"
    finally:
        if parent.poll() is None:
            parent.kill()


def test_a_worker_whose_parent_has_ended_does_not_start():
    env = dict(os.environ, HHSIM_WORKER_PARENT="1")  # not this child's parent
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 3 and "following" not in done.stdout
