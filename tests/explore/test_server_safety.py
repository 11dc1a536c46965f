"""The explorer server against a hostile page and a careless user (issue 24, item 1).

* a websocket from another origin is refused (with a fixed port and with ``--port 0``);
* a session id or token made up by the client is refused;
* the number of live pages is bounded, and a closed page's memory is given back;
* Ctrl-C and SIGTERM stop ``hhsim explore`` at once, with requests queued (130, 143).
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

pytest.importorskip("panel")
psutil = pytest.importorskip("psutil")

from tornado.httpclient import HTTPClientError, HTTPRequest  # noqa: E402
from tornado.websocket import websocket_connect  # noqa: E402

from hhsim.explore.server import serve  # noqa: E402

SERVER_SCRIPT = """
import sys
from hhsim.explore.server import serve
if __name__ == "__main__":
    serve("hh", port=0, show=False, session_idle_s=float(sys.argv[1]), max_sessions=int(sys.argv[2]))
"""


@pytest.fixture(scope="module")
def server():
    s = serve("hh", port=0, show=False, threaded=True, session_idle_s=1.0, max_sessions=3)
    yield s
    s.stop()


def _token(url: str) -> str:
    page = urllib.request.urlopen(url, timeout=120).read().decode()
    return re.search(r'"token":"([^"]+)"', page).group(1)


def _ws(port: int, origin: str, token: str) -> str:
    """Open the explorer's websocket with ``Origin: origin``: 'open' (the server's first
    message came), 'closed' (the server hung up at once) or 'refused <HTTP status>'."""
    async def attempt():
        req = HTTPRequest(f"ws://127.0.0.1:{port}/ws", headers={"Origin": origin},
                          connect_timeout=30, request_timeout=60)
        try:
            conn = await websocket_connect(req, subprotocols=["bokeh", token])
        except HTTPClientError as exc:
            return f"refused {exc.code}"
        first = await asyncio.wait_for(conn.read_message(), 60)
        conn.close()
        return "open" if first is not None else "closed"

    return asyncio.run(attempt())


def test_port_zero_allows_only_its_own_origin(server):
    assert server.port > 0
    assert server.allowed_origins == {f"127.0.0.1:{server.port}", f"localhost:{server.port}"}


@pytest.mark.parametrize("origin", ["http://evil.example", "http://127.0.0.1:1", "http://localhost.evil.example:{port}",
                                    "null"])
def test_a_foreign_origin_is_refused(server, origin):
    token = _token(server.url)
    assert _ws(server.port, origin.format(port=server.port), token) == "refused 403"


def test_the_own_origin_is_accepted(server):
    assert _ws(server.port, f"http://127.0.0.1:{server.port}", _token(server.url)) == "open"


def test_a_made_up_session_id_or_token_is_refused(server):
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(server.url + "?bokeh-session-id=made-up-by-the-client", timeout=60)
    assert err.value.code == 403
    real = _token(server.url)
    forged = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")  # a changed signature
    assert _ws(server.port, f"http://127.0.0.1:{server.port}", forged) == "closed"


def test_live_pages_are_bounded():
    s = serve("hh", port=0, show=False, threaded=True, session_idle_s=30.0, max_sessions=2)
    try:
        for _ in range(3):
            assert urllib.request.urlopen(s.url, timeout=120).status == 200
        assert s.sessions.live == 2  # the third load got the one-line refusal page, no explorer
    finally:
        s.stop()


def _rss_mb(proc) -> float:
    return psutil.Process(proc.pid).memory_info().rss / 1e6


def _start_cli_server(args):
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+/", line)
    assert match, line + proc.stderr.read()
    return proc, match.group(0)


@pytest.mark.slow  # 100 real page loads: about 40 s on a quiet 2-core machine
def test_memory_comes_back_after_100_pages_close(tmp_path):
    script = tmp_path / "serve.py"
    script.write_text(SERVER_SCRIPT)
    idle_s = 1.0
    proc, url = _start_cli_server([sys.executable, str(script), str(idle_s), "200"])
    try:
        for _ in range(2):  # the first pages import and warm everything a page needs
            urllib.request.urlopen(url, timeout=120).read()
        time.sleep(3 * idle_s)
        start = _rss_mb(proc)
        for _ in range(100):
            urllib.request.urlopen(url, timeout=120).read()
        deadline, rss = time.monotonic() + 30, _rss_mb(proc)
        while time.monotonic() < deadline and rss > 1.2 * start:
            time.sleep(0.5)
            rss = _rss_mb(proc)
        assert rss <= 1.2 * start, f"{start:.0f} MB at the start, {rss:.0f} MB after 100 pages closed"
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signals_stop_the_server_with_loads_queued(sig, code):
    proc, url = _start_cli_server([sys.executable, "-m", "hhsim.cli.main", "explore", "--no-browser", "--port", "0"])
    try:
        def load():
            try:
                urllib.request.urlopen(url, timeout=60).read()
            except OSError:
                pass
        for _ in range(6):  # queued page builds, the loop busy with the first
            threading.Thread(target=load, daemon=True).start()
        time.sleep(0.5)
        t0 = time.monotonic()
        proc.send_signal(sig)
        rc = proc.wait(timeout=20)
        assert rc == code
        assert time.monotonic() - t0 < 10
        err = proc.stderr.read()
        assert "Traceback" not in err
        assert err.strip().splitlines()[-1] == ("hhsim: interrupted" if code == 130 else "hhsim: terminated")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
