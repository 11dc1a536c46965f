"""The documentation site, built once per test session (Sphinx, warnings as errors).

The build executes one notebook of the course (``HHSIM_DOCS_EXECUTE``) so that a tutorial
page carries its figures; the others are rendered as stored (``tests/explore`` executes
every notebook and checks their figures).  The gallery scripts run as in every build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EXECUTED = "02_threshold_all_or_none"
GENERATED = {"_build", "gallery", "sg_execution_times.rst", "reference/generated"}  # made by a build


@dataclass(frozen=True)
class Site:
    html: Path
    returncode: int
    log: str
    seconds: float


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Site:
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_nb")
    pytest.importorskip("pydata_sphinx_theme")
    base = tmp_path_factory.mktemp("site")
    # a private copy of the sources: the build writes the gallery, the API pages and the
    # notebook cache beside them, and another session may be building the same tree
    src = base / "docs"
    shutil.copytree(DOCS, src, symlinks=True,
                    ignore=lambda d, names: [n for n in names
                                             if (Path(d) / n).relative_to(DOCS).as_posix() in GENERATED])
    (base / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    out = base / "html"
    env = dict(os.environ, HHSIM_DOCS_EXECUTE=EXECUTED, MPLBACKEND="Agg")
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                           str(src), str(out)], cwd=base, env=env, capture_output=True, text=True,
                          timeout=900)
    return Site(out, done.returncode, done.stdout + done.stderr, time.perf_counter() - t0)


@pytest.fixture(scope="session")
def built(site) -> Site:
    """The site, after checking that it built without a warning."""
    assert site.returncode == 0, site.log[-4000:]
    return site


def pytest_collection_modifyitems(items):
    """Every test that reads the built site runs on one xdist worker (``--dist loadgroup``,
    as ``tasks.py test`` runs the suite), so the site is built once, not once per worker."""
    for item in items:
        if {"site", "built"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group("docs_site"))
