"""A first ``hhsim run`` starts its loop's compile worker before importing numba.

On an empty kernel cache the dopri5 loop (the same for every model) compiles
in a worker process beside the model's own functions
(:func:`hhsim.engine.solvers.dopri5_driver.start_loop_compile`).  Started from
there, the worker begins only once this process has imported numba and the
engine (about half a second); started here, from the command line's entry
point, the two processes import at the same time.  This module imports
neither numba nor the engine: it finds the cache where
:mod:`hhsim.engine.cache` puts it (:func:`cache_candidates`) and looks for the
loop's index file by name; the worker itself checks that two cores are free
and that the loop is not in the cache before compiling anything.

The engine adopts the worker (:func:`adopt`) and waits for it; a worker
nobody adopted (the command failed, or ran no dopri5 loop) is stopped when
the command ends (:func:`stop_unadopted`), so it never outlives the process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from . import cpu_load, prebuilt_place

#: The environment variable naming the cache's root directory.
CACHE_ENV = "HHSIM_CACHE_DIR"

_WORKERS: dict[str, subprocess.Popen] = {}


def cache_candidates() -> list[Path]:
    """Cache roots in order of preference (only ``$HHSIM_CACHE_DIR`` when it is set)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return [Path(env)]
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return [Path(xdg) / "hhsim"]
    home = os.path.expanduser("~")
    return [Path(home) / ".cache" / "hhsim"] if os.path.isabs(home) else []


def _option(argv: list[str], name: str) -> str | None:
    """The value of ``--name VALUE`` or ``--name=VALUE`` in ``argv`` (the last one), else None."""
    value = None
    for k, word in enumerate(argv):
        if word == name and k + 1 < len(argv):
            value = argv[k + 1]
        elif word.startswith(name + "="):
            value = word.partition("=")[2]
    return value


def runs_the_dopri5_loop(argv: list[str]) -> bool:
    """Whether ``hhsim`` with ``argv`` is a ``run`` on the default solver (dopri5) without
    channel noise (which has loops of its own)."""
    if not argv or argv[0] != "run" or "--help" in argv or "-h" in argv:
        return False
    method = _option(argv, "--method")
    noise = _option(argv, "--noise")
    return (method is None or method == "dopri5") and (noise is None or noise == "none")


def loop_in_cache() -> bool:
    """The dopri5 loop's index file is in the numba cache or among the prebuilt kernels
    (:mod:`hhsim.prebuilt_place`), by name; numba checks it on load."""
    user = os.environ.get("NUMBA_CACHE_DIR")
    roots = [Path(user)] if user else [root / "numba" for root in cache_candidates()]
    prebuilt = prebuilt_place.numba_dir()
    if prebuilt is not None:
        roots.append(prebuilt)
    return any(any(root.glob("*/dopri5_driver.run_dopri5-*.nbi")) for root in roots if root.is_dir())


def a_core_is_free(read=None) -> bool:
    """Whether a worker would have a core of its own beside this process: no other task
    runnable (:func:`hhsim.cpu_load.other_runnable_tasks`) on a machine of two cores, at
    most cores - 2 on a larger one.  With ``HHSIM_THREADS`` set (not 1) the user has chosen:
    always.  The worker's own rule, asked once it has imported numba
    (:func:`hhsim.engine.background_compile.worth_starting`), is the same; asked here
    first, a worker that would stop at once is not started (on a busy machine it spent
    0.3 s of CPU importing numba beside this process, 0.27 s of a first run's wall time).
    ``read`` returns the text of ``/proc/loadavg`` (tests pass their own)."""
    if os.environ.get("HHSIM_THREADS", "").strip():
        return True
    cores = cpu_load.cores()
    others = cpu_load.other_runnable_tasks(read)
    return cores >= 2 and (others is None or others <= cores - 2)


def start_for(argv: list[str]) -> None:
    """Start the dopri5 loop's worker now if ``argv`` is a first ``hhsim run`` with it
    and a core is free for it (:func:`a_core_is_free`)."""
    if os.environ.get("HHSIM_THREADS", "").strip() == "1" or not runs_the_dopri5_loop(argv) or loop_in_cache():
        return
    if not a_core_is_free():
        return
    try:
        _WORKERS["dopri5"] = subprocess.Popen(
            [sys.executable, "-m", "hhsim.engine.compile_worker", "dopri5"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=prebuilt_place.worker_environment())
    except OSError:
        pass


def adopt(kernel: str) -> subprocess.Popen | None:
    """The worker started here for ``kernel``, now the caller's to wait for (or None)."""
    return _WORKERS.pop(kernel, None)


def stop_unadopted() -> None:
    """Stop any worker nobody adopted (it must not outlive this process)."""
    while _WORKERS:
        _, process = _WORKERS.popitem()
        process.kill()
        process.wait()
