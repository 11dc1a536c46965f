"""The prebuilt fixed kernels (issue 19 item 7: a first run compiles only its model).

``hhsim prebuild`` compiles the engine's fixed kernels once per installation
(:mod:`hhsim.engine.prebuild`); a run from an empty kernel cache then loads
them instead of compiling them, with the same bits, and never loads a set that
other users could have written.  The set here is built from one small
workload (a dopri5 run) into a temporary directory (``HHSIM_PREBUILT_DIR``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hhsim import prebuilt_place

#: A run of the default solver, reporting which of the engine's own functions
#: numba compiled in this process, and the trace's bits.
PROBE = """
import json
from numba.core import event
compiled = []
class Listener(event.Listener):
    def on_start(self, ev):
        d = ev.data.get("dispatcher")
        if d is not None and d.py_func.__module__.startswith("hhsim.engine"):
            compiled.append(d.py_func.__module__ + "." + d.py_func.__qualname__)
    def on_end(self, ev):
        pass
event.register("numba:compile", Listener())
import hhsim
r = hhsim.simulate("hh", hhsim.stim.step(10, start=5, dur=40), t_stop=50)
print(json.dumps({"compiled": compiled, "v": r.v.tobytes().hex(), "spikes": list(r.spike_times)}))
"""

LOOP = "hhsim.engine.solvers.dopri5_driver.run_dopri5"


def _env(**extra) -> dict:
    env = dict(os.environ, HHSIM_THREADS="1", HHSIM_QUIET="1")
    env.update(extra)
    env.pop("NUMBA_CACHE_DIR", None)
    return env


def _probe(cache: Path, **extra) -> tuple[dict, str]:
    done = subprocess.run([sys.executable, "-c", PROBE], env=_env(HHSIM_CACHE_DIR=str(cache), **extra),
                          capture_output=True, text=True, timeout=600, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


@pytest.fixture(scope="module")
def prebuilt(tmp_path_factory) -> Path:
    """A prebuilt set made from one dopri5 run, in a private temporary directory."""
    root = tmp_path_factory.mktemp("prebuilt")
    os.chmod(root, 0o700)
    old_set = _fake_set(root / ("0" * 24))  # an older installation's set: removed once the new one is in
    foreign = root / "notes"  # not a set: left alone
    foreign.mkdir()
    code = ("from hhsim.engine.prebuild import prebuild\n"
            "r = prebuild(workloads=(('run', '--t-stop', '5', '--json'),))\n"
            "print(r.built, r.files, r.path)")
    out = subprocess.run([sys.executable, "-c", code], env=_env(HHSIM_PREBUILT_DIR=str(root)), capture_output=True,
                         text=True, timeout=600, check=True).stdout.split()
    assert out[0] == "True" and int(out[1]) > 0
    assert not old_set.exists() and foreign.is_dir() and Path(out[2]).parent == root
    return root


def _fake_set(path: Path) -> Path:
    """A directory laid out as a prebuilt set (``<digest>/numba/<subdir>/<entry>``)."""
    entry = path / "numba" / "engine_0123" / "dopri5_driver.run_dopri5-1.py311.nbi"
    entry.parent.mkdir(parents=True)
    entry.write_bytes(b"old")
    return path


def test_prebuild_removes_only_other_sets(tmp_path):
    from hhsim.engine.prebuild import remove_other_sets

    keep = _fake_set(tmp_path / prebuilt_place.digest())
    older = [_fake_set(tmp_path / ("a" * 24)), _fake_set(tmp_path / ("0123456789ab" * 2))]
    left = [_fake_set(tmp_path / f".{'b' * 24}.x1y2"),  # a prebuild's staging directory
            _fake_set(tmp_path / ("C" * 24)),  # not a digest (upper case)
            _fake_set(tmp_path / ("c" * 23)),  # not a digest (length)
            _fake_set(tmp_path / "share")]
    extra = _fake_set(tmp_path / ("d" * 24))
    (extra / "README").write_text("someone's notes")  # more than a set holds
    (tmp_path / ("e" * 24)).write_text("a file")
    elsewhere = _fake_set(tmp_path / "elsewhere" / ("f" * 24))
    (tmp_path / ("f" * 24)).symlink_to(elsewhere, target_is_directory=True)
    removed = remove_other_sets(keep)
    assert sorted(removed) == sorted(older)
    assert not any(p.exists() for p in older)
    assert all(p.is_dir() for p in [keep, *left, extra, elsewhere]) and (tmp_path / ("e" * 24)).is_file()
    assert (tmp_path / ("f" * 24)).is_symlink()


def test_a_first_run_loads_the_prebuilt_loop_with_the_same_bits(prebuilt, tmp_path):
    compiled_here, _ = _probe(tmp_path / "cold", HHSIM_PREBUILT="0")
    assert LOOP in compiled_here["compiled"]  # without the set, the loop compiles in this process
    loaded, _ = _probe(tmp_path / "empty", HHSIM_PREBUILT_DIR=str(prebuilt))
    assert LOOP not in loaded["compiled"], loaded["compiled"]
    assert not any(name.startswith("hhsim.engine.solvers") for name in loaded["compiled"]), loaded["compiled"]
    assert loaded["v"] == compiled_here["v"] and loaded["spikes"] == compiled_here["spikes"]
    # nothing of the prebuilt set was copied into the user's cache
    assert not list((tmp_path / "empty").rglob("dopri5_driver.run_dopri5-*.nbc"))


def test_a_set_others_could_write_is_refused_and_compiled_instead(prebuilt, tmp_path):
    unsafe = tmp_path / "unsafe"
    shutil.copytree(prebuilt, unsafe)
    os.chmod(unsafe, 0o700)
    for entry in unsafe.rglob("dopri5_driver.run_dopri5-*.nbi"):
        os.chmod(entry, 0o666)
    result, err = _probe(tmp_path / "empty", HHSIM_PREBUILT_DIR=str(unsafe), HHSIM_QUIET="0")
    assert LOOP in result["compiled"]
    assert "writable by other users" in err and "compiling instead" in err
    assert len(result["spikes"]) > 0


def test_the_set_follows_every_source_byte(tmp_path, monkeypatch):
    copy = tmp_path / "hhsim"
    shutil.copytree(prebuilt_place.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(prebuilt_place, "PACKAGE_DIR", copy)
    prebuilt_place.digest.cache_clear()
    try:
        before = prebuilt_place.digest()
        helper = copy / "engine" / "kernel_helpers.py"
        helper.write_bytes(helper.read_bytes() + b"\n")
        prebuilt_place.digest.cache_clear()
        assert prebuilt_place.digest() != before
    finally:
        prebuilt_place.digest.cache_clear()


def test_the_command_says_the_set_is_there_and_refuses_an_unwritable_place(prebuilt, tmp_path):
    hhsim = [sys.executable, "-m", "hhsim.cli.main", "prebuild", "--json"]
    done = subprocess.run(hhsim, env=_env(HHSIM_PREBUILT_DIR=str(prebuilt)), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and json.loads(done.stdout)["built"] is False
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    done = subprocess.run(hhsim, env=_env(HHSIM_PREBUILT_DIR=str(blocker / "sets")), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "cannot write" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_cached_kernel_is_compiled_again_when_a_helper_it_inlined_changed(tmp_path):
    """numba stamps a cache entry with its own file only; the dopri5 loop inlines helpers of
    other engine files.  After one of those changes (an upgrade), the loop must not be
    loaded from the cache: the entries carry the engine's digest."""
    package = tmp_path / "site" / "hhsim"
    shutil.copytree(prebuilt_place.PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    cache = tmp_path / "cache"
    env = {"PYTHONPATH": str(package.parent), "HHSIM_PREBUILT": "0"}
    first, _ = _probe(cache, **env)
    assert LOOP in first["compiled"]
    again, _ = _probe(cache, **env)
    assert LOOP not in again["compiled"]  # unchanged sources: loaded from the cache
    helper = package / "engine" / "kernel_helpers.py"
    helper.write_text(helper.read_text() + "\n# changed\n")
    after, _ = _probe(cache, **env)
    assert LOOP in after["compiled"]
    assert after["spikes"] == first["spikes"]


def test_a_prebuild_stopped_by_sigterm_leaves_nothing_half_written(tmp_path):
    import signal
    import time

    root = tmp_path / "sets"
    process = subprocess.Popen([sys.executable, "-m", "hhsim.cli.main", "prebuild"],
                               env=_env(HHSIM_PREBUILT_DIR=str(root)), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (root.is_dir() and any(root.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert root.is_dir() and any(root.iterdir()), "the prebuild never started its staging directory"
    time.sleep(1.0)  # its workloads are running
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    assert "Traceback" not in err
    assert list(root.iterdir()) == []  # no staging directory, no half a set
    # no workload (nor a workload's compile worker) outlives it
    marker = f"HHSIM_PREBUILT_DIR={root}".encode()
    time.sleep(0.5)
    left = _running_with(marker)
    assert left == [], f"processes left running: {left}"


def _running_with(marker: bytes) -> list[str]:
    """Process ids whose environment holds the entry ``marker``."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                found.append(environ.parent.name)
        except OSError:
            pass
    return found


def _described(pid: str) -> str:
    """A process's command line and state, to name what was left running."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        state = [line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("State:")]
        threads = len(list(Path(f"/proc/{pid}/task").iterdir()))
    except OSError:
        return f"{pid}: ended meanwhile"
    return f"{pid}: {command[:160]} ({' '.join(state)}, {threads} threads)"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent's death signal is Linux's")
def test_a_library_prebuild_killed_leaves_no_workload_running(tmp_path):
    """prebuild() called from Python and ended by SIGKILL, so that none of its own clean-up
    runs: its workload (here one that would run for minutes) ends by itself within
    seconds, its compile worker with it."""
    import time

    root = tmp_path / "sets"
    code = ("from hhsim.engine.prebuild import prebuild\n"
            "prebuild(workloads=(('network', '--preset', 'cobahh', '--t-stop', '120000', '--json'),), parallel=1)")
    process = subprocess.Popen([sys.executable, "-c", code], env=_env(HHSIM_PREBUILT_DIR=str(root)),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    marker = f"HHSIM_PREBUILT_DIR={root}".encode()
    deadline = time.monotonic() + 60
    while len(_running_with(marker)) < 2 and time.monotonic() < deadline:  # the caller and its workload
        time.sleep(0.05)
    assert len(_running_with(marker)) >= 2, "the prebuild never started its workload"
    time.sleep(1.0)  # the workload is compiling
    process.kill()
    process.wait(timeout=10)
    deadline = time.monotonic() + 30  # a workload ends once numba hands control back to Python
    while _running_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = _running_with(marker)
    described = [_described(pid) for pid in left]
    for pid in left:  # not to leave them to the rest of the suite
        os.kill(int(pid), 9)
    assert left == [], f"processes left running after their prebuild was killed: {described}"
