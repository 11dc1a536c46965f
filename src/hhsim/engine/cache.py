"""A private on-disk cache for generated kernel modules and numba's compiled code.

Generated kernel modules and numba's cache (pickled index files and object
code) are loaded into the process, so whoever can write the cache directory can
run code as the user.  The cache therefore lives only in a directory that is

* created with mode 0700 (and its sub-directories too), and
* checked before anything in it is used: a directory owned by the current
  (effective) user, with no group or other write permission.

Where it is (first that is set): ``$HHSIM_CACHE_DIR``, ``$XDG_CACHE_HOME/hhsim``,
``~/.cache/hhsim``.  There is no shared fallback such as a fixed path under
``/tmp``: where no private writable directory exists, kernels are compiled in
memory without any on-disk cache (slower start-up, same results) and one note
says so on stderr.

numba caches the package's own ``cache=True`` helpers beside the package by
default, which fails on a read-only install ("no locator available"); numba's
cache directory is therefore pointed at ``<cache>/numba`` (or, in memory mode,
numba's caching is switched off) before any of hhsim's compiled functions is
defined.  A ``$NUMBA_CACHE_DIR`` set by the user is honoured when it passes the
same check.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

ENV = "HHSIM_CACHE_DIR"


@dataclass(frozen=True)
class CacheState:
    """Where compiled code is cached: ``root`` is None in memory mode, with ``why``."""

    root: Path | None
    why: str = ""

    @property
    def kernels(self) -> Path | None:
        """Directory of generated kernel modules (None: in memory)."""
        return None if self.root is None else self.root / "kernels"


_STATE: CacheState | None = None


class UnsafeDirectory(OSError):
    """A cache directory that must not be used (not private, or not writable)."""


def candidates() -> list[Path]:
    """Cache roots in order of preference (only ``$HHSIM_CACHE_DIR`` when it is set)."""
    env = os.environ.get(ENV)
    if env:
        return [Path(env)]
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return [Path(xdg) / "hhsim"]
    home = os.path.expanduser("~")
    return [Path(home) / ".cache" / "hhsim"] if os.path.isabs(home) else []


def check_private(path: Path) -> None:
    """Raise :class:`UnsafeDirectory` unless ``path`` is a directory owned by the
    effective user with no group or other write permission."""
    st = os.stat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafeDirectory(f"{str(path)!r} is not a directory")
    if st.st_uid != os.geteuid():
        raise UnsafeDirectory(f"{str(path)!r} belongs to another user (uid {st.st_uid})")
    if st.st_mode & 0o022:
        raise UnsafeDirectory(f"{str(path)!r} is writable by other users (mode {st.st_mode & 0o777:04o})")


def private_directory(path: Path) -> Path:
    """``path`` created (mode 0700) if missing, checked private and writable."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except FileNotFoundError:
        os.makedirs(path.parent, exist_ok=True)
        os.mkdir(path, 0o700)
    check_private(path)
    # a real write, not os.access: the effective user (root included) must be able to
    tempfile.TemporaryFile(dir=path).close()
    return path


def _resolve() -> CacheState:
    reasons = []
    for root in candidates():
        try:
            private_directory(root)
            private_directory(root / "kernels")
            private_directory(root / "numba")
            return CacheState(root)
        except UnsafeDirectory as exc:
            reasons.append(str(exc))
        except OSError as exc:
            reasons.append(f"{str(root)!r} cannot be used ({exc.strerror or exc})")
    if not reasons:
        reasons.append("no home directory")
    return CacheState(None, "; ".join(reasons))


def state() -> CacheState:
    """The process's cache (resolved, numba configured and any note printed once)."""
    global _STATE
    if _STATE is None:
        _STATE = _resolve()
        _configure_numba(_STATE)
    return _STATE


def reset() -> None:
    """Forget the resolved cache (for tests that change the environment)."""
    global _STATE
    _STATE = None


def _note(text: str) -> None:
    print(f"hhsim: note: {text}", file=sys.stderr)


def _configure_numba(st: CacheState) -> None:
    from numba.core import config

    user = os.environ.get("NUMBA_CACHE_DIR")
    if user:
        try:
            check_private(Path(user))
            return
        except OSError as exc:
            if st.root is not None:
                _note(f"ignoring NUMBA_CACHE_DIR: {exc}; using {str(st.root / 'numba')!r}")
    if st.root is not None:
        config.CACHE_DIR = str(st.root / "numba")
        return
    _note(f"no private cache directory ({st.why}); compiling kernels in memory without a cache "
          f"(set {ENV} to a private directory to keep them)")
    _disable_numba_cache()


def _disable_numba_cache() -> None:
    """Make ``cache=True`` a no-op: numba keeps compiled code in memory only."""
    from numba.core import config
    from numba.core.dispatcher import Dispatcher

    config.CACHE_DIR = ""
    Dispatcher.enable_caching = _no_caching


def write_module(name: str, source: str) -> Path | None:
    """Write generated ``source`` as ``<kernels>/<name>.py`` once (atomically).

    Returns the path, or None when there is no private cache or the file cannot
    be written (full disk): the module is then built in memory.
    """
    kernels = state().kernels
    if kernels is None:
        return None
    path = kernels / f"{name}.py"
    try:
        if path.is_file() and path.read_text() == source:
            return path
        fd, tmp = tempfile.mkstemp(dir=kernels, suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(source)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return path
    except (OSError, UnicodeDecodeError):
        return None


def module_from_source(name: str, source: str, path: Path | None) -> ModuleType:
    """A module built from our generated ``source`` (never from user text).

    The code is compiled from the text we generated, not read back from disk
    and never from a ``.pyc``; ``path`` (the identical copy in the private
    cache) only names the file, so that numba's cache can key on it.  Without
    a path, numba's caching is off while the module's functions are defined.
    """
    module = ModuleType(name)
    filename = str(path) if path is not None else f"<{name}>"
    module.__file__ = filename
    code = compile(source, filename, "exec")
    sys.modules[name] = module
    try:
        if path is None:
            with _numba_cache_off():
                exec(code, module.__dict__)  # noqa: S102 - our generated kernel text
        else:
            exec(code, module.__dict__)  # noqa: S102 - our generated kernel text
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


@contextmanager
def _numba_cache_off():
    from numba.core.dispatcher import Dispatcher

    saved = Dispatcher.__dict__.get("enable_caching")
    Dispatcher.enable_caching = _no_caching
    try:
        yield
    finally:
        if saved is not None and saved is not _no_caching:
            Dispatcher.enable_caching = saved


def _no_caching(self) -> None:
    """Stands in for ``Dispatcher.enable_caching``: compiled code stays in memory."""
