"""Fenced code blocks of a Markdown page, and running them as a reader would.

A block runs when its fence names a language we run: ``python`` (all the page's Python
blocks in order, in one namespace, as one reader's interpreter session) and ``sh``,
``bash`` or ``console`` (each command line; an ``hhsim`` command goes through the
console-script entry point ``hhsim.cli.main.main`` in this process, anything else
through the shell; a block with a here-document, a pipe, a redirection or another
shell construct runs whole in ``bash -e``, with ``.venv/bin`` on the ``PATH``).  Blocks fenced ``text`` or without a language are displays (the
quick start's ``python3 tasks.py ...``, commands that need a cluster) and do not run.

``python _blocks.py PAGE.md`` runs the page's blocks in the current directory and exits
non-zero at the first failure, naming the page and line.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

RUN = {"python": "python", "sh": "sh", "bash": "sh", "console": "sh"}
_FENCE = re.compile(r"^(`{3,}|~{3,})\s*([^\s`{]*)\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced block: its language (as fenced), first line number and text."""

    lang: str
    line: int
    text: str

    @property
    def kind(self) -> str | None:
        return RUN.get(self.lang.lower())


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown file (MyST directives ```` ```{name} ```` are not code)."""
    out, lines, i = [], path.read_text(encoding="utf-8").splitlines(), 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, start, body = m.group(1), i + 1, []
        i += 1
        while i < len(lines) and not lines[i].startswith(fence):
            body.append(lines[i])
            i += 1
        out.append(Block(m.group(2), start, "\n".join(body) + "\n"))
        i += 1
    return out


def commands(text: str) -> list[str]:
    """Shell command lines of a block: continuations joined, blank and comment lines dropped."""
    joined = text.replace("\\\n", " ")
    return [ln for ln in joined.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


def run_command(line: str, where: str) -> None:
    argv = shlex.split(line, comments=True)
    if argv and argv[0] == "hhsim":
        from hhsim.cli.main import main

        try:
            main(argv[1:])
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise AssertionError(f"{where}: `{line}` exited with status {exc.code}") from None
        return
    done = subprocess.run(line, shell=True)
    if done.returncode:
        raise AssertionError(f"{where}: `{line}` exited with status {done.returncode}")


#: Shell syntax beyond one plain command per line: such a block runs whole, in bash.
_SHELL = re.compile(r"<<|\|\||&&|[|;<>`$]")


def needs_shell(text: str) -> bool:
    return "<<" in text or any(_SHELL.search(ln.split(" #")[0]) for ln in commands(text))


def run_script(text: str, where: str) -> None:
    done = subprocess.run(["bash", "-e", "-c", text])
    if done.returncode:
        raise AssertionError(f"{where}: the block exited with status {done.returncode}")


def run_page(path: Path) -> None:
    namespace: dict = {"__name__": "__main__"}
    for b in blocks(path):
        if b.kind is None:
            continue
        where = f"{path.name}:{b.line}"
        t0 = time.perf_counter()
        if b.kind == "python":
            # the documentation's own code, run as a reader runs it
            exec(compile(b.text, where, "exec"), namespace)  # noqa: S102
        elif needs_shell(b.text):
            run_script(b.text, where)
        else:
            for line in commands(b.text):
                run_command(line, where)
        print(f"[docs-block] {where} ({b.lang}) {time.perf_counter() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    run_page(Path(sys.argv[1]))
