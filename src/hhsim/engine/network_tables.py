"""The network plan's tables: named records of arrays, read by name by the compiled loop.

Each record is a :class:`typing.NamedTuple` of NumPy arrays.  numba types a
named tuple field by field, as it types a plain tuple, so the compiled loop
reads ``LIN.kind`` at the cost of ``LIN[0]``; the names say what every array
holds, and unpacking a record into local names (``kind, tau1, ... = LIN``)
keeps working.  :mod:`hhsim.engine.network_lower` builds the plan's tables,
:class:`hhsim.network.simulate._Runner` the run's state (queue, events,
spikes, recording); :mod:`hhsim.engine.network_driver` describes one step.

Indices: ``i`` a node (every population's cells, numbered from 0), ``g`` a
synapse group, ``e`` an event edge, ``s`` a plasticity slot.  Units: t in
ms, V in mV, conductances in mS/cm², currents in µA/cm² (a current group's
state in µA/cm², with ``E`` 1), rates in 1/ms.

Growing a buffer is ``record._replace(name=bigger)``: the records are immutable,
so a grown run state is a new record, never a half-updated one.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Membranes(NamedTuple):
    """One structure's membrane parameters, one column per node of the structure."""

    gbar: np.ndarray   # (n_channels, n) maximal conductances, mS/cm²
    erev: np.ndarray   # (n_channels, n) reversal potentials, mV
    phi: np.ndarray    # (n_channels, n) temperature factors of the gate rates
    cm: np.ndarray     # (1, n) membrane capacitance, µF/cm²
    rp: np.ndarray     # (n_params, n) the rate functions' parameters
    rcm: np.ndarray    # (1, n) 1 / cm, cm²/µF (the fast path multiplies by it)


class Drive(NamedTuple):
    """Injected currents: the stimulus waveforms as knots, and the noise currents."""

    kt: np.ndarray       # (n_waves, n_knots) knot times, ms (padded past the end)
    ka: np.ndarray       # (n_waves, n_knots) the current just after each knot, µA/cm²
    kb: np.ndarray       # (n_waves, n_knots) its left limit at the next knot, µA/cm² (linear between)
    cursor: np.ndarray   # (n_waves,) the knot each waveform is at
    wave: np.ndarray     # (n_nodes,) each node's waveform, -1: none
    scale: np.ndarray    # (n_nodes,) each node's factor on its waveform
    noise_p: np.ndarray  # (n_nodes, 3) Ornstein-Uhlenbeck noise: mean µA/cm², std µA/cm², tau ms
    noise_I: np.ndarray  # (n_nodes,) the noise current now, µA/cm²
    kj: np.ndarray       # (n_waves, n_knots) 1 where the next knot is a jump or breakpoint
    wa: np.ndarray       # (n_waves,) each waveform at the step's start, µA/cm²
    wm: np.ndarray       # (n_waves,) ... at its middle
    wb: np.ndarray       # (n_waves,) ... at its end
    wk: np.ndarray       # (n_waves,) 1 where it jumps or bends strictly inside the step
    noise_nodes: np.ndarray  # the nodes with a noise current (tau > 0), in order


class LinearSynapses(NamedTuple):
    """Synapse groups whose conductance (or current) is linear in its events: exponential,
    alpha and difference-of-exponentials conductances and currents."""

    kind: np.ndarray  # (n_groups,) LIN_EXP, LIN_ALPHA, ... (network_kernels)
    tau1: np.ndarray  # (n_groups,) first time constant, ms
    tau2: np.ndarray  # (n_groups,) second time constant, ms
    E: np.ndarray     # (n_groups,) reversal potential, mV (1 for a current group)
    norm: np.ndarray  # (n_groups,) the peak normalisation of a unit event
    A: np.ndarray     # (n_groups, n_nodes) first state (conductance or current)
    B: np.ndarray     # (n_groups, n_nodes) second state (alpha, biexponential)
    d1: np.ndarray    # (n_groups,) exp(-dt / tau1)
    d2: np.ndarray    # (n_groups,) exp(-dt / tau2)
    dA: np.ndarray    # (n_groups, n_nodes) zero-delay events of the last step's end, added to A
    dB: np.ndarray    # (n_groups, n_nodes) ... to B
    h1: np.ndarray    # (n_groups,) exp(-dt / (2 tau1)), the half step's
    h2: np.ndarray    # (n_groups,) exp(-dt / (2 tau2))
    cg: np.ndarray    # (n_groups,) 1 for a conductance group, 0 for a current group (no share of G)


class KineticSynapses(NamedTuple):
    """Synapses with kinetic states (AMPA, GABA-A, NMDA after Destexhe et al.),
    their edges grouped by target node."""

    ptr: np.ndarray     # (n_nodes + 1,) each node's first kinetic edge in ``edge``
    edge: np.ndarray    # (n_kin,) kinetic edge numbers, grouped by target
    group: np.ndarray   # (n_kin,) each kinetic edge's group
    w: np.ndarray       # (n_kin,) weights, mS/cm²
    g_kind: np.ndarray  # (n_groups,) each group's kinetic scheme
    g_p: np.ndarray     # (n_groups, 7) the scheme's rate parameters
    g_E: np.ndarray     # (n_groups,) reversal potential, mV
    g_nmda: np.ndarray  # (n_groups,) bool: magnesium-blocked
    g_T: np.ndarray     # (n_groups,) transmitter pulse duration, ms
    r: np.ndarray       # (n_kin,) open fraction
    g2: np.ndarray      # (n_kin,) second state (second-order schemes)
    tlast: np.ndarray   # (n_kin,) time of the last update, ms
    pend: np.ndarray    # (n_kin,) end of the transmitter pulse, ms (-1: none)
    T: np.ndarray       # (n_kin,) transmitter concentration, mM
    mg: np.ndarray      # (n_nodes,) extracellular magnesium, mM


class GradedSynapses(NamedTuple):
    """Graded (non-spiking) synapses: a conductance following the presynaptic voltage."""

    pre_nodes: np.ndarray  # (n_projections, width) each projection's presynaptic nodes
    p: np.ndarray          # (n_projections, 3) alpha 1/ms, beta 1/ms, theta mV of the activation
    s: np.ndarray          # (n_projections, width) gating variable of each presynaptic cell
    ptr: np.ndarray        # (n_nodes + 1,) each target node's first entry
    group: np.ndarray      # (n_entries,) the entry's projection
    slot: np.ndarray       # (n_entries,) the entry's presynaptic cell (column of ``s``)
    w: np.ndarray          # (n_entries,) maximal conductance, mS/cm²
    E: np.ndarray          # (n_projections,) reversal potential, mV


class GapJunctions(NamedTuple):
    """Gap junctions (CSR by node), and the held coupling terms of the step."""

    ptr: np.ndarray  # (n_nodes + 1,) each node's first neighbour; ptr[n_nodes] > 0: some coupling
    nbr: np.ndarray  # (n_pairs * 2,) neighbour nodes
    g: np.ndarray    # (n_pairs * 2,) coupling conductance, mS/cm²
    Gf: np.ndarray   # (n_nodes,) held conductance of the step (gap, graded, noisy channels), mS/cm²
    GEf: np.ndarray  # (n_nodes,) the matching G E, µA/cm²


class EventEdges(NamedTuple):
    """Every spike-carrying edge, numbered by presynaptic cell or source (CSR by ``out_ptr``)."""

    post: np.ndarray     # (n_edges,) target node
    w: np.ndarray        # (n_edges,) weight, mS/cm² or µA/cm²
    delay: np.ndarray    # (n_edges,) delay, ms
    group: np.ndarray    # (n_edges,) linear group, or -1
    kin: np.ndarray      # (n_edges,) kinetic edge, or -1
    stp: np.ndarray      # (n_edges,) plasticity slot, or -1
    out_ptr: np.ndarray  # (n_cells + n_sources + 1,) each presynaptic id's first edge
    immediate: np.ndarray  # (n_cells + n_sources,) 1 where every edge of the id is linear, without
                           # plasticity and of delay 0 (all delivered at the next step's start),
                           # 2 where its edges are also in order of their targets, else 0


class ShortTermPlasticity(NamedTuple):
    """One row per plasticity slot (Tsodyks-Markram; ``p[s, 0]`` (U) 0: none)."""

    p: np.ndarray  # (n_slots, 3) U, tau_rec ms, tau_fac ms
    u: np.ndarray  # (n_slots,) utilisation
    x: np.ndarray  # (n_slots,) available resources
    t: np.ndarray  # (n_slots,) time of the last spike through the slot, ms


class STDP(NamedTuple):
    """Pair-based spike-timing-dependent plasticity (see :mod:`hhsim.engine.network_kernels`):
    the presynaptic side at each delivery, the postsynaptic side at each spike of a target."""

    p: np.ndarray        # (n_rules, 7) tau_plus ms, tau_minus ms, A_plus, A_minus, w_max, w_min, multiplicative
    rule: np.ndarray     # (n_slots,) each slot's rule, -1: not plastic
    x: np.ndarray        # (n_slots,) presynaptic trace
    s: np.ndarray        # (n_slots,) time of the last presynaptic arrival, ms
    k: np.ndarray        # (n_slots,) postsynaptic spikes already counted by the slot
    edge: np.ndarray     # (n_slots,) the slot's edge
    dd: np.ndarray       # (n_slots,) dendritic delay, ms
    row: np.ndarray      # (n_nodes,) a plastic target's row in ``rt``/``ry``, -1: none
    n: np.ndarray        # (n_nodes,) postsynaptic spikes of each target so far
    rt: np.ndarray       # (n_targets, history) postsynaptic spike times, ms (a ring)
    ry: np.ndarray       # (n_targets, history) the postsynaptic trace after each
    tau: np.ndarray      # (n_targets,) the postsynaptic trace's time constant, ms
    in_ptr: np.ndarray   # (n_nodes + 1,) each target's first slot in ``inbound``
    inbound: np.ndarray  # (n_plastic,) plastic slots grouped by target
    w: np.ndarray        # (n_edges,) the edges' weights (``EventEdges.w``, shared)
    flag: np.ndarray     # (1,) 1 when a target's spike history was too short


class PoissonInputs(NamedTuple):
    """Poisson spike trains drawn inside the loop, per target node (CSR)."""

    ptr: np.ndarray    # (n_nodes + 1,) each node's first input
    lam: np.ndarray    # (n_inputs,) rate, 1/ms
    group: np.ndarray  # (n_inputs,) linear group it drives
    w: np.ndarray      # (n_inputs,) weight
    t: np.ndarray      # (MAX_PIN_EVENTS,) this step's input event times of the node, ms
    k: np.ndarray      # (MAX_PIN_EVENTS,) ... and their inputs
    cur: np.ndarray    # (2,) the node's events drawn this step, and the next one to apply


class EventQueue(NamedTuple):
    """The spike-event queue: buckets of one step each, linked lists of slots."""

    time: np.ndarray    # (cap,) arrival time, ms
    edge: np.ndarray    # (cap,) edge
    next: np.ndarray    # (cap,) next slot in the bucket, -1: last
    head: np.ndarray    # (n_buckets,) first slot of each bucket, -1: empty
    tail: np.ndarray    # (n_buckets,) last slot of each bucket
    free: np.ndarray    # (cap,) the free slots' stack
    n_free: np.ndarray  # (1,) its height


class NodeEvents(NamedTuple):
    """This step's events per node, sorted by time (filled by ``step_begin``)."""

    time: np.ndarray      # (cap,) event times, ms
    code: np.ndarray      # (cap,) what arrives (edge, or an internal code)
    n: np.ndarray         # (n_nodes,) per-node counts (gather_events' scratch)
    node_ptr: np.ndarray  # (n_nodes + 1,) each node's first event
    late: np.ndarray      # (1,) events due before the step's start (shorter than a step), counted
    cur: np.ndarray       # (1,) the next event of the node being advanced


class Spikes(NamedTuple):
    """Spikes: this step's, the sources', the monitor's, and the dead-time state."""

    t: np.ndarray         # (cap,) this step's spike times, ms
    src: np.ndarray       # (cap,) ... their nodes
    n: np.ndarray         # (1,) ... how many
    ext_t: np.ndarray     # (n_ext,) the sources' spike times, ms, sorted
    ext_src: np.ndarray   # (n_ext,) ... their source ids
    ext_k: np.ndarray     # (1,) the next source spike to queue
    mon_t: np.ndarray     # (cap,) monitored spike times, ms
    mon_src: np.ndarray   # (cap,) ... their nodes
    mon_n: np.ndarray     # (1,) ... how many
    mon_mask: np.ndarray  # (n_nodes,) bool: the node's spikes are monitored
    pending: np.ndarray   # (1,) spikes of the last step not yet pushed (the queue was full)
    last: np.ndarray      # (n_nodes,) last emitted spike time, ms (-inf before the first)
    refr: np.ndarray      # (n_nodes,) dead time for spike emission, ms
    hold: np.ndarray      # (n_nodes,) end of the dead time while a crossing waits for it, ms, else +inf
    hold_min: np.ndarray  # (1,) at most the smallest of ``hold``
    pushed: np.ndarray    # (2,) of this step's spikes at its end: how many were queued (their late
                          # edges still to deliver), and how many there were


class Recording(NamedTuple):
    """The state monitor: V, states and synaptic current of chosen nodes every few steps."""

    every: np.ndarray  # (1,) steps between samples
    nodes: np.ndarray  # (n_rec,) recorded nodes
    k: np.ndarray      # (n_rec,) each one's structure
    c: np.ndarray      # (n_rec,) ... and column in it
    v: np.ndarray      # (n_samples, n_rec) V, mV
    y: np.ndarray      # (n_samples, max_states, n_rec) states
    i: np.ndarray      # (n_samples, n_rec) synaptic current, µA/cm²
    n: np.ndarray      # (1,) samples taken


# ------------------------------------------------------------------ what a result reads
# Runners that are not the compiled loop (the adaptive runner, the NumPy back end) hand
# NetworkResult only what it reads, in the same records; the fields they do not keep are None.
def monitored_spikes(t: np.ndarray, src: np.ndarray) -> Spikes:
    """A :class:`Spikes` holding only the monitored spikes: times ``t`` (ms) of nodes ``src``."""
    return Spikes(*(None,) * 6, mon_t=t, mon_src=src, mon_n=np.array([t.size], dtype=np.int64),
                  mon_mask=None, pending=None, last=None, refr=None, hold=None, hold_min=None,
                  pushed=None)


def late_events(count: int) -> NodeEvents:
    """A :class:`NodeEvents` holding only the count of events due before their step's start."""
    return NodeEvents(time=None, code=None, n=None, node_ptr=None, late=np.array([count], dtype=np.int64), cur=None)


# ------------------------------------------------------------------ the adaptive runner's
# (hhsim.engine.network_adaptive: every cell its own dopri5 steps through a window)
class CellSteps(NamedTuple):
    """Each node's adaptive-step state, carried from window to window."""

    thr: np.ndarray       # (n_nodes,) spike threshold, mV
    refr: np.ndarray      # (n_nodes,) dead time for spike emission, ms
    last: np.ndarray      # (n_nodes,) last emitted spike time, ms (-inf before the first)
    hold: np.ndarray      # (n_nodes,) end of the dead time while a crossing waits for it, ms, else +inf
    h: np.ndarray         # (n_nodes,) the next step's size, ms
    log_prev: np.ndarray  # (n_nodes,) log of the previous step's error norm (the step controller's memory)
    status: np.ndarray    # (n_nodes,) OK, or why the cell failed (network_adaptive's codes)


class WindowEvents(NamedTuple):
    """Each node's synaptic events inside the window, by time (CSR by node)."""

    ptr: np.ndarray  # (n_nodes + 1,) each node's first event
    t: np.ndarray    # (n_events,) arrival time, ms
    g: np.ndarray    # (n_events,) linear group
    w: np.ndarray    # (n_events,) weight


class WindowSpikes(NamedTuple):
    """The window's spikes per node."""

    t: np.ndarray  # (n_nodes, cap) spike times, ms
    n: np.ndarray  # (n_nodes,) how many


class WindowRecording(NamedTuple):
    """The state monitor of the adaptive runner (samples on the fixed grid of ``dt`` ms)."""

    col: np.ndarray   # (n_nodes,) the node's column in v, y, i, or -1: not recorded
    next: np.ndarray  # (n_nodes,) the node's next sample
    dt: float         # ms between samples (inf: none)
    t0: float         # ms, the first sample's time
    v: np.ndarray     # (n_samples, n_rec) V, mV
    y: np.ndarray     # (n_samples, max_states, n_rec) states
    i: np.ndarray     # (n_samples, n_rec) synaptic current, µA/cm², outward positive


class ErrorControl(NamedTuple):
    """The adaptive steps' error control."""

    rtol: float   # relative tolerance
    atol: float   # absolute tolerance (mV, and the states' units)
    h_max: float  # largest step, ms


class LaneSlopes(NamedTuple):
    """Each cell's slope at its time, kept from window to window by the lanes' path
    (:mod:`hhsim.engine.network_adaptive_lanes`), rows by the cell's index in its structure."""

    k: np.ndarray      # (n_cells, 1 + n_states) dY/dt: mV/ms, then the states' units per ms
    drive: np.ndarray  # (n_cells,) the current into the cell it was computed with, µA/cm² (inward positive)
    known: np.ndarray  # (n_cells,) bool: the slope is set (False before the cell's first step)


# ------------------------------------------------------------------ cable cells in the network
# (hhsim.engine.network_cables: each population of cable cells, stepped in the compiled call.
# Here n is a cell's compartments (nodes of its tree), k its population's cells, ns its
# structure's states; t in ms, V in mV, node currents in nA, conductances in µS, capacitance
# in nF.)
class CableShape(NamedTuple):
    """One population's cell structure, shared by its cells."""

    mem: tuple              # the structure's membrane functions (step, assemble, rates): function values
    method: int             # network_cables.THETA, EULER or RK4
    theta: float            # 0.5 (Crank-Nicolson) or 1 (backward Euler); 0 for an explicit method
    chain: bool             # the tree is a chain (the Thomas solve)
    probe: int              # the node the chain solve's NaN check reads
    first: int              # the population's first node in the network
    site: int               # the synapse node (of the cell's n)
    detect: int             # the detection node
    thr: float              # spike threshold at the detection node, mV
    cap: np.ndarray         # (n,) capacitance, nF (0: a junction without membrane)
    area: np.ndarray        # (n,) membrane area, µS per mS/cm² (a density times it: µS)
    sumg: np.ndarray        # (n,) axial and boundary conductance of each node, µS
    gfix: np.ndarray        # (n,) boundary conductance at terminals, µS
    bfix: np.ndarray        # (n,) ... times the potential it pulls towards, nA
    icap: np.ndarray        # (n,) 1 / cap, 1/nF (0 at a junction)
    parent: np.ndarray      # (n,) each node's parent in the tree (-1 at the root)
    gax: np.ndarray         # (n,) axial conductance to the parent, µS
    PT: np.ndarray          # (n_runs, n_params) each run's row: gbar, erev, phi per channel, rate parameters
    runs: np.ndarray        # (n_runs + 1,) run r covers nodes runs[r] .. runs[r + 1] - 1 (unsigned)
    alg_idx: np.ndarray     # (n_junctions,) the junction nodes
    alg_ptr: np.ndarray     # (n_junctions + 1,) each junction's first neighbour
    alg_nbr: np.ndarray     # (n_junction_links,) its neighbours
    alg_g: np.ndarray       # (n_junction_links,) ... and their conductances, µS
    site_node: np.ndarray   # (n_sites,) the nodes of the cell's own point stimuli
    site_wave: np.ndarray   # (n_sites,) ... their waveform
    site_scale: np.ndarray  # (n_sites,) ... the factor on it
    nbr: np.ndarray         # (n_nbr,) the detection node's neighbours
    nbr_g: np.ndarray       # (n_nbr,) ... their axial conductances, µS
    edge_steps: np.ndarray  # (n_edges,) the steps holding an edge of the cell's stimuli, sorted
    i_a: np.ndarray         # (chunk steps, n_waves) the cell's stimuli at each step's start, nA (row 0: chunk's first)
    i_m: np.ndarray         # (chunk steps, n_waves) ... at its middle, nA
    i_b: np.ndarray         # (chunk steps, n_waves) ... at its end (left limit), nA


class CableCells(NamedTuple):
    """One population's cells: their states stacked (first index the cell) and the
    scratch its kernels share."""

    v: np.ndarray       # (k, n) V, mV
    y: np.ndarray       # (k, ns, n) gates and pools (the theta methods' half a step behind V)
    vmax: np.ndarray    # (k, n) largest V so far, mV (the cable kernels' divergence check)
    hist: np.ndarray    # (k, 4, n) V of the last four steps (the cable kernels' crossing history), mV
    h_prev: np.ndarray  # (1,) the last step's length, ms (0 before the first)
    g_syn: np.ndarray   # (k,) each cell's synaptic conductance at its synapse node, held over the step, µS
    ge_syn: np.ndarray  # (k,) ... its g E, nA
    cur: np.ndarray     # (k,) each detection node's membrane, axial and boundary current at the step's start, nA
    rec: np.ndarray     # (n_samples, k) V of the detection nodes every ``CableRun.every`` steps (row 0: start), mV
    g_ext: np.ndarray   # (n,) extra conductance per node in the theta step, µS (scratch)
    ge_ext: np.ndarray  # (n,) ... its g E, nA (scratch)
    gf: np.ndarray      # (n,) fixed and synaptic conductance of the explicit steps, µS (scratch)
    bf: np.ndarray      # (n,) ... the matching current, nA (scratch)
    zeros: np.ndarray   # (n,) zeros (no point current)
    G: np.ndarray       # (n,) membrane conductance, mS/cm² (scratch)
    GE: np.ndarray      # (n,) ... its G E, µA/cm² (scratch)
    d: np.ndarray       # (n,) the implicit matrix's diagonal (scratch)
    b: np.ndarray       # (n,) ... its right-hand side (scratch)
    d2: np.ndarray      # (n,) the same for a second half step (scratch)
    b2: np.ndarray      # (n,) (scratch)
    cw: np.ndarray      # (n,) the chain solve's scratch
    red: np.ndarray     # (tree_solve.REDUCED_SIZE,) the blocked chain solve's reduced system (scratch)
    ys: np.ndarray      # (ns, n) a copy of the gates, relaxed for a slope (scratch)
    inj: np.ndarray     # (n,) injected current, nA (explicit steps' scratch)
    dv: np.ndarray      # (n,) dV/dt, mV/ms (scratch)
    dy: np.ndarray      # (ns, n) the states' rates (scratch)
    ia: np.ndarray      # (n,) axial current, nA (scratch)
    kv: np.ndarray      # (4, n) RK4's stages of V (scratch)
    ky: np.ndarray      # (4, ns, n) ... of the states (scratch)
    vs: np.ndarray      # (n,) RK4's stage V (scratch)
    ys2: np.ndarray     # (ns, n) ... its stage states (scratch)


class CableRun(NamedTuple):
    """The run's own record: where step ``n`` stopped when it returned to Python (a
    buffer to grow), so that it resumes there and no part of it runs twice, and the
    step's cable spikes."""

    stage: np.ndarray      # (1,) how far step n got: network_cables.NOT_BEGUN, TERMS_TAKEN, POINT_DONE, CELLS_DONE
    queued: np.ndarray     # (1,) of the step's cable spikes, how many were queued over their edges
    monitored: np.ndarray  # (1,) 1 when the step's cable spikes are in the spike monitor
    sp_t: np.ndarray       # (n_cells,) the step's cable spikes, ms (those not yet queued at the front)
    sp_src: np.ndarray     # (n_cells,) ... their network nodes
    sp_n: np.ndarray       # (1,) ... how many
    hold: np.ndarray       # (n_nodes,) per network node, the end of a dead time a crossing waits for, ms (+inf: none)
    every: int             # steps between records of the detection nodes
