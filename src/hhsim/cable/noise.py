"""Channel noise on a cable: each compartment holds its own channels, as many as its area holds.

A compartment of membrane area ``A`` µm² (:attr:`hhsim.cable.tree.Tree.area`;
0 for a junction node, which holds none) has ``round(density * A)`` channels
of each noisy kind (density in channels/µm², the squid values of
:data:`hhsim.noise.spec.SQUID_DENSITY` by default), or the count given for
every compartment.  A compartment whose section lacks the channel (gbar 0)
holds none of it.  The channels of a compartment switch as those of a noisy
patch (:mod:`hhsim.engine.noise_kernels`) with their own random stream, keyed
by (seed, compartment index, step); the theta steps that carry them are
:mod:`hhsim.engine.cable_noise`'s.

Faisal & Laughlin (2007), PLoS Comput Biol 3:e79, "Stochastic simulations on
the reliability of action potential propagation in thin axons": below about
0.1-0.2 µm diameter the few channels of a compartment open on their own
often enough to fire spontaneous action potentials and to jitter the
propagated ones.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..engine.noise_kernels import LANGEVIN, MARKOV, init_counts
from ..errors import ModelError, ParameterError
from ..noise.lowering import VH, VLO, noise_plan
from ..noise.spec import MAX_CHANNELS, SQUID_DENSITY, ChannelNoise
from ..physics.structure import lower

_CODES = {"markov": MARKOV, "langevin": LANGEVIN}


@dataclass
class CableNoise:
    """The noisy channels of a cable, lowered.

    ``names``: the noisy channels; ``counts`` (n_noisy, n_nodes): channels per
    compartment; ``density``: channel -> channels/µm² used (absent for a
    channel given by count); ``nz``: the arrays of
    :func:`hhsim.engine.cable_noise.run_noisy_implicit` (``nz[0]`` the state
    counts, updated in place); ``noise``: the record.
    """

    noise: ChannelNoise
    names: tuple
    counts: np.ndarray
    density: dict
    nz: tuple

    @property
    def z(self) -> np.ndarray:
        return self.nz[0]

    @property
    def ch_row0(self) -> np.ndarray:
        return self.nz[6]

    @property
    def ch_ns(self) -> np.ndarray:
        return self.nz[7]

    def open_fraction(self, nodes: np.ndarray) -> np.ndarray:
        """(n_noisy, len(nodes)) each channel's open fraction at ``nodes`` now (NaN where none)."""
        out = np.full((len(self.names), len(nodes)), np.nan)
        for k in range(len(self.names)):
            top = int(self.ch_row0[k] + self.ch_ns[k] - 1)
            cnt = self.counts[k, nodes]
            out[k] = np.divide(self.z[top, nodes], cnt, out=np.full(len(nodes), np.nan), where=cnt > 0)
        return out

    def describe(self) -> dict:
        """JSON-ready: the method, seed, densities (channels/µm²) and total channels per kind."""
        d = self.noise.describe()
        d.pop("area_um2", None)
        d["density_per_um2"] = dict(self.density)
        d["channels_total"] = {nm: int(self.counts[k].sum()) for k, nm in enumerate(self.names)}
        return d


def check_cable_noise(noise: ChannelNoise, method: str) -> None:
    """Refuse what a noisy cable cannot run, in one line."""
    if noise.method not in _CODES:
        raise ParameterError(f"noise {noise.method!r} does not run on a cable; accepted: markov, langevin "
                             "(gillespie runs one patch: hhsim.simulate)")
    if method not in ("cn", "be"):
        raise ParameterError(f"channel noise on a cable runs the implicit methods cn and be, not {method!r}")
    if noise.area_um2 is not None:
        raise ParameterError("area_um2 is not accepted on a cable: each compartment's area comes from the "
                             "morphology; give density (channels/µm²) or channel_counts (per compartment)")


def lower_cable_noise(plan, models: list, noise: ChannelNoise, dt: float, y0: np.ndarray):
    """(the plan to run, :class:`CableNoise`) for ``plan`` (a lowered cable, models per
    section) with ``noise`` at step ``dt`` ms from the gate values ``y0`` (n_gates, n).

    The plan to run is ``plan`` with the noisy channels' ``gbar`` set to 0 (their
    conductance enters the theta step from the channel counts instead).
    """
    model = models[0]
    # names, kinetic schemes and counts checked as for a patch (any area: the densities' own check)
    ChannelNoise(noise.method, 1.0, noise.density, noise.counts, noise.seed).channel_counts(model)
    density = dict(noise.density)
    if not density and not noise.counts:
        density = {k: v for k, v in SQUID_DENSITY.items() if k in [c.name for c in model.channels]}
    names = tuple(c.name for c in model.channels if c.name in density or c.name in noise.counts)
    try:
        pl = lower(list(models))
    except ModelError:
        raise ParameterError("channel noise on a cable needs every section to have the same channels (one "
                             "structure); give the cable one channel set") from None
    ones = {nm: np.ones(pl.ncomp) for nm in names}
    full = noise_plan(model, pl, ones, dt)
    tab_half = noise_plan(model, pl, ones, 0.5 * dt).tab
    tree = plan.tree
    n = plan.n
    sec = np.asarray(tree.section, dtype=np.int64)
    membrane = ~np.asarray(tree.junction, dtype=bool)
    s = plan.structure
    k_n = len(names)
    ch_gbar = np.zeros((k_n, n))
    ch_erev = np.zeros((k_n, n))
    counts = np.zeros((k_n, n))
    n_gates = int(full.gt_pow.size)
    xinit = np.zeros((max(n_gates, 1), n))
    gbar_run = plan.gbar.copy()
    for k, nm in enumerate(names):
        union = [ci for ci, ch in enumerate(plan.channels) if ch.name == nm or ch.name.startswith(nm + "#")]
        g0 = int(full.ch_g0[k])
        for q, ci in enumerate(union):
            here = plan.gbar[ci] > 0 if q else np.ones(n, dtype=bool)
            ch_erev[k, here] = plan.erev[ci, here]
            for gg, row in enumerate(s.channel_gates[ci]):
                xinit[g0 + gg, here] = y0[row, here]
            ch_gbar[k] += plan.gbar[ci]
            gbar_run[ci] = 0.0
        has = membrane & (ch_gbar[k] > 0)
        if nm in noise.counts:
            counts[k, has] = float(noise.counts[nm])
        else:
            counts[k, has] = np.rint(density[nm] * np.asarray(tree.area, dtype=float)[has])
        if counts[k].max(initial=0.0) > MAX_CHANNELS:
            raise ParameterError(f"{counts[k].max():.3g} {nm} channels in one compartment is too many; accepted: "
                                 f"at most {MAX_CHANNELS:.0e} (beyond that run without noise: the deterministic "
                                 "cable is the limit)")
    z = np.zeros((max(full.n_rows, 1), n))
    node_id = np.arange(n, dtype=np.int64)
    seed = np.uint64(noise.seed)
    init_counts(z, xinit, full.ch_row0, full.ch_ns, full.ch_g0, full.ch_ng, counts, full.gt_pow, full.gt_stride,
                seed, node_id, 0, n)
    i64 = np.zeros(0, dtype=np.int64)
    nz = (z, full.tab, np.ascontiguousarray(tab_half), full.grp[sec].copy(), VLO, VH, full.ch_row0, full.ch_ns,
          full.ch_g0, full.ch_ng, ch_gbar, ch_erev, counts, full.gt_pow, full.gt_stride, full.gt_col,
          _CODES[noise.method], seed, node_id,
          np.zeros((0, n)), i64, i64.copy(), np.zeros((0, n)), np.zeros((0, n)), np.zeros(0), i64.copy(),
          i64.copy(), np.zeros(n), np.zeros(n), np.ones(n), np.zeros(n, dtype=np.int64), np.zeros(n),
          np.zeros((1, 1)), np.ones(n, dtype=np.bool_), np.full(n, np.inf), np.zeros((1, n)),
          np.zeros((1, 0, n)), np.zeros((1, k_n, n)), i64.copy(), i64.copy(), i64.copy(), np.zeros((n, 1)),
          np.zeros(n, dtype=np.int64))
    run_plan = dataclasses.replace(plan, gbar=gbar_run)
    return run_plan, CableNoise(noise, names, counts, {nm: density[nm] for nm in names if nm in density}, nz)
