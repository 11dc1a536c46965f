"""The command-line process around a command: signals, standard output, warnings.

* SIGTERM raises :class:`Terminated` in the main thread, like Ctrl-C raises
  ``KeyboardInterrupt``, so that every ``finally`` (the temporary files of
  :func:`hhsim.io.atomic_write`) runs before the process exits.
* Standard output is flushed inside the error policy: a full disk or a closed
  pipe becomes :class:`StdoutError` (one line, not a traceback at exit).
* NumPy's floating-point ``RuntimeWarning`` lines are not printed: the solvers
  detect divergence themselves and report it as one line.
* A command started for a parent it must not outlive (``$HHSIM_PARENT_PID``: a
  prebuild's workloads) gets SIGKILL when that parent ends (:func:`follow_parent`).
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import threading
import warnings
from contextlib import contextmanager

from .. import prebuilt_place


class Terminated(BaseException):
    """SIGTERM arrived (a BaseException, like KeyboardInterrupt: library code
    that catches ``Exception`` does not swallow it)."""


class StdoutError(OSError):
    """Standard output cannot be written (full disk, closed pipe)."""


def _on_sigterm(signum, frame):
    raise Terminated()


@contextmanager
def handle_termination():
    """While the command runs, SIGTERM raises :class:`Terminated` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def follow_parent() -> None:
    """When ``$HHSIM_PARENT_PID`` names this process's parent, ask Linux for SIGKILL when
    that parent ends, and raise :class:`Terminated` if it has ended already.

    A library call of :func:`~hhsim.engine.prebuild.prebuild` cannot stop its workloads
    when SIGTERM or SIGKILL ends the calling process (its ``finally`` blocks do not run):
    each workload ends with it instead.  SIGKILL, not SIGTERM: a workload inside one long
    compilation (LLVM's, seconds under load) would only see SIGTERM's handler once it
    returns; and killing it loses nothing (it writes only its prebuild's private kernel
    cache, by atomic renames; its own compile worker ends with it, see
    :mod:`hhsim.engine.compile_worker`).  Elsewhere than on Linux, nothing."""
    if prebuilt_place.follows_parent(prebuilt_place.PARENT_ENV, signal.SIGKILL) is False:
        raise Terminated()  # the parent ended before the request was made


@contextmanager
def quiet_numerics():
    """No NumPy floating-point warnings on stderr while a command runs."""
    import numpy as np  # here, not at the top: the group's help answers without NumPy

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def flush_stdout() -> None:
    """Flush standard output; a failure becomes :class:`StdoutError`, and stdout is
    pointed at /dev/null so that Python's own flush at exit stays silent."""
    if sys.stdout is None:  # started with stdout closed (`hhsim run >&-`): nothing to flush
        return
    try:
        sys.stdout.flush()
    except OSError as exc:
        _detach_stdout()
        raise StdoutError(exc.errno, f"cannot write to standard output: {exc.strerror or exc}") from None


def _detach_stdout() -> None:
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


#: Errors of a write that, without a file name, come from standard output
_STREAM_ERRNOS = {errno.ENOSPC, errno.EPIPE, errno.EIO, errno.EFBIG, errno.EDQUOT}


def is_stdout_error(exc: OSError) -> bool:
    """An error with no file name from writing (a full disk, a closed pipe): the
    command's own files are written by :func:`hhsim.io.atomic_write`, which names them."""
    return exc.filename is None and exc.errno in _STREAM_ERRNOS


def describe_os_error(exc: OSError) -> str:
    """``exc`` as ``what went wrong: 'path'``, without the errno number."""
    if is_stdout_error(exc):
        _detach_stdout()
        return f"cannot write to standard output: {exc.strerror or exc}"
    text = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename is not None:
        text += f": {str(exc.filename)!r}"
    return text
