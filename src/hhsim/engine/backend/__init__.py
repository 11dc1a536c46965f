"""Back ends behind one seam (:class:`~hhsim.engine.backend.base.Backend`).

``BACKENDS`` holds them by name: ``numba`` (the compiled CPU engine, the
default) and ``numpy`` (the plain NumPy reference that runs every plan, for
tests).  A new back end (a GPU one) is one module with a class providing the
interface of :mod:`~hhsim.engine.backend.base` and one entry here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module

from ...errors import ParameterError
from .base import Backend, CableJob, NetworkJob

#: The back ends by name, the default first: (module of this package, class, description).
#: A back end's module is imported when it is first asked for, not with hhsim: the
#: NumPy reference imports the cable package and SciPy's sparse matrices, 0.16 s of
#: every command's start that only ``--backend numpy`` needs.
REGISTRY: dict[str, tuple[str, str, str]] = {
    "numba": ("numba_cpu", "NumbaCPU", "compiled with numba on the CPU's threads (the default)"),
    "numpy": ("numpy_ref", "NumpyReference", "plain NumPy, slow: the reference the compiled engine is tested against"),
}
DEFAULT = "numba"


class _Backends(Mapping):
    """The back ends by name (:data:`REGISTRY`), each made when first looked up."""

    def __init__(self) -> None:
        self._made: dict[str, Backend] = {}

    def __getitem__(self, name: str) -> Backend:
        if name not in self._made:
            module, cls, _ = REGISTRY[name]
            self._made[name] = getattr(import_module(f"{__name__}.{module}"), cls)()
        return self._made[name]

    def __iter__(self) -> Iterator[str]:
        return iter(REGISTRY)

    def __len__(self) -> int:
        return len(REGISTRY)


#: Back ends by name, the default first.
BACKENDS: Mapping[str, Backend] = _Backends()


def describe() -> str:
    """``name (description), ...`` of every back end, without importing one."""
    return ", ".join(f"{name} ({description})" for name, (_, _, description) in REGISTRY.items())


def get(name: str | None) -> Backend:
    """The back end called ``name`` (None: the default); a one-line ParameterError naming the
    accepted ones otherwise."""
    key = DEFAULT if name is None else str(name).strip().lower()
    if key not in REGISTRY:
        raise ParameterError(f"unknown backend {name!r}; accepted: {', '.join(REGISTRY)}")
    return BACKENDS[key]


__all__ = ["BACKENDS", "DEFAULT", "REGISTRY", "Backend", "CableJob", "NetworkJob", "describe", "get"]
