"""How many tasks other than the caller the kernel reports runnable right now.

Read from the fourth field of Linux's ``/proc/loadavg`` (``running/total``),
the smallest of a few readings taken back to back when the first shows other
work (a task that was runnable for an instant is not counted).  It imports
nothing of hhsim or numba, so the command line can ask before numba is
imported (:mod:`hhsim.first_run`); the engine's thread choice asks it too
(:func:`hhsim.engine.threads.busy_cores`).
"""

from __future__ import annotations

import os

#: Readings of the runnable count when the first shows other work (back to back; the
#: smallest counts).  They are not spaced out in time: on a busy machine a sleep of
#: 1 ms wakes up several ms later, which cost a short cable run more than the second
#: thread would have.
LOAD_SAMPLES = 3


def cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def runnable_tasks(text: str) -> int | None:
    """Runnable tasks in a ``/proc/loadavg`` line (its fourth field, ``running/total``)."""
    try:
        return int(text.split()[3].split("/")[0])
    except (IndexError, ValueError):
        return None


def _from_proc() -> str:
    with open("/proc/loadavg", encoding="ascii") as fh:
        return fh.read()


def other_runnable_tasks(read=None, samples: int = LOAD_SAMPLES) -> int | None:
    """Runnable tasks other than the caller (the reading thread itself runs while it
    reads), the smallest of up to ``samples`` readings; None where the kernel does not
    say (not Linux, an unreadable line).  ``read`` returns the text of ``/proc/loadavg``
    (tests pass their own)."""
    read = read or _from_proc
    counts = []
    for _ in range(samples):
        try:
            n = runnable_tasks(read())
        except OSError:
            return None
        if n is None:
            return None
        counts.append(n)
        if n <= 1:  # only the reader: the cores are free
            break
    return max(0, min(counts) - 1)
