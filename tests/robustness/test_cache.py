"""Class 1: the kernel cache is private; planted code never runs; read-only installs work.

The attack of the issue: another user pre-creates a cache directory that the
victim will use (a world-writable one, or the old fixed fallback
``$TMPDIR/hhsim-kernels``), holding the kernel module hhsim would generate,
byte for byte, and a doctored ``.pyc`` beside it.  A loader that trusts a
matching module lets Python run the ``.pyc``.  Each planted ``.pyc`` here
writes a marker file; the tests first show that an ordinary import of the
planted module does run it, then that ``hhsim run`` never does.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import stat
import subprocess
import sys
from importlib._bootstrap_external import _code_to_timestamp_pyc
from pathlib import Path

import pytest

from hhsim import models
from hhsim.engine import cache
from hhsim.engine.codegen import _helpers_hash, generate_source
from hhsim.physics.structure import lower

from ._harness import child_env, limits

SRC = Path(__file__).resolve().parents[2] / "src" / "hhsim"
RUN = ["run", "--t-stop", "5", "--stim", "step(amp=10, start=1, dur=3)"]


def _hh_kernel() -> tuple[str, str]:
    """(module name, source) of the kernel module hhsim generates for ``hh``."""
    source = generate_source(lower(models.get("hh")).structure, _helpers_hash())
    return f"hhsim_kernel_{hashlib.sha256(source.encode()).hexdigest()[:20]}", source


def _plant(kernels: Path, marker: Path) -> Path:
    """The matching module and a doctored .pyc (writes ``marker``) in ``kernels``."""
    name, source = _hh_kernel()
    kernels.mkdir(parents=True, exist_ok=True)
    py = kernels / f"{name}.py"
    py.write_text(source)
    st = py.stat()
    evil = compile(f"open({str(marker)!r}, 'w').write('planted code ran')\n", str(py), "exec")
    pyc = Path(importlib.util.cache_from_source(str(py)))
    pyc.parent.mkdir(exist_ok=True)
    pyc.write_bytes(_code_to_timestamp_pyc(evil, st.st_mtime, st.st_size))
    for d, _, files in os.walk(kernels.parent):
        os.chmod(d, 0o777)
        for f in files:
            os.chmod(os.path.join(d, f), 0o666)
    return py


def _plant_works(py: Path, marker: Path) -> None:
    """Show the plant is live: a plain import of the matching module runs the .pyc."""
    code = ("import importlib.util, sys; p = sys.argv[1]; "
            "s = importlib.util.spec_from_file_location('m', p); s.loader.exec_module(importlib.util.module_from_spec(s))")
    subprocess.run([sys.executable, "-c", code, str(py)], check=True, timeout=30, env=child_env(),
                   preexec_fn=limits())
    assert marker.exists()
    marker.unlink()


def test_world_writable_cache_is_refused_and_planted_code_never_runs(tmp_path):
    base = tmp_path / "shared-cache"
    marker = tmp_path / "PWNED"
    py = _plant(base / "kernels", marker)
    _plant_works(py, marker)
    proc = subprocess.run([sys.executable, "-m", "hhsim.cli.main", *RUN], capture_output=True, text=True,
                          timeout=120, env=child_env(HHSIM_CACHE_DIR=base), preexec_fn=limits(), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "spikes" in proc.stdout
    note = proc.stderr.strip().splitlines()
    assert len(note) == 1 and "writable by other users" in note[0] and "in memory" in note[0], proc.stderr
    assert not marker.exists()


@pytest.mark.parametrize("how", ["group-writable", "world-writable", "foreign-owned", "a file"])
def test_unsafe_directories_are_never_used(tmp_path, monkeypatch, how):
    d = tmp_path / "cache"
    if how == "a file":
        d.write_text("")
    else:
        d.mkdir(mode=0o700)
    if how == "group-writable":
        d.chmod(0o770)
    elif how == "world-writable":
        d.chmod(0o1777)
    elif how == "foreign-owned":
        if os.geteuid() != 0:
            pytest.skip("needs root to give a directory to another user")
        os.chown(d, 65534, 65534)
    monkeypatch.setenv(cache.ENV, str(d))
    st = cache._resolve()  # resolving only checks directories: nothing is imported
    assert st.root is None and st.kernels is None
    assert str(d) in st.why


def test_private_cache_is_created_0700(tmp_path, monkeypatch):
    d = tmp_path / "new" / "hhsim"
    monkeypatch.setenv(cache.ENV, str(d))
    st = cache._resolve()
    assert st.root == d
    for sub in (d, d / "kernels", d / "numba"):
        assert stat.S_IMODE(sub.stat().st_mode) & 0o077 == 0
        assert sub.stat().st_uid == os.geteuid()


# capabilities that let root ignore file modes (linux/capability.h)
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH, _CAP_FOWNER = 1, 2, 3
_PR_CAPBSET_DROP = 24


def _drop_file_override() -> None:
    """In a root child before exec: give up the capabilities that bypass file
    modes, so that a 0555 directory is read-only for it as for any user."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH, _CAP_FOWNER):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_read_only_install_with_unwritable_home_runs():
    """hhsim copied to a read-only tree, HOME unwritable, no cache variable; the
    old fixed fallback ``$TMPDIR/hhsim-kernels`` holds a plant.  As root the
    child gives up the capabilities that ignore file modes."""
    import tempfile

    top = Path(tempfile.mkdtemp(prefix="hhsim-ro-"))
    try:
        top.chmod(0o755)
        install = top / "site"
        shutil.copytree(SRC, install / "hhsim", ignore=shutil.ignore_patterns("__pycache__"))
        # the package's own data files (a grammar) are part of the install, not written by the run
        shipped = {os.path.join(d, f) for d, _, fs in os.walk(install) for f in fs if not f.endswith(".py")}
        home = top / "home"
        home.mkdir()
        tmpdir = top / "tmp"
        tmpdir.mkdir()
        marker = tmpdir / "PWNED"
        py = _plant(tmpdir / "hhsim-kernels", marker)
        os.chmod(tmpdir, 0o777)
        _plant_works(py, marker)
        for d, dirs, files in os.walk(install):
            for f in files:
                os.chmod(os.path.join(d, f), 0o444)
            os.chmod(d, 0o555)
        os.chmod(install, 0o555)
        home.chmod(0o555)

        def drop():
            limits()()
            if os.geteuid() == 0:
                _drop_file_override()

        env = child_env(HOME=home, TMPDIR=tmpdir, PYTHONPATH=install, PYTHONDONTWRITEBYTECODE="")
        for key in ("HHSIM_CACHE_DIR", "XDG_CACHE_HOME", "NUMBA_CACHE_DIR"):
            env.pop(key, None)
        script = ("import sys, hhsim; assert hhsim.__file__.startswith(sys.argv[1]), hhsim.__file__; "
                  "from hhsim.cli.main import main; sys.argv = ['hhsim'] + sys.argv[2:]; main()")
        proc = subprocess.run([sys.executable, "-c", script, str(install), *RUN], capture_output=True, text=True,
                              timeout=180, env=env, preexec_fn=drop, cwd=tmpdir)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "spikes" in proc.stdout
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "in memory" in lines[0], proc.stderr[-3000:]
        assert not marker.exists()
        written = [os.path.join(d, f) for d, _, fs in os.walk(install) for f in fs
                   if not f.endswith(".py") and os.path.join(d, f) not in shipped]
        assert written == []
    finally:
        for d, dirs, files in os.walk(top):
            os.chmod(d, 0o755)
        shutil.rmtree(top, ignore_errors=True)
