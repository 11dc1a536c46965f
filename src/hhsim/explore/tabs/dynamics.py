"""The phase-plane tab: nullclines, equilibria and separatrix of a
two-variable reduction, and the bifurcation diagram in the injected current,
both from :mod:`hhsim.dynamics` in the background job."""

from __future__ import annotations

import html

import panel as pn
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure

from .. import experiments as ex
from ..handlers import locked
from ..jobs import Task
from .base import WorkTab


class DynamicsTab(WorkTab):
    title = "Phase plane"
    needs = "dynamics"
    job_kind = "dynamics"

    def build(self):
        self.pp_vars = pn.widgets.TextInput(name="states X,Y (empty: V,n or V and the last)", value="", width=220)
        self.pp_i = pn.widgets.FloatInput(name="injected current (µA/cm²)", value=0.0, width=180)
        self.pp_run = pn.widgets.Button(name="Phase plane", button_type="primary", css_classes=["hh-pp-run"])
        self.bf_from = pn.widgets.FloatInput(name="diagram from (µA/cm²)", value=0.0, width=160)
        self.bf_to = pn.widgets.FloatInput(name="to (µA/cm²)", value=30.0, width=120)
        self.bf_run = pn.widgets.Button(name="Bifurcation diagram", button_type="primary", css_classes=["hh-bf-run"])
        self.pp_run.on_click(locked(self.run_phase_plane))
        self.bf_run.on_click(locked(self.run_bifurcation))
        bar, status, cancel = self.page.jobs.widgets(self.job_kind)
        self.pp_result = pn.pane.HTML("", sizing_mode="stretch_width")
        self.ncx_src = ColumnDataSource({"xs": [], "ys": []})
        self.ncy_src = ColumnDataSource({"xs": [], "ys": []})
        self.eq_src = ColumnDataSource({"x": [], "y": [], "fill": [], "label": []}, name="equilibria")
        self.sep_src = ColumnDataSource({"x": [], "y": []})
        self.pp_fig = figure(height=380, width=460, title="phase plane (Rinzel's reduction)",
                             tools="pan,wheel_zoom,box_zoom,reset,save")
        self.pp_fig.multi_line("xs", "ys", source=self.ncx_src, color="#c0392b", legend_label="dX/dt = 0")
        self.pp_fig.multi_line("xs", "ys", source=self.ncy_src, color="#2c7f3f", legend_label="dY/dt = 0")
        self.pp_fig.line("x", "y", source=self.sep_src, color="black", line_dash="dotted", legend_label="separatrix")
        self.pp_fig.scatter("x", "y", source=self.eq_src, size=10, fill_color="fill", line_color="black")
        self.br_src = ColumnDataSource({"i": [], "v": [], "color": []}, name="branch")
        self.cy_src = ColumnDataSource({"i": [], "lo": [], "hi": [], "color": []})
        self.hopf_src = ColumnDataSource({"i": [], "v": []}, name="hopf")
        fb = figure(height=380, width=460, title="bifurcation diagram (V of equilibria and cycle extrema)",
                    x_axis_label="I (µA/cm²)", y_axis_label="V (mV)")
        fb.scatter("i", "v", source=self.br_src, color="color", size=3)
        fb.scatter("i", "lo", source=self.cy_src, color="color", size=3, marker="triangle")
        fb.scatter("i", "hi", source=self.cy_src, color="color", size=3, marker="inverted_triangle")
        fb.scatter("i", "v", source=self.hopf_src, color="#c0392b", size=10, marker="star", legend_label="Hopf")
        self.layout = pn.Column(
            pn.pane.HTML("hhsim.dynamics on the model set on the left (black: stable, grey: unstable), "
                         "in a worker process."),
            pn.Row(self.pp_vars, self.pp_i, self.pp_run), pn.Row(self.bf_from, self.bf_to, self.bf_run),
            pn.Row(cancel, bar), status, self.pp_result,
            pn.Row(pn.pane.Bokeh(self.pp_fig), pn.pane.Bokeh(fb)), sizing_mode="stretch_width")
        return self.layout

    def run_phase_plane(self, event=None):
        if self.pp_i.value is None:
            self._error("phase plane: the injected current needs a number")
            return
        self.page.jobs.start([Task("phase plane", ex.phase_plane_data, (self.page.state,),
                                   {"vars": self.pp_vars.value.strip() or None, "i_app": self.pp_i.value})],
                             self.job_kind)

    def run_bifurcation(self, event=None):
        if self.bf_from.value is None or self.bf_to.value is None:
            self._error("bifurcation diagram: the current range needs numbers")
            return
        self.page.jobs.start([Task("bifurcation", ex.bifurcation_data, (self.page.state,),
                                   {"i_from": self.bf_from.value, "i_to": self.bf_to.value})], self.job_kind)

    def show_result(self, label, d):
        if label == "phase plane":
            self._show_phase_plane(d)
        else:
            self._show_bifurcation(d)

    def _show_phase_plane(self, d):
        self.ncx_src.data = {"xs": [ln[:, 0] for ln in d["nullcline_x"]], "ys": [ln[:, 1] for ln in d["nullcline_x"]]}
        self.ncy_src.data = {"xs": [ln[:, 0] for ln in d["nullcline_y"]], "ys": [ln[:, 1] for ln in d["nullcline_y"]]}
        eq = d["equilibria"]
        self.eq_src.data = {"x": [e["x"] for e in eq], "y": [e["y"] for e in eq],
                            "fill": ["black" if e["stable"] else "white" for e in eq], "label": [e["type"] for e in eq]}
        sep = d["separatrix"]
        self.sep_src.data = {"x": [] if sep is None else sep[:, 0], "y": [] if sep is None else sep[:, 1]}
        self.pp_fig.x_range.start, self.pp_fig.x_range.end = d["x_range"]
        self.pp_fig.y_range.start, self.pp_fig.y_range.end = d["y_range"]
        self.pp_fig.xaxis.axis_label, self.pp_fig.yaxis.axis_label = d["x_label"], d["y_label"]
        kinds = ", ".join(f"{e['type']} at ({e['x']:.4g}, {e['y']:.4g})" for e in eq) or "none in view"
        self.pp_result.object = (f"<span class='hh-pp-done'>equilibria: {html.escape(kinds)}</span>"
                                 f"<pre class='hh-code'>{html.escape(d['command'])}</pre>")

    def _show_bifurcation(self, d):
        eq = d["equilibria"]
        self.br_src.data = {"i": [e["I_uA_cm2"] for e in eq], "v": [e["V_mV"] for e in eq],
                            "color": ["black" if e["stable"] else "#aaaaaa" for e in eq]}
        cy = d["cycles"]
        self.cy_src.data = {"i": [c[0] for c in cy], "lo": [c[1] for c in cy], "hi": [c[2] for c in cy],
                            "color": ["#1f4e9c" if c[3] else "#9db3d9" for c in cy]}
        self.hopf_src.data = {"i": [h["I_uA_cm2"] for h in d["hopf"]], "v": [float(h["V_mV"]) for h in d["hopf"]]}
        hopf = ", ".join(f"{h['I_uA_cm2']:.4g} µA/cm² ({h.get('kind', '')})" for h in d["hopf"]) or "none"
        self.pp_result.object = (f"<span class='hh-bf-done'>Hopf points: {html.escape(hopf)}</span>"
                                 f"<pre class='hh-code'>{html.escape(d['command'])}</pre>")
