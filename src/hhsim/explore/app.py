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
from dataclasses import replace

import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource, HoverTool, Span
from bokeh.palettes import Category10_10
from bokeh.plotting import figure

from .. import models as _models
from ..errors import HHSimError
from ..stimspec import KINDS
from .handlers import locked
from .job_controls import JobControls
from .tabs import WORK_TABS
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
#: The channel-noise methods offered (gillespie, exact but for small patches only, stays on the CLI).
NOISE_METHODS = ("none", "markov", "langevin")
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
        self._syncing = False
        self.message = pn.pane.HTML("", visible=False, sizing_mode="stretch_width")
        self.summary = pn.pane.HTML("", sizing_mode="stretch_width")
        self._build_controls()
        self._build_trace_view()
        self._build_rates_view()
        self._build_code_view()
        self.jobs = JobControls(self._show_error, self._hide_message, self._deliver)
        # The work tabs are built when first shown (or first used from Python): a page
        # load then makes only the Bokeh models it shows, about half of the whole page.
        self._deferred = {}
        self.work_tabs = {}
        tabs = [("Trace", self.trace_view), ("Rates", self.rates_view)]
        # the network and dynamics tabs appear where those sub-packages are installed
        self.missing_tabs = [t.needs for t in WORK_TABS
                             if t.needs and importlib.util.find_spec(f"hhsim.{t.needs}") is None]
        for tab_class in WORK_TABS:
            if tab_class.needs in self.missing_tabs:
                continue
            holder = pn.Column(sizing_mode="stretch_width")
            self._deferred[tab_class.title] = (tab_class, holder)
            tabs.append((tab_class.title, holder))
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
        tab_class, holder = entry
        before = _link_sources()
        tab = tab_class(self)
        self.work_tabs[name] = tab
        holder.objects = [tab.build()]
        self._links += _new_links(before)

    def __getattr__(self, name):
        # a widget, figure source or run_* method of a work tab (a script or a test
        # calling run_clamp() before the tab was shown builds the tabs first)
        if name.startswith("__") or "_links" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        for _ in range(2):
            for tab in self.__dict__.get("work_tabs", {}).values():
                if name in tab.__dict__ or (name.startswith("run_") and hasattr(type(tab), name)):
                    return getattr(tab, name)
            deferred = self.__dict__.get("_deferred")
            if not deferred:
                break
            for title in list(deferred):
                self._build_tab(title)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _deliver(self, kind: str, label: str, data: dict) -> None:
        """A finished task of the background job, to the tab that started it."""
        for tab in self.work_tabs.values():
            if tab.job_kind == kind:
                tab.show_result(label, data)
                return

    def _hide_message(self) -> None:
        self.message.visible = False

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
        self.noise = pn.widgets.Select(name="Channel noise", options=list(NOISE_METHODS), width=160,
                                       value=self.state.noise, css_classes=["hh-noise"])
        self.area = pn.widgets.FloatInput(name="membrane area (µm²)", value=self.state.area_um2, start=0.0,
                                          step=10.0, width=160, css_classes=["hh-area"])
        self.noise_seed = pn.widgets.IntInput(name="noise seed", value=self.state.noise_seed, start=0, width=100,
                                              css_classes=["hh-noise-seed"])
        for w in (self.t_stop, self.method, self.dt, self.noise, self.area, self.noise_seed):
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
            pn.pane.HTML("<b>Channel noise</b> (squid densities: Na 60, K 18 per µm²; "
                         "fixed steps, dt 0.01 ms unless set)"),
            pn.Row(self.noise, self.area), self.noise_seed,
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
        if self.noise.value != "none" and (self.area.value is None or self.noise_seed.value is None):
            self._show_error(HHSimError("channel noise: the membrane area and the seed need numbers"))
            return
        method = None if self.method.value == METHODS[0] else self.method.value
        self.state = replace(self.state, drugs=tuple(drugs), stimuli=tuple(parts), t_stop=float(self.t_stop.value),
                             method=method, dt=self.dt.value, noise=self.noise.value,
                             area_um2=float(self.state.area_um2 if self.area.value is None else self.area.value),
                             noise_seed=int(self.state.noise_seed if self.noise_seed.value is None
                                            else self.noise_seed.value))
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
        self.peak_button.on_click(locked(self._jump_to_peak))
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
            self.noise.value = state.noise
            self.area.value = state.area_um2
            self.noise_seed.value = state.noise_seed
        finally:
            self._syncing = False
        self._build_param_widgets()
        self._rebuild_trace_figures()
        self.update()

    # ============================================================ display
    def close(self) -> None:
        """The page is gone: end its background job and poller, drop its data.

        Called when the server discards the page's session, so that a closed
        tab leaves nothing behind (its worker process included).
        """
        self.jobs.close()
        _drop_links(self._links)
        self._links = []
        self.traces = None
        self.layout = None
        self.work_tabs = {}

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


def build(model: str = "hh", state: ExplorerState | None = None) -> Explorer:
    """A new explorer page on ``model`` (or on a saved ``state``)."""
    return Explorer(state or ExplorerState(model=model))
