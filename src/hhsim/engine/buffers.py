"""Recycled recording buffers for the kernels.

A one-second ``hh`` run records 40 001 samples of V and three gates: 1.3 MB
written by the kernel.  Fresh memory from the operating system costs one
page fault per 4 KB page on first touch, and whether the C allocator hands
back already-touched memory depends on the process's heap history.  On
some hosts those ~450 faults cost 0.8 ms, a quarter of the whole run.

:func:`take` keeps a few blocks it has handed out and gives one out again
once nothing else refers to it (every array, view and result built on it is
gone), so a script that runs thousands of simulations in a loop writes into
memory it has already touched.  Blocks still in use are never reused.
"""

from __future__ import annotations

import sys
import threading

import numpy as np

#: Blocks remembered at most, and the most memory (bytes) they may hold
#: together: 64 MB covers a 50 s ``hh`` run recorded every 0.025 ms.
KEEP = 4
MAX_BYTES = 64 * 2**20

_blocks: list[np.ndarray] = []
_lock = threading.Lock()


def _unused(i: int) -> bool:
    """Is block ``i`` referred to by the list alone?  (Every numpy view of a
    block holds a reference to it through its ``base``.)"""
    # referrers here: the list and getrefcount's own argument
    return sys.getrefcount(_blocks[i]) <= 2


def take(n: int) -> np.ndarray:
    """An uninitialised float64 array of ``n`` elements, on recycled memory when possible."""
    if n * 8 > MAX_BYTES:
        return np.empty(n)
    with _lock:
        free = [i for i in range(len(_blocks)) if _unused(i)]
        fitting = [i for i in free if _blocks[i].size >= n]
        if fitting:
            return _blocks[min(fitting, key=lambda i: _blocks[i].size)][:n]
        # make room (count and bytes) by forgetting free blocks, smallest first
        free.sort(key=lambda i: _blocks[i].size)
        drop = []
        held = sum(b.nbytes for b in _blocks)
        while free and (len(_blocks) - len(drop) >= KEEP or held + n * 8 > MAX_BYTES):
            i = free.pop(0)
            drop.append(i)
            held -= _blocks[i].nbytes
        for i in sorted(drop, reverse=True):
            del _blocks[i]
        if len(_blocks) >= KEEP or held + n * 8 > MAX_BYTES:
            return np.empty(n)  # the kept blocks are in use: this one is not remembered
        _blocks.append(np.empty(n))
        return _blocks[-1][:n]
