"""A model described in plain text: its parameter table and its equations."""

from __future__ import annotations

from .channels import expr as _expr
from .channels.ions import conc_names, shell_influx_factor, valence
from .channels.scheme import SchemeState, equation_lines

#: The temperature factor's name in the printed equations: not ``phi``, which some
#: channels (Wang & Buzsaki's) use for a constant of their own.
TEMP = "q10_factor"


def describe_model(m) -> str:
    """A parameter table and the equations of a model, as plain text a student can read."""
    lines = [f"{m.name}: {m.description}", f"source: {m.source}"]
    if m.notes:
        lines += [f"notes: {m.notes}"]
    lines += ["", f"{'parameter':26s} {'value':>13s}  {'unit':8s} meaning", "-" * 78]
    for p in m.params().values():
        lines.append(f"{p.name:26s} {p.value:13.6g}  {p.unit:8s} {p.meaning}")
    lines += ["", "equations (V in mV, t in ms, currents in µA/cm², outward positive):",
              "  Cm dV/dt = I_stim - (" + " + ".join(f"I_{c.name}" for c in m.channels) + ")"]
    for ch in m.channels:
        gates = " * ".join(f"{g.name}^{g.power:g}" if g.power != 1 else g.name for g in ch.gates)
        if ch.open_tree is not None:  # a conductance expression, g = gbar * f(gates): show f
            gates = f"({_expr.unparse(ch.open_tree)})"
        if ch.reversal == "ghk":
            cin, cout = conc_names(ch.ion)
            z = valence(ch.ion)
            inside = m.pool(ch.ion).state_name if m.pool(ch.ion) else cin
            lines.append(f"  I_{ch.name} = p{ch.name}" + (f" * {gates}" if gates else "")
                         + f" * z F xi ({inside} - {cout} exp(-xi)) / (1 - exp(-xi)),  xi = z F V / RT, z = {z}"
                         + "   (GHK)")
        else:
            lines.append(f"  I_{ch.name} = g{ch.name}" + (f" * {gates}" if gates else "") + f" * (V - E{ch.name})")
            if ch.reversal == "nernst":
                cin, cout = conc_names(ch.ion)
                z = valence(ch.ion)
                pooled = m.pool(ch.ion)
                inside = pooled.state_name if pooled else cin
                zf = "F" if z == 1 else f"{z}F"
                lines.append(f"    E{ch.name} = (RT/{zf}) ln({cout}/{inside}) = {ch.E:.4g} mV at rest, {m.temperature:g} °C"
                             + (" (follows the pool)" if pooled else ""))
        for pname, pval in ch.params:
            unit = ch.param_unit(pname)
            lines.append(f"    {ch.name}.{pname} = {pval:g}{(' ' + unit) if unit and unit != '1' else ''}")
        scheme = [g for g in ch.gates if isinstance(g, SchemeState)]
        if scheme:  # a multi-state kinetic scheme: each state's flux balance and its rates
            lines += [f"    {line}" for line in equation_lines(scheme, TEMP)]
        for g in ch.gates:
            if isinstance(g, SchemeState):
                continue
            names = g.form_names
            if g.instantaneous:
                if names == ("alpha", "beta"):
                    lines.append(f"    {g.name} = {g.name}_inf(V) = alpha_{g.name} / (alpha_{g.name} + beta_{g.name})"
                                 "   (instantaneous)")
                else:
                    lines.append(f"    {g.name} = {g.name}_inf(V)   (instantaneous)")
            elif names[0] == "alpha":
                lines.append(f"    d{g.name}/dt = {TEMP} * (alpha_{g.name} (1 - {g.name}) - beta_{g.name} {g.name})")
            else:
                lines.append(f"    d{g.name}/dt = {TEMP} * ({g.name}_inf - {g.name}) / tau_{g.name}")
            for fname, form in zip(names, g.forms):
                label = f"{g.name}_inf" if fname == "inf" else f"{fname}_{g.name}"
                lines.append(f"      {label}(V) = {form.describe()}")
        if ch.gates and not all(g.instantaneous for g in ch.gates):
            lines.append(f"    {TEMP} = {ch.q10:g}^((T - {ch.q10_reference_c:g}) / 10) = {ch.phi(m.temperature):.4g} at "
                         f"{m.temperature:g} °C")
    for p in m.pools:
        k = shell_influx_factor(p.ion, p.depth)
        feeding = [c.name for c in m.channels if c.ion == p.ion]
        current = " + ".join(f"I_{n}" for n in feeding)
        influx = f"max(-k ({current}), 0)" if p.clip else f"-k ({current})"
        rest = f"{p.prefix}_in" if p.rest is None else f"{p.rest:g}"
        pump = f" - {p.pump_vmax:g} {p.state_name} / ({p.state_name} + {p.pump_km:g})" if p.pump_vmax > 0 else ""
        lines.append(f"  d{p.state_name}/dt = {influx} - ({p.state_name} - {rest}) / {p.prefix}_tau{pump}   (mM/ms)")
        lines.append(f"    k = 10 / ({valence(p.ion)} F {p.prefix}_depth) = {k:.4g} mM/ms per µA/cm²")
    lines.append(f"  resting potential (computed): {m.resting_potential():.4f} mV")
    return "\n".join(lines)
