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

from .. import prebuilt_place
from ..first_run import CACHE_ENV, cache_candidates

ENV = CACHE_ENV


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
    return cache_candidates()


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
            _guard_numba_cache()
            return
        except OSError as exc:
            if st.root is not None:
                _note(f"ignoring NUMBA_CACHE_DIR: {exc}; using {str(st.root / 'numba')!r}")
    if st.root is not None:
        config.CACHE_DIR = str(st.root / "numba")
        _guard_numba_cache()
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


# ------------------------------------------------------------------ what numba loads
# numba's index (.nbi) and data (.nbc) files are pickles: loading one runs code.
# Every one is therefore checked before it is read -- the file and every directory
# from numba's cache root down to it: owned by the effective user, not writable by
# group or others, no symbolic link -- and anything else is refused with one note
# and compiled instead.  A file that is ours but unreadable (truncated, corrupt, from
# an interrupted write) is compiled again and replaced, never a traceback.

class UnsafeEntry(OSError):
    """A cache file (or a directory above it) that must not be loaded."""


_NOTED: set[str] = set()


def _note_once(key: str, text: str) -> None:
    if key not in _NOTED:
        _NOTED.add(key)
        _note(text)


def _numba_root() -> Path | None:
    from numba.core import config

    return Path(config.CACHE_DIR) if config.CACHE_DIR else None


def _check_owned(st: os.stat_result, path: str, kind: str) -> None:
    if st.st_uid != os.geteuid():
        raise UnsafeEntry(f"{kind} {path!r} belongs to another user (uid {st.st_uid})")
    if st.st_mode & 0o022:
        raise UnsafeEntry(f"{kind} {path!r} is writable by other users (mode {st.st_mode & 0o777:04o})")


def check_levels(directory: Path, root: Path | None = None) -> None:
    """Raise :class:`UnsafeEntry` unless ``directory`` and every directory between
    ``root`` (numba's cache root by default, itself checked) and it are private
    real directories.  A directory outside the root is checked on its own."""
    directory = Path(directory)
    root = _numba_root() if root is None else Path(root)
    levels = [directory]
    if root is not None:
        try:
            rel = directory.relative_to(root)
        except ValueError:
            rel = None
        if rel is not None:
            levels = [root] + [root.joinpath(*rel.parts[:k]) for k in range(1, len(rel.parts) + 1)]
    for i, d in enumerate(levels):
        st = os.stat(d) if i == 0 else os.lstat(d)  # the root may be a link the user made; below it, none
        if not stat.S_ISDIR(st.st_mode):
            raise UnsafeEntry(f"cache directory {str(d)!r} is not a directory")
        _check_owned(st, str(d), "cache directory")


def read_checked(path: str | Path, root: Path | None = None) -> bytes:
    """The bytes of a cache file, after checking it and the directories above it
    (up to ``root``, numba's cache root by default).

    FileNotFoundError when it is missing; :class:`UnsafeEntry` when it must not be loaded.
    """
    path = str(path)
    check_levels(Path(path).parent, root)
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeEntry(f"cache file {path!r} is not a regular file")
        _check_owned(st, path, "cache file")
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _refused(path: str, exc: OSError) -> None:
    """One note per unsafe thing (a planted directory holds many entries: one line)."""
    import errno

    if isinstance(exc, UnsafeEntry):
        text = str(exc)
    elif exc.errno == errno.ELOOP:  # O_NOFOLLOW met a symbolic link
        text = f"cache file {path!r} is a symbolic link"
    else:
        text = f"{path!r}: {exc.strerror or exc}"
    _note_once("unsafe:" + text, f"not loading compiled code: {text}; compiling instead")


def _corrupt(path: str) -> None:
    _note_once("corrupt:" + path, f"cache entry {path!r} was unreadable (truncated or corrupt); "
                                  f"compiling it again and replacing it")
    try:
        os.unlink(path)
    except OSError:
        pass


def _load_index_file(self, path: str, root: Path | None) -> dict:
    """The overloads of the index file ``path`` for this cache file's source (empty
    when missing, refused, corrupt, or of another numba or source stamp)."""
    import io
    import pickle

    try:
        data = read_checked(path, root)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        if root is None:  # this cache's own index: nothing is saved beside what was refused
            self._hhsim_refused = True
        _refused(path, exc)
        return {}
    try:
        stream = io.BytesIO(data)
        version = pickle.load(stream)
        if version != self._version:
            return {}
        stamp, overloads = pickle.loads(stream.read())
        if not isinstance(overloads, dict):
            raise ValueError("not an index")
    except Exception:  # noqa: BLE001 - any unreadable pickle is an entry to rebuild
        _corrupt(path)
        return {}
    from numba.core.caching import _cache_log

    _cache_log("[cache] index loaded from %r", path)
    return overloads if stamp == self._source_stamp else {}


def _guarded_load_index(self):
    """numba's ``IndexDataCacheFile._load_index`` with the checks above, and with the
    prebuilt fixed kernels' entries (:mod:`hhsim.prebuilt_place`) this cache lacks.

    A prebuilt entry is named by its absolute path, which numba's ``_data_path``
    keeps as it is; such names are never saved into this cache's index and never
    written to (:func:`_guarded_save`)."""
    overloads = _load_index_file(self, self._index_path, None)
    prebuilt = _prebuilt_counterpart(self._cache_path)
    if prebuilt is not None:
        index = prebuilt / self._index_name
        if index.is_file():
            for key, name in _load_index_file(self, str(index), prebuilt_place.current()).items():
                overloads.setdefault(key, str(prebuilt / name))
    return overloads


def _prebuilt_counterpart(cache_path: str) -> Path | None:
    """The prebuilt directory standing for the cache directory ``cache_path``, or None."""
    prebuilt, root = prebuilt_place.numba_dir(), _numba_root()
    if prebuilt is None or root is None:
        return None
    try:
        relative = Path(cache_path).relative_to(root)
    except ValueError:
        return None
    return prebuilt / relative


def _guarded_load_data(self, name):
    """numba's ``IndexDataCacheFile._load_data`` with the checks above (an OSError: recompile)."""
    import pickle

    path = self._data_path(name)
    # a prebuilt entry: its directories are checked from the prebuilt set's root down
    root = prebuilt_place.current() if os.path.isabs(name) else None
    try:
        data = read_checked(path, root)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if root is None:  # this cache's own entry (a refused prebuilt one is compiled and saved here)
            self._hhsim_refused = True
        _refused(path, exc)
        raise FileNotFoundError(path) from None
    try:
        value = pickle.loads(data)
    except Exception:  # noqa: BLE001
        _corrupt(path)
        raise FileNotFoundError(path) from None
    from numba.core.caching import _cache_log

    _cache_log("[cache] data loaded from %r", path)
    return value


def _guarded_save(original):
    """A save that writes nothing where loading was refused or the directories are not
    private; prebuilt entries (absolute names) are neither indexed here nor written."""
    def save(self, *args):
        if getattr(self, "_hhsim_refused", False):
            return None
        if isinstance(args[0], dict):  # the index: this cache's own entries only
            args = ({key: name for key, name in args[0].items() if not os.path.isabs(name)},) + args[1:]
        elif os.path.isabs(args[0]):  # a prebuilt entry's data: never written
            return None
        try:
            check_levels(Path(self._cache_path))
        except OSError as exc:
            _refused(self._cache_path, exc)
            return None
        return original(self, *args)
    return save


@contextmanager
def _private_open_for_write(self, filepath):
    """numba's atomic write, the new file made 0600 whatever the umask."""
    import uuid

    tmpname = f"{filepath}.tmp.{uuid.uuid4().hex[:16]}"
    try:
        fd = os.open(tmpname, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as f:
            yield f
        os.replace(tmpname, filepath)
    except Exception:
        try:
            os.unlink(tmpname)
        except OSError:
            pass
        raise


def _guarded_load_overload(original):
    def load_overload(self, sig, target_context):
        try:
            return original(self, sig, target_context)
        except Exception:  # noqa: BLE001 - an entry that unpickled but does not rebuild
            _note_once("rebuild:" + str(self._cache_path),
                       f"a compiled entry in {str(self._cache_path)!r} could not be used; compiling it again")
            return None
    return load_overload


def _stamped_with_engine(original):
    """numba's ``IndexDataCacheFile.__init__`` with the engine's digest in the source stamp.

    numba stamps an entry with its own source file only (modification time and size),
    but a kernel inlines helpers from other files: after any of the engine's sources
    changed (an upgrade), an entry of an unchanged file would be loaded with the old
    helpers in it.  With :func:`hhsim.prebuilt_place.digest` in the stamp, every entry
    made from other engine sources is stale and compiled again."""
    def init(self, cache_path, filename_base, source_stamp):
        original(self, cache_path, filename_base, (source_stamp, prebuilt_place.digest()))
    return init


def _guard_numba_cache() -> None:
    """Put the checks into numba's cache classes (once per process)."""
    from numba.core import caching

    cls = caching.IndexDataCacheFile
    if getattr(cls, "_hhsim_guarded", False):
        return
    cls.__init__ = _stamped_with_engine(cls.__init__)
    cls._load_index = _guarded_load_index
    cls._load_data = _guarded_load_data
    cls._save_index = _guarded_save(cls._save_index)
    cls._save_data = _guarded_save(cls._save_data)
    cls._open_for_write = _private_open_for_write
    cls._hhsim_guarded = True
    caching.Cache.load_overload = _guarded_load_overload(caching.Cache.load_overload)


# ------------------------------------------------------------------ a lock between processes
#: How long a process waits for another's compile before going on without the lock (s).
LOCK_WAIT_S = 600.0


@contextmanager
def compile_lock(name: str = "compile.lock", wait_s: float = LOCK_WAIT_S):
    """An exclusive lock file in the private cache, held while kernels compile.

    Only a regular private file is used: a FIFO, a link or a foreign file there
    is refused with one note (and the work goes on without the lock), so the
    open never blocks; a lock held longer than ``wait_s`` is not waited for.
    """
    import time

    root = state().root
    fd = None
    if root is not None:
        path = root / name
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0),
                         0o600)
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise UnsafeEntry(f"{str(path)!r} is not a regular file")
            _check_owned(st, str(path), "lock file")
        except OSError as exc:
            if fd is not None:
                os.close(fd)
                fd = None
            _note_once("lock:" + str(path), f"not using the compile lock: {exc}; compiling without it")
    if fd is None:
        yield
        return
    try:
        import fcntl
    except ImportError:
        os.close(fd)
        yield
        return
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    _note_once("lockwait", f"another process held the compile lock for {wait_s:g} s; going on")
                    break
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing releases the lock
