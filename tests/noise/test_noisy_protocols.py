"""Channel noise on the single-cell protocols: ``fi`` takes it, the threshold bisections refuse it
(rheobase, threshold, strength-duration, refractory, anode-break: one line, exit 2).

* With a huge membrane (1e5 µm²: 6 million Na channels) the noisy f-I curve is
  the deterministic one of the same stepper (exponential Euler at the same dt),
  the limit the Markov method converges to; conductance fluctuations of about
  1/sqrt(N) = 4e-4 move a rate by far less than the 1 Hz allowed.
* With a tiny one (1 µm²: 60 Na and 18 K channels) the membrane fires below
  rheobase (2.24 µA/cm² for hh), where the deterministic curve is silent:
  the spontaneous firing of Chow & White (1996), tens of Hz at this area.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import hhsim
from helpers.cli import cli_error, run_cli
from hhsim import analysis
from hhsim.errors import ProtocolError
from hhsim.noise import ChannelNoise


def test_fi_with_a_huge_area_is_the_deterministic_curve():
    det = analysis.fi_curve("hh", 0.0, 12.0, 4, dur=200.0, method="expeuler", dt=0.01)
    noisy = analysis.fi_curve("hh", 0.0, 12.0, 4, dur=200.0, noise=ChannelNoise("markov", area_um2=1e5, seed=1))
    assert noisy.method == "expeuler" and noisy.dt_ms == 0.01
    np.testing.assert_array_equal(noisy.rates_hz == 0.0, det.rates_hz == 0.0)  # silent where it is silent
    assert np.all(det.rates_hz[2:] > 50.0)  # the comparison covers repetitive firing
    np.testing.assert_allclose(noisy.rates_hz, det.rates_hz, atol=1.0)
    np.testing.assert_allclose(noisy.rates_down_hz, det.rates_down_hz, atol=1.0)
    assert noisy.to_dict()["noise"]["area_um2"] == 1e5


def test_fi_with_a_tiny_area_fires_below_rheobase():
    currents = dict(i_min=0.0, i_max=1.0, n=2, dur=300.0)
    det = analysis.fi_curve("hh", **currents, method="expeuler", dt=0.01)
    assert np.all(det.rates_hz == 0.0)  # below rheobase: silent without noise
    noisy = analysis.fi_curve("hh", **currents, noise=ChannelNoise("markov", area_um2=1.0, seed=4))
    assert np.all(noisy.rates_hz > 10.0), noisy.rates_hz
    # the runs from rest come back bit for bit (same seed, same streams): their spikes are the curve's
    t, v = noisy.traces_from_rest()
    for k, spikes in enumerate(noisy.spikes_rest):
        up = np.flatnonzero((v[:-1, k] < 0.0) & (v[1:, k] >= 0.0))
        assert up.size == spikes.size > 0


def test_fi_noise_on_the_command_line(capsys):
    code, out, err = run_cli(capsys, "fi", "--noise", "langevin", "--area", "1", "--seed", "2", "--n", "2",
                             "--i-max", "1", "--dur", "300", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["noise"]["method"] == "langevin" and data["noise"]["area_um2"] == 1.0
    assert all(r > 10.0 for r in data["rates_hz"]), data["rates_hz"]  # fires below rheobase
    code, out, err = run_cli(capsys, "fi", "--noise", "markov", "--count", "Na=600,K=180", "--n", "2",
                             "--dur", "20")
    assert code == 0, err
    assert "channel noise markov (seed 0): Na 600, K 180 channels per neuron" in out


@pytest.mark.parametrize("command", ["threshold", "rheobase", "strength-duration", "refractory", "anode-break"])
def test_the_bisections_refuse_noise(capsys, command):
    _, line = cli_error(capsys, command, "--noise", "markov", "--area", "10")
    assert f"hhsim {command} bisects on a deterministic threshold" in line and "accepted: --noise none" in line
    if command in ("threshold", "rheobase"):  # the Python API says the same
        with pytest.raises(ProtocolError, match="accepted: noise=None or 'none'"):
            getattr(analysis, command)("hh", noise="langevin")


def test_fi_refuses_gillespie_and_other_solvers(capsys):
    _, line = cli_error(capsys, "fi", "--noise", "gillespie", "--area", "1", "--n", "2", "--dur", "10")
    assert "accepted: markov, langevin, none" in line
    _, line = cli_error(capsys, "fi", "--noise", "markov", "--area", "1", "--method", "rk4", "--n", "2")
    assert "method 'rk4' is not accepted with noise" in line


def test_fi_without_noise_is_unchanged():
    a = analysis.fi_curve("hh", 0.0, 12.0, 3, dur=100.0)
    b = analysis.fi_curve("hh", 0.0, 12.0, 3, dur=100.0, noise="none")
    np.testing.assert_array_equal(a.rates_hz, b.rates_hz)
    assert a.noise is None and a.to_dict()["noise"] is None
    assert isinstance(hhsim.noise.as_noise(None), ChannelNoise)
