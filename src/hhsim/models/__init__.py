"""Preset models by name.

>>> from hhsim import models
>>> hh = models.get("hh")
>>> sorted(models.names())[:2]
['hh', 'hh1952']
"""

from __future__ import annotations

from typing import Callable

from ..model import Model
from . import connor_stevens as _cs
from . import destexhe as _dx
from . import erisir as _er
from . import hh as _hh
from . import pospischil as _po
from . import traub_miles as _tm
from . import wang_buzsaki as _wb
from .resolve import PRESETS, VARIANTS, is_model_file, register_reader, resolve_model, suffixes

# Names are stable: scripts outside the repository use them.  The table lives in
# hhsim.models.resolve, where every model name and file is resolved.
_REGISTRY: dict[str, Callable[[], Model]] = PRESETS
_REGISTRY.update({
    "hh": _hh.hh,
    "hh1952": _hh.hh1952,
    "traub_miles": _tm.traub_miles,
    "wang_buzsaki": _wb.wang_buzsaki,
    "connor_stevens": _cs.connor_stevens,
    "erisir": _er.erisir,
    "pospischil_rs": _po.pospischil_rs,
    "pospischil_fs": _po.pospischil_fs,
    "pospischil_ib": _po.pospischil_ib,
    "pospischil_lts": _po.pospischil_lts,
    "destexhe_tc": _dx.destexhe_tc,
})

# Variants: a preset as its source's own code runs it, to check the preset against
# that source (``hhsim.models.get`` and ``--model`` accept them; ``names()`` does not list them).
VARIANTS.update({
    "pospischil_ib_demo": _po.pospischil_ib_demo,
})


def names() -> list[str]:
    """Names of all presets, in registration order."""
    return list(_REGISTRY)


def get(name: str | Model) -> Model:
    """The preset called ``name``, or the model in the file ``name`` (a cell file
    ``*.toml``, or any suffix registered with :func:`register_reader`); a
    :class:`Model` is returned unchanged."""
    return resolve_model(name)


def register(name: str, factory: Callable[[], Model]) -> None:
    """Add a preset (used by the model library modules)."""
    _REGISTRY[name] = factory


__all__ = ["get", "names", "register", "register_reader", "resolve_model", "is_model_file", "suffixes", "Model"]
