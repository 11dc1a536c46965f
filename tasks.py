#!/usr/bin/env python3
"""Set up hhsim in ./.venv and run the demo or the test suite.

    python3 tasks.py demo     # install (first time) and run `hhsim demo`, then compile the
                              # engine's fixed kernels once (`hhsim prebuild`)
    python3 tasks.py test     # install (first time), `hhsim prebuild`, and run the whole test suite, one process
                              # per core (installs Debian's chromium and a Java runtime with
                              # apt-get when missing; `-n 0` runs it in one process)
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


#: Debian packages the test suite uses when present: (program, package, what needs it).
DEBIAN_TOOLS = (
    ("/usr/bin/chromium", "chromium", "the browser tests (explorer, documentation)"),
    ("java", "default-jre-headless", "the jNeuroML cross-checks of the NeuroML tests"),
)


def ensure_debian_tools() -> None:
    """Install with apt-get the Debian packages of :data:`DEBIAN_TOOLS` that are missing
    (as root, in CI; never a downloaded browser or runtime).  Without them the tests that
    need them skip and say why."""
    missing = [(pkg, why) for prog, pkg, why in DEBIAN_TOOLS
               if not (Path(prog).exists() if prog.startswith("/") else shutil.which(prog))]
    if not missing or shutil.which("apt-get") is None:
        return
    names = " ".join(pkg for pkg, _ in missing)
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        print(f"note: `sudo apt-get install {names}` enables " + "; ".join(why for _, why in missing), flush=True)
        return
    print(f"installing Debian's {names} for " + "; ".join(why for _, why in missing) + " ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    quiet = {"stdout": subprocess.DEVNULL}
    if subprocess.call(["apt-get", "update", "-q"], env=env, **quiet) != 0:
        print("note: apt-get update failed; the tests that need these packages will skip", flush=True)
        return
    for pkg, why in missing:
        if subprocess.call(["apt-get", "install", "-y", "-q", "--no-install-recommends", pkg], env=env, **quiet) != 0:
            print(f"note: apt-get could not install {pkg}; {why} will skip", flush=True)


def write_bytecode() -> None:
    """Write the bytecode of hhsim's own modules, as ``pip install`` does for a regular
    installation.  An editable one gets it only on first import, and never where
    ``PYTHONDONTWRITEBYTECODE`` is set: every ``hhsim`` process there compiled its ~140
    modules again (0.35-0.45 s of each start).  Up-to-date files are skipped."""
    subprocess.call([str(PY), "-m", "compileall", "-q", "-j", "0", str(ROOT / "src" / "hhsim")])


def prebuild() -> None:
    """Compile the engine's fixed kernels once for these sources (`hhsim prebuild`: a first
    run then compiles only its model's functions; nothing to do when they are there).
    A failure only costs time later, so it is reported and the task goes on."""
    try:
        done = subprocess.call([str(BIN / "hhsim"), "prebuild"]) == 0
    except KeyboardInterrupt:
        done = False
    if not done:
        print("note: the fixed kernels were not prebuilt; they will compile on first use", flush=True)


#: Test processes at most: most of a first run is compiling kernels, which
#: workers share through the kernel cache; more than this gains little.
MAX_TEST_WORKERS = 4


def test_workers(rest: list[str]) -> list[str]:
    """pytest-xdist's ``-n`` for the suite: one worker per core (at most
    MAX_TEST_WORKERS), none on one core or when the caller chose (``-n``, ``-p no:xdist``)."""
    chosen = any(a == "-n" or a.startswith(("-n=", "--numprocesses")) or a == "no:xdist" for a in rest)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    workers = min(cores, MAX_TEST_WORKERS)
    # loadgroup: tests marked with one xdist_group (those reading the built documentation
    # site) share a worker, so the site is built once
    return [] if chosen or workers < 2 else ["-n", str(workers), "--dist", "loadgroup"]


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in EXTRAS:
        print(__doc__)
        return 2
    task, rest = argv[0], argv[1:]
    ensure_env(EXTRAS[task])
    write_bytecode()
    env = dict(os.environ, MPLBACKEND="Agg")
    if task == "demo":
        status = subprocess.call([str(BIN / "hhsim"), "demo", *rest], cwd=ROOT, env=env)
        if status == 0:  # the demo first: the action potential before the one-time compile
            print("compiling the fixed kernels once for this installation (hhsim prebuild; Ctrl-C skips it) ...",
                  flush=True)
            prebuild()
        return status
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
        ensure_debian_tools()
        prebuild()
        cmd = [str(PY), "-m", "pytest", "-q", *test_workers(rest), *rest]
    else:
        prebuild()
        status = 0
        for script in sorted((ROOT / "benchmarks").glob("[!_]*.py")):
            print(f"== {script.name}", flush=True)
            status |= subprocess.call([str(PY), str(script), *rest], cwd=ROOT, env=env)
        return status
    return subprocess.call(cmd, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
