"""Long work off the page's event loop: a worker process with progress and cancel.

A :class:`BackgroundJob` runs a list of tasks (top-level functions and their
arguments, so they pickle) one after another in a separate process.  The
page polls :meth:`BackgroundJob.poll` for events and may
:meth:`BackgroundJob.cancel` at any time: the process is terminated, which
stops even a compiled kernel in the middle of its loop (a thread could not
be stopped there).  A job that runs longer than its time limit is cancelled
the same way.  Errors come back as one line, never as a traceback.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import time
from dataclasses import dataclass, field

from ..errors import HHSimError

#: Wall-clock bound on one job (s).
MAX_JOB_SECONDS = 180.0


@dataclass
class Task:
    """One step of a job: ``fn(*args, **kwargs)`` shown as ``label``."""

    label: str
    fn: object
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


def _worker(tasks: list[Task], events) -> None:
    for i, task in enumerate(tasks):
        events.put(("start", i, task.label, None))
        try:
            value = task.fn(*task.args, **task.kwargs)
        except HHSimError as exc:
            events.put(("error", i, task.label, " ".join(str(exc).split())))
            continue
        except Exception as exc:  # shown as one line in the page, with its type
            events.put(("error", i, task.label, f"internal error: {type(exc).__name__}: {exc}"))
            continue
        events.put(("result", i, task.label, value))
    events.put(("finished", len(tasks), "", None))


class BackgroundJob:
    """Run ``tasks`` in a worker process; :meth:`poll` returns the new events.

    Events are ``(kind, index, label, payload)`` with kind ``start``,
    ``result`` (payload: the task's return value), ``error`` (payload: one
    line), ``finished``, ``cancelled`` or ``timeout``.
    """

    def __init__(self, tasks: list[Task], time_limit: float = MAX_JOB_SECONDS):
        self.tasks = list(tasks)
        self.time_limit = float(time_limit)
        ctx = mp.get_context("spawn")  # a fresh interpreter: safe beside the server's threads
        self._events = ctx.Queue()
        self._proc = ctx.Process(target=_worker, args=(self.tasks, self._events), daemon=True)
        self._started = None
        self.done = 0
        self.finished = False
        self.state = "idle"

    def start(self) -> "BackgroundJob":
        self._proc.start()
        self._started = time.monotonic()
        self.state = "running"
        return self

    @property
    def n_tasks(self) -> int:
        return len(self.tasks)

    @property
    def elapsed(self) -> float:
        return 0.0 if self._started is None else time.monotonic() - self._started

    def poll(self) -> list[tuple]:
        """Every event since the last call (non-blocking)."""
        out = []
        while True:
            try:
                ev = self._events.get_nowait()
            except queue.Empty:
                break
            out.append(ev)
            if ev[0] in ("result", "error"):
                self.done += 1
            if ev[0] == "finished":
                self._finish("finished")
        if not self.finished and self._started is not None and not self._proc.is_alive() and not out:
            self._finish("finished" if self.done == self.n_tasks else "failed")
            if self.state == "failed":
                out.append(("error", self.done, "", "the worker process stopped unexpectedly"))
        if not self.finished and self.elapsed > self.time_limit:
            self._stop()
            self._finish("timeout")
            out.append(("timeout", self.done, "", f"stopped after {self.time_limit:g} s (the explorer's limit)"))
        return out

    def cancel(self) -> None:
        """Stop the worker now (its partial results are those already polled)."""
        if not self.finished:
            self._stop()
            self._finish("cancelled")

    def wait(self, timeout: float = 60.0) -> list[tuple]:
        """Poll until finished (for tests and scripts); returns every event."""
        events, end = [], time.monotonic() + timeout
        while not self.finished and time.monotonic() < end:
            events += self.poll()
            time.sleep(0.02)
        return events + self.poll()

    def _stop(self) -> None:
        if self._proc.is_alive():
            self._proc.terminate()
        self._proc.join(timeout=5)

    def _finish(self, state: str) -> None:
        self.finished = True
        self.state = state
        if self._proc.is_alive():
            self._proc.join(timeout=1)
