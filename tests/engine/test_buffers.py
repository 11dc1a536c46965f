"""Recycled recording buffers: reused only once nothing refers to them."""

from __future__ import annotations

import numpy as np

import hhsim
from hhsim.engine import buffers


def test_a_block_in_use_is_never_handed_out_again():
    a = buffers.take(1000)
    a[:] = 1.0
    view = a[10:20]
    del a
    b = buffers.take(1000)
    assert not np.shares_memory(view, b)
    b[:] = 2.0
    assert np.all(view == 1.0)


def test_a_dropped_block_is_reused(monkeypatch):
    # start from an empty pool: blocks still held by earlier tests' results would fill it
    monkeypatch.setattr(buffers, "_blocks", [])
    a = buffers.take(5000)
    address = a.__array_interface__["data"][0]  # (holding ``a.base`` would keep the block in use)
    del a
    b = buffers.take(4000)  # the dropped block fits: it comes back
    assert b.__array_interface__["data"][0] == address


def test_kept_results_are_independent():
    """Results kept alive never share memory; dropping one lets the next run reuse it."""
    s = hhsim.stim.step(10.0, start=1.0, dur=5.0)
    r1 = hhsim.simulate("hh", s, t_stop=20.0)
    v1 = r1.v.copy()
    r2 = hhsim.simulate("hh", hhsim.stim.step(-5.0, start=1.0, dur=5.0), t_stop=20.0)
    assert not np.shares_memory(r1.v, r2.v)
    assert not any(np.shares_memory(r1.states[k], r2.states[k]) for k in r1.states)
    np.testing.assert_array_equal(r1.v, v1)
    del r2
    r3 = hhsim.simulate("hh", s, t_stop=20.0)
    np.testing.assert_array_equal(r3.v, v1)
    np.testing.assert_array_equal(r1.v, v1)


def test_the_pool_holds_a_bounded_amount_of_memory():
    """However many runs are kept alive or dropped, at most KEEP blocks and MAX_BYTES are remembered."""
    n = buffers.MAX_BYTES // 8 // 3
    kept = [buffers.take(n) for _ in range(5)]  # all in use at once
    assert len(buffers._blocks) <= buffers.KEEP
    assert sum(b.nbytes for b in buffers._blocks) <= buffers.MAX_BYTES
    for a in kept:
        a[:] = 1.0  # every array is usable whether remembered or not
    assert not any(np.shares_memory(a, b) for i, a in enumerate(kept) for b in kept[i + 1:])
    del kept, a
    big = buffers.take(buffers.MAX_BYTES // 8)  # the dropped ones make room for it
    assert sum(b.nbytes for b in buffers._blocks) <= buffers.MAX_BYTES
    assert big.size == buffers.MAX_BYTES // 8
