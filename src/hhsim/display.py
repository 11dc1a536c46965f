"""How hhsim objects show themselves in a notebook: one-line reprs and HTML summaries.

Every result type derives from :class:`ShownResult` (the protocol results
from :class:`ShownProtocol`), and :class:`~hhsim.model.Model` calls
:func:`model_html`: a summary table of the object's scalar numbers (units in
the names, as in its JSON) and its usual figure as an inline PNG (no file,
nothing fetched).
"""

from __future__ import annotations

import base64
import html
import io
import math


def one_line(kind: str, *parts) -> str:
    """``<kind part, part, ...>`` with empty parts left out."""
    return f"<{kind} " + ", ".join(str(p) for p in parts if p not in (None, "")) + ">"


def _cell(value) -> str:
    if isinstance(value, float):
        return "-" if not math.isfinite(value) else f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        if len(value) > 8:
            return html.escape(", ".join(_cell(v) for v in value[:8]) + f", ... ({len(value)} values)")
        return html.escape(", ".join(_cell(v) for v in value))
    if value is None:
        return "-"
    return html.escape(str(value))


def scalars(summary: dict) -> dict:
    """The entries of a JSON summary worth a table row (numbers, text, short lists)."""
    return {k: v for k, v in summary.items() if not isinstance(v, dict)
            and not (isinstance(v, list) and v and isinstance(v[0], list))}


def figure_img(figure) -> str:
    """A matplotlib figure as an inline ``<img>`` (PNG, base64)."""
    buf = io.BytesIO()
    figure.savefig(buf, format="png", dpi=80)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f"<img src='data:image/png;base64,{data}' style='max-width:720px'>"


def summary_html(title: str, rows: dict, figure_fn=None, extra: str = "") -> str:
    """A titled table of ``rows``, optional ``extra`` HTML, then the figure ``figure_fn()`` draws."""
    body = "".join(f"<tr><td style='text-align:left'>{html.escape(str(k))}</td>"
                   f"<td style='text-align:left'>{_cell(v)}</td></tr>" for k, v in rows.items())
    out = f"<div><b>{html.escape(title)}</b><table>{body}</table>{extra}"
    if figure_fn is not None:
        try:
            out += figure_img(figure_fn())
        except Exception as exc:  # a figure that cannot be drawn must not hide the table
            out += f"<p>(no figure: {html.escape(str(exc))})</p>"
    return out + "</div>"


class ShownResult:
    """Base of hhsim's result types: how a result shows itself.

    ``repr()`` is one line: the class name and the parts :meth:`_headline`
    gives (arrays stay in the attributes).  In a notebook, :meth:`_repr_html_`
    is a table of :meth:`_rows` (scalar numbers, units in the names, as in
    the result's JSON) under :meth:`_title`, then the result's figure drawn
    by ``plot()`` as an inline PNG.  A subclass gives the three parts and its
    ``plot(path=None)``; a dataclass subclass is declared with ``repr=False``
    so that the dataclass machinery keeps this ``__repr__``.
    """

    def _headline(self) -> tuple:
        raise NotImplementedError

    def _rows(self) -> dict:
        raise NotImplementedError

    def _title(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return one_line(type(self).__name__, *self._headline())

    def _repr_html_(self) -> str:
        return summary_html(self._title(), self._rows(), getattr(self, "plot", None))


#: The headline numbers of a protocol's JSON, in the order the one line shows them.
PROTOCOL_HEADLINE_KEYS = ("rheobase_uA_cm2", "threshold_uA_cm2", "chronaxie_ms", "onset_rest_uA_cm2",
                          "absolute_ms", "relative_ms", "measure")


class ShownProtocol(ShownResult):
    """A protocol's result, shown from its ``to_dict()``: protocol, model, its headline
    number(s) and method on one line; every scalar of the JSON in the table."""

    def _headline(self) -> tuple:
        d = self.to_dict()
        keys = [k for k in PROTOCOL_HEADLINE_KEYS if d.get(k) is not None]
        head = ", ".join(f"{k} {d[k]:.6g}" if isinstance(d[k], float) else f"{k} {d[k]}" for k in keys)
        if d.get("protocol") == "vclamp":
            head = f"{len(d['steps_mV'])} steps from hold {d['hold_mV']:.4g} mV"
        if d.get("protocol") == "scan":
            head = f"{d['measure']} over {len(d['values'])} values of {d['param']}"
        return d.get("protocol"), d.get("model"), head, d.get("method")

    def _rows(self) -> dict:
        return scalars(self.to_dict())

    def _title(self) -> str:
        d = self.to_dict()
        return f"{d.get('protocol')} on {d.get('model')}"


def model_html(model) -> str:
    """A model's parameter table (name, value, unit, meaning) and its equations."""
    from .describe import describe_model

    rows = "".join(f"<tr><td style='text-align:left'>{html.escape(p.name)}</td><td>{p.value:.6g}</td>"
                   f"<td style='text-align:left'>{html.escape(p.unit)}</td>"
                   f"<td style='text-align:left'>{html.escape(p.meaning)}</td></tr>" for p in model.params().values())
    text = describe_model(model)
    equations = text[text.index("equations"):] if "equations" in text else ""
    return (f"<div><b>{html.escape(model.name)}</b>: {html.escape(model.description)}<br>"
            f"<i>{html.escape(model.source)}</i>"
            f"<table><tr><th>parameter</th><th>value</th><th>unit</th><th>meaning</th></tr>{rows}</table>"
            f"<pre>{html.escape(equations)}</pre></div>")
