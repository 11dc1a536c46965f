"""Read neuron morphologies in the SWC format (a strict, validating reader).

SWC (Cannon et al. 1998; the format of NeuroMorpho.Org): one sample per
line, ``id type x y z radius parent``, lengths in µm, ``parent = -1`` for
the root, ``#`` starts a comment.  Types: 1 soma, 2 axon, 3 (basal)
dendrite, 4 apical dendrite; others become regions ``type<N>``.

Why our own reader: the well-kept ones (MorphIO 3.5, used by NeuroM)
silently drop samples that form a cycle, and report errors on several
coloured lines.  This reader refuses, with one line naming the file, the
line and the sample, every file with: a malformed line, a duplicate id, a
missing parent, a cycle, no root or several roots, a radius <= 0 (or beyond
1 m, a coordinate beyond 1 km).

Conversion to sections (as NEURON's Import3D does): unbranched runs of
samples of one type become sections, each a chain of frusta through its
samples.  A soma given as a single sample (a sphere of radius r) becomes a
cylinder of length and diameter 2r (the sphere's area), with the neurites
attached at its centre; a three-point or contour soma is kept as frusta.  A
neurite leaving a sample of another type (e.g. the soma) starts with its own
first radius, not the parent's.
"""

from __future__ import annotations

import io
import math
import warnings
from itertools import accumulate
from functools import cached_property
from pathlib import Path

import numpy as np

from ..io import read_text
from ..validate import file_path, shown
from .geometry import DEFAULT_RA, GeometryError, Morphology, Section

REGIONS = {1: "soma", 2: "axon", 3: "dend", 4: "apic"}


class SWCError(GeometryError):
    """A malformed or inconsistent SWC file."""


def read_swc(path: str | Path, *, ra: float = DEFAULT_RA) -> Morphology:
    """Read an SWC file into a :class:`Morphology` (axial resistivity ``ra`` Ω·cm)."""
    p = file_path(path, "SWC file", error=SWCError)
    return parse_swc(read_text(p, "SWC file", SWCError), source=p.name, ra=ra)


def parse_swc(text: str, *, source: str = "<swc>", ra: float = DEFAULT_RA) -> Morphology:
    """Parse SWC text (see the module docstring for what is checked).

    Time is linear in the number of samples (a million in a few seconds): the
    numbers are read by NumPy, checked as arrays, and the tree is walked once.
    """
    if not isinstance(text, str):
        raise SWCError(f"parse_swc needs the text of an SWC file (got {type(text).__name__} {shown(text)}); "
                       "read_swc(path) reads a file")
    table = _read_table(text, source)
    root = _check_tree(table, source)
    secs = _sections(table, root, source)
    return Morphology(tuple(secs), ra=ra, name=source, source=source)


#: Largest radius and coordinate accepted (µm): 1 m and 1 km; beyond, the
#: geometry's areas and resistances overflow double precision.
MAX_RADIUS = 1e6
MAX_COORD = 1e9


# ------------------------------------------------------------------ parsing
class _Table:
    """The samples as arrays, in file order: ids, types, xyz (µm), radii (µm),
    parent row (-1 for the root, filled by :func:`_check_tree`); ``lines`` gives
    each sample's line number (found only when a message needs it)."""

    def __init__(self, vals: np.ndarray, text: str):
        self.ids = vals[:, 0].astype(np.int64)
        self.types = vals[:, 1].astype(np.int64)
        self.xyz = np.ascontiguousarray(vals[:, 2:5])
        self.radius = vals[:, 5].copy()
        self.parent_id = vals[:, 6].astype(np.int64)
        self.parent = np.full(len(vals), -1, dtype=np.int64)
        self._text = text

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def lines(self) -> list[int]:
        return [n for n, raw in enumerate(self._text.splitlines(), start=1) if raw.split("#", 1)[0].strip()]


def _read_table(text: str, source: str) -> _Table:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data": reported below
            vals = np.loadtxt(io.StringIO(text), dtype=float, ndmin=2, comments="#")
    except ValueError:
        vals = None
    if vals is None or vals.shape[0] == 0 or vals.shape[1] != 7 or not _all_good(vals):
        _read_samples(text, source)  # the per-line reader names the first bad line
        raise SWCError(f"{source}: malformed SWC file")  # pragma: no cover - the reader raised
    return _Table(vals, text)


def _all_good(vals: np.ndarray) -> bool:
    """The per-line checks of :func:`_read_samples`, as arrays."""
    if not np.all(np.isfinite(vals)):
        return False
    whole = vals[:, [0, 1, 6]]
    if np.any(whole != np.round(whole)) or np.any(vals[:, 0] < 0):
        return False
    if np.any(np.abs(vals[:, 2:5]) > MAX_COORD) or np.any(~((vals[:, 5] > 0) & (vals[:, 5] <= MAX_RADIUS))):
        return False
    if np.unique(vals[:, 0]).size != len(vals) or np.any(vals[:, 6] == vals[:, 0]):
        return False
    return True


def _read_samples(text: str, source: str) -> dict[int, tuple]:
    """Line-by-line reader with a precise message for the first bad line."""
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
        if vals[5] > MAX_RADIUS:
            raise SWCError(f"{where}: sample {sid} has radius {vals[5]:g} µm; radii up to {MAX_RADIUS:g} µm are accepted")
        if max(abs(v) for v in vals[2:5]) > MAX_COORD:
            raise SWCError(f"{where}: sample {sid} lies beyond ±{MAX_COORD:g} µm")
        if parent == sid:
            raise SWCError(f"{where}: sample {sid} is its own parent (a cycle)")
        samples[sid] = (stype, vals[2], vals[3], vals[4], vals[5], -1 if parent < 0 else parent, lineno)
    if not samples:
        raise SWCError(f"{source}: no samples (an SWC line is: id type x y z radius parent)")
    return samples


def _check_tree(t: _Table, source: str) -> int:
    """Link every sample to its parent row; one root, no missing parents, no cycles.
    Returns the root's row."""
    order = np.argsort(t.ids, kind="stable")
    sorted_ids = t.ids[order]
    has_parent = t.parent_id >= 0
    pos = np.clip(np.searchsorted(sorted_ids, t.parent_id), 0, len(t) - 1)
    found = sorted_ids[pos] == t.parent_id
    missing = np.flatnonzero(has_parent & ~found)
    if missing.size:
        k = int(missing[0])
        raise SWCError(f"{source}:{t.lines[k]}: sample {t.ids[k]} refers to parent {t.parent_id[k]}, which does not exist")
    t.parent[:] = np.where(has_parent, order[pos], -1)
    roots = np.flatnonzero(~has_parent)
    if not roots.size:
        raise SWCError(f"{source}: no root sample (one sample must have parent -1); the file is all cycles")
    if roots.size > 1:
        shown = ", ".join(str(t.ids[r]) for r in roots[:5]) + (", ..." if roots.size > 5 else "")
        raise SWCError(f"{source}: {roots.size} root samples (ids {shown}); one neuron has one root (parent -1)")
    root = int(roots[0])
    # every sample must reach the root: walk down from it (in C); the rest is on (or hangs from) a cycle
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import breadth_first_order

    child_rows = np.flatnonzero(has_parent)
    edges = csr_matrix((np.ones(child_rows.size), (t.parent[child_rows], child_rows)), shape=(len(t), len(t)))
    reached = np.zeros(len(t), dtype=bool)
    reached[breadth_first_order(edges, root, directed=True, return_predecessors=False)] = True
    if not reached.all():
        parent = t.parent.tolist()
        seen: dict[int, int] = {}
        j = int(np.flatnonzero(~reached)[0])
        path = []
        while j not in seen:
            seen[j] = len(path)
            path.append(j)
            j = parent[j]
        cyc = [int(t.ids[k]) for k in path[seen[j]:]]
        shown = " -> ".join(str(k) for k in cyc[:6]) + (" -> ..." if len(cyc) > 6 else "") + f" -> {t.ids[j]}"
        raise SWCError(f"{source}:{t.lines[j]}: samples form a cycle ({shown}) that never reaches the root")
    return root


class _Children:
    """Each row's children in increasing sample id, as one sorted array (CSR)."""

    def __init__(self, t: _Table):
        order = np.lexsort((t.ids, t.parent))
        order = order[np.searchsorted(t.parent[order], 0):]  # drop the root (parent -1)
        counts = np.bincount(t.parent[order], minlength=len(t))
        self.rows = order.tolist()
        self.start = np.concatenate([[0], np.cumsum(counts)]).tolist()
        self.count = counts.tolist()

    def __getitem__(self, k: int) -> list[int]:
        return self.rows[self.start[k]:self.start[k + 1]]


# ------------------------------------------------------------------ sections
def _region(stype: int) -> str:
    return REGIONS.get(stype, f"type{stype}")


def _sections(t: _Table, root: int, source: str) -> list[Section]:
    children = _Children(t)
    n_children, first_child = children.count, children.rows
    types, radius, ids = t.types.tolist(), t.radius.tolist(), t.ids.tolist()
    seg = np.zeros(len(t))  # length of the frustum from each sample's parent to it (µm)
    linked = t.parent >= 0
    seg[linked] = np.linalg.norm(t.xyz[linked] - t.xyz[t.parent[linked]], axis=1)
    seg_len = seg.tolist()
    count: dict[str, int] = {}
    secs: list[Section] = []

    def name_for(region: str) -> str:
        k = count.get(region, 0)
        count[region] = k + 1
        return f"{region}[{k}]"

    # (start row, first child row, parent section name or None, parent_end)
    todo: list[tuple[int, int, str | None, int]] = []
    rtype, rr = types[root], radius[root]
    if rtype == 1 and not any(types[c] == 1 for c in children[root]):
        soma = Section(name_for("soma"), 2.0 * rr, 2.0 * rr, region="soma")
        secs.append(soma)
        todo += [(root, c, soma.name, 0) for c in reversed(children[root])]
    else:
        if not children[root]:
            raise SWCError(f"{source}: the root sample {ids[root]} has no children and is not a soma: no geometry")
        first, *rest = children[root]
        todo += [(root, c, None, 0) for c in reversed(rest)]
        todo.append((root, first, None, 0))
    root_name = None
    while todo:
        start, child, parent, pend = todo.pop()
        stype = types[child]
        chain = [start, child]
        cur = child
        start_of = children.start
        while n_children[cur] == 1 and types[first_child[start_of[cur]]] == stype:
            cur = first_child[start_of[cur]]
            chain.append(cur)
        # plain Python: most chains are short, where NumPy's per-call cost dominates
        arcs = list(accumulate((seg_len[k] for k in chain[1:]), initial=0.0))
        diams = [2.0 * radius[k] for k in chain]
        if types[start] != stype:
            diams[0] = diams[1]
        length = arcs[-1]
        if not length > 0:
            raise SWCError(f"{source}:{t.lines[child]}: the branch from sample {ids[start]} to {ids[cur]} has zero length")
        if parent is None and root_name is not None:
            parent, pend = root_name, 0
        sec = Section(name_for(_region(stype)), length, math.fsum(diams) / len(diams), region=_region(stype),
                      parent=parent, parent_end=pend, profile=tuple(zip(arcs, diams)))
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
