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

Non-uniform densities (``channelDensityNonUniform``, ``...NonUniformNernst``,
``...NonUniformGHK``): the ``variableParameter`` (``condDensity``, or
``permeability`` for GHK) on a segment group, its ``inhomogeneousValue`` an
expression of the variable of an ``inhomogeneousParameter`` of that group with
metric ``Path Length from root`` (µm along the segments' 3D points from the
root segment's proximal point).  As NeuroML writes them, the values are in SI
units (S/m² for a conductance density, m/s for a permeability), as in
``1e4 * (0.00008 * exp(p/323))`` for 0.08 mS/cm² growing with distance.
hhsim evaluates the expression at the middle of each segment and gives that
segment the resulting density (a segment is a section of the cable, so the
density is constant along it: split a long segment in the file for a finer
profile).  A ``translationStart`` other than 0 and a ``normalizationEnd`` are
refused, as are ``channelPopulation``, ``channelDensityVShift`` and
``channelDensityGHK2`` (a single-compartment cell reads it, as ``E = "ghk2"``;
hhsim's cable kernels do not run that current yet).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...errors import ModelError
from . import units as _units
from .cells import initial_states_change, read_membrane
from .channels import Context, _at, xml_of


@dataclass(frozen=True)
class CableRead:
    """A multi-segment cell read from NeuroML: its morphology, a model per region, for each
    segment id its section and the part of it the segment covers ``(name, x0, x1)``, and
    its spike threshold (mV)."""

    morph: object
    channels: dict
    sections: dict
    threshold: float

    def cable_cell(self, **kw):
        """A :class:`~hhsim.network.CableCell` of this cell (``kw``: its other fields)."""
        from ...network import CableCell

        return CableCell(self.morph, dict(self.channels), threshold=self.threshold, **kw)


def is_cable(cell) -> bool:
    """Is a NeuroML cell a cable cell?  One with several segments is; one segment is a
    single compartment (as NeuroML simulators take it) unless hhsim wrote it as a cable or
    its section asks for several compartments (``numberInternalDivisions`` > 1)."""
    morph = cell.morphology
    if morph is None or not morph.segments:
        return False
    if len(morph.segments) > 1:
        return True
    if any(p.tag == "hhsim:cable" for p in cell.properties or []):
        return True
    for g in morph.segment_groups or []:
        for p in g.properties or []:
            if p.tag == "numberInternalDivisions" and str(p.value).strip().isdigit() and int(p.value) > 1:
                return True
    return False


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
    for attr, label in (("channel_populations", "channelPopulation"),
                        ("channel_density_v_shifts", "channelDensityVShift"),
                        ("channel_density_ghk2s", "channelDensityGHK2")):
        if getattr(mp, attr, None):
            raise ModelError(f"{where}: <{label}> is not supported; accepted: channelDensity, channelDensityNernst, "
                             "channelDensityGHK and their NonUniform forms" + (
                                 " (on a cell of one segment channelDensityGHK2 is read; hhsim's cable kernels "
                                 "do not run that current yet)" if label == "channelDensityGHK2" else ""))
    # which density, capacitance and resistivity items apply to each segment
    kinds = ("channel_densities", "channel_density_nernsts", "channel_density_ghks", "specific_capacitances")
    applies = {k: [(item, _applies(item, groups, where)) for item in getattr(mp, k) or []] for k in kinds}
    for k, pieces in _non_uniform(mp, morph, segs, groups, where).items():
        applies[k].extend(pieces)
    resist = [(r, _applies(r, groups, where)) for r in (ip.resistivities if ip is not None else []) or []]
    signature = {}
    for sid in segs:
        signature[sid] = tuple(tuple(id(item) for item, on in applies[k] if sid in on) for k in kinds)
    # a region per distinct signature, named after the smallest group with exactly its segments
    regions: dict[tuple, str] = {}
    for sig in dict.fromkeys(signature[s] for s in sorted(segs)):
        members = {s for s in segs if signature[s] == sig}
        exact = sorted((g for g, m in groups.items() if m == members),
                       key=lambda g: (g == "all", g != "soma_group", len(g), g))
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
    props = {p.tag[len("hhsim:"):]: p.value for p in (cell.properties or []) if str(p.tag).startswith("hhsim:")}
    chains = _unbranched_chains(morph, segs, order, signature)
    if chains is not None:
        plain = _from_chains(cell, ctx, segs, chains, regions, signature, resist, models, mp, {}, where)
        if not props:
            return plain
        try:  # hhsim's description, when writing it back gives exactly this cell
            restored = _from_chains(cell, ctx, segs, chains, regions, signature, resist, models, mp, props, where)
            again = write_cable(restored.morph, restored.channels, cell.id, threshold=restored.threshold)
        except (ModelError, ValueError, KeyError):
            return plain
        return restored if xml_of(again.cell, "cell") == xml_of(cell, "cell") else plain
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
    return CableRead(m, models, {sid: (name, 0.0, 1.0) for sid, name in names.items()}, threshold)


#: NonUniform density kind -> (uniform kind it becomes, its parameter, NeuroML unit of the values)
_NON_UNIFORM = {
    "channel_density_non_uniforms": ("channel_densities", "condDensity", "S_per_m2"),
    "channel_density_non_uniform_nernsts": ("channel_density_nernsts", "condDensity", "S_per_m2"),
    "channel_density_non_uniform_ghks": ("channel_density_ghks", "permeability", "m_per_s"),
}
_LABEL = {"channel_density_non_uniforms": "channelDensityNonUniform",
          "channel_density_non_uniform_nernsts": "channelDensityNonUniformNernst",
          "channel_density_non_uniform_ghks": "channelDensityNonUniformGHK"}
PATH_LENGTH = "Path Length from root"


def path_lengths(segs: dict, where: str) -> dict[int, float]:
    """Segment id -> path length (µm) of its middle from the root segment's proximal point,
    along the segments' 3D points."""
    out: dict[int, tuple[float, float]] = {}  # id -> (path at proximal, length)

    def visit(sid: int, stack: tuple) -> tuple[float, float]:
        if sid in out:
            return out[sid]
        if sid in stack:
            raise ModelError(f"{where}: segment {sid} is reached twice (a loop of parents)")
        s = segs[sid]
        start = 0.0
        parent = None
        if s.parent is not None:
            pid = int(s.parent.segments)
            if pid not in segs:
                raise ModelError(f"{where}: segment {sid} has a parent that is not in the morphology")
            parent = segs[pid]
            p0, plen = visit(pid, stack + (sid,))
            frac = float(s.parent.fraction_along) if s.parent.fraction_along is not None else 1.0
            start = p0 + frac * plen
        prox = s.proximal if s.proximal is not None else (parent.distal if parent is not None else None)
        if prox is None or s.distal is None:
            raise ModelError(f"{where}, segment {sid} needs proximal and distal points")
        length = math.dist((float(prox.x), float(prox.y), float(prox.z)),
                           (float(s.distal.x), float(s.distal.y), float(s.distal.z)))
        out[sid] = (start, length)
        return out[sid]

    for sid in segs:
        visit(sid, ())
    return {sid: a + b / 2.0 for sid, (a, b) in out.items()}


def _non_uniform(mp, morph, segs: dict, groups: dict, where: str) -> dict[str, list]:
    """Uniform density kind -> [(a density item of one value, the segments it is on)] for the
    cell's NonUniform densities, each evaluated at the middle of each of its segments."""
    import neuroml

    from ...channels import expr as _expr
    from .lems import _parse

    params = {ip.id: (g.id, ip) for g in morph.segment_groups or [] for ip in g.inhomogeneous_parameters or []}
    out: dict[str, list] = {}
    paths = None
    for attr, (kind, param, unit) in _NON_UNIFORM.items():
        for cd in getattr(mp, attr, None) or []:
            w = f"{where}, {_LABEL[attr]} {cd.id!r}"
            vps = list(cd.variable_parameters or [])
            if len(vps) != 1 or vps[0].parameter != param or vps[0].inhomogeneous_value is None:
                raise ModelError(f"{w} needs one <variableParameter parameter=\"{param}\"> with an "
                                 "<inhomogeneousValue>")
            vp = vps[0]
            if vp.segment_groups not in groups:
                raise ModelError(f"{w}: segment group {vp.segment_groups!r} is not in the morphology")
            iv = vp.inhomogeneous_value
            gid_ip = params.get(iv.inhomogeneous_parameters)
            if gid_ip is None or gid_ip[0] != vp.segment_groups:
                raise ModelError(f"{w}: inhomogeneousParameter {iv.inhomogeneous_parameters!r} is not defined in "
                                 f"segment group {vp.segment_groups!r}")
            ip = gid_ip[1]
            if ip.metric != PATH_LENGTH:
                raise ModelError(f"{w}: metric {ip.metric!r} is not supported; accepted: {PATH_LENGTH}")
            if ip.proximal is not None and ip.proximal.translation_start not in (None, 0, 0.0):
                raise ModelError(f"{w}: translationStart {ip.proximal.translation_start:g} is not supported; "
                                 "accepted: 0 (p is the path length from the root)")
            if ip.distal is not None and ip.distal.normalization_end is not None:
                raise ModelError(f"{w}: normalizationEnd is not supported (p is the path length from the root "
                                 "in µm)")
            var = str(ip.variable)
            if not var.isidentifier():
                raise ModelError(f"{w}: variable {var!r} is not a name")
            tree = _parse(iv.value, f"{w} inhomogeneousValue")
            stray = sorted(set(_expr.names(tree)) - {var})
            if stray:
                raise ModelError(f"{w} inhomogeneousValue: unknown name {stray[0]!r} in {iv.value!r}; it may use "
                                 f"{var} (the path length from the root, um), numbers and functions such as exp")
            if paths is None:
                paths = path_lengths(segs, where)
            on = sorted(groups[vp.segment_groups])
            with np.errstate(all="ignore"):
                values = np.broadcast_to(np.asarray(_expr.evaluate(tree, {var: np.array([paths[s] for s in on])}),
                                                    dtype=float), (len(on),))
            bad = ~np.isfinite(values) | (values < 0)
            if bad.any():
                k = int(np.argmax(bad))
                raise ModelError(f"{w}: {iv.value!r} is {values[k]:g} at {var} = {paths[on[k]]:g} um (segment "
                                 f"{on[k]}); a {param} must be finite and >= 0")
            by_value: dict[float, set] = {}
            for sid, x in zip(on, values):
                by_value.setdefault(float(x), set()).add(sid)
            for x, sids in by_value.items():
                amount = f"{_units.fmt(x)} {unit}"
                if kind == "channel_densities":
                    item = neuroml.ChannelDensity(id=cd.id, ion_channel=cd.ion_channel, cond_density=amount,
                                                  erev=cd.erev, ion=cd.ion)
                elif kind == "channel_density_nernsts":
                    item = neuroml.ChannelDensityNernst(id=cd.id, ion_channel=cd.ion_channel, cond_density=amount,
                                                        ion=cd.ion)
                else:
                    item = neuroml.ChannelDensityGHK(id=cd.id, ion_channel=cd.ion_channel, permeability=amount,
                                                     ion=cd.ion)
                out.setdefault(kind, []).append((item, sids))
    return out


def _group_props(morph) -> dict:
    """Segment group id -> {tag: value} of its properties."""
    return {g.id: {p.tag: p.value for p in g.properties or []} for g in morph.segment_groups or []}


def _unbranched_chains(morph, segs: dict, order: list, signature: dict):
    """[(group id, [segment ids from proximal to distal])] when the unbranched segment groups
    (NeuroLex ``sao864921383``) partition the segments into chains of one region each, else None."""
    groups = [g for g in morph.segment_groups or [] if g.neuro_lex_id == UNBRANCHED]
    if not groups:
        return None
    owner = {}
    for g in groups:
        if g.includes or g.paths or g.sub_trees:
            return None
        for m in g.members or []:
            if int(m.segments) in owner:
                return None
            owner[int(m.segments)] = g.id
    if set(owner) != set(segs):
        return None
    chains: dict[str, list] = {}
    for sid in order:  # parent-first, so each chain comes out proximal to distal
        chains.setdefault(owner[sid], []).append(sid)
    for gid, chain in chains.items():
        for a, b in zip(chain, chain[1:]):
            p = segs[b].parent
            if p is None or int(p.segments) != a or (p.fraction_along is not None and float(p.fraction_along) != 1.0):
                return None
        if len({signature[x] for x in chain}) != 1:
            return None
    return [(gid, chains[gid]) for gid in dict.fromkeys(owner[s] for s in order)]


def _from_chains(cell, ctx, segs, chains, regions, signature, resist, models, mp, props, where) -> CableRead:
    """The cable cell of unbranched segment groups: a section per group, its profile through
    the group's segments."""
    from ...cable.geometry import Morphology, Section

    sec_of_seg, sections, names, parts = {}, [], {}, {}
    group_props = _group_props(cell.morphology)
    for gid, chain in chains:
        name = props.get(f"section:{gid}", gid)
        arcs, diams, arc = [], [], 0.0
        for i, sid in enumerate(chain):
            s = segs[sid]
            prox = s.proximal if s.proximal is not None else segs[int(s.parent.segments)].distal
            length = math.dist((float(prox.x), float(prox.y), float(prox.z)),
                               (float(s.distal.x), float(s.distal.y), float(s.distal.z)))
            if i == 0:
                arcs.append(0.0)
                diams.append(float(prox.diameter))
            arc += length
            arcs.append(arc)
            diams.append(float(s.distal.diameter))
        length = arcs[-1]
        if length == 0.0:  # a sphere
            length, arcs = diams[0], [0.0, diams[0]]
        for i, sid in enumerate(chain):
            parts[sid] = (arcs[i] / length, arcs[i + 1] / length) if len(arcs) == len(chain) + 1 else (0.0, 1.0)
        profile = () if len(set(diams)) == 1 and len(arcs) == 2 else tuple(zip(arcs, diams))
        first = segs[chain[0]]
        parent, parent_end = None, 1
        if first.parent is not None:
            psid = int(first.parent.segments)
            parent = names[sec_of_seg[psid]] if psid in sec_of_seg else None
            frac = float(first.parent.fraction_along) if first.parent.fraction_along is not None else 1.0
            ends = {c[-1] for _, c in chains}
            if frac == 0.0 and segs[psid].parent is None:
                parent_end = 0
            elif frac != 1.0 or psid not in ends:
                raise ModelError(f"{where}, segment {chain[0]}: it attaches inside section {parent!r}; hhsim "
                                 "attaches a section at its parent's end")
        ra = [r for r, on in resist if set(chain) <= on]
        rid = regions[signature[chain[0]]]
        gprops = group_props.get(gid, {})
        region = gprops.get("hhsim:region") or props.get(f"region:{rid}", rid)
        region = region if "," not in region else rid
        nseg = gprops.get("numberInternalDivisions")
        try:
            nseg = int(nseg) if nseg is not None else None
        except ValueError:
            raise ModelError(f"{where}: segment group {gid!r} numberInternalDivisions {nseg!r} is not a whole "
                             "number") from None
        sections.append(Section(name, length, max(diams) if profile else diams[0], region=region,
                                parent=parent, parent_end=parent_end, profile=profile, nseg=nseg,
                                ra=_units.value(ra[-1].value, "resistivity", f"{where} resistivity")
                                if ra and ra[-1] is not resist[0][0] else None))
        names[gid] = name
        for sid in chain:
            sec_of_seg[sid] = gid
    ra0 = _units.value(resist[0][0].value, "resistivity", f"{where} resistivity") if resist else None
    by_rid = {rid: _renamed(m, props, rid) for rid, m in models.items()}
    rid_of = {sec.name: regions[signature[chain[0]]] for sec, (_, chain) in zip(sections, chains)}
    models = {}
    for sec in sections:  # keyed by the sections' regions when each region has one model
        models.setdefault(sec.region, set()).add(rid_of[sec.name])
    if all(len(r) == 1 for r in models.values()):
        models = {reg: by_rid[next(iter(r))] for reg, r in models.items()}
    else:
        models = {sec.name: by_rid[rid_of[sec.name]] for sec in sections}
    thresh = list(mp.spike_threshes or [])
    threshold = _units.value(thresh[0].value, "voltage", f"{where} spikeThresh") if thresh else 0.0
    morph = Morphology(tuple(sections), name=cell.id, source=ctx.where, **({"ra": ra0} if ra0 is not None else {}))
    return CableRead(morph, models, {sid: (names[g], *parts[sid]) for sid, g in sec_of_seg.items()}, threshold)


def _renamed(model, props: dict, rid: str):
    """A region's model as hhsim wrote it (``hhsim:`` properties): channel and model names,
    Nernst potentials and concentrations, a computed resting potential, citations."""
    import dataclasses

    if not props:
        return model
    chans = {c.name: c.replace(name=props.get(f"channel:{c.name}", c.name)) for c in model.channels}
    chans = {c.name: c for c in chans.values()}
    mine = {k[len(rid) + 1:]: v for k, v in props.items() if k.startswith(f"{rid}:")}
    for name in mine.get("nernst", "").split():
        chans[name] = chans[name].replace(E="nernst")
    order = mine.get("channels", "").split()
    if sorted(order) != sorted(chans):
        order = list(chans)
    conc = dict(model.concentrations)
    for item in mine.get("concentrations", "").split():
        key, _, value = item.partition("=")
        conc[key] = float(value)
    changes = dict(channels=tuple(chans[n] for n in order), concentrations=tuple(conc.items()),
                   name=mine.get("name", model.name), source=mine.get("source", ""), notes=mine.get("notes", ""),
                   description=mine.get("description", ""))
    if mine.get("v_init") == "rest":
        changes["v_init"] = None
    changes.update(initial_states_change(mine))
    if "spike_threshold" in mine:
        changes["spike_threshold"] = float(mine["spike_threshold"])
    return dataclasses.replace(model, **changes)


# ------------------------------------------------------------------ writing
#: NeuroLex id NeuroML gives a segment group that is one unbranched section.
UNBRANCHED = "sao864921383"


def _nml_id(name: str, taken: set) -> str:
    base = "".join(c if c.isalnum() or c == "_" else "_" for c in str(name)) or "sec"
    if not (base[0].isalpha() or base[0] == "_"):
        base = f"s_{base}"
    ident, k = base, 1
    while ident in taken:
        k += 1
        ident = f"{base}_{k}"
    taken.add(ident)
    return ident


def section_models(morph, channels) -> list:
    """The model of each section, as hhsim's cable lowering chooses it (section name,
    then region, then ``"*"``)."""
    from ... import models as _models

    spec = channels if isinstance(channels, dict) else {"*": channels}
    out = []
    for s in morph.sections:
        m = spec.get(s.name, spec.get(s.region, spec.get("*")))
        if m is None:
            raise ModelError(f"section {s.name!r} (region {s.region!r}) has no model")
        out.append(_models.get(m))
    return out


def write_cable(morph, channels, ident: str, *, threshold: float = 0.0):
    """A cable cell (``morph`` with ``channels`` as :func:`hhsim.cable.simulate_cable` takes
    them) as a NeuroML cell with id ``ident``: a segment per piece of each section's
    profile, a segment group per section (marked unbranched) and per region, the
    densities of each region's model on its group.  Returns a :class:`.cells.CellWritten`."""
    import neuroml

    from .cells import CellWritten, membrane_elements, model_properties

    per_section = section_models(morph, channels)
    # regions: the sections that share one model (named after their hhsim region when it is theirs alone)
    by_model: dict = {}
    for s, m in zip(morph.sections, per_section):
        by_model.setdefault(m, []).append(s)
    taken: set = {"all"}
    region_of, region_models = {}, {}
    for m, secs in by_model.items():
        regs = {s.region for s in secs}
        reg = next(iter(regs))
        alone = len(regs) == 1 and all(pm == m for s2, pm in zip(morph.sections, per_section) if s2.region == reg)
        rid = _nml_id(reg if alone else f"region{len(region_models) + 1}", taken)
        region_models[rid] = m
        for s in secs:
            region_of[s.name] = rid
    seg_groups, segments, last_seg, first_seg, pieces = [], [], {}, {}, {}
    sec_ids = {}
    k = 0
    for row, s in enumerate(morph.sections):
        sid = _nml_id(s.name, taken)
        sec_ids[s.name] = sid
        arcs, diams = (zip(*s.profile) if s.profile else ((0.0, s.length), (s.diam, s.diam)))
        arcs, diams = list(arcs), list(diams)
        members = []
        for i in range(len(arcs) - 1):
            if arcs[i + 1] <= arcs[i]:
                continue
            y = _units.fmt(10.0 * row)
            kw = {}
            if i == 0 and s.parent is not None:
                parent_seg = last_seg[s.parent] if s.parent_end == 1 else first_seg[s.parent]
                kw["parent"] = neuroml.SegmentParent(segments=parent_seg, fraction_along=str(float(s.parent_end)))
            elif i > 0:
                kw["parent"] = neuroml.SegmentParent(segments=k - 1)
            segments.append(neuroml.Segment(
                id=k, name=sid if len(arcs) == 2 else f"{sid}_{i}",
                proximal=neuroml.Point3DWithDiam(x=_units.fmt(arcs[i]), y=y, z="0", diameter=_units.fmt(diams[i])),
                distal=neuroml.Point3DWithDiam(x=_units.fmt(arcs[i + 1]), y=y, z="0",
                                               diameter=_units.fmt(diams[i + 1])), **kw))
            members.append(neuroml.Member(segments=k))
            pieces.setdefault(s.name, []).append((k, arcs[i], arcs[i + 1]))
            first_seg.setdefault(s.name, k)
            last_seg[s.name] = k
            k += 1
        group = neuroml.SegmentGroup(id=sid, neuro_lex_id=UNBRANCHED, members=members)
        group.properties = [neuroml.Property(tag="hhsim:region", value=s.region)]
        if s.nseg is not None:  # NeuroML's name for a section's compartments
            group.properties.append(neuroml.Property(tag="numberInternalDivisions", value=str(int(s.nseg))))
        seg_groups.append(group)
    for rid in region_models:
        seg_groups.append(neuroml.SegmentGroup(
            id=rid, includes=[neuroml.Include(segment_groups=sec_ids[s.name])
                              for s in morph.sections if region_of[s.name] == rid]))
    seg_groups.append(neuroml.SegmentGroup(id="all", includes=[neuroml.Include(segment_groups=sec_ids[s.name])
                                                               for s in morph.sections]))
    mp = neuroml.MembraneProperties()
    all_channels, cts, ch_props = [], [], {}
    names = {}
    for rid, model in region_models.items():
        if model.pools:
            raise ModelError(f"model {model.name!r} of region {rid!r} has ion pools, which hhsim does not write "
                             "on cable cells")
        mw = membrane_elements(model, f"{ident}_{rid}", f"region {rid!r}")
        rmp, chans, rcts = mw.membrane, mw.channels, mw.component_types
        ch_props.update(mw.channel_properties)
        for attr in ("channel_densities", "channel_density_nernsts", "channel_density_ghks"):
            for cd in getattr(rmp, attr):
                names[f"{rid}_{cd.id}"] = cd.id
                cd.id = f"{rid}_{cd.id}"
                cd.segment_groups = rid
                getattr(mp, attr).append(cd)
        cap = rmp.specific_capacitances[0]
        cap.segment_groups = rid
        mp.specific_capacitances.append(cap)
        all_channels += chans
        cts += rcts
    first = next(iter(region_models.values()))
    mp.spike_threshes.append(neuroml.SpikeThresh(value=_units.quantity(threshold, "mV")))
    v0 = first.resting_potential() if first.v_init is None else first.v_init
    mp.init_memb_potentials.append(neuroml.InitMembPotential(value=_units.quantity(v0, "mV")))
    resist = [neuroml.Resistivity(value=_units.quantity(morph.ra, "ohm_cm"))]
    resist += [neuroml.Resistivity(value=_units.quantity(s.ra, "ohm_cm"), segment_groups=sec_ids[s.name])
               for s in morph.sections if s.ra is not None]
    ip = neuroml.IntracellularProperties(resistivities=resist)
    bp = neuroml.BiophysicalProperties(id="biophys", membrane_properties=mp, intracellular_properties=ip)
    cell = neuroml.Cell(id=ident, morphology=neuroml.Morphology(id="morphology", segments=segments,
                                                                segment_groups=seg_groups),
                        biophysical_properties=bp)
    props = {"cable": "1"}
    props.update({f"section:{sid}": name for name, sid in sec_ids.items() if sid != name})
    props.update({f"region:{rid}": ",".join(sorted({s.region for s in morph.sections if region_of[s.name] == rid}))
                  for rid in region_models})
    props.update({f"channel:{k}": v for k, v in names.items()})
    props.update(ch_props)
    for rid, m in region_models.items():
        own = model_properties(m, temperature_known=True)
        own["spike_threshold"] = _units.fmt(m.spike_threshold)  # the cell's spikeThresh is the cable's
        if m.description:
            own["description"] = m.description
        props.update({f"{rid}:{k}": v for k, v in own.items()})
    cell.properties = [neuroml.Property(tag="hhsim:" + k, value=v) for k, v in props.items()]
    return CellWritten(cell, all_channels, cts, [], pieces)


def segment_site(written, morph, section: str | None, x: float | None) -> tuple[int, float]:
    """(segment id, fraction along) of a point (section, x) of a written cable cell; with no
    section, hhsim's default site: the middle of the section named or of region ``soma``,
    else of the root section."""
    if section is None:
        named = [s for s in morph.sections if s.name == "soma"] or [s for s in morph.sections if s.region == "soma"]
        section, x = (named[0] if named else morph.sections[0]).name, 0.5
    s = morph.section(section)
    arc = (0.5 if x is None else float(x)) * s.length
    for seg, a0, a1 in written.pieces[section]:
        if arc <= a1 or seg == written.pieces[section][-1][0]:
            return seg, (arc - a0) / (a1 - a0)
    raise ModelError(f"no segment at {arc:g} um of section {section!r}")
