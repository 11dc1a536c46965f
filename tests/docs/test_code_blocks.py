"""Every runnable code block of the README and the documentation pages (the how-to guides,
getting started, the explanations) runs as written.

Each page runs in a fresh interpreter in its own empty directory (``_blocks.py``): its
Python blocks in order in one namespace, its shell blocks' ``hhsim`` commands through the
console-script entry point.  Blocks fenced ``text`` (or without a language) are
displays: the quick start's ``python3 tasks.py`` lines and commands that need a cluster.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ._blocks import blocks

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)]
RUNNER = Path(__file__).with_name("_blocks.py")


QUICK_START = (
    "python3 tasks.py demo     # sets everything up in ./.venv, then runs `hhsim demo`\n"
    "python3 tasks.py test     # sets everything up in ./.venv, then runs the whole test suite\n"
)


def test_the_readme_is_a_front_page_with_the_quick_start_unchanged():
    readme = ROOT / "README.md"
    assert len(readme.read_text(encoding="utf-8").splitlines()) <= 250
    quick = [b for b in blocks(readme) if "python3 tasks.py demo" in b.text]
    assert len(quick) == 1 and quick[0].kind is None and quick[0].text == QUICK_START


def test_every_how_to_guide_has_code_that_runs():
    for page in (DOCS / "howto").glob("*.md"):
        assert page.name == "index.md" or any(b.kind for b in blocks(page)), f"{page.name} has no runnable block"


@pytest.mark.parametrize("page", [p for p in PAGES if any(b.kind for b in blocks(p))],
                         ids=lambda p: str(p.relative_to(ROOT)).removeprefix("docs/").removesuffix(".md"))
def test_code_blocks_run_as_written(page, tmp_path):
    runnable = [b for b in blocks(page) if b.kind]
    env = dict(os.environ, MPLBACKEND="Agg", PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run([sys.executable, str(RUNNER), str(page)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{page.name}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    ran = [ln for ln in done.stdout.splitlines() if ln.startswith("[docs-block] ")]
    assert len(ran) == len(runnable), ran
