"""The protocols tab: rheobase, threshold, the f-I curve and the refractory
periods of the page's model, computed in the background job."""

from __future__ import annotations

import html

import panel as pn
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure

from ...errors import HHSimError
from .. import experiments as ex
from ..handlers import locked
from ..jobs import Task
from .base import WorkTab


class ProtocolTab(WorkTab):
    title = "Protocols"
    job_kind = "protocols"

    def build(self):
        self.pr_which = pn.widgets.CheckBoxGroup(name="protocols", value=["rheobase", "threshold"],
                                                 options={"rheobase (200 ms step)": "rheobase",
                                                          "threshold (1 ms pulse)": "threshold",
                                                          "f-I curve": "fi", "refractory periods": "refractory"},
                                                 inline=True)
        self.fi_min = pn.widgets.FloatInput(name="f-I from (µA/cm²)", value=0.0, width=140)
        self.fi_max = pn.widgets.FloatInput(name="to (µA/cm²)", value=20.0, width=120)
        self.fi_n = pn.widgets.IntInput(name="points", value=21, width=90, css_classes=["hh-fi-n"])
        self.fi_dur = pn.widgets.FloatInput(name="step (ms)", value=500.0, width=100)
        self.pr_run = pn.widgets.Button(name="Run in the background", button_type="primary", css_classes=["hh-pr-run"])
        self.pr_run.on_click(locked(self.run_protocols))
        self.pr_progress, self.pr_status, self.pr_cancel = self.page.jobs.widgets(self.job_kind, "hh-pr-cancel")
        self.pr_results = pn.pane.HTML("", sizing_mode="stretch_width")
        self.fi_src = ColumnDataSource({"i": [], "rest": [], "up": [], "down": []})
        self.rf_src = ColumnDataSource({"t": [], "r": []})
        ff = figure(height=280, width=440, title="f-I", x_axis_label="I (µA/cm²)", y_axis_label="rate (Hz)")
        ff.line("i", "rest", source=self.fi_src, legend_label="from rest", color="black")
        ff.scatter("i", "up", source=self.fi_src, legend_label="up sweep", color="#c0392b", marker="triangle")
        ff.scatter("i", "down", source=self.fi_src, legend_label="down sweep", color="#1f4e9c", marker="inverted_triangle")
        ff.legend.location = "top_left"
        fr = figure(height=280, width=440, title="refractory: threshold of a second pulse",
                    x_axis_label="interval (ms)", y_axis_label="threshold / single-pulse threshold")
        fr.line("t", "r", source=self.rf_src)
        fr.scatter("t", "r", source=self.rf_src)
        self.layout = pn.Column(
            pn.pane.HTML("Classic protocols on the model set on the left, computed in a worker process."),
            self.pr_which, pn.Row(self.fi_min, self.fi_max, self.fi_n, self.fi_dur),
            pn.Row(self.pr_run, self.pr_cancel, self.pr_progress), self.pr_status, self.pr_results,
            pn.Row(pn.pane.Bokeh(ff), pn.pane.Bokeh(fr)), sizing_mode="stretch_width")
        self._protocol_rows = []
        return self.layout

    def run_protocols(self, event=None):
        if self.page.jobs.busy:
            self._error("a background job is already running; cancel it first")
            return
        fi = dict(fi_i_min=self.fi_min.value, fi_i_max=self.fi_max.value, fi_n=self.fi_n.value, fi_dur=self.fi_dur.value)
        try:
            if any(v is None for v in fi.values()):
                raise HHSimError("f-I settings need numbers")
            ex.check_protocols(self.pr_which.value, **fi)
            self.page.state.build_model()
        except HHSimError as exc:
            self.page._show_error(exc)
            return
        tasks = [Task(name, ex.run_protocol, (self.page.state, name), fi) for name in self.pr_which.value]
        self._protocol_rows = []
        self.pr_results.object = ""
        self.page.jobs.start(tasks, self.job_kind)

    def show_result(self, label, data):
        s = data["summary"]
        if label == "fi":
            self.fi_src.data = {"i": data["currents_uA_cm2"], "rest": data["rates_hz"],
                                "up": data["rates_up_hz"], "down": data["rates_down_hz"]}
            value = f"onset from rest {s.get('onset_rest_uA_cm2')} µA/cm², up sweep {s.get('onset_up_uA_cm2')}, " \
                    f"down sweep stops below {s.get('offset_down_uA_cm2')}"
        elif label == "refractory":
            self.rf_src.data = {"t": data["intervals_ms"], "r": data["threshold_ratio"]}
            value = f"absolute {s.get('absolute_ms')} ms, relative {s.get('relative_ms')} ms"
        else:
            key = "rheobase_uA_cm2" if label == "rheobase" else "threshold_uA_cm2"
            value = f"<span class='hh-{label}'>{s[key]:.4f}</span> µA/cm²"
        self._protocol_rows.append(f"<tr><td><b>{label}</b></td><td>{value}</td>"
                                   f"<td><code>{html.escape(data['command'])}</code></td></tr>")
        self.pr_results.object = "<table style='font-family:sans-serif;font-size:13px'>" + "".join(self._protocol_rows) + "</table>"
