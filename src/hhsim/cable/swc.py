"""Read neuron morphologies in the SWC format (a strict, validating reader).

SWC (Cannon et al. 1998; the format of NeuroMorpho.Org): one sample per
line, ``id type x y z radius parent``, lengths in µm, ``parent = -1`` for
the root, ``#`` starts a comment.  Types: 1 soma, 2 axon, 3 (basal)
dendrite, 4 apical dendrite; others become regions ``type<N>``.

Why our own reader: the well-kept ones (MorphIO 3.5, used by NeuroM)
silently drop samples that form a cycle, and report errors on several
coloured lines.  This reader refuses, with one line naming the file, the
line and the sample, every file with: a malformed line, a duplicate id, a
missing parent, a cycle, no root or several roots, a radius <= 0.

Conversion to sections (as NEURON's Import3D does): unbranched runs of
samples of one type become sections, each a chain of frusta through its
samples.  A soma given as a single sample (a sphere of radius r) becomes a
cylinder of length and diameter 2r (the sphere's area), with the neurites
attached at its centre; a three-point or contour soma is kept as frusta.  A
neurite leaving a sample of another type (e.g. the soma) starts with its own
first radius, not the parent's.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..io import read_text
from .geometry import DEFAULT_RA, GeometryError, Morphology, Section

REGIONS = {1: "soma", 2: "axon", 3: "dend", 4: "apic"}


class SWCError(GeometryError):
    """A malformed or inconsistent SWC file."""


def read_swc(path: str | Path, *, ra: float = DEFAULT_RA) -> Morphology:
    """Read an SWC file into a :class:`Morphology` (axial resistivity ``ra`` Ω·cm)."""
    p = Path(path)
    return parse_swc(read_text(p, "SWC file", SWCError), source=p.name, ra=ra)


def parse_swc(text: str, *, source: str = "<swc>", ra: float = DEFAULT_RA) -> Morphology:
    """Parse SWC text (see the module docstring for what is checked)."""
    samples = _read_samples(text, source)
    root = _check_tree(samples, source)
    secs = _sections(samples, root, source)
    return Morphology(tuple(secs), ra=ra, name=source, source=source)


# ------------------------------------------------------------------ parsing
def _read_samples(text: str, source: str) -> dict[int, tuple]:
    samples: dict[int, tuple] = {}
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        where = f"{source}:{lineno}"
        if len(fields) != 7:
            raise SWCError(f"{where}: expected 7 fields (id type x y z radius parent), got {len(fields)}")
        try:
            vals = [float(f) for f in fields]
        except ValueError:
            raise SWCError(f"{where}: fields must be numbers (id type x y z radius parent), got {line!r}") from None
        if not all(math.isfinite(v) for v in vals):
            raise SWCError(f"{where}: fields must be finite numbers")
        sid, stype, parent = vals[0], vals[1], vals[6]
        for name, v in (("id", sid), ("type", stype), ("parent", parent)):
            if v != int(v):
                raise SWCError(f"{where}: the {name} must be a whole number (got {v:g})")
        sid, stype, parent = int(sid), int(stype), int(parent)
        if sid < 0:
            raise SWCError(f"{where}: sample id {sid} must be >= 0")
        if sid in samples:
            raise SWCError(f"{where}: duplicate sample id {sid} (first defined on line {samples[sid][6]})")
        if not vals[5] > 0:
            raise SWCError(f"{where}: sample {sid} has radius {vals[5]:g}; radii must be > 0 µm")
        if parent == sid:
            raise SWCError(f"{where}: sample {sid} is its own parent (a cycle)")
        samples[sid] = (stype, vals[2], vals[3], vals[4], vals[5], -1 if parent < 0 else parent, lineno)
    if not samples:
        raise SWCError(f"{source}: no samples (an SWC line is: id type x y z radius parent)")
    return samples


def _check_tree(samples: dict[int, tuple], source: str) -> int:
    roots = [i for i, s in samples.items() if s[5] == -1]
    for i, s in samples.items():
        if s[5] != -1 and s[5] not in samples:
            raise SWCError(f"{source}:{s[6]}: sample {i} refers to parent {s[5]}, which does not exist")
    if not roots:
        raise SWCError(f"{source}: no root sample (one sample must have parent -1); the file is all cycles")
    if len(roots) > 1:
        shown = ", ".join(str(r) for r in roots[:5]) + (", ..." if len(roots) > 5 else "")
        raise SWCError(f"{source}: {len(roots)} root samples (ids {shown}); one neuron has one root (parent -1)")
    # every sample must reach the root by following parents; otherwise it is on (or hangs from) a cycle
    reached = {roots[0]}
    for i in samples:
        path, j = [], i
        while j not in reached:
            if j in path:
                cyc = path[path.index(j):]
                shown = " -> ".join(str(k) for k in cyc[:6]) + (" -> ..." if len(cyc) > 6 else "") + f" -> {j}"
                raise SWCError(f"{source}:{samples[j][6]}: samples form a cycle ({shown}) that never reaches the root")
            path.append(j)
            j = samples[j][5]
        reached.update(path)
    return roots[0]


# ------------------------------------------------------------------ sections
def _region(stype: int) -> str:
    return REGIONS.get(stype, f"type{stype}")


def _sections(samples: dict[int, tuple], root: int, source: str) -> list[Section]:
    children: dict[int, list[int]] = {i: [] for i in samples}
    for i, s in samples.items():
        if s[5] != -1:
            children[s[5]].append(i)
    for lst in children.values():
        lst.sort()
    xyz = {i: np.array(s[1:4]) for i, s in samples.items()}
    count: dict[str, int] = {}
    secs: list[Section] = []

    def name_for(region: str) -> str:
        k = count.get(region, 0)
        count[region] = k + 1
        return f"{region}[{k}]"

    # (start sample, first child, parent section name or None, parent_end)
    todo: list[tuple[int, int, str | None, int]] = []
    rtype, rr = samples[root][0], samples[root][4]
    if rtype == 1 and not any(samples[c][0] == 1 for c in children[root]):
        soma = Section(name_for("soma"), 2.0 * rr, 2.0 * rr, region="soma")
        secs.append(soma)
        todo += [(root, c, soma.name, 0) for c in reversed(children[root])]
    else:
        if not children[root]:
            raise SWCError(f"{source}: the root sample {root} has no children and is not a soma: no geometry")
        first, *rest = children[root]
        todo += [(root, c, None, 0) for c in reversed(rest)]
        todo.append((root, first, None, 0))
    root_name = None
    while todo:
        start, child, parent, pend = todo.pop()
        stype = samples[child][0]
        chain = [start, child]
        cur = child
        while len(children[cur]) == 1 and samples[children[cur][0]][0] == stype:
            cur = children[cur][0]
            chain.append(cur)
        arcs = np.concatenate([[0.0], np.cumsum([np.linalg.norm(xyz[b] - xyz[a]) for a, b in zip(chain, chain[1:])])])
        diams = [2.0 * samples[k][4] for k in chain]
        if samples[start][0] != stype:
            diams[0] = diams[1]
        length = float(arcs[-1])
        if not length > 0:
            raise SWCError(f"{source}:{samples[child][6]}: the branch from sample {start} to {cur} has zero length")
        if parent is None and root_name is not None:
            parent, pend = root_name, 0
        sec = Section(name_for(_region(stype)), length, float(np.mean(diams)), region=_region(stype),
                      parent=parent, parent_end=pend, profile=tuple(zip(arcs.tolist(), diams)))
        if parent is None:
            root_name = sec.name
            secs.insert(0, sec)
        else:
            secs.append(sec)
        for c in reversed(children[cur]):
            todo.append((cur, c, sec.name, 1))
    return _parent_first(secs)


def _parent_first(secs: list[Section]) -> list[Section]:
    """Reorder so that every parent precedes its children (root first)."""
    by_name = {s.name: s for s in secs}
    kids: dict[str | None, list[str]] = {}
    for s in secs:
        kids.setdefault(s.parent, []).append(s.name)
    out, stack = [], list(reversed(kids.get(None, [])))
    while stack:
        n = stack.pop()
        out.append(by_name[n])
        stack.extend(reversed(kids.get(n, [])))
    return out
