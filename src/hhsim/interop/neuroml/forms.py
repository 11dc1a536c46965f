"""Rate forms as text and as properties, and NeuroML elements as text: the helpers the
channel reader and writer (:mod:`.channels`) and the kinetic-scheme writer (:mod:`.kinetic`)
share."""

from __future__ import annotations

import dataclasses

from ...channels import expr as _expr
from ...channels.base import Const, Exp, Expr, LinExp, RateForm, Sigmoid
from ...errors import ModelError
from . import units as _units

#: NeuroML species -> hhsim ion ("" for none).
ION_IN = {"na": "na", "k": "k", "ca": "ca", "ca2": "ca", "cl": "cl", "non_specific": "", "": ""}
ION_OUT = {"na": "na", "k": "k", "ca": "ca", "cl": "cl", "": "non_specific"}


def form_text(form: RateForm) -> str:
    """An expression text of any rate form, its parameters written as numbers."""
    if isinstance(form, Expr):
        values = {n: _units.fmt(v) for n, v in form.params}
        return _expr.unparse(form.tree, rename=values) if values else form.text
    n = {p: _units.fmt(v) for p, v in zip(form.param_names, form.values())}
    if isinstance(form, Const):
        return n["value"]
    if isinstance(form, Exp):
        return f"{n['A']}*exp((V - ({n['V0']}))/({n['k']}))"
    if isinstance(form, Sigmoid):
        return f"{n['A']}/(1 + exp((V - ({n['V0']}))/({n['k']})))"
    if isinstance(form, LinExp):
        return f"{n['A']}*linexp(V - ({n['V0']}), {n['k']})"
    raise ModelError(f"rate form {form!r} has no expression text")


def scaled(form: RateForm, factor: float, divide: bool) -> RateForm:
    if factor == 1.0:
        return form
    if divide and isinstance(form, Const):
        return Const(form.value / factor)
    if not divide and isinstance(form, (Exp, Sigmoid)):
        return dataclasses.replace(form, A=form.A * factor)
    text = f"({form_text(form)})/{_units.fmt(factor)}" if divide else f"{_units.fmt(factor)}*({form_text(form)})"
    return Expr(text)


def encode(key: str, form: RateForm) -> dict[str, str]:
    """Properties recording ``form`` exactly: ``kind:v1,v2,..`` or ``expr:text`` with its parameters."""
    if isinstance(form, Expr):
        out = {key: f"expr:{form.text}"}
        out.update({f"{key}.{n}": _units.fmt(v) for n, v in form.params})
        return out
    return {key: f"{form.kind}:" + ",".join(_units.fmt(v) for v in form.values())}


def decode(props: dict, key: str) -> RateForm:
    kind, _, body = props[key].partition(":")
    if kind == "expr":
        params = {k[len(key) + 1:]: float(v) for k, v in props.items() if k.startswith(key + ".")}
        return Expr(body, params)
    cls = {"exp": Exp, "sigmoid": Sigmoid, "linexp": LinExp, "const": Const}[kind]
    return cls(*(float(x) for x in body.split(",")))


def xml_of(obj, tag: str) -> str:
    """The XML text libNeuroML writes for ``obj`` (to compare two elements)."""
    import io

    out = io.StringIO()
    obj.export(out, 0, name_=tag, pretty_print=True)
    return out.getvalue()


def channel_element(element_class, channel, ident: str, **attributes):
    """A NeuroML channel element (``neuroml.IonChannelHH`` or ``IonChannelKS``) with id
    ``ident`` for ``channel``, with its species and notes, and the properties its cell keeps
    so that hhsim reads the channel back as it was (the gates' order, the source, the
    parameters and their units, a conductance expression): (element, properties)."""
    kw = {"id": ident, "conductance": "10pS", **attributes}
    if channel.ion:
        kw["species"] = ION_OUT[channel.ion]
    element = element_class(**kw)
    if channel.description:
        element.notes = channel.description
    props = {"gates": " ".join(g.name for g in channel.gates)} if len(channel.gates) > 1 else {}
    if channel.source:
        props["source"] = channel.source
    props.update({f"param:{k}": _units.fmt(v) for k, v in channel.params})
    props.update({f"punit:{k}": u for k, u in channel.param_units})
    if channel.conductance:
        props["conductance"] = channel.conductance
    return element, props


def component_types_match(component_types, ctx) -> bool:
    """Does the file being read (``ctx.component_types``, by name) hold each of these
    component types exactly as hhsim writes it?  (Then a channel it wrote is read back
    as the channel its properties describe.)"""
    for ct in component_types:
        theirs = ctx.component_types.get(ct.name)
        if theirs is None or xml_of(ct, "ComponentType") != xml_of(theirs, "ComponentType"):
            return False
    return True

