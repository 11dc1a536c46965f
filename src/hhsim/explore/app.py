"""The explorer page (Panel and Bokeh): controls -> :class:`ExplorerState` -> plots.

Only the page lives here; what is simulated and how it is checked is in
:mod:`hhsim.explore.state` and :mod:`hhsim.explore.experiments`.  Every
control change rebuilds the state, recomputes the traces and pushes new data
into the Bokeh sources; a bad value shows its one-line message at the top of
the page and leaves the last good plots in place.  Long work (protocols,
propagation) runs in a worker process (:mod:`hhsim.explore.jobs`) with a
progress bar and a cancel button.

Nothing is loaded from outside the machine: no template (the Panel templates
pull web fonts), no icons; Bokeh's and Panel's scripts come from the local
server, or inline in a notebook.
"""

from __future__ import annotations

import html
import io
import importlib.util
import math
from dataclasses import replace

import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource, HoverTool, LinearColorMapper, Span
from bokeh.palettes import Category10_10, Viridis256
from bokeh.plotting import figure

from .. import models as _models
from ..errors import HHSimError
from ..stimspec import KINDS
from . import experiments as ex
from .jobs import BackgroundJob, Task
from .state import ExplorerState, StimulusPart, compute, next_peak, parameter_groups, rate_curves, read_at, traces_csv, traces_png

#: Starting keyword values of each stimulus kind in the editor (µA/cm², ms, Hz).
STIM_DEFAULTS = {
    "step": {"amp": 10.0, "start": 10.0, "dur": 30.0},
    "pulses": {"amp": 20.0, "start": 5.0, "dur": 0.5, "period": 10.0, "count": 5},
    "ramp": {"start": 10.0, "dur": 80.0, "amp0": 0.0, "amp1": 15.0},
    "sine": {"amp": 5.0, "freq": 50.0, "start": 10.0, "dur": 80.0, "offset": 5.0},
    "noise": {"mean": 5.0, "std": 3.0, "tau": 2.0, "seed": 1, "start": 0.0, "dur": 100.0},
}
STIM_UNITS = {"amp": "µA/cm²", "amp0": "µA/cm²", "amp1": "µA/cm²", "mean": "µA/cm²", "std": "µA/cm²",
              "offset": "µA/cm²", "start": "ms", "dur": "ms", "period": "ms", "tau": "ms", "freq": "Hz",
              "count": "", "seed": ""}
METHODS = ["default (dopri5)", "dopri5", "rk4", "expeuler", "euler", "lsoda"]
CSS = """
.hh-msg { color: #8a1010; background: #fde8e8; border: 1px solid #e4a0a0; padding: 6px 10px;
          border-radius: 4px; font-family: sans-serif; }
.hh-summary { font-family: sans-serif; font-size: 14px; }
pre.hh-code { background: #f4f4f4; padding: 8px; white-space: pre-wrap; word-break: break-all; }
"""
_UNIT_LABEL = {"uF/cm2": "µF/cm²", "mS/cm2": "mS/cm²", "degC": "°C", "um": "µm", "1": ""}


def _label(p) -> str:
    unit = _UNIT_LABEL.get(p.unit, p.unit)
    return f"{p.name} ({unit})" if unit else p.name


def _slider_range(p) -> tuple[float, float, float]:
    """Start, end, step of a parameter's slider (the typed box accepts any value)."""
    x = p.value
    if p.name == "temperature":
        return 0.0, 45.0, 0.1
    if p.name.endswith(".q10"):
        return 1.0, 5.0, 0.01
    if p.unit == "mV":
        return x - 60.0, x + 60.0, 0.5
    if x > 0:
        top = 3.0 * x
        return 0.0, top, float(f"{top / 300:.2g}")
    return 0.0, 1.0, 0.01


class Explorer:
    """One page: its controls, plots and tabs (one per browser session or notebook cell)."""

    def __init__(self, state: ExplorerState | None = None):
        pn.extension(raw_css=[CSS], inline=True)
        links_before = _link_sources()
        self.state = state or ExplorerState()
        self.traces = None
        self.job = None
        self._job_kind = None
        self._job_ui = {}
        self._poller = None
        self._syncing = False
        self.message = pn.pane.HTML("", visible=False, sizing_mode="stretch_width")
        self.summary = pn.pane.HTML("", sizing_mode="stretch_width")
        self._build_controls()
        self._build_trace_view()
        self._build_rates_view()
        self._build_code_view()
        # The work tabs are built when first shown (or first used from Python): a page
        # load then makes only the Bokeh models it shows, about half of the whole page.
        self._deferred = {}
        tabs = [("Trace", self.trace_view), ("Rates", self.rates_view)]
        work = [("Voltage clamp", self._build_clamp_tab, "clamp_tab"),
                ("Protocols", self._build_protocol_tab, "protocol_tab"),
                ("Propagation", self._build_cable_tab, "cable_tab")]
        # the network and dynamics tabs appear where those sub-packages are installed
        self.missing_tabs = [n for n in ("network", "dynamics") if importlib.util.find_spec(f"hhsim.{n}") is None]
        if "network" not in self.missing_tabs:
            work.append(("Network", self._build_network_tab, "network_tab"))
        if "dynamics" not in self.missing_tabs:
            work.append(("Phase plane", self._build_dynamics_tab, "dynamics_tab"))
        for name, builder, attr in work:
            holder = pn.Column(sizing_mode="stretch_width")
            self._deferred[name] = (builder, attr, holder)
            tabs.append((name, holder))
        tabs.append(("Code", self.code_view))
        self.tab_names = [name for name, _ in tabs]
        self.tabs = pn.Tabs(*tabs, dynamic=True, sizing_mode="stretch_width")
        self.tabs.param.watch(self._tab_changed, "active")
        self.layout = pn.Row(
            pn.Column(pn.pane.HTML("<h2 style='font-family:sans-serif;margin:4px 0'>hhsim explorer</h2>"),
                      *self.sidebar, width=360, scroll=True, height=1000),
            pn.Column(self.message, self.summary, self.tabs, sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )
        self.update()
        self._links = _new_links(links_before)

    def _build_tab(self, name: str) -> None:
        """Build the deferred tab ``name`` now (nothing if it is built already)."""
        entry = self.__dict__.get("_deferred", {}).pop(name, None)
        if entry is None:
            return
        builder, attr, holder = entry
        before = _link_sources()
        builder()
        holder.objects = [getattr(self, attr)]
        self._links += _new_links(before)

    def __getattr__(self, name):
        # a widget of a tab not built yet (a script or test calling run_clamp() first)
        deferred = self.__dict__.get("_deferred")
        if deferred and "_links" in self.__dict__:
            for tab in list(deferred):
                self._build_tab(tab)
            return getattr(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @staticmethod
    def _locked(fn):
        """A button handler that runs on the server's next tick, under the document lock.

        Panel handles clicks in a coroutine without the lock, and the handlers here
        change Bokeh sources directly (faster than going through Panel objects).
        """
        def handler(event=None):
            doc = pn.state.curdoc
            if doc is not None and getattr(doc, "session_context", None) is not None:
                doc.add_next_tick_callback(lambda: fn(event))
            else:  # a notebook, or a test calling the handler directly
                fn(event)
        return handler

    # ============================================================ controls
    def _build_controls(self):
        self.model_select = pn.widgets.Select(name="Model", options=_models.names(), value=self.state.model,
                                              css_classes=["hh-model"])
        self.channel_path = pn.widgets.TextInput(name="Custom channel (TOML file path, optional)",
                                                 value=", ".join(self.state.channel_files), css_classes=["hh-channel"])
        self.model_select.param.watch(self._model_changed, "value")
        self.channel_path.param.watch(self._model_changed, "value")
        self.ttx = pn.widgets.FloatInput(name="TTX (nM)", value=0.0, start=0.0, step=1.0, width=160, css_classes=["hh-ttx"])
        self.tea = pn.widgets.FloatInput(name="TEA (mM)", value=0.0, start=0.0, step=0.1, width=160, css_classes=["hh-tea"])
        self.pronase = pn.widgets.Checkbox(name="pronase (removes Na inactivation)", value=False)
        for w in (self.ttx, self.tea, self.pronase):
            w.param.watch(self._changed, "value")
        self.stim_editors = [self._stim_editor(p) for p in
                             (list(self.state.stimuli) + [None, None])[:2]]
        self.t_stop = pn.widgets.FloatInput(name="t_stop (ms)", value=self.state.t_stop, step=10.0,
                                            css_classes=["hh-tstop"])
        self.method = pn.widgets.Select(name="Method", options=METHODS, width=160,
                                        value=self.state.method or METHODS[0])
        self.dt = pn.widgets.FloatInput(name="dt (ms; empty: default)", value=self.state.dt, step=0.005,
                                     width=160)
        for w in (self.t_stop, self.method, self.dt):
            w.param.watch(self._changed, "value")
        self.param_box = pn.Column(sizing_mode="stretch_width")
        self.param_widgets = {}
        self._build_param_widgets()
        self.session_save = pn.widgets.FileDownload(callback=self._session_file, filename="hhsim_session.json",
                                                    label="Save session", button_type="default")
        self.session_load = pn.widgets.FileInput(accept=".json", name="Load session")
        self.session_load.param.watch(self._session_loaded, "value")
        self.sidebar = [
            self.model_select, self.channel_path,
            pn.pane.HTML("<b>Drugs</b>"), pn.Row(self.ttx, self.tea), self.pronase,
            pn.pane.HTML("<b>Stimulus</b> (they add up)"), *[e["box"] for e in self.stim_editors],
            pn.pane.HTML("<b>Run</b>"), self.t_stop, pn.Row(self.method, self.dt),
            pn.pane.HTML("<b>Parameters</b> (slider, or type any value)"), self.param_box,
            pn.pane.HTML("<b>Session</b>"), self.session_save, self.session_load,
        ]

    def _stim_editor(self, part: StimulusPart | None) -> dict:
        kinds = ["none", *STIM_DEFAULTS]
        kind = pn.widgets.Select(name="Stimulus kind", options=kinds, value=part.kind if part else "none",
                                 css_classes=["hh-stim-kind"])
        fields = pn.Column(sizing_mode="stretch_width")
        editor = {"kind": kind, "fields": fields, "inputs": {}, "box": pn.Column(kind, fields)}

        def rebuild(values: dict | None):
            editor["inputs"] = {}
            widgets = []
            if kind.value != "none":
                vals = dict(STIM_DEFAULTS[kind.value])
                vals.update(values or {})
                for key in KINDS[kind.value][1]:
                    unit = STIM_UNITS.get(key, "")
                    w = pn.widgets.FloatInput(name=f"{key} ({unit})" if unit else key, value=float(vals.get(key, 0.0)),
                                              width=100, css_classes=[f"hh-stim-{key}"])
                    w.param.watch(self._changed, "value")
                    editor["inputs"][key] = w
                    widgets.append(w)
            fields.objects = [pn.FlexBox(*widgets)] if widgets else []

        def kind_changed(event):
            rebuild(None)
            self._changed(event)

        kind.param.watch(kind_changed, "value")
        editor["rebuild"] = rebuild
        rebuild(dict(part.args) if part else None)
        return editor

    def _build_param_widgets(self):
        """One control per parameter, grouped by channel, with the unit in its label."""
        before = _link_sources()
        try:
            self._build_param_cards()
        finally:
            if "_links" in self.__dict__:  # a rebuild after the page was made: drop the old cards' links
                self._links += _new_links(before)

    def _build_param_cards(self):
        try:
            base = self.state.base_model()
        except HHSimError as exc:
            self._show_error(exc)
            return
        changed = dict(self.state.params)
        if self.state.temperature is not None:
            changed["temperature"] = self.state.temperature
        self.param_widgets = {}
        cards = []
        for group, params in parameter_groups(base):
            main, rates = [], []
            for p in params:
                value = changed.get(p.name, p.value)
                cls = ["hh-param", f"hh-param-{p.name.replace('.', '-')}"]
                if "." in p.name and not p.name.endswith(".q10") and p.name.count(".") >= 3:
                    w = pn.widgets.FloatInput(name=_label(p), value=value, width=150, css_classes=cls)
                    rates.append(w)
                else:
                    start, end, step = _slider_range(p)
                    w = pn.widgets.EditableFloatSlider(name=_label(p), start=min(start, value), end=max(end, value),
                                                       step=step, value=value, css_classes=cls,
                                                       sizing_mode="stretch_width")
                    main.append(w)
                w.param.watch(self._param_changed(p.name, p.value), "value")
                self.param_widgets[p.name] = w
            body = list(main)
            if rates:
                body.append(_card([pn.FlexBox(*rates)], f"{group} rate constants", collapsed=True))
            cards.append(_card(body, group, collapsed=group not in ("membrane", "Na", "K")))
        self.param_box.objects = cards

    def _param_changed(self, name: str, default: float):
        def callback(event):
            if self._syncing:
                return
            value = event.new
            if value is None:
                self._show_error(HHSimError(f"{name}: enter a number"))
                return
            if name == "temperature":
                self.state = replace(self.state, temperature=None if value == default else float(value))
            elif value == default:
                self.state = self.state.without_param(name)
            else:
                self.state = self.state.with_param(name, value)
            self.update()
        return callback

    def _model_changed(self, event):
        if self._syncing:
            return
        files = tuple(f.strip() for f in self.channel_path.value.split(",") if f.strip())
        self.state = self.state.with_model(self.model_select.value, files)
        self._syncing = True
        try:
            self.ttx.value, self.tea.value, self.pronase.value = 0.0, 0.0, False
        finally:
            self._syncing = False
        self._build_param_widgets()
        self._rebuild_trace_figures()
        self.update()

    def _changed(self, event=None):
        """A drug, stimulus or run control changed: rebuild those parts of the state."""
        if self._syncing:
            return
        drugs = []
        if self.ttx.value:
            drugs.append(f"ttx={float(self.ttx.value)!r}nM")
        if self.tea.value:
            drugs.append(f"tea={float(self.tea.value)!r}mM")
        if self.pronase.value:
            drugs.append("pronase")
        parts = []
        for e in self.stim_editors:
            if e["kind"].value == "none":
                continue
            if any(w.value is None for w in e["inputs"].values()):
                self._show_error(HHSimError(f"{e['kind'].value}: every field needs a number"))
                return
            parts.append(StimulusPart(e["kind"].value, tuple((k, w.value) for k, w in e["inputs"].items())))
        if self.t_stop.value is None:
            self._show_error(HHSimError("t_stop: enter a duration in ms"))
            return
        method = None if self.method.value == METHODS[0] else self.method.value
        self.state = replace(self.state, drugs=tuple(drugs), stimuli=tuple(parts), t_stop=float(self.t_stop.value),
                             method=method, dt=self.dt.value)
        self.update()

    # ============================================================ main trace
    def _build_trace_view(self):
        tools = "pan,xwheel_zoom,box_zoom,reset,save"
        self._trace_columns = set()
        self.v_source = ColumnDataSource({"t": [], "v": [], "i": []}, name="v_source")
        self.peak_source = ColumnDataSource({"t": [], "v": []}, name="peak_source")
        fv = figure(height=260, sizing_mode="stretch_width", tools=tools, y_axis_label="V (mV)",
                    title="membrane potential (dashed: resting potential)", name="v_figure")
        fv.line("t", "v", source=self.v_source, line_width=2, color="#1f4e9c")
        fv.scatter("t", "v", source=self.peak_source, size=7, color="#c0392b", legend_label="spike peak")
        fv.legend.location = "top_right"
        self.rest_span = Span(location=0, dimension="width", line_dash="dashed", line_color="gray")
        self.cursor_span = Span(location=0, dimension="height", line_color="#e67e22", line_width=1.5)
        fv.add_layout(self.rest_span)
        fv.add_layout(self.cursor_span)
        fv.add_tools(HoverTool(tooltips=[("t", "@t{0.000} ms"), ("V", "@v{0.00} mV")], mode="vline"))
        self.v_figure = fv
        fs = figure(height=130, sizing_mode="stretch_width", tools=tools, x_range=fv.x_range,
                    y_axis_label="I stim (µA/cm²)", x_axis_label="t (ms)")
        fs.line("t", "i", source=self.v_source, color="black")
        self.stim_figure = fs
        self.gate_pane = pn.pane.Bokeh(sizing_mode="stretch_width")
        self.current_pane = pn.pane.Bokeh(sizing_mode="stretch_width")
        self.cond_pane = pn.pane.Bokeh(sizing_mode="stretch_width")
        self.cursor_t = pn.widgets.FloatInput(name="cursor t (ms)", value=0.0, step=0.1, width=140,
                                              css_classes=["hh-cursor"])
        self.cursor_t.param.watch(lambda e: self._update_cursor(), "value")
        self.peak_button = pn.widgets.Button(name="next spike peak", css_classes=["hh-next-peak"])
        self.peak_button.on_click(self._locked(self._jump_to_peak))
        self.readout = pn.pane.HTML("", sizing_mode="stretch_width")
        self.csv_download = pn.widgets.FileDownload(callback=self._csv_file, filename="hhsim_trace.csv",
                                                    label="CSV", button_type="default", width=110)
        self.png_download = pn.widgets.FileDownload(callback=self._png_file, filename="hhsim_trace.png",
                                                    label="PNG", button_type="default", width=110)
        self._rebuild_trace_figures()
        self.trace_view = pn.Column(
            pn.pane.Bokeh(fv, sizing_mode="stretch_width"), self.gate_pane, self.current_pane, self.cond_pane,
            pn.pane.Bokeh(fs, sizing_mode="stretch_width"),
            pn.Row(self.cursor_t, self.peak_button, pn.pane.HTML("Export:"), self.csv_download, self.png_download),
            self.readout, sizing_mode="stretch_width")

    def _rebuild_trace_figures(self):
        """Gates, currents and conductances: one line per name of the current model."""
        try:
            model = self.state.build_model()
        except HHSimError:
            return
        states = model.state_names
        chans = [c.name for c in model.channels]
        x_range = self.v_figure.x_range
        tools = "pan,xwheel_zoom,box_zoom,reset,save"

        src = self.v_source  # one source for every trace: the time column is sent once

        def panel(names, prefix, ylabel, title):
            f = figure(height=170, sizing_mode="stretch_width", tools=tools, x_range=x_range,
                       y_axis_label=ylabel, title=title)
            for k, n in enumerate(names):
                f.line("t", f"{prefix}{n}", source=src, color=Category10_10[k % 10], legend_label=n, line_width=1.5)
            f.legend.location = "top_right"
            f.legend.click_policy = "hide"
            return f

        self._trace_columns = {"t", "v", "i", *(f"x_{n}" for n in states), *(f"i_{n}" for n in chans),
                               *(f"g_{n}" for n in chans)}
        fg = panel(states, "x_", "gates (1; pools mM)", "gating variables")
        fc = panel(chans, "i_", "I (µA/cm²)", "ionic currents (outward positive)")
        fk = panel(chans, "g_", "g (mS/cm²)", "conductances")
        self.gate_pane.object, self.current_pane.object, self.cond_pane.object = fg, fc, fk

    # ============================================================ rates
    def _build_rates_view(self):
        self.rate_sources = {}
        self.rates_pane = pn.Column(sizing_mode="stretch_width")
        self.rates_view = pn.Column(
            pn.pane.HTML("Rate functions of every gate at the model's temperature (Q10 included) "
                         "and resting concentrations; they follow every edit."),
            self.rates_pane, sizing_mode="stretch_width")
        self._rates_key = None

    def _update_rates(self, model):
        curves = rate_curves(model)
        key = tuple(curves)
        if key != self._rates_key:
            figs = []
            self.rate_sources = {}
            for what, ylabel in (("alpha", "α (1/ms)"), ("beta", "β (1/ms)"), ("inf", "x∞ (1)"), ("tau", "τ (ms)")):
                src = ColumnDataSource({"v": [], **{g: [] for g in curves}}, name=f"rate_{what}")
                f = figure(height=220, width=420, y_axis_label=ylabel, x_axis_label="V (mV)", title=what,
                           tools="pan,wheel_zoom,box_zoom,reset,save")
                for k, g in enumerate(curves):
                    f.line("v", g, source=src, color=Category10_10[k % 10], legend_label=g, line_width=1.5)
                f.legend.click_policy = "hide"
                self.rate_sources[what] = src
                figs.append(pn.pane.Bokeh(f))
            self.rates_pane.objects = [pn.GridBox(*figs, ncols=2)]
            self._rates_key = key
        for what, src in self.rate_sources.items():
            data = {"v": next(iter(curves.values()))["v"] if curves else []}
            for g, c in curves.items():
                data[g] = np.where(np.isfinite(c[what]), c[what], np.nan)
            src.data = data

    # ============================================================ code
    def _build_code_view(self):
        self.cli_pane = pn.pane.HTML("", sizing_mode="stretch_width")
        self.py_pane = pn.pane.HTML("", sizing_mode="stretch_width")
        self.code_view = pn.Column(pn.pane.HTML("<b>The command that reproduces this view</b>"), self.cli_pane,
                                   pn.pane.HTML("<b>The Python that reproduces it</b>"), self.py_pane,
                                   sizing_mode="stretch_width")

    # ============================================================ update
    def update(self):
        """Recompute the main view from the state (called on every control change)."""
        try:
            traces = compute(self.state)
        except HHSimError as exc:
            self._show_error(exc)
            return
        self.traces = traces
        with pn.io.hold():  # one message to the browser for the whole redraw
            self._draw(traces)

    def _draw(self, traces):
        if self.message.visible:
            self.message.visible = False
            self.message.object = ""
        r = traces.result
        data = {"t": traces.t, "v": traces.v, "i": traces.stimulus,
                **{f"x_{k}": x for k, x in traces.states.items()},
                **{f"i_{k}": x for k, x in traces.currents.items()},
                **{f"g_{k}": x for k, x in traces.conductances.items()}}
        if set(data) != self._trace_columns:  # another model: one line per gate and channel
            self._rebuild_trace_figures()
        self.v_source.data = data
        self.peak_source.data = {"t": traces.peak_t, "v": traces.peak_v}
        self.rest_span.location = traces.v_rest
        s = traces.summary
        times = ", ".join(f"{t:.2f}" for t in s["spike_times_ms"][:8]) + (" ..." if s["n_spikes"] > 8 else "")
        self.summary.object = (
            f"<div class='hh-summary'><b>{html.escape(s['model'])}</b> at {s['temperature_C']:g} °C, "
            f"{html.escape(s['method'])}, {s['t_stop_ms']:g} ms &nbsp;|&nbsp; rest "
            f"<span class='hh-rest'>{s['v_rest_mV']:.2f}</span> mV &nbsp;|&nbsp; peak {s['v_max_mV']:.2f} mV "
            f"&nbsp;|&nbsp; spikes: <span class='hh-nspikes'>{s['n_spikes']}</span>"
            + (f" at {times} ms" if s["n_spikes"] else "") + "</div>")
        if self._shown("Code"):
            self._update_code()
        if self._shown("Rates"):  # the rate curves are sent only while they are shown
            self._update_rates(r.model)
        self._update_cursor()

    def _update_code(self):
        self.cli_pane.object = f"<pre class='hh-code hh-cli'>{html.escape(self.state.cli_command())}</pre>"
        self.py_pane.object = f"<pre class='hh-code hh-python'>{html.escape(self.state.python_snippet())}</pre>"

    def _tab_changed(self, event):
        """Rates and code are sent to the page only while their tab is shown."""
        self._build_tab(self.tab_names[event.new])
        if self.traces is None:
            return
        if self.tab_names[event.new] == "Rates":
            self._update_rates(self.traces.result.model)
        elif self.tab_names[event.new] == "Code":
            self._update_code()

    def _shown(self, name: str) -> bool:
        return self.tab_names[self.tabs.active] == name

    def _show_error(self, exc: Exception):
        self.message.object = f"<div class='hh-msg'>{html.escape(' '.join(str(exc).split()))}</div>"
        self.message.visible = True

    def _update_cursor(self):
        if self.traces is None or self.cursor_t.value is None:
            return
        vals = read_at(self.traces, float(self.cursor_t.value))
        self.cursor_span.location = vals["t_ms"]
        cells = "".join(f"<td style='padding:0 8px'>{html.escape(k)}<br><b>{v:.5g}</b></td>" for k, v in vals.items())
        self.readout.object = f"<table class='hh-readout' style='font-family:sans-serif;font-size:12px'><tr>{cells}</tr></table>"

    def _jump_to_peak(self, event=None):
        if self.traces is None:
            return
        t = next_peak(self.traces, float(self.cursor_t.value or 0.0))
        if t is None:
            self._show_error(HHSimError("no spike peak in this trace"))
            return
        self.cursor_t.value = t

    # ============================================================ export and sessions
    def _csv_file(self):
        return io.StringIO(traces_csv(self.traces)) if self.traces is not None else io.StringIO("")

    def _png_file(self):
        return io.BytesIO(traces_png(self.traces)) if self.traces is not None else io.BytesIO(b"")

    def _session_file(self):
        import json

        return io.StringIO(json.dumps(self.state.to_dict(), indent=2))

    def _session_loaded(self, event):
        if not event.new:
            return
        try:
            state = ExplorerState.from_json(event.new.decode("utf-8", errors="replace"))
            state.build_model()
        except HHSimError as exc:
            self._show_error(exc)
            return
        self.set_state(state)

    def set_state(self, state: ExplorerState):
        """Show ``state``: every control is set from it, then the view is recomputed."""
        self.state = state
        self._syncing = True
        try:
            self.model_select.value = state.model
            self.channel_path.value = ", ".join(state.channel_files)
            conc = {d.split("=")[0]: d.split("=")[1] if "=" in d else None for d in state.drugs}
            self.ttx.value = float(conc["ttx"].rstrip("nM")) if conc.get("ttx") else 0.0
            self.tea.value = float(conc["tea"].rstrip("mM")) if conc.get("tea") else 0.0
            self.pronase.value = "pronase" in conc
            for e, part in zip(self.stim_editors, (list(state.stimuli) + [None, None])[:2]):
                e["kind"].value = part.kind if part else "none"
                e["rebuild"](dict(part.args) if part else None)
            self.t_stop.value = state.t_stop
            self.method.value = state.method or METHODS[0]
            self.dt.value = state.dt
        finally:
            self._syncing = False
        self._build_param_widgets()
        self._rebuild_trace_figures()
        self.update()

    # ============================================================ voltage clamp
    def _build_clamp_tab(self):
        self.vc_hold = pn.widgets.FloatInput(name="hold (mV, empty = rest)", value=None, width=150)
        self.vc_from = pn.widgets.FloatInput(name="steps from (mV)", value=-100.0, width=130)
        self.vc_to = pn.widgets.FloatInput(name="to (mV)", value=60.0, width=110)
        self.vc_step = pn.widgets.FloatInput(name="every (mV)", value=10.0, width=110)
        self.vc_dur = pn.widgets.FloatInput(name="duration (ms)", value=30.0, width=120)
        self.vc_run = pn.widgets.Button(name="Run clamp family", button_type="primary", css_classes=["hh-vc-run"])
        self.vc_run.on_click(self._locked(self.run_clamp))
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
        self.clamp_tab = pn.Column(
            pn.pane.HTML("Ideal voltage clamp (gates relax exactly at each command), as "
                         "Hodgkin and Huxley did it; the model is the one set on the left."),
            pn.Row(self.vc_hold, self.vc_from, self.vc_to, self.vc_step, self.vc_dur), self.vc_run, self.vc_status,
            pn.pane.Bokeh(ff, sizing_mode="stretch_width"), pn.Row(pn.pane.Bokeh(fi), pn.pane.Bokeh(fa)),
            self.vc_cmd, sizing_mode="stretch_width")

    def run_clamp(self, event=None):
        vals = [self.vc_from.value, self.vc_to.value, self.vc_step.value, self.vc_dur.value]
        if any(v is None for v in vals):
            self._show_error(HHSimError("voltage clamp: steps from, to, every and duration need numbers"))
            return
        try:
            c = ex.clamp_family(self.state, hold=self.vc_hold.value, v_from=vals[0], v_to=vals[1],
                                v_step=vals[2], dur=vals[3])
        except HHSimError as exc:
            self._show_error(exc)
            return
        self.message.visible = False
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

    # ============================================================ protocols
    def _build_protocol_tab(self):
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
        self.pr_run.on_click(self._locked(self.run_protocols))
        self.pr_progress, self.pr_status, self.pr_cancel = self._job_widgets("protocols", "hh-pr-cancel")
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
        self.protocol_tab = pn.Column(
            pn.pane.HTML("Classic protocols on the model set on the left, computed in a worker process."),
            self.pr_which, pn.Row(self.fi_min, self.fi_max, self.fi_n, self.fi_dur),
            pn.Row(self.pr_run, self.pr_cancel, self.pr_progress), self.pr_status, self.pr_results,
            pn.Row(pn.pane.Bokeh(ff), pn.pane.Bokeh(fr)), sizing_mode="stretch_width")
        self._protocol_rows = []

    def run_protocols(self, event=None):
        if self.job is not None and not self.job.finished:
            self._show_error(HHSimError("a background job is already running; cancel it first"))
            return
        fi = dict(fi_i_min=self.fi_min.value, fi_i_max=self.fi_max.value, fi_n=self.fi_n.value, fi_dur=self.fi_dur.value)
        try:
            if any(v is None for v in fi.values()):
                raise HHSimError("f-I settings need numbers")
            ex.check_protocols(self.pr_which.value, **fi)
            self.state.build_model()
        except HHSimError as exc:
            self._show_error(exc)
            return
        tasks = [Task(name, ex.run_protocol, (self.state, name), fi) for name in self.pr_which.value]
        self._protocol_rows = []
        self.pr_results.object = ""
        self._start_job(tasks, "protocols")

    def _job_widgets(self, name: str, cancel_css: str = ""):
        """Progress bar, status line and cancel button of one kind of background job."""
        cancel = pn.widgets.Button(name="Cancel", button_type="warning", disabled=True,
                                   css_classes=[cancel_css] if cancel_css else [])
        cancel.on_click(self._locked(self.cancel_job))
        bar = pn.indicators.Progress(value=0, max=100, width=300, active=False)
        status = pn.pane.HTML("", sizing_mode="stretch_width")
        self._job_ui[name] = (bar, status, cancel)
        return bar, status, cancel

    def _start_job(self, tasks, kind):
        if self.job is not None and not self.job.finished:
            self._show_error(HHSimError("a background job is already running; cancel it first"))
            return
        self.message.visible = False
        self.job = BackgroundJob(tasks).start()
        self._job_kind = kind
        for name, (_, _, cancel) in self._job_ui.items():
            cancel.disabled = name != kind
        bar = self._job_ui[kind][0]
        bar.value, bar.active = 0, True
        self._set_status(kind, f"starting the worker ({len(tasks)} task{'s' if len(tasks) > 1 else ''}) ...")
        self._poller = pn.state.add_periodic_callback(self._poll_job, period=150)

    def _set_status(self, kind, text):
        self._job_ui[kind][1].object = f"<span class='hh-job-status'>{html.escape(text)}</span>"

    def _poll_job(self):
        job, kind = self.job, self._job_kind
        if job is None:
            return
        bar = self._job_ui[kind][0]
        for ev, i, label, payload in job.poll():
            if ev == "start":
                self._set_status(kind, f"running {label} ({i + 1} of {job.n_tasks}), {job.elapsed:.1f} s")
            elif ev == "result":
                self._show_job_result(kind, label, payload)
            elif ev in ("error", "timeout"):
                self._show_error(HHSimError(f"{label}: {payload}" if label else payload))
        bar.value = int(100 * job.done / max(1, job.n_tasks))
        if job.finished:
            self._end_job(f"{job.state}: {job.done} of {job.n_tasks} done in {job.elapsed:.1f} s")

    def _end_job(self, text):
        if self._poller is not None:
            self._poller.stop()
            self._poller = None
        kind = self._job_kind
        self._job_ui[kind][0].active = False
        for _, _, cancel in self._job_ui.values():
            cancel.disabled = True
        self._set_status(kind, text)

    def cancel_job(self, event=None):
        if self.job is not None and not self.job.finished:
            self.job.cancel()
            self._end_job(f"cancelled after {self.job.elapsed:.1f} s ({self.job.done} of {self.job.n_tasks} done)")

    def _show_job_result(self, kind, label, data):
        if kind != "protocols":
            {"cable": self._show_cable, "network": self._show_network,
             "phase plane": self._show_phase_plane, "bifurcation": self._show_bifurcation}[label](data)
            return
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

    # ============================================================ propagation
    def _build_cable_tab(self):
        self.cb_length = pn.widgets.FloatInput(name="length (cm)", value=2.0, width=110)
        self.cb_diam = pn.widgets.FloatInput(name="diameter (µm)", value=476.0, width=120)
        self.cb_ri = pn.widgets.FloatInput(name="axial resistivity (Ω·cm)", value=35.4, width=170)
        self.cb_tstop = pn.widgets.FloatInput(name="t_stop (ms)", value=10.0, width=110)
        self.cb_run = pn.widgets.Button(name="Run the cable", button_type="primary", css_classes=["hh-cb-run"])
        self.cb_run.on_click(self._locked(self.run_cable))
        self.cb_progress, self.cb_status, self.cb_cancel = self._job_widgets("cable")
        self.cb_result = pn.pane.HTML("", sizing_mode="stretch_width")
        self.kymo_src = ColumnDataSource({"image": [], "x": [], "y": [], "dw": [], "dh": []}, name="kymograph")
        self.cross_src = ColumnDataSource({"t": [], "x": []})
        fk = figure(height=340, sizing_mode="stretch_width", title="V(x, t): the spike travelling (line: 0 mV crossings)",
                    x_axis_label="t (ms)", y_axis_label="x (µm)")
        fk.image(image="image", x="x", y="y", dw="dw", dh="dh", source=self.kymo_src,
                 color_mapper=LinearColorMapper(palette=Viridis256, low=-80, high=50))
        fk.line("t", "x", source=self.cross_src, color="white", line_width=1.5)
        self.cable_tab = pn.Column(
            pn.pane.HTML("An unbranched cable of the model set on the left, kicked at x = 0 "
                         "(Crank-Nicolson, the d_lambda rule), in a worker process."),
            pn.Row(self.cb_length, self.cb_diam, self.cb_ri, self.cb_tstop),
            pn.Row(self.cb_run, self.cb_cancel, self.cb_progress), self.cb_status, self.cb_result,
            pn.pane.Bokeh(fk, sizing_mode="stretch_width"), sizing_mode="stretch_width")

    def run_cable(self, event=None):
        if self.job is not None and not self.job.finished:
            self._show_error(HHSimError("a background job is already running; cancel it first"))
            return
        vals = [self.cb_length.value, self.cb_diam.value, self.cb_ri.value, self.cb_tstop.value]
        if any(v is None for v in vals):
            self._show_error(HHSimError("cable: length, diameter, resistivity and t_stop need numbers"))
            return
        self._start_job([Task("cable", cable_task, (self.state, *vals))], "cable")

    def _show_cable(self, d):
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

    # ============================================================ network
    def _build_network_tab(self):
        from ..network import presets

        self.nw_preset = pn.widgets.Select(name="preset network", options=list(presets.PRESETS),
                                           value="wang_buzsaki_gamma", width=200, css_classes=["hh-nw-preset"])
        self.nw_tstop = pn.widgets.FloatInput(name="t_stop (ms)", value=300.0, width=110, css_classes=["hh-nw-tstop"])
        self.nw_seed = pn.widgets.IntInput(name="seed", value=1, width=90)
        self.nw_run = pn.widgets.Button(name="Run the network", button_type="primary", css_classes=["hh-nw-run"])
        self.nw_run.on_click(self._locked(self.run_network))
        bar, status, cancel = self._job_widgets("network", "hh-nw-cancel")
        self.nw_result = pn.pane.HTML("", sizing_mode="stretch_width")
        self.raster_src = ColumnDataSource({"t": [], "n": [], "color": []}, name="raster")
        fr = figure(height=360, sizing_mode="stretch_width", title="spike raster", x_axis_label="t (ms)",
                    y_axis_label="neuron (populations stacked)")
        fr.scatter("t", "n", source=self.raster_src, marker="dash", angle=1.5708, size=5, color="color")
        self.network_tab = pn.Column(
            pn.pane.HTML("A preset network of hhsim.network (its own cells and synapses), in a worker process."),
            pn.Row(self.nw_preset, self.nw_tstop, self.nw_seed), pn.Row(self.nw_run, cancel, bar), status,
            self.nw_result, pn.pane.Bokeh(fr, sizing_mode="stretch_width"), sizing_mode="stretch_width")

    def run_network(self, event=None):
        if self.nw_tstop.value is None or self.nw_seed.value is None:
            self._show_error(HHSimError("network: t_stop and seed need numbers"))
            return
        self._start_job([Task("network", ex.network_raster, (self.nw_preset.value,),
                              {"t_stop": self.nw_tstop.value, "seed": self.nw_seed.value})], "network")

    def _show_network(self, d):
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

    # ============================================================ phase plane
    def _build_dynamics_tab(self):
        self.pp_vars = pn.widgets.TextInput(name="states X,Y (empty: V,n or V and the last)", value="", width=220)
        self.pp_i = pn.widgets.FloatInput(name="injected current (µA/cm²)", value=0.0, width=180)
        self.pp_run = pn.widgets.Button(name="Phase plane", button_type="primary", css_classes=["hh-pp-run"])
        self.bf_from = pn.widgets.FloatInput(name="diagram from (µA/cm²)", value=0.0, width=160)
        self.bf_to = pn.widgets.FloatInput(name="to (µA/cm²)", value=30.0, width=120)
        self.bf_run = pn.widgets.Button(name="Bifurcation diagram", button_type="primary", css_classes=["hh-bf-run"])
        self.pp_run.on_click(self._locked(self.run_phase_plane))
        self.bf_run.on_click(self._locked(self.run_bifurcation))
        bar, status, cancel = self._job_widgets("dynamics")
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
        self.dynamics_tab = pn.Column(
            pn.pane.HTML("hhsim.dynamics on the model set on the left (black: stable, grey: unstable), "
                         "in a worker process."),
            pn.Row(self.pp_vars, self.pp_i, self.pp_run), pn.Row(self.bf_from, self.bf_to, self.bf_run),
            pn.Row(cancel, bar), status, self.pp_result,
            pn.Row(pn.pane.Bokeh(self.pp_fig), pn.pane.Bokeh(fb)), sizing_mode="stretch_width")

    def run_phase_plane(self, event=None):
        if self.pp_i.value is None:
            self._show_error(HHSimError("phase plane: the injected current needs a number"))
            return
        self._start_job([Task("phase plane", ex.phase_plane_data, (self.state,),
                              {"vars": self.pp_vars.value.strip() or None, "i_app": self.pp_i.value})], "dynamics")

    def run_bifurcation(self, event=None):
        if self.bf_from.value is None or self.bf_to.value is None:
            self._show_error(HHSimError("bifurcation diagram: the current range needs numbers"))
            return
        self._start_job([Task("bifurcation", ex.bifurcation_data, (self.state,),
                              {"i_from": self.bf_from.value, "i_to": self.bf_to.value})], "dynamics")

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

    # ============================================================ display
    def close(self) -> None:
        """The page is gone: end its background job and poller, drop its data.

        Called when the server discards the page's session, so that a closed
        tab leaves nothing behind (its worker process included).
        """
        if self.job is not None and not self.job.finished:
            self.job.cancel()
        self.job = None
        if self._poller is not None:
            self._poller.stop()
            self._poller = None
        _drop_links(self._links)
        self._links = []
        self.traces = None
        self.layout = None

    def servable(self):
        return self.layout

    def _repr_mimebundle_(self, include=None, exclude=None):
        return self.layout._repr_mimebundle_(include, exclude)


def _card(objects: list, title: str, collapsed: bool):
    """A card whose contents go to the page when it is first opened.

    A collapsed card still sends its contents to the browser; the rate
    constants alone are about a hundred inputs, a large part of a page load.
    """
    if not collapsed:
        return pn.Card(*objects, title=title, collapsed=False, sizing_mode="stretch_width")
    card = pn.Card(title=title, collapsed=True, sizing_mode="stretch_width")

    def opened(event):
        if not event.new and not card.objects:
            card.objects = list(objects)

    card.param.watch(opened, "collapsed")
    return card


def _link_sources() -> set[int]:
    """Ids of the widgets that have Panel links (a slider's box and bar are linked in the browser)."""
    from panel.links import Callback

    return {id(k) for k in list(Callback.registry.keys())}


def _new_links(before: set[int]) -> list:
    """Weak references to the link sources made since ``before`` (this page's)."""
    import weakref

    from panel.links import Callback

    return [weakref.ref(k) for k in list(Callback.registry.keys()) if id(k) not in before]


def _drop_links(refs) -> None:
    """Forget this page's links.

    Panel keeps links in a class-wide weak-key dictionary whose values refer
    back to their keys (a slider links its own text box), so the keys never
    die: without this, every closed page stayed in memory (about 7 MB each).
    """
    from panel.links import Callback

    for ref in refs:
        key = ref()
        if key is not None:
            Callback.registry.pop(key, None)


def cable_task(state, length_cm, diam_um, ri_ohm_cm, t_stop):
    """The propagation run in the worker, without the (large) result object."""
    d = ex.propagation(state, length_cm=length_cm, diam_um=diam_um, ri_ohm_cm=ri_ohm_cm, t_stop=t_stop)
    d.pop("result", None)
    return d


def build(model: str = "hh", state: ExplorerState | None = None) -> Explorer:
    """A new explorer page on ``model`` (or on a saved ``state``)."""
    return Explorer(state or ExplorerState(model=model))
