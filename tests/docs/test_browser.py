"""The built site in headless Chromium: the home page, a tutorial with its figures, a how-to
guide and the API page of ``hhsim.simulate`` render, say what they should, and load nothing
from outside the machine.

The browser is Debian's ``/usr/bin/chromium`` (or ``$HHSIM_CHROMIUM``) driven by
Playwright through ``executable_path``; no browser is ever downloaded.  Screenshots go to
the test's temporary directory.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions"]

# page, words its rendered text must hold, least number of images drawn on it
PAGES = [
    ("index.html", ["Hodgkin-Huxley", "Getting started", "Tutorials", "How-to guides", "Reference"], 1),
    ("tutorials/notebooks/02_threshold_all_or_none.html", ["threshold", "µA/cm²", "peak"], 1),
    ("howto/run-and-plot.html", ["Run and plot a neuron", "hhsim run", "plot_result"], 0),
    ("reference/generated/hhsim.simulate.html", ["hhsim.simulate", "Simulate one membrane patch", "t_stop"], 0),
]


def _chromium() -> str | None:
    env = os.environ.get("HHSIM_CHROMIUM")
    for c in ([env] if env else []) + ["/usr/bin/chromium", "/usr/bin/chromium-browser"]:
        if c and Path(c).exists():
            return c
    return shutil.which("chromium")


@pytest.fixture(scope="module")
def browser():
    exe = _chromium()
    if exe is None:
        pytest.skip("no system Chromium (/usr/bin/chromium); `apt-get install chromium` enables this test")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=ARGS)
        yield b
        b.close()


@pytest.mark.parametrize("rel, words, n_images", PAGES, ids=[p[0].split("/")[-1] for p in PAGES])
def test_page_renders_in_chromium(built, browser, tmp_path, rel, words, n_images):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def route(r):
        if r.request.url.startswith(("file://", "data:", "blob:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((built.html / rel).as_uri())
    page.wait_for_load_state("load")
    page.screenshot(path=str(tmp_path / (Path(rel).stem + ".png")), full_page=False)
    text = page.inner_text("main")
    for w in words:
        assert w in text, f"{rel}: {w!r} not on the page"
    # images inside the article that the browser decoded (a figure, not a broken link)
    drawn = page.eval_on_selector_all(
        "main img", "els => els.filter(e => e.complete && e.naturalWidth > 100).length")
    assert drawn >= n_images, f"{rel}: {drawn} figures drawn"
    assert outside == [] and errors == [], (outside, errors)
    assert (tmp_path / (Path(rel).stem + ".png")).stat().st_size > 20_000
    context.close()
