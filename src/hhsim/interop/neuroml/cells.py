"""Single-compartment cells: NeuroML2 ``<cell>`` to and from hhsim :class:`~hhsim.model.Model`.

Reading a cell of one segment gives a :class:`Model` and the segment's
membrane area (a sphere when its two ends coincide, else the lateral area of
a frustum):

* ``channelDensity`` -> a channel with a fixed reversal (``erev``);
* ``channelDensityNernst`` -> ``E = "nernst"`` from the species' concentrations;
* ``channelDensityGHK`` -> a GHK current (permeability in cm/s);
* ``channelDensityGHK2`` (calcium) -> ``E = "ghk2"``, the GHK-type current of Jaffe et al.
  1994 with its thermal voltage fixed at 25 mV x T / (293.15 K x 2) (``condDensity`` in mS/cm²);
* ``specificCapacitance`` -> ``Cm``; ``spikeThresh`` -> ``spike_threshold``;
  ``initMembPotential`` -> ``v_init``;
* a ``species`` with a ``decayingPoolConcentrationModel`` -> an
  :class:`~hhsim.channels.ions.IonPool` (shell depth, decay time constant; its
  resting level is the ion's ``X_in``).  NeuroML's pool fills a spherical
  shell and may pump the ion out; hhsim's fills a planar shell and clips the
  influx at zero (Destexhe's ``cadecay``); the two agree while the shell is
  thin against the radius and the current is inward.

Writing a model gives the same elements.  What NeuroML has no place for
(concentrations behind a Nernst potential that no pool changes, a computed
resting potential, the temperature, citations) is written as ``hhsim:``
properties beside the equations, which stay complete for any NeuroML tool;
a Nernst potential without a pool is written as the fixed ``erev`` it is.
Reading restores that description only when writing it again gives exactly
the elements in the file, so an edited file means what its NeuroML says.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import neuroml

from ...channels.ions import IONS, IonPool
from ...errors import ModelError
from ...model import Model
from . import units as _units
from .channels import (HHSIM, ION_IN, ION_OUT, Context, _at, _properties, channel_properties, read_channel,
                       write_channel, xml_of)

#: Membrane area (µm²) given to a written model that has none (the sphere of NeuroML's examples).
DEFAULT_AREA_UM2 = 1000.0


@dataclass(frozen=True)
class CellRead:
    """A single-compartment cell read from NeuroML: the model and its membrane area (µm²)."""

    model: Model
    area_um2: float


@dataclass
class CellWritten:
    """A model written as NeuroML: the cell and the elements it refers to; for a cable
    cell, each section's segments as (segment id, first arc µm, last arc µm)."""

    cell: object
    channels: list
    component_types: list
    pools: list
    pieces: dict = field(default_factory=dict)


# ------------------------------------------------------------------ geometry
def segment_area(seg, parent_distal=None) -> float:
    """Membrane area (µm²) of a NeuroML segment: a sphere when both ends coincide,
    else the lateral surface of a frustum."""
    d = seg.distal
    p = seg.proximal if seg.proximal is not None else parent_distal
    if d is None or p is None:
        raise ModelError(f"segment {seg.id!r} needs proximal and distal points")
    r1, r2 = float(p.diameter) / 2.0, float(d.diameter) / 2.0
    length = math.dist((float(p.x), float(p.y), float(p.z)), (float(d.x), float(d.y), float(d.z)))
    if length == 0.0:
        if r1 <= 0:
            raise ModelError(f"segment {seg.id!r} has no size (diameter 0)")
        return 4.0 * math.pi * r1 * r1
    return math.pi * (r1 + r2) * math.hypot(length, r1 - r2)


# ------------------------------------------------------------------ reading
def _one(items, what: str, where: str, default=None):
    items = list(items or [])
    if len(items) > 1:
        raise ModelError(f"{where}: more than one {what}; hhsim reads one value per cell")
    return items[0] if items else default


def membrane_parts(cell, ctx: Context):
    """(membrane properties, intracellular properties) of ``cell`` (None when absent)."""
    bp = cell.biophysical_properties
    if bp is None:
        raise ModelError(f"{_at(ctx, cell.id)}: cell {cell.id!r} has no <biophysicalProperties>")
    return bp.membrane_properties, bp.intracellular_properties


def read_membrane(cell, mp, ip, ctx: Context, ion_channels: dict, pool_models: dict, temperature: float | None,
                  name: str | None = None) -> Model:
    """The hhsim model of a membrane: its channel densities, capacitance, threshold,
    initial potential and species (the same on every segment)."""
    where = f"{_at(ctx, cell.id)}: cell {cell.id!r}"
    if mp is None:
        raise ModelError(f"{where} has no <membraneProperties>")
    for attr, label in (("channel_populations", "channelPopulation"),
                        ("channel_density_v_shifts", "channelDensityVShift"),
                        ("channel_density_non_uniforms", "channelDensityNonUniform"),
                        ("channel_density_non_uniform_nernsts", "channelDensityNonUniformNernst"),
                        ("channel_density_non_uniform_ghks", "channelDensityNonUniformGHK")):
        if getattr(mp, attr, None):
            why = ""
            if "NonUniform" in label:
                why = " on a cell of one segment (a density that varies with distance needs several segments)"
            raise ModelError(f"{where}: <{label}> is not supported{why}; accepted: channelDensity, "
                             "channelDensityNernst, channelDensityGHK, channelDensityGHK2")
    conc: dict[str, float] = {}
    pools = []
    for sp in (ip.species if ip is not None else []) or []:
        ion = ION_IN.get(sp.ion or sp.id, None)
        if not ion:
            raise ModelError(f"{where}: species {sp.id!r} (ion {sp.ion!r}) is not one of {', '.join(IONS)}")
        prefix = IONS[ion][1]
        conc[f"{prefix}_in"] = _units.value(sp.initial_concentration, "concentration", f"{where} species {sp.id!r}")
        conc[f"{prefix}_out"] = _units.value(sp.initial_ext_concentration, "concentration",
                                             f"{where} species {sp.id!r} initialExtConcentration")
        model = pool_models.get(sp.concentration_model)
        if model is None:
            raise ModelError(f"{where}: species {sp.id!r} names concentration model {sp.concentration_model!r}, "
                             "which is not a decayingPoolConcentrationModel of the file")
        w = f"{_at(ctx, model.id)}: decayingPoolConcentrationModel {model.id!r}"
        conc[f"{prefix}_in"] = _units.value(model.resting_conc, "concentration", f"{w} restingConc")
        pools.append(IonPool(ion, depth=_units.value(model.shell_thickness, "length", f"{w} shellThickness"),
                             tau=_units.value(model.decay_constant, "time", f"{w} decayConstant")))
    channels = []
    species = {}
    for kind, items in (("fixed", mp.channel_densities), ("nernst", mp.channel_density_nernsts),
                        ("ghk", mp.channel_density_ghks), ("ghk2", mp.channel_density_ghk2s)):
        for cd in items or []:
            w = f"{where}, channel density {cd.id!r}"
            if cd.ion_channel not in ion_channels:
                raise ModelError(f"{w}: ion channel {cd.ion_channel!r} is not in the file")
            ch, sp = read_channel(ion_channels[cd.ion_channel], _channel_name(cd.id), ctx,
                                  channel_properties(_properties(cell), cd.ion_channel), temperature)
            ion = ION_IN.get(cd.ion or sp or "", None)
            if ion is None:
                raise ModelError(f"{w}: ion {cd.ion!r} is not one of {', '.join(IONS)} or non_specific")
            if kind == "fixed":
                ch = ch.replace(gbar=_units.value(cd.cond_density, "conductance_density", f"{w} condDensity"),
                                E=_units.value(cd.erev, "voltage", f"{w} erev"), ion=ion)
            elif kind == "nernst":
                ch = ch.replace(gbar=_units.value(cd.cond_density, "conductance_density", f"{w} condDensity"),
                                E="nernst", ion=ion)
            elif kind == "ghk2":  # NeuroML's current reads caConc: calcium only
                if ion != "ca":
                    raise ModelError(f"{w}: a channelDensityGHK2 carries calcium (NeuroML's definition reads the "
                                     f"calcium concentrations); got ion {cd.ion!r}")
                ch = ch.replace(gbar=_units.value(cd.cond_density, "conductance_density", f"{w} condDensity"),
                                E="ghk2", ion=ion)
            else:
                ch = ch.replace(gbar=_units.value(cd.permeability, "permeability", f"{w} permeability"),
                                E="ghk", ion=ion)
            if kind != "fixed" and f"{IONS[ion][1]}_in" not in conc:
                raise ModelError(f"{w}: a {kind} channel needs a <species> of {ion} with its concentrations")
            channels.append(ch)
            species[ch.name] = kind
    names = [c.name for c in channels]
    if len(set(names)) != len(names):
        raise ModelError(f"{where}: two channel densities have the same id")
    cm = _one(mp.specific_capacitances, "specificCapacitance", where)
    thresh = _one(mp.spike_threshes, "spikeThresh", where)
    init = _one(mp.init_memb_potentials, "initMembPotential", where)
    kw = {}
    if cm is not None:
        kw["Cm"] = _units.value(cm.value, "specific_capacitance", f"{where} specificCapacitance")
    if thresh is not None:
        kw["spike_threshold"] = _units.value(thresh.value, "voltage", f"{where} spikeThresh")
    if init is not None:
        kw["v_init"] = _units.value(init.value, "voltage", f"{where} initMembPotential")
    if temperature is not None:
        kw["temperature"] = temperature
    return Model(name=name or cell.id, channels=tuple(channels), concentrations=tuple(conc.items()),
                 pools=tuple(pools), description=_text(cell.notes), **kw)


def _channel_name(ident: str) -> str:
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in str(ident))
    return name if name.isidentifier() else f"ch_{name}"


def _text(x) -> str:
    return x.strip() if isinstance(x, str) else ""


def read_cell(cell, ctx: Context, ion_channels: dict, pool_models: dict, temperature: float | None) -> CellRead:
    """A one-segment NeuroML cell as a :class:`CellRead`."""
    where = f"{_at(ctx, cell.id)}: cell {cell.id!r}"
    morph = cell.morphology
    if morph is None or not morph.segments:
        raise ModelError(f"{where} has no morphology; hhsim reads cells with segments")
    if len(morph.segments) != 1:
        raise ModelError(f"{where} has {len(morph.segments)} segments; read it as a cable cell")
    area = segment_area(morph.segments[0])
    mp, ip = membrane_parts(cell, ctx)
    props = _properties(cell)
    temp = temperature
    if temp is None and "temperature" in props:
        temp = float(props["temperature"])
    model = read_membrane(cell, mp, ip, ctx, ion_channels, pool_models, temp)
    return CellRead(_restored(model, cell, props, area, temperature, ctx), area)


def _restored(model: Model, cell, props: dict, area: float, temperature, ctx: Context) -> Model:
    """The model hhsim wrote (see the module docstring), or ``model`` as NeuroML defines it."""
    if not props:
        return model
    try:
        channels = {c.name: c for c in model.channels}
        for name in props.get("nernst", "").split():
            channels[name] = channels[name].replace(E="nernst")
        order = props.get("channels", "").split()
        if sorted(order) != sorted(channels):
            order = list(channels)
        conc = dict(model.concentrations)
        for item in props.get("concentrations", "").split():
            key, _, value = item.partition("=")
            conc[key] = float(value)
        changes = dict(channels=tuple(channels[n] for n in order), concentrations=tuple(conc.items()),
                       source=props.get("source", ""), notes=props.get("notes", ""))
        if props.get("v_init") == "rest":
            changes["v_init"] = None
        changes.update(initial_states_change(props))
        if "name" in props:
            changes["name"] = props["name"]
        candidate = dataclasses.replace(model, **changes)
        again = write_model(candidate, cell.id, area_um2=area, temperature_known=temperature is not None)
    except (ModelError, ValueError, KeyError):
        return model
    return candidate if xml_of(again.cell, "cell") == xml_of(cell, "cell") else model


def initial_states_change(props: dict) -> dict:
    """``{"initial_states": ...}`` from an ``initial_states`` property (when models have the field)."""
    if "initial_states" not in props or "initial_states" not in {f.name for f in dataclasses.fields(Model)}:
        return {}
    pairs = [item.partition("=") for item in props["initial_states"].split()]
    return {"initial_states": tuple((k, float(v)) for k, _, v in pairs)}


# ------------------------------------------------------------------ writing
def _sphere(area_um2: float) -> neuroml.Morphology:
    d = _units.fmt(math.sqrt(area_um2 / math.pi))
    point = dict(x="0", y="0", z="0", diameter=d)
    seg = neuroml.Segment(id=0, name="soma", proximal=neuroml.Point3DWithDiam(**point),
                          distal=neuroml.Point3DWithDiam(**point))
    groups = [neuroml.SegmentGroup(id="soma_group", members=[neuroml.Member(segments=0)]),
              neuroml.SegmentGroup(id="all", members=[neuroml.Member(segments=0)])]
    return neuroml.Morphology(id="morphology", segments=[seg], segment_groups=groups)


@dataclass
class MembraneWritten:
    """A model's membrane as NeuroML: the membrane properties, species, ion channels (ids
    ``<ident>_<channel>``), component types, pool models, and the hhsim properties its cell
    keeps for the channels (``ch:<channel id>:<key>``)."""

    membrane: object
    species: list
    channels: list
    component_types: list
    pools: list
    channel_properties: dict


def membrane_elements(model: Model, ident: str, where: str) -> MembraneWritten:
    """The NeuroML elements of ``model``'s membrane (see :class:`MembraneWritten`)."""
    mp = neuroml.MembraneProperties()
    channels, cts, ch_props = [], [], {}
    pool_ions = {p.ion for p in model.pools}
    for ch in model.channels:
        written = write_channel(ch, f"{ident}_{ch.name}", temperature=model.temperature)
        channels.append(written.channel)
        cts.extend(written.component_types)
        ch_props.update({f"ch:{written.channel.id}:{k}": v for k, v in written.properties.items()})
        ion = ION_OUT[ch.ion]
        if ch.reversal == "ghk":
            if ch.ion not in pool_ions:
                raise ModelError(f"{where}: GHK channel {ch.name!r} can be written only with a pool of {ch.ion} "
                                 "(NeuroML's concentrations belong to a concentration model)")
            mp.channel_density_ghks.append(neuroml.ChannelDensityGHK(
                id=ch.name, ion_channel=written.channel.id, permeability=_units.quantity(ch.gbar, "cm_per_s"), ion=ion))
        elif ch.reversal == "ghk2":
            if ch.ion != "ca" or ch.ion not in pool_ions:
                raise ModelError(f"{where}: GHK2 channel {ch.name!r} can be written only for calcium with a pool of it "
                                 "(NeuroML's channelDensityGHK2 reads the calcium concentrations)")
            mp.channel_density_ghk2s.append(neuroml.ChannelDensityGHK2(
                id=ch.name, ion_channel=written.channel.id, cond_density=_units.quantity(ch.gbar, "mS_per_cm2"),
                ion=ion))
        elif ch.reversal == "nernst" and ch.ion in pool_ions:
            mp.channel_density_nernsts.append(neuroml.ChannelDensityNernst(
                id=ch.name, ion_channel=written.channel.id, cond_density=_units.quantity(ch.gbar, "mS_per_cm2"),
                ion=ion))
        else:
            mp.channel_densities.append(neuroml.ChannelDensity(
                id=ch.name, ion_channel=written.channel.id, cond_density=_units.quantity(ch.gbar, "mS_per_cm2"),
                erev=_units.quantity(ch.E, "mV"), ion=ion))
    mp.spike_threshes.append(neuroml.SpikeThresh(value=_units.quantity(model.spike_threshold, "mV")))
    mp.specific_capacitances.append(neuroml.SpecificCapacitance(value=_units.quantity(model.Cm, "uF_per_cm2")))
    v0 = model.resting_potential() if model.v_init is None else model.v_init
    mp.init_memb_potentials.append(neuroml.InitMembPotential(value=_units.quantity(v0, "mV")))
    species, pools = [], []
    conc = model.concentration
    for p in model.pools:
        prefix = IONS[p.ion][1]
        pool_id = f"{ident}_{p.ion}_pool"
        if not getattr(p, "plain", True):  # NeuroML's decaying pool has none of these options
            raise ModelError(f"{where}: the {p.ion} pool (clip={p.clip}, rest={p.rest}, pump_vmax={p.pump_vmax:g}) "
                             "cannot be written to NeuroML: its decayingPoolConcentrationModel has no unclipped "
                             "influx, own resting level or pump")
        pools.append(neuroml.DecayingPoolConcentrationModel(
            id=pool_id, ion=ION_OUT[p.ion], resting_conc=_units.quantity(conc[f"{prefix}_in"], "mM"),
            decay_constant=_units.quantity(p.tau, "ms"), shell_thickness=_units.quantity(p.depth, "um")))
        species.append(neuroml.Species(id=ION_OUT[p.ion], ion=ION_OUT[p.ion], concentration_model=pool_id,
                                       initial_concentration=_units.quantity(conc[f"{prefix}_in"], "mM"),
                                       initial_ext_concentration=_units.quantity(conc[f"{prefix}_out"], "mM")))
    return MembraneWritten(mp, species, channels, cts, pools, ch_props)


def model_properties(model: Model, temperature_known: bool) -> dict[str, str]:
    """The ``hhsim:`` properties that restore what NeuroML has no place for."""
    pool_ions = {p.ion for p in model.pools}
    props = {"name": model.name, "channels": " ".join(c.name for c in model.channels)}
    nernst = [c.name for c in model.channels if c.reversal == "nernst" and c.ion not in pool_ions]
    if nernst:
        props["nernst"] = " ".join(nernst)
    if model.concentrations:
        props["concentrations"] = " ".join(f"{k}={_units.fmt(v)}" for k, v in model.concentrations)
    if model.v_init is None:
        props["v_init"] = "rest"
    # states that start away from their steady state (NeuroML starts every gate there)
    initial = getattr(model, "initial_states", ())
    if initial:
        props["initial_states"] = " ".join(f"{k}={_units.fmt(v)}" for k, v in initial)
    if not temperature_known:
        props["temperature"] = _units.fmt(model.temperature)
    for key in ("source", "notes"):
        if getattr(model, key):
            props[key] = getattr(model, key)
    return props


def write_model(model: Model, ident: str, *, area_um2: float | None = None,
                temperature_known: bool = False) -> CellWritten:
    """``model`` as a one-segment NeuroML cell with id ``ident`` (a sphere of ``area_um2``,
    default :data:`DEFAULT_AREA_UM2`).  ``temperature_known``: the temperature is written
    by the network (else it is kept as a property)."""
    where = f"model {model.name!r}"
    area = DEFAULT_AREA_UM2 if area_um2 is None else float(area_um2)
    mw = membrane_elements(model, ident, where)
    ip = neuroml.IntracellularProperties(species=mw.species)
    bp = neuroml.BiophysicalProperties(id="biophys", membrane_properties=mw.membrane, intracellular_properties=ip)
    cell = neuroml.Cell(id=ident, morphology=_sphere(area), biophysical_properties=bp)
    if model.description:
        cell.notes = model.description
    props = {**model_properties(model, temperature_known), **mw.channel_properties}
    cell.properties = [neuroml.Property(tag=HHSIM + k, value=v) for k, v in props.items()]
    return CellWritten(cell, mw.channels, mw.component_types, mw.pools)
