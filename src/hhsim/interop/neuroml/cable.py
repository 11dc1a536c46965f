"""Cells with morphologies: a NeuroML2 ``<cell>`` of several segments as an hhsim cable cell.

Each segment becomes a :class:`~hhsim.cable.geometry.Section` (a frustum from
its proximal to its distal point; a segment whose two ends coincide, a
spherical soma, becomes the cylinder of its diameter and length equal to it,
which has the sphere's membrane area, as NEURON does).  A child attaches at
its parent's distal end (``fractionAlong`` 1); a child of the root may also
attach at the root's proximal end (0); other attachment points are refused.

Channel densities, capacitances and resistivities apply to segment groups
(``all`` when none is named; groups may include other groups).  The
segments that share one set of them form a region, named after the
smallest segment group that holds exactly those segments (else
``region1``, ``region2``, ...), and each region gets its own
:class:`~hhsim.model.Model` (:func:`.cells.read_membrane`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...errors import ModelError
from . import units as _units
from .cells import read_membrane
from .channels import Context, _at


@dataclass(frozen=True)
class CableRead:
    """A multi-segment cell read from NeuroML: its morphology, a model per region, the
    section of each segment id, and its spike threshold (mV)."""

    morph: object
    channels: dict
    sections: dict
    threshold: float

    def cable_cell(self, **kw):
        """A :class:`~hhsim.network.CableCell` of this cell (``kw``: its other fields)."""
        from ...network import CableCell

        return CableCell(self.morph, dict(self.channels), threshold=self.threshold, **kw)


def _groups(morph, where: str) -> dict[str, set]:
    """Segment group id -> segment ids (includes resolved; ``all`` when not defined)."""
    raw = {g.id: g for g in morph.segment_groups or []}
    out: dict[str, set] = {}

    def members(gid: str, stack: tuple) -> set:
        if gid in out:
            return out[gid]
        if gid in stack:
            raise ModelError(f"{where}: segment groups include each other in a circle ({gid})")
        g = raw[gid]
        if g.paths or g.sub_trees:
            raise ModelError(f"{where}: segment group {gid!r} uses <path> or <subTree>; give <member> and <include>")
        found = {int(m.segments) for m in g.members or []}
        for inc in g.includes or []:
            if inc.segment_groups not in raw:
                raise ModelError(f"{where}: segment group {gid!r} includes unknown group {inc.segment_groups!r}")
            found |= members(inc.segment_groups, stack + (gid,))
        out[gid] = found
        return found

    for gid in raw:
        members(gid, ())
    out.setdefault("all", {int(s.id) for s in morph.segments})
    return out


def _applies(item, groups: dict, where: str) -> set:
    if getattr(item, "segments", None) is not None:
        return {int(item.segments)}
    g = getattr(item, "segment_groups", None) or "all"
    if g not in groups:
        raise ModelError(f"{where}: segment group {g!r} is not in the morphology")
    return groups[g]


def read_cable(cell, ctx: Context, ion_channels: dict, pool_models: dict, temperature: float | None) -> CableRead:
    """The cable cell of a NeuroML cell with several segments."""
    from ...cable.geometry import Morphology, Section

    where = f"{_at(ctx, cell.id)}: cell {cell.id!r}"
    morph = cell.morphology
    segs = {int(s.id): s for s in morph.segments}
    groups = _groups(morph, where)
    bp = cell.biophysical_properties
    if bp is None or bp.membrane_properties is None:
        raise ModelError(f"{where} has no <membraneProperties>")
    mp, ip = bp.membrane_properties, bp.intracellular_properties
    # which density, capacitance and resistivity items apply to each segment
    kinds = ("channel_densities", "channel_density_nernsts", "channel_density_ghks", "specific_capacitances")
    applies = {k: [(item, _applies(item, groups, where)) for item in getattr(mp, k) or []] for k in kinds}
    resist = [(r, _applies(r, groups, where)) for r in (ip.resistivities if ip is not None else []) or []]
    signature = {}
    for sid in segs:
        signature[sid] = tuple(tuple(id(item) for item, on in applies[k] if sid in on) for k in kinds)
    # a region per distinct signature, named after the smallest group with exactly its segments
    regions: dict[tuple, str] = {}
    for sig in dict.fromkeys(signature[s] for s in sorted(segs)):
        members = {s for s in segs if signature[s] == sig}
        exact = sorted((g for g, m in groups.items() if m == members), key=lambda g: (g != "soma_group", len(g), g))
        regions[sig] = exact[0] if exact else f"region{len(regions) + 1}"
    models = {}
    for sig, region in regions.items():
        sub = type(mp)()
        for k in kinds:
            setattr(sub, k, [item for item, on in applies[k] if id(item) in set(sig[kinds.index(k)])])
        sub.spike_threshes, sub.init_memb_potentials = mp.spike_threshes, mp.init_memb_potentials
        models[region] = read_membrane(cell, sub, ip, ctx, ion_channels, pool_models, temperature,
                                       name=f"{cell.id}_{region}")
    # sections in parent-first order
    order, seen = [], set()
    children: dict[int, list] = {}
    roots = []
    for sid, s in segs.items():
        if s.parent is None:
            roots.append(sid)
        else:
            children.setdefault(int(s.parent.segments), []).append(sid)
    if len(roots) != 1:
        raise ModelError(f"{where}: the morphology needs exactly one segment without parent (found {len(roots)})")
    stack = [roots[0]]
    while stack:
        sid = stack.pop()
        if sid in seen:
            raise ModelError(f"{where}: segment {sid} is reached twice (a loop of parents)")
        seen.add(sid)
        order.append(sid)
        stack.extend(reversed(children.get(sid, [])))
    if len(order) != len(segs):
        missing = sorted(set(segs) - seen)
        raise ModelError(f"{where}: segment {missing[0]} has a parent that is not in the morphology")
    ra_default = None
    sections, names = [], {}
    for sid in order:
        s = segs[sid]
        w = f"{where}, segment {sid}"
        parent = segs[int(s.parent.segments)] if s.parent is not None else None
        prox = s.proximal if s.proximal is not None else (parent.distal if parent is not None else None)
        if prox is None or s.distal is None:
            raise ModelError(f"{w} needs proximal and distal points")
        d0, d1 = float(prox.diameter), float(s.distal.diameter)
        length = math.dist((float(prox.x), float(prox.y), float(prox.z)),
                           (float(s.distal.x), float(s.distal.y), float(s.distal.z)))
        profile = ()
        if length == 0.0:
            length = d0  # a sphere: the cylinder of its diameter has its area
        elif d0 != d1:
            profile = ((0.0, d0), (length, d1))
        parent_end = 1
        if parent is not None:
            frac = float(s.parent.fraction_along) if s.parent.fraction_along is not None else 1.0
            if frac == 0.0 and parent.parent is None:
                parent_end = 0
            elif frac != 1.0:
                raise ModelError(f"{w}: fractionAlong {frac:g} on its parent; hhsim attaches children at the "
                                 "parent's end (1), or at the root's start (0)")
        ra = [r for r, on in resist if sid in on]
        ra_val = _units.value(ra[-1].value, "resistivity", f"{w} resistivity") if ra else None
        name = f"seg{sid}" if not s.name or s.name in names.values() else str(s.name)
        names[sid] = name
        sections.append(Section(name, length, d0 if not profile else max(d0, d1), region=regions[signature[sid]],
                                parent=names[int(s.parent.segments)] if parent is not None else None,
                                parent_end=parent_end, profile=profile, ra=ra_val))
        ra_default = ra_val if ra_default is None else ra_default
    kw = {"ra": ra_default} if ra_default is not None else {}
    thresh = [t for t in mp.spike_threshes or []]
    threshold = _units.value(thresh[0].value, "voltage", f"{where} spikeThresh") if thresh else 0.0
    m = Morphology(tuple(sections), name=cell.id, source=ctx.where, **kw)
    return CableRead(m, models, names, threshold)
