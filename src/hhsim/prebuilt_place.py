"""Where this installation's prebuilt fixed kernels live, found without importing numba.

The engine's own compiled functions (the drivers, the dopri5 loop, the
network loop's parts, the tree solver, ...) do not depend on any model.
``hhsim prebuild`` compiles them once per installation (:mod:`hhsim.engine.prebuild`)
into ``<sys.prefix>/share/hhsim/prebuilt/<digest>/numba``, laid out as numba's
kernel cache is, and the kernel cache reads entries from there that it does
not hold itself (:mod:`hhsim.engine.cache`).  A model's own kernels are never
prebuilt: they are compiled into the user's kernel cache as before.

``<digest>`` is a SHA-256 of every source file of the engine (where all of
hhsim's compiled functions are defined), of Python's version and of which
installation of numba and llvmlite this is, so a changed source (the one of a
function or of anything it calls) or another numba gives another directory,
and code compiled from other sources is never loaded.  numba's index adds its
own keys (the function's bytecode, the CPU's name and features) but stamps
each entry with its own file only: a kernel that inlined a helper of another
file would be loaded after that file changed.  The kernel cache therefore
stamps its entries with the digest too (:mod:`hhsim.engine.cache`).

``HHSIM_PREBUILT=0`` ignores the prebuilt kernels (to measure a first run
that compiles everything); ``HHSIM_PREBUILT_DIR`` puts them elsewhere (where
the Python prefix cannot be written).  This module imports neither numba nor the engine:
the command line looks here before numba is imported (:mod:`hhsim.first_run`).
"""

from __future__ import annotations

import hashlib
import os
import sys
from functools import lru_cache
from pathlib import Path

#: Environment variable: "0" ignores the prebuilt kernels.
ENV = "HHSIM_PREBUILT"

#: Environment variable: the directory of the prebuilt sets instead of the default.
DIR_ENV = "HHSIM_PREBUILT_DIR"

#: Environment variable: the process id of the prebuild a workload must not outlive
#: (set by :func:`hhsim.engine.prebuild.prebuild`, read by :func:`hhsim.cli.process.follow_parent`).
PARENT_ENV = "HHSIM_PARENT_PID"
#: The environment variable in which a process names itself to the compile worker it
#: starts (read by :mod:`hhsim.engine.compile_worker`, which then ends with it).
WORKER_PARENT_ENV = "HHSIM_WORKER_PARENT"


def worker_environment() -> dict[str, str]:
    """The environment to start a compile worker in: this one, naming this process."""
    return dict(os.environ, **{WORKER_PARENT_ENV: str(os.getpid())})


#: Linux's prctl option: the signal this process gets when its parent ends.
_PR_SET_PDEATHSIG = 1


def follows_parent(env_name: str, signum: int) -> bool | None:
    """When ``$env_name`` names this process's parent (a process id), ask Linux for
    signal ``signum`` when that parent ends.  None when nothing was asked (no such
    variable, not Linux, no prctl), else whether the parent is still this process's
    (False: it ended before the request was made)."""
    text = os.environ.get(env_name, "")
    if not text.isdigit() or not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)
    except (OSError, AttributeError):
        return None
    return os.getppid() == int(text)


#: The package's source directory.
PACKAGE_DIR = Path(__file__).resolve().parent
#: The directory, below it, of every compiled function's source.
COMPILED_SOURCES = "engine"


def enabled() -> bool:
    """Whether prebuilt kernels may be read (``$HHSIM_PREBUILT`` is not "0")."""
    return os.environ.get(ENV, "").strip() != "0"


def _installed(package: str) -> str:
    """Which installation of ``package`` this is, without importing it: the path, time and
    size of its ``__init__.py`` (a reinstall or an upgrade writes it anew; numba's index
    also checks numba's version itself).  A stat, where reading the distribution's
    metadata cost 25 ms of every ``hhsim run``'s start."""
    from importlib.util import find_spec

    spec = find_spec(package)
    if spec is None or not spec.origin:
        return f"{package} absent"
    st = os.stat(spec.origin)
    return f"{spec.origin} {st.st_mtime_ns} {st.st_size}"


@lru_cache(maxsize=1)
def digest() -> str:
    """SHA-256 (hex, 24 digits) of the engine's sources and of the compiler's versions."""
    h = hashlib.sha256()
    h.update(f"{sys.version}|{_installed('numba')}|{_installed('llvmlite')}".encode())
    for path in sorted((PACKAGE_DIR / COMPILED_SOURCES).rglob("*.py")):
        h.update(str(path.relative_to(PACKAGE_DIR)).encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:24]


def root() -> Path:
    """The directory holding every prebuilt set of this installation (one per digest):
    ``$HHSIM_PREBUILT_DIR`` when set, else ``<sys.prefix>/share/hhsim/prebuilt``."""
    chosen = os.environ.get(DIR_ENV, "").strip()
    return Path(chosen) if chosen else Path(sys.prefix) / "share" / "hhsim" / "prebuilt"


def current() -> Path:
    """The prebuilt set for these sources and this compiler (it may not exist)."""
    return root() / digest()


def numba_dir() -> Path | None:
    """numba's cache layout of the prebuilt kernels for these sources, or None
    (none built, or ``$HHSIM_PREBUILT`` is "0")."""
    if not enabled():
        return None
    path = current() / "numba"
    return path if path.is_dir() else None
