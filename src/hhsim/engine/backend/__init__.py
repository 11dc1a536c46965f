"""Back ends behind one seam (:class:`~hhsim.engine.backend.base.Backend`).

``BACKENDS`` holds them by name: ``numba`` (the compiled CPU engine, the
default) and ``numpy`` (the plain NumPy reference that runs every plan, for
tests).  A new back end (a GPU one) is one module with a class providing the
interface of :mod:`~hhsim.engine.backend.base` and one entry here.
"""

from __future__ import annotations

from ...errors import ParameterError
from .base import Backend, CableJob, NetworkJob
from .numba_cpu import NumbaCPU
from .numpy_ref import NumpyReference

#: Back ends by name, the default first.
BACKENDS: dict[str, Backend] = {b.name: b for b in (NumbaCPU(), NumpyReference())}
DEFAULT = "numba"


def get(name: str | None) -> Backend:
    """The back end called ``name`` (None: the default); a one-line ParameterError naming the
    accepted ones otherwise."""
    key = DEFAULT if name is None else str(name).strip().lower()
    if key not in BACKENDS:
        raise ParameterError(f"unknown backend {name!r}; accepted: {', '.join(BACKENDS)}")
    return BACKENDS[key]


__all__ = ["BACKENDS", "DEFAULT", "Backend", "CableJob", "NetworkJob", "get"]
