"""Explorer benchmark: from a slider change to the redrawn trace, in a real browser.

The explorer is served on 127.0.0.1 (in this process) and loaded in Debian's
headless Chromium driven by Playwright (no downloaded browser; every request
off the machine is aborted and reported).  The trace is 100 ms of ``hh``
(10 µA/cm² from 10 to 40 ms, dopri5 at its defaults).  Each sample is one
keyboard step of the gNa slider (ArrowLeft or ArrowRight on its handle):

* t0: the keydown, taken in the page (a capturing listener on the document);
* t1: the first animation frame after the browser has received the new V
  data (the ``change`` event of the Bokeh source holding V, then
  ``requestAnimationFrame``), i.e. the trace as redrawn on screen.

The median of t1 - t0 is the figure (target: under 100 ms).  Printed beside
it, the peers a student would otherwise use for the same change: the
library call alone (``hhsim.simulate``, the floor of any front end) and a
fresh ``hhsim run --set gNa=... --json`` process; and the framework's own floor, a Panel page with
the same slider whose callback only refills a 4001-point line, measured the same way.  The page is saved as a
screenshot (default ``docs/explorer.png``, the README's picture).

Usage::

    .venv/bin/python benchmarks/explorer.py [--n 40] [--screenshot docs/explorer.png] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests" / "explore"))  # the browser helpers the tests use

import _browser  # noqa: E402
from _timing import best_of  # noqa: E402

LISTEN = """() => {
  window.__hh = {t0: null, lat: []};
  document.addEventListener('keydown', () => { window.__hh.t0 = performance.now(); }, true);
  const src = Bokeh.documents[0].get_model_by_name('v_source');
  src.change.connect(() => {
    const t0 = window.__hh.t0;
    requestAnimationFrame(() => { if (t0 !== null) { window.__hh.lat.push(performance.now() - t0); window.__hh.t0 = null; } });
  });
}"""


def floor_page():
    """The framework's floor: one Panel slider whose callback only refills a 4001-point line
    (no simulation), served and measured exactly like the explorer."""
    import numpy as np
    import panel as pn
    from bokeh.models import ColumnDataSource
    from bokeh.plotting import figure

    t = np.arange(4001) * 0.025
    src = ColumnDataSource({"t": t, "v": np.zeros_like(t)}, name="v_source")
    fig = figure(height=260, sizing_mode="stretch_width")
    fig.line("t", "v", source=src)
    slider = pn.widgets.EditableFloatSlider(name="gNa", start=0, end=360, step=1.2, value=120,
                                            css_classes=["hh-param-gNa"])
    slider.param.watch(lambda e: setattr(src, "data", {"t": t, "v": np.sin(t * e.new / 100)}), "value")
    return pn.Column(slider, pn.pane.Bokeh(fig, sizing_mode="stretch_width"),
                     pn.pane.HTML("<span class='hh-nspikes'>-</span>"))


def start_floor_server():
    import os

    os.environ["BOKEH_RESOURCES"] = "server"
    import panel as pn

    port = _browser.free_port()
    server = pn.serve({"/": floor_page}, port=port, address="127.0.0.1", show=False, threaded=True,
                      websocket_origin=[f"127.0.0.1:{port}"])
    time.sleep(1.0)
    return server, f"http://127.0.0.1:{port}/"


def browser_latencies(n: int, screenshot: Path | None, floor: bool = False) -> tuple[list[float], list[str]]:
    from playwright.sync_api import sync_playwright

    server, url = start_floor_server() if floor else _browser.start_server("hh")
    try:
        with sync_playwright() as p:
            context, _ = _browser.launch(p, viewport={"width": 1400, "height": 1000})
            guard = _browser.OffMachineGuard(context)
            page = context.new_page()
            page.goto(url, timeout=180_000)
            _browser.wait_idle(page, 180_000)
            page.evaluate(LISTEN)
            handle = page.locator(".hh-param-gNa .noUi-handle").first
            handle.focus()
            for k in range(n + 3):  # the first 3 warm the path up
                before = page.evaluate("() => window.__hh.lat.length")
                handle.press("ArrowLeft" if k % 2 == 0 else "ArrowRight")
                page.wait_for_function(f"() => window.__hh.lat.length > {before}", timeout=30_000)
                page.wait_for_timeout(50)
            lat = page.evaluate("() => window.__hh.lat")[3:]
            if screenshot is not None:
                handle.press("Escape")
                page.locator(".hh-param-gNa input").first.fill("120")
                page.locator(".hh-param-gNa input").first.press("Enter")
                page.wait_for_timeout(1500)
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot))
            context.close()
            return lat, guard.outside
    finally:
        server.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=40, help="slider changes measured (default 40)")
    ap.add_argument("--screenshot", default=str(ROOT / "docs" / "explorer.png"), help="PNG of the page ('' for none)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if _browser.chromium_path() is None:
        print("no Chromium (/usr/bin/chromium): install Debian's chromium package", file=sys.stderr)
        return 2

    import hhsim
    from hhsim.explore.state import ExplorerState, compute

    model = hhsim.models.get("hh").with_params(gNa=118.8)
    stim = hhsim.stim.step(10, start=10, dur=30)
    hhsim.simulate(model, stim, t_stop=100)
    t_sim = best_of(lambda: hhsim.simulate(model, stim, t_stop=100), 50)
    state = ExplorerState(params=(("gNa", 118.8),))
    t_state = best_of(lambda: compute(state), 20)
    cmd = [str(Path(sys.executable).with_name("hhsim")), "run", "--set", "gNa=118.8", "--stim",
           "step(amp=10, start=10, dur=30)", "--t-stop", "100", "--json"]
    t_cli = best_of(lambda: subprocess.run(cmd, check=True, capture_output=True), 3)

    lat, outside = browser_latencies(args.n, Path(args.screenshot) if args.screenshot else None)
    floor, _ = browser_latencies(args.n, None, floor=True)
    med, med_floor = statistics.median(lat), statistics.median(floor)
    q = statistics.quantiles(lat, n=10)
    out = {
        "slider_to_redraw_median_ms": med, "slider_to_redraw_p10_ms": q[0], "slider_to_redraw_p90_ms": q[-1],
        "slider_to_redraw_max_ms": max(lat), "samples": len(lat), "framework_floor_median_ms": med_floor,
        "simulate_100ms_hh_ms": t_sim * 1e3, "state_to_traces_ms": t_state * 1e3,
        "hhsim_run_process_ms": t_cli * 1e3, "requests_off_machine": outside,
        "target_ms": 100.0, "met": med < 100.0,
    }
    if args.json:
        print(json.dumps(out))
        return 0
    print("explorer: 100 ms of hh, one gNa slider step -> trace redrawn in Chromium (headless)")
    print(f"  slider -> redrawn trace   median {med:7.1f} ms   (p10 {q[0]:.1f}, p90 {q[-1]:.1f}, max {max(lat):.1f}; "
          f"{len(lat)} changes; target < 100 ms: {'met' if med < 100 else 'NOT met'})")
    print(f"  framework floor           median {med_floor:7.1f} ms   (the same slider and a 4001-point line, no simulation; "
          f"explorer / floor = {med / med_floor:.2f}x)")
    print(f"  hhsim.simulate alone      best   {t_sim * 1e3:7.2f} ms   (the library call; explorer / call = {med / (t_sim * 1e3):.0f}x)")
    print(f"  state -> traces           best   {t_state * 1e3:7.2f} ms   (simulate + currents, conductances, peaks)")
    print(f"  `hhsim run` process       best   {t_cli * 1e3:7.1f} ms   (a new command per change; "
          f"{t_cli * 1e3 / med:.1f}x the explorer's median)")
    print(f"  requests off the machine: {len(outside)}")
    if args.screenshot:
        print(f"  screenshot: {args.screenshot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
