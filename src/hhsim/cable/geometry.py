"""Morphologies: unbranched cables, myelinated axons and trees of sections.

Geometry is in µm, axial resistivity in Ω·cm.  A :class:`Morphology` is a
tree of :class:`Section` s; each section is an unbranched tube (a cylinder,
or a chain of frusta when read from an SWC file) attached by its 0-end to
the 1-end of its parent (children of the root may also sit at the root's
0-end).  Each section belongs to a *region* (``"axon"``, ``"soma"``,
``"dend"``, ``"node"``, ``"internode"``, ...), which selects its channels.

Discretisation (:func:`segment_counts`) follows NEURON: a section of
``nseg`` compartments of equal length, one node at each compartment's
centre.  The number comes, in order of precedence, from the section's own
``nseg``, from a maximum compartment length ``dx``, or from the d_lambda
rule (a compartment is at most ``d_lambda`` times the AC length constant
at ``freq`` Hz, rounded up to an odd number).  The default, 0.1 at 1 kHz, is
stricter than NEURON's customary 100 Hz: at 100 Hz the squid axon gets 1 mm
compartments and a conduction velocity 0.4-0.9 % slow; at 1 kHz about
0.3 mm and 0.1 %.
"""

from __future__ import annotations

import math
from functools import cached_property
from dataclasses import dataclass, field

import numpy as np

from ..errors import HHSimError
from ..validate import shown, whole

#: Default axial resistivity (Ω·cm), the squid axoplasm of Hodgkin & Huxley (1952).
DEFAULT_RA = 35.4


class GeometryError(HHSimError):
    """A non-physical or inconsistent morphology."""


def _positive(name: str, value, unit: str) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise GeometryError(f"{name} must be a number > 0 {unit} (got {shown(value)})") from None
    except OverflowError:  # an integer beyond any float
        raise GeometryError(f"{name} = {shown(value)} {unit} is too large; accepted: a finite number > 0 {unit}") from None
    if not (value > 0 and math.isfinite(value)):
        raise GeometryError(f"{name} must be a number > 0 {unit} (got {value:g})")
    if unit == "µm" and not (MIN_UM <= value <= MAX_UM):
        raise GeometryError(f"{name} = {value:.4g} µm is outside the accepted {MIN_UM:g} to {MAX_UM:g} µm")
    return value


#: Lengths and diameters accepted (µm): 1 pm to 1000 km.  Beyond, areas and
#: axial resistances under- or overflow double precision.
MIN_UM, MAX_UM = 1e-6, 1e12
#: Most compartments of one section, and most nodes of a myelinated axon (a bound checked
#: before anything is built: 10**9 nodes took minutes before any memory check).
MAX_COMPARTMENTS = 100_000_000
MAX_NODES = 100_000


@dataclass(frozen=True)
class Section:
    """One unbranched tube.

    Parameters
    ----------
    name : unique within the morphology.
    length : µm (path length).
    diam : µm; for a tapered section give ``profile`` instead (or too).
    region : which channel set applies (see :func:`hhsim.cable.simulate_cable`).
    parent : name of the parent section (None for the root).
    parent_end : 1 (the parent's far end, the usual case) or 0 (only for
        children of the root, e.g. dendrites on the other side of a soma).
    nseg : number of compartments, or None to use the discretisation rule.
    profile : optional ((arc µm, diameter µm), ...) from 0 to ``length``:
        the section is a chain of frusta through these points.
    ra : axial resistivity (Ω·cm) of this section, or None for the morphology's.
    """

    name: str
    length: float
    diam: float
    region: str = "axon"
    parent: str | None = None
    parent_end: int = 1
    nseg: int | None = None
    profile: tuple[tuple[float, float], ...] = ()
    ra: float | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise GeometryError(f"a section's name must be a non-empty string (got {type(self.name).__name__} "
                                f"{shown(self.name)})")
        if not isinstance(self.region, str):
            raise GeometryError(f"section {self.name!r}: region must be a string such as 'axon' (got "
                                f"{type(self.region).__name__} {shown(self.region)})")
        if self.nseg is not None:
            object.__setattr__(self, "nseg", whole(self.nseg, f"section {self.name!r} nseg", lo=1,
                                                   hi=MAX_COMPARTMENTS, error=GeometryError))
        object.__setattr__(self, "length", _positive(f"section {self.name!r} length", self.length, "µm"))
        object.__setattr__(self, "diam", _positive(f"section {self.name!r} diameter", self.diam, "µm"))
        if self.ra is not None:
            object.__setattr__(self, "ra", _positive(f"section {self.name!r} axial resistivity", self.ra, "Ω·cm"))
        if self.nseg is not None and (int(self.nseg) != self.nseg or self.nseg < 1):
            raise GeometryError(f"section {self.name!r}: nseg must be a whole number >= 1 (got {self.nseg})")
        if self.parent_end not in (0, 1):
            raise GeometryError(f"section {self.name!r}: parent_end must be 0 or 1")
        if self.profile:
            pts = np.asarray(self.profile, dtype=float)
            if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 2:
                raise GeometryError(f"section {self.name!r}: profile needs >= 2 (arc, diameter) points")
            arc, d = pts[:, 0], pts[:, 1]
            # array methods, not np.any/np.all: sections are many and their profiles short
            if not (d.min() >= MIN_UM and d.max() <= MAX_UM and np.isfinite(pts).all()):
                raise GeometryError(f"section {self.name!r}: every diameter must be within {MIN_UM:g} to {MAX_UM:g} µm")
            if (arc[1:] < arc[:-1]).any() or abs(arc[0]) > 1e-9 or abs(arc[-1] - self.length) > 1e-6 * self.length:
                raise GeometryError(f"section {self.name!r}: profile arcs must rise from 0 to the length")
            self.__dict__["_arrays"] = (arc, d)  # the cached property below, already converted

    # ------------------------------------------------------------ frusta
    @cached_property
    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if self.profile:
            pts = np.asarray(self.profile, dtype=float)
            return pts[:, 0], pts[:, 1]
        return np.array([0.0, self.length]), np.array([self.diam, self.diam])

    def _points(self) -> tuple[np.ndarray, np.ndarray]:
        return self._arrays

    def _integrals(self, cuts: np.ndarray, ra: float) -> tuple[np.ndarray, np.ndarray]:
        """Lateral area (µm²) and axial resistance (MΩ) of every interval between
        consecutive ``cuts`` (sorted arcs, µm), summed over the frusta they cover.

        The same frusta as :meth:`area` and :meth:`resistance`, in time linear in
        the number of profile points and cuts (not their product).
        """
        s, d = self._arrays
        grid = np.union1d(s, cuts)
        grid = grid[(grid >= cuts[0]) & (grid <= cuts[-1])]
        lo, hi = grid[:-1], grid[1:]
        # the profile piece holding each sub-interval, found at its midpoint
        i = np.clip(np.searchsorted(s, 0.5 * (lo + hi), side="right") - 1, 0, len(s) - 2)
        span = s[i + 1] - s[i]
        ok = (hi > lo) & (span > 0)
        slope = np.where(ok, (d[i + 1] - d[i]) / np.where(span > 0, span, 1.0), 0.0)
        d0, d1, ln = d[i] + slope * (lo - s[i]), d[i] + slope * (hi - s[i]), np.where(ok, hi - lo, 0.0)
        area = np.where(ok, math.pi * 0.5 * (d0 + d1) * np.hypot(ln, 0.5 * (d1 - d0)), 0.0)
        res = np.where(ok, 4.0 * ra * ln / (math.pi * d0 * d1), 0.0) * 1e4 * 1e-6
        at = np.searchsorted(grid, cuts)
        ca, cr = np.concatenate([[0.0], np.cumsum(area)]), np.concatenate([[0.0], np.cumsum(res)])
        return ca[at[1:]] - ca[at[:-1]], cr[at[1:]] - cr[at[:-1]]

    def _pieces(self, a: float, b: float):
        """Frusta (length, d0, d1) covering arc [a, b] µm."""
        s, d = self._points()
        out = []
        for i in range(len(s) - 1):
            lo, hi = max(a, s[i]), min(b, s[i + 1])
            if hi <= lo:
                continue
            span = s[i + 1] - s[i]
            d_lo = d[i] + (d[i + 1] - d[i]) * (lo - s[i]) / span
            d_hi = d[i] + (d[i + 1] - d[i]) * (hi - s[i]) / span
            out.append((hi - lo, d_lo, d_hi))
        return out

    def area(self, a: float, b: float) -> float:
        """Lateral membrane area (µm²) between arcs a and b (µm)."""
        return sum(math.pi * 0.5 * (d0 + d1) * math.hypot(ln, 0.5 * (d1 - d0)) for ln, d0, d1 in self._pieces(a, b))

    def resistance(self, a: float, b: float, ra: float) -> float:
        """Axial resistance (MΩ) between arcs a and b (µm) at resistivity ``ra`` Ω·cm.

        Exact for frusta: R = 4 ra l / (pi d0 d1).
        """
        ohm = sum(4.0 * ra * ln / (math.pi * d0 * d1) for ln, d0, d1 in self._pieces(a, b)) * 1e4
        return ohm * 1e-6

    def compartments(self, n: int, ra: float):
        """Areas (µm², n), centre-to-centre resistances (MΩ, n-1) and the half
        resistances from the first and last centres to the 0- and 1-ends (MΩ)."""
        L = self.length
        if not self.profile:  # a cylinder: closed forms, vectorised
            d = self.diam
            areas = np.full(n, math.pi * d * L / n)
            r_seg = 4.0 * ra * (L / n) / (math.pi * d * d) * 1e4 * 1e-6
            return areas, np.full(n - 1, r_seg), 0.5 * r_seg, 0.5 * r_seg
        edges = L * np.arange(n + 1) / n
        centres = 0.5 * (edges[1:] + edges[:-1])
        areas, _ = self._integrals(edges, ra)
        _, r = self._integrals(np.concatenate([[0.0], centres, [L]]), ra)
        return areas, r[1:-1], float(r[0]), float(r[-1])

    def mean_diam(self) -> float:
        s, d = self._points()
        return float(np.sum(0.5 * (d[1:] + d[:-1]) * np.diff(s)) / self.length)


@dataclass(frozen=True)
class Morphology:
    """A tree of sections (the first is the root; every parent comes first).

    ``ra`` is the axial resistivity in Ω·cm (a section's own ``ra`` wins).
    """

    sections: tuple[Section, ...]
    ra: float = DEFAULT_RA
    name: str = ""
    source: str = ""
    _index: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "sections", tuple(self.sections))
        object.__setattr__(self, "ra", _positive("axial resistivity", self.ra, "Ω·cm"))
        if not self.sections:
            raise GeometryError("a morphology needs at least one section")
        index = {}
        for i, s in enumerate(self.sections):
            if s.name in index:
                raise GeometryError(f"duplicate section name {s.name!r}")
            index[s.name] = i
        roots = [s.name for s in self.sections if s.parent is None]
        if len(roots) != 1 or self.sections[0].parent is not None:
            raise GeometryError(f"a morphology needs exactly one root section, listed first (roots: {roots})")
        for i, s in enumerate(self.sections[1:], start=1):
            if s.parent not in index:
                raise GeometryError(f"section {s.name!r}: parent {s.parent!r} does not exist")
            if index[s.parent] >= i:
                raise GeometryError(f"section {s.name!r}: its parent {s.parent!r} must come before it")
            if s.parent_end == 0 and index[s.parent] != 0:
                raise GeometryError(f"section {s.name!r}: only children of the root may attach at its 0-end")
        object.__setattr__(self, "_index", index)

    def index(self, name: str) -> int:
        try:
            return self._index[name]
        except KeyError:
            raise GeometryError(f"unknown section {name!r}; sections: {', '.join(list(self._index)[:10])}"
                                + (", ..." if len(self._index) > 10 else "")) from None

    def section(self, name: str) -> Section:
        return self.sections[self.index(name)]

    def ra_of(self, s: Section) -> float:
        return self.ra if s.ra is None else s.ra

    @property
    def regions(self) -> list[str]:
        return list(dict.fromkeys(s.region for s in self.sections))

    @property
    def is_unbranched(self) -> bool:
        """True for a chain of sections (each attached to the end of the previous one)."""
        return all(s.parent == self.sections[i].name and s.parent_end == 1
                   for i, s in enumerate(self.sections[1:]))

    @property
    def total_length(self) -> float:
        return float(sum(s.length for s in self.sections))

    def section_starts(self) -> np.ndarray:
        """Path distance (µm) from the root's 0-end to each section's 0-end."""
        out = np.zeros(len(self.sections))
        for i, s in enumerate(self.sections[1:], start=1):
            p = self._index[s.parent]
            out[i] = out[p] + (self.sections[p].length if s.parent_end == 1 else 0.0)
        return out

    def locate(self, distance_um: float) -> tuple[int, float]:
        """(section index, arc µm) of a path distance along an unbranched cable."""
        if not self.is_unbranched:
            raise GeometryError("a position in µm along the cable needs an unbranched cable; "
                                "give a (section, x) location for a branched morphology")
        d = float(distance_um)
        total = self.total_length
        if not (math.isfinite(d) and -1e-9 * total <= d <= total * (1 + 1e-9)):
            raise GeometryError(f"location {d:g} µm is outside the cable (0 to {total:g} µm)")
        starts = self.section_starts()
        i = int(np.searchsorted(starts, d, side="right") - 1)
        i = min(max(i, 0), len(self.sections) - 1)
        return i, min(max(d - starts[i], 0.0), self.sections[i].length)


# ------------------------------------------------------------------ builders
def cable(length: float, diam: float, ra: float = DEFAULT_RA, *, region: str = "axon",
          nseg: int | None = None, name: str = "cable") -> Morphology:
    """An unbranched cylinder: ``length`` and ``diam`` in µm, ``ra`` in Ω·cm."""
    return Morphology((Section(name, length, diam, region=region, nseg=nseg),), ra=ra, name=name)


def myelinated_axon(diam: float, n_nodes: int, *, node_length: float = 1.0,
                    internode_length: float | None = None, ra: float = DEFAULT_RA,
                    internode_nseg: int | None = None, name: str = "myelinated") -> Morphology:
    """An axon of ``n_nodes`` nodes of Ranvier (region ``"node"``) joined by
    internodes (region ``"internode"``).

    ``diam``, ``node_length`` and ``internode_length`` (default 100 x diam,
    the classic ratio) in µm.  Nodes are one compartment each.
    """
    diam = _positive("diameter", diam, "µm")
    n_nodes = whole(n_nodes, "n_nodes (the number of nodes of Ranvier)", lo=2, hi=MAX_NODES, error=GeometryError)
    node_length = _positive("node length", node_length, "µm")
    inter = 100.0 * diam if internode_length is None else _positive("internode length", internode_length, "µm")
    if internode_nseg is not None:
        internode_nseg = whole(internode_nseg, "internode_nseg", lo=1, hi=MAX_COMPARTMENTS, error=GeometryError)
    secs, prev = [], None
    for k in range(int(n_nodes)):
        secs.append(Section(f"node[{k}]", node_length, diam, region="node", parent=prev, nseg=1))
        prev = secs[-1].name
        if k < n_nodes - 1:
            secs.append(Section(f"internode[{k}]", inter, diam, region="internode", parent=prev,
                                nseg=internode_nseg))
            prev = secs[-1].name
    return Morphology(tuple(secs), ra=ra, name=name)


# ------------------------------------------------------------ discretisation
def lambda_f(diam: float, ra: float, cm: float, freq: float) -> float:
    """AC length constant (µm) at ``freq`` Hz: 1e5 sqrt(d / (4 pi f Ra cm)) (NEURON's lambda_f)."""
    diam, ra = _positive("diameter", diam, "µm"), _positive("axial resistivity", ra, "Ω·cm")
    cm, freq = _positive("membrane capacitance", cm, "µF/cm²"), _positive("frequency", freq, "Hz")
    return 1e5 * math.sqrt(diam / (4.0 * math.pi * freq * ra * cm))


#: Default d_lambda rule: 0.1 of the AC length constant at 1 kHz.
D_LAMBDA = 0.1
D_LAMBDA_FREQ = 1000.0


def segment_counts(morph: Morphology, cm_of, *, dx: float | None = None, nseg: int | None = None,
                   d_lambda: float = D_LAMBDA, freq: float = D_LAMBDA_FREQ) -> list[int]:
    """Compartments per section.

    ``cm_of(section)`` gives the specific capacitance (µF/cm²) for the
    d_lambda rule.  A section's own ``nseg`` wins, then ``nseg`` (for every
    section), then ``dx`` (maximum compartment length, µm), then d_lambda.
    """
    if dx is not None:
        dx = _positive("compartment length dx", dx, "µm")
    if nseg is not None:
        nseg = whole(nseg, "the number of compartments (nseg)", lo=1, hi=MAX_COMPARTMENTS, error=GeometryError)
    d_lambda = _positive("d_lambda", d_lambda, "")
    freq = _positive("the d_lambda rule's frequency", freq, "Hz")
    out = []
    for s in morph.sections:
        if s.nseg is not None:
            out.append(int(s.nseg))
        elif nseg is not None:
            out.append(int(nseg))
        elif dx is not None:
            out.append(max(1, int(math.ceil(s.length / dx - 1e-9))))
        else:
            lam = lambda_f(s.mean_diam(), morph.ra_of(s), cm_of(s), freq)
            out.append(int((s.length / (d_lambda * lam) + 0.9) / 2) * 2 + 1)
    return out
