"""NMODL (NEURON ``.mod`` files) into hhsim's description, without a compiler.

>>> from hhsim.interop.nmodl import load_mod          # doctest: +SKIP
>>> na = load_mod("na.mod")                            # a hhsim Channel

The file is parsed with a lark grammar (``nmodl.lark``) into a syntax tree
(:mod:`.syntax`), its blocks are run symbolically (:mod:`.symbolic`: procedures
and functions inlined, IF/ELSE as ``where``) and the resulting expressions are
read as gates, a temperature factor and a current (:mod:`.translate`).
Nothing in the file is executed or compiled.  What is outside the subset of
HH-type density mechanisms is refused with ``file:line``.
"""

from __future__ import annotations

from pathlib import Path

from ...channels.base import Channel
from ...errors import ModelError
from .parser import parse_file, parse_text
from .translate import ImportedPool, translate

__all__ = ["load_mod", "from_nmodl", "with_mechanisms", "parse_file", "parse_text", "ImportedPool"]


def load_mod(path: str | Path) -> Channel | ImportedPool | tuple[Channel, ...]:
    """What the ``.mod`` file ``path`` describes: a channel, an ion pool, or (a file that
    writes several currents, as NEURON's ``hh.mod``) one channel per current."""
    return translate(parse_file(path))


def from_nmodl(path: str | Path) -> Channel:
    """The channel that the ``.mod`` file ``path`` describes (a pool file, or a file with
    several currents, is refused here: use :func:`load_mod`, or ``--channel FILE.mod`` on
    the command line, which adds pools and every current)."""
    out = load_mod(path)
    if isinstance(out, ImportedPool):
        raise ModelError(f"{path}: this file describes an ion pool ({out.pool.ion}: {out.pool.describe()}), not a "
                         "channel; use hhsim.interop.nmodl.load_mod")
    if isinstance(out, tuple):
        raise ModelError(f"{path}: this file writes {len(out)} currents ({', '.join(c.name for c in out)}), one "
                         "channel each; use hhsim.interop.nmodl.load_mod, which returns them all")
    return out


def with_mechanisms(model, mechanisms):
    """``model`` (a :class:`hhsim.model.Model`) with imported channels and pools added; a
    pool also sets the model's resting concentration of its ion to the file's."""
    import dataclasses

    flat = []
    for m in mechanisms:
        flat.extend(m if isinstance(m, tuple) else (m,))
    mechanisms = flat
    channels = [m for m in mechanisms if isinstance(m, Channel)]
    model = model.with_channels(*channels) if channels else model
    for m in mechanisms:
        if isinstance(m, ImportedPool):
            if model.pool(m.pool.ion) is not None:
                raise ModelError(f"{m.source}: the model already has a {m.pool.ion} pool; at most one pool per ion")
            conc = dict(model.concentrations)
            conc[f"{m.pool.prefix}_in"] = m.resting_mM
            model = dataclasses.replace(model, pools=model.pools + (m.pool,), concentrations=tuple(conc.items()))
    return model
