"""The voltage-clamp tab: a family of command steps, the I-V curves and the
steady-state activation and inactivation, as Hodgkin and Huxley measured them."""

from __future__ import annotations

import html

import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource
from bokeh.palettes import Category10_10, Viridis256
from bokeh.plotting import figure

from ...errors import HHSimError
from .. import experiments as ex
from ..handlers import locked
from .base import WorkTab


class ClampTab(WorkTab):
    title = "Voltage clamp"

    def build(self):
        self.vc_hold = pn.widgets.FloatInput(name="hold (mV, empty = rest)", value=None, width=150)
        self.vc_from = pn.widgets.FloatInput(name="steps from (mV)", value=-100.0, width=130)
        self.vc_to = pn.widgets.FloatInput(name="to (mV)", value=60.0, width=110)
        self.vc_step = pn.widgets.FloatInput(name="every (mV)", value=10.0, width=110)
        self.vc_dur = pn.widgets.FloatInput(name="duration (ms)", value=30.0, width=120)
        self.vc_run = pn.widgets.Button(name="Run clamp family", button_type="primary", css_classes=["hh-vc-run"])
        self.vc_run.on_click(locked(self.run_clamp))
        self.vc_status = pn.pane.HTML("", sizing_mode="stretch_width")
        self.vc_family_src = ColumnDataSource({"xs": [], "ys": [], "color": [], "label": []}, name="vc_family")
        self.vc_iv_src = ColumnDataSource({"v": [], "peak": [], "steady": []}, name="vc_iv")
        self.vc_act_src = ColumnDataSource({"v": [], "y": [], "label": [], "color": []})
        ff = figure(height=300, sizing_mode="stretch_width", title="clamp current family",
                    x_axis_label="t (ms)", y_axis_label="I ionic (µA/cm²)")
        ff.multi_line("xs", "ys", source=self.vc_family_src, color="color")
        fi = figure(height=300, width=420, title="I-V", x_axis_label="V (mV)", y_axis_label="I (µA/cm²)")
        fi.line("v", "peak", source=self.vc_iv_src, legend_label="peak inward", color="#c0392b")
        fi.scatter("v", "peak", source=self.vc_iv_src, color="#c0392b")
        fi.line("v", "steady", source=self.vc_iv_src, legend_label="steady state", color="#1f4e9c")
        fi.scatter("v", "steady", source=self.vc_iv_src, color="#1f4e9c")
        fi.legend.location = "top_left"
        fa = figure(height=300, width=420, title="activation and inactivation (steady state)",
                    x_axis_label="V (mV)", y_axis_label="fraction (1)")
        fa.scatter("v", "y", source=self.vc_act_src, color="color", legend_field="label")
        fa.legend.location = "center_right"
        self.vc_cmd = pn.pane.HTML("", sizing_mode="stretch_width")
        self.layout = pn.Column(
            pn.pane.HTML("Ideal voltage clamp (gates relax exactly at each command), as "
                         "Hodgkin and Huxley did it; the model is the one set on the left."),
            pn.Row(self.vc_hold, self.vc_from, self.vc_to, self.vc_step, self.vc_dur), self.vc_run, self.vc_status,
            pn.pane.Bokeh(ff, sizing_mode="stretch_width"), pn.Row(pn.pane.Bokeh(fi), pn.pane.Bokeh(fa)),
            self.vc_cmd, sizing_mode="stretch_width")
        return self.layout

    def run_clamp(self, event=None):
        vals = [self.vc_from.value, self.vc_to.value, self.vc_step.value, self.vc_dur.value]
        if any(v is None for v in vals):
            self._error("voltage clamp: steps from, to, every and duration need numbers")
            return
        try:
            c = ex.clamp_family(self.page.state, hold=self.vc_hold.value, v_from=vals[0], v_to=vals[1],
                                v_step=vals[2], dur=vals[3])
        except HHSimError as exc:
            self.page._show_error(exc)
            return
        self.page.message.visible = False
        n = len(c["steps_mV"])
        colors = [Viridis256[int(k * 255 / max(1, n - 1))] for k in range(n)]
        self.vc_family_src.data = {"xs": [c["t_ms"]] * n, "ys": list(c["i_total_uA_cm2"]), "color": colors,
                                   "label": [f"{v:g} mV" for v in c["steps_mV"]]}
        self.vc_iv_src.data = {"v": c["steps_mV"], "peak": c["peak_inward_uA_cm2"], "steady": c["steady_state_uA_cm2"]}
        vs, ys, labels, cols = [], [], [], []
        for k, (name, vals_) in enumerate(list(c["activation"].items()) + list(c["inactivation"].items())):
            kind = "activation" if k < len(c["activation"]) else "inactivation"
            x = c["steps_mV"] if kind == "activation" else c["inactivation_prepulses_mV"]
            vs += list(x)
            ys += list(vals_)
            labels += [f"{name} {kind}"] * len(x)
            cols += [Category10_10[k % 10]] * len(x)
        self.vc_act_src.data = {"v": vs, "y": ys, "label": labels, "color": cols}
        peak = np.asarray(c["peak_inward_uA_cm2"], dtype=float)
        best = f"{c['steps_mV'][int(np.nanargmin(peak))]:g} mV: {np.nanmin(peak):.1f} µA/cm²" \
            if np.isfinite(peak).any() else "none"
        self.vc_status.object = (f"<span class='hh-vc-done'>{n} steps</span>, hold {c['hold_mV']:.2f} mV; "
                                 f"largest peak inward current at {best}")
        self.vc_cmd.object = f"<pre class='hh-code'>{html.escape(c['command'])}</pre>"
        self.last_clamp = c
