"""Every runnable code block of the README and the how-to guides runs as written.

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
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs" / "howto").glob("*.md"))]
RUNNER = Path(__file__).with_name("_blocks.py")


def test_the_readme_quick_start_is_a_display_block():
    quick = [b for b in blocks(ROOT / "README.md") if "python3 tasks.py demo" in b.text]
    assert len(quick) == 1 and quick[0].kind is None
    assert "python3 tasks.py test" in quick[0].text


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_code_blocks_run_as_written(page, tmp_path):
    runnable = [b for b in blocks(page) if b.kind]
    if page.name != "index.md":
        assert runnable, f"{page.name} has no runnable block"
    if not runnable:
        return
    env = dict(os.environ, MPLBACKEND="Agg", PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run([sys.executable, str(RUNNER), str(page)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{page.name}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    ran = [ln for ln in done.stdout.splitlines() if ln.startswith("[docs-block] ")]
    assert len(ran) == len(runnable), ran
