"""hhsim's own processes (the command line, the compile worker) freeze the objects alive
at exit so that the interpreter's last collections skip them (hhsim.quick_exit); a
program that only imports the library keeps Python's usual shutdown."""

from __future__ import annotations

import subprocess
import sys

#: Registered before anything of hhsim: atexit runs handlers last-in first-out, so this
#: one runs after any handler hhsim registered and sees what the process leaves frozen.
REPORT = "import atexit, gc, sys\natexit.register(lambda: print('frozen', gc.get_freeze_count()))\n"


def _frozen_at_exit(code: str) -> int:
    done = subprocess.run([sys.executable, "-c", REPORT + code], capture_output=True, text=True, timeout=120,
                          check=True)
    return int(done.stdout.strip().splitlines()[-1].split()[1])


def test_the_command_line_freezes_at_exit():
    assert _frozen_at_exit("from hhsim.cli.main import main\nmain(['--version'])\n") > 1000


def test_the_compile_worker_freezes_at_exit():
    # a name it refuses: it installs first, then prints its usage line
    assert _frozen_at_exit("from hhsim.engine.compile_worker import main\nmain(['nothing'])\n") > 1000


def test_importing_the_library_changes_nothing_at_exit():
    assert _frozen_at_exit("import hhsim.engine.solvers.dopri5_driver\n") == 0
