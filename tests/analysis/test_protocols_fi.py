"""The f-I curve of ``hh`` at 6.3 °C: type II onset near 50 Hz and hysteresis between
the fold of limit cycles (about 6.3 µA/cm²) and the Hopf bifurcation (about 9.8 µA/cm²).

Independent facts computed here from the textbook equations (``helpers.ref_hh``):
the Hopf current, where the resting equilibrium's Jacobian gets eigenvalues
with positive real part; and steady rates of runs from rest with solve_ivp.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from helpers import ref_hh as ref
from hhsim import analysis
from hhsim.analysis import ProtocolError
from hhsim.analysis.fi import Staircase

DUR = 500.0


@pytest.fixture(scope="module")
def fi():
    return analysis.fi_curve("hh", 5.0, 12.0, 15, dur=DUR)


@pytest.fixture(scope="module")
def hopf() -> float:
    def growth(i):
        v = ref.equilibrium(i)
        return np.max(np.linalg.eigvals(ref.jacobian(v, i)).real)

    return brentq(growth, 8.0, 12.0, xtol=1e-8)


def ref_rate_from_rest(i: float) -> float:
    """Steady rate (Hz) of a DUR ms step from rest: spikes in the second half, (n - 1) / span."""
    _, spikes, _ = ref.run([(0.0, DUR, i)], ref.state_at(ref.resting_potential()))
    late = spikes[spikes >= DUR / 2]
    return 0.0 if late.size < 2 else 1000.0 * (late.size - 1) / (late[-1] - late[0])


def test_hopf_reference_is_near_literature(hopf):
    # Rinzel & Miller (1980): subcritical Hopf of the squid axon at about 9.78 µA/cm²
    assert 9.6 < hopf < 9.9


def test_rates_from_rest_match_reference(fi):
    c = list(fi.currents_uA_cm2)
    for i in (6.0, 6.5, 8.0):
        want = ref_rate_from_rest(i)
        got = fi.rates_hz[c.index(i)]
        assert got == pytest.approx(want, rel=2e-3, abs=1e-9)
    assert fi.rates_hz[c.index(6.0)] == 0.0 and fi.rates_hz[c.index(6.5)] > 0


def test_type_ii_onset_near_50_hz(fi):
    """Repetitive firing does not start from zero frequency: the slowest firing is about 50 Hz."""
    rates = np.concatenate([fi.rates_hz, fi.rates_up_hz, fi.rates_down_hz])
    nonzero = rates[rates > 0]
    assert nonzero.min() > 40.0
    assert 45.0 < fi.min_rate_hz < 65.0
    assert fi.onset_rate_hz > 40.0


def test_up_sweep_stays_at_rest_until_the_hopf_point(fi, hopf):
    c = fi.currents_uA_cm2
    assert np.all(fi.rates_up_hz[c < hopf] == 0.0)
    # slow passage through the Hopf point may delay the onset by a little, not more than 1 µA/cm²
    assert hopf <= fi.onset_up_uA_cm2 <= hopf + 1.0


def test_down_sweep_keeps_firing_into_the_bistable_range(fi, hopf):
    c = fi.currents_uA_cm2
    # a stable limit cycle exists wherever a step from rest fires repetitively (reference)
    for i in (6.5, 8.0, 9.5):
        assert ref_rate_from_rest(i) > 0
        assert fi.rates_down_hz[list(c).index(i)] > 0
    assert fi.rates_down_hz[list(c).index(6.0)] == 0.0
    lo, hi = fi.bistable_range_uA_cm2
    assert 6.0 < lo <= 6.5 and hopf <= hi <= hopf + 1.0
    d = fi.to_dict()
    assert d["bistable_range_uA_cm2"] == [lo, hi]
    for key in ("currents_uA_cm2", "rates_hz", "rates_up_hz", "rates_down_hz"):
        assert len(d[key]) == 15


def test_staircase_holds_levels_and_ramps():
    s = Staircase((1.0, 3.0), 10.0, ramp=2.0)
    got = s.value(np.array([0.0, 5.0, 10.0, 11.0, 12.0, 15.0, 20.0]))
    assert got == pytest.approx([1, 1, 1, 2, 3, 3, 0], abs=1e-12)
    assert float(s.value(np.array([10.0]), left=True)[0]) == 1.0


@pytest.mark.parametrize("args", [(5.0, 5.0, 3), (12.0, 5.0, 3), (5.0, 12.0, 1)])
def test_bad_ranges(args):
    with pytest.raises(ProtocolError):
        analysis.fi_curve("hh", *args, dur=100.0)


def test_non_positive_duration():
    with pytest.raises(ProtocolError, match="dur"):
        analysis.fi_curve("hh", 0, 10, 3, dur=0.0)
