"""Channel noise and membrane area as explorer controls (issue 22, item 3).

A noisy view is reproduced by the command and the Python snippet the page
shows (the same channel streams, so the same spikes to the last digit), a
session keeps it, and the page's controls set it.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

import numpy as np
import pytest

from hhsim.explore.state import ExplorerState, compute
from helpers.cli import run_cli

NOISY = ExplorerState(noise="markov", area_um2=30.0, noise_seed=3, t_stop=60.0)


def test_noisy_view_is_reproduced_by_its_command_and_snippet(capsys):
    tr = compute(NOISY)
    words = shlex.split(NOISY.cli_command())
    assert words[:2] == ["hhsim", "run"] and "--noise" in words
    code, out, err = run_cli(capsys, *words[1:], "--json")
    assert code == 0, err
    s = json.loads(out)
    assert s["spike_times_ms"] == pytest.approx(list(tr.spike_times), abs=1e-9)
    assert s["v_max_mV"] == float(np.max(tr.result.v))
    printed = subprocess.run([sys.executable, "-c", NOISY.python_snippet()], capture_output=True, text=True,
                             check=True, timeout=120).stdout.strip().splitlines()[-1]
    n, _, times = printed.partition(" ")
    assert int(n) == tr.n_spikes
    got = [float(x) for x in times.strip("[]").replace("np.float64(", "").replace(")", "").split(",") if x.strip()]
    assert got == pytest.approx(list(tr.spike_times), abs=1e-12)


@pytest.mark.parametrize("method", ["markov", "langevin"])
def test_a_small_patch_fires_on_its_own_and_the_seed_fixes_it(method):
    """Without any stimulus the deterministic membrane sits at rest; 1 µm² of squid
    membrane (60 Na and 18 K channels) fires spontaneously (Chow & White 1996)."""
    quiet = compute(ExplorerState(stimuli=(), t_stop=200.0))
    assert quiet.n_spikes == 0
    state = ExplorerState(stimuli=(), t_stop=200.0, noise=method, area_um2=1.0, noise_seed=2)
    a, b = compute(state), compute(state)
    assert a.n_spikes > 0
    np.testing.assert_array_equal(a.result.v, b.result.v)
    other = compute(ExplorerState(stimuli=(), t_stop=200.0, noise=method, area_um2=1.0, noise_seed=5))
    assert not np.array_equal(a.result.v, other.result.v)


def test_session_keeps_the_noise(tmp_path):
    path = NOISY.save(tmp_path / "noisy.json")
    assert ExplorerState.load(path) == NOISY
    data = json.loads(path.read_text())
    data["noise_seed"] = 2.5
    from hhsim.explore.state import SessionError

    with pytest.raises(SessionError, match="malformed"):
        ExplorerState.from_dict(data)


def test_page_controls_set_the_noise():
    pytest.importorskip("panel")
    from hhsim.explore.app import build

    page = build("hh")
    page.noise.value = "langevin"
    page.area.value = 50.0
    page.noise_seed.value = 7
    assert (page.state.noise, page.state.area_um2, page.state.noise_seed) == ("langevin", 50.0, 7)
    assert "--noise langevin --area 50.0 --seed 7" in page.state.cli_command()
    assert page.traces.summary["noise"]["method"] == "langevin"
    page.set_state(ExplorerState())
    assert page.noise.value == "none" and page.state.noise == "none"
    page.close()
