"""Kinetic schemes out: a channel with multi-state schemes as a NeuroML ``ionChannelKS``.

NeuroML holds a kinetic scheme as a ``gateKS`` of an ``ionChannelKS``: closed and
open states, and pairs ``forwardTransition`` (rate ``from -> to``) /
``reverseTransition`` (rate ``to -> from``) each with one ``<rate>`` (a standard HH
rate or a LEMS component type, in 1/ms).  The gate's fraction is the sum of its open
states' occupancies raised to ``instances``, and the channel's conductance the product
of its gates' fractions.  An ``ionChannelKS`` holds gateKS elements only, so an HH gate
beside a scheme in one channel is written as the two-state gateKS it is (closed ``c``,
open ``o``, ``alpha`` up and ``beta`` down), which reads back as that gate.

What is written, for a channel whose conductance is ``gbar`` times a product of factors
``x**k`` (an HH gate with ``alpha``/``beta``) and ``S**k`` or ``(S1 + S2 + ...)**k``
(open states of one scheme, each scheme in one factor):

* one gateKS per scheme, id the scheme's name; a state ``<scheme>_<s>`` is the
  NeuroML state ``s`` (a state not so named keeps its name), the factor's states open
  and the others closed; each pair of states joined by a rate in either direction
  gets a forward/reverse pair (a direction without a rate gets a rate of 0, which is
  read as no transition);
* the rates as LEMS component types computing hhsim's expressions;
* NeuroML's transitions take no temperature factor (jNeuroML ignores a gateKS's
  ``q10Settings``): a channel whose factor ``q10**((T - T0)/10)`` is not 1 at the
  model's temperature T has its rates written times that factor (the rates NeuroML
  tools must integrate), and the cell keeps the channel's own rates, Q10 and T (as
  ``hhsim:`` properties) so that hhsim reads back the identical channel when the
  file's temperature is still T (else the file's rates, as NeuroML means them).

Any other conductance (a fractional sum, a scheme's states with weights) is refused in
one line.
"""

from __future__ import annotations

import dataclasses

import neuroml
from lxml import etree

from ...channels import expr as _expr
from ...channels.base import Channel, Exp, Gate, RateForm, open_fraction_tree
from ...channels.scheme import SchemeState
from ...errors import ModelError
from . import units as _units
from .forms import channel_element, component_types_match, decode, encode, scaled

#: The rate NeuroML's pair of transitions gets for a direction without one (read as none).
ZERO_RATE = {"type": "HHExpRate", "rate": "0per_ms", "midpoint": "0mV", "scale": "1mV"}


def _refuse(channel: Channel) -> ModelError:
    return ModelError(f"channel {channel.name!r}: its conductance {channel.conductance!r} cannot be written to "
                      "NeuroML's ionChannelKS, which holds gbar times a product of gate powers and of sums of a "
                      "scheme's open states ((O1 + O2)**k); write the channel in TOML")


def factors(channel: Channel) -> list[tuple[str, tuple[str, ...], int]]:
    """The conductance's factors in the order of the channel's gates: (gate or scheme name,
    its open states (empty for an HH gate), power)."""
    by_name = {g.name: g for g in channel.gates}
    try:
        tree = open_fraction_tree(channel.conductance or "gbar * 1")
    except _expr.ExprError:
        raise _refuse(channel) from None

    def flat(t, op):
        return flat(t[2], op) + flat(t[3], op) if t[0] == "bin" and t[1] == op else [t]

    out = []
    if not channel.conductance:  # plain gates, each with its power
        return [(g.name, (), g.power) for g in channel.gates]
    for factor in flat(tree, "*"):
        power = 1
        if factor[0] == "bin" and factor[1] == "**":
            if factor[3][0] != "num" or not (factor[3][1] >= 1 and float(factor[3][1]).is_integer()):
                raise _refuse(channel)
            factor, power = factor[2], int(factor[3][1])
        names = [t[1] if t[0] == "name" else None for t in flat(factor, "+")]
        if any(n not in by_name for n in names):
            raise _refuse(channel)
        gates = [by_name[n] for n in names]
        if len(gates) == 1 and not isinstance(gates[0], SchemeState):
            out.append((gates[0].name, (), power))
            continue
        schemes = {getattr(g, "scheme", None) for g in gates}
        if len(schemes) != 1 or None in schemes or len(set(names)) != len(names):
            raise _refuse(channel)
        out.append((schemes.pop(), tuple(names), power))
    named = [name for name, _, _ in out]
    if len(set(named)) != len(named):
        raise _refuse(channel)
    covered = {n for name, opened, _ in out for n in (opened or (name,))}
    covered |= {g.name for g in channel.gates if isinstance(g, SchemeState) and g.scheme in named}
    if covered != set(by_name):
        raise _refuse(channel)
    rank = {}
    for k, g in enumerate(channel.gates):
        rank.setdefault(getattr(g, "scheme", g.name) if isinstance(g, SchemeState) else g.name, k)
    return sorted(out, key=lambda f: rank[f[0]])


def temperature_factor(channel: Channel, temperature: float | None) -> float:
    """The channel's rate factor ``q10**((T - T0)/10)`` at ``temperature`` °C (1 without Q10)."""
    if channel.q10 == 1.0:
        return 1.0
    if temperature is None:
        raise ModelError(f"channel {channel.name!r}: its kinetic scheme's rates take a Q10 of {channel.q10:g}, which "
                         "NeuroML's gateKS does not apply; writing it needs the model's temperature")
    return channel.q10 ** ((temperature - channel.q10_reference_c) / 10.0)


def _state_ids(scheme: str, names: list[str]) -> dict[str, str]:
    """hhsim state name -> NeuroML state id (``<scheme>_s`` -> ``s`` when every state is so named)."""
    prefix = f"{scheme}_"
    if all(n.startswith(prefix) and n[len(prefix):].isidentifier() for n in names):
        return {n: n[len(prefix):] for n in names}
    return {n: n for n in names}


def _rate_xml(elem) -> str:
    """A ``<rate>`` element's text (libNeuroML keeps a transition's rate as text)."""
    attrs = {"type": elem.type}
    for key in ("rate", "midpoint", "scale"):
        value = getattr(elem, key, None)
        if value is not None:
            attrs[key] = str(value)
    return etree.tostring(etree.Element("rate", attrs)).decode()


def _zero_xml() -> str:
    return etree.tostring(etree.Element("rate", ZERO_RATE)).decode()


class _Pair:
    """A forwardTransition and its reverseTransition, written one after the other as the
    schema's pairs require (libNeuroML writes every forward transition before any reverse)."""

    def __init__(self, forward, reverse):
        self.forward, self.reverse = forward, reverse

    def export(self, outfile, level, namespaceprefix_="", namespacedef_="", name_="", pretty_print=True):
        self.forward.export(outfile, level, namespaceprefix_, namespacedef_="", name_="forwardTransition",
                            pretty_print=pretty_print)
        self.reverse.export(outfile, level, namespaceprefix_, namespacedef_="", name_="reverseTransition",
                            pretty_print=pretty_print)


class PairedGateKS(neuroml.GateKS):
    """A gateKS whose transitions are written in forward/reverse pairs."""

    def _exportChildren(self, outfile, level, namespaceprefix_="", namespacedef_="", name_="GateKS",
                        fromsubclass_=False, pretty_print=True):
        forward, reverse = self.forward_transition, self.reverse_transition
        self.forward_transition = [_Pair(f, r) for f, r in zip(forward, reverse)]
        self.reverse_transition = []
        try:
            super()._exportChildren(outfile, level, namespaceprefix_, namespacedef_, name_, fromsubclass_,
                                    pretty_print)
        finally:
            self.forward_transition, self.reverse_transition = forward, reverse


def _scaled(form: RateForm, phi: float) -> RateForm:
    return scaled(form, phi, divide=False)


def write(channel: Channel, ident: str, temperature: float | None, rate_element):
    """``channel`` as an ``ionChannelKS`` with id ``ident``: (the element, its component types,
    the properties its cell keeps).  ``rate_element(gate, channel, ident, props, cts, where)`` writes
    the rate elements of a gate whose forms are rates (:func:`.channels._elements`)."""
    where = f"channel {channel.name!r}"
    groups = factors(channel)
    phi = temperature_factor(channel, temperature)
    nml, props = channel_element(neuroml.IonChannelKS, channel, ident)
    props.update({"q10": _units.fmt(channel.q10), "q10ref": _units.fmt(channel.q10_reference_c)})
    if phi != 1.0:
        props["ks_temperature"] = _units.fmt(temperature)
    cts: list = []
    scratch: dict = {}  # the texts _elements keeps of the scaled forms: not the channel's own
    for name, opened, power in groups:
        gw = f"{where}, gate {name!r}"
        if not opened:  # an HH gate: the two-state scheme c <-> o
            g = next(x for x in channel.gates if x.name == name)
            if g.alpha is None or g.instantaneous:
                raise ModelError(f"{gw}: beside a kinetic scheme NeuroML needs every gate as a gateKS; hhsim "
                                 "writes an HH gate there from its alpha and beta (this one has "
                                 f"{'none' if g.alpha is None else 'an instantaneous form'}); give them")
            for fname in ("alpha", "beta"):
                props.update(encode(f"ksf:{name}.{fname}", getattr(g, fname)))
            props[f"ksp:{name}"] = _units.fmt(g.power)
            written = dataclasses.replace(g, alpha=_scaled(g.alpha, phi), beta=_scaled(g.beta, phi))
            elems = rate_element(written, channel, ident, scratch, cts, gw)
            gate = PairedGateKS(id=name, instances=int(power), closed_states=[neuroml.ClosedState(id="c")],
                                open_states=[neuroml.OpenState(id="o")])
            gate.forward_transition.append(neuroml.ForwardTransition(
                id="up", from_="c", to="o", anytypeobjs_=[_rate_xml(elems["alpha"])]))
            gate.reverse_transition.append(neuroml.ReverseTransition(
                id="down", from_="c", to="o", anytypeobjs_=[_rate_xml(elems["beta"])]))
            nml.gate_kses.append(gate)
            continue
        states = [g for g in channel.gates if isinstance(g, SchemeState) and g.scheme == name]
        ids = _state_ids(name, [s.name for s in states])
        props[f"ks:{name}"] = " ".join(s.name for s in states)
        gate = PairedGateKS(id=name, instances=int(power),
                            closed_states=[neuroml.ClosedState(id=ids[s.name]) for s in states if s.name not in opened],
                            open_states=[neuroml.OpenState(id=ids[s.name]) for s in states if s.name in opened])
        rates = {}
        for s in states:
            props[f"kst:{s.name}"] = " ".join(s.targets)
            for target, form in zip(s.targets, s.out_rates):
                props.update(encode(f"ksf:{s.name}.to_{target}", form))
                rates[(s.name, target)] = form
        pairs = list(dict.fromkeys(tuple(sorted(k, key=[s.name for s in states].index)) for k in rates))
        for k, (a, b) in enumerate(pairs):
            xml = []
            for src, dst in ((a, b), (b, a)):
                form = rates.get((src, dst))
                if form is None:
                    xml.append(_zero_xml())
                    continue
                one = Gate(f"{src}_to_{dst}", 1, alpha=_scaled(form, phi), beta=Exp(A=0.0, k=1.0, V0=0.0))
                xml.append(_rate_xml(rate_element(one, channel, ident, scratch, cts, f"{gw}, {src} -> {dst}")["alpha"]))
            gate.forward_transition.append(neuroml.ForwardTransition(
                id=f"t{k}", from_=ids[a], to=ids[b], anytypeobjs_=[xml[0]]))
            gate.reverse_transition.append(neuroml.ReverseTransition(
                id=f"t{k}r", from_=ids[a], to=ids[b], anytypeobjs_=[xml[1]]))
        nml.gate_kses.append(gate)
    return nml, cts, props


def signature(ch) -> tuple:
    """What an ionChannelKS says, in a form that compares equal however its transitions are
    ordered in the file and whether libNeuroML read or built it."""

    def rate(t) -> tuple:
        kids = [k for k in (getattr(t, "anytypeobjs_", None) or []) if not (isinstance(k, str) and not k.strip())]
        out = []
        for kid in kids:
            if isinstance(kid, str):
                el = etree.fromstring(kid.encode(), etree.XMLParser(resolve_entities=False, no_network=True))
                out.append((etree.QName(el).localname, tuple(sorted(el.attrib.items()))))
            else:
                keys = ("type", "rate", "midpoint", "scale")
                out.append(("rate", tuple(sorted((k, str(getattr(kid, k))) for k in keys
                                                 if getattr(kid, k, None) is not None))))
        return tuple(out)

    gates = []
    for g in ch.gate_kses or []:
        gates.append((g.id, int(g.instances), tuple(s.id for s in g.closed_states or []),
                      tuple(s.id for s in g.open_states or []),
                      tuple(sorted((t.from_, t.to, rate(t)) for t in g.forward_transition or [])),
                      tuple(sorted((t.from_, t.to, rate(t)) for t in g.reverse_transition or [])),
                      len(g.tau_inf_transition or []), g.q10_settings is not None))
    return (ch.id, getattr(ch, "species", None), str(getattr(ch, "notes", None) or "").strip(), tuple(gates))


def state_names(g, props: dict) -> tuple[dict, list] | None:
    """For a gateKS hhsim wrote as a scheme: (NeuroML state id -> hhsim state name, the names in
    the channel's order); else None."""
    listed = props.get(f"ks:{g.id}", "").split()
    ids = [s.id for s in g.closed_states or []] + [s.id for s in g.open_states or []]
    if not listed or len(listed) != len(ids):
        return None
    for names in ({s: f"{g.id}_{s}" for s in ids}, {s: s for s in ids}):
        if sorted(names.values()) == sorted(listed):
            return names, listed
    return None


def restored(channel: Channel, ch, props: dict, ctx, temperature: float | None, write_channel) -> Channel:
    """The channel hhsim wrote as ``ch`` when the cell's properties describe it and writing it
    again gives this element, its component types and properties (at the temperature the file
    was written for, when its rates carry a temperature factor); else ``channel`` as read."""
    if "q10" not in props or not any(k.startswith("ksf:") for k in props):
        return channel
    try:
        q10, q10ref = float(props["q10"]), float(props["q10ref"])
        # the temperature the rates were written for (at the reference, they are the channel's own)
        t_written = float(props["ks_temperature"]) if "ks_temperature" in props else q10ref if q10 != 1 else None
        if t_written is not None and temperature is not None and t_written != temperature:
            return channel  # the file's temperature changed: its rates, as NeuroML means them
        schemes = {g.id: g for g in ch.gate_kses or []}
        gates = []
        for g in channel.gates:
            if isinstance(g, SchemeState):
                targets = props[f"kst:{g.name}"].split()
                gates.append(SchemeState(g.name, 1, scheme=g.scheme, targets=tuple(targets),
                                         out_rates=tuple(decode(props, f"ksf:{g.name}.to_{t}") for t in targets)))
            elif g.name in schemes:
                gates.append(Gate(g.name, float(props[f"ksp:{g.name}"]), alpha=decode(props, f"ksf:{g.name}.alpha"),
                                  beta=decode(props, f"ksf:{g.name}.beta")))
            else:
                return channel
        order = props.get("gates", "").split()
        if order and sorted(order) == sorted(g.name for g in gates):
            gates.sort(key=lambda g: order.index(g.name))
        units = {k[len("punit:"):]: v for k, v in props.items() if k.startswith("punit:")}
        params = {k[len("param:"):]: float(v) for k, v in props.items() if k.startswith("param:")}
        candidate = channel.replace(gates=tuple(gates), params=params, param_units=tuple(sorted(units.items())),
                                    conductance=props.get("conductance", channel.conductance),
                                    q10=q10, q10_reference_c=q10ref)
        again = write_channel(candidate, ch.id, temperature=t_written)
    except (ModelError, ValueError, KeyError, _expr.ExprError):
        return channel
    if signature(again.channel) != signature(ch) or again.properties != props:
        return channel
    return candidate if component_types_match(again.component_types, ctx) else channel
