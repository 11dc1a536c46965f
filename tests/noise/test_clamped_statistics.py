"""At a clamped voltage the channel counts are a stationary Markov chain whose
statistics are known exactly from the kinetic scheme.

With N independent channels, the number open is binomial (N, p) with p the
stationary probability of the open state (a product of binomials over the
subunits: m^3 h, n^4 at the steady-state gates), and its autocorrelation is
``rho(tau) = (P_oo(tau) - p) / (1 - p)`` with ``P_oo(tau) = expm(Q tau)[open, open]``,
a sum of exponentials over the eigenvalues of the generator Q.  The Markov
method's step is the exact transition at fixed V, so these hold at any dt; the
Langevin method has the same covariance (Orio & Soudry 2012).

Tolerances: each neuron of the batch is an independent run, so every
statistic is estimated per neuron and its standard error is the spread of the
per-neuron estimates over sqrt(number of neurons); the tests allow 5 standard
errors (a false alarm about once in 1.7 million), plus nothing else.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm

import hhsim
from hhsim.noise import ChannelNoise, simulate_noisy_batch
from hhsim.physics.kinetic import kinetic_scheme

MODEL = hhsim.models.get("hh")
N_NEURONS = 64
DT = 0.05  # ms; exact at fixed V whatever its size
T_STOP = 200.0  # ms
Z = 5.0  # standard errors allowed


def _analytic(channel_name: str, v: float):
    """(p_open, tau grid (ms), rho(tau), eigenvalues) of one channel's scheme at V."""
    ch = MODEL.channel(channel_name)
    sc = kinetic_scheme(ch)
    phi = ch.phi(MODEL.temperature)
    rates = [g.rates(np.array(v), phi) for g in ch.gates]
    alpha = [float(a) for a, _ in rates]
    beta = [float(b) for _, b in rates]
    xinf = [a / (a + b) for a, b in zip(alpha, beta)]
    p = float(sc.stationary(xinf)[sc.open_state])
    q = sc.generator(alpha, beta)
    lags = np.arange(0, int(40.0 / DT)) * DT
    p_oo = np.array([expm(q * t)[sc.open_state, sc.open_state] for t in lags])
    rho = (p_oo - p) / (1.0 - p)
    return p, lags, rho, np.linalg.eigvals(q)


def _run(method: str, v: float, counts: dict, seed: int):
    noise = ChannelNoise(method, counts=counts, seed=seed)
    return simulate_noisy_batch(MODEL, noise, n=N_NEURONS, t_stop=T_STOP, dt=DT, v_clamp=v,
                                record=[f"{k}.open" for k in counts])


def _per_neuron_stats(x: np.ndarray, mean: float, var: float, lags_idx):
    """Per neuron (columns of x): time mean, variance about the analytic mean, and the
    autocorrelation at the given lags computed with the analytic mean and variance (each
    unbiased for a stationary run)."""
    x = x[1:]  # the counts start in the stationary distribution of the clamp voltage
    m = x.mean(axis=0)
    d = x - mean
    s2 = np.mean(d * d, axis=0)  # about the exact mean: unbiased however correlated the samples
    rho = np.array([np.mean(d[: d.shape[0] - k] * d[k:], axis=0) / var for k in lags_idx])
    return m, s2, rho


def _check(estimates: np.ndarray, expected: float, what: str):
    se = estimates.std(ddof=1) / np.sqrt(estimates.size)
    assert abs(estimates.mean() - expected) < Z * se + 1e-12, (
        f"{what}: {estimates.mean():.5g} against {expected:.5g} (standard error {se:.3g})")


@pytest.mark.parametrize("method, channel, v, count", [
    ("markov", "K", -40.0, 300),
    ("markov", "Na", -40.0, 3000),
    ("markov", "Na", -60.0, 3000),
    ("langevin", "K", -40.0, 3000),
    ("langevin", "Na", -20.0, 30000),
])
def test_open_counts_match_the_scheme(method, channel, v, count):
    p, lags, rho, eig = _analytic(channel, v)
    out = _run(method, v, {channel: count}, seed=11)
    opened = out.traces[f"{channel}.open"] * count  # channels open, (times, neurons)
    mean, var = count * p, count * p * (1.0 - p)
    # the correlation time from the eigenvalues: rho = sum_k c_k exp(lambda_k tau)
    slow = 1.0 / np.min(np.abs(eig[np.abs(eig) > 1e-9].real))
    lag_idx = [int(round(f * slow / DT)) for f in (0.25, 0.5, 1.0, 2.0)]
    lag_idx = sorted({k for k in lag_idx if 0 < k < lags.size})
    m, s2, r = _per_neuron_stats(opened, mean, var, lag_idx)
    _check(m, mean, f"{method} {channel} mean open at {v} mV")
    _check(s2, var, f"{method} {channel} variance of the open count at {v} mV")
    for row, k in zip(r, lag_idx):
        _check(row, rho[k], f"{method} {channel} autocorrelation at {k * DT:g} ms ({v} mV)")
    # the integrated correlation time, up to where rho has fallen below 1 %
    cut = int(np.argmax(rho < 0.01)) if np.any(rho < 0.01) else rho.size
    tau_exact = DT * (rho[:cut].sum() - 0.5 * rho[0])
    _, _, r_all = _per_neuron_stats(opened, mean, var, list(range(1, cut)))
    tau_est = DT * (0.5 + r_all.sum(axis=0))
    _check(tau_est, tau_exact, f"{method} {channel} correlation time at {v} mV")
