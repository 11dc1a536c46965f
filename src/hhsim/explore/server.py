"""Serving the explorer: a local Bokeh/Panel server bound to 127.0.0.1.

Every browser tab gets its own :class:`~hhsim.explore.app.Explorer`.  The
page's scripts and styles are served by this server itself
(``BOKEH_RESOURCES=server``), so the page works without a network and sends
no request off the machine.

What a page on another site, open in the same browser, could otherwise do
is shut out here:

* the websocket accepts only the explorer's own origin
  (``http://127.0.0.1:PORT`` and ``http://localhost:PORT``, the port read
  back after binding, so ``--port 0`` is covered too);
* session ids are signed with a key made when the server starts (a client
  cannot make one up, nor join another tab's session by guessing its id);
* at most :data:`MAX_SESSIONS` pages live at once (a further load gets a
  one-line page saying so), and a closed page's session, with its
  background job, is released :data:`SESSION_IDLE_S` seconds later.

Background jobs run in worker processes started with ``spawn``: a script
that calls :func:`serve` needs the usual ``if __name__ == "__main__":``
guard (the console command ``hhsim explore`` and notebooks have it).
Started blocking (the command line), the server stops at once on Ctrl-C or
SIGTERM, whatever requests are queued: its workers are ended and the process
exits with 130 or 143, as a shell expects.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import secrets
import signal
import sys
import threading

from ..errors import HHSimError

DEFAULT_PORT = 5006
LOCALHOST = "127.0.0.1"
#: Most explorer pages (Bokeh sessions) alive at once; each holds a few MB.
MAX_SESSIONS = 16
#: A page's session is released this long (s) after its websocket closed, or
#: after it was served if its websocket never opened (time for a slow browser).
SESSION_IDLE_S = 10.0
#: How long a page's signed token stays valid before its websocket must open (s).
TOKEN_LIFETIME_S = 300.0

_BUSY_PAGE = ("<p style='font-family:sans-serif'>The explorer already serves {n} pages, its limit; "
              "close another explorer tab (its memory is released {idle:g} s later) and reload.</p>")


class SessionCount:
    """The live explorer sessions of one server (thread-safe), bounded by ``limit``."""

    def __init__(self, limit: int):
        self.limit = int(limit)
        self._n = 0
        self._lock = threading.Lock()

    @property
    def live(self) -> int:
        return self._n

    def acquire(self) -> bool:
        with self._lock:
            if self._n >= self.limit:
                return False
            self._n += 1
            return True

    def release(self) -> None:
        with self._lock:
            self._n = max(0, self._n - 1)


class ExplorerServer:
    """A running explorer server: its Bokeh ``server``, ``port``, ``url`` and live ``sessions``.

    ``stop()`` stops it (and, when it runs in a thread, waits for the thread).
    """

    def __init__(self, server, sessions: SessionCount, thread: threading.Thread | None = None):
        self.server = server
        self.sessions = sessions
        self._thread = thread

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}/"

    @property
    def allowed_origins(self) -> set[str]:
        return set(self.server._tornado.websocket_origins)

    def stop(self, timeout: float = 10.0) -> None:
        loop = self.server.io_loop
        if self._thread is None:
            self.server.stop()
            return
        if self._thread.is_alive():
            def _stop():
                self.server.stop()
                loop.stop()
            loop.add_callback(_stop)
            self._thread.join(timeout)


def _page_factory(model: str, state, sessions: SessionCount):
    """The function Panel calls for every page load: an Explorer, or the busy page."""
    import panel as pn

    from .app import build

    def page():
        if not sessions.acquire():
            return pn.pane.HTML(_BUSY_PAGE.format(n=sessions.limit, idle=SESSION_IDLE_S),
                                css_classes=["hh-busy"])
        try:
            explorer = build(model, state)
        except BaseException:
            sessions.release()
            raise

        def destroyed(_context):
            sessions.release()
            explorer.close()

        pn.state.on_session_destroyed(destroyed)
        return explorer.servable()

    return page


def _make_server(model, state, port, address, loop, sessions, idle_s):
    """A Bokeh server (not started) that only its own origin and its own signed sessions may use."""
    from panel.io.server import get_server

    idle_ms = max(200, int(idle_s * 1000))
    server = get_server(
        {"/": _page_factory(model, state, sessions)}, port=port, address=address, loop=loop,
        start=False, show=False, title="hhsim explorer",
        sign_sessions=True, secret_key=secrets.token_urlsafe(48).encode(), generate_session_ids=True,
        session_token_expiration=int(TOKEN_LIFETIME_S * 1000),
        unused_session_lifetime_milliseconds=idle_ms,
        check_unused_sessions_milliseconds=max(100, idle_ms // 4),
    )
    # The allowlist is set from the port actually bound (with --port 0 it is known only now).
    origins = server._tornado.websocket_origins
    origins.clear()
    origins.update({f"{LOCALHOST}:{server.port}", f"localhost:{server.port}"})
    return server


def _end_workers() -> None:
    """Terminate the explorer's background-job processes (the server is going away)."""
    children = mp.active_children()
    for p in children:
        p.terminate()
    for p in children:
        p.join(timeout=1.0)


def _install_stop_signals() -> None:
    """Ctrl-C and SIGTERM end the process now (130, 143), whatever the event loop has queued.

    The server keeps nothing on disk, so nothing needs a graceful drain; a
    flag for the loop would wait behind every queued page build.
    """
    def stop(signum, _frame):
        _end_workers()
        word = "interrupted" if signum == signal.SIGINT else "terminated"
        try:
            sys.stdout.flush()
            sys.stderr.write(f"hhsim: {word}\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os._exit(130 if signum == signal.SIGINT else 143)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def serve(model: str = "hh", *, port: int = DEFAULT_PORT, address: str = LOCALHOST, show: bool = True,
          threaded: bool = False, state=None, max_sessions: int = MAX_SESSIONS,
          session_idle_s: float = SESSION_IDLE_S) -> ExplorerServer:
    """Serve the explorer on ``http://address:port/``.

    Blocking (the default) until Ctrl-C or SIGTERM, which end the process
    with status 130 or 143; ``threaded=True`` returns at once with an
    :class:`ExplorerServer` running in a thread (``.stop()`` stops it).
    ``port=0`` picks a free port (read it back from ``server.port``).
    ``max_sessions`` bounds the pages alive at once; ``session_idle_s`` is
    how long after its page closed a session is released.
    """
    from .. import models as _models

    _models.get(model)  # an unknown model is refused before anything heavy is imported
    if isinstance(port, bool) or not (isinstance(port, int) and 0 <= port <= 65535):
        raise HHSimError(f"--port must be a whole number from 0 to 65535 (got {port!r})")
    if isinstance(max_sessions, bool) or not isinstance(max_sessions, int) or not 1 <= max_sessions <= 1000:
        raise HHSimError(f"max_sessions must be a whole number from 1 to 1000 (got {max_sessions!r})")
    if not (isinstance(session_idle_s, (int, float)) and 0.2 <= session_idle_s <= 3600):
        raise HHSimError(f"session_idle_s must be a number of seconds from 0.2 to 3600 (got {session_idle_s!r})")
    os.environ["BOKEH_RESOURCES"] = "server"  # scripts from this server, never from a CDN
    os.environ.pop("BOKEH_ALLOW_WS_ORIGIN", None)  # it would replace the allowlist set below
    try:
        import panel  # noqa: F401
        from tornado.ioloop import IOLoop
    except ImportError as exc:
        raise HHSimError(f"the explorer needs Panel and Bokeh: pip install 'hhsim[explore]' ({exc.name} missing)") \
            from None
    sessions = SessionCount(max_sessions)

    if not threaded:
        try:
            server = _make_server(model, state, port, address, None, sessions, session_idle_s)
        except OSError as exc:
            raise HHSimError(f"cannot listen on {address}:{port}: {exc.strerror or exc}; try another --port") from None
        if threading.current_thread() is threading.main_thread():
            _install_stop_signals()
        out = ExplorerServer(server, sessions)
        server.start()
        print(f"hhsim explorer at {out.url} (stop with Ctrl-C)", flush=True)
        if show:
            server.io_loop.add_callback(lambda: server.show("/"))
        server.io_loop.start()
        return out

    ready = threading.Event()
    box: dict = {}

    def run():
        asyncio.set_event_loop(asyncio.new_event_loop())
        loop = IOLoop.current()
        try:
            box["server"] = _make_server(model, state, port, address, loop, sessions, session_idle_s)
        except BaseException as exc:  # reported in the caller's thread
            box["error"] = exc
            ready.set()
            return
        box["server"].start()
        ready.set()
        loop.start()
        loop.close(all_fds=True)

    thread = threading.Thread(target=run, name="hhsim-explorer", daemon=True)
    thread.start()
    ready.wait(120)
    if "error" in box:
        exc = box["error"]
        if isinstance(exc, OSError):
            raise HHSimError(f"cannot listen on {address}:{port}: {exc.strerror or exc}; try another --port") from None
        raise exc
    if "server" not in box:
        raise HHSimError("the explorer server did not start within 120 s")
    out = ExplorerServer(box["server"], sessions, thread)
    if show:
        box["server"].io_loop.add_callback(lambda: box["server"].show("/"))
    return out
