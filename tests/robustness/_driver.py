"""Run a list of ``hhsim`` command lines in one process, under resource limits.

Reads a JSON list of argument lists on stdin; for each, runs the CLI entry
point in-process with stdout and stderr captured, and prints one JSON object
per case (argv, exit code, stdout, stderr, files created in the working
directory).  The caller sets the address-space limit (``--mem-gb``) so that a
case that would allocate without checking fails here, not on the machine, and
optionally a file-size limit (``--fsize`` bytes) that stands for a full disk.
"""

from __future__ import annotations

import io
import json
import os
import resource
import sys
from contextlib import redirect_stderr, redirect_stdout


def _limit(mem_gb: float) -> None:
    n = int(mem_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (n, n))


def _files() -> set[str]:
    return {os.path.join(d, f) for d, _, fs in os.walk(".") for f in fs}


def _run(argv: list[str]) -> dict:
    from hhsim.cli.main import main

    before = _files()
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException as exc:  # noqa: BLE001 - reported to the test as a failure
            import traceback

            traceback.print_exc()
            code = f"raised {type(exc).__name__}"
    return {"argv": argv, "code": code, "out": out.getvalue(), "err": err.getvalue(),
            "new_files": sorted(_files() - before)}


def _option(name: str, default: float) -> float:
    return float(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def main() -> None:
    mem_gb = _option("--mem-gb", 4.0)
    fsize = _option("--fsize", 0)
    cases = json.load(sys.stdin)
    import hhsim.cli.main  # noqa: F401 - import (and numba's start-up) before the limit

    _limit(mem_gb)
    if fsize:  # a "full disk": writes beyond fsize bytes fail with EFBIG instead of killing us
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (int(fsize), int(fsize)))
    for argv in cases:
        print(json.dumps(_run(argv)), flush=True)


if __name__ == "__main__":
    main()
