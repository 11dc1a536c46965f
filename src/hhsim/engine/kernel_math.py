"""The ``math`` of the generated point-neuron kernels: Python's ``math`` with a vectorisable ``exp``.

Rate expressions are rendered as ``math.exp(...)``, ``math.log(...)`` and so
on (:func:`hhsim.channels.expr.to_source`).  The generated kernel modules
import this module under the name ``math``, so that ``exp`` is the
branch-free :func:`~hhsim.engine.cable_helpers.fexp` (relative error below
4e-16), which lets LLVM vectorise the loop over neurons of every preset
written with expressions; every other name is Python's ``math`` function,
which numba compiles as usual.
"""

from __future__ import annotations

import math as _math

from .kernel_helpers import fexp as exp  # noqa: F401  (the one replaced function)


def __getattr__(name):
    return getattr(_math, name)
