"""The explorer in a real headless browser: Debian's Chromium driven by Playwright.

Every request of the page is routed: anything not to 127.0.0.1 is aborted and
fails the test.  The numbers the page shows are checked against ``hhsim run``
(the command line, in this process) and against independent properties.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import time
import sys

import numpy as np
import pytest

from . import _browser

if _browser.chromium_path() is None:
    pytest.skip("no Chromium on this machine (/usr/bin/chromium); `python3 tasks.py test` installs "
                "Debian's chromium with apt-get", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

from helpers.cli import cli_error, run_cli  # noqa: E402

TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def server():
    srv, url = _browser.start_server()
    yield url
    srv.stop()


@pytest.fixture(scope="module")
def browser_context():
    with sync_api.sync_playwright() as p:
        context, _ = _browser.launch(p, viewport={"width": 1400, "height": 1000})
        guard = _browser.OffMachineGuard(context)
        context.set_default_timeout(TIMEOUT_MS)
        yield context, guard
        context.close()
        assert guard.outside == [], f"requests off the machine: {guard.outside}"


@pytest.fixture
def page(server, browser_context):
    context, guard = browser_context
    pg = context.new_page()
    pg.goto(server, timeout=3 * TIMEOUT_MS)
    _browser.wait_idle(pg, TIMEOUT_MS)
    yield pg
    pg.close()
    assert guard.outside == [], f"requests off the machine: {guard.outside}"


def spikes(page) -> int:
    return int(page.locator(".hh-nspikes").inner_text())


def cli_text(page) -> str:
    return page.locator(".hh-cli").inner_text().strip()


def wait_for_cli(page, fragment: str) -> str:
    """Open the Code tab (tabs render when opened) and wait until the command shows ``fragment``."""
    page.get_by_text("Code", exact=True).first.click()
    sync_api.expect(page.locator(".hh-cli")).to_contain_text(fragment, timeout=TIMEOUT_MS)
    # the element may be redrawn between the wait and the read: read until it holds the fragment
    deadline = time.monotonic() + TIMEOUT_MS / 1000.0
    text = cli_text(page)
    while fragment not in text and time.monotonic() < deadline:
        time.sleep(0.1)
        text = cli_text(page)
    return text


def wait_for_text(page, css: str, text: str, *, exact: bool = True) -> None:
    """Until the element (found through the shadow roots Panel uses) shows ``text``."""
    loc = page.locator(css).first
    if exact:
        sync_api.expect(loc).to_have_text(text, timeout=TIMEOUT_MS)
    else:
        sync_api.expect(loc).to_contain_text(text, timeout=TIMEOUT_MS)


def source_data(page, name: str, column: str) -> np.ndarray:
    values = page.evaluate(f"() => Array.from(Bokeh.documents[0].get_model_by_name({json.dumps(name)})"
                           f".data[{json.dumps(column)}])")
    return np.asarray(values, dtype=float)


def wait_for_data(page, name: str, column: str, timeout_ms: float = 3 * TIMEOUT_MS) -> None:
    """Until the named Bokeh source in the page holds data (it may arrive after the HTML that announces it)."""
    page.wait_for_function(
        f"() => {{ const m = Bokeh.documents.length && Bokeh.documents[0].get_model_by_name({json.dumps(name)});"
        f" return m && m.data[{json.dumps(column)}] && m.data[{json.dumps(column)}].length > 0; }}",
        timeout=timeout_ms)


def type_into(page, css: str, text: str) -> None:
    box = page.locator(f"{css} input").first
    box.fill(text)
    box.press("Enter")


def test_page_loads_with_nothing_from_outside(server, browser_context, page):
    context, guard = browser_context
    # each tab opened and drawn (an element of its own shown) before the next
    for tab, css in (("Rates", None), ("Voltage clamp", ".hh-vc-run"), ("Protocols", ".hh-pr-run"),
                     ("Propagation", ".hh-cb-run"), ("Code", ".hh-cli"), ("Trace", ".hh-next-peak")):
        page.get_by_text(tab, exact=True).first.click()
        if css:
            page.locator(css).first.wait_for()
    page.wait_for_load_state("networkidle")  # every request the tabs made has been answered
    assert guard.outside == []
    assert any("/static/js/bokeh" in u and u.startswith(server) for u in guard.seen)
    assert all(_browser.is_local(u) for u in guard.seen)


def test_gna_slider_changes_the_spike_count_as_hhsim_run_predicts(capsys, page):
    before = spikes(page)
    handle = page.locator(".hh-param-gNa .noUi-handle").first
    handle.focus()
    for _ in range(5):  # PageDown: five slider steps of 1.2 mS/cm² each
        handle.press("PageDown")
    command = wait_for_cli(page, "gNa=90.0")
    code, out, err = run_cli(capsys, "run", "--set", "gNa=90.0", "--stim", "step(amp=10, start=10, dur=30)",
                             "--t-stop", "100", "--json")
    assert code == 0, err
    expected = json.loads(out)["n_spikes"]
    wait_for_text(page, ".hh-nspikes", str(expected))
    assert spikes(page) == expected != before
    assert "--set gNa=90.0" in command


def test_ttx_removes_the_spike(page):
    assert spikes(page) > 0
    type_into(page, ".hh-ttx", "5100")  # 1000 x the IC50 of 5.1 nM
    wait_for_text(page, ".hh-nspikes", "0")
    assert source_data(page, "v_source", "v").max() < -50
    wait_for_cli(page, "--drug ttx=5100.0nM")


def test_clamp_family_runs(page):
    import hhsim

    page.get_by_text("Voltage clamp", exact=True).first.click()
    page.locator(".hh-vc-run button").first.click()
    page.wait_for_selector(".hh-vc-done")
    assert page.locator(".hh-vc-done").inner_text() == "17 steps"
    wait_for_data(page, "vc_iv", "steady")
    v = source_data(page, "vc_iv", "v")
    assert list(v) == list(np.arange(-100.0, 61.0, 10.0))
    # the steady-state current after a 30 ms step is the model's steady-state I-V (from x_inf, no kernel)
    steady = source_data(page, "vc_iv", "steady")
    assert steady == pytest.approx(hhsim.models.get("hh").steady_state_current(v), rel=5e-3, abs=0.1)


def test_show_as_code_reproduces_the_trace(capsys, tmp_path, page):
    type_into(page, ".hh-stim-amp", "15")
    type_into(page, ".hh-param-gK", "30.5")
    command = wait_for_cli(page, "gK=30.5")  # the code and the trace change in one update
    assert "amp=15.0" in command
    snippet = page.locator(".hh-python").inner_text()
    page.get_by_text("Trace", exact=True).first.click()
    page.locator(".hh-next-peak").first.wait_for()
    page_v = source_data(page, "v_source", "v")
    page_t = source_data(page, "v_source", "t")
    out = tmp_path / "trace.csv"
    words = shlex.split(command)
    code, _, err = run_cli(capsys, *words[1:], "--out", str(out))
    assert code == 0, err
    data = np.genfromtxt(out, delimiter=",", names=True)
    assert data["t_ms"] == pytest.approx(page_t, abs=1e-9)
    assert data["v_mV"] == pytest.approx(page_v, abs=1e-7)  # the CSV keeps 10 significant digits
    printed = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, check=True,
                             timeout=120).stdout.split()[0]
    assert int(printed) == spikes(page)


def test_bad_value_shows_a_message(capsys, page):
    type_into(page, ".hh-param-gNa", "-5")
    page.wait_for_selector(".hh-msg")
    _, line = cli_error(capsys, "run", "--set", "gNa=-5")
    assert "hhsim: error: " + page.locator(".hh-msg").inner_text().strip() == line
    assert "Traceback" not in page.content()


@pytest.mark.slow
def test_protocols_in_the_background(page):
    import hhsim

    page.get_by_text("Protocols", exact=True).first.click()
    page.locator(".hh-pr-run button").first.click()
    wait_for_text(page, ".hh-job-status", "finished", exact=False)
    rheobase = float(page.locator(".hh-rheobase").inner_text())
    # independent check of the number shown: a 200 ms step 0.2 % above fires, 0.2 % below does not
    fire = [hhsim.simulate("hh", hhsim.stim.step(rheobase * f, start=5, dur=200), t_stop=225).n_spikes
            for f in (0.998, 1.002)]
    assert fire[0] == 0 and fire[1] >= 1


@pytest.mark.slow
def test_a_running_job_is_cancelled(page):
    """COBAHH (4000 neurons, 1 s) takes several seconds in the worker: cancel it while it runs."""
    page.get_by_text("Network", exact=True).first.click()
    page.locator(".hh-nw-preset select").first.select_option("cobahh")
    type_into(page, ".hh-nw-tstop", "1000")
    page.locator(".hh-nw-run button").first.click()
    wait_for_text(page, ".hh-job-status", "running network", exact=False)
    page.locator(".hh-nw-cancel button").first.click()
    wait_for_text(page, ".hh-job-status", "cancelled", exact=False)
    assert page.locator(".hh-nw-done").count() == 0  # no raster from the cancelled run


@pytest.mark.slow
def test_network_raster_matches_hhsim_network(capsys, page):
    page.get_by_text("Network", exact=True).first.click()
    page.locator(".hh-nw-run button").first.click()
    page.wait_for_selector(".hh-nw-done", timeout=3 * TIMEOUT_MS)
    wait_for_data(page, "raster", "t")
    shown = source_data(page, "raster", "t")
    code, out, err = run_cli(capsys, "network", "--preset", "wang_buzsaki_gamma", "--t-stop", "300.0", "--seed", "1",
                             "--json")
    assert code == 0, err
    expected = json.loads(out)["populations"]["I"]["n_spikes"]
    assert shown.size == expected > 0


@pytest.mark.slow
def test_phase_plane_and_bifurcation_diagram(page):
    import hhsim

    page.get_by_text("Phase plane", exact=True).first.click()
    page.locator(".hh-pp-run button").first.click()
    page.wait_for_selector(".hh-pp-done", timeout=3 * TIMEOUT_MS)
    wait_for_data(page, "equilibria", "x")
    x = source_data(page, "equilibria", "x")
    # at I = 0 the single equilibrium is the resting potential (model.py's own root of the steady-state
    # I-V); Rinzel's reduction (h a fitted linear function of n) moves it by a few µV only
    assert x.size == 1 and x[0] == pytest.approx(hhsim.models.get("hh").resting_potential(), abs=0.02)
    page.locator(".hh-bf-run button").first.click()
    page.wait_for_selector(".hh-bf-done", timeout=3 * TIMEOUT_MS)
    wait_for_data(page, "hopf", "i")
    hopf = source_data(page, "hopf", "i")
    # the squid axon's rest loses stability at 9.78 µA/cm² (Rinzel & Miller 1980, Math Biosci 49:27)
    assert any(abs(h - 9.78) < 0.02 for h in hopf)


@pytest.mark.slow
def test_propagation_kymograph_and_velocity(page):
    page.get_by_text("Propagation", exact=True).first.click()
    page.locator(".hh-cb-run button").first.click()
    page.wait_for_selector(".hh-velocity", timeout=4 * TIMEOUT_MS)
    velocity = float(page.locator(".hh-velocity").inner_text().split()[0])
    # the HH travelling wave on the squid axon at 6.3 °C: 12.314 m/s (README, tests/cable)
    assert velocity == pytest.approx(12.314, rel=0.02)
