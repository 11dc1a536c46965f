"""Whole NeuroML2 documents from hhsim descriptions: a model, or a network.

A model is written as its ion channels (and any LEMS component types their
rates need), one cell, and a network ``<modelname>_net`` holding one
neuron of it at the model's temperature (``networkWithTemperature``), so
that a NeuroML simulator runs it as hhsim does.  A network is written with
its populations' cells, synapses, pulse inputs and connections.
"""

from __future__ import annotations

import numpy as np
import neuroml

from ...engine.network_lower import _CONNECT, _DELAY, _WEIGHT, stream, values
from ...errors import ModelError, ParameterError
from ...model import Model
from ...network import CableCell, Network, connect as _connect, synapses as _syn
from . import units as _units
from .cable import segment_site
from .cells import DEFAULT_AREA_UM2, write_model
from .network import NA_PER_UM2_IN_UA_PER_CM2, NS_PER_UM2_IN_MS_PER_CM2, pulses_of


def _ident(name: str) -> str:
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in str(name))
    return out if out[:1].isalpha() or out[:1] == "_" else f"m_{out}"


def _add_cell(doc, written) -> None:
    for ch in written.channels:  # a channel with kinetic schemes is an ionChannelKS
        (doc.ion_channel_kses if isinstance(ch, neuroml.IonChannelKS) else doc.ion_channel_hhs).append(ch)
    doc.ComponentType.extend(written.component_types)
    doc.decaying_pool_concentration_models.extend(written.pools)
    doc.cells.append(written.cell)


def model_document(model: Model, *, area_um2: float | None = None) -> neuroml.NeuroMLDocument:
    """``model`` as a NeuroML document: its cell, channels and a one-neuron network."""
    ident = _ident(model.name)
    doc = neuroml.NeuroMLDocument(id=ident)
    _add_cell(doc, write_model(model, ident, area_um2=area_um2, temperature_known=True))
    net = neuroml.Network(id=f"{ident}_net", type="networkWithTemperature",
                          temperature=_units.quantity(model.temperature, "degC"))
    net.populations.append(neuroml.Population(id=f"{ident}_pop", component=ident, size=1))
    doc.networks.append(net)
    return doc


def cable_document(cell) -> neuroml.NeuroMLDocument:
    """A :class:`~hhsim.network.CableCell` as a NeuroML document: the cell, its channels and a
    one-neuron network at its models' temperature."""
    from .cable import section_models, write_cable

    ident = _ident(cell.morph.name or "cable_cell")
    doc = neuroml.NeuroMLDocument(id=ident)
    _add_cell(doc, write_cable(cell.morph, cell.channels, ident, threshold=cell.threshold))
    temps = {m.temperature for m in section_models(cell.morph, cell.channels)}
    if len(temps) > 1:
        raise ModelError("the cable cell's regions have different temperatures; a NeuroML network has one")
    net = neuroml.Network(id=f"{ident}_net", type="networkWithTemperature",
                          temperature=_units.quantity(temps.pop(), "degC"))
    net.populations.append(neuroml.Population(id=f"{ident}_pop", component=ident, size=1))
    doc.networks.append(net)
    return doc


def _synapse_element(syn, ident: str, gbase_ns: float, stp=None, where: str = ""):
    """(document list, NeuroML synapse) of ``syn`` with peak conductance ``gbase_ns``; with
    Tsodyks-Markram ``stp``, a blockingPlasticSynapse (:func:`.network.plasticity_mechanism`)."""
    g = _units.quantity(gbase_ns, "nS")
    if stp is not None:
        from .network import plasticity_mechanism

        if not isinstance(syn, _syn.BiExp):
            raise ModelError(f"{where}: short-term plasticity is written to NeuroML on a biexp synapse only (NeuroML's "
                             f"plastic synapse, blockingPlasticSynapse, is two-exponential); this one is {syn.kind!r}")
        return "blocking_plastic_synapses", neuroml.BlockingPlasticSynapse(
            id=ident, gbase=g, erev=_units.quantity(syn.E, "mV"), tau_rise=_units.quantity(syn.tau_rise, "ms"),
            tau_decay=_units.quantity(syn.tau_decay, "ms"), plasticity_mechanism=plasticity_mechanism(stp))
    if isinstance(syn, _syn.Exp):
        return "exp_one_synapses", neuroml.ExpOneSynapse(id=ident, gbase=g, erev=_units.quantity(syn.E, "mV"),
                                                          tau_decay=_units.quantity(syn.tau, "ms"))
    if isinstance(syn, _syn.BiExp):
        return "exp_two_synapses", neuroml.ExpTwoSynapse(id=ident, gbase=g, erev=_units.quantity(syn.E, "mV"),
                                                          tau_rise=_units.quantity(syn.tau_rise, "ms"),
                                                          tau_decay=_units.quantity(syn.tau_decay, "ms"))
    if isinstance(syn, _syn.Alpha):
        return "alpha_synapses", neuroml.AlphaSynapse(id=ident, gbase=g, erev=_units.quantity(syn.E, "mV"),
                                                       tau=_units.quantity(syn.tau, "ms"))
    if isinstance(syn, _syn.Gap):
        return "gap_junctions", neuroml.GapJunction(id=ident, conductance=g)
    raise ModelError(f"synapse kind {syn.kind!r} has no NeuroML form hhsim writes; accepted: exp, biexp, alpha, gap")


def _population_list(name: str, cell_id: str, n: int):
    """A population list: cells addressed as ../pop/i/cell, as NeuroML tools expect with input lists."""
    pop = neuroml.Population(id=name, component=cell_id, size=n, type="populationList")
    pop.instances = [neuroml.Instance(id=i, location=neuroml.Location(x=str(10 * i), y="0", z="0"))
                     for i in range(n)]
    return pop


def _cable_population(doc, nml_net, pop, k: int):
    """Write a population of cable cells: its cell, the population and the cell's own point
    stimuli as pulse inputs on every neuron.  Returns (cell id, CellWritten)."""
    from .cable import segment_site, write_cable

    cell = pop.model
    cell_id = _ident(f"{cell.morph.name or 'cable'}_cell{k or ''}")
    written = write_cable(cell.morph, cell.channels, cell_id, threshold=cell.threshold)
    _add_cell(doc, written)
    nml_net.populations.append(_population_list(pop.name, cell_id, pop.n))
    for j, ps in enumerate(cell.stimuli):
        where = f"population {pop.name!r}, stimulus {j + 1}"
        si, arc = ps.locate(cell.morph)
        sec = cell.morph.sections[si]
        seg, frac = segment_site(written, cell.morph, sec.name, arc / sec.length)
        for m, (start, dur, amp) in enumerate(pulses_of(ps.waveform, where)):
            gid = f"{pop.name}_stim{j}_{m}"
            doc.pulse_generators.append(neuroml.PulseGenerator(
                id=gid, delay=_units.quantity(start, "ms"), duration=_units.quantity(dur, "ms"),
                amplitude=_units.quantity(amp, "nA")))  # a point stimulus is in nA already
            il = neuroml.InputList(id=f"{gid}_in", populations=pop.name, component=gid)
            il.input = [neuroml.Input(id=i, target=f"../{pop.name}/{i}/{cell_id}", destination="synapses",
                                      segment_id=seg, fraction_along=_units.fmt(frac)) for i in range(pop.n)]
            nml_net.input_lists.append(il)
    return cell_id, written


def _weights_ns(weight, n: int, area: float | None, where: str) -> np.ndarray:
    """Per-synapse weights in nS (a density in mS/cm² times the target's area; onto a cable
    cell, whose synapse node's area the engine knows, a conductance such as "2 nS")."""
    from ...network.distributions import UNITS, canonical_unit, parse_quantity, to_density

    if area is None:
        number, unit = parse_quantity(weight) if isinstance(weight, str) else (None, None)
        if unit is None or UNITS[canonical_unit(unit)][0] != "conductance":
            raise ModelError(f"{where}: a weight onto cable cells is written to NeuroML as a conductance; "
                             "give it as one, e.g. \"2 nS\"")
        return np.full(n, number * UNITS[canonical_unit(unit)][1])

    if isinstance(weight, str):
        number, unit = parse_quantity(weight)
        w = to_density(number, unit or "mS/cm2", area, what=f"{where} weight")
        return np.full(n, float(w) / (NS_PER_UM2_IN_MS_PER_CM2 / area))
    try:
        arr = np.asarray(weight, dtype=float) if not np.isscalar(weight) else np.full(n, float(weight))
    except (TypeError, ValueError):
        arr = None
    if arr is None or (arr.shape != (n,) and arr.size != 1):
        raise ModelError(f"{where}: weight must be one value or one per synapse to be written to NeuroML "
                         "(distributions are drawn at run time)")
    return np.broadcast_to(arr, (n,)) * (area / NS_PER_UM2_IN_MS_PER_CM2)


def _is_random(spec) -> bool:
    """Is a weight or delay a distribution (drawn when the network runs)?"""
    from ...network import distributions as _dist

    if isinstance(spec, str):
        try:
            _dist.parse_quantity(spec)
            return False
        except ParameterError:
            pass
    if isinstance(spec, dict) and "unit" in spec:
        spec = {k: v for k, v in spec.items() if k != "unit"}
        if set(spec) == {"value"}:
            spec = spec["value"]
    try:
        parsed = _dist.parse(spec)
    except (ParameterError, TypeError, ValueError):
        return False
    return not isinstance(parsed, (_dist.Constant, _dist.Values))


def _drawn_weights_ns(pr, m: int, area: float | None, seed: int, k: int, where: str) -> np.ndarray:
    """Per-synapse weights in nS; a distribution is drawn as the network draws it (its seed,
    the projection's stream), so the file holds the weights the network runs with."""
    if not _is_random(pr.weight):
        return _weights_ns(pr.weight, m, area, where)
    if area is None:
        raise ModelError(f"{where}: drawn weights onto cable cells are not written to NeuroML by hhsim; give "
                         "one conductance such as \"2 nS\"")
    dens = values(pr.weight, m, stream(seed, _WEIGHT, k), f"{where} weight", area, conductance=True)
    return dens * (area / NS_PER_UM2_IN_MS_PER_CM2)


def _source_rows(src) -> list[np.ndarray]:
    """The sorted spike times (ms) of each of the ``src.n`` rows of a source of spike times."""
    times = src.times_ms.tolist() if hasattr(src.times_ms, "tolist") else src.times_ms
    rows = times if any(isinstance(t, (list, tuple)) or hasattr(t, "tolist") for t in times) else [times]
    rows = [np.sort(np.asarray(r, dtype=float).ravel()) for r in rows]
    return rows * src.n if len(rows) == 1 and src.n > 1 else rows


def _step_window(rate) -> tuple[float, float, float] | None:
    """(rate Hz, start ms, duration ms) of a Poisson rate that is one step of finite duration
    (NeuroML's SpikeSourcePoisson), else None."""
    from ...stim import Step

    if isinstance(rate, Step) and np.isfinite(rate.dur) and rate.dur > 0 and rate.amp > 0 and rate.start >= 0:
        return float(rate.amp), float(rate.start), float(rate.dur)
    return None


def _write_sources(doc, nml_net, net: Network):
    """Write the network's spike sources.  A source of spike times (ms) becomes spikeArray
    cells: one population of its name when every row has the same times, else a population
    ``<name>_<i>`` per row.  A Poisson source of constant rate (Hz) becomes a population of
    its name of spikeGeneratorPoisson cells; one whose rate is one step, of SpikeSourcePoisson
    cells (Poisson at the rate from ``start`` for ``duration``, none outside).  The order of
    the sources and the network's
    seed, duration and step (ms) and method are kept as hhsim properties, so that hhsim
    reads the Poisson sources back at their places in the network, drawing their trains
    from the same streams (the same spikes; other NeuroML tools draw their own).

    Returns source -> [(population, index, component) per row]."""
    from ...stim import Stimulus

    taken = {p.name for p in net.populations}
    pre_site = {}
    written_names: list = [None] * len(net.sources)
    spare = []
    for k, src in enumerate(net.sources):
        where = f"source {src.name!r}"
        if src.times_ms is None:
            window = None
            if isinstance(src.rate_hz, Stimulus):
                window = _step_window(src.rate_hz)
                if window is None:
                    raise ModelError(f"{where}: a time-varying Poisson rate has no NeuroML form hhsim writes other "
                                     "than one step; accepted: a constant rate_hz (spikeGeneratorPoisson), a step "
                                     "of rate (SpikeSourcePoisson) or spike times (spikeArray)")
            if src.name in taken:
                raise ModelError(f"{where}: its name is also a population's; rename one")
            taken.add(src.name)
            comp = _ident(f"{src.name}_poisson")
            if window is None:
                doc.spike_generator_poissons.append(neuroml.SpikeGeneratorPoisson(
                    id=comp, average_rate=_units.quantity(float(src.rate_hz), "Hz")))
            else:  # Poisson at the step's rate from its start for its duration, none outside
                doc.SpikeSourcePoisson.append(neuroml.SpikeSourcePoisson(
                    id=comp, start=_units.quantity(window[1], "ms"), duration=_units.quantity(window[2], "ms"),
                    rate=_units.quantity(window[0], "Hz")))
            nml_net.populations.append(_population_list(src.name, comp, src.n))
            pre_site[src.name] = [(src.name, i, comp) for i in range(src.n)]
            written_names[k] = src.name  # read back at this place: its trains drawn from the same stream
            continue
        rows = _source_rows(src)
        same = all(np.array_equal(r, rows[0]) for r in rows)
        groups = [(src.name, range(src.n), rows[0])] if same else \
            [(f"{src.name}_{i}", [i], r) for i, r in enumerate(rows)]
        sites = [None] * src.n
        for pop_id, members, times in groups:
            if pop_id in taken:
                raise ModelError(f"{where}: its spikeArray population {pop_id!r} would take the name of another "
                                 "population or source; rename one")
            taken.add(pop_id)
            comp = _ident(f"{pop_id}_spikes")
            doc.spike_arrays.append(neuroml.SpikeArray(id=comp, spikes=[
                neuroml.Spike(id=j, time=_units.quantity(t, "ms")) for j, t in enumerate(times)]))
            nml_net.populations.append(_population_list(pop_id, comp, len(members)))
            for idx, i in enumerate(members):
                sites[i] = (pop_id, idx, comp)
            spare.append(pop_id)
        pre_site[src.name] = sites
    free = iter(spare)  # the sources of spike times draw nothing: they fill the places left
    order = [name if name is not None else next(free) for name in written_names] + list(free)
    props = {"sources": " ".join(order)} if order else {}
    props.update({"seed": str(int(net.seed)), "t_stop": _units.fmt(net.t_stop)})
    if net.dt is not None:
        props["dt"] = _units.fmt(net.dt)
    if net.method is not None:
        props["method"] = str(net.method)
    nml_net.properties.extend(neuroml.Property(tag=f"hhsim:{k}", value=v) for k, v in props.items())
    return pre_site


def _write_poisson_input(doc, nml_net, net, pi, k: int, n: int, areas: dict, cell_of: dict,
                         cables: dict) -> None:
    """A PoissonInput as a poissonFiringSynapse on every neuron of its target: ``n_inputs``
    independent Poisson trains of ``rate_hz`` through one linear synapse each add up to one
    Poisson train of ``n_inputs * rate_hz`` through one synapse (same weight), which is what
    NeuroML holds.  The weights are drawn as the network draws them; ``n_inputs``, the rate
    and the synapse group's name are kept as the property ``hhsim:input:<inputList id>`` so
    that hhsim reads the input back as a PoissonInput (the same spikes: its own streams).
    Onto cable cells the inputs sit on the cells' synapse site (segment and fraction
    along it), as their projections' synapses do, with one conductance (e.g. "2 nS")."""
    where = f"PoissonInput into {pi.target!r}"
    if pi.target not in areas:
        raise ModelError(f"{where}: the target is not a population of the network")
    area = areas[pi.target]
    if pi.synapse.current or not isinstance(pi.synapse, (_syn.Exp, _syn.BiExp, _syn.Alpha)):
        raise ModelError(f"{where}: synapse kind {pi.synapse.kind!r} has no NeuroML form hhsim writes; accepted: "
                         "exp, biexp, alpha")
    site = {}
    if area is None:  # cable cells: one conductance, on the synapse site
        if _is_random(pi.weight):
            raise ModelError(f"{where}: drawn weights onto cable cells are not written to NeuroML by hhsim; give "
                             "one conductance such as \"2 nS\"")
        ns = _weights_ns(pi.weight, n, None, where)
        cell = net.population(pi.target).model
        seg, frac = segment_site(cables[pi.target][1], cell.morph, *(cell.synapse_at or (None, None)))
        site = {"segment_id": seg, "fraction_along": _units.fmt(frac)}
    else:
        dens = values(pi.weight, n, stream(0, _WEIGHT, 10**6), f"{where} weight", area, conductance=True)
        ns = dens * (area / NS_PER_UM2_IN_MS_PER_CM2)
    uniform = bool(np.all(ns == ns[0]))
    ident = _ident(f"pin{k}_{pi.name or pi.synapse.kind}")
    attr, elem = _synapse_element(pi.synapse, f"{ident}_syn", float(ns[0]) if uniform else 1.0,
                                  where=where)
    getattr(doc, attr).append(elem)
    doc.poisson_firing_synapses.append(neuroml.PoissonFiringSynapse(
        id=ident, average_rate=_units.quantity(pi.n_inputs * pi.rate_hz, "Hz"), synapse=elem.id,
        spike_target=f"./{elem.id}"))
    il = neuroml.InputList(id=f"{ident}_in", populations=pi.target, component=ident)
    target = cell_of[pi.target]
    if uniform:
        il.input = [neuroml.Input(id=i, target=f"../{pi.target}/{i}/{target}", destination="synapses", **site)
                    for i in range(n)]
    else:
        il.input_ws = [neuroml.InputW(id=i, target=f"../{pi.target}/{i}/{target}", destination="synapses",
                                      weight=_units.fmt(w), **site) for i, w in enumerate(ns)]
    nml_net.input_lists.append(il)
    kept = [str(pi.n_inputs), _units.fmt(pi.rate_hz)] + ([pi.name] if pi.name else [])
    nml_net.properties.append(neuroml.Property(tag=f"hhsim:input:{il.id}", value=" ".join(kept)))


def network_document(net: Network) -> neuroml.NeuroMLDocument:
    """``net`` as a NeuroML document (see the module docstring for what can be written)."""
    ident = _ident(net.name)
    doc = neuroml.NeuroMLDocument(id=ident)
    from .cable import section_models

    temps = {p.model.temperature for p in net.populations if isinstance(p.model, Model)}
    temps |= {m.temperature for p in net.populations if isinstance(p.model, CableCell)
              for m in section_models(p.model.morph, p.model.channels)}
    if len(temps) > 1:
        raise ModelError("the populations' models have different temperatures; a NeuroML network has one")
    nml_net = neuroml.Network(id=ident, type="networkWithTemperature",
                              temperature=_units.quantity(temps.pop() if temps else 6.3, "degC"))
    written: dict = {}
    areas: dict = {}
    cables: dict = {}  # population -> (cell id, CellWritten)
    cell_of: dict = {}
    sizes = {p.name: p.n for p in net.populations}
    for pop in net.populations:
        where = f"population {pop.name!r}"
        if isinstance(pop.model, CableCell):
            cables[pop.name] = _cable_population(doc, nml_net, pop, len(written) + len(cables))
            cell_of[pop.name], areas[pop.name] = cables[pop.name][0], None
            continue
        if pop.noise is not None:
            raise ModelError(f"{where}: channel noise ({pop.noise.method}) has no NeuroML form; it is not written")
        if pop.params or pop.initial or pop.stim_scale is not None or pop.threshold is not None:
            raise ModelError(f"{where}: per-neuron params, initial states, stim_scale and threshold have no "
                             "NeuroML form hhsim writes")
        area = DEFAULT_AREA_UM2 if pop.area_um2 is None else float(pop.area_um2)
        areas[pop.name] = area
        key = (pop.model, area)
        if key not in written:
            cell_id = _ident(f"{pop.model.name}_cell{len(written) or ''}")
            written[key] = cell_id
            _add_cell(doc, write_model(pop.model, cell_id, area_um2=area, temperature_known=True))
        cell_of[pop.name] = written[key]
        # a population list: cells addressed as ../pop/i/cell, as NeuroML tools expect with input lists
        nml_net.populations.append(_population_list(pop.name, written[key], pop.n))
        stims = pop.stim if isinstance(pop.stim, (list, tuple)) else [pop.stim] * pop.n
        for i, s in enumerate(stims):
            if s is None:
                continue
            for k, (start, dur, amp) in enumerate(pulses_of(s, where)):
                gid = f"{pop.name}_stim{i}_{k}"
                doc.pulse_generators.append(neuroml.PulseGenerator(
                    id=gid, delay=_units.quantity(start, "ms"), duration=_units.quantity(dur, "ms"),
                    amplitude=_units.quantity(amp * area / NA_PER_UM2_IN_UA_PER_CM2, "nA")))
                il = neuroml.InputList(id=f"{gid}_in", populations=pop.name, component=gid)
                il.input.append(neuroml.Input(id=0, target=f"../{pop.name}/{i}/{written[key]}", destination="synapses"))
                nml_net.input_lists.append(il)
    for k, pi in enumerate(net.inputs):
        _write_poisson_input(doc, nml_net, net, pi, k, sizes.get(pi.target, 0), areas, cell_of, cables)
    if net.noise:
        raise ModelError("noise (an Ornstein-Uhlenbeck current) has no NeuroML form; it is not written")
    pre_site = _write_sources(doc, nml_net, net)
    for k, pr in enumerate(net.projections):
        where = f"projection {pr.pre}->{pr.post}"
        if pr.stdp is not None:
            raise ModelError(f"{where}: STDP has no NeuroML form (its synapses have no plasticity of the weight); "
                             "not written")
        n_pre = net.population(pr.pre).n if pr.pre in sizes else next(s.n for s in net.sources if s.name == pr.pre)
        pre, post = _connect.connect(pr.connect, n_pre, sizes[pr.post], seed=[net.seed, _CONNECT, k],
                                     same_population=pr.pre == pr.post)  # the pairs the network runs with
        ns = _drawn_weights_ns(pr, len(pre), areas[pr.post], net.seed, k, where)
        post_site = {}
        if pr.post in cables:
            if isinstance(pr.synapse, _syn.Gap):
                raise ModelError(f"{where}: gap junctions onto cable cells are not written to NeuroML by hhsim")
            cell = net.population(pr.post).model
            seg, frac = segment_site(cables[pr.post][1], cell.morph, *(cell.synapse_at or (None, None)))
            post_site = {"post_segment_id": seg, "post_fraction_along": _units.fmt(frac)}
        if _is_random(pr.delay):
            delay = values(pr.delay, len(pre), stream(net.seed, _DELAY, k), f"{where} delay")
        else:
            delay = np.broadcast_to(np.asarray(pr.delay, dtype=float), (len(pre),))
        syn_id = f"syn{k}_{_ident(pr.group_name)}"
        attr, elem = _synapse_element(pr.synapse, syn_id, 1.0, pr.stp, where)
        getattr(doc, attr).append(elem)
        if pr.pre in pre_site:
            # a source: its rows are cells of spikeArray or spikeGeneratorPoisson populations
            sites = [pre_site[pr.pre][int(a)] for a in pre]
            for pop_id in dict.fromkeys(pid for pid, _, _ in sites):
                proj = neuroml.Projection(id=f"proj{k}_{pop_id}", presynaptic_population=pop_id,
                                          postsynaptic_population=pr.post, synapse=syn_id)
                for j, ((pid, idx, comp), b) in enumerate(zip(sites, post)):
                    if pid == pop_id:
                        proj.connection_wds.append(neuroml.ConnectionWD(
                            id=len(proj.connection_wds), pre_cell_id=f"../{pid}/{idx}/{comp}",
                            post_cell_id=f"../{pr.post}/{b}/{cell_of[pr.post]}", weight=_units.fmt(ns[j]),
                            delay=_units.quantity(delay[j], "ms"), **post_site))
                nml_net.projections.append(proj)
            continue
        cell_pre, cell_post = cell_of[pr.pre], cell_of[pr.post]
        if isinstance(pr.synapse, _syn.Gap):
            ep = neuroml.ElectricalProjection(id=f"proj{k}", presynaptic_population=pr.pre,
                                              postsynaptic_population=pr.post)
            for j, (a, b) in enumerate(zip(pre, post)):
                ep.electrical_connection_instance_ws.append(neuroml.ElectricalConnectionInstanceW(
                    id=j, pre_cell=f"../{pr.pre}/{a}/{cell_pre}", post_cell=f"../{pr.post}/{b}/{cell_post}",
                    pre_segment=0, post_segment=0, pre_fraction_along=0.5, post_fraction_along=0.5,
                    synapse=syn_id, weight=_units.fmt(ns[j])))
            nml_net.electrical_projections.append(ep)
            continue
        proj = neuroml.Projection(id=f"proj{k}", presynaptic_population=pr.pre, postsynaptic_population=pr.post,
                                  synapse=syn_id)
        for j, (a, b) in enumerate(zip(pre, post)):
            proj.connection_wds.append(neuroml.ConnectionWD(
                id=j, pre_cell_id=f"../{pr.pre}/{a}/{cell_pre}", post_cell_id=f"../{pr.post}/{b}/{cell_post}",
                weight=_units.fmt(ns[j]), delay=_units.quantity(delay[j], "ms"), **post_site))
        nml_net.projections.append(proj)
    doc.networks.append(nml_net)
    from .document import cell_properties_to_network

    cell_properties_to_network(doc)  # so that jNeuroML attaches the projections' synapses
    return doc
