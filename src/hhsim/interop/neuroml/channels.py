"""Ion channels: NeuroML2 ``ionChannelHH`` to and from hhsim :class:`~hhsim.channels.base.Channel`.

Gates (NeuroML element -> hhsim gate):

* ``gateHHrates`` (forwardRate, reverseRate) -> ``alpha``/``beta``;
* ``gateHHtauInf`` (timeCourse, steadyState) -> ``inf``/``tau``;
* ``gateHHInstantaneous`` (steadyState) -> an instantaneous gate (``inf``);
* ``gateHHratesInf`` -> ``inf`` = steadyState, ``tau`` = 1/(alpha + beta);
* ``gateHHratesTau`` -> ``inf`` = alpha/(alpha + beta), ``tau`` = timeCourse;
* ``gateHHratesTauInf`` -> ``inf`` = steadyState, ``tau`` = timeCourse (NeuroML's
  definition: its forward and reverse rates are exposed but drive nothing);
* ``gateFractional`` ``h`` with sub-gates ``fast``, ``slow`` (fractions f1, f2) ->
  gates ``h_fast`` and ``h_slow`` (each ``inf``/``tau``, the gate's Q10 applied to
  both, as NeuroML's sub-gates take the rate scale of their gate) and the channel's
  ``conductance`` ``gbar * (... * (f1*h_fast + f2*h_slow)**instances * ...)``.  A
  channel whose conductance expression is a product of gate powers and such
  fractional sums is written back as ``gateFractional``; any other conductance
  expression is refused (NeuroML has no place for it);
* ``gateKS`` (in ``ionChannelKS``) of one closed and one open state is the
  two-state scheme an HH gate is: ``alpha`` = the summed closed-to-open rates,
  ``beta`` = the summed open-to-closed rates of its ``forwardTransition``,
  ``reverseTransition`` and ``tauInfTransition`` elements (``rf = inf/tau``,
  ``rr = (1 - inf)/tau``), power = ``instances``.  A chain
  ``C0 - C1 - ... - C(N-1) - O`` whose rates are ``(N-k) alpha`` up and
  ``(k+1) beta`` down (checked numerically over -100..50 mV) is the scheme of N
  independent two-state subunits: its open occupancy is ``x^N`` for the HH gate
  ``x`` of ``alpha``, ``beta`` whenever it starts from its steady state, as hhsim
  starts every gate; it is read as that gate with power ``N * instances``.
  Any other scheme is read as it is written (:mod:`hhsim.channels.scheme`): one
  state variable per state, named ``<gate>_<state>`` (``n_c1``, ``n_o``), the
  transitions' rates as the rates between them, and the gate's fraction, the sum
  of its open states' occupancies, raised to ``instances`` in the channel's
  ``conductance``; such a channel runs on point neurons (cables and networks
  refuse it in one line).  A transition whose rate is 0 is no transition.
  NeuroML's transitions do not use a gateKS's ``q10Settings``, so a gateKS that
  gives them is refused rather than read with a factor NeuroML tools ignore.
  A channel with a kinetic scheme is written as an ``ionChannelKS``
  (:mod:`.kinetic`), and a scheme hhsim wrote reads back as it was (its state
  names and order, kept by the cell's properties, even when it is a chain).

Standard forms, with ``x = (V - midpoint)/scale``:

* ``HHExpRate`` / ``HHExpVariable``: ``rate exp(x)`` = :class:`Exp` (A = rate, k = scale);
* ``HHSigmoidRate`` / ``HHSigmoidVariable``: ``rate / (1 + exp(-x))`` = :class:`Sigmoid` (k = -scale);
* ``HHExpLinearRate`` / ``HHExpLinearVariable``: ``rate x / (1 - exp(-x))`` = :class:`LinExp`
  (A = rate/scale, k = scale);
* ``fixedTimeCourse``: ``tau`` = :class:`Const`;

and any other ``type`` names a LEMS component type of the document
(:mod:`.lems`).  ``q10Settings``: ``q10ExpTemp`` gives the channel's Q10 and
reference temperature (one setting per channel: hhsim has one temperature
factor per channel); ``q10Fixed`` multiplies the rates by a constant.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import neuroml
import numpy as np

from ...channels import expr as _expr
from ...channels.base import Channel, Const, Exp, Expr, Gate, LinExp, RateForm, Sigmoid, open_fraction_tree
from ...channels.scheme import SchemeState, scheme_states
from ...errors import ModelError
from . import lems
from . import units as _units
from .forms import ION_IN, ION_OUT, form_text, xml_of  # noqa: F401 (used by cells)
from .forms import channel_element, component_types_match, decode as _decode, encode as _encode, scaled as _scaled


_STD = {
    "rate": {"HHExpRate": Exp, "HHSigmoidRate": Sigmoid, "HHExpLinearRate": LinExp},
    "variable": {"HHExpVariable": Exp, "HHSigmoidVariable": Sigmoid, "HHExpLinearVariable": LinExp},
}
_STD_OUT = {role: {cls: name for name, cls in table.items()} for role, table in _STD.items()}
#: hhsim form name -> role
ROLE_OF = {"alpha": "rate", "beta": "rate", "inf": "variable", "tau": "time"}
#: Prefix of the properties that carry what NeuroML cannot (see :mod:`.cells`).
HHSIM = "hhsim:"


@dataclass(frozen=True)
class Context:
    """What reading a channel needs from its document."""

    component_types: dict  # name -> libNeuroML ComponentType
    where: str  # file name for messages
    lines: dict  # element id -> "file:line"


def _at(ctx: Context, ident: str) -> str:
    """``file:line`` of the element with id ``ident`` (the file alone when unknown)."""
    return ctx.lines.get(ident) or ctx.where


# ------------------------------------------------------------------ reading
def _form(elem, role: str, ctx: Context, where: str) -> RateForm:
    kind = elem.type
    if role == "time" and kind == "fixedTimeCourse":
        return Const(_units.value(elem.tau, "time", f"{where} tau"))
    if role in _STD and kind in _STD[role]:
        rate_dim = "per_time" if role == "rate" else "none"
        a = _units.value(elem.rate, rate_dim, f"{where} rate")
        mid = _units.value(elem.midpoint, "voltage", f"{where} midpoint")
        scale = _units.value(elem.scale, "voltage", f"{where} scale")
        if scale == 0:
            raise ModelError(f"{where}: scale must not be 0 mV")
        cls = _STD[role][kind]
        if cls is Exp:
            return Exp(A=a, k=scale, V0=mid)
        if cls is Sigmoid:
            return Sigmoid(A=a, k=-scale, V0=mid)
        return LinExp(A=a / scale, k=scale, V0=mid)
    ct = ctx.component_types.get(kind)
    if ct is None:
        std = ", ".join(list(_STD.get(role, {})) + (["fixedTimeCourse"] if role == "time" else []))
        raise ModelError(f"{where}: {role} type {kind!r} is neither a standard form ({std}) nor a "
                         "ComponentType defined in the file")
    params = {}
    for attr, dim in (("rate", "per_time" if role == "rate" else "none"), ("midpoint", "voltage"),
                      ("scale", "voltage"), ("tau", "time")):
        raw = getattr(elem, attr, None)
        if raw is not None:
            params[attr] = _units.value(raw, dim, f"{where} {attr}")
    return Expr(lems.read_component_type(ct, role, where, params))


def _q10(gate, where: str):
    q = gate.q10_settings
    if q is None:
        return None
    if q.type == "q10ExpTemp":
        return ("exp", _units.value(q.q10_factor, "none", f"{where} q10Factor"),
                _units.value(q.experimental_temp, "temperature", f"{where} experimentalTemp"))
    if q.type == "q10Fixed":
        return ("fixed", _units.value(q.fixed_q10, "none", f"{where} fixedQ10"))
    raise ModelError(f"{where}: q10Settings type {q.type!r} is not supported; accepted: q10ExpTemp, q10Fixed")


def _gate(kind: str, g, ctx: Context, where: str) -> Gate:
    try:
        power = int(g.instances)
    except (TypeError, ValueError):
        raise ModelError(f"{where}: instances must be a whole number (got {g.instances!r})") from None
    if power < 1:
        raise ModelError(f"{where}: instances must be >= 1 (got {power})")

    def need(attr: str, role: str):
        elem = getattr(g, attr)
        if elem is None:
            raise ModelError(f"{where} needs <{_XML_NAME[attr]}>")
        return _form(elem, role, ctx, f"{where} {_XML_NAME[attr]}")

    if kind == "gateHHrates":
        return Gate(g.id, power, alpha=need("forward_rate", "rate"), beta=need("reverse_rate", "rate"))
    if kind in ("gateHHtauInf", "gateHHratesTauInf"):
        return Gate(g.id, power, inf=need("steady_state", "variable"), tau=need("time_course", "time"))
    if kind == "gateHHInstantaneous":
        return Gate(g.id, power, inf=need("steady_state", "variable"))
    a, b = form_text(need("forward_rate", "rate")), form_text(need("reverse_rate", "rate"))
    if kind == "gateHHratesInf":
        return Gate(g.id, power, inf=need("steady_state", "variable"), tau=Expr(f"1/(({a}) + ({b}))"))
    if kind == "gateHHratesTau":
        return Gate(g.id, power, inf=Expr(f"({a})/(({a}) + ({b}))"), tau=need("time_course", "time"))
    raise ModelError(f"{where}: gate kind {kind!r} is not supported")


_XML_NAME = {"forward_rate": "forwardRate", "reverse_rate": "reverseRate", "steady_state": "steadyState",
             "time_course": "timeCourse"}
_GATE_LISTS = {"gate_hh_rates": "gateHHrates", "gate_hh_tau_infs": "gateHHtauInf",
               "gate_hh_instantaneouses": "gateHHInstantaneous", "gate_h_hrates_infs": "gateHHratesInf",
               "gate_h_hrates_taus": "gateHHratesTau", "gate_h_hrates_tau_infs": "gateHHratesTauInf",
               "gate_fractionals": "gateFractional", "gate_kses": "gateKS"}


def _subgate_name(gid: str, sid: str) -> str:
    return f"{gid}_{sid}"


def _fractional(g, ctx: Context, where: str) -> tuple[list[Gate], str]:
    """(one inf/tau gate per sub-gate, the conductance factor ``(f1*g1 + ...)**instances``)."""
    try:
        power = int(g.instances)
    except (TypeError, ValueError):
        raise ModelError(f"{where}: instances must be a whole number (got {g.instances!r})") from None
    subs = list(getattr(g, "sub_gates", None) or [])
    if not subs:
        raise ModelError(f"{where} needs at least one <subGate>")
    gates, terms = [], []
    for sg in subs:
        sw = f"{where} subGate {sg.id!r}"
        if sg.q10_settings is not None:
            raise ModelError(f"{sw}: q10Settings on a subGate is not read (NeuroML's sub-gates take the rate "
                             "scale of their gateFractional); give it on the gateFractional")
        frac = _units.value(sg.fractional_conductance, "none", f"{sw} fractionalConductance")
        if not frac >= 0:
            raise ModelError(f"{sw}: fractionalConductance must be >= 0 (got {frac:g})")
        name = _subgate_name(g.id, sg.id)
        if not name.isidentifier():
            raise ModelError(f"{sw}: the gate name {name!r} it would get is not an identifier")
        for attr in ("steady_state", "time_course"):
            if getattr(sg, attr) is None:
                raise ModelError(f"{sw} needs <{_XML_NAME[attr]}>")
        gates.append(Gate(name, 1, inf=_form(sg.steady_state, "variable", ctx, f"{sw} steadyState"),
                          tau=_form(sg.time_course, "time", ctx, f"{sw} timeCourse")))
        terms.append(f"{_units.fmt(frac)}*{name}")
    inner = " + ".join(terms)
    return gates, (f"({inner})" if power == 1 else f"({inner})**{power}")


def _transition_rate(t, ctx: Context, where: str) -> RateForm:
    """The ``<rate>`` of a forwardTransition or reverseTransition (libNeuroML keeps it as text)."""
    from lxml import etree

    kids = [k for k in (getattr(t, "anytypeobjs_", None) or []) if not (isinstance(k, str) and not k.strip())]
    if len(kids) != 1:
        raise ModelError(f"{where} needs exactly one <rate> child (a standard HH rate or a ComponentType)")
    kid = kids[0]
    if isinstance(kid, str):
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        try:
            el = etree.fromstring(kid.encode(), parser)
        except etree.XMLSyntaxError:
            raise ModelError(f"{where}: its <rate> is not well-formed XML") from None
        if etree.QName(el).localname != "rate":
            raise ModelError(f"{where}: <{etree.QName(el).localname}> is not read; give <rate type=...>")
        kid = neuroml.HHRate(type=el.get("type"), rate=el.get("rate"), midpoint=el.get("midpoint"),
                             scale=el.get("scale"))
    if getattr(kid, "type", None) is None:
        raise ModelError(f"{where}: its <rate> needs a type")
    return _form(kid, "rate", ctx, f"{where} rate")


def _sum(forms: list) -> RateForm:
    if len(forms) == 1:
        return forms[0]
    if not forms:
        return Const(0.0)
    return Expr(" + ".join(f"({form_text(f)})" for f in forms))


def _kinetic(g, ctx: Context, where: str, props: dict | None = None):
    """A gateKS of one closed and one open state (or a chain of independent subunits) as the
    HH gate it is; any other scheme, or one hhsim wrote as a scheme (``props``), as (its
    :class:`SchemeState` gates, its open fraction)."""
    from .kinetic import state_names

    written = state_names(g, props or {})
    try:
        power = int(g.instances)
    except (TypeError, ValueError):
        raise ModelError(f"{where}: instances must be a whole number (got {g.instances!r})") from None
    closed = [s.id for s in g.closed_states or []]
    opened = [s.id for s in g.open_states or []]
    n_states = len(closed) + len(opened)
    if not opened or not closed:
        raise ModelError(f"{where} has {n_states} states ({len(closed)} closed, {len(opened)} open); a gateKS "
                         "needs at least one closed and one open state")
    if g.q10_settings is not None:
        raise ModelError(f"{where}: q10Settings on a gateKS is not read (NeuroML's transitions do not use it, so "
                         "tools differ); give the rates at the simulation temperature, or use gateHHrates")
    items = ([("forward", t) for t in g.forward_transition or []] + [("reverse", t) for t in g.reverse_transition or []]
             + [("tauInf", t) for t in g.tau_inf_transition or []])
    if not items:
        raise ModelError(f"{where} has no transitions")
    states = set(closed) | set(opened)
    flows: dict[tuple, list] = {}  # (from state, to state) -> rate forms flowing that way
    for kind, t in items:
        tw = f"{where} {kind}Transition {t.id!r}"
        if t.from_ not in states or t.to not in states or t.from_ == t.to:
            raise ModelError(f"{tw}: from {t.from_!r} to {t.to!r}; a transition joins two states of the gate "
                             f"({', '.join(sorted(states))})")
        a, b = t.from_, t.to  # rf flows a -> b, rr flows b -> a
        if kind == "tauInf":
            for attr in ("steady_state", "time_course"):
                if getattr(t, attr) is None:
                    raise ModelError(f"{tw} needs <{_XML_NAME[attr]}>")
            inf = form_text(_form(t.steady_state, "variable", ctx, f"{tw} steadyState"))
            tau = form_text(_form(t.time_course, "time", ctx, f"{tw} timeCourse"))
            flows.setdefault((a, b), []).append(Expr(f"({inf})/({tau})"))
            flows.setdefault((b, a), []).append(Expr(f"(1 - ({inf}))/({tau})"))
        else:
            rate = _transition_rate(t, ctx, tw)
            if isinstance(rate, Exp) and rate.A == 0.0:  # a rate of 0 (hhsim writes one for a pair's
                continue                                   # direction without a transition): none
            flows.setdefault((a, b) if kind == "forward" else (b, a), []).append(rate)
    chain = _chain(closed, opened[0], flows) if len(opened) == 1 and written is None else None
    if chain is not None:
        up = [_sum(flows.get((chain[k], chain[k + 1]), [])) for k in range(len(chain) - 1)]
        down = [_sum(flows.get((chain[k + 1], chain[k]), [])) for k in range(len(chain) - 1)]
        n = len(chain) - 1
        if n == 1 or _binomial(up, down):
            return Gate(g.id, power * n, alpha=up[-1], beta=down[0])
    # any other scheme: one state variable per state (hhsim.channels.scheme)
    order = closed + opened
    names = {sid: _subgate_name(g.id, sid) for sid in order}
    if written is not None:  # the names and order hhsim wrote
        names, listed = written
        order = sorted(order, key=lambda sid: listed.index(names[sid]))
    for sid, name in names.items():
        if not name.isidentifier():
            raise ModelError(f"{where}: state {sid!r} would be the gate {name!r}, which is not an identifier")
    transitions = [(names[a], names[b], _sum(forms), None) for (a, b), forms in flows.items()]
    try:
        states = scheme_states(g.id, [names[sid] for sid in order], transitions)
    except ModelError as exc:
        raise ModelError(f"{where}: {exc}") from None
    inner = " + ".join(names[sid] for sid in opened)
    inner = f"({inner})" if len(opened) > 1 else inner
    return list(states), (inner if power == 1 else f"{inner}**{power}")


def _chain(closed: list, opened: str, flows: dict) -> list | None:
    """The states from the closed end to the open state when the transitions join them in
    one line (each state to its neighbours only), else None."""
    links: dict[str, set] = {}
    for a, b in flows:
        links.setdefault(a, set()).add(b)
        links.setdefault(b, set()).add(a)
    if len(links.get(opened, ())) != 1:
        return None
    chain, prev = [opened], None
    while True:
        nxt = [s for s in links.get(chain[-1], ()) if s != prev]
        if not nxt:
            break
        if len(nxt) > 1:
            return None
        prev = chain[-1]
        chain.append(nxt[0])
    if sorted(chain) != sorted(closed + [opened]):
        return None
    return chain[::-1]


#: Voltages (mV) at which a chain's rates are compared, off the points of removable singularities.
_CHAIN_V = np.linspace(-100.0, 50.0, 151) + 0.0123


def _binomial(up: list, down: list) -> bool:
    """Are the rates of the chain ``(N-k) alpha`` up and ``(k+1) beta`` down (k = 0..N-1), with
    alpha the last step's and beta the first step's?"""
    n = len(up)
    try:
        with np.errstate(all="ignore"):
            alpha, beta = np.asarray(up[-1](_CHAIN_V), dtype=float), np.asarray(down[0](_CHAIN_V), dtype=float)
            for k in range(n):
                for got, want in ((up[k](_CHAIN_V), (n - k) * alpha), (down[k](_CHAIN_V), (k + 1) * beta)):
                    got = np.asarray(got, dtype=float)
                    if not (np.all(np.isfinite(got)) and np.allclose(got, want, rtol=1e-10, atol=0.0)):
                        return False
    except (KeyError, _expr.ExprError):  # a rate of a concentration: not compared here
        return False
    return True


def read_channel(ch, name: str, ctx: Context, props: dict | None = None,
                 temperature: float | None = None) -> tuple[Channel, str]:
    """(hhsim channel named ``name`` from NeuroML ion channel ``ch``, its NeuroML species).

    ``props``: the hhsim properties the cell keeps for this channel (:func:`channel_properties`);
    ``temperature``: the file's (°C), which the rates of a scheme hhsim wrote were scaled for."""
    where = f"{_at(ctx, ch.id)}: ionChannel {ch.id!r}"
    if getattr(ch, "type", None) not in (None, "ionChannelHH", "ionChannelPassive"):
        raise ModelError(f"{where}: channel type {ch.type!r} is not supported; accepted: ionChannelHH")
    found = {}
    for attr, kind in _GATE_LISTS.items():
        for g in getattr(ch, attr, None) or []:
            found[g.id] = (kind, g)
    for g in getattr(ch, "gates", None) or []:  # <gate type="gateHH...">
        if g.type not in _GATE_LISTS.values() or g.type == "gateKS":
            raise ModelError(f"{where}: gate {g.id!r} of type {g.type!r} is not supported; accepted: "
                             + ", ".join(k for k in _GATE_LISTS.values() if k != "gateKS")
                             + " (a gateKS is written as <gateKS> in an <ionChannelKS>)")
        found[g.id] = (g.type, g)
    props = dict(props or {})
    order = props.get("gates", "").split()
    if sorted(order) != sorted(found):
        order = list(found)
    gates, q10s, factors = [], [], []
    for gid in order:
        kind, g = found[gid]
        gw = f"{where}, {kind} {gid!r}"
        if kind == "gateFractional":
            subs, factor = _fractional(g, ctx, gw)
            gates.extend(subs)
            q10s.extend([_q10(g, gw)] * len(subs))
            factors.append(factor)
            continue
        if kind == "gateKS":
            got = _kinetic(g, ctx, gw, props)
            if isinstance(got, tuple):  # a general scheme: its states and its open fraction
                gates.extend(got[0])
                q10s.extend([None] * len(got[0]))
                factors.append(got[1])
                continue
            gates.append(got)
            q10s.append(None)
        else:
            gates.append(_gate(kind, g, ctx, gw))
            q10s.append(_q10(g, gw))
        power = gates[-1].power
        factors.append(gid if power == 1 else f"{gid}**{int(power)}")
    fractional = (any(kind == "gateFractional" for kind, _ in found.values())
                  or any(isinstance(g, SchemeState) for g in gates))
    q10, ref = 1.0, 6.3
    distinct = set(q10s)
    if len(distinct) > 1:
        raise ModelError(f"{where}: its gates have different q10Settings; hhsim takes one temperature "
                         "factor per channel")
    setting = q10s[0] if q10s else None
    if setting is not None and setting[0] == "exp":
        q10, ref = setting[1], setting[2]
    elif setting is not None:
        factor = setting[1]
        gates = [dataclasses.replace(g, **{f: _scaled(getattr(g, f), factor, ROLE_OF[f] == "time")
                                           for f in g.form_names if ROLE_OF[f] != "variable"})
                 for g in gates]
    if not gates:
        q10, ref = 3.0, 6.3  # a leak has no temperature factor; hhsim's defaults
    species = getattr(ch, "species", None) or ""
    conductance = f"gbar * ({' * '.join(factors)})" if fractional else ""
    try:
        channel = Channel(name, gbar=0.0, E=0.0, gates=tuple(gates), q10=q10, q10_reference_c=ref,
                          ion=ION_IN.get(species, ""), description=_notes(ch), source=props.get("source", ""),
                          conductance=conductance)
    except ModelError as exc:
        raise type(exc)(f"{where}: {exc}") from None
    if isinstance(ch, neuroml.IonChannelKS):
        from . import kinetic

        return kinetic.restored(channel, ch, props, ctx, temperature, write_channel), species
    return _restored(channel, ch, props, ctx), species


def channel_properties(cell_props: dict, channel_id: str) -> dict[str, str]:
    """The properties a cell keeps for its ion channel ``channel_id`` (``ch:<id>:...``), without
    the prefix.  (NeuroML simulators accept no properties inside an ion channel, so the cell
    carries them.)"""
    prefix = f"ch:{channel_id}:"
    return {k[len(prefix):]: v for k, v in cell_props.items() if k.startswith(prefix)}


def _properties(obj) -> dict[str, str]:
    """The hhsim properties of a NeuroML element, without the prefix."""
    return {p.tag[len(HHSIM):]: p.value for p in (getattr(obj, "properties", None) or [])
            if isinstance(p.tag, str) and p.tag.startswith(HHSIM)}


def _restored(channel: Channel, ch, props: dict, ctx: Context) -> Channel:
    """The channel hhsim wrote, when the file's properties describe it (named constants,
    expression texts) and writing that channel back gives exactly this element and its
    component types; otherwise ``channel`` as NeuroML defines it."""
    params = [(k[len("param:"):], v) for k, v in props.items() if k.startswith("param:")]
    texts = {k[len("form:"):]: v for k, v in props.items() if k.startswith("form:")}
    if not params and not texts and not any(k.startswith("iab:") for k in props) and "conductance" not in props:
        return channel
    try:
        gates = []
        for g in channel.gates:
            forms = {}
            for f in g.form_names:
                key = f"{g.name}.{f}"
                if key not in texts:
                    forms[f] = getattr(g, f)
                    continue
                fparams = {k.rsplit(".", 1)[1]: float(v) for k, v in props.items()
                           if k.startswith(f"fparam:{key}.")}
                funits = {k.rsplit(".", 1)[1]: v for k, v in props.items() if k.startswith(f"funit:{key}.")}
                forms[f] = Expr(texts[key], fparams, funits)
            if f"iab:{g.name}.alpha" in props:
                gates.append(Gate(g.name, g.power, alpha=_decode(props, f"iab:{g.name}.alpha"),
                                  beta=_decode(props, f"iab:{g.name}.beta"), instantaneous=True))
                continue
            gates.append(dataclasses.replace(g, **forms))
        units = {k[len("punit:"):]: v for k, v in props.items() if k.startswith("punit:")}
        candidate = channel.replace(gates=tuple(gates), params={k: float(v) for k, v in params},
                                    param_units=tuple(sorted(units.items())),
                                    conductance=props.get("conductance", channel.conductance))
        again = write_channel(candidate, ch.id)
    except (ModelError, ValueError):
        return channel
    if xml_of(again.channel, "ionChannelHH") != xml_of(ch, "ionChannelHH") or again.properties != props:
        return channel
    return candidate if component_types_match(again.component_types, ctx) else channel


def _notes(obj) -> str:
    return (obj.notes or "").strip() if isinstance(getattr(obj, "notes", None), str) else ""


# ------------------------------------------------------------------ writing
@dataclass
class Written:
    """An ion channel written: the libNeuroML channel, the component types it needs, and the
    hhsim properties its cell keeps for it (:func:`channel_properties`)."""

    channel: object
    component_types: list
    properties: dict


def _exact_linexp(form: LinExp) -> bool:
    return (form.A * form.k) / form.k == form.A


def _standard(form: RateForm, role: str):
    """(type, attributes) of a standard NeuroML form equal to ``form``, or None."""
    if role == "time":
        if isinstance(form, Const) and form.value > 0:
            return "fixedTimeCourse", {"tau": _units.quantity(form.value, "ms")}
        return None
    unit = "per_ms" if role == "rate" else ""
    std = _STD_OUT[role].get(type(form))
    if std is None:
        return None
    if isinstance(form, Exp):
        rate, scale = form.A, form.k
    elif isinstance(form, Sigmoid):
        rate, scale = form.A, -form.k
    else:
        if not _exact_linexp(form):
            return None
        rate, scale = form.A * form.k, form.k
    return std, {"rate": _units.quantity(rate, unit), "midpoint": _units.quantity(form.V0, "mV"),
                 "scale": _units.quantity(scale, "mV")}


def _component_type(name: str, form: RateForm, role: str, channel: Channel, where: str):
    """A LEMS component type computing ``form`` (a rate in 1/ms, a variable or a time in ms)."""
    tree = _expr.parse(form_text(form))
    consts = [neuroml.Constant(name="VOLT_SCALE", dimension="voltage", value="1mV")]
    if role != "variable":
        consts.append(neuroml.Constant(name="TIME_SCALE", dimension="time", value="1ms"))
    used = set(_expr.names(tree))
    bad = sorted(used - {"V"} - {p for p, _ in channel.params})
    if bad:
        raise ModelError(f"{where}: {bad[0]!r} (a concentration) cannot be written to NeuroML by hhsim; only "
                         "rates of V and the channel's constants are exported")
    for p, v in channel.params:
        if p in used:
            consts.append(neuroml.Constant(name=p, dimension="none", value=_units.fmt(v)))
    body = lems.render(tree, where)
    _, exposure, dim = lems.ROLES[role]
    value = {"rate": f"{body} / TIME_SCALE", "variable": body, "time": f"{body} * TIME_SCALE"}[role]
    dyn = neuroml.Dynamics(DerivedVariable=[
        neuroml.DerivedVariable(name="V", dimension="none", value="v / VOLT_SCALE"),
        neuroml.DerivedVariable(name=exposure, dimension=dim, exposure=exposure, value=value),
    ])
    return neuroml.ComponentType(name=name, extends=lems.BASE[role], Constant=consts, Dynamics=[dyn],
                                 description="rate written by hhsim")


def channel_gate(channel: Channel, name: str) -> Gate:
    return next(g for g in channel.gates if g.name == name)


def _elements(g: Gate, channel: Channel, ident: str, props: dict, cts: list, where: str) -> dict:
    """NeuroML rate elements of the forms of ``g`` (component types added to ``cts`` for forms
    no standard type expresses; expression texts kept in ``props``)."""
    elems = {}
    for fname, form in zip(g.form_names, g.forms):
        role = ROLE_OF[fname]
        std = _standard(form, role)
        if isinstance(form, Expr):
            props[f"form:{g.name}.{fname}"] = form.text
            props.update({f"fparam:{g.name}.{fname}.{n}": _units.fmt(v) for n, v in form.params})
            props.update({f"funit:{g.name}.{fname}.{n}": u for n, u in form.units})
        if std is None:
            ct_name = f"{ident}_{g.name}_{fname}"
            cts.append(_component_type(ct_name, form, role, channel, f"{where}, {fname}"))
            std = (ct_name, {})
        cls = {"rate": neuroml.HHRate, "variable": neuroml.HHVariable, "time": neuroml.HHTime}[role]
        elems[fname] = cls(type=std[0], **std[1])
    return elems


def _conductance_groups(channel: Channel) -> tuple[dict, list]:
    """How NeuroML holds the channel's open fraction: (gate -> power of the gates that are
    plain factors, [(gateFractional id, [(gate, sub-gate id, fraction)], instances)]).
    Without a conductance expression every gate is a plain factor with its own power; an
    expression must be a product of gate powers and fractional sums ``(f1*a + f2*b)**k``
    (constant fractions >= 0), each gate used once, else it is refused."""
    if not channel.conductance:
        return {g.name: g.power for g in channel.gates}, []
    gnames = {g.name for g in channel.gates}
    env = dict(channel.params)
    refuse = ModelError(f"channel {channel.name!r}: its conductance {channel.conductance!r} cannot be written to "
                        "NeuroML, which holds products of gate powers and fractional sums of gates "
                        "(gbar * m**3 * (0.7*h1 + 0.3*h2)**k, a gateFractional); write the channel in TOML")

    def flat(t, op):
        return flat(t[2], op) + flat(t[3], op) if t[0] == "bin" and t[1] == op else [t]

    def constant(t) -> float:
        if set(_expr.names(t)) & gnames:
            raise refuse
        return float(_expr.evaluate(t, env))

    def power_of(t) -> tuple:
        if t[0] == "bin" and t[1] == "**":
            p = constant(t[3])
            if not (p >= 1 and float(p).is_integer()):
                raise refuse
            return t[2], int(p)
        return t, 1

    plain, fractions, used = {}, [], []
    for factor in flat(open_fraction_tree(channel.conductance), "*"):
        base, power = power_of(factor)
        if base[0] == "name" and base[1] in gnames:
            plain[base[1]] = power
            used.append(base[1])
            continue
        members = []
        for term in flat(base, "+"):
            parts = flat(term, "*")
            gates = [t for t in parts if t[0] == "name" and t[1] in gnames]
            if len(gates) != 1:
                raise refuse
            frac = 1.0
            for t in parts:
                if t is not gates[0]:
                    frac *= constant(t)
            if not frac >= 0:
                raise refuse
            members.append((gates[0][1], frac))
            used.append(gates[0][1])
        prefixes = {m.split("_", 1)[0] for m, _ in members}
        gid = prefixes.pop() if len(prefixes) == 1 and all("_" in m for m, _ in members) else ""
        if not gid or gid in gnames or gid in [f[0] for f in fractions]:
            gid = f"fractional{len(fractions) + 1}"
            subs = [(m, m, f) for m, f in members]
        else:
            subs = [(m, m.split("_", 1)[1], f) for m, f in members]
        fractions.append((gid, subs, power))
    if len(used) != len(set(used)):
        raise refuse
    return plain, fractions


def write_channel(channel: Channel, ident: str, temperature: float | None = None) -> Written:
    """``channel`` as a NeuroML ``ionChannelHH`` with id ``ident``; rates no standard
    form expresses exactly become component types named ``<ident>_<gate>_<form>``.
    A channel with a multi-state kinetic scheme is an ``ionChannelKS`` (:mod:`.kinetic`;
    ``temperature`` °C, the model's, sets the factor its rates are written with)."""
    if any(isinstance(g, SchemeState) for g in channel.gates):
        from . import kinetic

        return Written(*kinetic.write(channel, ident, temperature, _elements))
    cts = []
    nml, props = channel_element(neuroml.IonChannelHH, channel, ident, type="ionChannelHH")
    q10 = None
    if channel.gates:
        q10 = neuroml.Q10Settings(type="q10ExpTemp", q10_factor=_units.fmt(channel.q10),
                                  experimental_temp=_units.quantity(channel.q10_reference_c, "degC"))
    plain, fractions = _conductance_groups(channel)
    rank = {g.name: i for i, g in enumerate(channel.gates)}  # sub-gates in the channel's order of gates
    fractions = [(gid, sorted(members, key=lambda m: rank[m[0]]), power) for gid, members, power in fractions]
    first_of = {members[0][0]: (gid, members, power) for gid, members, power in fractions}
    kinds = set()
    for g in channel.gates:
        if g.name in first_of:
            kinds.add("fractional")
        elif g.name in plain:
            kinds.add("rates" if g.alpha is not None and not g.instantaneous else "tauInf" if g.tau is not None
                      else "instantaneous")
    mixed = len(kinds) > 1
    for g in channel.gates:
        where = f"channel {channel.name!r}, gate {g.name!r}"
        if g.name in first_of:
            gid, members, power = first_of[g.name]
            subs = []
            for sub_name, sub_id, frac in members:
                sg = channel_gate(channel, sub_name)
                if sg.instantaneous:
                    raise ModelError(f"channel {channel.name!r}, gate {sub_name!r}: an instantaneous gate cannot be "
                                     "a sub-gate of NeuroML's gateFractional (sub-gates have a time course)")
                if sg.alpha is not None:  # a sub-gate is given by its steady state and time constant
                    a, b = form_text(sg.alpha), form_text(sg.beta)
                    sg = Gate(sg.name, 1, inf=Expr(f"({a})/(({a}) + ({b}))"), tau=Expr(f"1/(({a}) + ({b}))"))
                elems = _elements(sg, channel, ident, props, cts, f"channel {channel.name!r}, gate {sub_name!r}")
                subs.append(neuroml.GateFractionalSubgate(id=sub_id, fractional_conductance=_units.fmt(frac),
                                                          steady_state=elems["inf"], time_course=elems["tau"]))
            common = {"id": gid, "instances": power, "q10_settings": q10, "sub_gates": subs}
            if mixed:
                nml.gates.append(neuroml.GateHHUndetermined(type="gateFractional", **common))
            else:
                nml.gate_fractionals.append(neuroml.GateFractional(**common))
            continue
        if g.name not in plain:  # a later sub-gate of a fractional gate, written with its first
            continue
        g = dataclasses.replace(g, power=plain[g.name])
        if g.instantaneous and g.alpha is not None:
            # NeuroML's instantaneous gate has a steady state only: alpha/(alpha + beta)
            for fname in ("alpha", "beta"):
                props.update(_encode(f"iab:{g.name}.{fname}", getattr(g, fname)))
            a, b = form_text(g.alpha), form_text(g.beta)
            g = Gate(g.name, g.power, inf=Expr(f"({a})/(({a}) + ({b}))"))
        if not float(g.power).is_integer():
            raise ModelError(f"{where}: power {g.power:g} is not a whole number, which NeuroML requires")
        elems = _elements(g, channel, ident, props, cts, where)
        common = {"id": g.name, "instances": int(g.power), "q10_settings": q10}
        if mixed:  # the schema allows one kind of gate element per channel: <gate type=...> for all
            kind = "gateHHrates" if g.alpha is not None else "gateHHtauInf" if g.tau is not None \
                else "gateHHInstantaneous"
            nml.gates.append(neuroml.GateHHUndetermined(
                type=kind, forward_rate=elems.get("alpha"), reverse_rate=elems.get("beta"),
                steady_state=elems.get("inf"), time_course=elems.get("tau"), **common))
        elif g.alpha is not None:
            gate = neuroml.GateHHRates(forward_rate=elems["alpha"], reverse_rate=elems["beta"], **common)
            nml.gate_hh_rates.append(gate)
        elif g.tau is not None:
            gate = neuroml.GateHHTauInf(steady_state=elems["inf"], time_course=elems["tau"], **common)
            nml.gate_hh_tau_infs.append(gate)
        else:
            common.pop("q10_settings")
            nml.gate_hh_instantaneouses.append(neuroml.GateHHInstantaneous(steady_state=elems["inf"], **common))
    return Written(nml, cts, props)
