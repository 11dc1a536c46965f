"""Atomic output files get ordinary permissions (not mkstemp's private 0600)."""

from __future__ import annotations

import os
import stat

from hhsim.io import atomic_write


def _write(text):
    def write(tmp):
        with open(tmp, "w") as fh:
            fh.write(text)
    return write


def test_new_file_gets_the_umask_mode(tmp_path):
    old = os.umask(0o022)
    try:
        target = tmp_path / "out.csv"
        atomic_write(target, _write("a\n"))
        assert stat.S_IMODE(target.stat().st_mode) == 0o644
        assert target.read_text() == "a\n"
    finally:
        os.umask(old)


def test_replaced_file_keeps_its_mode(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    target.chmod(0o640)
    atomic_write(target, _write("new\n"))
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temporary left behind
