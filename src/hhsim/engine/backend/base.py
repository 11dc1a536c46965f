"""The back-end seam: what a back end provides, and the jobs it runs.

A back end takes lowered plans (arrays only) and runs them.  It provides

* four primitives, the small interface a new back end (a GPU one) fills in
  for its own hardware: :meth:`Backend.compile` (a function made runnable on
  the device), :meth:`Backend.parallel_loop` (a loop over a range of nodes
  split over the device's workers), :meth:`Backend.barrier` (the workers meet)
  and :meth:`Backend.allocate` (an array on the device);
* one entry per plan kind: :meth:`Backend.run_point` (independent neurons,
  :class:`~hhsim.physics.structure.Plan`), :meth:`Backend.run_cable` (a tree:
  :class:`CableJob`) and :meth:`Backend.run_network` (cells and event edges:
  :class:`NetworkJob`).

The jobs carry what the entry point (a layer above the engine) owns and the
engine may not import: its compiled runner (today's numba glue, which the
numba back end delegates to) and the NumPy twins of the physics written
beside each description (the cable's right-hand side, the synapse
families' event, propagation and conductance functions).  So every plan
reaches every back end through one call, and no module of the engine
imports the descriptions above it.

Units, as everywhere in the engine: t in ms, V in mV, conductances mS/cm²,
currents µA/cm² (cable nodes: nA, nF, µS).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class CableJob:
    """One cable run: the lowered cable ``plan`` (``hhsim.cable.lowering.CablePlan``:
    per-node areas µm², capacitances nF, axial conductances µS, the tree), the
    ``method`` (``theta`` for an implicit one, else None), ``dt`` (ms), the start
    ``v0`` (mV) and ``y0``, the stimulus ``sites`` (node indices) and their
    ``waves`` (nA), the recorded nodes ``rec_nodes`` every ``record_every`` steps,
    ``max_crossings`` kept per node; ``compiled(job)``: the entry point's compiled
    runner for it; ``ode(plan, v0, y0)``: the cable's NumPy right-hand side
    (``f(v, y, injected_nA) -> (dV/dt, dy/dt)`` with ``f.hold_junctions(v)``)."""

    plan: Any
    method: str
    theta: float | None
    dt: float
    v0: np.ndarray
    y0: np.ndarray
    sites: np.ndarray
    waves: list
    rec_nodes: np.ndarray
    record_every: int
    max_crossings: int
    compiled: Callable[["CableJob"], Any]
    ode: Callable[..., Any]


@dataclass(frozen=True)
class NetworkJob:
    """One fixed-step network run: the lowered ``plan``
    (:class:`~hhsim.engine.network_lower.NetworkPlan`), the ``method``, the
    ``grid``, the ``seed`` of the drive's counter-based random numbers, the
    monitors ``mon`` (spike mask, recorded nodes, interval; see
    ``hhsim.network.simulate``), the noisy cells' record ``noise`` (or None);
    ``compiled(job)``: the entry point's compiled runner for it; ``twins``: the
    synapse families' NumPy twins by role (``linear``, ``current``, ``kinetic``,
    ``custom``, ``graded``, ``gap``, ``stp``; each a module or namespace with the
    functions named in :mod:`hhsim.engine.backend.numpy_network`), and ``cable``: the
    cable's NumPy right-hand side for cable cells (``ode`` of :class:`CableJob`)."""

    plan: Any
    method: str
    grid: Any
    seed: int
    mon: dict
    noise: Any = None
    compiled: Callable[["NetworkJob"], Any] | None = None
    twins: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class Backend(Protocol):
    """What every back end provides (see the module docstring)."""

    #: The name users give (``backend="numba"``, ``--backend numpy``).
    name: str
    #: One line on what it is for, shown by the CLI's help.
    description: str

    def compile(self, function: Callable, signature=None) -> Callable:
        """``function`` made runnable by this back end (compiled for ``signature``, or
        lazily on first call; unchanged where nothing is compiled)."""

    def parallel_loop(self, n: int, body: Callable[[int, int], None]) -> None:
        """Call ``body(lo, hi)`` on consecutive ranges covering 0 .. n - 1, on the back
        end's workers (each range once; the ranges' order is not fixed)."""

    def barrier(self, sync: np.ndarray, n_threads: int, meeting: int) -> bool:
        """The workers' ``meeting``-th meeting; False when the run is being left."""

    def allocate(self, shape, dtype=float) -> np.ndarray:
        """A zeroed array of ``shape`` where the back end's kernels read it."""

    def run_point(self, plan, stimuli, grid, method: str, wave=None, scale=None, record_every: int = 1,
                  max_spikes=None, clamp: bool = False, **tolerances):
        """Independent neurons (``hhsim.engine.batch.run_batch``'s arguments and its
        :class:`~hhsim.engine.batch.BatchOutput`)."""

    def run_cable(self, job: CableJob, n_steps: int, progress: bool = False):
        """A cable: ``n_steps`` steps of ``job``; returns a runner with the recordings
        ``t_rec``, ``v_rec`` (lists of arrays), ``rec_nodes``, the crossings
        ``spk_t``, ``spk_n``, the peaks ``vmax`` and ``steps``, as
        ``hhsim.cable.result.CableResult.build`` reads them."""

    def run_network(self, job: NetworkJob, progress: bool = False):
        """A network: the whole grid of ``job``; returns a runner with the spike and
        state records (``SPK``, ``REC``, ``EV``, ``rec_every``, ``w_t``, ``w_samples``,
        ``w_chosen``) as ``hhsim.network.result.NetworkResult.build`` reads them."""
