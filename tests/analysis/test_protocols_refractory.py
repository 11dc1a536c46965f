"""Refractory periods of ``hh`` at 6.3 °C, checked against an independent solve_ivp reference:
0.5 ms pulses, the first at twice the single-pulse threshold T1; a second spike is a
second upward 0 mV crossing."""

from __future__ import annotations

import pytest

from helpers import ref_hh as ref
from hhsim import analysis
from hhsim.analysis import ProtocolError

PULSE = 0.5
DELAY = 5.0


@pytest.fixture(scope="module")
def result():
    return analysis.refractory("hh", intervals=[2.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0], max_interval=30.0)


@pytest.fixture(scope="module")
def t1() -> float:
    return ref.bisect(lambda a: ref.pulse_fires(a, PULSE, 25.0), 5.0, 30.0)


def second_spike(t1: float, interval: float, factor: float) -> bool:
    a, b = DELAY, DELAY + interval
    pieces = [(0.0, a, 0.0), (a, a + PULSE, 2 * t1), (a + PULSE, b, 0.0), (b, b + PULSE, factor * t1),
              (b + PULSE, b + PULSE + 25.0, 0.0)]
    return ref.count_spikes(pieces) >= 2


def test_single_pulse_threshold(result, t1):
    assert result.single_threshold_uA_cm2 == pytest.approx(t1, rel=1e-3)


def test_absolute_period_against_reference(result, t1):
    a = result.absolute_ms
    assert a is not None
    assert not second_spike(t1, a - 0.1, 20.0)
    assert second_spike(t1, a + 0.1, 20.0)


def test_relative_period_against_reference(result, t1):
    r = result.relative_ms
    assert not second_spike(t1, r - 0.1, 1.05)
    assert second_spike(t1, r + 0.1, 1.05)


def test_absolute_shorter_than_relative(result):
    assert 1.0 < result.absolute_ms < result.relative_ms < 30.0


def test_recovery_curve(result, t1):
    d = result.to_dict()
    curve = dict((i, x) for i, x in d["curve"])
    assert curve[2.0] is None and curve[4.0] is None  # absolutely refractory
    assert curve[6.0] > curve[8.0] > curve[12.0] > 1.05  # relatively refractory, recovering
    # the reference agrees with the ratio at 12 ms: just below the threshold no spike, just above one
    assert not second_spike(t1, 12.0, curve[12.0] * (1 - 2e-3))
    assert second_spike(t1, 12.0, curve[12.0] * (1 + 2e-3))
    assert d["absolute_ms"] == result.absolute_ms and d["relative_ms"] == result.relative_ms


def test_intervals_shorter_than_the_pulse_are_refused():
    with pytest.raises(ProtocolError, match="overlap"):
        analysis.refractory("hh", intervals=[0.25, 1.0])
