"""File output helpers: every file is written atomically."""

from __future__ import annotations

import os
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
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"cannot write {str(path)!r}: directory {str(parent)!r} does not exist")
    if path.is_dir():
        raise OutputError(f"cannot write {str(path)!r}: it is a directory")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise OutputError(f"cannot write {str(path)!r}: permission denied")
    return path


def _mode_for(path: Path) -> int:
    """Permission bits for ``path``: those of the file it replaces, else 0666 less the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path: str | Path, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)`` then rename into ``path``: all or nothing."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".part" + path.suffix)
    except OSError as exc:
        raise OutputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    os.close(fd)
    try:
        write(tmp)
        # mkstemp makes the file private (0600); give it the mode a plain open() would
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
