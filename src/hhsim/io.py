"""File output helpers: every file is written atomically."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Callable

from .errors import OutputError


def read_text(path: str | Path, what: str, error: type[Exception]) -> str:
    """The text of the file ``path``; a missing or unreadable file, or one that is
    not a regular file or too large (:mod:`hhsim.limits`), raises ``error`` with
    one line naming ``what`` it is (e.g. ``"SWC file"``) and the path."""
    from .limits import read_bounded

    p = Path(path)
    try:
        return read_bounded(str(p), what, error).decode()
    except FileNotFoundError:
        raise error(f"{what} {str(p)!r} not found") from None
    except UnicodeDecodeError as exc:
        raise error(f"{what} {str(p)!r} is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise error(f"{what} {str(p)!r} cannot be read: {exc.strerror or exc}") from None


def check_writable(path: str | Path, suffixes: tuple[str, ...] | None = None) -> Path:
    """Fail early, before any simulation, if ``path`` cannot be written.

    Checks the suffix (when ``suffixes`` is given), that the directory exists
    and that it accepts a new file.
    """
    path = Path(path)
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise OutputError(
            f"cannot write {str(path)!r}: the file name must end in {', '.join(suffixes)}"
        )
    target = output_target(path)
    parent = target.parent
    try:
        if not parent.is_dir():
            raise OutputError(f"cannot write {str(path)!r}: directory {str(parent)!r} does not exist")
        if target.is_dir():
            raise OutputError(f"cannot write {str(path)!r}: it is a directory")
        if target.exists() and not target.is_file():
            raise OutputError(f"cannot write {str(path)!r}: it is not a regular file (a device, pipe or socket)")
        name_max = os.pathconf(parent, "PC_NAME_MAX")
    except OSError as exc:
        raise OutputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    # the temporary name (see atomic_write) is the longest name written
    if len(_temp_prefix(target).encode()) + 8 + len(_temp_suffix(target).encode()) > name_max:
        raise OutputError(f"cannot write {str(path)!r}: the file name is too long for the file system "
                          f"(at most {name_max - 16 - len(target.suffix)} characters here)")
    if not os.access(parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise OutputError(f"cannot write {str(path)!r}: permission denied")
    return path


def output_target(path: str | Path) -> Path:
    """The file an output ``path`` writes: a symbolic link's target (the link is kept)."""
    path = Path(path)
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path if str(path.parent) else Path(".") / path


def _temp_prefix(target: Path) -> str:
    return f".{target.name}."


def _temp_suffix(target: Path) -> str:
    return ".part" + target.suffix


def _mode_for(path: Path) -> int:
    """Permission bits for ``path``: those of the regular file it replaces, else
    0666 less the umask (never a device's or a directory's mode)."""
    try:
        st = path.stat()
        if stat.S_ISREG(st.st_mode):
            return st.st_mode & 0o7777
    except OSError:
        pass
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: str | Path, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)`` then rename into ``path``: all or nothing.

    A symbolic link is written through (its target is replaced, the link kept);
    a path that is not a regular file (a device) is refused.  The temporary
    file is removed whatever happens, SIGINT and SIGTERM included (the CLI turns
    both into exceptions).
    """
    path = Path(path)
    target = output_target(path)
    if target.exists() and not target.is_file():
        raise OutputError(f"cannot write {str(path)!r}: it is not a regular file (a device, pipe or socket)")
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=_temp_prefix(target), suffix=_temp_suffix(target))
    except OSError as exc:
        raise OutputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    os.close(fd)
    try:
        write(tmp)
        # mkstemp makes the file private (0600); give it the mode a plain open() would
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except OSError as exc:
        raise OutputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    except Exception as exc:
        # a writer that fails while cleaning up after a failed write (matplotlib's
        # PDF backend raises zlib.error on a full disk): report the OSError behind it
        cause = _os_error_behind(exc)
        if cause is None:
            raise
        raise OutputError(f"cannot write {str(path)!r}: {cause.strerror or cause}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _os_error_behind(exc: BaseException) -> OSError | None:
    """The first OSError in the chain of exceptions that led to ``exc``."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, OSError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None
