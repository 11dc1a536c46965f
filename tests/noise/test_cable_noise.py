"""Channel noise on cables: each compartment holds round(density x its area) channels.

* A very large membrane (densities a million times the squid's) recovers the
  deterministic cable: the same crossing times at every node, the open
  fractions of the resting gates.
* The same seed gives the same bits, for 1 and 2 threads (HHSIM_THREADS);
  another seed other bits.
* Thin axons (Faisal & Laughlin 2007, PLoS Comput Biol 3:e79): at 0.05 µm
  the few channels of a compartment fire action potentials on their own,
  where the deterministic axon stays at rest; at 0.25 µm a propagated spike
  still arrives, its arrival time jittered from seed to seed.
* Refusals in one line.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from hhsim import stim
from hhsim.cable import cable, myelinated_axon, point, simulate_cable
from hhsim.errors import HHSimError
from hhsim.models import get
from hhsim.noise import ChannelNoise

AXON = cable(2000.0, 1.0)
KICK = point(stim.step(0.5, start=1.0, dur=0.5), at=0.0)


def test_large_membrane_recovers_the_deterministic_cable():
    det = simulate_cable(AXON, "hh", KICK, t_stop=8.0, dx=20.0)
    assert np.all(det.spike_counts[~det.tree.junction] == 1)
    for method in ("langevin", "markov"):
        scale = 1e6 if method == "langevin" else 1e3  # markov: O(sqrt N) per draw
        big = simulate_cable(AXON, "hh", KICK, t_stop=8.0, dx=20.0, noise=method, seed=1,
                             density={"Na": 60.0 * scale, "K": 18.0 * scale})
        assert np.array_equal(big.spike_counts, det.spike_counts)
        tol = 1e-4 if method == "langevin" else 5e-3  # ms; about 1/sqrt(N) of the channel counts
        assert np.max(np.abs(big.crossing_times[:, 0] - det.crossing_times[:, 0])) < tol
        # channels per compartment: density x area (µm²)
        area = det.tree.area
        assert np.array_equal(big.channel_counts["Na"], np.rint(60.0 * scale * area).astype(np.int64))
        # the open fraction at the start: the resting gates' m^3 h and n^4
        hh = get("hh")
        names = list(hh.state_names)
        y = det.plan.y_rest[:, big.rec_nodes]
        m, h, n = (y[names.index(g)] for g in ("m", "h", "n"))
        assert np.allclose(big.open_fraction["Na"][0], m ** 3 * h, atol=2e-3)
        assert np.allclose(big.open_fraction["K"][0], n ** 4, atol=2e-3)
        assert big.open_fraction["Na"].shape == big.v.shape
    assert det.open_fraction == {} and det.channel_counts == {}


def test_same_seed_same_bits_for_one_and_two_threads(monkeypatch):
    # a chain long enough for the two-thread path of the deterministic cable (>= 512 nodes)
    axon = cable(3000.0, 1.0)
    runs = {}
    for threads, seed in ((1, 7), (2, 7), (2, 8)):
        monkeypatch.setenv("HHSIM_THREADS", str(threads))
        runs[threads, seed] = simulate_cable(axon, "hh", KICK, t_stop=4.0, dx=5.0, noise="markov", seed=seed)
    a, b, c = runs[1, 7], runs[2, 7], runs[2, 8]
    assert a.n_compartments >= 512
    for x, y in ((a.v, b.v), (a.crossing_times, b.crossing_times), (a.open_fraction["Na"], b.open_fraction["Na"]),
                 (a.open_fraction["K"], b.open_fraction["K"])):
        assert np.array_equal(x, y, equal_nan=True)
    assert not np.array_equal(a.v, c.v)
    assert not np.array_equal(a.open_fraction["Na"], c.open_fraction["Na"], equal_nan=True)


def test_thin_axon_fires_on_its_own_and_jitters():
    # Faisal & Laughlin 2007: below about 0.1 µm spontaneous action potentials
    thin = cable(500.0, 0.05)
    det = simulate_cable(thin, "hh", [], t_stop=20.0)
    noisy = simulate_cable(thin, "hh", [], t_stop=20.0, noise="markov", seed=3)
    assert det.spike_counts.sum() == 0
    assert noisy.spike_counts.sum() > 0
    assert noisy.meta["noise"]["method"] == "markov"
    # at 0.25 µm a stimulated spike arrives at the far end in every run, at times that differ
    axon = cable(1000.0, 0.25)
    kick = point(stim.step(0.367, start=0.5, dur=0.5), at=0.0)
    t_det = simulate_cable(axon, "hh", kick, t_stop=10.0).crossing_times[-1, 0]
    arrivals = np.array([simulate_cable(axon, "hh", kick, t_stop=10.0, noise="markov", seed=s).crossing_times[-1, 0]
                         for s in range(4)])
    assert np.all(np.isfinite(arrivals)) and np.isfinite(t_det)
    assert np.std(arrivals) > 0.02  # ms
    assert abs(np.mean(arrivals) - t_det) < 0.3


@pytest.mark.parametrize("kwargs, needle", [
    (dict(noise="markov", method="rk4", dt=0.0005), "implicit methods cn and be"),
    (dict(noise="gillespie"), "does not run on a cable"),
    (dict(noise=ChannelNoise("markov", area_um2=100.0)), "area_um2 is not accepted on a cable"),
    (dict(seed=3), "given without noise"),
    (dict(noise="markov", density={"Na": -1.0}), "negative"),
    (dict(noise="markov", density={"Ca": 2.0}), "does not have"),
    (dict(noise="markov", channel_counts={"Na": 2.5}), "not a whole number"),
    (dict(noise="markov", density={"L": 1.0}), "L"),
])
def test_refusals_one_line(kwargs, needle):
    with pytest.raises(HHSimError) as err:
        simulate_cable(cable(200.0, 1.0), "hh", [], t_stop=0.1, **kwargs)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_sections_of_different_channels_refused_one_line():
    axon = myelinated_axon(2.0, 3)
    hh = get("hh")
    passive = dataclasses.replace(hh, name="leak only", channels=tuple(c for c in hh.channels if not c.gates))
    with pytest.raises(HHSimError) as err:
        simulate_cable(axon, {"node": hh, "internode": passive}, [], t_stop=0.1, noise="markov")
    assert "same channels" in str(err.value) and "\n" not in str(err.value)


def test_channel_counts_per_compartment_and_open_fraction_range():
    r = simulate_cable(cable(200.0, 1.0), "hh", KICK, t_stop=3.0, nseg=5, noise="markov",
                       channel_counts={"Na": 300, "K": 90}, seed=2)
    assert np.array_equal(r.channel_counts["Na"], np.full(5, 300)) and r.channel_counts["K"].tolist() == [90] * 5
    for frac in r.open_fraction.values():
        assert np.all((frac >= 0.0) & (frac <= 1.0))
    # a fraction of 90 or 300 channels: whole numbers over the count
    assert np.allclose(r.open_fraction["K"] * 90, np.rint(r.open_fraction["K"] * 90))


def test_cli_cable_noise(capsys):
    from helpers.cli import run_cli

    args = ("cable", "--length", "0.05", "--diam", "0.05", "--t-stop", "5", "--seed", "3", "--noise", "markov")
    code, out, err = run_cli(capsys, *args, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["noise"]["method"] == "markov" and data["noise"]["seed"] == 3
    assert data["noise"]["density_per_um2"] == {"Na": 60.0, "K": 18.0}
    assert data["noise"]["channels_total"]["Na"] > 0 and data["threshold_crossings"] >= 0
    again = json.loads(run_cli(capsys, *args, "--json")[1])
    assert again == data  # the same seed, the same run
    code, out, err = run_cli(capsys, *args, "--density", "Na=600,K=180")
    assert code == 0, err
    assert "channel noise        markov, seed 3" in out


@pytest.mark.parametrize("args, needle", [
    (["--noise", "markov", "--method", "rk4", "--dt", "0.0005"], "implicit methods cn and be"),
    (["--seed", "3"], "--seed given without --noise"),
    (["--noise", "markov", "--density", "Na=-1"], "negative"),
    (["--noise", "markov", "--count", "Na=2.5"], "not a whole number"),
    (["--noise", "gillespie"], "does not run on a cable"),
])
def test_cli_cable_noise_refusals_one_line_exit_2(capsys, args, needle):
    from helpers.cli import run_cli

    code, out, err = run_cli(capsys, "cable", "--length", "0.02", "--diam", "1", "--t-stop", "0.1", *args)
    assert code == 2
    assert err.startswith("hhsim: error:") and needle in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_saved_npz_holds_the_open_fractions(tmp_path):
    r = simulate_cable(cable(200.0, 1.0), "hh", KICK, t_stop=2.0, nseg=5, noise="langevin", seed=4)
    with np.load(r.save(tmp_path / "noisy.npz")) as f:
        assert np.array_equal(f["Na_open_fraction"], r.open_fraction["Na"])
        assert np.array_equal(f["K_channels"], r.channel_counts["K"])
        assert json.loads(str(f["metadata"]))["noise"]["method"] == "langevin"
