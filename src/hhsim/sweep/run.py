"""Run a sweep: chunks of points as Dask tasks, results streamed into a store.

* One task is one chunk: every measure for ``chunk`` points in vectorised
  batches (:mod:`hhsim.sweep.measures`).  Tasks never write files; the client
  writes each finished chunk (one writer, no locking, remote workers need
  no shared disk).
* Kernels are compiled once before dispatch: the client computes one point
  first (numba compiles and caches every kernel the sweep uses); each worker
  process then runs its own first point under a file lock in the kernel
  cache directory, so processes sharing a cache load it one after another
  and never write it at the same time.
* Fault tolerance: each task has :data:`RETRIES` retries (a task that raises
  on a worker is run again); a local cluster's scheduler allows
  :data:`ALLOWED_FAILURES` worker deaths per task (``distributed.scheduler.
  allowed-failures``; a nanny restarts a killed worker); a chunk that still
  fails is submitted again by the client up to :data:`RESUBMITS` times.
* Ctrl-C (SIGINT) stops after the chunk being written: the store keeps every
  finished chunk and ``resume`` computes only the others.
* Numbers do not depend on workers or chunks: each point is its own neuron
  (or bracket) in every batch, and Latin-hypercube points are drawn once by
  the client from the seed.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import sys
import threading
import time
import uuid

import numpy as np

from .. import models as _models
from .. import validate as _validate
from ..checks import check_stimulus
from ..errors import HHSimError
from ..limits import FREE_SHARE, MEMORY_ENV, free_memory_bytes, memory_budget
from . import measures as _measures
from .spec import SweepError, SweepSpec, check_axes
from .store import SweepStore, build_dataset, layout_of

RETRIES = 3
ALLOWED_FAILURES = 10
RESUBMITS = 3
#: Seconds a sweep waits with no worker in its cluster before it gives up (resumable).
NO_WORKER_TIMEOUT_S = 120.0
#: How long to try reaching a --scheduler before giving up.
CONNECT_TIMEOUT = "5s"
#: Largest chunk chosen automatically (points per task).
MAX_AUTO_CHUNK = 1000
#: Share of free memory a sweep without a store may fill with results.
MEMORY_SHARE = FREE_SHARE


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep; the message says what is stored and how to resume."""


# ------------------------------------------------------------------ spec
def make_spec(model, params, measure, *, samples=None, seed=0, stimulus=None, t_stop=None, method=None, dt=None,
              feature_backend="auto") -> SweepSpec:
    """Validate the arguments of :func:`sweep` into a :class:`SweepSpec`."""
    base = _models.get(model)
    if params is not None and not isinstance(params, dict):
        raise SweepError(f"params must be a dict of name -> values such as {{'gNa': [100, 120]}} (got "
                         f"{type(params).__name__} {_validate.shown(params)})")
    axes = check_axes(base, dict(params or {}), samples)
    names, functions = [], {}
    if not (measure is None or isinstance(measure, (str, dict, list, tuple)) or callable(measure)):
        raise SweepError(f"measure must be a name, a function of a Result, a list of them or a dict of "
                         f"name -> function (got {type(measure).__name__} {_validate.shown(measure)})")
    items = measure.items() if isinstance(measure, dict) else (
        [measure] if isinstance(measure, str) or callable(measure) else list(measure or []))
    for item in items:
        if isinstance(item, tuple):  # from a dict: (name, function)
            name, fn = item
            if not callable(fn):
                raise SweepError(f"measure {name!r} must be a function of a Result")
            functions[str(name)] = fn
            names.append(str(name))
        elif callable(item):
            name = getattr(item, "__name__", "function")
            name = "function" if name == "<lambda>" else name
            while name in functions:
                name += "_"
            functions[name] = item
            names.append(name)
        else:
            names.append(_measures.canonical(item))
    if not names:
        raise SweepError("a sweep needs at least one measure (--measure NAME)")
    if len(set(names)) != len(names):
        raise SweepError(f"measures repeat: {names}")
    geometry = sorted(set(axes) & set(_measures.CABLE_PARAMS))
    if geometry and "velocity_m_s" not in names:
        raise SweepError(f"{', '.join(geometry)} only apply to the measure velocity_m_s")
    nets = [_measures._network_of(m)[0] for m in names if m.startswith("network_rate_hz_")]
    for name in (n for n in axes if n.startswith(_measures.NET_PREFIX)):
        if not nets:
            raise SweepError(f"{name} only applies to the measure network_rate_hz")
        for preset in nets:
            known = ["weight_scale", *_measures.network_keywords(preset)]
            if name[len(_measures.NET_PREFIX):] not in known:
                raise SweepError(f"unknown network parameter {name!r} for {preset}; accepted: "
                                 + ", ".join(_measures.NET_PREFIX + k for k in known))
    clash = set(names) & set(axes)
    if clash:
        raise SweepError(f"{sorted(clash)} cannot be both a parameter and a measure")
    if t_stop is not None:
        t_stop = _validate.number(t_stop, "t_stop", unit="ms", lo=0.0, lo_open=True, error=SweepError)
    stimulus = check_stimulus(stimulus)
    spec = SweepSpec(model=base, axes=axes, measures=names, samples=None if samples is None else int(samples),
                     seed=_validate.whole(seed, "seed", lo=0, hi=2**63 - 1, error=SweepError),
                     stimulus=stimulus, t_stop=t_stop, method=method, dt=dt, functions=functions,
                     options={"feature_backend": feature_backend})
    if functions:
        spec.options["functions"] = sorted(functions)  # by name: a changed body is the user's to track
    from ..batch_api import compiled_method

    compiled_method(method, dt)  # refuse lsoda and unknown methods before any work
    return spec


def _results_fit(spec: SweepSpec) -> tuple[bool, float, float]:
    """(fits, bytes needed, bytes allowed) for holding every result of ``spec`` in memory."""
    need = spec.n_points * (9 * len(spec.measures) + 8 * len(spec.names))
    budget = min(MEMORY_SHARE * free_memory_bytes(), memory_budget())  # the one budget ($HHSIM_MAX_MEMORY) too
    return need <= budget, need, budget


def check_memory_without_store(spec: SweepSpec) -> None:
    fits, need, budget = _results_fit(spec)
    if not fits:
        raise SweepError(
            f"{spec.n_points} points need {need / 2**30:.3g} GB for the results, more than the "
            f"{budget / 2**30:.3g} GB free; stream them to a store (--out DIR.zarr, store=...) or sweep fewer points "
            f"(free here: half the memory available, at most ${MEMORY_ENV})"
        )


# ------------------------------------------------------------------ worker side
_WARM: set = set()


def _compile_lock():
    """An exclusive lock in the private kernel cache (processes on one machine share that cache);
    a FIFO or a foreign file where the lock belongs is refused, never waited on."""
    from ..engine.cache import compile_lock

    return compile_lock("sweep-compile.lock")


def warm(spec: SweepSpec, first_point: np.ndarray) -> None:
    """Compile (or load from the cache) every kernel the sweep uses, once per process."""
    from ..physics.structure import structure_of

    key = (structure_of(spec.model), tuple(spec.measures), spec.method, spec.dt)  # what decides the kernels
    if key in _WARM:
        return
    with _compile_lock():
        _measures.compute(spec, first_point)
    _WARM.add(key)


def run_chunk(spec: SweepSpec, k: int, points: np.ndarray, first_point: np.ndarray):
    """One task: chunk ``k``; returns (k, values, status, pid)."""
    warm(spec, first_point)
    values, status = _measures.compute(spec, points)
    return k, values, status, os.getpid()


# ------------------------------------------------------------------ clusters
#: Most local worker processes per core (each is a Python process of ~100 MB; more only queue).
MAX_WORKERS_PER_CORE = 4


def _scheduler_address(scheduler) -> str:
    """``scheduler`` checked as ``[tcp://]host:port`` before any connection is tried."""
    from urllib.parse import urlsplit

    text = scheduler if isinstance(scheduler, str) else None
    if text is None or not text.strip():
        raise SweepError(f"--scheduler must be an address such as tcp://127.0.0.1:8786 (got {scheduler!r})")
    text = text.strip()
    url = text if "://" in text else f"tcp://{text}"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        port = None
        parts = None
    if parts is None or parts.scheme not in ("tcp", "tls", "ws", "wss") or not parts.hostname or port is None \
            or parts.path not in ("", "/"):
        raise SweepError(f"--scheduler {text!r} is not an address; accepted: tcp://HOST:PORT (or HOST:PORT), "
                         "e.g. tcp://127.0.0.1:8786")
    return url


def connect(client=None, scheduler: str | None = None, workers: int | None = None):
    """(client, owned): the given client, one connected to ``scheduler``, or a new local cluster."""
    if client is not None:
        return client, False
    import dask
    from distributed import Client

    if scheduler:
        address = _scheduler_address(scheduler)
        try:
            return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False), True
        except Exception as exc:  # noqa: BLE001 - distributed raises its own TimeoutError, OSError, ValueError
            raise SweepError(
                f"cannot reach the Dask scheduler at {address} ({type(exc).__name__}); start one with "
                f"`dask scheduler --host 127.0.0.1 --port PORT` and workers with `dask worker {address}`, "
                "or leave out --scheduler to use a local cluster"
            ) from None
    from distributed import LocalCluster

    cores = os.cpu_count() or 1
    top = MAX_WORKERS_PER_CORE * cores
    n = cores if workers is None else _validate.whole(workers, "workers", lo=1, hi=top, error=SweepError)
    if n < 1:
        raise SweepError(f"workers must be a whole number >= 1 (got {workers})")
    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
                          "distributed.worker.daemon": False}):
        # one thread per worker process, and one compute thread inside it: the processes use the cores
        # no dashboard; its bare HTTP server (health checks) on a free port of 127.0.0.1
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, silence_logs=50,
                               scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
                               env={"HHSIM_THREADS": "1", "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"})
    client = Client(cluster, set_as_default=False)
    client.register_plugin(_IgnoreSigint(), name="hhsim-ignore-sigint")
    return client, True


from distributed.diagnostics.plugin import WorkerPlugin  # noqa: E402  (Dask is this package's dependency)


class _IgnoreSigint(WorkerPlugin):
    """Worker plugin of our own local clusters: a Ctrl-C reaches the whole process group, but
    only the client decides what to do with it (stop and keep the store); workers carry on."""

    def setup(self, worker):
        with contextlib.suppress(ValueError):  # only possible in the worker's main thread
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            worker.hhsim_sigint_ignored = True


def _close(client) -> None:
    cluster = getattr(client, "cluster", None)
    with contextlib.suppress(Exception):
        client.close()
    if cluster is not None:
        with contextlib.suppress(Exception):
            cluster.close()


def auto_chunk(n_points: int, n_threads: int) -> int:
    """Points per task: about four tasks per worker thread, at most :data:`MAX_AUTO_CHUNK`."""
    return max(1, min(MAX_AUTO_CHUNK, math.ceil(n_points / (4 * max(1, n_threads)))))


# ------------------------------------------------------------------ progress
class Progress:
    """Points done, rate (points/s) and estimated time left, across all workers.

    ``report``: None (a bar on a terminal), False, True (a bar even when stderr is not
    a terminal) or a function ``f(done, total, rate, eta_s)``.
    """

    def __init__(self, total: int, done: int, report):
        self.total, self.done, self.start_done = total, done, done
        self.t0 = time.perf_counter()
        self.report = report if callable(report) else None
        self.bar = None
        if not callable(report) and report is not False and (report or sys.stderr.isatty()):
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, initial=done, desc="sweep", unit="pt", file=sys.stderr,
                            dynamic_ncols=True, leave=False)

    def rate(self) -> float:
        dt = time.perf_counter() - self.t0
        return (self.done - self.start_done) / dt if dt > 0 else 0.0

    def add(self, n: int) -> None:
        self.done += n
        rate = self.rate()
        eta = (self.total - self.done) / rate if rate > 0 else math.inf
        if self.bar is not None:
            self.bar.update(n)
        if self.report is not None:
            self.report(self.done, self.total, rate, eta)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@contextlib.contextmanager
def _stop_on_sigint():
    """Turn the first Ctrl-C into a request to stop after the current write (main thread only)."""
    flag = {"stop": False}
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def handler(signum, frame):
        if flag["stop"]:  # a second Ctrl-C: stop at once
            raise KeyboardInterrupt
        flag["stop"] = True

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


# ------------------------------------------------------------------ the sweep
def execute(spec: SweepSpec, *, client=None, scheduler=None, workers=None, chunk=None, store=None,
            resume=False, progress=None):
    """Compute ``spec``; returns the gridded ``xarray.Dataset`` (see :func:`hhsim.sweep.sweep`)."""
    from pathlib import Path

    n = spec.n_points
    if chunk is not None:
        chunk = _validate.whole(chunk, "chunk (points per task)", lo=1, error=SweepError)
    if store is not None:
        _validate.file_path(store, "the sweep store", error=SweepError)
    if store is None:
        if resume:
            raise SweepError("resume needs a store (--out DIR.zarr)")
        check_memory_without_store(spec)
    elif Path(store).suffix.lower() != ".zarr":
        raise SweepError(f"cannot use {str(store)!r} as a sweep store: the name must end in .zarr")
    existing = store is not None and resume and Path(store).exists()
    sweep_store = SweepStore.resume(store, spec) if existing else None
    if sweep_store is not None and chunk is not None and int(chunk) != sweep_store.chunk:
        raise SweepError(f"store {str(store)!r} was written in chunks of {sweep_store.chunk} points; "
                         f"resume it with that chunk (or leave chunk out)")
    samples = None if spec.grid else spec.sample_matrix()
    first = spec.points(0, 1, samples)
    in_process = workers == 0 and client is None and not scheduler
    t_start = time.perf_counter()
    warm(spec, first)  # compile in the client before any worker starts
    dask_client, owned = (None, False) if in_process else connect(client, scheduler, workers)
    try:
        n_threads = 1 if in_process else max(1, sum(dask_client.nthreads().values()))
        if sweep_store is not None:
            size = sweep_store.chunk
        else:
            size = int(chunk) if chunk is not None else auto_chunk(n, n_threads)
            if store is not None:
                sweep_store = SweepStore.create(store, spec, size, samples)
        n_chunks = -(-n // size)
        done = sweep_store.done() if sweep_store is not None else np.zeros(n_chunks, dtype=bool)
        todo = [k for k in range(n_chunks) if not done[k]]
        values = status = None
        if sweep_store is None:
            values = {m: np.full(n, np.nan) for m in spec.measures}
            status = {m: np.full(n, -1, dtype=np.int8) for m in spec.measures}
        progress_done = sum(min(size, n - k * size) for k in range(n_chunks) if done[k])
        bar = Progress(n, progress_done, progress)
        computed = []

        def keep(k, vals, stats):
            start = k * size
            pts = spec.points(start, min(n, start + size), samples)
            if sweep_store is not None:
                sweep_store.write(k, start, pts, spec.names, vals, stats)
            else:
                for m in spec.measures:
                    values[m][start:start + pts.shape[0]] = vals[m]
                    status[m][start:start + pts.shape[0]] = stats[m]
            computed.append(k)
            bar.add(pts.shape[0])

        try:
            with _stop_on_sigint() as flag:
                if in_process:
                    for k in todo:
                        if flag["stop"]:
                            break
                        _, vals, stats, _ = run_chunk(spec, k, spec.points(k * size, min(n, (k + 1) * size), samples),
                                                      first)
                        keep(k, vals, stats)
                else:
                    _dispatch(dask_client, spec, todo, size, samples, first, n_threads, keep, flag)
        finally:
            bar.close()
        elapsed = time.perf_counter() - t_start
        if len(computed) < len(todo):
            stored = int(done.sum()) + len(computed)
            where = (f"{stored} of {n_chunks} chunks are stored in {str(store)!r}; run the same sweep with "
                     "--resume (resume=True) to finish it") if sweep_store is not None else \
                "nothing was stored (no --out store)"
            raise SweepInterrupted(f"sweep interrupted: {where}")
    finally:
        if owned:
            _close(dask_client)
    if sweep_store is not None:
        from .store import open_sweep

        ds = open_sweep(sweep_store.path, load=_results_fit(spec)[0])  # lazy (Dask) when it would not fit
    else:
        ds = build_dataset(layout_of(spec), values, status, samples)
    ds.attrs.update({
        "points": n, "chunk": size, "chunks_total": n_chunks, "chunks_computed": len(computed),
        "chunks_resumed": int(done.sum()), "elapsed_s": round(elapsed, 3),
        "points_per_s": round(sum(min(size, n - k * size) for k in computed) / elapsed, 3) if elapsed > 0 else 0.0,
        "workers": 0 if in_process else n_threads,
    })
    return ds


def _dispatch(client, spec, todo, size, samples, first, n_threads, keep, flag) -> None:
    """Submit the chunks (a bounded window in flight) and hand each finished one to ``keep``.

    Waits in short slices so that a Ctrl-C is seen at once, not only when the
    next chunk finishes.
    """
    from distributed import as_completed

    n = spec.n_points
    run_id = uuid.uuid4().hex[:8]
    window = max(4, 2 * n_threads)
    attempts = {k: 0 for k in todo}
    pending = list(todo)[::-1]
    active = {}
    if not pending:
        return
    ready = as_completed([], loop=client.loop)

    def submit(k):
        pts = spec.points(k * size, min(n, (k + 1) * size), samples)
        attempts[k] += 1
        fut = client.submit(run_chunk, spec, k, pts, first, retries=RETRIES, pure=False,
                            key=f"hhsim-sweep-{run_id}-{k}-{attempts[k]}")
        active[fut] = k
        ready.add(fut)

    for _ in range(min(window, len(pending))):
        submit(pending.pop())
    seen = time.monotonic()  # when the cluster last had a worker
    checked = seen
    try:
        while active and not flag["stop"]:
            finished = ready.next_batch(block=False)
            if not finished:
                time.sleep(0.02)
                now = time.monotonic()
                if now - checked > 1.0:  # a cluster whose workers all died would leave us waiting forever
                    checked = now
                    if client.nthreads():
                        seen = now
                    elif now - seen > NO_WORKER_TIMEOUT_S:
                        raise SweepError(
                            f"the Dask cluster has had no worker for {NO_WORKER_TIMEOUT_S:g} s (they died or never "
                            "started); the finished chunks are stored: start workers and resume with --resume")
                continue
            for fut in finished:
                k = active.pop(fut)
                try:
                    _, vals, stats, _ = fut.result()
                except HHSimError:
                    raise
                except Exception as exc:  # a worker lost too often, a broken connection: submit again
                    if attempts[k] > RESUBMITS:
                        raise SweepError(f"chunk {k} failed {attempts[k]} times ({type(exc).__name__}: {exc}); "
                                         "the finished chunks are stored: fix the cluster and resume") from None
                    submit(k)
                    continue
                keep(k, vals, stats)
                if flag["stop"]:
                    break
                if pending:
                    submit(pending.pop())
    finally:
        for fut in active:
            fut.cancel()
