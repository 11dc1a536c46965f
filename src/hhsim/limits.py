"""How much a request may take: memory before it is allocated, input file sizes.

* Memory: a request whose arrays would exceed the budget is refused before
  anything is allocated, with the size and a remedy.  The budget is
  ``$HHSIM_MAX_MEMORY`` (bytes, or with a suffix: ``500M``, ``8G``), else half
  the machine's physical memory, and never more than half of the process's
  address-space limit (``ulimit -v``) when one is set.
* Input files (stimulus CSV, channel TOML, SWC) are read only when they are
  regular files no larger than ``$HHSIM_MAX_INPUT_BYTES`` (default 256 MB);
  devices, pipes and directories are refused before they are opened for reading.
"""

from __future__ import annotations

import os
import resource
import stat

from .errors import HHSimError

MEMORY_ENV = "HHSIM_MAX_MEMORY"
INPUT_ENV = "HHSIM_MAX_INPUT_BYTES"
DEFAULT_INPUT_BYTES = 256 * 2**20
_SUFFIX = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def parse_bytes(text: str, name: str) -> int:
    """``"512M"`` -> 536870912 (suffixes K, M, G, T; optional trailing B)."""
    t = text.strip().upper().removesuffix("B")
    unit = t[-1:] if t[-1:] in _SUFFIX else ""
    try:
        value = float(t[: len(t) - len(unit)]) * _SUFFIX[unit]
    except ValueError:
        raise HHSimError(f"${name} must be a size such as 512M or 8G, got {text!r}") from None
    if not value > 0:
        raise HHSimError(f"${name} must be a size > 0, got {text!r}")
    return int(min(value, 2**62))


def format_bytes(n: float) -> str:
    """``1.5e9`` -> ``"1.4 GB"`` (binary units)."""
    if not n < 2**70:  # also inf and nan
        return "more than any computer has"
    for unit, size in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} bytes"


#: Share of the memory free right now that one request may take (the rest is the
#: system's and other processes').
FREE_SHARE = 0.5


def free_memory_bytes() -> int:
    """Memory available to this process (bytes): physical pages free, else 4 GB."""
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 4 << 30


def memory_budget() -> int:
    """Bytes one request may allocate (see the module docstring)."""
    env = os.environ.get(MEMORY_ENV)
    if env:
        return parse_bytes(env, MEMORY_ENV)
    try:
        budget = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError, AttributeError):
        budget = 4 * 2**30
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        budget = min(budget, soft // 2)
    return int(budget)


def check_memory(nbytes: float, what: str, remedy: str, error: type[HHSimError] = HHSimError) -> None:
    """Refuse (raise ``error``) if ``what`` would need more than the memory budget.

    ``nbytes`` is an estimate of what the request allocates (a float: it may be
    astronomically large); ``remedy`` says how to ask for less.
    """
    budget = memory_budget()
    if not nbytes <= budget:  # also catches nan
        size = format_bytes(nbytes)
        need = "more memory than any computer has" if size.startswith("more") else f"{size} of memory"
        raise error(f"{what} would need {need}, more than the {format_bytes(budget)} allowed "
                    f"(${MEMORY_ENV}); {remedy}")


def input_limit() -> int:
    """Largest input file (bytes) read."""
    env = os.environ.get(INPUT_ENV)
    return parse_bytes(env, INPUT_ENV) if env else DEFAULT_INPUT_BYTES


def read_bounded(path: str, what: str, error: type[HHSimError]) -> bytes:
    """The bytes of the regular file ``path``, refused (``error``) when it is not a
    regular file or larger than :func:`input_limit`.

    Opened without blocking (a FIFO must not hang the open), then checked on the
    descriptor, and read at most one byte past the limit (the file may grow).
    """
    limit = input_limit()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file (a device, pipe or socket)"
            raise error(f"{what} {str(path)!r} is {kind}; give a regular file")
        if st.st_size > limit:
            raise error(f"{what} {str(path)!r} is {format_bytes(st.st_size)}, larger than the "
                        f"{format_bytes(limit)} accepted (${INPUT_ENV})")
        os.set_blocking(fd, True)
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise error(f"{what} {str(path)!r} is larger than the {format_bytes(limit)} accepted "
                            f"(${INPUT_ENV})")
        return b"".join(chunks)
    finally:
        os.close(fd)
