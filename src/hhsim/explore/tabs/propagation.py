"""The propagation tab: an unbranched cable of the page's model, kicked at one
end, drawn as V(x, t) with its first 0 mV crossings and the velocity."""

from __future__ import annotations

import html

import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource, LinearColorMapper
from bokeh.palettes import Viridis256
from bokeh.plotting import figure

from .. import experiments as ex
from ..handlers import locked
from ..jobs import Task
from .base import WorkTab


def cable_task(state, length_cm, diam_um, ri_ohm_cm, t_stop):
    """The propagation run in the worker, without the (large) result object.

    ``length_cm`` (cm), ``diam_um`` (µm), ``ri_ohm_cm`` axial resistivity
    (Ω·cm), ``t_stop`` (ms).
    """
    d = ex.propagation(state, length_cm=length_cm, diam_um=diam_um, ri_ohm_cm=ri_ohm_cm, t_stop=t_stop)
    d.pop("result", None)
    return d


class PropagationTab(WorkTab):
    title = "Propagation"
    job_kind = "cable"

    def build(self):
        self.cb_length = pn.widgets.FloatInput(name="length (cm)", value=2.0, width=110)
        self.cb_diam = pn.widgets.FloatInput(name="diameter (µm)", value=476.0, width=120)
        self.cb_ri = pn.widgets.FloatInput(name="axial resistivity (Ω·cm)", value=35.4, width=170)
        self.cb_tstop = pn.widgets.FloatInput(name="t_stop (ms)", value=10.0, width=110)
        self.cb_run = pn.widgets.Button(name="Run the cable", button_type="primary", css_classes=["hh-cb-run"])
        self.cb_run.on_click(locked(self.run_cable))
        self.cb_progress, self.cb_status, self.cb_cancel = self.page.jobs.widgets(self.job_kind)
        self.cb_result = pn.pane.HTML("", sizing_mode="stretch_width")
        self.kymo_src = ColumnDataSource({"image": [], "x": [], "y": [], "dw": [], "dh": []}, name="kymograph")
        self.cross_src = ColumnDataSource({"t": [], "x": []})
        fk = figure(height=340, sizing_mode="stretch_width", title="V(x, t): the spike travelling (line: 0 mV crossings)",
                    x_axis_label="t (ms)", y_axis_label="x (µm)")
        fk.image(image="image", x="x", y="y", dw="dw", dh="dh", source=self.kymo_src,
                 color_mapper=LinearColorMapper(palette=Viridis256, low=-80, high=50))
        fk.line("t", "x", source=self.cross_src, color="white", line_width=1.5)
        self.layout = pn.Column(
            pn.pane.HTML("An unbranched cable of the model set on the left, kicked at x = 0 "
                         "(Crank-Nicolson, the d_lambda rule), in a worker process."),
            pn.Row(self.cb_length, self.cb_diam, self.cb_ri, self.cb_tstop),
            pn.Row(self.cb_run, self.cb_cancel, self.cb_progress), self.cb_status, self.cb_result,
            pn.pane.Bokeh(fk, sizing_mode="stretch_width"), sizing_mode="stretch_width")
        return self.layout

    def run_cable(self, event=None):
        if self.page.jobs.busy:
            self._error("a background job is already running; cancel it first")
            return
        vals = [self.cb_length.value, self.cb_diam.value, self.cb_ri.value, self.cb_tstop.value]
        if any(v is None for v in vals):
            self._error("cable: length, diameter, resistivity and t_stop need numbers")
            return
        self.page.jobs.start([Task("cable", cable_task, (self.page.state, *vals))], self.job_kind)

    def show_result(self, label, d):
        v = np.asarray(d["v_mV"])
        x, t = np.asarray(d["x_um"]), np.asarray(d["t_ms"])
        self.kymo_src.data = {"image": [v.T], "x": [t[0]], "y": [x[0]], "dw": [t[-1] - t[0]], "dh": [x[-1] - x[0]]}
        fc = np.asarray(d["first_crossing_ms"])
        ok = np.isfinite(fc)
        self.cross_src.data = {"t": fc[ok], "x": np.asarray(d["node_x_um"])[ok]}
        cmd = d["command"] or "(drugs or custom channels: use the Python API, hhsim.cable.simulate_cable)"
        self.cb_result.object = (f"velocity <span class='hh-velocity'>{html.escape(ex.velocity_text(d['velocity_m_s']))}</span>, "
                                 f"{d['n_compartments']} compartments, propagated: {d['propagated']}"
                                 f"<pre class='hh-code'>{html.escape(cmd)}</pre>")
