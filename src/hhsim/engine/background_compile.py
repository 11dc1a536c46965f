"""Compiling fixed kernels in a second process while this one compiles a model's own.

On a first run (an empty kernel cache) most of the wait is numba compiling.
The fixed kernels (the dopri5 loop, the network loop's parts) do not depend
on the model, so a worker process (:mod:`hhsim.engine.compile_worker`) can
compile them into the kernel cache on the second core while this process
compiles the model's functions; this process then waits for the worker and
loads them from the cache.  Only with an on-disk cache and two cores free;
otherwise nothing starts and everything compiles here, with the same result.
"""

from __future__ import annotations

import subprocess
import sys

from .. import prebuilt_place

#: Longest wait for a worker (s); after it this process compiles the kernels itself.
WORKER_WAIT_S = 300.0


def in_cache(dispatcher, signature) -> bool:
    """``dispatcher`` compiled for ``signature`` is in the kernel cache (numba's index only is read)."""
    try:
        cache = dispatcher._cache
        key = cache._index_key(signature, dispatcher.targetctx.codegen())
        return key in cache._cache_file._load_index()
    except Exception:  # no on-disk cache, or numba's layout changed: just compile here
        return False


def worth_starting(in_worker: bool = False) -> bool:
    """An on-disk cache to leave the kernels in, and a second core free for the worker.

    ``in_worker``: asked by a worker its parent started before looking (the command
    line's early start, :mod:`hhsim.first_run`): the parent, busy beside it, is the
    one other core's work it expects, so one free core is enough."""
    import os

    from .cache import state
    from .threads import busy_cores, cores, coupled_thread_count

    if state().root is None:
        return False
    if in_worker and not os.environ.get("HHSIM_THREADS", "").strip():
        return cores() - busy_cores() >= 1 and cores() >= 2
    return coupled_thread_count() >= 2


def start(kernel: str, payload: bytes = b"") -> subprocess.Popen | None:
    """Start ``python -m hhsim.engine.compile_worker KERNEL`` with ``payload`` on its stdin
    (None when it cannot start).  Its output is discarded: it only fills the cache."""
    try:
        process = subprocess.Popen([sys.executable, "-m", "hhsim.engine.compile_worker", kernel],
                                   stdin=subprocess.PIPE if payload else subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   env=prebuilt_place.worker_environment())
    except OSError:
        return None
    if payload:
        try:
            process.stdin.write(payload)
            process.stdin.close()
        except OSError:  # the worker died at once: this process compiles everything
            finish(process)
            return None
    return process


def finish(process: subprocess.Popen | None) -> None:
    """Wait for the worker; after :data:`WORKER_WAIT_S`, or on Ctrl-C, it is killed (it
    must not outlive this process) and this process compiles what is missing itself."""
    if process is None:
        return
    try:
        process.wait(timeout=WORKER_WAIT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    except BaseException:
        process.kill()
        process.wait()
        raise
