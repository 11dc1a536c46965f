"""Networks: a NeuroML2 ``<network>`` to and from hhsim's :class:`~hhsim.network.Network`.

Reading (NeuroML -> hhsim):

* ``population`` of a one-segment ``cell`` -> a :class:`Population` of its
  model with the segment's area (so nA and nS convert to densities);
  ``networkWithTemperature`` sets every model's temperature;
* ``projection`` with ``connection`` / ``connectionWD`` (weight, delay) to
  an ``expOneSynapse``, ``expTwoSynapse`` or ``alphaSynapse`` -> a
  projection with the explicit pairs, the weight ``gbase x weight`` in nS and
  the synapse's reversal and time constants (the three NeuroML synapses
  have peak ``gbase``, as hhsim's exp, biexp and alpha);
* ``electricalProjection`` through a ``gapJunction`` -> gap junctions;
* ``pulseGenerator`` through ``explicitInput`` or an ``inputList`` -> a
  pulse (nA over the cell's area) on each target neuron;
* ``blockingPlasticSynapse`` (no blockMechanism) -> a biexp synapse, with its
  ``tsodyksMarkramDepMechanism`` / ``tsodyksMarkramDepFacMechanism`` as the
  projection's Tsodyks-Markram ``stp`` (U = initReleaseProb, tau_rec, tau_fac);
* ``poissonFiringSynapse`` through an ``inputList`` -> Poisson spike
  sources of ``averageRate`` with one synapse to each target (or the
  PoissonInput hhsim wrote, see below);
  ``transientPoissonFiringSynapse`` -> the same with the rate a step from
  ``delay`` for ``duration`` (no spikes outside it).

* ``spikeArray`` as the component of a population -> a spike source of those
  times (every cell of the population), with projections from it;
  ``spikeGeneratorPoisson`` -> a Poisson source of its ``averageRate``;
  ``SpikeSourcePoisson`` -> a Poisson source whose rate is a step of ``rate``
  from ``start`` for ``duration``.

Writing is the reverse, for networks whose parts NeuroML expresses:
populations of models without per-neuron parameters, pulse stimuli,
projections (random connection rules and weight or delay distributions
written as the pairs, weights and delays the network draws with its seed:
NeuroML holds explicit connections), sources of spike times (spikeArray
cells), constant-rate Poisson sources (spikeGeneratorPoisson cells) and Poisson
sources whose rate is one step (SpikeSourcePoisson cells), with their
projections.  The network's seed, duration and order of sources are kept as
``hhsim:`` properties (with the step and method when the network sets them), so
hhsim draws the Poisson trains read back as it drew them and
integrates as it did (other NeuroML tools draw their own).  Tsodyks-Markram
short-term plasticity on a biexp synapse is a ``blockingPlasticSynapse`` with a
``tsodyksMarkramDepMechanism`` (tau_fac = 0) or ``tsodyksMarkramDepFacMechanism``,
the same rule (:func:`plasticity_mechanism`), read back as it was; on other synapse
kinds it has no NeuroML form.  A :class:`PoissonInput` is a ``poissonFiringSynapse``
of ``n_inputs x rate_hz`` on each target neuron (:func:`.writer._write_poisson_input`),
read back as the PoissonInput.  Noise, Poisson rates that vary otherwise, STDP and
short-term plasticity off biexp synapses are refused in one line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

import neuroml

from ...errors import ModelError, ParameterError
from ...network import Network, PoissonInput, Population, Projection, SpikeSource, synapses as _syn
from ...network.synapses.stp import TsodyksMarkram
from ...cable.stimulus import point
from ...stim import Pulses, Step, pulse, step
from . import units as _units
from .cable import CableRead, is_cable, read_cable
from .cells import read_cell
from .channels import _at

#: nA on a membrane of 1 µm² in µA/cm² (1 nA = 1e-3 µA; 1 µm² = 1e-8 cm²).
NA_PER_UM2_IN_UA_PER_CM2 = 1e5
#: nS on 1 µm² in mS/cm².
NS_PER_UM2_IN_MS_PER_CM2 = 1e2

_CELL_REF = re.compile(r"^\s*(?:\.\./)?([A-Za-z_][\w-]*)(?:\[(\d+)\]|/(\d+)(?:/[\w-]+)?)\s*$")


@dataclass(frozen=True)
class _Syn:
    synapse: object
    gbase_ns: float
    stp: TsodyksMarkram | None = None


#: NeuroML's Tsodyks-Markram mechanisms (Synapses.xml) -> whether they facilitate.
_TM_TYPES = {"tsodyksMarkramDepMechanism": False, "tsodyksMarkramDepFacMechanism": True}


def plasticity_mechanism(stp: TsodyksMarkram):
    """hhsim's Tsodyks-Markram rule as NeuroML's plasticity mechanism, parameters unchanged.

    The two are the same rule at every spike.  NeuroML (Synapses.xml) releases R U with the
    values before the spike, then sets R -> R (1 - U), U -> U + U0 (1 - U), and between
    spikes relaxes R to 1 (tauRec) and U to U0 (tauFac), from R = 1, U = U0.  hhsim first
    sets u -> u + U (1 - u), releases u x, sets x -> x - u x, and relaxes x to 1 and u to 0.
    Calling u_n hhsim's u after its n-th update and V_n NeuroML's U before the n-th spike,
    both start at U0 and follow V_(n+1) = U0 + (1 - U0) V_n exp(-d/tauFac) (NeuroML: the
    update gives V_n + U0 (1 - V_n), whose excess over U0, (1 - U0) V_n, decays; hhsim:
    u_n exp(-d/tauFac) decays, then gains U0 (1 - that)), and R and x follow the same
    recursion, so the released fractions are equal spike by spike.  tau_fac = 0 (u = U at
    every spike) is NeuroML's depression-only mechanism."""
    if stp.tau_fac > 0:
        return neuroml.PlasticityMechanism(type="tsodyksMarkramDepFacMechanism", init_release_prob=_units.fmt(stp.U),
                                           tau_rec=_units.quantity(stp.tau_rec, "ms"),
                                           tau_fac=_units.quantity(stp.tau_fac, "ms"))
    return neuroml.PlasticityMechanism(type="tsodyksMarkramDepMechanism", init_release_prob=_units.fmt(stp.U),
                                       tau_rec=_units.quantity(stp.tau_rec, "ms"))


def _stp(pm, where: str) -> TsodyksMarkram:
    """A NeuroML plasticity mechanism as hhsim's rule (see :func:`plasticity_mechanism`)."""
    if pm.type not in _TM_TYPES:
        raise ModelError(f"{where}: plasticityMechanism type {pm.type!r} is not read; accepted: "
                         + ", ".join(_TM_TYPES))
    u = _units.value(pm.init_release_prob, "none", f"{where} initReleaseProb")
    trec = _units.value(pm.tau_rec, "time", f"{where} tauRec")
    tfac = 0.0
    if _TM_TYPES[pm.type]:
        if pm.tau_fac is None:
            raise ModelError(f"{where}: a tsodyksMarkramDepFacMechanism needs tauFac")
        tfac = _units.value(pm.tau_fac, "time", f"{where} tauFac")
        if not tfac > 0:
            raise ModelError(f"{where}: tauFac must be > 0 ms (got {tfac:g}); a synapse without facilitation "
                             "is a tsodyksMarkramDepMechanism")
    try:
        return TsodyksMarkram(U=u, tau_rec=trec, tau_fac=tfac)
    except ParameterError as exc:
        raise ModelError(f"{where}: {exc}") from None


def _synapses(doc, ctx) -> dict:
    out = {}
    for s in doc.exp_one_synapses or []:
        w = f"{_at(ctx, s.id)}: expOneSynapse {s.id!r}"
        out[s.id] = _Syn(_syn.Exp(tau=_units.value(s.tau_decay, "time", f"{w} tauDecay"),
                                  E=_units.value(s.erev, "voltage", f"{w} erev")),
                         _units.value(s.gbase, "conductance", f"{w} gbase"))
    for s in doc.exp_two_synapses or []:
        w = f"{_at(ctx, s.id)}: expTwoSynapse {s.id!r}"
        out[s.id] = _Syn(_syn.BiExp(tau_rise=_units.value(s.tau_rise, "time", f"{w} tauRise"),
                                    tau_decay=_units.value(s.tau_decay, "time", f"{w} tauDecay"),
                                    E=_units.value(s.erev, "voltage", f"{w} erev")),
                         _units.value(s.gbase, "conductance", f"{w} gbase"))
    for s in doc.alpha_synapses or []:
        w = f"{_at(ctx, s.id)}: alphaSynapse {s.id!r}"
        out[s.id] = _Syn(_syn.Alpha(tau=_units.value(s.tau, "time", f"{w} tau"),
                                    E=_units.value(s.erev, "voltage", f"{w} erev")),
                         _units.value(s.gbase, "conductance", f"{w} gbase"))
    for s in doc.blocking_plastic_synapses or []:
        w = f"{_at(ctx, s.id)}: blockingPlasticSynapse {s.id!r}"
        if s.block_mechanism is not None:
            raise ModelError(f"{w}: a blockMechanism is not read (hhsim's biexp synapse has no block); accepted: "
                             "a plasticityMechanism alone")
        out[s.id] = _Syn(_syn.BiExp(tau_rise=_units.value(s.tau_rise, "time", f"{w} tauRise"),
                                    tau_decay=_units.value(s.tau_decay, "time", f"{w} tauDecay"),
                                    E=_units.value(s.erev, "voltage", f"{w} erev")),
                         _units.value(s.gbase, "conductance", f"{w} gbase"),
                         None if s.plasticity_mechanism is None else _stp(s.plasticity_mechanism, w))
    for s in doc.gap_junctions or []:
        w = f"{_at(ctx, s.id)}: gapJunction {s.id!r}"
        out[s.id] = _Syn(_syn.Gap(), _units.value(s.conductance, "conductance", f"{w} conductance"))
    return out


def _cell_index(ref, pops: dict, where: str, expect: str | None = None) -> tuple[str, int]:
    """``"../pop/3/cell"``, ``"pop[3]"`` or an integer id with ``expect`` -> (population, index)."""
    if expect is not None and isinstance(ref, int):
        name, idx = expect, ref
    else:
        text = str(ref)
        if expect is not None and text.strip().isdigit():
            name, idx = expect, int(text)
        else:
            m = _CELL_REF.match(text)
            if m is None:
                raise ModelError(f"{where}: cell reference {text[:40]!r} is not 'pop[i]' or '../pop/i/cell'")
            name, idx = m.group(1), int(m.group(2) or m.group(3))
    if name not in pops:
        raise ModelError(f"{where}: population {name!r} is not in the network; accepted: {', '.join(pops)}")
    if not 0 <= idx < pops[name]:
        raise ModelError(f"{where}: cell {idx} of population {name!r} does not exist (size {pops[name]})")
    return name, idx


def _site(cr: CableRead, site, where: str) -> tuple[str, float]:
    """(section name, x) of a (segment id, fraction along) on a cable cell (the root's middle by default)."""
    seg, frac = site if site is not None else (None, None)
    if seg is None:
        return cr.morph.sections[0].name, 0.5 if frac is None else float(frac)
    if int(seg) not in cr.sections:
        raise ModelError(f"{where}: segment {seg} is not in the cell's morphology")
    name, x0, x1 = cr.sections[int(seg)]
    return name, x0 + (0.5 if frac is None else float(frac)) * (x1 - x0)


def _cable_population(cr: CableRead, name: str, n: int, stims: list, sites: set, where: str):
    """The CableCell of a population of cable cells: every cell gets the same inputs (one
    cell description per population) and its synapses on one site."""
    if any(repr(s) != repr(stims[0]) for s in stims):
        raise ModelError(f"{where}: the cells of cable population {name!r} get different inputs; hhsim gives "
                         "every cell of a cable population the same stimuli")
    if len(sites) > 1:
        raise ModelError(f"{where}: synapses reach cable population {name!r} on {len(sites)} different segments; "
                         "hhsim puts a cable cell's synapses on one site")
    kw = {}
    if sites:
        kw["synapse_at"] = _site(cr, next(iter(sites)), where)
    return cr.cable_cell(stimuli=tuple(stims[0]), **kw)


def _pairs_table(pre, post) -> dict:
    """Explicit pairs in the form a network file writes them (``{pre = [...], post = [...]}``)."""
    return {"pre": [int(i) for i in pre], "post": [int(i) for i in post]}


def _area(cell) -> float | None:
    return None if isinstance(cell, CableRead) else cell.area_um2


def _weight(values_ns: np.ndarray, area: float | None):
    """A projection weight: one quantity in nS when all equal (hhsim converts it with
    each side's area), else densities (mS/cm²) on the target's area."""
    if values_ns.size and np.all(values_ns == values_ns[0]):
        return f"{_units.fmt(values_ns[0])} nS"
    if area is None:
        raise ModelError("synapses onto a cable population must all have one weight (hhsim converts nS with "
                         "the synapse node's area)")
    return values_ns * (NS_PER_UM2_IN_MS_PER_CM2 / area)


def read_network(src, which: str | None = None, t_stop: float | None = None) -> Network:
    """The hhsim network of the NeuroML network ``which`` (default: the only one) of ``src``."""
    doc, ctx = src.doc, src.ctx
    nets = list(doc.networks or [])
    if not nets:
        raise ModelError(f"{ctx.where}: the file has no <network>; read its cells with --model instead")
    if which is None and len(nets) > 1:
        raise ModelError(f"{ctx.where}: the file has {len(nets)} networks; name one of "
                         f"{', '.join(n.id for n in nets)}")
    net = nets[0] if which is None else next((n for n in nets if n.id == which), None)
    if net is None:
        raise ModelError(f"{ctx.where}: no network {which!r}; accepted: {', '.join(n.id for n in nets)}")
    where = f"{_at(ctx, net.id)}: network {net.id!r}"
    temperature = None
    if net.temperature is not None:
        temperature = _units.value(net.temperature, "temperature", f"{where} temperature")
    channels = {c.id: c for c in list(doc.ion_channel_hhs or []) + list(doc.ion_channel or [])
                + list(doc.ion_channel_kses or [])}
    pools = {p.id: p for p in doc.decaying_pool_concentration_models or []}
    cells = {c.id: c for c in doc.cells or []}
    arrays = {a.id: a for a in doc.spike_arrays or []}
    generators = {g.id: g for g in doc.spike_generator_poissons or []}
    windows = {g.id: g for g in doc.SpikeSourcePoisson or []}
    hprops = {pr.tag[len("hhsim:"):]: pr.value for pr in net.properties or [] if str(pr.tag).startswith("hhsim:")}
    order = hprops.get("sources", "").split()
    read: dict = {}
    sizes: dict[str, int] = {}
    src_sizes: dict[str, int] = {}
    pop_cells: dict = {}
    sources, projections, inputs = [], [], []
    for pop in net.populations or []:
        w = f"{_at(ctx, pop.id)}: population {pop.id!r}"
        if pop.component in arrays:  # spikeArray cells: a source of these spike times
            n = pop.size if pop.size is not None else len(pop.instances or [])
            sa = arrays[pop.component]
            times = sorted(_units.value(sp.time, "time", f"{_at(ctx, sa.id)}: spikeArray {sa.id!r} spike {sp.id}")
                           for sp in sa.spikes or [])
            sources.append(SpikeSource(pop.id, n=int(n), times_ms=[times] * int(n) if n > 1 else times))
            src_sizes[pop.id] = int(n)
            continue
        if pop.component in generators:  # spikeGeneratorPoisson cells: a Poisson source of that rate
            n = pop.size if pop.size is not None else len(pop.instances or [])
            g = generators[pop.component]
            rate = _units.value(g.average_rate, "rate_hz",
                                f"{_at(ctx, g.id)}: spikeGeneratorPoisson {g.id!r} averageRate")
            sources.append(SpikeSource(pop.id, n=int(n), rate_hz=rate))
            src_sizes[pop.id] = int(n)
            continue
        if pop.component in windows:  # SpikeSourcePoisson cells: a Poisson source whose rate is a step
            n = pop.size if pop.size is not None else len(pop.instances or [])
            g = windows[pop.component]
            gw = f"{_at(ctx, g.id)}: SpikeSourcePoisson {g.id!r}"
            rate = step(_units.value(g.rate, "rate_hz", f"{gw} rate"),
                        start=_units.value(g.start, "time", f"{gw} start"),
                        dur=_units.value(g.duration, "time", f"{gw} duration"))
            sources.append(SpikeSource(pop.id, n=int(n), rate_hz=rate))
            src_sizes[pop.id] = int(n)
            continue
        if pop.component not in cells:
            raise ModelError(f"{w}: component {pop.component!r} is not a <cell>, <spikeArray>, "
                             "<spikeGeneratorPoisson> or <SpikeSourcePoisson> of the file (hhsim "
                             "reads conductance-based cells and spike times, not abstract or integrate-and-fire "
                             "cells)")
        if pop.component not in read:
            cell = cells[pop.component]
            if is_cable(cell):
                read[pop.component] = read_cable(cell, ctx, channels, pools, temperature)
            else:
                read[pop.component] = read_cell(cell, ctx, channels, pools, temperature)
        n = pop.size if pop.size is not None else len(pop.instances or [])
        if not n:
            raise ModelError(f"{w} has no size and no instances")
        sizes[pop.id] = int(n)
        pop_cells[pop.id] = read[pop.component]
    cable_stims: dict[str, list] = {p: [[] for _ in range(n)] for p, n in sizes.items()}
    cable_sites: dict[str, set] = {p: set() for p in sizes}
    if not sizes:
        raise ModelError(f"{where} has no population")
    stims: dict[str, list] = {p: [None] * n for p, n in sizes.items()}
    pulses = {p.id: p for p in doc.pulse_generators or []}
    poisson = {p.id: p for p in doc.poisson_firing_synapses or []}
    poisson.update({p.id: p for p in doc.transient_poisson_firing_synapses or []})
    syns = _synapses(doc, ctx)

    def add_pulse(gen_id: str, pop: str, idx: int, scale: float, w: str, site=None) -> None:
        g = pulses[gen_id]
        gw = f"{_at(ctx, gen_id)}: pulseGenerator {gen_id!r}"
        amp = _units.value(g.amplitude, "current", f"{gw} amplitude") * scale
        dur = _units.value(g.duration, "time", f"{gw} duration")
        start = _units.value(g.delay, "time", f"{gw} delay")
        if dur <= 0:
            return
        if isinstance(pop_cells[pop], CableRead):
            section, x = _site(pop_cells[pop], site, w)
            cable_stims[pop][idx].append(point(pulse(amp, start, dur), x=x, section=section))
            return
        density = amp * NA_PER_UM2_IN_UA_PER_CM2 / pop_cells[pop].area_um2
        s = pulse(density, start, dur)
        old = stims[pop][idx]
        stims[pop][idx] = s if old is None else old + s

    for k, ei in enumerate(net.explicit_inputs or []):
        w = f"{where}, explicitInput #{k + 1}"
        if ei.input not in pulses:
            raise ModelError(f"{w}: input {ei.input!r} is not a pulseGenerator of the file (explicit inputs "
                             "accepted: pulseGenerator)")
        pop, idx = _cell_index(ei.target, sizes, w)
        add_pulse(ei.input, pop, idx, 1.0, w)
    for il in net.input_lists or []:
        w = f"{_at(ctx, il.id)}: inputList {il.id!r}"
        if il.populations not in sizes:
            raise ModelError(f"{w}: population {il.populations!r} is not in the network")
        items = [(i, 1.0) for i in il.input or []] + [(i, float(i.weight)) for i in il.input_ws or []]
        targets = [(_cell_index(i.target, sizes, w, il.populations)[1], wt) for i, wt in items]
        if il.component in pulses:
            for (idx, wt), (i, _) in zip(targets, items):
                add_pulse(il.component, il.populations, idx, wt, w, (i.segment_id, i.fraction_along))
        elif il.component in poisson:
            pf = poisson[il.component]
            transient = hasattr(pf, "duration")
            pw = f"{_at(ctx, pf.id)}: {'transientPoissonFiringSynapse' if transient else 'poissonFiringSynapse'} " \
                 f"{pf.id!r}"
            if pf.synapse not in syns or isinstance(syns[pf.synapse].synapse, _syn.Gap):
                raise ModelError(f"{pw}: synapse {pf.synapse!r} is not an expOne, expTwo or alpha synapse of the file")
            rate = _units.value(pf.average_rate, "rate_hz", f"{pw} averageRate")
            sy = syns[pf.synapse]
            wts = np.array([sy.gbase_ns * wt for _, wt in targets])
            kept = _poisson_input(hprops.get(f"input:{il.id}"), targets, sizes[il.populations], rate, transient, pw)
            if kept is not None:  # hhsim wrote a PoissonInput here: n_inputs trains of rate/n_inputs each
                n_inputs, rate_hz, group = kept
                if _area(pop_cells[il.populations]) is None:  # onto cable cells: at their synapse site
                    cable_sites[il.populations].update((i.segment_id, i.fraction_along) for i, _ in items)
                weight = _weight(wts, _area(pop_cells[il.populations]))
                inputs.append(PoissonInput(il.populations, n_inputs, rate_hz, weight, sy.synapse, name=group))
                continue
            if transient:  # Poisson at averageRate from delay for duration, none outside
                rate = step(rate, start=_units.value(pf.delay, "time", f"{pw} delay"),
                            dur=_units.value(pf.duration, "time", f"{pw} duration"))
            name = il.id if il.id in order else f"{il.id}_src"  # hhsim writes the source's own name
            sources.append(SpikeSource(name, n=len(targets), rate_hz=rate))
            projections.append(Projection(name, il.populations, sy.synapse,
                                          connect=_pairs_table(range(len(targets)), [t for t, _ in targets]),
                                          weight=_weight(wts, _area(pop_cells[il.populations])), name=pf.synapse,
                                          stp=sy.stp))
        else:
            raise ModelError(f"{w}: component {il.component!r} is not a pulseGenerator or poissonFiringSynapse "
                             "of the file")
    for pr in net.projections or []:
        w = f"{_at(ctx, pr.id)}: projection {pr.id!r}"
        if pr.synapse not in syns or isinstance(syns[pr.synapse].synapse, _syn.Gap):
            raise ModelError(f"{w}: synapse {pr.synapse!r} is not an expOneSynapse, expTwoSynapse or alphaSynapse "
                             "of the file")
        pre_pop, post_pop = pr.presynaptic_population, pr.postsynaptic_population
        for p in (pre_pop, post_pop):
            if p not in sizes and not (p == pre_pop and p in src_sizes):
                raise ModelError(f"{w}: population {p!r} is not in the network")
        pre, post, wts, delays = [], [], [], []
        for c in list(pr.connections or []) + list(pr.connection_wds or []):
            cable_sites[post_pop].add((c.post_segment_id, c.post_fraction_along))
            pre.append(_cell_index(c.pre_cell_id, {**sizes, **src_sizes}, w, pre_pop)[1])
            post.append(_cell_index(c.post_cell_id, sizes, w, post_pop)[1])
            wts.append(float(getattr(c, "weight", None) or 1.0) if hasattr(c, "weight") else 1.0)
            delays.append(_units.value(c.delay, "time", f"{w} delay") if getattr(c, "delay", None) else 0.0)
        if not pre:
            continue
        sy = syns[pr.synapse]
        delay = delays[0] if all(d == delays[0] for d in delays) else np.array(delays)
        projections.append(Projection(pre_pop, post_pop, sy.synapse, connect=_pairs_table(pre, post),
                                      weight=_weight(sy.gbase_ns * np.array(wts), _area(pop_cells[post_pop])),
                                      delay=delay, name=pr.synapse, stp=sy.stp))
    for ep in net.electrical_projections or []:
        w = f"{_at(ctx, ep.id)}: electricalProjection {ep.id!r}"
        pre_pop, post_pop = ep.presynaptic_population, ep.postsynaptic_population
        pre, post, gs = [], [], []
        plain = list(ep.electrical_connections or []) + list(ep.electrical_connection_instances or [])
        conns = [(c, 1.0) for c in plain]
        conns += [(c, float(c.weight)) for c in ep.electrical_connection_instance_ws or []]
        for c, wt in conns:
            if c.synapse not in syns or not isinstance(syns[c.synapse].synapse, _syn.Gap):
                raise ModelError(f"{w}: synapse {c.synapse!r} is not a gapJunction of the file")
            pre.append(_cell_index(getattr(c, "pre_cell", None), sizes, w, pre_pop)[1])
            post.append(_cell_index(getattr(c, "post_cell", None), sizes, w, post_pop)[1])
            gs.append(syns[c.synapse].gbase_ns * wt)
        if pre:
            projections.append(Projection(pre_pop, post_pop, _syn.Gap(), connect=_pairs_table(pre, post),
                                          weight=_weight(np.array(gs), _area(pop_cells[post_pop]))))
    if net.continuous_projections:
        raise ModelError(f"{where}: continuousProjection (graded synapses) is not supported")
    populations = []
    for name, n in sizes.items():
        cr = pop_cells[name]
        if isinstance(cr, CableRead):
            populations.append(Population(name, _cable_population(cr, name, n, cable_stims[name],
                                                                  cable_sites[name], where), n=n))
            continue
        stim = stims[name]
        if all(s is None for s in stim):
            stim = None
        elif n == 1:
            stim = stim[0]
        populations.append(Population(name, cr.model, n=n, stim=stim, area_um2=cr.area_um2))
    kw = {"t_stop": t_stop} if t_stop is not None else {}
    if order and sorted(order) == sorted(s.name for s in sources):  # the order hhsim wrote them in
        sources.sort(key=lambda s: order.index(s.name))
    try:  # what hhsim wrote of the run: seed, duration, step, method
        if "seed" in hprops:
            kw["seed"] = int(hprops["seed"])
        if "t_stop" in hprops and t_stop is None:
            kw["t_stop"] = float(hprops["t_stop"])
        if "dt" in hprops:
            kw["dt"] = float(hprops["dt"])
    except ValueError:
        raise ModelError(f"{where}: its hhsim:seed, hhsim:t_stop and hhsim:dt properties must be numbers") from None
    if "method" in hprops:
        kw["method"] = hprops["method"]
    return Network(populations=populations, projections=projections, sources=sources, inputs=inputs, name=net.id,
                   **kw)


def _poisson_input(kept: str | None, targets: list, n: int, rate_hz: float, transient: bool, where: str):
    """(n_inputs, rate per train in Hz, synapse group name) of an input list hhsim wrote from a
    PoissonInput (its ``hhsim:input:<id>`` property), when the list still is one: a constant
    rate of ``n_inputs`` times the train's on every neuron of the population, in order, with
    one weight (a PoissonInput's weights are one per neuron); else None (read as sources)."""
    if kept is None or transient:
        return None
    parts = kept.split()
    try:
        n_inputs, rate = int(parts[0]), float(parts[1])
    except (IndexError, ValueError):
        raise ModelError(f"{where}: its hhsim:input property must be 'n_inputs rate_hz [name]' "
                         f"(got {kept!r})") from None
    if [t for t, _ in targets] != list(range(n)) or rate_hz != n_inputs * rate and \
            not np.isclose(rate_hz, n_inputs * rate, rtol=1e-12, atol=0.0):
        return None
    return n_inputs, rate, (parts[2] if len(parts) > 2 else None)


# ------------------------------------------------------------------ writing
def pulses_of(stim, where: str) -> list[tuple[float, float, float]]:
    """(start ms, duration ms, amplitude µA/cm²) of each rectangular pulse of ``stim``."""
    out = []
    for part in getattr(stim, "parts", [stim]):
        if isinstance(part, Pulses):
            for k in range(int(part.count)):
                out.append((part.start + k * part.period if k else part.start, part.dur, part.amp))
        elif isinstance(part, Step):
            if not np.isfinite(part.dur):
                raise ModelError(f"{where}: a step without end cannot be written as a NeuroML pulseGenerator; "
                                 "give its duration")
            out.append((part.start, part.dur, part.amp))
        else:
            raise ModelError(f"{where}: stimulus {part.describe()!r} is not a step or pulse, which is all hhsim "
                             "writes to NeuroML (pulseGenerator)")
    return out
