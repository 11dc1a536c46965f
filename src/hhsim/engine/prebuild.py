"""Compile the engine's fixed kernels once per installation (``hhsim prebuild``).

The fixed kernels (every compiled function defined in :mod:`hhsim.engine`:
the dopri5 loop, the network loop and its parts, the cable's tree solver and
steppers, event queues, spike location) are the same for every model.  On a
first run most of the wait is numba compiling them.  Compiled here once, into
the prebuilt set of :mod:`hhsim.prebuilt_place`, a first run from an empty
kernel cache compiles only its model's own functions.

How: the :data:`WORKLOADS` (short ``hhsim`` commands that reach the fixed
kernels a first run needs) run in child processes, two at a time, with a
fresh private kernel cache; then numba's entries for the engine's own modules
(never the generated, model-specific kernels) are copied into a new directory
that replaces the prebuilt set in one rename; the sets of other sources in
the same place are removed then (:func:`remove_other_sets`).  Interrupted,
nothing is left half-written: the children are stopped and the temporary
directories removed.  Killed outright (SIGKILL, or SIGTERM in a program that
does not handle it), this process runs none of that, but its children do not
outlive it: each gets SIGKILL when it ends (:func:`hhsim.cli.process.follow_parent`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .. import prebuilt_place
from ..errors import HHSimError

#: ``hhsim`` commands whose first runs compile the fixed kernels, longest first: a
#: network (the loop and its parts), channel noise (the Markov and the Langevin
#: kernels), a network with per-cell adaptive steps, a neuron with the default
#: dopri5 loop and with fixed steps, and an axon.
WORKLOADS: tuple[tuple[str, ...], ...] = (
    ("network", "--preset", "cobahh", "--t-stop", "2", "--json"),
    ("run", "--noise", "markov", "--area", "100", "--t-stop", "2", "--json"),
    ("run", "--noise", "langevin", "--area", "100", "--t-stop", "2", "--json"),
    ("network", "--preset", "chain", "--method", "dopri5", "--t-stop", "5", "--json"),
    ("run", "--t-stop", "5", "--json"),
    ("run", "--method", "rk4", "--t-stop", "5", "--json"),
    ("cable", "--length", "0.2", "--t-stop", "1", "--json"),
)

#: Longest wait for one workload (s).
WORKLOAD_TIMEOUT_S = 600.0
#: How long a stopped workload may take to stop its own worker before it is killed (s).
STOP_GRACE_S = 10.0


class PrebuildError(HHSimError):
    """The fixed kernels could not be prebuilt (the reason names what to change)."""


@dataclass(frozen=True)
class PrebuildReport:
    """What :func:`prebuild` did: ``path`` of the prebuilt set, ``built`` (False: it was
    already there), ``seconds`` of wall time, ``files`` copied and their ``megabytes``."""

    path: Path
    built: bool
    seconds: float
    files: int
    megabytes: float


def engine_cache_subpaths() -> list[str]:
    """numba's cache sub-directory of each directory of the engine's sources."""
    from numba.core.caching import _CacheLocator

    engine = Path(__file__).resolve().parent
    folders = sorted({p.parent for p in engine.rglob("*.py")})
    return [_CacheLocator.get_suitable_cache_subpath(str(folder / "__init__.py")) for folder in folders]


def _run_workloads(workloads, cache: Path, parallel: int) -> None:
    """Run the ``hhsim`` commands ``workloads`` with ``cache`` as the kernel cache, ``parallel`` at a time."""
    env = dict(os.environ, HHSIM_CACHE_DIR=str(cache), MPLBACKEND="Agg")
    env[prebuilt_place.ENV] = "0"
    env[prebuilt_place.PARENT_ENV] = str(os.getpid())  # each ends itself if this one is killed
    env.pop("NUMBA_CACHE_DIR", None)
    pending = list(workloads)
    running: list[tuple[tuple[str, ...], subprocess.Popen]] = []
    deadline = time.monotonic() + WORKLOAD_TIMEOUT_S
    try:
        while pending or running:
            while pending and len(running) < parallel:
                args = pending.pop(0)
                running.append((args, subprocess.Popen([sys.executable, "-m", "hhsim.cli.main", *args], env=env,
                                                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                                       stderr=subprocess.PIPE)))
            args, process = running[0]
            _, err = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
            running.pop(0)
            if process.returncode != 0:
                last = (err.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
                raise PrebuildError(f"`hhsim {' '.join(args)}` failed while prebuilding: {last}")
    except subprocess.TimeoutExpired:
        raise PrebuildError(f"prebuilding took longer than {WORKLOAD_TIMEOUT_S:g} s; stopped") from None
    finally:
        _stop(process for _, process in running)


def _stop(processes) -> None:
    """Stop workload processes: SIGTERM first, so that each stops its own compile worker
    (``hhsim``'s handler runs its ``finally`` blocks), then SIGKILL after a grace time."""
    processes = [p for p in processes if p.poll() is None]
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _copy_private(source: Path, target: Path) -> tuple[int, int]:
    """Copy numba's cache files of ``source`` into ``target`` (mode 0700, files 0600);
    returns (files, bytes)."""
    files = size = 0
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    for path in sorted(source.iterdir()):
        if path.suffix not in (".nbi", ".nbc") or not path.is_file():
            continue
        data = path.read_bytes()
        fd = os.open(target / path.name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        files += 1
        size += len(data)
    return files, size


def looks_like_a_set(path: Path) -> bool:
    """Whether ``path`` is a prebuilt set as :func:`prebuild` leaves one: a real directory
    named by a digest (:func:`hhsim.prebuilt_place.digest`: 24 lower-case hex digits)
    holding nothing but numba's cache directory ``numba``."""
    name = path.name
    if len(name) != len(prebuilt_place.digest()) or any(c not in "0123456789abcdef" for c in name):
        return False
    if path.is_symlink() or not path.is_dir():
        return False
    try:
        return [entry.name for entry in path.iterdir()] == ["numba"] and (path / "numba").is_dir()
    except OSError:
        return False


def remove_other_sets(keep: Path) -> list[Path]:
    """Remove the prebuilt sets of other sources beside ``keep`` (they can never be loaded
    again: 9-10 MB each); returns the directories removed.  Only what
    :func:`looks_like_a_set` (another digest's set): anything else in the same place, a
    staging directory of a prebuild still running (".<digest>.xxxx") included, is left."""
    removed = []
    try:
        others = [p for p in keep.parent.iterdir() if p.name != keep.name]
    except OSError:
        return removed
    for other in others:
        if looks_like_a_set(other):
            shutil.rmtree(other, ignore_errors=True)
            removed.append(other)
    return removed


def prebuild(force: bool = False, parallel: int | None = None, workloads=WORKLOADS) -> PrebuildReport:
    """Compile the fixed kernels into this installation's prebuilt set (see the module).

    ``force``: build again even when the set for these sources exists; ``parallel``:
    workloads at a time (default: the usable cores, at most 2); ``workloads``: the
    ``hhsim`` commands whose fixed kernels are kept (default :data:`WORKLOADS`).  Raises
    :class:`PrebuildError` when the set's directory cannot be written or a workload fails.
    """
    start = time.perf_counter()
    final = prebuilt_place.current()
    if final.is_dir() and not force:
        return PrebuildReport(final, False, time.perf_counter() - start, 0, 0.0)
    try:
        final.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    except OSError as exc:
        raise PrebuildError(f"cannot write {str(final.parent)!r} ({exc.strerror or exc}); the fixed kernels "
                            f"will be compiled on first use instead") from None
    if parallel is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        parallel = max(1, min(2, cores))
    try:
        with tempfile.TemporaryDirectory(prefix="hhsim-prebuild-") as cache:
            _run_workloads(workloads, Path(cache), parallel)
            files = size = 0
            for subpath in engine_cache_subpaths():
                source = Path(cache) / "numba" / subpath
                if source.is_dir():
                    n, b = _copy_private(source, staging / "numba" / subpath)
                    files, size = files + n, size + b
        if final.is_dir():
            shutil.rmtree(final)
        os.rename(staging, final)
    except OSError as exc:
        raise PrebuildError(f"cannot write the prebuilt kernels in {str(final.parent)!r} "
                            f"({exc.strerror or exc}); nothing was changed") from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    remove_other_sets(final)
    return PrebuildReport(final, True, time.perf_counter() - start, files, size / 1e6)
