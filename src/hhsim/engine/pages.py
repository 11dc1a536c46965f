"""Large arrays written once and read in order, on the kernel's small pages.

NumPy advises Linux to back every large array with huge pages (2 MB,
``madvise(MADV_HUGEPAGE)``).  On some virtual machines a fresh huge page is
very slow to fault in.  Measured on the development VM (2 cores, Firecracker),
filling 1.5 GB of fresh memory: ``np.empty`` 21-26 s (10.5-16.7 s in another
hour), with ``NUMPY_MADVISE_HUGEPAGE=0`` 0.85-0.91 s, a private anonymous
mapping 1.3 s with or without ``MADV_NOHUGEPAGE``; a 64,000-cell COBAHH network
(82 million synapses, 2.4 GB of edge tables) took 22 s to build with NumPy's
arrays and 5 s without the advice.  The edge tables of a network are written
once, in order, and read a spike's edges at a time (consecutive), so huge pages
save them nothing at run time: :func:`empty` puts them in a private anonymous
mapping advised to stay on small pages.  Elsewhere (and below
:data:`THRESHOLD`) arrays are NumPy's own.
"""

from __future__ import annotations

import mmap

import numpy as np

#: Arrays smaller than this (bytes) are NumPy's own (the advice starts at 4 MB).
THRESHOLD = 1 << 24


def empty(n: int, dtype) -> np.ndarray:
    """An uninitialised one-dimensional array of ``n`` values of ``dtype``; from
    :data:`THRESHOLD` bytes on, in a private anonymous mapping advised to stay on small
    pages (where the platform has the advice; the mapping is unmapped when the array
    goes)."""
    dtype = np.dtype(dtype)
    nbytes = int(n) * dtype.itemsize
    advice = getattr(mmap, "MADV_NOHUGEPAGE", None)
    if nbytes < THRESHOLD or advice is None:
        return np.empty(int(n), dtype)
    area = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE)  # (a child process gets a copy, as of NumPy's)
    area.madvise(advice)
    return np.frombuffer(area, dtype=dtype, count=int(n))
