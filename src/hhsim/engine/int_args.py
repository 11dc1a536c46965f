"""Constant arguments for calls from one compiled function to another.

numba types a literal ``0``, ``1`` or ``True`` written at a call site as
``Literal[int](0)`` (``Literal[bool](True)``) and compiles the callee once
more for that type, beside the ``int64`` (``bool``) version that calls from
Python use: a second compile of the whole callee, a few seconds for the
large kernels, from an empty cache.  Passing these named values instead
(NumPy scalars, typed ``int64`` and ``bool``) keeps one compiled version.
"""

from __future__ import annotations

import numpy as np

ZERO = np.int64(0)
ONE = np.int64(1)
TWO = np.int64(2)
TRUE = np.bool_(True)
FALSE = np.bool_(False)
