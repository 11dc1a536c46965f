"""The explorer's state and what it shows, without any web framework.

An :class:`ExplorerState` is everything the page's controls say: the model
(a preset, custom channel files, changed parameters, temperature, drugs),
the stimulus and the run settings.  :func:`compute` turns it into
:class:`Traces` (V, gates, currents, conductances, stimulus, spikes) and
:func:`rate_curves` into the rate functions of every gate.  The model is
built exactly as ``hhsim run`` builds it (:func:`hhsim.cli.common.build_model`),
so a bad value gives the same one-line message in the page as on the
command line, and :meth:`ExplorerState.cli_command` /
:meth:`ExplorerState.python_snippet` reproduce the view to the last digit.

Units: mV, ms, µA/cm², mS/cm², µF/cm², °C, mM; drug concentrations in the
drug's unit (TTX nM, TEA mM).
"""

from __future__ import annotations

import json
import math
import shlex
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from .. import models as _models
from ..errors import HHSimError, ParameterError, StimulusError
from ..io import atomic_write, read_text
from ..model import Model, ParamInfo
from ..result import Result
from ..simulation import resolve_method, simulate
from ..stim import total
from ..stimspec import KINDS, parse as parse_stim
from .limits import (
    MAX_DISPLAY_POINTS, MAX_STEPS, MAX_STIMULI, MAX_T_STOP_MS, LimitError, check_at_most, check_steps,
)

SESSION_FORMAT = "hhsim-explorer-session"
SESSION_VERSION = 1
_WHOLE = ("count", "seed")  # stimulus keywords that are whole numbers


class SessionError(HHSimError):
    """A session file that cannot be read back."""


# ------------------------------------------------------------------ stimulus
@dataclass(frozen=True)
class StimulusPart:
    """One stimulus of the grammar of ``hhsim run --stim``: its kind and keywords.

    Amplitudes µA/cm², times ms, ``freq`` Hz.  Only the kinds and keywords of
    :data:`hhsim.stimspec.KINDS` are accepted.
    """

    kind: str
    args: tuple[tuple[str, float], ...] = ()

    @classmethod
    def make(cls, kind: str, **args) -> "StimulusPart":
        return cls(kind, tuple(args.items()))

    def spec(self) -> str:
        """The ``--stim`` text, e.g. ``step(amp=10.0, start=10.0, dur=30.0)``."""
        return f"{self.kind}(" + ", ".join(f"{k}={_num_text(k, v)}" for k, v in self.args) + ")"

    def code(self) -> str:
        """The ``hhsim.stim`` call that builds the same stimulus."""
        factory = KINDS[self.kind][0].__name__ if self.kind in KINDS else self.kind
        return f"stim.{factory}(" + ", ".join(f"{k}={_num_text(k, v)}" for k, v in self.args) + ")"

    def build(self):
        """The stimulus, through the command line's own parser (same checks, same messages)."""
        if self.kind not in KINDS or self.kind == "file":
            accepted = ", ".join(k for k in KINDS if k != "file")
            raise StimulusError(f"unknown stimulus {self.kind!r}; accepted: {accepted}")
        return parse_stim(self.spec())


def _whole_number(value) -> int:
    """A session's whole number (a float such as 3.0 accepted); ValueError otherwise."""
    if isinstance(value, bool) or not float(value).is_integer():
        raise ValueError(f"{value!r} is not a whole number")
    return int(value)


def _num_text(key: str, value) -> str:
    if key in _WHOLE:
        f = float(value)
        return str(int(f)) if f.is_integer() else repr(f)
    return repr(float(value))  # shortest text that reads back to the same float


# ------------------------------------------------------------------ state
DEFAULT_STIMULUS = (StimulusPart.make("step", amp=10.0, start=10.0, dur=30.0),)


@dataclass(frozen=True)
class ExplorerState:
    """Everything the explorer's controls set.

    model : preset name (``hhsim models``).
    channel_files : custom channel TOML files added to the preset.
    params : changed parameters ``(name, value)`` as in ``hhsim models NAME``.
    temperature : °C, or None for the model's own.
    drugs : drug specs as for ``--drug`` (``"ttx=10nM"``, ``"tea=5mM"``, ``"pronase"``).
    stimuli : the stimulus parts (they add up).
    t_stop : ms.  method, dt : solver and its step / output grid (ms); None = defaults.
    noise : channel noise (``"none"``, ``"markov"``, ``"langevin"``: :mod:`hhsim.noise`), with the
    squid densities (Na 60, K 18 channels/µm²) on ``area_um2`` (µm²) and the stream ``noise_seed``;
    a noisy run takes fixed steps (dt 0.01 ms by default).
    """

    model: str = "hh"
    channel_files: tuple[str, ...] = ()
    params: tuple[tuple[str, float], ...] = ()
    temperature: float | None = None
    drugs: tuple[str, ...] = ()
    stimuli: tuple[StimulusPart, ...] = DEFAULT_STIMULUS
    t_stop: float = 100.0
    method: str | None = None
    dt: float | None = None
    noise: str = "none"
    area_um2: float = 100.0
    noise_seed: int = 1

    @property
    def noisy(self) -> bool:
        """Channel noise is on."""
        return self.noise != "none"

    def noise_arguments(self) -> dict:
        """The keyword arguments of :func:`hhsim.simulate` for the noise (none when off)."""
        if not self.noisy:
            return {}
        return {"noise": self.noise, "area_um2": float(self.area_um2), "seed": int(self.noise_seed)}

    # ---------------------------------------------------------- changes
    def with_param(self, name: str, value: float) -> "ExplorerState":
        """A copy with parameter ``name`` set (kept in first-set order)."""
        params = dict(self.params)
        params[name] = float(value)
        return replace(self, params=tuple(params.items()))

    def without_param(self, name: str) -> "ExplorerState":
        return replace(self, params=tuple((k, v) for k, v in self.params if k != name))

    def with_model(self, name: str, channel_files=()) -> "ExplorerState":
        """Another preset: changed parameters, temperature and drugs are dropped."""
        return replace(self, model=name, channel_files=tuple(channel_files), params=(), temperature=None,
                       drugs=())

    # ---------------------------------------------------------- building
    def base_model(self) -> Model:
        """The preset with the custom channels, before any change."""
        from ..channels.spec import load_channel

        model = _models.get(self.model)
        if self.channel_files:
            model = model.with_channels(*(load_channel(p) for p in self.channel_files))
        return model

    def build_model(self) -> Model:
        """The model, built as ``hhsim run`` builds it (the same checks and messages)."""
        from ..drugs import parse_drug
        from ..recipe import ModelRecipe, build_model

        changes = {}
        for name, value in self.params:
            if name in changes:
                raise ParameterError(f"--set {name} is given twice; give each parameter once")
            changes[name] = float(value)
        return build_model(ModelRecipe(name=self.model, channel_files=tuple(self.channel_files), changes=changes,
                                       temperature=self.temperature, drugs=tuple(parse_drug(d) for d in self.drugs)),
                           where="--set ")

    def stimulus(self):
        """The total stimulus (None without parts)."""
        if len(self.stimuli) > MAX_STIMULI:
            raise LimitError(f"{len(self.stimuli)} stimuli is over the explorer's limit of {MAX_STIMULI}")
        return total([p.build() for p in self.stimuli])

    def run_settings(self) -> tuple[str, float]:
        """(method, dt in ms) after the defaults, with the duration and step count checked."""
        t_stop = float(self.t_stop)
        if not t_stop > 0:
            raise LimitError(f"t_stop must be > 0 ms (got {t_stop:g})")
        check_at_most("t_stop", t_stop, MAX_T_STOP_MS, "ms", "use `hhsim run` for longer traces")
        if self.noisy:
            from ..noise import DEFAULT_DT

            method, dt = self.method, DEFAULT_DT if self.dt is None else self.dt
        else:
            method, dt = resolve_method(self.method, self.dt)
        if not (isinstance(dt, (int, float)) and dt > 0 and math.isfinite(dt)):
            raise LimitError(f"dt must be a number > 0 ms (got {dt})")
        check_steps(t_stop, dt, MAX_STEPS, "this trace", "raise dt or shorten t_stop")
        return method, dt

    # ---------------------------------------------------------- code
    def cli_command(self, out: str | None = None) -> str:
        """The ``hhsim run`` command that reproduces this view."""
        words = ["hhsim", "run", "--model", self.model]
        for p in self.channel_files:
            words += ["--channel", str(p)]
        for k, v in self.params:
            words += ["--set", f"{k}={float(v)!r}"]
        if self.temperature is not None:
            words += ["--temperature", repr(float(self.temperature))]
        for d in self.drugs:
            words += ["--drug", d]
        for part in self.stimuli:
            words += ["--stim", part.spec()]
        words += ["--t-stop", repr(float(self.t_stop))]
        if self.method is not None:
            words += ["--method", self.method]
        if self.dt is not None:
            words += ["--dt", repr(float(self.dt))]
        if self.noisy:
            words += ["--noise", self.noise, "--area", repr(float(self.area_um2)), "--seed", str(int(self.noise_seed))]
        if out:
            words += ["--out", out]
        return " ".join(shlex.quote(w) for w in words)

    def python_snippet(self) -> str:
        """A Python script that reproduces this view (it prints the spike times)."""
        lines = ["import hhsim", "from hhsim import analysis, stim", "",
                 f"model = hhsim.models.get({self.model!r})"]
        if self.channel_files:
            lines = lines[:2] + ["from hhsim.channels.spec import load_channel"] + lines[2:]
            files = ", ".join(f"load_channel({str(p)!r})" for p in self.channel_files)
            lines.append(f"model = model.with_channels({files})")
        changes = {k: float(v) for k, v in self.params}
        if self.temperature is not None:
            changes["temperature"] = float(self.temperature)
        if changes:
            lines.append(f"model = model.with_params({changes!r})")
        if self.drugs:
            drugs = ", ".join(f"analysis.parse_drug({d!r})" for d in self.drugs)
            lines.append(f"model = analysis.apply_drugs(model, [{drugs}])")
        if self.stimuli:
            lines.append("stimulus = " + " + ".join(p.code() for p in self.stimuli))
        else:
            lines.append("stimulus = None")
        extra = ""
        if self.method is not None:
            extra += f", method={self.method!r}"
        if self.dt is not None:
            extra += f", dt={float(self.dt)!r}"
        for key, value in self.noise_arguments().items():
            extra += f", {key}={value!r}"
        lines += [f"r = hhsim.simulate(model, stimulus, t_stop={float(self.t_stop)!r}{extra})",
                  "print(r.n_spikes, list(r.spike_times))"]
        return "\n".join(lines) + "\n"

    # ---------------------------------------------------------- sessions
    def to_dict(self) -> dict:
        d = asdict(self)
        d["params"] = {k: v for k, v in self.params}
        d["stimuli"] = [{"kind": p.kind, **dict(p.args)} for p in self.stimuli]
        return {"format": SESSION_FORMAT, "version": SESSION_VERSION, **d}

    @classmethod
    def from_dict(cls, data: dict) -> "ExplorerState":
        """The state a session dict describes; :class:`SessionError` on anything unexpected."""
        if not isinstance(data, dict) or data.get("format") != SESSION_FORMAT:
            raise SessionError(f"not an hhsim explorer session (expected \"format\": \"{SESSION_FORMAT}\")")
        if data.get("version") != SESSION_VERSION:
            raise SessionError(f"session version {data.get('version')!r} is not supported (expected {SESSION_VERSION})")
        fields = set(cls.__dataclass_fields__)
        unknown = set(data) - fields - {"format", "version"}
        if unknown:
            raise SessionError(f"unknown session key {sorted(unknown)[0]!r}; accepted: {', '.join(sorted(fields))}")
        kw = {k: data[k] for k in fields if k in data}
        try:
            if "params" in kw:
                kw["params"] = tuple((str(k), float(v)) for k, v in dict(kw["params"]).items())
            if "stimuli" in kw:
                parts = []
                for s in kw["stimuli"]:
                    s = dict(s)
                    kind = str(s.pop("kind"))
                    parts.append(StimulusPart(kind, tuple((str(k), float(v)) for k, v in s.items())))
                kw["stimuli"] = tuple(parts)
            for key in ("channel_files", "drugs"):
                if key in kw:
                    kw[key] = tuple(str(x) for x in kw[key])
            for key in ("temperature", "dt"):
                if kw.get(key) is not None:
                    kw[key] = float(kw[key])
            if "noise" in kw:
                kw["noise"] = str(kw["noise"])
            if "area_um2" in kw:
                kw["area_um2"] = float(kw["area_um2"])
            if "noise_seed" in kw:
                kw["noise_seed"] = _whole_number(kw["noise_seed"])
            if "t_stop" in kw:
                kw["t_stop"] = float(kw["t_stop"])
            if kw.get("method") is not None:
                kw["method"] = str(kw["method"])
            if "model" in kw:
                kw["model"] = str(kw["model"])
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise SessionError(f"session file has a malformed value: {exc}") from None
        return cls(**kw)

    def save(self, path: str | Path) -> Path:
        """Write the session as JSON, atomically."""
        text = json.dumps(self.to_dict(), indent=2)
        atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> "ExplorerState":
        return cls.from_json(read_text(path, "session file", SessionError))

    @classmethod
    def from_json(cls, text: str) -> "ExplorerState":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SessionError(f"session file is not valid JSON: {exc}") from None
        return cls.from_dict(data)


# ------------------------------------------------------------------ parameters
def parameter_groups(model: Model) -> list[tuple[str, list[ParamInfo]]]:
    """The model's parameters grouped for the page: membrane, ions, then one group per channel."""
    params = model.params()
    membrane = [params[k] for k in ("Cm", "temperature", "spike_threshold")]
    taken = {p.name for p in membrane}
    ions = [p for k, p in params.items() if p.unit == "mM" or k.endswith(("_tau", "_depth"))
            and k.split("_")[0] in {pool.prefix for pool in model.pools}]
    taken |= {p.name for p in ions}
    groups = [("membrane", membrane)]
    if ions:
        groups.append(("ions", ions))
    for ch in model.channels:
        own = {f"g{ch.name}", f"p{ch.name}", f"E{ch.name}"}
        mine = [p for k, p in params.items() if k not in taken and (k in own or k.startswith(ch.name + "."))]
        taken |= {p.name for p in mine}
        groups.append((ch.name, mine))
    rest = [p for k, p in params.items() if k not in taken]
    if rest:
        groups.append(("other", rest))
    return groups


# ------------------------------------------------------------------ traces
@dataclass
class Traces:
    """What the main view draws (display arrays thinned to at most
    :data:`MAX_DISPLAY_POINTS` samples; ``result`` keeps every sample).

    t (ms), v (mV), stimulus (µA/cm²), states (gates, 1; pools, mM),
    currents (µA/cm², outward positive), conductances (mS/cm²);
    v_rest (mV); spike_times (ms) and the peak (t, V) of each spike.
    """

    result: Result
    t: np.ndarray
    v: np.ndarray
    stimulus: np.ndarray
    states: dict
    currents: dict
    conductances: dict
    v_rest: float
    spike_times: np.ndarray
    peak_t: np.ndarray
    peak_v: np.ndarray
    summary: dict = field(default_factory=dict)

    @property
    def n_spikes(self) -> int:
        return int(len(self.spike_times))


def compute(state: ExplorerState) -> Traces:
    """Simulate the state's model and stimulus (bounded) and return the traces to draw."""
    method, dt = state.run_settings()
    model = state.build_model()
    stimulus = state.stimulus()
    r = simulate(model, stimulus, t_stop=float(state.t_stop), dt=dt, method=method, **state.noise_arguments())
    stride = max(1, math.ceil(len(r.t) / MAX_DISPLAY_POINTS))
    thin = slice(None, None, stride)
    peak_t, peak_v = spike_peaks(r.t, r.v, r.spike_times)
    return Traces(
        result=r, t=r.t[thin], v=r.v[thin], stimulus=r.stimulus[thin],
        states={k: v[thin] for k, v in r.states.items()},
        currents={k: v[thin] for k, v in r.currents.items()},
        conductances={k: v[thin] for k, v in r.conductances.items()},
        v_rest=float(r.v_rest), spike_times=np.asarray(r.spike_times), peak_t=peak_t, peak_v=peak_v,
        summary=r.summary(),
    )


def spike_peaks(t: np.ndarray, v: np.ndarray, spike_times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(time, V) of the highest sample after each spike's upward crossing, before the next one."""
    pt, pv = [], []
    edges = list(spike_times) + [np.inf]
    for a, b in zip(edges[:-1], edges[1:]):
        idx = np.nonzero((t >= a) & (t < b))[0]
        if idx.size:
            j = idx[np.argmax(v[idx])]
            pt.append(t[j])
            pv.append(v[j])
    return np.asarray(pt, dtype=float), np.asarray(pv, dtype=float)


def read_at(traces: Traces, t: float) -> dict:
    """The cursor: every recorded quantity at the sample nearest ``t`` (ms), units in the keys."""
    r = traces.result
    j = int(np.clip(np.searchsorted(r.t, t), 0, len(r.t) - 1))
    if j > 0 and abs(r.t[j - 1] - t) <= abs(r.t[j] - t):
        j -= 1
    out = {"t_ms": float(r.t[j]), "v_mV": float(r.v[j]),
           ("v_clamp_mV" if r.clamped else "i_stim_uA_cm2"): float(r.stimulus[j])}
    for k, x in r.states.items():
        out[k if r.model.state_unit(k) == "1" else f"{k}_{r.model.state_unit(k)}"] = float(x[j])
    for k, x in r.currents.items():
        out[f"i_{k}_uA_cm2"] = float(x[j])
    for k, x in r.conductances.items():
        out[f"g_{k}_mS_cm2"] = float(x[j])
    return out


def next_peak(traces: Traces, t: float) -> float | None:
    """The time (ms) of the first spike peak after ``t``, wrapping to the first (None without spikes)."""
    if traces.peak_t.size == 0:
        return None
    later = traces.peak_t[traces.peak_t > t + 1e-9]
    return float(later[0] if later.size else traces.peak_t[0])


# ------------------------------------------------------------------ rate curves
def voltage_axis(model: Model, n: int = 361) -> np.ndarray:
    """mV: from 55 below to 125 above the resting potential rounded to 5 mV (-120 to 60 for ``hh``)."""
    anchor = 5.0 * round(model.resting_potential() / 5.0)
    return np.linspace(anchor - 55.0, anchor + 125.0, n)


def rate_curves(model: Model, v: np.ndarray | None = None) -> dict[str, dict[str, np.ndarray]]:
    """Per gate (``"Na.m"``): ``v`` (mV), ``alpha`` and ``beta`` (1/ms), ``inf`` (1) and ``tau`` (ms),
    at the model's temperature and resting concentrations (rates include the Q10 factor)."""
    v = voltage_axis(model) if v is None else np.asarray(v, dtype=float)
    env = model._env()  # concentrations and resting pool levels, as the rate expressions read them
    out = {}
    with np.errstate(all="ignore"):
        for ch in model.channels:
            e = dict(env)
            e.update(ch.params)
            phi = ch.phi(model.temperature)
            for g in ch.gates:
                inf = np.broadcast_to(np.asarray(g.steady_state(v, e), dtype=float), v.shape)
                tau = np.broadcast_to(np.asarray(g.time_constant(v, phi, e), dtype=float), v.shape)
                if g.instantaneous:
                    a = b = np.full(v.shape, np.nan)
                else:
                    a, b = (np.broadcast_to(np.asarray(x, dtype=float), v.shape) for x in g.rates(v, phi, e))
                out[f"{ch.name}.{g.name}"] = {"v": v, "alpha": a, "beta": b, "inf": inf, "tau": tau}
    return out


# ------------------------------------------------------------------ export
def traces_csv(traces: Traces) -> str:
    """The full-resolution trace as CSV text (the columns of ``hhsim run --out FILE.csv``)."""
    return traces.result.to_dataframe().to_csv(index=False, float_format="%.10g")


def traces_png(traces: Traces) -> bytes:
    """The classic four-panel figure of ``hhsim run --plot FILE.png``, as PNG bytes."""
    import io

    from ..plot import plot_result

    buf = io.BytesIO()
    plot_result(traces.result).savefig(buf, format="png", dpi=110)
    return buf.getvalue()
