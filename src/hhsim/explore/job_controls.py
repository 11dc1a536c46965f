"""The page's background job: one at a time, with a progress bar, a status line
and a cancel button for each kind of job (protocols, cable, network, dynamics).

The work runs in a worker process (:class:`~hhsim.explore.jobs.BackgroundJob`);
a periodic callback every 150 ms moves the bar and hands each result to the
tab that asked for it.
"""

from __future__ import annotations

import html
from typing import Callable

import panel as pn

from ..errors import HHSimError
from .handlers import locked
from .jobs import BackgroundJob

#: How often the page asks the worker for news (ms).
POLL_PERIOD_MS = 150


class JobControls:
    """The one background job of a page and the widgets that show it.

    ``show_error(exc)`` puts a message at the top of the page; ``deliver(kind,
    label, data)`` hands a finished task's result to the tab of that kind.
    """

    def __init__(self, show_error: Callable[[Exception], None], hide_message: Callable[[], None],
                 deliver: Callable[[str, str, dict], None]):
        self._show_error = show_error
        self._hide_message = hide_message
        self._deliver = deliver
        self.job: BackgroundJob | None = None
        self.kind: str | None = None
        self._ui: dict[str, tuple] = {}
        self._poller = None

    @property
    def busy(self) -> bool:
        """A job is running (a second one is refused until it ends or is cancelled)."""
        return self.job is not None and not self.job.finished

    def widgets(self, kind: str, cancel_css: str = ""):
        """Progress bar, status line and cancel button of one kind of job."""
        cancel = pn.widgets.Button(name="Cancel", button_type="warning", disabled=True,
                                   css_classes=[cancel_css] if cancel_css else [])
        cancel.on_click(locked(self.cancel))
        bar = pn.indicators.Progress(value=0, max=100, width=300, active=False)
        status = pn.pane.HTML("", sizing_mode="stretch_width")
        self._ui[kind] = (bar, status, cancel)
        return bar, status, cancel

    def start(self, tasks, kind: str) -> None:
        if self.busy:
            self._show_error(HHSimError("a background job is already running; cancel it first"))
            return
        self._hide_message()
        self.job = BackgroundJob(tasks).start()
        self.kind = kind
        for name, (_, _, cancel) in self._ui.items():
            cancel.disabled = name != kind
        bar = self._ui[kind][0]
        bar.value, bar.active = 0, True
        self._set_status(kind, f"starting the worker ({len(tasks)} task{'s' if len(tasks) > 1 else ''}) ...")
        self._poller = pn.state.add_periodic_callback(self.poll, period=POLL_PERIOD_MS)

    def _set_status(self, kind: str, text: str) -> None:
        self._ui[kind][1].object = f"<span class='hh-job-status'>{html.escape(text)}</span>"

    def poll(self) -> None:
        job, kind = self.job, self.kind
        if job is None:
            return
        bar = self._ui[kind][0]
        for ev, i, label, payload in job.poll():
            if ev == "start":
                self._set_status(kind, f"running {label} ({i + 1} of {job.n_tasks}), {job.elapsed:.1f} s")
            elif ev == "result":
                self._deliver(kind, label, payload)
            elif ev in ("error", "timeout"):
                self._show_error(HHSimError(f"{label}: {payload}" if label else payload))
        bar.value = int(100 * job.done / max(1, job.n_tasks))
        if job.finished:
            self._end(f"{job.state}: {job.done} of {job.n_tasks} done in {job.elapsed:.1f} s")

    def _end(self, text: str) -> None:
        self._stop_polling()
        kind = self.kind
        self._ui[kind][0].active = False
        for _, _, cancel in self._ui.values():
            cancel.disabled = True
        self._set_status(kind, text)

    def _stop_polling(self) -> None:
        if self._poller is not None:
            self._poller.stop()
            self._poller = None

    def cancel(self, event=None) -> None:
        if self.busy:
            self.job.cancel()
            self._end(f"cancelled after {self.job.elapsed:.1f} s ({self.job.done} of {self.job.n_tasks} done)")

    def close(self) -> None:
        """The page is gone: end the job (its worker process too) and the poller."""
        if self.busy:
            self.job.cancel()
        self.job = None
        self._stop_polling()
