"""The compartment tree of a discretised morphology, in Hines order.

Nodes sit at compartment centres (as in NEURON).  Two neighbouring
compartments of a section are joined by the axial resistance between their
centres.  Where sections meet:

* two sections in a row (a chain): their end compartments are joined
  directly through the two half-compartment resistances in series;
* three or more (a branch point): a *junction node* without membrane sits at
  the branch point, joined to each adjoining compartment by its
  half-compartment resistance.  Its voltage is the conductance-weighted mean
  of its neighbours (an algebraic equation, part of the same tree matrix);
* one (a free end): a terminal, where the boundary condition applies
  (sealed: no current; killed: V held at rest through the half-compartment
  resistance; infinite: a semi-infinite cable of the same diameter attached).

Nodes are numbered so that every node's parent has a smaller index (a
depth-first order from the root's first compartment): the tree matrix is
then solved in O(n) by Hines' elimination, leaves to root and back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .geometry import GeometryError, Morphology


@dataclass
class Terminal:
    """A free end: node index, the half-compartment conductance (µS) from the
    node to the end, and where it is ((section index, 0 or 1))."""

    node: int
    g_half: float
    section: int
    end: int


@dataclass
class Tree:
    """Node arrays, all of length ``n`` and in Hines order.

    ``parent[i] < i`` (``parent[0] = -1``); ``gax[i]`` (µS) joins i to its
    parent; ``area`` in µm² (0 for junction nodes); ``section`` and ``arc``
    (µm from the section's 0-end) locate each node; ``dist`` is the path
    distance (µm) from the root's 0-end.
    """

    morph: Morphology
    nseg: list[int]
    parent: np.ndarray
    gax: np.ndarray
    area: np.ndarray
    section: np.ndarray
    arc: np.ndarray
    dist: np.ndarray
    junction: np.ndarray
    terminals: list[Terminal]
    section_nodes: list[np.ndarray]

    @property
    def n(self) -> int:
        return int(self.parent.shape[0])

    @property
    def is_chain(self) -> bool:
        """Nodes in a line in their natural order (parent[i] = i - 1)."""
        return bool(np.array_equal(self.parent, np.arange(-1, self.n - 1)))

    @property
    def n_compartments(self) -> int:
        return int(np.count_nonzero(~self.junction))

    def node_at(self, section: int, arc: float) -> int:
        """The compartment holding the point ``arc`` µm along ``section``."""
        s = self.morph.sections[section]
        k = int(min(max(arc, 0.0) / s.length * self.nseg[section], self.nseg[section] - 1))
        return int(self.section_nodes[section][k])

    def neighbours(self) -> list[list[tuple[int, float]]]:
        """For each node, (neighbour, conductance µS) pairs."""
        out = [[] for _ in range(self.n)]
        for i in range(1, self.n):
            p = int(self.parent[i])
            out[i].append((p, float(self.gax[i])))
            out[p].append((i, float(self.gax[i])))
        return out


def build_tree(morph: Morphology, nseg: list[int]) -> Tree:
    """Discretise ``morph`` with ``nseg[i]`` compartments in section i."""
    secs = morph.sections
    starts = morph.section_starts()
    parts = [s.compartments(int(nseg[i]), morph.ra_of(s)) for i, s in enumerate(secs)]
    offsets = np.concatenate([[0], np.cumsum(nseg)]).astype(np.int64)
    n_comp = int(offsets[-1])
    section_nodes = [np.arange(offsets[i], offsets[i + 1]) for i in range(len(secs))]
    sec_of = np.repeat(np.arange(len(secs)), nseg)
    arc_of = np.concatenate([s.length * (np.arange(n) + 0.5) / n for s, n in zip(secs, nseg)])
    area_of = np.concatenate([p[0] for p in parts])

    def half(si: int, end: int) -> tuple[int, float]:
        """(node, MΩ) from a section's end compartment centre to that end."""
        return (int(section_nodes[si][0]), parts[si][2]) if end == 0 else (int(section_nodes[si][-1]), parts[si][3])

    # ---- meeting points: the 1-end of every section, and the root's 0-end
    members: dict[tuple[int, int], list[tuple[int, float]]] = {(si, 1): [half(si, 1)] for si in range(len(secs))}
    members[(0, 0)] = [half(0, 0)]
    for si, s in enumerate(secs[1:], start=1):
        members[(morph.index(s.parent), s.parent_end)].append(half(si, 0))
    terminals, extra_edges, junction_at = [], [], []
    for (si, end), mem in members.items():
        if len(mem) == 1:
            node, r = mem[0]
            terminals.append(Terminal(node, 1.0 / r, si, end))
        elif len(mem) == 2:
            (a, r_a), (b, r_b) = mem
            extra_edges.append((a, b, r_a + r_b))
        else:
            j = n_comp + len(junction_at)
            junction_at.append((si, secs[si].length if end == 1 else 0.0))
            extra_edges += [(j, node, r) for node, r in mem]
    n = n_comp + len(junction_at)
    sec_all = np.concatenate([sec_of, np.array([j[0] for j in junction_at], dtype=np.int64)]).astype(np.int64)
    arc_all = np.concatenate([arc_of, np.array([j[1] for j in junction_at], dtype=float)])
    area_all = np.concatenate([area_of, np.zeros(len(junction_at))])
    is_junction = np.concatenate([np.zeros(n_comp, dtype=bool), np.ones(len(junction_at), dtype=bool)])

    # ---- undirected edges (old numbering), then a Hines order
    within = [(section_nodes[si][:-1], section_nodes[si][1:], 1.0 / p[1]) for si, p in enumerate(parts) if len(p[1])]
    ea = np.concatenate([w[0] for w in within] + [np.array([e[0] for e in extra_edges], dtype=np.int64)])
    eb = np.concatenate([w[1] for w in within] + [np.array([e[1] for e in extra_edges], dtype=np.int64)])
    eg = np.concatenate([w[2] for w in within] + [np.array([1.0 / e[2] for e in extra_edges])])
    if ea.size != n - 1:  # pragma: no cover - guaranteed by Morphology's checks
        raise GeometryError("the morphology is not a tree")
    if morph.is_unbranched and not junction_at:
        order, parent_old, g_old = _chain_order(n, ea, eb, eg)
    else:
        order, parent_old, g_old = _bfs_order(n, ea, eb, eg)
    new_of_old = np.empty(n, dtype=np.int64)
    new_of_old[order] = np.arange(n)
    po = parent_old[order]
    parent = np.where(po >= 0, new_of_old[np.maximum(po, 0)], -1).astype(np.int64)
    sec_arr, arc_arr = sec_all[order], arc_all[order]
    return Tree(
        morph=morph, nseg=list(nseg), parent=parent, gax=g_old[order], area=area_all[order],
        section=sec_arr, arc=arc_arr, dist=starts[sec_arr] + arc_arr, junction=is_junction[order],
        terminals=[Terminal(int(new_of_old[t.node]), t.g_half, t.section, t.end) for t in terminals],
        section_nodes=[new_of_old[sn] for sn in section_nodes],
    )


# Hines' elimination runs from the highest index down to 0, each node feeding
# its parent.  Any order with parent < child is valid.  A chain keeps its
# natural order (the kernel solves it from both ends at once); a branched tree
# is numbered breadth-first from its centre, which interleaves independent
# branches so that consecutive eliminations do not wait on each other.
def _chain_order(n: int, ea, eb, eg):
    """A chain 0-1-...-(n-1) (edges i, i+1) in its natural order."""
    g = np.zeros(n)
    g[np.maximum(ea, eb)] = eg
    parent = np.arange(-1, n - 1, dtype=np.int64)
    return np.arange(n, dtype=np.int64), parent, g


def _bfs_order(n: int, ea, eb, eg):
    """Breadth-first order from the tree's centre (found by two sweeps)."""
    adj = [[] for _ in range(n)]
    for a, b, g in zip(ea.tolist(), eb.tolist(), eg.tolist()):
        adj[a].append((b, g))
        adj[b].append((a, g))

    def bfs(root):
        order, parent, gpar = [root], np.full(n, -1, dtype=np.int64), np.zeros(n)
        seen = np.zeros(n, dtype=bool)
        seen[root] = True
        head = 0
        while head < len(order):
            i = order[head]
            head += 1
            for j, g in adj[i]:
                if not seen[j]:
                    seen[j] = True
                    parent[j] = i
                    gpar[j] = g
                    order.append(j)
        return order, parent, gpar

    order, parent, _ = bfs(0)
    if len(order) != n:  # pragma: no cover
        raise GeometryError("the morphology is not connected")
    far = order[-1]
    order, parent, _ = bfs(far)
    path = [order[-1]]
    while parent[path[-1]] >= 0:
        path.append(int(parent[path[-1]]))
    centre = path[len(path) // 2]
    order, parent, gpar = bfs(centre)
    return np.asarray(order, dtype=np.int64), parent, gpar
