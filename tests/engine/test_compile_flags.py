"""A fixed compiled function gets the same code whoever compiles it first.

numba compiles a function whose ``fastmath`` flags are not set with the flags of the
compiled function that first calls it in the process, and caches it so.  The spike-time
root finder (``hermite_crossing``) took ``contract`` from an exponential-Euler loop and
none from the dopri5 loop's part, so two pytest processes sharing one kernel cache left
the shared-parameter and the general batch loops 1 ulp apart in a neuron's spike times
(``tests/engine/test_threads.py::test_a_neuron_does_not_depend_on_its_neighbours_rate_parameters``).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys

import pytest
from numba.core.dispatcher import Dispatcher

#: In a fresh process and an empty kernel cache: the root finders first compiled from a
#: caller that allows contraction, then evaluated on random cubics; prints their results'
#: bits and those of their Python source (every operation rounded).
PROBE = """
import json
import numpy as np
from numba import njit
from hhsim.engine.kernel_series import _hermite_crossing_py, hermite_crossing
from hhsim.engine.cable_helpers import crossing_cubic

@njit(fastmath={"contract"})
def contracting_caller(v0, v1, m0, m1, thr):
    return hermite_crossing(v0, v1, m0, m1, thr) + crossing_cubic(v0, v0, v1, v1, thr)

contracting_caller(-1.0, 1.0, 0.5, 0.5, 0.0)
rng = np.random.default_rng(3)
compiled, python = [], []
for _ in range(2000):
    v0, m0, m1 = -rng.uniform(0.1, 30.0), rng.uniform(0.0, 40.0), rng.uniform(0.0, 40.0)
    v1 = rng.uniform(0.1, 30.0)
    thr = rng.uniform(v0 + 1e-3, v1)
    compiled.append(float(hermite_crossing(v0, v1, m0, m1, thr)).hex())
    python.append(float(_hermite_crossing_py(v0, v1, m0, m1, thr)).hex())
print(json.dumps({"compiled": compiled, "python": python}))
"""


@pytest.mark.parametrize("module", ["hhsim.engine.kernel_series", "hhsim.engine.cable_helpers",
                                    "hhsim.engine.tree_solve", "hhsim.engine.network_adaptive",
                                    "hhsim.engine.network_adaptive_lanes", "hhsim.engine.network_adaptive_control",
                                    "hhsim.engine.network_loop", "hhsim.engine.network_driver",
                                    "hhsim.engine.network_kernels", "hhsim.engine.network_cables"])
def test_every_function_numba_does_not_inline_states_its_fastmath_flags(module):
    mod = importlib.import_module(module)
    unstated = [name for name, f in vars(mod).items()
                if isinstance(f, Dispatcher) and f.py_func.__module__ == module
                and f.targetoptions.get("inline", "never") != "always" and "fastmath" not in f.targetoptions]
    assert not unstated, f"{module}: {unstated} take the fastmath flags of whichever caller compiles them first"


def test_no_engine_module_leaves_a_functions_flags_to_its_callers():
    """Every module of the engine, found by walking the package (a new module is covered
    without being listed): no compiled function that numba does not inline leaves its
    fastmath flags unset."""
    import pkgutil

    import hhsim.engine

    unstated = []
    for info in pkgutil.walk_packages(hhsim.engine.__path__, "hhsim.engine."):
        mod = importlib.import_module(info.name)
        unstated += [f"{info.name}.{name}" for name, f in vars(mod).items()
                     if isinstance(f, Dispatcher) and f.py_func.__module__ == info.name
                     and f.targetoptions.get("inline", "never") != "always" and "fastmath" not in f.targetoptions]
    assert not unstated, f"{unstated} take the fastmath flags of whichever caller compiles them first"


def test_the_spike_time_root_finder_rounds_as_its_source_after_a_contracting_caller(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    env = dict(os.environ, HHSIM_CACHE_DIR=str(cache), HHSIM_PREBUILT="0", HHSIM_QUIET="1")
    env.pop("NUMBA_CACHE_DIR", None)
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=600,
                          check=True)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    differ = sum(a != b for a, b in zip(out["compiled"], out["python"]))
    assert len(out["compiled"]) == 2000 and differ == 0, f"{differ} of 2000 crossing times differ from the source's"
