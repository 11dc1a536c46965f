"""``CableStepper``: a multi-compartment cell advanced one step at a time.

For drivers that advance a cable in lockstep with other cells (the network
driver): the caller owns the clock, may shorten a step to land on an event
time, and adds per-node terms held constant over each step::

    from hhsim.cable import cable, CableStepper
    cell = CableStepper(cable(1000, 2), "hh", dt=0.025)
    syn = cell.node_at("cable", 0.5)          # node of the synapse
    g = np.zeros(cell.n); ge = np.zeros(cell.n); i = np.zeros(cell.n)
    while cell.t < 50.0:
        g[syn] = 0.01                         # µS, a synaptic conductance
        ge[syn] = 0.01 * 0.0                  # nA, g * E_rev (E_rev = 0 mV)
        cell.advance(cell.dt, g, ge, i)
        v_soma = cell.v[cell.soma_node]       # mV

Each call runs the very kernels :func:`hhsim.cable.simulate_cable` runs
(:func:`hhsim.engine.cable_driver.theta_step` and friends, compiled for the
cell's channels), so that stepping with zero extra terms reproduces
``simulate_cable`` to the last bit.
"""

from __future__ import annotations

import math

import numpy as np

from ..engine.batch import Grid, stimulus_arrays
from ..engine.cable_codegen import cable_module
from ..engine.tree_solve import REDUCED_SIZE, chain_middle
from ..errors import DivergenceError, HHSimError, SolverError
from .geometry import D_LAMBDA, Morphology
from .simulate import DEFAULT_METHOD, _check_stimuli, _junction_lists, check_method, initial_state, prepare
from .stimulus import PointStim
from .lowering import sum_conductances


class CableStepper:
    """A cable or branched cell (morphology + channels) that advances one step per call.

    Parameters
    ----------
    morph : a :class:`~hhsim.cable.geometry.Morphology`.
    channels : a model or preset name for every section, or a dict
        ``{region or section name: model}`` (as :func:`simulate_cable`).
    dt : ms, the nominal step (default: the method's, 0.01 for ``cn``);
        every ``advance`` takes a step ``h <= dt``.
    method : ``cn`` (default), ``be``, ``rk4`` or ``euler`` (the cable
        methods of :data:`hhsim.engine.solvers.METHODS`).  An explicit
        method is refused at a dt beyond its stability limit.
    v_init : start every node at this V (mV), states at steady state there;
        default: the cell's resting equilibrium.
    stimuli : optional point stimuli (nA) of the cell itself, as in
        ``simulate_cable`` (Crank-Nicolson takes the step holding a
        stimulus edge, and the next, as two backward-Euler half steps).
    dx, nseg, d_lambda, temperature, boundary : as ``simulate_cable``.

    Attributes
    ----------
    t : ms, the time reached.
    v : mV per node (Hines order), a read-only view of the live state.
    y : the states (gates, then pools), shape (n_states, n), read-only view.
    area : µm² per node (0 at junction nodes, which have no membrane);
        ``uS_per_mS_cm2`` converts densities into node totals.
    n : number of nodes; ``soma_node`` the node for spike detection (see
        :attr:`soma_node`); ``plan`` the lowered cable; ``dt``, ``method``.

    The step (``cn`` and ``be``): V by the theta method, the membrane,
    ``g_ext`` and the axial coupling in the implicit matrix; gates (and
    ion pools) staggered half a step from V: relaxed exactly at V(t) from
    the middle of the previous step to the middle of this one, over
    ``(h_prev + h) / 2``.  With equal steps this is NEURON's staggered
    Crank-Nicolson (second order).

    A short step (``h < dt``, to land on an event) costs a whole step
    (one membrane pass and one tree solve) and keeps the stagger at the
    new step's midpoint; only the gate relaxation of the two steps around
    the change is then off-centre (V(t) is not the middle of
    ``(h_prev + h) / 2`` when ``h != h_prev``), a local error
    O(h |h - h_prev|) in the gates, so a bounded number of split steps per
    event leaves the method second order.  Pass ``split=True`` where a
    conductance or current jumps (Rannacher's start-up: two backward-Euler
    half steps damp what Crank-Nicolson would leave ringing).
    """

    def __init__(self, morph: Morphology, channels="hh", *, dt: float | None = None,
                 method: str = DEFAULT_METHOD, v_init: float | None = None, stimuli=None,
                 dx: float | None = None, nseg: int | None = None, d_lambda: float = D_LAMBDA,
                 temperature: float | None = None, boundary="sealed"):
        self.method, self.order, self.theta, self.dt = check_method(method, dt)
        stimuli = [] if stimuli is None else [stimuli] if isinstance(stimuli, PointStim) else list(stimuli)
        _check_stimuli(morph, stimuli)
        plan, models = prepare(morph, channels, self.method, self.dt, dx=dx, nseg=nseg, d_lambda=d_lambda,
                               temperature=temperature, boundary=boundary)
        self.plan = plan
        self.tree = plan.tree
        self.mod = cable_module(plan.structure)
        n = plan.n
        v0, y0 = initial_state(plan, models, v_init)
        self._v = np.ascontiguousarray(v0, dtype=float).copy()
        self._y = np.ascontiguousarray(y0, dtype=float).copy()
        self.v = self._v.view()
        self.v.flags.writeable = False
        self.y = self._y.view()
        self.y.flags.writeable = False
        self.t = 0.0
        self.area = np.asarray(self.tree.area, dtype=float).copy()  # µm²
        self.area.flags.writeable = False
        self._stimuli = stimuli
        self._sites = np.array([s.node(self.tree) for s in stimuli], dtype=np.int64)
        self._waves = [s.waveform for s in stimuli]
        self._edges = sorted({e for w in self._waves for e in w.breakpoints() if math.isfinite(e) and e >= 0})
        self._site_wave = np.arange(len(stimuli), dtype=np.int64)
        self._site_scale = np.ones(len(stimuli))
        self._no_stim = np.zeros((1, 1))
        self._alg = _junction_lists(self.tree)
        self._chain = self.tree.is_chain
        self._probe = chain_middle(n) if self._chain else 0
        self._PT, self._runs = plan.param_runs()
        self._sumg = sum_conductances(plan)
        # writable, though nothing writes it: a read-only array is another type to
        # numba, and the kernels would be compiled again for it
        self._zeros = np.zeros(n)
        self._vmax = self._v.copy()
        self._hist = np.empty((4, n))
        self._G, self._GE = np.zeros(n), np.zeros(n)
        self._d, self._b, self._d2, self._b2, self._cw = (np.empty(n) for _ in range(5))
        self._red = np.zeros(REDUCED_SIZE)  # the chain solve's scratch (one thread)
        self._h_prev = 0.0
        self._k = 0  # steps taken
        self._edge_step = False  # the previous step held a stimulus edge
        if self.theta is None:
            icap = np.zeros(n)
            icap[plan.cap > 0] = 1.0 / plan.cap[plan.cap > 0]
            self._icap = icap
            self._work = {"inj": np.empty(n), "dv": np.empty(n), "dy": np.empty_like(self._y),
                          "ia": np.empty(n), "kv": np.empty((4, n)), "ky": np.empty((4,) + self._y.shape),
                          "vs": np.empty(n), "ys": np.empty_like(self._y)}

    # ------------------------------------------------------------ locations
    @property
    def n(self) -> int:
        return self.plan.n

    def node_at(self, section: str | int, x: float = 0.5) -> int:
        """The node holding the point at fraction ``x`` (0..1) along ``section`` (name or index)."""
        morph = self.tree.morph
        si = morph.index(section) if isinstance(section, str) else int(section)
        if not 0 <= si < len(morph.sections):
            raise HHSimError(f"section index {section} is out of range (0 to {len(morph.sections) - 1})")
        x = float(x)
        if not 0.0 <= x <= 1.0:
            raise HHSimError(f"x = {x:g} is outside the section (0 to 1)")
        return self.tree.node_at(si, x * morph.sections[si].length)

    @property
    def soma_node(self) -> int:
        """The spike-detection node: the middle of the first section of region or
        name ``soma``, else the middle of the root section."""
        morph = self.tree.morph
        for i, s in enumerate(morph.sections):
            if s.region == "soma" or s.name == "soma":
                return self.node_at(i, 0.5)
        return self.node_at(0, 0.5)

    @property
    def uS_per_mS_cm2(self) -> np.ndarray:
        """Per node, µS per mS/cm² (the node's membrane area in cm² x 1e3): a
        conductance density g (mS/cm²) is ``g * uS_per_mS_cm2`` µS at the node,
        a current density i (µA/cm²) is ``i * uS_per_mS_cm2`` nA."""
        return self.plan.area

    @property
    def threshold(self) -> np.ndarray:
        """mV per node: the spike threshold of each node's model."""
        return self.plan.thr

    def arrays(self):
        """The arrays and kernels this cell is advanced with, and its state now (a
        :class:`hhsim.engine.network_cables.StepperArrays`): what the compiled loop of a
        network with cable cells steps copies of this cell with."""
        from ..engine.network_cables import StepperArrays

        return StepperArrays(plan=self.plan, mod=self.mod, method=self.method, theta=self.theta, dt=self.dt,
                             PT=self._PT, runs=self._runs, sumg=self._sumg, alg=self._alg, chain=self._chain,
                             probe=self._probe, sites=self._sites, site_wave=self._site_wave,
                             site_scale=self._site_scale, waves=list(self._waves), edges=list(self._edges),
                             v=self._v.copy(), y=self._y.copy())

    # ------------------------------------------------------------ stepping
    def advance(self, h: float | None = None, g_ext=None, ge_ext=None, i_inj=None, *, split: bool = False) -> None:
        """Advance the cell by one step of ``h`` ms (default ``dt``; ``0 < h <= dt``).

        Held constant over the step, per node (arrays of length ``n``, or None for zeros):

        * ``g_ext`` (µS): extra membrane conductance of the whole node (e.g. the
          sum of its synaptic conductances), in the implicit matrix's diagonal
          like a channel's;
        * ``ge_ext`` (nA): the matching ``sum g_ext,k * E_rev,k``, so the extra
          current into the node is ``ge_ext - g_ext V``;
        * ``i_inj`` (nA): point currents into the node (positive depolarises).

        ``split`` (Crank-Nicolson): take the step as two backward-Euler half
        steps, for the step where an input jumps.  Raises
        :class:`~hhsim.errors.DivergenceError` if V blows up.
        """
        h = self.dt if h is None else float(h)
        if not (0.0 < h <= self.dt * (1 + 1e-12)):
            raise SolverError(f"step h = {h:g} ms must be > 0 and at most dt = {self.dt:g} ms")
        g_ext = self._extra(g_ext, "g_ext")
        ge_ext = self._extra(ge_ext, "ge_ext")
        i_inj = self._extra(i_inj, "i_inj")
        if self._waves:
            i_a, i_m, i_b = stimulus_arrays(self._waves, Grid(self.t, h, 1))
        else:
            i_a = i_m = i_b = self._no_stim
        if self.theta is not None:
            ok = self._theta_step(h, g_ext, ge_ext, i_inj, i_m if self.theta == 0.5 else i_b, i_b, split)
        else:
            ok = self._explicit_step(h, g_ext, ge_ext, i_inj, i_a, i_m, i_b)
        if not ok:
            raise DivergenceError(
                f"cable diverged at t = {self.t + h:.4g} ms (method {self.method}, step {h:g} ms); "
                "use a smaller dt" + ("" if self.theta is not None else " or method cn"), self.t + h)
        self._k += 1
        self.t = self._k * self.dt if h == self.dt and self.t == (self._k - 1) * self.dt else self.t + h

    def _extra(self, a, name: str) -> np.ndarray:
        if a is None:
            return self._zeros
        a = np.asarray(a, dtype=float)
        if a.shape != (self.n,):
            raise HHSimError(f"{name} must be an array of {self.n} values (one per node), got shape {a.shape}")
        return a if a.flags.c_contiguous else np.ascontiguousarray(a)

    def _holds_edge(self, h: float) -> bool:
        """Does the step [t, t + h) hold a stimulus edge (the floor(e / dt) rule of simulate_cable)?"""
        t0, t1 = self.t, self.t + h
        on_grid = h == self.dt and t0 == self._k * self.dt
        return any((math.floor(e / self.dt + 1e-9) == self._k) if on_grid else (t0 <= e < t1) for e in self._edges)

    def _theta_step(self, h, g_ext, ge_ext, i_inj, i_t, i_end, split) -> bool:
        p, alg = self.plan, self._alg
        if self.theta == 0.5 and self._edges:
            edge = self._holds_edge(h)
            split = split or edge or self._edge_step
            self._edge_step = edge
        tau = 0.5 * (self._h_prev + h)
        ok = self.mod.theta_step(
            self.theta, bool(split and self.theta == 0.5), self._chain, self._probe, self._v, self._y, tau, h,
            self._G, self._GE, self._vmax, self._hist, (self._k + 1) % 4, self._PT, self._runs, p.cap, p.area,
            self._sumg, p.bfix, p.tree.parent, p.tree.gax, g_ext, ge_ext, i_inj, self._sites, self._site_wave,
            self._site_scale, i_t, i_end, 0, *alg, self._d, self._b, self._d2, self._b2, self._cw, self._red)
        self._h_prev = h
        return bool(ok)

    def _explicit_step(self, h, g_ext, ge_ext, i_inj, i_a, i_m, i_b) -> bool:
        p, alg, w = self.plan, self._alg, self._work
        gfix = p.gfix if g_ext is self._zeros else p.gfix + g_ext
        bfix = p.bfix if ge_ext is self._zeros else p.bfix + ge_ext
        common = (self._v, self._y, self._vmax, self._PT, self._runs, p.area, self._icap, p.tree.parent,
                  p.tree.gax, gfix, bfix, *alg, self._sites, self._site_wave, self._site_scale)
        if self.method == "euler":
            ok = self.mod.euler_step(*common, i_a, 0, h, w["inj"], w["dv"], w["dy"], w["ia"], i_inj)
        else:
            ok = self.mod.rk4_step(*common, i_a, i_m, i_b, 0, h, w["inj"], w["kv"], w["ky"], w["vs"], w["ys"],
                                   w["ia"], i_inj)
        return bool(ok)
