"""Batch kernels on several threads: the same bits whatever the number of threads.

Each test runs one batch with ``HHSIM_THREADS`` = 1, 2 and 3 and compares
every output array bit for bit: traces, final states and spike times.  The
batches mix parameters, scales and waveforms per neuron so that neurons of
one block differ, and span several blocks and an incomplete last block.
"""

from __future__ import annotations

import numpy as np
import pytest

import hhsim
from hhsim.engine import threads
from hhsim.engine.batch import make_grid, run_batch
from hhsim.engine.codegen import BLOCK
from hhsim.physics.structure import lower
from hhsim.errors import DivergenceError, SolverError

N = 2 * BLOCK + 37  # two whole blocks and a part
STIMULI = [hhsim.stim.step(1.0, start=2.0), hhsim.stim.ramp(20.0, 1.5, start=1.0)]


def _batch(method, n=N, threads_=1, monkeypatch=None, t_stop=25.0, dt=0.025, record_every=4, model="hh"):
    base = hhsim.models.get(model)
    rng = np.random.default_rng(7)
    models = [base] * n
    plan = lower(models)
    plan.gbar[0] *= rng.uniform(0.8, 1.2, n)  # per-neuron parameters
    scale = rng.uniform(0.0, 15.0, n)
    wave = rng.integers(0, len(STIMULI), n)
    monkeypatch.setenv("HHSIM_THREADS", str(threads_))
    return run_batch(plan, STIMULI, make_grid(t_stop, dt), method, wave=wave, scale=scale, record_every=record_every)


def _same(a, b):
    assert np.array_equal(a.v, b.v, equal_nan=True)
    assert np.array_equal(a.y, b.y, equal_nan=True)
    assert np.array_equal(a.v_final, b.v_final) and np.array_equal(a.y_final, b.y_final)
    assert len(a.spike_times) == len(b.spike_times)
    assert all(np.array_equal(x, y) for x, y in zip(a.spike_times, b.spike_times))


@pytest.mark.parametrize("method", ["expeuler", "rk4", "euler", "dopri5"])
def test_results_are_bitwise_identical_for_any_thread_count(method, monkeypatch):
    dt = 0.005 if method == "euler" else 0.025
    one = _batch(method, threads_=1, monkeypatch=monkeypatch, dt=dt)
    assert sum(len(s) for s in one.spike_times) > 50  # the batch fires: spike location is exercised
    for n in (2, 3):
        _same(one, _batch(method, threads_=n, monkeypatch=monkeypatch, dt=dt))


def test_a_pool_model_is_bitwise_identical_on_two_threads(monkeypatch):
    # intracellular calcium, Nernst reversal, instantaneous gates
    one = _batch("expeuler", n=BLOCK + 5, threads_=1, monkeypatch=monkeypatch, model="destexhe_tc", t_stop=10.0)
    _same(one, _batch("expeuler", n=BLOCK + 5, threads_=2, monkeypatch=monkeypatch, model="destexhe_tc", t_stop=10.0))


def test_every_neuron_matches_its_own_run_alone(monkeypatch):
    """Neighbours in a block (vector lanes) do not change a neuron's numbers."""
    base = hhsim.models.get("hh")
    plan = lower([base] * N)
    scale = np.linspace(0.0, 20.0, N)
    grid = make_grid(20.0, 0.025)
    monkeypatch.setenv("HHSIM_THREADS", "2")
    full = run_batch(plan, STIMULI[:1], grid, "expeuler", scale=scale, record_every=0)
    for c in (0, 5, BLOCK - 1, BLOCK, N - 1):
        alone = run_batch(lower([base]), STIMULI[:1], grid, "expeuler", scale=scale[c:c + 1], record_every=0)
        assert np.array_equal(alone.v_final, full.v_final[c:c + 1])
        assert np.array_equal(alone.spike_times[0], full.spike_times[c])



@pytest.mark.parametrize("method", ["rk4", "ssprk3", "euler"])
def test_a_runge_kutta_neuron_matches_its_own_run_alone(method, monkeypatch):
    """The same for the loops that round every operation, in the vector lanes and in the
    scalar remainder alike, while the rate forms inlined into them (destexhe_tc's
    linear-exponential, exponential and sigmoid forms) keep their own contraction."""
    base = hhsim.models.get("destexhe_tc")
    n = BLOCK + 7
    scale = np.linspace(0.0, 3.0, n)
    grid = make_grid(20.0, 0.01)
    monkeypatch.setenv("HHSIM_THREADS", "1")
    full = run_batch(lower([base] * n), STIMULI[:1], grid, method, scale=scale, record_every=0)
    assert sum(len(t) for t in full.spike_times) > 50
    for c in (0, 3, BLOCK - 1, BLOCK, n - 1):
        alone = run_batch(lower([base]), STIMULI[:1], grid, method, scale=scale[c:c + 1], record_every=0)
        assert np.array_equal(alone.v_final, full.v_final[c:c + 1]), (method, c)
        assert np.array_equal(alone.spike_times[0], full.spike_times[c]), (method, c)

def test_divergence_is_reported_at_the_same_step_for_any_thread_count(monkeypatch):
    plan = lower([hhsim.models.get("hh")] * N)
    scale = np.zeros(N)
    scale[[40, BLOCK + 3, N - 2]] = [400.0, 2000.0, 900.0]  # forward Euler at 0.1 ms blows up on these
    messages = set()
    for n in (1, 2, 3):
        monkeypatch.setenv("HHSIM_THREADS", str(n))
        with pytest.raises(DivergenceError) as err:
            run_batch(plan, STIMULI[:1], make_grid(20.0, 0.1), "euler", scale=scale, record_every=0)
        messages.add(str(err.value))
    assert len(messages) == 1


def test_chunks_cover_every_neuron_once_in_whole_blocks():
    for n in (1, 5, BLOCK, BLOCK + 1, 10 * BLOCK + 3, 10_000):
        for t in (1, 2, 3, 8):
            parts = threads.chunks(n, BLOCK, t)
            assert parts[0][0] == 0 and parts[-1][1] == n
            assert all(a[1] == b[0] for a, b in zip(parts[:-1], parts[1:]))
            assert all(lo % BLOCK == 0 for lo, _ in parts)
            assert len(parts) == 1 or t > 1


def test_one_neuron_takes_no_thread_pool(monkeypatch):
    def no_pool(size):
        raise AssertionError("a one-neuron run must not use the thread pool")

    monkeypatch.setattr(threads, "_executor", no_pool)
    monkeypatch.setenv("HHSIM_THREADS", "2")
    res = hhsim.simulate("hh", stimulus=hhsim.stim.step(10.0), t_stop=20.0)
    assert res.spike_times.size >= 1


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_bad_thread_count_is_one_clear_error(value, monkeypatch):
    monkeypatch.setenv("HHSIM_THREADS", value)
    with pytest.raises(SolverError, match="HHSIM_THREADS must be a whole number"):
        threads.thread_count()


def test_thread_count_defaults_to_the_cores(monkeypatch):
    monkeypatch.delenv("HHSIM_THREADS", raising=False)
    assert threads.thread_count() == threads.cores() >= 1


@pytest.mark.parametrize("method", ["expeuler", "rk4"])
def test_a_neuron_does_not_depend_on_its_neighbours_rate_parameters(method, monkeypatch):
    """Blocks whose neurons share their rate parameters run a loop with those as
    scalars; a neuron gets the same bits from it as from the general loop."""
    base = hhsim.models.get("hh")
    scale = np.linspace(2.0, 20.0, BLOCK)
    grid = make_grid(30.0, 0.025)
    monkeypatch.setenv("HHSIM_THREADS", "1")
    shared = lower([base] * BLOCK)  # one block, every rate parameter shared: the scalar loop
    mixed = lower([base] * BLOCK)
    mixed.rp[0, 1] *= 1.05  # neuron 1's alpha_m differs: the block takes the general loop
    mixed.phi[1, 2] *= 1.1
    a = run_batch(shared, STIMULI[:1], grid, method, scale=scale, record_every=8)
    b = run_batch(mixed, STIMULI[:1], grid, method, scale=scale, record_every=8)
    keep = [c for c in range(BLOCK) if c not in (1, 2)]
    assert sum(len(a.spike_times[c]) for c in keep) > 50
    assert np.array_equal(a.v[:, keep], b.v[:, keep]) and np.array_equal(a.y[:, :, keep], b.y[:, :, keep])
    assert all(np.array_equal(a.spike_times[c], b.spike_times[c]) for c in keep)
    assert not np.array_equal(a.v[:, 1], b.v[:, 1])
