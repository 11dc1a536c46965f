#!/usr/bin/env python3
"""Set up hhsim in ./.venv and run the demo or the test suite.

    python3 tasks.py demo     # install (first time) and run `hhsim demo`
    python3 tasks.py test     # install (first time) and run the whole test suite (installs
                              # Debian's chromium with apt-get when missing, for the browser tests)
    python3 tasks.py bench    # install with NEURON and run every script in benchmarks/
    python3 tasks.py docs     # install the docs tools and build the site into docs/_build/html
    python3 tasks.py notebook # install JupyterLab and open the notebook course (examples/notebooks)

Only the Python standard library is used here; everything else is
installed from PyPI into ./.venv.  Extra arguments are passed on
(`python3 tasks.py test -k cli`, `python3 tasks.py demo --outdir out`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
EXTRAS = {"demo": "", "test": "[test]", "bench": "[test,bench]", "docs": "[docs]", "notebook": "[notebook]"}


def ensure_env(extras: str) -> None:
    """Create the venv and (re)install when pyproject.toml or the extras changed."""
    if not PY.exists():
        print(f"creating {VENV} ...", flush=True)
        subprocess.check_call([sys.executable, "-m", "venv", str(VENV)])
    stamp = VENV / f".hhsim-installed{extras.strip('[]').replace(',', '-') or '-base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    print(f"installing hhsim{extras} and its dependencies into {VENV} ...", flush=True)
    subprocess.check_call([str(PY), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    subprocess.check_call([str(PY), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}{extras}"])
    stamp.write_text(digest)


def ensure_chromium() -> None:
    """The explorer's browser tests drive Debian's Chromium (never a downloaded browser):
    install the `chromium` package with apt-get when it is missing and apt-get is there
    (as root, in CI).  Without it those tests skip and say why."""
    if Path("/usr/bin/chromium").exists() or shutil.which("apt-get") is None:
        return
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        print("note: /usr/bin/chromium is missing; `sudo apt-get install chromium` enables the browser tests",
              flush=True)
        return
    print("installing Debian's chromium for the explorer's browser tests ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    quiet = {"stdout": subprocess.DEVNULL}
    if subprocess.call(["apt-get", "update", "-q"], env=env, **quiet) != 0 or subprocess.call(
            ["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"], env=env, **quiet) != 0:
        print("note: apt-get could not install chromium; the browser tests will skip", flush=True)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in EXTRAS:
        print(__doc__)
        return 2
    task, rest = argv[0], argv[1:]
    ensure_env(EXTRAS[task])
    env = dict(os.environ, MPLBACKEND="Agg")
    if task == "demo":
        cmd = [str(BIN / "hhsim"), "demo", *rest]
    elif task == "docs":
        # Sphinx with warnings as errors, every page read afresh (-E: the API pages follow the
        # installed packages); the notebooks' outputs are cached in docs/_build/.jupyter_cache
        out = ROOT / "docs" / "_build" / "html"
        status = subprocess.call([str(PY), "-m", "sphinx", "-E", "-W", "--keep-going", "-q", "-b", "html",
                                  str(ROOT / "docs"), str(out), *rest], cwd=ROOT, env=env)
        if status == 0:
            print(out / "index.html")
        return status
    elif task == "notebook":
        cmd = [str(BIN / "jupyter"), "lab", str(ROOT / "examples" / "notebooks"), *rest]
        env.pop("MPLBACKEND")
    elif task == "test":
        ensure_chromium()
        cmd = [str(PY), "-m", "pytest", "-q", *rest]
    else:
        status = 0
        for script in sorted((ROOT / "benchmarks").glob("[!_]*.py")):
            print(f"== {script.name}", flush=True)
            status |= subprocess.call([str(PY), str(script), *rest], cwd=ROOT, env=env)
        return status
    return subprocess.call(cmd, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
