"""A network's synapse states in NumPy, advanced by the synapse families' twins.

The twin of the synaptic parts of :mod:`hhsim.engine.network_kernels` and
:mod:`hhsim.engine.network_driver`: linear groups (conductance and current)
summed on their targets and propagated exactly, kinetic receptors on their
edges advanced lazily, graded synapses relaxed at the presynaptic V of each
step's start, gap junctions from the neighbours' V there, Tsodyks-Markram
release at each delivery.  The physics of each family comes from its own
file (``hhsim.network.synapses.<family>``, handed in as ``twins`` since the
engine may not import the descriptions above it); this module only keeps
the states and says which twin acts when.  The states are copies: the plan
is left as lowered.  Units: G mS/cm², currents µA/cm², t ms, V mV.
"""

from __future__ import annotations

import numpy as np


class Synapses:
    """Every synapse state of a lowered network ``plan``, and the ``twins`` that move them."""

    def __init__(self, plan, twins):
        self.tw = twins
        (self.kind, self.t1, self.t2, self.E, self.norm, A, B, *_rest) = plan.LIN
        self.cg = plan.LIN.cg
        self.A, self.B = A.astype(float).copy(), B.astype(float).copy()
        self.dA, self.dB = np.zeros_like(self.A), np.zeros_like(self.B)
        (self.kin_ptr, self.kin_edge, self.kin_group, self.kin_w, self.kg_kind, self.kg_p, self.kg_E, self.kg_nmda,
         self.kg_T, r, g2, tlast, pend, T, self.mg) = plan.KIN
        self.kin_r, self.kin_g2, self.kin_tlast = r.copy(), g2.copy(), tlast.copy()
        self.kin_pend, self.kin_T = pend.copy(), T.copy()
        self.gr_pre, self.gr_p, gr_s, self.gr_ptr, self.gr_group, self.gr_slot, self.gr_w, self.gr_E = plan.GR
        self.gr_s = gr_s.copy()
        self.gap_ptr, self.gap_nbr, self.gap_g = plan.GAP.ptr, plan.GAP.nbr, plan.GAP.g
        E = plan.E
        self.e_post, self.e_w, self.e_delay, self.e_group, self.e_kin, self.e_stp, self.out_ptr = (
            E.post, E.w, E.delay, E.group, E.kin, E.stp, E.out_ptr)
        self.stp_p = plan.STP.p
        self.stp_u, self.stp_x, self.stp_t = plan.STP.u.copy(), plan.STP.x.copy(), plan.STP.t.copy()
        n = plan.n_nodes
        self.Gf, self.GEf = np.zeros(n), np.zeros(n)
        self.late = 0  # deliveries due before the step that holds them (delay < dt): made at its start

    # ------------------------------------------------------------ linear groups
    def _terms(self, g: int, gg):
        twin = self.tw["linear"] if self.cg[g] != 0.0 else self.tw["current"]
        return twin.numpy_terms(gg, self.E[g])

    def linear_terms(self, nodes: np.ndarray, s):
        """(G, G E) of the linear groups of ``nodes``, s ms (scalar or per node) into a sub-step."""
        G, GE = np.zeros(nodes.size), np.zeros(nodes.size)
        for g in range(self.kind.shape[0]):
            gg = self.tw["linear"].numpy_conductance(int(self.kind[g]), self.A[g, nodes], self.B[g, nodes],
                                                     self.t1[g], self.t2[g], s)
            dG, dGE = self._terms(g, gg)
            G, GE = G + dG, GE + dGE
        return G, GE

    def advance_linear(self, nodes: np.ndarray, h) -> None:
        """Propagate the linear states of ``nodes`` by h ms (per node)."""
        for g in range(self.kind.shape[0]):
            self.A[g, nodes], self.B[g, nodes] = self.tw["linear"].numpy_propagate(
                int(self.kind[g]), self.A[g, nodes], self.B[g, nodes], h, self.t1[g], self.t2[g])

    def linear_event(self, g: int, i: int, w: float, late: bool = False) -> None:
        """An event of weight w on group g of node i (into the increments of the next step's
        start when ``late``)."""
        A, B = (self.dA, self.dB) if late else (self.A, self.B)
        A[g, i], B[g, i] = self.tw["linear"].numpy_event(int(self.kind[g]), A[g, i], B[g, i], w, self.t1[g],
                                                         self.norm[g])

    def apply_late(self) -> None:
        """Add the increments delivered at this step's start, and clear them."""
        self.A += self.dA
        self.B += self.dB
        self.dA[:] = 0.0
        self.dB[:] = 0.0

    # ------------------------------------------------------------ kinetic receptors
    def _advance_edge(self, e: int, t: float):
        q = self.kin_group[e]
        return self.tw["kinetic"].numpy_advance(int(self.kg_kind[q]), self.kg_p[q], self.kin_r[e], self.kin_g2[e],
                                                self.kin_tlast[e], self.kin_pend[e], self.kin_T[e], t)

    def kinetic_terms(self, i: int, t: float):
        """(G, G E, Gn, Gn E) of node i's kinetic edges at t (NMDA apart, unblocked); the
        edges' states are brought up to t."""
        G = GE = Gn = GEn = 0.0
        for k in range(self.kin_ptr[i], self.kin_ptr[i + 1]):
            e = self.kin_edge[k]
            q = self.kin_group[e]
            self.kin_r[e], self.kin_g2[e] = self._advance_edge(e, t)
            self.kin_tlast[e] = max(self.kin_tlast[e], t)
            gg = self.kin_w[e] * self.tw["kinetic"].numpy_open(int(self.kg_kind[q]), self.kg_p[q], self.kin_r[e],
                                                                self.kin_g2[e])
            if self.kg_nmda[q]:
                Gn, GEn = Gn + gg, GEn + gg * self.kg_E[q]
            else:
                G, GE = G + gg, GE + gg * self.kg_E[q]
        return G, GE, Gn, GEn

    def has_kinetic(self, i: int) -> bool:
        return self.kin_ptr[i + 1] > self.kin_ptr[i]

    def _kinetic_release(self, ke: int, t: float, frac: float) -> None:
        q = self.kin_group[ke]
        self.kin_r[ke], self.kin_g2[ke] = self._advance_edge(ke, t)
        self.kin_tlast[ke] = t
        self.kin_pend[ke] = t + self.tw["kinetic"].numpy_pulse_length(int(self.kg_kind[q]), self.kg_p[q])
        self.kin_T[ke] = self.kg_T[q] * frac

    def block(self, v, mg):
        """The NMDA magnesium block at v (mV), [Mg2+]o mg (mM)."""
        return self.tw["kinetic"].numpy_mg_block(v, mg)

    # ------------------------------------------------------------ events
    def deliver(self, i: int, e: int, te: float) -> None:
        """Edge e delivers a spike to node i at te (ms): short-term plasticity scales it,
        then a kinetic edge releases transmitter or a linear group takes the event."""
        frac = 1.0
        s = self.e_stp[e]
        if s >= 0 and self.stp_p[s, 0] > 0.0:
            last = self.stp_t[s] if self.stp_t[s] > -1e300 else None
            frac, self.stp_u[s], self.stp_x[s] = self.tw["stp"].numpy_release(
                self.stp_p[s, 0], self.stp_p[s, 1], self.stp_p[s, 2], self.stp_u[s], self.stp_x[s], last, te)
            self.stp_t[s] = te
        if self.e_kin[e] >= 0:
            self._kinetic_release(self.e_kin[e], te, frac)
            return
        self.linear_event(self.e_group[e], i, self.e_w[e] * frac)

    # ------------------------------------------------------------ gap junctions and graded synapses
    def step_start(self, v: np.ndarray, dt: float) -> None:
        """The gap-junction and graded terms held over the step (``Gf``, ``GEf``) from V at
        its start; then the graded gating variables relaxed over the step."""
        gap, graded = self.tw["gap"], self.tw["graded"]
        self.Gf[:] = 0.0
        self.GEf[:] = 0.0
        for i in np.nonzero(np.diff(self.gap_ptr))[0]:
            a, b = self.gap_ptr[i], self.gap_ptr[i + 1]
            self.Gf[i], self.GEf[i] = gap.numpy_terms(self.gap_g[a:b], v[self.gap_nbr[a:b]])
        for i in np.nonzero(np.diff(self.gr_ptr))[0]:
            ks = np.arange(self.gr_ptr[i], self.gr_ptr[i + 1])
            G = GE = 0.0
            for q in np.unique(self.gr_group[ks]):
                sel = ks[self.gr_group[ks] == q]
                g, ge = graded.numpy_terms(self.gr_w[sel], self.gr_s[q, self.gr_slot[sel]], self.gr_E[q])
                G, GE = G + g, GE + ge
            self.Gf[i] += G
            self.GEf[i] += GE
        for q in range(self.gr_s.shape[0]):
            pre = self.gr_pre[q]
            k = np.nonzero(pre >= 0)[0]
            alpha, beta, theta = self.gr_p[q]
            self.gr_s[q, k] = graded.numpy_relax(self.gr_s[q, k], v[pre[k]], alpha, beta, theta, dt)

    def conductance(self, i: int, t: float, v: float):
        """(G, G E) of every synapse on node i at t (mS/cm², mS/cm² x mV), NMDA blocked at
        v (mV): the twin of ``network_driver.synaptic_conductance`` (a cable cell's synapse
        node takes it, held over the step)."""
        G, GE, Gn, GEn = self.kinetic_terms(i, t)
        G0, GE0 = self.linear_terms(np.array([i]), 0.0)
        b = self.block(v, self.mg[i])
        return float(G0[0] + G + self.Gf[i] + b * Gn), float(GE0[0] + GE + self.GEf[i] + b * GEn)

    def synaptic_current(self, i: int, t: float, v: float) -> float:
        """Node i's synaptic current at t (µA/cm², outward positive), as recorded."""
        G, GE, Gn, GEn = self.kinetic_terms(i, t)
        G0, GE0 = self.linear_terms(np.array([i]), 0.0)
        G = G + self.Gf[i] + G0[0]
        GE = GE + self.GEf[i] + GE0[0]
        return float(G * v - GE + self.block(v, self.mg[i]) * (Gn * v - GEn))
