"""Bad noise settings are refused in one line naming the value and what is accepted."""

from __future__ import annotations

import pytest

import hhsim
from hhsim.errors import HHSimError, ParameterError
from hhsim.noise import ChannelNoise


def _refused(match: str, model="hh", **kw):
    with pytest.raises(HHSimError, match=match) as info:
        hhsim.simulate(model, None, t_stop=1.0, **kw)
    assert "\n" not in str(info.value)
    return info.value


def test_negative_density():
    err = _refused(r"density of Na = -5 .*negative", noise="markov", area_um2=10, density={"Na": -5})
    assert isinstance(err, ParameterError)


def test_non_integer_count():
    _refused(r"count of channel K = 10\.5 is not a whole number", noise="markov", channel_counts={"K": 10.5})
    _refused(r"count of channel K = -3 is negative", noise="markov", channel_counts={"K": -3})


def test_channel_without_a_kinetic_scheme():
    _refused(r"channel 'L' has no gates, so no kinetic scheme", noise="markov", channel_counts={"L": 100})
    # Wang-Buzsaki's Na has an instantaneous m gate
    _refused(r"gate 'm' is instantaneous", model="wang_buzsaki", noise="markov", area_um2=10,
             density={"Na": 60})


def test_other_bad_settings():
    _refused(r"noise 'brownian' is not a method; accepted: none, markov", noise="brownian")
    _refused(r"needs the membrane area", noise="markov")
    _refused(r"area_um2 = -1 .* accepted: a number > 0", noise="markov", area_um2=-1)
    _refused(r"does not have", noise="markov", area_um2=1, density={"Ca": 1})
    _refused(r"seed -1 is not accepted", noise="markov", area_um2=1, seed=-1)
    _refused(r"given without noise", area_um2=10)
    _refused(r"method 'rk4' is not accepted with noise", noise="markov", area_um2=1, method="rk4")
    _refused(r"6e\+31 Na channels is too many; accepted: at most 1e\+10", noise="markov", area_um2=1e30)
    _refused(r"too many for the gillespie method", noise="gillespie", area_um2=1e4)
    with pytest.raises(ParameterError, match="both a density and a count"):
        ChannelNoise("markov", density={"Na": 1}, counts={"Na": 3})


def test_requests_beyond_memory_are_refused_before_work():
    from hhsim.errors import SolverError
    from hhsim.noise import simulate_noisy_batch

    with pytest.raises(SolverError, match="noisy batch of 1000000000 neurons would need"):
        simulate_noisy_batch("hh", ChannelNoise("markov", area_um2=1.0), n=10**9, t_stop=1.0)
    with pytest.raises(SolverError, match="noisy run of 2000 neurons"):
        simulate_noisy_batch("hh", ChannelNoise("markov", area_um2=1.0), n=2000, t_stop=1e7)
