"""Class 6 (the issue's section 6): output files.

* SIGTERM, like SIGINT, removes the hidden temporary file of a write in
  progress (it left a 22 MB ``.part``) and leaves no output;
* an output path that is a symbolic link writes the link's target and keeps
  the link; a link to a device is refused and no file appears (it left a
  0666 regular file where the device was);
* a new file gets 0666 less the umask, a replaced file keeps its mode;
* standard output on a full device is one line, exit 2.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time

import pytest

from ._harness import assert_one_line_refusal, child_env, limits, run_batch

HHSIM = [sys.executable, "-m", "hhsim.cli.main"]


@pytest.mark.parametrize("sig, code, word", [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")])
def test_a_signal_during_a_write_leaves_no_file(tmp_path, sig, code, word):
    """Signal the process while its temporary output file exists (a long CSV being written)."""
    proc = subprocess.Popen(HHSIM + ["run", "--t-stop", "2e4", "--method", "rk4", "--out", "trace.csv"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                            env=child_env(), preexec_fn=limits())
    deadline = time.monotonic() + 120
    part = []
    while not part and proc.poll() is None and time.monotonic() < deadline:
        part = [p for p in tmp_path.iterdir() if p.name.endswith(".part.csv")]
        time.sleep(0.02)
    assert part, "no temporary file appeared (the run ended or took too long)"
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert err.strip().splitlines() == [f"hhsim: {word}"], err
    assert list(tmp_path.iterdir()) == []


def test_links_devices_and_modes(tmp_path):
    (tmp_path / "kept.csv").write_text("old\n")
    os.chmod(tmp_path / "kept.csv", 0o640)
    os.symlink("kept.csv", tmp_path / "link.csv")
    os.symlink("/dev/full", tmp_path / "full.csv")
    os.symlink("/dev/null", tmp_path / "null.png")
    os.mkfifo(tmp_path / "fifo.csv")
    refused = [["run", "--t-stop", "5", "--out", "full.csv"], ["run", "--t-stop", "5", "--plot", "null.png"],
               ["run", "--t-stop", "5", "--out", "fifo.csv"]]
    written = [["run", "--t-stop", "5", "--out", "link.csv"], ["run", "--t-stop", "5", "--out", "new.csv"]]
    before = sorted(os.listdir(tmp_path))
    outcomes = run_batch(refused + written, tmp_path, timeout=180)
    for o in outcomes[: len(refused)]:
        assert_one_line_refusal(o, contains=("not a regular file",))
    for o in outcomes[len(refused):]:
        assert o.code == 0, o.explain()
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode) and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert os.readlink(tmp_path / "link.csv") == "kept.csv"  # the link is kept ...
    assert (tmp_path / "kept.csv").read_text().startswith("t_ms")  # ... and its target written
    assert stat.S_IMODE(os.stat(tmp_path / "kept.csv").st_mode) == 0o640  # with the target's mode
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "new.csv").st_mode) == 0o666 & ~umask
    assert sorted(os.listdir(tmp_path)) == sorted(before + ["new.csv"])


def test_stdout_on_a_full_device_is_one_line(tmp_path):
    with open("/dev/full", "w") as full:
        proc = subprocess.run(HHSIM + ["models"], stdout=full, stderr=subprocess.PIPE, text=True, timeout=120,
                              env=child_env(), preexec_fn=limits(), cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "standard output" in lines[0] and "No space left" in lines[0], proc.stderr
