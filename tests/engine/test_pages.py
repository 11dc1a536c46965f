"""Large edge tables on small pages (hhsim.engine.pages): what the kernel backs them with."""

from __future__ import annotations

import mmap
from pathlib import Path

import numpy as np
import pytest

from hhsim.engine import pages


def _vm_flags(address: int) -> list[str] | None:
    """The VmFlags of the mapping holding ``address`` (Linux's /proc/self/smaps): ``nh``
    is "advised not to use huge pages", ``hg`` "advised to", ``sh`` "shared"."""
    inside = False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()[0]
        if "-" in head and not head.endswith(":"):
            lo, hi = (int(x, 16) for x in head.split("-"))
            inside = lo <= address < hi
        elif inside and head == "VmFlags:":
            return line.split()[1:]
    return None


def test_small_arrays_are_numpys_own():
    a = pages.empty(1000, np.int32)
    assert a.dtype == np.int32 and a.shape == (1000,) and a.flags.owndata


def test_a_large_array_is_writable_contiguous_and_of_its_dtype():
    n = pages.THRESHOLD // 8 + 3
    a = pages.empty(n, np.float64)
    assert a.shape == (n,) and a.dtype == np.float64
    assert a.flags.writeable and a.flags.c_contiguous
    a[:] = np.arange(n)
    assert a[-1] == n - 1 and a.sum() == n * (n - 1) / 2


@pytest.mark.skipif(not Path("/proc/self/smaps").exists() or not hasattr(mmap, "MADV_NOHUGEPAGE"),
                    reason="needs Linux's smaps and madvise")
def test_a_large_array_stays_on_small_pages_in_a_private_mapping():
    n = 4 * pages.THRESHOLD
    a = pages.empty(n, np.uint8)
    a[:] = 1
    flags = _vm_flags(a.ctypes.data)
    assert "nh" in flags and "hg" not in flags
    assert "sh" not in flags  # private: a forked child's writes stay its own
