"""Tree and chain solves of the implicit cable step, and junction nodes: fixed numba code.

The matrix of a cable's implicit step (theta method) is symmetric with the
sparsity of the tree: a diagonal ``d`` (µS; capacitance over theta dt, the
membrane and axial conductances) and an off-diagonal ``-gax[i]`` between
node ``i`` and its parent ``parent[i] < i`` (Hines' ordering: every node
after its parent).  Each solve is O(n) and in place: the solution replaces
the right-hand side ``b`` (nA in, mV out) and ``d`` is overwritten with the
pivots' reciprocals.

* :func:`hines_solve`: any tree (Hines 1984): eliminate from the leaves to
  the root, substitute back from the root;
* :func:`chain_solve`: an unbranched cable (Thomas' algorithm) from both ends
  at once; :func:`chain_solve4`: four sweeps at once for long chains (their
  division chains overlap in the processor);
* :func:`solve_tree`: the choice between them, used by every cable driver;
* :func:`set_junctions`: junction nodes (branch points without membrane) at
  the conductance-weighted mean of their neighbours.

Compiled once (``cache=True``), for every structure: nothing here depends
on the channels.  The arithmetic allows floating-point contraction (a*b + c
as one fused multiply-add) and nothing else of fast-math.
"""

from __future__ import annotations

from numba import njit

_CONTRACT = {"contract"}


# ------------------------------------------------ steps of the chain solver
@njit(cache=True, error_model="numpy", inline="always", fastmath=_CONTRACT)
def eliminate(d, b, i, nb, gi, dc, bc):
    """Gaussian elimination of node i (running pivot ``dc``, right-hand side
    ``bc``) into its neighbour ``nb`` (coupling ``gi``): keeps the pivot's
    reciprocal and the right-hand side at i; returns nb's pivot and right-hand side."""
    r = 1.0 / dc
    d[i] = r
    b[i] = bc
    f = gi * r
    return d[nb] - f * gi, b[nb] + f * bc


@njit(cache=True, error_model="numpy", inline="always", fastmath=_CONTRACT)
def eliminate_coupled(d, b, cw, i, nb, gi, dc, bc, cc, dm, bm):
    """As :func:`eliminate` for a node also coupled (``cc``, kept in ``cw``) to
    the chain's middle node (pivot ``dm``, right-hand side ``bm``); returns nb's
    pivot, right-hand side and coupling to the middle, and the middle's pivot
    and right-hand side."""
    r = 1.0 / dc
    d[i] = r
    b[i] = bc
    cw[i] = cc
    f = gi * r
    fm = cc * r
    return d[nb] - f * gi, b[nb] + f * bc, f * cc, dm - fm * cc, bm + fm * bc


@njit(cache=True, error_model="numpy", inline="always", fastmath=_CONTRACT)
def substitute(d, b, i, gi, v_nb, ci, v_mid):
    """Back-substitution at node i from its solved neighbour ``v_nb`` (coupling
    ``gi``) and, for a node coupled to the middle, ``ci * v_mid``; stores and returns V_i."""
    v = (b[i] + gi * v_nb + ci * v_mid) * d[i]
    b[i] = v
    return v


@njit(cache=True, error_model="numpy")
def set_junctions(v, alg_idx, alg_ptr, alg_nbr, alg_g):
    for k in range(alg_idx.shape[0]):
        num = 0.0
        den = 0.0
        for q in range(alg_ptr[k], alg_ptr[k + 1]):
            num += alg_g[q] * v[alg_nbr[q]]
            den += alg_g[q]
        v[alg_idx[k]] = num / den


@njit(cache=True, error_model="numpy", fastmath=_CONTRACT)
def hines_solve(d, b, parent, gax):
    """Solve the tree system in place (solution in b; d is overwritten with the
    pivots' reciprocals): diagonal d, off-diagonals -gax[i] between i and
    parent[i] < i.  O(n): eliminate leaves to root, substitute root to leaves."""
    n = d.shape[0]
    for i in range(n - 1, 0, -1):
        p = parent[i]
        ri = 1.0 / d[i]
        d[i] = ri
        f = gax[i] * ri
        d[p] -= f * gax[i]
        b[p] += f * b[i]
    b[0] = b[0] / d[0]
    for i in range(1, n):
        b[i] = (b[i] + gax[i] * b[parent[i]]) * d[i]


@njit(cache=True, error_model="numpy", fastmath=_CONTRACT)
def chain_solve(d, b, gax):
    """Solve a chain (node i joined to i - 1 by gax[i]) in place, from both ends
    at once towards the middle: two independent recurrences the processor runs
    side by side.  Solution in b; d is overwritten with the pivots' reciprocals."""
    n = d.shape[0]
    m = n // 2
    n_both = n - 1 - m
    dl = d[0]
    bl = b[0]
    dr = d[n - 1]
    br = b[n - 1]
    for k in range(n_both):
        i = k
        j = n - 1 - k
        rl = 1.0 / dl
        rr = 1.0 / dr
        d[i] = rl
        b[i] = bl
        d[j] = rr
        b[j] = br
        gl = gax[i + 1]
        gr = gax[j]
        fl = gl * rl
        fr = gr * rr
        dl = d[i + 1] - fl * gl
        bl = b[i + 1] + fl * bl
        dr = d[j - 1] - fr * gr
        br = b[j - 1] + fr * br
    if m > n_both:  # one more step on the left (n even)
        i = n_both
        rl = 1.0 / dl
        d[i] = rl
        b[i] = bl
        gl = gax[i + 1]
        fl = gl * rl
        dl = d[i + 1] - fl * gl
        bl = b[i + 1] + fl * bl
    vm = (bl + br - b[m]) / (dl + dr - d[m])
    b[m] = vm
    vl = vm
    vr = vm
    for k in range(m - 1, -1, -1):  # left half, outwards
        vl = (b[k] + gax[k + 1] * vl) * d[k]
        b[k] = vl
        j = 2 * m - k
        if j < n:  # right half, outwards (mirror index)
            vr = (b[j] + gax[j] * vr) * d[j]
            b[j] = vr


@njit(cache=True, error_model="numpy", fastmath=_CONTRACT)
def chain_solve4(d, b, g, cw):
    """A chain of n >= 8 nodes, as four independent sweeps: the middle node m
    and the middles qL, qR of the two halves are kept for last; each half is
    eliminated from its outer end towards its middle (Thomas) and from its
    inner end towards its middle (each elimination coupling the remaining
    node to m).  The 3 x 3 system of qL, m, qR is solved directly, then the
    four sweeps substitute outwards.  The processor runs the four division
    chains side by side.  ``cw`` is scratch (the couplings to m)."""
    n = d.shape[0]
    m = n // 2
    qL = m // 2
    qR = m + 1 + (n - 1 - m) // 2
    # registers: outer-left (ol), inner-left (il), outer-right (orr), inner-right (ir)
    d_ol = d[0]
    b_ol = b[0]
    d_il = d[m - 1]
    b_il = b[m - 1]
    c_il = g[m]
    d_or = d[n - 1]
    b_or = b[n - 1]
    d_ir = d[m + 1]
    b_ir = b[m + 1]
    c_ir = g[m + 1]
    dm = d[m]
    bm = b[m]
    n_ol = qL            # nodes 0 .. qL-1
    n_il = m - 1 - qL    # nodes m-1 .. qL+1
    n_or = n - 1 - qR    # nodes n-1 .. qR+1
    n_ir = qR - 1 - m    # nodes m+1 .. qR-1
    K = min(min(n_ol, n_il), min(n_or, n_ir))
    # the four eliminations side by side, then each one's remaining nodes
    for k in range(K):
        d_ol, b_ol = eliminate(d, b, k, k + 1, g[k + 1], d_ol, b_ol)
        j = m - 1 - k
        d_il, b_il, c_il, dm, bm = eliminate_coupled(d, b, cw, j, j - 1, g[j], d_il, b_il, c_il, dm, bm)
        i3 = n - 1 - k
        d_or, b_or = eliminate(d, b, i3, i3 - 1, g[i3], d_or, b_or)
        j4 = m + 1 + k
        d_ir, b_ir, c_ir, dm, bm = eliminate_coupled(d, b, cw, j4, j4 + 1, g[j4 + 1], d_ir, b_ir, c_ir, dm, bm)
    for k in range(K, n_ol):
        d_ol, b_ol = eliminate(d, b, k, k + 1, g[k + 1], d_ol, b_ol)
    for k in range(K, n_il):
        j = m - 1 - k
        d_il, b_il, c_il, dm, bm = eliminate_coupled(d, b, cw, j, j - 1, g[j], d_il, b_il, c_il, dm, bm)
    for k in range(K, n_or):
        i3 = n - 1 - k
        d_or, b_or = eliminate(d, b, i3, i3 - 1, g[i3], d_or, b_or)
    for k in range(K, n_ir):
        j4 = m + 1 + k
        d_ir, b_ir, c_ir, dm, bm = eliminate_coupled(d, b, cw, j4, j4 + 1, g[j4 + 1], d_ir, b_ir, c_ir, dm, bm)
    # the separators qL, m, qR: both sweeps of a block ended on its separator
    DL = d_ol + d_il - d[qL]
    BL = b_ol + b_il - b[qL]
    DR = d_or + d_ir - d[qR]
    BR = b_or + b_ir - b[qR]
    cL = c_il
    cR = c_ir
    xm = (bm + cL * BL / DL + cR * BR / DR) / (dm - cL * cL / DL - cR * cR / DR)
    xL = (BL + cL * xm) / DL
    xR = (BR + cR * xm) / DR
    b[m] = xm
    b[qL] = xL
    b[qR] = xR
    # back-substitution, the four sweeps outwards from their separators
    v_ol = xL
    v_il = xL
    v_or = xR
    v_ir = xR
    # tails first (the sweeps' innermost nodes, next to the separators), then all four together
    for k in range(n_ol - 1, K - 1, -1):
        v_ol = substitute(d, b, k, g[k + 1], v_ol, 0.0, 0.0)
    for k in range(n_il - 1, K - 1, -1):
        j = m - 1 - k
        v_il = substitute(d, b, j, g[j], v_il, cw[j], xm)
    for k in range(n_or - 1, K - 1, -1):
        i3 = n - 1 - k
        v_or = substitute(d, b, i3, g[i3], v_or, 0.0, 0.0)
    for k in range(n_ir - 1, K - 1, -1):
        j4 = m + 1 + k
        v_ir = substitute(d, b, j4, g[j4 + 1], v_ir, cw[j4], xm)
    for k in range(K - 1, -1, -1):
        v_ol = substitute(d, b, k, g[k + 1], v_ol, 0.0, 0.0)
        j = m - 1 - k
        v_il = substitute(d, b, j, g[j], v_il, cw[j], xm)
        i3 = n - 1 - k
        v_or = substitute(d, b, i3, g[i3], v_or, 0.0, 0.0)
        j4 = m + 1 + k
        v_ir = substitute(d, b, j4, g[j4 + 1], v_ir, cw[j4], xm)


@njit(cache=True, error_model="numpy")
def solve_chain(d, b, gax, cw):
    """Thomas elimination of a chain: four sweeps from 16 nodes on, else two (``cw``: scratch)."""
    if d.shape[0] >= 16:
        chain_solve4(d, b, gax, cw)
    else:
        chain_solve(d, b, gax)


@njit(cache=True, error_model="numpy")
def solve_tree(chain, d, b, parent, gax, cw):
    """Solve the implicit step's matrix: Thomas on a chain, else Hines' elimination."""
    if chain:
        solve_chain(d, b, gax, cw)
    else:
        hines_solve(d, b, parent, gax)
