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
  at once; :func:`chain_solve_blocks`: a long chain in four blocks, each
  eliminated from both ends (eight sweeps whose division chains overlap in
  the processor), a reduced chain of seven unknowns between them; its halves
  (:func:`eliminate_pair`, :func:`substitute_pair`) run on two threads;
* :func:`solve_tree`: the choice between them, used by every cable driver;
* :func:`set_junctions`: junction nodes (branch points without membrane) at
  the conductance-weighted mean of their neighbours.

Compiled once (``cache=True``), for every structure: nothing here depends
on the channels.  The arithmetic allows floating-point contraction (a*b + c
as one fused multiply-add) and nothing else of fast-math.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .compiled_only import compiled_only
from .int_args import ONE, ZERO

_CONTRACT = {"contract"}


# ------------------------------------------------ steps of the chain solver
@compiled_only(error_model="numpy", inline="always", fastmath=_CONTRACT)
def eliminate_coupled(d, b, cw, i, nb, gi, dc, bc, cc, dm, bm):
    """Gaussian elimination of node i (running pivot ``dc``, right-hand side ``bc``)
    into its neighbour ``nb`` (coupling ``gi``), node i also coupled (``cc``, kept
    in ``cw``) to a separator (``dm``, ``bm``: what the sweep has added to the
    separator's pivot and right-hand side so far; ``cc`` = 0 for a sweep from
    an end of the chain).  Keeps the pivot's reciprocal and the right-hand side
    at i; returns nb's pivot, right-hand side and coupling to the separator,
    and the new ``dm``, ``bm``."""
    r = 1.0 / dc
    d[i] = r
    b[i] = bc
    cw[i] = cc
    f = gi * r
    fm = cc * r
    return d[nb] - f * gi, b[nb] + f * bc, f * cc, dm - fm * cc, bm + fm * bc


@compiled_only(error_model="numpy", inline="always", fastmath=_CONTRACT)
def substitute(d, b, i, gi, v_nb, ci, v_mid):
    """Back-substitution at node i from its solved neighbour ``v_nb`` (coupling
    ``gi``) and, for a node coupled to the middle, ``ci * v_mid``; stores and returns V_i."""
    v = (b[i] + gi * v_nb + ci * v_mid) * d[i]
    b[i] = v
    return v


@compiled_only(error_model="numpy", fastmath=_CONTRACT)
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


# ------------------------------------------- a long chain in four blocks
# Nodes s1 < s2 < s3 (near n/4, n/2, 3n/4: :func:`separator`) separate four blocks; each block is
# eliminated from both its ends towards its middle node q (two sweeps; a sweep
# starting next to a separator couples its nodes to it, kept in ``cw``).  The
# middles and separators then form a chain of seven unknowns,
# q1 - s1 - q2 - s2 - q3 - s3 - q4, solved directly; every sweep then
# substitutes outwards from its middle.  Blocks are taken in pairs (four sweeps
# side by side: the processor overlaps their division chains), a pair per
# thread on two threads, one pair after the other on one: each sweep does the
# same operations either way (the same bits).  ``red`` (REDUCED_SIZE) carries
# what the reduced chain needs: per block its middle's pivot, right-hand side
# and couplings to the separators on its left and right, and what its two
# sweeps added to those separators' pivots and right-hand sides (8 numbers),
# the separators' own pivots and right-hand sides, then, per thread, the seven
# solved values and scratch; what each thread writes on cache lines of its own.

#: Chains of at least this many nodes are solved in four blocks.
BLOCKED_CHAIN = 16
#: Numbers the blocks pass to the reduced chain, a part of 24 (three cache lines)
#: per pair of blocks, which one thread writes: 8 per block, then the pivots and
#: right-hand sides of the separators the pair owns (s1; s2 and s3).  Two copies
#: (one per parity of the step), so that a thread may eliminate the next step
#: while the other still solves this one's reduced chain.
REDUCED_SHARED = 48
#: Where a thread's solution of the reduced chain starts in ``red`` (then 24 per
#: thread, two threads; the whole array starts on a cache line).
REDUCED_BASE = 2 * REDUCED_SHARED
REDUCED_THREAD = 24
REDUCED_SIZE = REDUCED_BASE + 2 * REDUCED_THREAD
REDUCED_BASE_I64 = np.int64(REDUCED_BASE)  # (passed on as int64: see hhsim.engine.int_args)


@compiled_only(error_model="numpy", inline="always")
def separator(n, k):
    """Separator k (0, 1, 2) of a chain of n >= BLOCKED_CHAIN nodes.  The middle one is
    a multiple of 8 (the two threads' halves then meet on a cache line, see
    :mod:`hhsim.engine.aligned`), the others halve the halves."""
    s2 = 8 * (n // 16)
    if k == 1:
        return s2
    return s2 // 2 if k == 0 else s2 + 1 + (n - 1 - s2) // 2


@compiled_only(error_model="numpy", inline="always")
def block_bounds(n, blk):
    """First node, middle and end (exclusive) of block ``blk`` (0..3) of a chain of n."""
    first = 0 if blk == 0 else separator(n, blk - 1) + 1
    end = n if blk == 3 else separator(n, blk)
    return first, first + (end - first) // 2, end


@njit(cache=True, error_model="numpy", fastmath=_CONTRACT)
def chain_middle(n):
    """The node every other node of a chain's solve feeds (NaN or Inf anywhere shows
    there): the middle separator of the blocked solve, else the meeting point of
    :func:`chain_solve`."""
    return separator(n, 1) if n >= BLOCKED_CHAIN else n // 2


@compiled_only(error_model="numpy", fastmath=_CONTRACT)
def eliminate_pair(d, b, g, cw, red, pair, at):
    """Eliminate blocks 2 pair and 2 pair + 1: their four sweeps side by side, then
    each one's remaining nodes; results into red[at : at + REDUCED_SHARED]."""
    f0, q0, e0 = block_bounds(d.shape[0], 2 * pair)
    f1, q1, e1 = block_bounds(d.shape[0], 2 * pair + 1)
    # sweep registers: A rightwards from f0, B leftwards from e0 - 1 (block 0 of the
    # pair), C rightwards from f1, D leftwards from e1 - 1; each couples to the
    # separator before or after its block (coupling 0 at an end of the chain)
    dA, bA, cA = d[f0], b[f0], g[f0] if f0 > 0 else 0.0
    dB, bB, cB = d[e0 - 1], b[e0 - 1], g[e0] if e0 < d.shape[0] else 0.0
    dC, bC, cC = d[f1], b[f1], g[f1] if f1 > 0 else 0.0
    dD, bD, cD = d[e1 - 1], b[e1 - 1], g[e1] if e1 < d.shape[0] else 0.0
    sdA = sbA = sdB = sbB = sdC = sbC = sdD = sbD = 0.0
    nA, nB, nC, nD = q0 - f0, e0 - 1 - q0, q1 - f1, e1 - 1 - q1
    K = min(min(nA, nB), min(nC, nD))
    for k in range(K):
        i = f0 + k
        dA, bA, cA, sdA, sbA = eliminate_coupled(d, b, cw, i, i + 1, g[i + 1], dA, bA, cA, sdA, sbA)
        j = e0 - 1 - k
        dB, bB, cB, sdB, sbB = eliminate_coupled(d, b, cw, j, j - 1, g[j], dB, bB, cB, sdB, sbB)
        i = f1 + k
        dC, bC, cC, sdC, sbC = eliminate_coupled(d, b, cw, i, i + 1, g[i + 1], dC, bC, cC, sdC, sbC)
        j = e1 - 1 - k
        dD, bD, cD, sdD, sbD = eliminate_coupled(d, b, cw, j, j - 1, g[j], dD, bD, cD, sdD, sbD)
    for k in range(K, nA):
        i = f0 + k
        dA, bA, cA, sdA, sbA = eliminate_coupled(d, b, cw, i, i + 1, g[i + 1], dA, bA, cA, sdA, sbA)
    for k in range(K, nB):
        j = e0 - 1 - k
        dB, bB, cB, sdB, sbB = eliminate_coupled(d, b, cw, j, j - 1, g[j], dB, bB, cB, sdB, sbB)
    for k in range(K, nC):
        i = f1 + k
        dC, bC, cC, sdC, sbC = eliminate_coupled(d, b, cw, i, i + 1, g[i + 1], dC, bC, cC, sdC, sbC)
    for k in range(K, nD):
        j = e1 - 1 - k
        dD, bD, cD, sdD, sbD = eliminate_coupled(d, b, cw, j, j - 1, g[j], dD, bD, cD, sdD, sbD)
    # both sweeps of a block end on its middle
    o = _block_at(at, 2 * pair)
    red[o], red[o + 1], red[o + 2], red[o + 3] = dA + dB - d[q0], bA + bB - b[q0], cA, cB
    red[o + 4], red[o + 5], red[o + 6], red[o + 7] = sdA, sbA, sdB, sbB
    red[o + 8], red[o + 9], red[o + 10], red[o + 11] = dC + dD - d[q1], bC + bD - b[q1], cC, cD
    red[o + 12], red[o + 13], red[o + 14], red[o + 15] = sdC, sbC, sdD, sbD
    # the separators' own rows (pair 0: s1; pair 1: s2, s3): the reduced solve reads
    # them from here, as b at the separators is where it writes their values
    n = d.shape[0]
    for k in range(0, 1) if pair == 0 else range(1, 3):
        sk = separator(n, k)
        red[_separator_at(at, k)] = d[sk]
        red[_separator_at(at, k) + 1] = b[sk]


@compiled_only(error_model="numpy", inline="always")
def _block_at(at, k):
    """Where block k's 8 numbers start in ``red`` (copy ``at``)."""
    return at + 24 * (k // 2) + 8 * (k % 2)


@compiled_only(error_model="numpy", inline="always")
def _separator_at(at, k):
    """Where separator k's pivot and right-hand side are in ``red`` (copy ``at``)."""
    return at + 16 if k == 0 else at + 24 + 16 + 2 * (k - 1)


@compiled_only(error_model="numpy", inline="always")
def _reduced_row(red, u, at):
    """Pivot and right-hand side of unknown u of the reduced chain: u = 2 k is block k's
    middle, u = 2 k + 1 the separator after block k."""
    k = u // 2
    blk = _block_at(at, k)
    if u % 2 == 0:
        return red[blk], red[blk + 1]
    s = _separator_at(at, k)
    nxt = _block_at(at, k + 1)
    return red[s] + red[blk + 6] + red[nxt + 4], red[s + 1] + red[blk + 7] + red[nxt + 5]


@compiled_only(error_model="numpy", inline="always")
def _reduced_coupling(red, u, at):
    """Coupling of unknowns u and u + 1 of the reduced chain."""
    k = u // 2
    return red[_block_at(at, k) + 3] if u % 2 == 0 else red[_block_at(at, k + 1) + 2]


@compiled_only(error_model="numpy", fastmath=_CONTRACT)
def solve_reduced(d, b, red, at, base, lo, hi):
    """Solve the chain q1 - s1 - q2 - s2 - q3 - s3 - q4 (from red[at : at + REDUCED_SHARED],
    Thomas) into red[base : base + 7]
    (red[base + 7 : base + 19]: scratch) and the values of those among nodes lo .. hi-1
    into b; returns the value at the chain's middle (s2).  Two threads may both
    solve it, each into its own part of ``red``: the same numbers, no meeting."""
    dc, bc = _reduced_row(red, 0, at)
    for u in range(1, 7):
        e = _reduced_coupling(red, u - 1, at)
        r = 1.0 / dc
        red[base + 7 + u - 1] = r
        red[base + 13 + u - 1] = bc
        f = e * r
        du, bu = _reduced_row(red, u, at)
        dc = du - f * e
        bc = bu + f * bc
    x = bc / dc
    red[base + 6] = x
    for u in range(5, -1, -1):
        x = (red[base + 13 + u] + _reduced_coupling(red, u, at) * x) * red[base + 7 + u]
        red[base + u] = x
    n = d.shape[0]
    for u in range(7):
        k = u // 2
        node = block_bounds(n, k)[1] if u % 2 == 0 else separator(n, k)
        if lo <= node < hi:
            b[node] = red[base + u]
    return red[base + 3]


@compiled_only(error_model="numpy", fastmath=_CONTRACT)
def substitute_pair(d, b, g, cw, red, pair, base):
    """Back-substitute blocks 2 pair and 2 pair + 1 outwards from their middles (the
    reduced chain's values in red[base : base + 7])."""
    n = d.shape[0]
    f0, q0, e0 = block_bounds(n, 2 * pair)
    f1, q1, e1 = block_bounds(n, 2 * pair + 1)
    # each sweep's separator: before its block (A, C) or after it (B, D); 0 at a chain end
    xA = red[base + 4 * pair - 1] if pair > 0 else 0.0
    xB = red[base + 4 * pair + 1]
    xC = red[base + 4 * pair + 1]
    xD = red[base + 4 * pair + 3] if pair == 0 else 0.0
    vA = b[q0]
    vB = vA
    vC = b[q1]
    vD = vC
    nA, nB, nC, nD = q0 - f0, e0 - 1 - q0, q1 - f1, e1 - 1 - q1
    K = min(min(nA, nB), min(nC, nD))
    # tails first (the nodes next to the middles), then all four together
    for k in range(nA - 1, K - 1, -1):
        i = f0 + k
        vA = substitute(d, b, i, g[i + 1], vA, cw[i], xA)
    for k in range(nB - 1, K - 1, -1):
        j = e0 - 1 - k
        vB = substitute(d, b, j, g[j], vB, cw[j], xB)
    for k in range(nC - 1, K - 1, -1):
        i = f1 + k
        vC = substitute(d, b, i, g[i + 1], vC, cw[i], xC)
    for k in range(nD - 1, K - 1, -1):
        j = e1 - 1 - k
        vD = substitute(d, b, j, g[j], vD, cw[j], xD)
    for k in range(K - 1, -1, -1):
        i = f0 + k
        vA = substitute(d, b, i, g[i + 1], vA, cw[i], xA)
        j = e0 - 1 - k
        vB = substitute(d, b, j, g[j], vB, cw[j], xB)
        i = f1 + k
        vC = substitute(d, b, i, g[i + 1], vC, cw[i], xC)
        j = e1 - 1 - k
        vD = substitute(d, b, j, g[j], vD, cw[j], xD)


@compiled_only(error_model="numpy", fastmath=_CONTRACT)
def chain_solve_blocks(d, b, g, cw, red):
    """A chain of at least BLOCKED_CHAIN nodes in four blocks on one thread (see above)."""
    eliminate_pair(d, b, g, cw, red, ZERO, ZERO)
    eliminate_pair(d, b, g, cw, red, ONE, ZERO)
    solve_reduced(d, b, red, ZERO, REDUCED_BASE_I64, ZERO, d.shape[0])
    substitute_pair(d, b, g, cw, red, ZERO, REDUCED_BASE_I64)
    substitute_pair(d, b, g, cw, red, ONE, REDUCED_BASE_I64)


@compiled_only(error_model="numpy", fastmath=_CONTRACT)
def solve_chain(d, b, gax, cw, red):
    """Thomas elimination of a chain: in four blocks from BLOCKED_CHAIN nodes on, else
    from both ends (``cw``, ``red``: scratch)."""
    if d.shape[0] >= BLOCKED_CHAIN:
        chain_solve_blocks(d, b, gax, cw, red)
    else:
        chain_solve(d, b, gax)


@compiled_only(error_model="numpy", fastmath=_CONTRACT)
def solve_tree(chain, d, b, parent, gax, cw, red):
    """Solve the implicit step's matrix: Thomas on a chain, else Hines' elimination
    (``cw``: n numbers of scratch, ``red``: REDUCED_SIZE)."""
    if chain:
        solve_chain(d, b, gax, cw, red)
    else:
        hines_solve(d, b, parent, gax)
