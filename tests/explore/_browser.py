"""Helpers for the explorer's browser tests: a local server and Debian's Chromium under Playwright.

The browser is the system's ``/usr/bin/chromium`` (or ``$HHSIM_CHROMIUM``), driven
through Playwright's ``executable_path``: no browser is ever downloaded.  Every
request the page makes is routed through :class:`OffMachineGuard`, which aborts
and records any request that is not to 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium")
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
    "--disable-extensions", "--metrics-recording-only", "--no-default-browser-check",
]


def chromium_path() -> str | None:
    """The system Chromium, or None when the machine has none."""
    env = os.environ.get("HHSIM_CHROMIUM")
    if env and Path(env).exists():
        return env
    for c in CHROMIUM_CANDIDATES:
        if Path(c).exists():
            return c
    found = shutil.which("chromium")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model: str = "hh"):
    """The explorer served in a thread on a free 127.0.0.1 port: (server, url)."""
    from hhsim.explore.server import serve
    from hhsim.explore.state import ExplorerState, compute

    compute(ExplorerState(model=model))  # compile (or load) the kernel before the first page asks
    port = free_port()
    server = serve(model, port=port, show=False, threaded=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    return server, url


def is_local(url: str) -> bool:
    """Requests the page may make: to 127.0.0.1, or in-page data and blob URLs."""
    return url.startswith(("http://127.0.0.1:", "ws://127.0.0.1:", "data:", "blob:http://127.0.0.1:"))


class OffMachineGuard:
    """Route every request of a browser context; abort and record the ones off the machine."""

    def __init__(self, context):
        self.outside: list[str] = []
        self.seen: list[str] = []
        context.route("**/*", self._handle)
        context.on("request", lambda r: self.seen.append(r.url))

    def _handle(self, route):
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()


def launch(playwright, **context_options):
    """A Chromium context on a fresh profile directory: (context, profile dir).

    Playwright refuses ``--user-data-dir`` in the launch arguments; a persistent
    context on a new empty directory is the same thing.
    """
    profile = tempfile.mkdtemp(prefix="hhsim-chromium-")
    context = playwright.chromium.launch_persistent_context(
        profile, executable_path=chromium_path(), args=LAUNCH_ARGS, headless=True, **context_options)
    return context, profile


def wait_idle(page, timeout_ms: int = 15000) -> None:
    """Until the page's Bokeh document is ready and the spike count is shown."""
    page.wait_for_selector(".hh-nspikes", timeout=timeout_ms)
