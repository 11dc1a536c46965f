"""``hhsim explore`` from the command line: bad input, and a real server process on 127.0.0.1."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request

import pytest
from helpers.cli import cli_error

from ._browser import free_port


def test_bad_input_one_line(capsys):
    _, line = cli_error(capsys, "explore", "--model", "nope", "--no-browser")
    assert line.startswith("hhsim: error: unknown model 'nope'; available: hh, ")
    _, line = cli_error(capsys, "explore", "--port", "70000", "--no-browser")
    assert "--port" in line and "70000" in line


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on ``port`` (read from /proc/net/tcp*, no traffic)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            addr, p = local.split(":")
            if int(p, 16) == port and state == "0A":  # 0A: LISTEN
                found.add(addr)
    return found


@pytest.mark.slow
def test_serves_an_offline_page_on_localhost_only():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "hhsim.cli.main", "explore", "--no-browser", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        page, deadline = None, time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=60) as resp:
                    page = resp.read().decode()
                break
            except OSError:
                time.sleep(0.3)
        assert page is not None, proc.stdout.read().decode() if proc.poll() is not None else "no answer"
        assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1 and nothing else
        urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", page)
        outside = [u for u in urls if re.match(r"^(https?:)?//", u) and not u.startswith(f"http://127.0.0.1:{port}")]
        assert outside == []
        scripts = [u for u in urls if "static/js/bokeh.min.js" in u]
        assert scripts, "Bokeh's script is not served by the local server"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{scripts[0].lstrip('./')}", timeout=30) as resp:
            assert resp.status == 200 and len(resp.read()) > 100_000
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("name", ["Result", "Model"])
def test_notebook_reprs_are_one_line(name):
    import hhsim

    model = hhsim.models.get("hh")
    r = hhsim.simulate(model, hhsim.stim.step(10, start=10, dur=30), t_stop=50)
    obj = r if name == "Result" else model
    text = repr(obj)
    assert "\n" not in text and len(text) < 120
    html = obj._repr_html_()
    if name == "Result":
        assert text == "<Result hh, dopri5, 50 ms, 2 spikes>"
        assert "n_spikes" in html and "data:image/png;base64," in html
    else:
        assert "gNa" in html and "mS/cm2" in html and "dm/dt" in html
