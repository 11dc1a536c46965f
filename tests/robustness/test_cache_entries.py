"""Class 2 (issue 24): what numba loads from the private cache is checked, entry by entry.

numba's index (``.nbi``) and data (``.nbc``) files are pickles, so loading one
runs code.  Below the cache root (itself checked since round one) every
directory level and every file is checked before it is read; a planted entry
is never loaded (one note on stderr, the kernel compiled instead), a corrupt
or truncated entry is compiled again and replaced without a traceback, and a
FIFO where the compile lock belongs does not block.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ._harness import child_env, limits

RUN = ["run", "--t-stop", "5", "--stim", "step(amp=10, start=1, dur=3)", "--json"]


def _hhsim(cache_dir: Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hhsim.cli.main", *RUN], capture_output=True, text=True,
                          timeout=300, env=child_env(HHSIM_CACHE_DIR=cache_dir, HHSIM_QUIET="1"),
                          preexec_fn=limits(), cwd=cwd)


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """A cache filled by one run, and that run's output."""
    top = tmp_path_factory.mktemp("filled")
    cache = top / "cache"
    first = _hhsim(cache, top)
    assert first.returncode == 0, first.stderr
    return cache, first.stdout


def _copy(filled, tmp_path) -> Path:
    """A copy of the filled cache that numba finds (its sub-directory names hash the kernels' path)."""
    from numba.core.caching import UserProvidedCacheLocator

    cache = tmp_path / "cache"
    shutil.copytree(filled[0], cache, symlinks=True)
    kernel = next((cache / "kernels").glob("*.py"))
    old = UserProvidedCacheLocator.get_suitable_cache_subpath(str(filled[0] / "kernels" / kernel.name))
    new = UserProvidedCacheLocator.get_suitable_cache_subpath(str(kernel))
    (cache / "numba" / old).rename(cache / "numba" / new)
    return cache


def _entry(cache: Path, suffix: str) -> Path:
    """The model's adaptive right-hand side's index or data file (the generated code a cached
    ``hhsim run`` loads; the dopri5 loop itself is the package's own, compiled once)."""
    found = sorted(cache.glob(f"numba/kernels_*/*rhs_into*{suffix}"))
    assert found, sorted(p.name for p in cache.rglob("*"))
    return found[0]


class _Plant:
    """Unpickling this makes the directory ``marker``: the proof that the file ran."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def _planted_index(marker: Path) -> bytes:
    import numba

    return pickle.dumps(numba.__version__) + pickle.dumps(_Plant(str(marker)))


def test_a_planted_index_in_a_world_writable_directory_is_never_loaded(filled, tmp_path):
    cache = _copy(filled, tmp_path)
    index = _entry(cache, ".nbi")
    marker = tmp_path / "PLANTED-CODE-RAN"
    payload = _planted_index(marker)
    # the plant is live: read as numba reads an index, it runs
    version_len = len(pickle.dumps(pickle.loads(payload)))
    pickle.loads(payload[version_len:])
    assert marker.is_dir()
    marker.rmdir()
    index.write_bytes(payload)
    index.parent.chmod(0o777)
    proc = _hhsim(cache, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["spike_times_ms"] == json.loads(filled[1])["spike_times_ms"]
    assert not marker.exists()
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hhsim: note: not loading compiled code"), proc.stderr
    assert "writable by other users" in lines[0] and str(index.parent) in lines[0]


def _numba_file(directory: Path):
    """numba's reader of one cache entry in ``directory`` (with hhsim's checks in place)."""
    from numba.core.caching import IndexDataCacheFile

    from hhsim.engine import cache

    cache._guard_numba_cache()
    return IndexDataCacheFile(str(directory), "f-1.py311", ("stamp", 1))


@pytest.mark.parametrize("how", ["symbolic link", "group-writable file", "FIFO", "group-writable parent"])
def test_unsafe_files_are_refused_with_one_line(tmp_path, capsys, how):
    import numba

    top = tmp_path / "numba"
    sub = top / "kernels_x"
    sub.mkdir(parents=True, mode=0o700)
    top.chmod(0o700)
    sub.chmod(0o700)
    marker = tmp_path / "RAN"
    entry = _numba_file(sub)
    path = Path(entry._index_path)
    payload = pickle.dumps(numba.__version__) + pickle.dumps(_Plant(str(marker)))
    if how == "symbolic link":
        (tmp_path / "elsewhere").write_bytes(payload)
        path.symlink_to(tmp_path / "elsewhere")
    elif how == "FIFO":
        os.mkfifo(path, 0o600)
    else:
        path.write_bytes(payload)
        path.chmod(0o620 if how == "group-writable file" else 0o600)
        if how == "group-writable parent":
            top.chmod(0o770)
    from numba.core import config

    saved = config.CACHE_DIR
    config.CACHE_DIR = str(top)
    try:
        assert entry._load_index() == {}
    finally:
        config.CACHE_DIR = saved
    assert not marker.exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hhsim: note: not loading compiled code"), err
    expected = {"symbolic link": "symbolic link", "FIFO": "not a regular file",
                "group-writable file": "writable by other users", "group-writable parent": str(top)}[how]
    assert expected in err[0]


@pytest.mark.parametrize("content", [b"", b"\x80\x05\x95", "half"])
def test_an_unreadable_index_is_dropped_with_one_line(tmp_path, capsys, content):
    import numba

    sub = tmp_path / "kernels_x"
    sub.mkdir(mode=0o700)
    entry = _numba_file(sub)
    path = Path(entry._index_path)
    whole = pickle.dumps(numba.__version__) + pickle.dumps((("stamp", 1), {"key": "f-1.py311.1.nbc"}))
    path.write_bytes(whole[: len(whole) // 2] if content == "half" else content)
    path.chmod(0o600)
    assert entry._load_index() == {}
    assert not path.exists()  # removed, to be written again whole by the compile that follows
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "compiling it again" in err[0], err


def test_a_truncated_entry_is_compiled_again_and_replaced(filled, tmp_path):
    import pickletools

    cache = _copy(filled, tmp_path)
    target = _entry(cache, ".nbc")
    cut = target.stat().st_size // 3
    target.write_bytes(target.read_bytes()[:cut])
    proc = _hhsim(cache, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert json.loads(proc.stdout) == json.loads(filled[1])
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "compiling it again" in lines[0], proc.stderr
    # replaced: a whole pickle again (read opcode by opcode, nothing imported), private to the user
    ops = [op.name for op, _, _ in pickletools.genops(target.read_bytes())]
    assert ops[-1] == "STOP" and target.stat().st_size > cut
    assert target.stat().st_mode & 0o077 == 0


def test_a_fifo_where_the_compile_lock_belongs_does_not_block(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    os.mkfifo(cache / "compile.lock")
    code = ("from hhsim.engine import cache\n"
            "with cache.compile_lock():\n"
            "    print('inside')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env=child_env(HHSIM_CACHE_DIR=cache), preexec_fn=limits())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "inside"
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "not a regular file" in lines[0], proc.stderr


def test_the_compile_lock_excludes_another_process(tmp_path):
    """The lock is real: a second process waits while the first holds it."""
    cache = tmp_path / "cache"
    code = ("import sys, time\nfrom hhsim.engine import cache\n"
            "with cache.compile_lock():\n"
            "    print(time.time(), flush=True)\n"
            "    time.sleep(float(sys.argv[1]))\n")
    env = child_env(HHSIM_CACHE_DIR=cache)
    first = subprocess.Popen([sys.executable, "-c", code, "3"], stdout=subprocess.PIPE, text=True, env=env)
    t_first = float(first.stdout.readline())
    second = subprocess.run([sys.executable, "-c", code, "0"], capture_output=True, text=True, env=env, timeout=120)
    first.wait(timeout=60)
    assert float(second.stdout.strip()) >= t_first + 2.9


def test_the_same_bits_from_a_fresh_compile_and_from_the_cache(filled, tmp_path):
    cached = _hhsim(filled[0], tmp_path)
    assert cached.returncode == 0, cached.stderr
    fresh, again = json.loads(filled[1]), json.loads(cached.stdout)
    assert {k: float(v).hex() if isinstance(v, float) else v for k, v in fresh.items()} == \
           {k: float(v).hex() if isinstance(v, float) else v for k, v in again.items()}
