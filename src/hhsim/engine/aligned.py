"""Arrays whose data start on a cache line (64 bytes).

Two threads that write neighbouring ranges of one array share the cache line
across the boundary unless the boundary falls on a line: then every write there
moves the line between the cores ("false sharing"; on a 6 cm cable on two
threads it cost a third of the run).  The threaded drivers split their nodes at
multiples of 8 float64 values, which falls on a line when the data start on one;
numpy only promises 16-byte alignment.
"""

from __future__ import annotations

import numpy as np

CACHE_LINE = 64


def empty(shape, dtype=float) -> np.ndarray:
    """An uninitialised C-contiguous array of ``shape`` whose data start on a cache line."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape, dtype=np.int64))
    raw = np.empty(n * dtype.itemsize + CACHE_LINE, dtype=np.uint8)
    skip = (-raw.ctypes.data) % CACHE_LINE
    return raw[skip:skip + n * dtype.itemsize].view(dtype).reshape(shape)


def zeros(shape, dtype=float) -> np.ndarray:
    """:func:`empty`, filled with zeros."""
    a = empty(shape, dtype)
    a[...] = 0
    return a


def copy(a) -> np.ndarray:
    """A C-contiguous copy of ``a`` whose data start on a cache line."""
    a = np.asarray(a)
    out = empty(a.shape, a.dtype)
    out[...] = a
    return out
