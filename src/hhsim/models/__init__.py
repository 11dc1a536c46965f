"""Preset models by name.

>>> from hhsim import models
>>> hh = models.get("hh")
>>> sorted(models.names())[:2]
['hh', 'hh1952']
"""

from __future__ import annotations

from typing import Callable

from ..errors import ModelError
from ..model import Model
from . import hh as _hh

_REGISTRY: dict[str, Callable[[], Model]] = {
    "hh": _hh.hh,
    "hh1952": _hh.hh1952,
}


def names() -> list[str]:
    """Names of all presets, in registration order."""
    return list(_REGISTRY)


def get(name: str | Model) -> Model:
    """The preset called ``name`` (a :class:`Model` is returned unchanged)."""
    if isinstance(name, Model):
        return name
    try:
        return _REGISTRY[name]()
    except KeyError:
        raise ModelError(f"unknown model {name!r}; available: {', '.join(_REGISTRY)}") from None


def register(name: str, factory: Callable[[], Model]) -> None:
    """Add a preset (used by the model library modules)."""
    _REGISTRY[name] = factory


__all__ = ["get", "names", "register", "Model"]
