"""Run a compiled kernel over chunks of neurons on several threads.

The batch kernels are compiled with ``nogil=True`` and take the range of
neurons ``lo .. hi-1`` they advance as their last two arguments.  Neurons
never interact in a batch, so chunks run concurrently on a pool of threads
and every neuron's result is the same bits whatever the number of threads:
chunks are whole multiples of the kernel's block (so a neuron always sits at
the same place in the same vectorised block), and the kernels' failure
statuses are combined in a fixed order.

``HHSIM_THREADS`` sets the number of threads (default: every core this
process may run on).  One thread, or a problem of one block, calls the
kernel directly: no pool, no overhead.

Runs whose threads meet at a barrier every step (a long cable, a large
network: :mod:`hhsim.engine.spin`) take the default only when the cores are
free: with another process runnable on a core, a thread that is switched
out holds its partner at every meeting, and two threads then run slower
than one.  :func:`coupled_thread_count` counts the cores that other work
leaves free, from the number of runnable tasks the kernel reports right now
(``/proc/loadavg``; elsewhere the default stands).  Chunks of a batch never
wait for each other, so the batch keeps every core: a busy core still gives
it a share.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from .. import cpu_load
from ..errors import SolverError

#: Chunks per thread: with neurons of uneven cost (adaptive steps: a silent
#: neuron takes few, a fast-spiking one many) small chunks taken from a
#: queue keep both cores busy to the end.
CHUNKS_PER_THREAD = 8

_POOLS: dict[str, object] = {"pid": None, "by_size": {}}
_POOLS_LOCK = threading.Lock()


def cores() -> int:
    """Cores this process may run on (:func:`hhsim.cpu_load.cores`)."""
    return cpu_load.cores()


def thread_count() -> int:
    """Threads the kernels may use: ``HHSIM_THREADS`` if set, else :func:`cores`."""
    text = os.environ.get("HHSIM_THREADS", "").strip()
    if not text:
        return cores()
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise SolverError(f"HHSIM_THREADS must be a whole number of threads >= 1 (got {text!r})")
    return n


#: Readings of the runnable count taken by :func:`busy_cores` (see :mod:`hhsim.cpu_load`).
LOAD_SAMPLES = cpu_load.LOAD_SAMPLES


def busy_cores(read=None) -> int:
    """Cores that other work keeps busy right now: runnable tasks other than the
    caller (:func:`hhsim.cpu_load.other_runnable_tasks`), at most :func:`cores`; 0
    where the kernel does not say (not Linux).

    ``read`` returns the text of ``/proc/loadavg`` (tests pass their own).
    """
    others = cpu_load.other_runnable_tasks(read, LOAD_SAMPLES)
    return 0 if others is None else min(cores(), others)


def coupled_thread_count(read=None) -> int:
    """Threads for a run whose threads meet every step: ``HHSIM_THREADS`` if set,
    else the cores other work leaves free (at least 1)."""
    if os.environ.get("HHSIM_THREADS", "").strip():
        return thread_count()
    return max(1, cores() - busy_cores(read))


def chunks(n: int, block: int, n_threads: int) -> list[tuple[int, int]]:
    """Split neurons 0..n-1 into ranges of whole blocks (the last may be short)."""
    n_blocks = -(-n // block)
    pieces = max(1, min(n_blocks, n_threads * CHUNKS_PER_THREAD if n_threads > 1 else 1))
    bounds = [min(n, (k * n_blocks // pieces) * block) for k in range(pieces + 1)]
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def _executor(size: int) -> ThreadPoolExecutor:
    """The shared pool of ``size`` threads: one per size asked for, kept (idle threads
    cost nothing; a pool replaced while another thread still submits to it would refuse
    that thread's work), and made again after a fork (the parent's threads do not
    exist in the child)."""
    with _POOLS_LOCK:
        if _POOLS["pid"] != os.getpid():
            _POOLS.update(pid=os.getpid(), by_size={})
        pools = _POOLS["by_size"]
        if size not in pools:
            pools[size] = ThreadPoolExecutor(max_workers=size, thread_name_prefix="hhsim-kernel")
        return pools[size]


def run_chunks(kernel: Callable, args: tuple, n: int, block: int,
               combine: Callable[[list[int]], int]) -> int:
    """Call ``kernel(*args, lo, hi)`` over chunks of neurons; ``combine`` the statuses (in chunk order)."""
    n_threads = thread_count()
    parts = chunks(n, block, n_threads)
    if len(parts) == 1:
        return int(kernel(*args, 0, n))
    # numba compiles a kernel once under its global lock, whichever thread asks first;
    # an error (e.g. a compile failure) is raised here by ``result()``
    pool = _executor(n_threads)
    futures = [pool.submit(kernel, *args, lo, hi) for lo, hi in parts]
    return combine([int(f.result()) for f in futures])


def earliest_step(statuses: list[int]) -> int:
    """Combine kernel statuses (-1, or the failing step): the earliest failing step."""
    failed = [s for s in statuses if s >= 0]
    return min(failed) if failed else -1


def first_failing_chunk(statuses: list[int]) -> int:
    """Combine kernel statuses: that of the first chunk (lowest neurons) that failed."""
    return next((s for s in statuses if s >= 0), -1)
