"""Channels: the building blocks, and a library of published channels by name.

>>> from hhsim import channels
>>> na = channels.get("traub_na")          # a Channel with the published defaults
>>> "cs_a" in channels.names()
True

Write your own in a few lines (see :mod:`hhsim.channels.base` and
``examples/a_current_tutorial.py``)::

    from hhsim.channels import Channel, Gate
    ka = Channel("A", gbar=47.7, E=-75.0, ion="k", gates=[
        Gate("a", 3, inf="...", tau="..."), Gate("b", 1, inf="...", tau="...")])

Every library entry is a function returning a :class:`Channel` with the
defaults of its source; keyword arguments change them
(``channels.get("m_current", tau_max=608)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..errors import ModelError
from . import cal as _cal
from . import cat as _cat
from . import connor_stevens as _cs
from . import erisir as _er
from . import hh as _hh
from . import ih as _ih
from . import kahp as _kahp
from . import leak as _leak
from . import m_current as _m
from . import nap as _nap
from . import traub as _tr
from . import wang_buzsaki as _wb
from .base import Channel, Const, Exp, Expr, Gate, LinExp, RateForm, Sigmoid
from .expr import ExprError
from .ions import IonPool


@dataclass(frozen=True)
class LibraryEntry:
    """One channel of the library: its factory, family (source file) and one line."""

    name: str
    factory: Callable[..., Channel]
    family: str

    def build(self, **kwargs) -> Channel:
        return self.factory(**kwargs)


_ENTRIES = [
    ("hh_na", _hh.hh_na, "hh"), ("hh_k", _hh.hh_k, "hh"), ("hh_leak", _hh.hh_leak, "hh"),
    ("traub_na", _tr.traub_na, "traub"), ("traub_k", _tr.traub_k, "traub"),
    ("wb_na", _wb.wb_na, "wang_buzsaki"), ("wb_k", _wb.wb_k, "wang_buzsaki"),
    ("cs_na", _cs.cs_na, "connor_stevens"), ("cs_k", _cs.cs_k, "connor_stevens"),
    ("cs_a", _cs.cs_a, "connor_stevens"),
    ("erisir_na", _er.erisir_na, "erisir"), ("erisir_kv3", _er.erisir_kv3, "erisir"),
    ("m_current", _m.m_current, "m_current"),
    ("cal", _cal.cal, "cal"),
    ("cat", _cat.cat, "cat"), ("cat_ghk", _cat.cat_ghk, "cat"),
    ("kahp", _kahp.kahp, "kahp"),
    ("ih", _ih.ih, "ih"),
    ("nap", _nap.nap, "nap"),
    ("leak", _leak.leak, "leak"), ("k_leak", _leak.k_leak, "leak"),
]

LIBRARY: dict[str, LibraryEntry] = {n: LibraryEntry(n, f, fam) for n, f, fam in _ENTRIES}


def names() -> list[str]:
    """Names of the library channels, in a stable order."""
    return list(LIBRARY)


def get(name: str, **kwargs) -> Channel:
    """The library channel ``name`` (keyword arguments override its defaults)."""
    try:
        entry = LIBRARY[name]
    except KeyError:
        raise ModelError(f"unknown channel {name!r}; available: {', '.join(LIBRARY)}") from None
    try:
        return entry.build(**kwargs)
    except TypeError as exc:
        raise ModelError(f"channel {name!r}: {exc}") from None


def __getattr__(name: str):
    # ``from_nmodl`` (hhsim.interop.nmodl) needs lark: it is looked up on first use,
    # so that importing the channels never imports the NMODL parser
    if name == "from_nmodl":
        import importlib

        return importlib.import_module("hhsim.interop.nmodl").from_nmodl
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Channel", "Gate", "Expr", "Exp", "Sigmoid", "LinExp", "Const", "RateForm", "IonPool", "ExprError",
    "LIBRARY", "get", "names", "from_nmodl",
]
