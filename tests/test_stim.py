"""Stimulus waveforms and the command-line spec parser."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hhsim import stim
from hhsim.errors import StimulusError
from hhsim.stimspec import parse


# ---------------------------------------------------------------- waveforms
def test_step_window_is_half_open():
    s = stim.step(7.5, start=10.0, dur=30.0)
    assert s.value(10.0) == 7.5
    assert s.value(np.nextafter(10.0, 0.0)) == 0.0
    assert s.value(39.999999) == 7.5
    assert s.value(40.0) == 0.0
    assert s.value(0.0) == 0.0 and s.value(100.0) == 0.0
    # left limits: off at the start, on at the end
    assert s.value(10.0, left=True) == 0.0
    assert s.value(40.0, left=True) == 7.5
    t = np.linspace(0, 50, 5001)
    on = (t >= 10.0) & (t < 40.0)
    np.testing.assert_array_equal(s.value(t), np.where(on, 7.5, 0.0))
    assert s.breakpoints() == [10.0, 40.0]


def test_step_without_end():
    s = stim.step(3.0, start=2.0)
    assert s.value(1e9) == 3.0
    assert s.breakpoints() == [2.0]


def test_pulses_count_and_period():
    p = stim.pulses(4.0, dur=1.0, start=5.0, period=10.0, count=6)
    t = np.arange(0.0, 100.0, 0.01)
    on = p.value(t) > 0
    rises = t[1:][on[1:] & ~on[:-1]]
    np.testing.assert_allclose(rises, 5.0 + 10.0 * np.arange(6), atol=1e-9)
    np.testing.assert_allclose(np.diff(rises), 10.0, atol=1e-9)
    # each pulse lasts dur ms and has amplitude amp
    assert np.sum(on) * 0.01 == pytest.approx(6 * 1.0, abs=6 * 0.011)
    assert set(np.unique(p.value(t))) == {0.0, 4.0}
    assert p.value(55.0) == 4.0 and p.value(56.0) == 0.0  # 6th pulse is [55, 56)
    assert p.value(65.0) == 0.0  # no 7th pulse


def test_single_pulse():
    p = stim.pulse(2.0, start=3.0, dur=0.5)
    assert p.value(3.0) == 2.0 and p.value(3.5) == 0.0 and p.value(2.99) == 0.0


def test_ramp_endpoints_and_linearity():
    r = stim.ramp(dur=20.0, amp1=10.0, amp0=-2.0, start=5.0)
    assert r.value(5.0) == -2.0
    assert r.value(25.0, left=True) == pytest.approx(10.0, abs=1e-12)
    assert r.value(25.0) == 0.0 and r.value(4.9) == 0.0
    assert r.value(15.0) == pytest.approx(4.0, abs=1e-12)
    t = np.linspace(5.0, 24.9, 200)
    np.testing.assert_allclose(np.diff(r.value(t)) / np.diff(t), 12.0 / 20.0, rtol=1e-9)


def test_sine_frequency_and_amplitude():
    s = stim.sine(3.0, freq=50.0, offset=1.0)  # 50 Hz: period 20 ms
    assert s.value(5.0) == pytest.approx(4.0, abs=1e-12)  # quarter period: offset + amp
    assert s.value(15.0) == pytest.approx(-2.0, abs=1e-12)
    t = np.arange(0.0, 1000.0, 0.01)
    w = s.value(t) - 1.0
    upward = np.sum((w[:-1] < 0) & (w[1:] >= 0))
    assert upward == 49  # crossings at 20, 40, ..., 980 ms (t = 0 starts at zero)
    spectrum = np.abs(np.fft.rfft(w))
    freqs = np.fft.rfftfreq(t.size, d=0.01e-3)  # Hz
    assert freqs[np.argmax(spectrum)] == pytest.approx(50.0, abs=1.0)


def test_sine_window():
    s = stim.sine(1.0, freq=100.0, start=10.0, dur=5.0)
    assert s.value(9.99) == 0.0 and s.value(15.0) == 0.0
    assert s.value(12.5) == pytest.approx(math.sin(2 * math.pi * 100 * 2.5e-3), abs=1e-12)


def test_noise_reproducible_by_seed():
    a = stim.noise(2.0, mean=1.0, tau=3.0, seed=5, dur=200.0)
    b = stim.noise(2.0, mean=1.0, tau=3.0, seed=5, dur=200.0)
    c = stim.noise(2.0, mean=1.0, tau=3.0, seed=6, dur=200.0)
    t = np.linspace(0.0, 199.9, 3001)
    np.testing.assert_array_equal(a.value(t), b.value(t))
    assert np.max(np.abs(a.value(t) - c.value(t))) > 0.5
    # independent of the sampling: a point value does not depend on which other times are asked
    np.testing.assert_array_equal(a.value(t[::7]), a.value(t)[::7])


def test_noise_statistics():
    mean, std, tau = 3.0, 2.0, 2.0
    n = stim.noise(std, mean=mean, tau=tau, seed=11, dur=20000.0)
    dt = 0.05
    t = np.arange(0.0, 20000.0, dt)
    x = n.value(t)
    # ~5000 correlation times: the sample mean's s.d. is about std * sqrt(2 tau / T) = 0.028
    assert x.mean() == pytest.approx(mean, abs=0.15)
    assert x.std() == pytest.approx(std, rel=0.05)
    # Ornstein-Uhlenbeck autocorrelation exp(-lag / tau)
    lag = int(round(tau / dt))
    y = x - x.mean()
    rho = np.dot(y[:-lag], y[lag:]) / np.dot(y, y)
    assert rho == pytest.approx(math.exp(-1.0), abs=0.05)
    # zero outside its window
    assert n.value(-1.0) == 0.0 and n.value(20001.0) == 0.0


def test_sums_add_up():
    parts = [stim.step(2.0, start=1.0, dur=5.0), stim.sine(1.5, freq=80.0), stim.ramp(10.0, 4.0, start=2.0)]
    t = np.linspace(0.0, 20.0, 2001)
    expected = sum(p.value(t) for p in parts)
    np.testing.assert_allclose((parts[0] + parts[1] + parts[2]).value(t), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sum(parts).value(t), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(stim.total(parts).value(t), expected, rtol=0, atol=1e-12)
    total = stim.total(parts)
    assert set(total.breakpoints()) == {0.0, 1.0, 6.0, 2.0, 12.0}
    # left limits add up too
    np.testing.assert_allclose(total.value(6.0, left=True), parts[0].value(6.0, True)
                               + parts[1].value(6.0, True) + parts[2].value(6.0, True))
    assert stim.total([]) is None


def test_samples_interpolate_linearly():
    s = stim.samples([0.0, 1.0, 3.0], [0.0, 2.0, -2.0])
    assert s.value(0.5) == pytest.approx(1.0)
    assert s.value(2.0) == pytest.approx(0.0)
    assert s.value(-1.0) == 0.0 and s.value(4.0) == 0.0


@pytest.mark.parametrize("header", [None, "time_ms,current_uA_cm2", "t, I"])
def test_file_round_trip(tmp_path, header):
    t = np.linspace(0.0, 10.0, 41)
    i = np.sin(t) * 3.0 + 0.125
    path = tmp_path / "wave.csv"
    lines = ([header] if header else []) + [f"{float(a)!r},{float(b)!r}" for a, b in zip(t, i)]
    path.write_text("\n".join(lines) + "\n")
    s = stim.from_file(path)
    np.testing.assert_array_equal(np.asarray(s.t), t)
    np.testing.assert_array_equal(np.asarray(s.i), i)
    np.testing.assert_array_equal(s.value(t), i)
    mid = 0.5 * (t[:-1] + t[1:])
    np.testing.assert_allclose(s.value(mid), 0.5 * (i[:-1] + i[1:]), rtol=0, atol=1e-12)
    # and through the spec parser
    np.testing.assert_array_equal(parse(f"file(path={path})").value(t), i)
    np.testing.assert_array_equal(parse(f"file(path='{path}')").value(t), i)


@pytest.mark.parametrize(
    "content",
    ["0,1\n1,abc\n", "0,1\n2\n", "0,1\n", "", "time,current\n", "0,1\n1,2\n0.5,3\n", "0,1\n1,nan\n"],
)
def test_file_malformed(tmp_path, content):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(StimulusError):
        stim.from_file(path)


def test_file_missing(tmp_path):
    with pytest.raises(StimulusError):
        stim.from_file(tmp_path / "nope.csv")
    with pytest.raises(StimulusError):
        parse(f"file(path={tmp_path / 'nope.csv'})")


@pytest.mark.parametrize(
    "bad",
    [
        lambda: stim.step(float("nan")),
        lambda: stim.step(1.0, dur=0.0),
        lambda: stim.step(1.0, dur=-1.0),
        lambda: stim.pulses(1.0, dur=2.0, period=1.0, count=3),
        lambda: stim.pulses(1.0, dur=1.0, count=0),
        lambda: stim.pulses(1.0, dur=1.0, period=5.0, count=2.5),
        lambda: stim.ramp(dur=math.inf, amp1=1.0),
        lambda: stim.sine(1.0, freq=-1.0),
        lambda: stim.noise(-1.0),
        lambda: stim.noise(1.0, tau=0.0),
        lambda: stim.noise(1.0, seed=-1),
        lambda: stim.samples([0.0], [1.0]),
        lambda: stim.samples([0.0, 0.0], [1.0, 2.0]),
    ],
)
def test_invalid_stimuli_rejected(bad):
    with pytest.raises(StimulusError):
        bad()


# ---------------------------------------------------------------- spec parser
@pytest.mark.parametrize(
    "spec, expected",
    [
        ("step(amp=10, start=10, dur=30)", stim.step(10, 10, 30)),
        ("step(amp=10)", stim.step(10)),
        ("  step ( amp = -2.5e0 ,start=.5 )  ", stim.step(-2.5, 0.5)),
        ("step(amp=+3, dur=inf)", stim.step(3)),
        ("pulses(amp=5, dur=1, start=2, period=10, count=3)", stim.pulses(5, 1, 2, 10, 3)),
        ("ramp(dur=100, amp1=20)", stim.ramp(100, 20)),
        ("ramp(start=1, dur=10, amp0=-1, amp1=1)", stim.ramp(10, 1, -1, 1)),
        ("sine(amp=2, freq=50)", stim.sine(2, 50)),
        ("sine(amp=2, freq=50, start=1, dur=5, offset=3)", stim.sine(2, 50, 1, 5, 3)),
        ("noise(std=1)", stim.noise(1)),
        ("noise(mean=2, std=1, tau=3, seed=4, start=1, dur=50)", stim.noise(1, 2, 3, 4, 1, 50)),
        ("noise(std=1, seed=4.0)", stim.noise(1, seed=4)),
    ],
)
def test_parse_accepts(spec, expected):
    got = parse(spec)
    assert got == expected
    t = np.linspace(0.0, 60.0, 601)
    np.testing.assert_array_equal(got.value(t), expected.value(t))


@pytest.mark.parametrize(
    "spec",
    [
        "square(amp=1)",  # unknown kind
        "__import__(amp=1)",
        "step(amp=1, foo=2)",  # unknown keyword
        "step(10)",  # positional
        "step(10, start=1)",
        "step(amp=ten)",  # non-numeric
        "step(amp=0x10)",
        "step(amp=1_0)",
        "step(amp=nan)",
        "step(amp=inf)",  # non-finite amplitude
        "step(amp=__import__('os'))",  # expressions
        "step(amp=__import__('os').system('true'))",
        "step(amp=1+1)",
        "step(amp=2*3)",
        "step(amp=(1))",
        "step(amp=[1])",
        "step(amp='1')",
        "step(amp=)",
        "step(amp=1, amp=2)",  # duplicate
        "step(start=1)",  # missing required
        "step()",
        "pulses(amp=1)",
        "ramp(dur=10)",
        "sine(amp=1)",
        "noise(mean=1)",
        "file()",
        "pulses(amp=1, dur=1, period=5, count=2.5)",
        "noise(std=1, seed=1.5)",
        "step amp=1",  # malformed
        "step(amp=1",
        "",
        "step(amp=1); import os",
        "file(path='unterminated)",
        "file(path=a(b).csv)",
    ],
)
def test_parse_rejects(spec):
    with pytest.raises(StimulusError):
        parse(spec)


def test_parse_rejects_malformed_file(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("t,i\n0,1\n1,x\n")
    with pytest.raises(StimulusError):
        parse(f"file(path={path})")
