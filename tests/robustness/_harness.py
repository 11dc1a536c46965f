"""Run hostile inputs in child processes that cannot take the machine down.

Every child gets a wall-clock limit and an address-space limit
(``resource.setrlimit(RLIMIT_AS)``, a few GB); many cases share one child
(``_driver.py``) to keep the directory fast.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "_driver.py"
MEM_GB = 3.0


@dataclass
class Outcome:
    argv: list
    code: object
    out: str
    err: str
    new_files: list

    def explain(self) -> str:
        return f"hhsim {' '.join(map(str, self.argv))[:300]}\n-> {self.code}\nstdout: {self.out[-500:]}\nstderr: {self.err[-1500:]}"


def limits(mem_gb: float = MEM_GB):
    """A ``preexec_fn`` that caps the child's address space at ``mem_gb`` GB."""

    def apply():
        n = int(mem_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (n, n))

    return apply


def child_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST", "COV_")) and k not in ("HHSIM_MAX_MEMORY", "HHSIM_MAX_INPUT_BYTES")}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_batch(cases: list[list[str]], cwd: Path, timeout: float = 120, mem_gb: float = MEM_GB,
              env: dict | None = None, fsize: int = 0) -> list[Outcome]:
    """Run every ``hhsim`` argument list in one limited child; one Outcome each
    (``fsize``: a file-size limit in bytes that makes writes fail like a full disk)."""
    try:
        proc = subprocess.run(
            [sys.executable, str(DRIVER), "--mem-gb", str(mem_gb), "--fsize", str(fsize)],
            input=json.dumps(cases), capture_output=True, text=True, timeout=timeout,
            cwd=cwd, env=env or child_env(),
        )
    except subprocess.TimeoutExpired as exc:
        done = (exc.stdout or b"").decode().count("\n") if isinstance(exc.stdout, bytes) else (exc.stdout or "").count("\n")
        raise AssertionError(f"hung: hhsim {' '.join(cases[done]) if done < len(cases) else '?'} "
                             f"(case {done + 1} of {len(cases)}) did not finish within {timeout} s") from None
    results = [Outcome(**json.loads(line)) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(results) == len(cases), f"driver stopped ({proc.returncode}): {proc.stderr[-3000:]}"
    return results


def assert_one_line_refusal(o: Outcome, code: int = 2, *, contains: tuple[str, ...] = ()) -> str:
    """Exit ``code``, exactly one line on stderr, no traceback, no file left behind."""
    lines = o.err.strip().splitlines()
    assert o.code == code, o.explain()
    assert "Traceback" not in o.err, o.explain()
    assert len(lines) == 1, o.explain()
    assert len(lines[0]) < 500, o.explain()  # messages are cut at 480 characters
    assert not o.new_files, o.explain()
    for word in contains:
        assert word.lower() in lines[0].lower(), o.explain()
    return lines[0]


def by_argv(outcomes: list[Outcome]) -> dict[str, Outcome]:
    return {" ".join(o.argv): o for o in outcomes}
