"""NeuroML2 in and out (libNeuroML).

>>> from hhsim.interop import neuroml as nml
>>> nml.write_neuroml(hhsim.models.get("hh"), "hh.nml")      # doctest: +SKIP
>>> model = nml.load_model("hh.nml")                          # doctest: +SKIP
>>> net = nml.load_network("NML2_SingleCompHHCell.nml")       # doctest: +SKIP

* :func:`load_model`: a file's one-segment cell as a :class:`~hhsim.model.Model`;
* :func:`load_channels`: that cell's channels, to add to another model (``--channel FILE.nml``);
* :func:`load_network`: a file's network as a :class:`~hhsim.network.Network`;
* :func:`read`: everything a file holds, as a :class:`Contents` record;
* :func:`write_neuroml`: a model or a network as a NeuroML2 file that the
  NeuroML2 schema accepts (written atomically).

What is read and written, and how each NeuroML element maps onto hhsim's
descriptions: :mod:`.channels`, :mod:`.cells`, :mod:`.network`, :mod:`.writer`.
Bad files fail with one line ``file:line: what is wrong``
(:class:`~hhsim.errors.ModelError`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ...errors import ModelError
from ...model import Model

SUFFIXES = (".nml",)


@dataclass(frozen=True)
class Contents:
    """What a NeuroML file holds: its one-segment cells as models (by cell id), their
    membrane areas (µm²), the ids of its networks, and its cells with several segments
    (:class:`.cable.CableRead`, by cell id)."""

    models: dict = field(default_factory=dict)
    areas_um2: dict = field(default_factory=dict)
    networks: tuple = ()
    cables: dict = field(default_factory=dict)


def _load(path):
    from . import document

    return document.load(path)


def read(path: str | Path) -> Contents:
    """Every one-segment cell of the NeuroML file ``path`` (with the temperature of its
    network when it has exactly one ``networkWithTemperature``) and its networks' ids."""
    from . import units
    from .cells import read_cell

    src = _load(path)
    doc = src.doc
    nets = list(doc.networks or [])
    temps = [n.temperature for n in nets if n.temperature is not None]
    temperature = units.value(temps[0], "temperature", f"{path}: network temperature") if len(temps) == 1 else None
    channels = {c.id: c for c in list(doc.ion_channel_hhs or []) + list(doc.ion_channel or [])
                + list(doc.ion_channel_kses or [])}
    pools = {p.id: p for p in doc.decaying_pool_concentration_models or []}
    from .cable import is_cable, read_cable

    models, areas, cables = {}, {}, {}
    for cell in doc.cells or []:
        if is_cable(cell):
            cables[cell.id] = read_cable(cell, src.ctx, channels, pools, temperature)
            continue
        cr = read_cell(cell, src.ctx, channels, pools, temperature)
        models[cell.id], areas[cell.id] = cr.model, cr.area_um2
    return Contents(models, areas, tuple(n.id for n in nets), cables)


def load_model(path: str | Path, cell: str | None = None) -> Model:
    """The cell ``cell`` (default: the only one) of NeuroML file ``path`` as a model."""
    contents = read(path)
    if not contents.models:
        extra = (f" (its cells with several segments are cable cells: {', '.join(contents.cables)}; "
                 "use load_cable_cell)") if contents.cables else ""
        raise ModelError(f"{path}: the file has no one-segment <cell>{extra}")
    if cell is None:
        if len(contents.models) > 1:
            raise ModelError(f"{path}: the file has {len(contents.models)} cells; name one of "
                             + ", ".join(contents.models))
        return next(iter(contents.models.values()))
    if cell not in contents.models:
        raise ModelError(f"{path}: no cell {cell!r}; accepted: {', '.join(contents.models)}")
    return contents.models[cell]


def load_channels(path: str | Path) -> tuple:
    """The channels of the one one-segment cell of NeuroML file ``path``, with the
    densities and reversal potentials its ``<channelDensity>`` elements give them:
    what ``--channel FILE.nml`` adds to a model.  (A NeuroML ``ionChannelHH`` says
    nothing of its density, which only a cell gives, so a file without a cell is
    refused.)"""
    contents = read(path)
    if not contents.models:
        raise ModelError(f"{path}: --channel needs a file with one one-segment <cell> whose <channelDensity> "
                         "elements give its channels' densities (a NeuroML channel alone has none); the file "
                         "has " + ("only cells with several segments" if contents.cables else "no <cell>"))
    if len(contents.models) > 1:
        raise ModelError(f"{path}: --channel takes the channels of a file with one cell; this one has "
                         f"{len(contents.models)}: " + ", ".join(contents.models))
    return next(iter(contents.models.values())).channels


def load_cable_cell(path: str | Path, cell: str | None = None, **kw):
    """The cell ``cell`` (default: the only one) with several segments of NeuroML file
    ``path`` as a :class:`~hhsim.network.CableCell` (``kw``: its other fields, e.g.
    ``stimuli``); ``.morph`` and ``.channels`` also run with :func:`hhsim.cable.simulate_cable`."""
    cables = read(path).cables
    if not cables:
        raise ModelError(f"{path}: the file has no <cell> with several segments")
    if cell is None and len(cables) > 1:
        raise ModelError(f"{path}: the file has {len(cables)} cells with several segments; name one of "
                         + ", ".join(cables))
    if cell is not None and cell not in cables:
        raise ModelError(f"{path}: no cell {cell!r} with several segments; accepted: {', '.join(cables)}")
    return cables[cell or next(iter(cables))].cable_cell(**kw)


def load_network(path: str | Path, network: str | None = None, t_stop: float | None = None):
    """The network ``network`` (default: the only one) of NeuroML file ``path``."""
    from .network import read_network

    return read_network(_load(path), network, t_stop)


def load_stimulus(path: str | Path):
    """The stimulus a NeuroML file gives its cell (µA/cm²), when the file has one cell and
    its one network holds one neuron of it; else None (``hhsim run --model FILE.nml``)."""
    contents = read(path)
    if len(contents.models) != 1 or len(contents.networks) != 1:
        return None
    net = load_network(path)
    if len(net.populations) != 1 or net.populations[0].n != 1 or net.projections or net.sources:
        return None
    return net.populations[0].stim


def to_document(obj, *, area_um2: float | None = None):
    """A libNeuroML document for a :class:`Model`, a preset name, a :class:`~hhsim.network.CableCell`
    or a :class:`~hhsim.network.Network`."""
    from ...models import get
    from ...network import CableCell, Network
    from .writer import cable_document, model_document, network_document

    if isinstance(obj, Network):
        return network_document(obj)
    if isinstance(obj, CableCell):
        return cable_document(obj)
    return model_document(get(obj), area_um2=area_um2)


def write_neuroml(obj, path: str | Path, *, area_um2: float | None = None) -> Path:
    """Write a model (or preset name), a cable cell or a network to the NeuroML2 file ``path``."""
    from ...io import check_writable
    from . import document

    check_writable(path, SUFFIXES)
    return document.write(to_document(obj, area_um2=area_um2), path)


__all__ = ["Contents", "read", "load_model", "load_cable_cell", "load_network", "load_stimulus", "to_document",
           "write_neuroml", "SUFFIXES"]
