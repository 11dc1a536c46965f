"""The network tab: a preset network of :mod:`hhsim.network`, run in the
background job and drawn as a spike raster with each population's rate."""

from __future__ import annotations

import html

import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource
from bokeh.palettes import Category10_10
from bokeh.plotting import figure

from .. import experiments as ex
from ..handlers import locked
from ..jobs import Task
from .base import WorkTab


class NetworkTab(WorkTab):
    title = "Network"
    needs = "network"
    job_kind = "network"

    def build(self):
        from ...network import presets

        self.nw_preset = pn.widgets.Select(name="preset network", options=list(presets.PRESETS),
                                           value="wang_buzsaki_gamma", width=200, css_classes=["hh-nw-preset"])
        self.nw_tstop = pn.widgets.FloatInput(name="t_stop (ms)", value=300.0, width=110, css_classes=["hh-nw-tstop"])
        self.nw_seed = pn.widgets.IntInput(name="seed", value=1, width=90)
        self.nw_run = pn.widgets.Button(name="Run the network", button_type="primary", css_classes=["hh-nw-run"])
        self.nw_run.on_click(locked(self.run_network))
        bar, status, cancel = self.page.jobs.widgets(self.job_kind, "hh-nw-cancel")
        self.nw_result = pn.pane.HTML("", sizing_mode="stretch_width")
        self.raster_src = ColumnDataSource({"t": [], "n": [], "color": []}, name="raster")
        fr = figure(height=360, sizing_mode="stretch_width", title="spike raster", x_axis_label="t (ms)",
                    y_axis_label="neuron (populations stacked)")
        fr.scatter("t", "n", source=self.raster_src, marker="dash", angle=1.5708, size=5, color="color")
        self.layout = pn.Column(
            pn.pane.HTML("A preset network of hhsim.network (its own cells and synapses), in a worker process."),
            pn.Row(self.nw_preset, self.nw_tstop, self.nw_seed), pn.Row(self.nw_run, cancel, bar), status,
            self.nw_result, pn.pane.Bokeh(fr, sizing_mode="stretch_width"), sizing_mode="stretch_width")
        return self.layout

    def run_network(self, event=None):
        if self.nw_tstop.value is None or self.nw_seed.value is None:
            self._error("network: t_stop and seed need numbers")
            return
        self.page.jobs.start([Task("network", ex.network_raster, (self.nw_preset.value,),
                                   {"t_stop": self.nw_tstop.value, "seed": self.nw_seed.value})], self.job_kind)

    def show_result(self, label, d):
        ts, ns, cols, offset, rows = [], [], [], 0, []
        for k, (pop, (idx, t)) in enumerate(d["spikes"].items()):
            ts.append(t)
            ns.append(idx + offset)
            cols += [Category10_10[k % 10]] * len(t)
            rows.append(f"{html.escape(pop)}: {d['sizes'][pop]} neurons, {d['rates_hz'][pop]:.2f} Hz")
            offset += d["sizes"][pop]
        self.raster_src.data = {"t": np.concatenate(ts) if ts else [], "n": np.concatenate(ns) if ns else [],
                                "color": cols}
        self.nw_result.object = ("<span class='hh-nw-done'>" + "; ".join(rows) + "</span>"
                                 f"<pre class='hh-code'>{html.escape(d['command'])}</pre>")
