"""Networks from and to TOML files.

A file holds the run settings (``t_stop``, ``dt``, ``method``, ``seed``,
``name``), ``[populations.NAME]`` tables, ``[sources.NAME]`` spike sources,
``[[synapses]]`` projections, ``[[inputs]]`` Poisson inputs, ``[[noise]]``
currents and a ``[monitors]`` table; see the README for every key.
:func:`dumps` writes a network in the same form, so ``hhsim network
--describe`` prints a file the command accepts back.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import tomli_w

from .. import models as _models
from .. import validate as _v
from ..errors import ParameterError
from ..io import read_text
from ..model import Model
from ..stim import Stimulus, total
from ..stimspec import parse as parse_stim
from . import cells
from . import connect as _connect
from . import distributions as _dist
from .network import Monitors, Network, Noise, PoissonInput, Population, Projection, SpikeSource
from .synapses import KINDS, STDP, TsodyksMarkram, make

_TOP = {"name", "t_stop", "dt", "method", "rtol", "atol", "seed", "populations", "sources", "synapses", "inputs",
        "noise", "monitors"}
_POP = {"model", "n", "params", "initial", "stim", "stim_scale", "area_um2", "threshold", "refractory", "noise",
        "density", "counts"}
_SRC = {"n", "rate_hz", "times_ms"}
_SYN = {"pre", "post", "kind", "connect", "weight", "delay", "stp", "stdp", "name"}
_INPUT = {"target", "n_inputs", "rate_hz", "weight", "kind", "name"}
_NOISE = {"target", "mean", "std", "tau"}
_MON = {"spikes", "states", "every_ms", "weights", "weights_every_ms"}


def _check_keys(table, accepted: set[str], where: str, extra: set[str] = frozenset()) -> None:
    if not isinstance(table, dict):
        raise ParameterError(f"{where} must be a table")
    unknown = sorted(set(table) - accepted - extra)
    if unknown:
        raise ParameterError(f"unknown key {unknown[0]!r} in {where}; accepted: {', '.join(sorted(accepted | extra))}")


def _stimulus(spec, where: str) -> Stimulus | None:
    if spec is None:
        return None
    if isinstance(spec, str):
        spec = [spec]
    if not isinstance(spec, list) or not all(isinstance(s, str) for s in spec):
        raise ParameterError(f"{where} stim must be a stimulus spec string or a list of them")
    return total([parse_stim(s) for s in spec])


def _weight(value, where: str, current: bool = False):
    """A synapse weight as given, refused when its unit is not what the synapse
    measures: a conductance (mS/cm², or nS with the population's area), so that a
    weight in pA or mV is a mistake, not something to convert; for the
    current-based kinds (``current``) a current (µA/cm², or pA with the area)."""
    unit = None
    if isinstance(value, str) or (isinstance(value, dict) and "unit" in value):
        try:
            unit = _dist.parse_with_unit(value)[1]
        except ParameterError as exc:
            raise ParameterError(f"{where} weight: {exc}") from None
    if current:
        if unit is not None and _dist.unit_kind(unit) not in ("current", "current density"):
            shown = value if isinstance(value, str) else f"{value.get('value', '...')} {unit}"
            raise ParameterError(f"{where} weight {shown!r} is a {_dist.unit_kind(unit)}; this synapse's weight "
                                 f"is a current: pA, nA, uA (with the population's area_um2) or uA/cm2")
    elif unit is not None and _dist.unit_kind(unit) not in ("conductance", "conductance density"):
        shown = value if isinstance(value, str) else f"{value.get('value', '...')} {unit}"
        raise ParameterError(f"{where} weight {shown!r} is a {_dist.unit_kind(unit)}; a synapse weight is a "
                             f"conductance: nS, pS, uS (with the population's area_um2) or mS/cm2")
    return value


def _kind_fields(t: dict) -> set[str]:
    kind = t.get("kind", "exp")
    return set(KINDS.get(kind.lower() if isinstance(kind, str) else "exp", KINDS["exp"]).__dataclass_fields__)


def _synapse(table: dict, keys: set[str], where: str):
    kind = table.get("kind", "exp")
    if not isinstance(kind, str) or kind.lower() not in KINDS:
        raise ParameterError(f"unknown synapse kind {kind!r} in {where}; accepted: {', '.join(KINDS)}")
    params = {k: v for k, v in table.items() if k not in keys}
    return make(kind, **params)


def loads(text: str, where: str = "network file", base: Path | None = None) -> Network:
    """The network described by TOML ``text``; a population's model file (``model =
    "cell.toml"``) is found relative to ``base`` (the network file's folder) when given."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"{where} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ParameterError(f"{where}: values nested too deeply to be read") from None
    _check_keys(data, _TOP, where)
    # the shape of the file first: each section a table or an array of tables, as documented
    raw_pops = _v.table(data.get("populations", {}), f"{where} [populations]")
    for key in ("sources",):
        _v.table(data.get(key) or {}, f"{where} [{key}]")
    for key in ("synapses", "inputs", "noise"):
        _v.tables(data.get(key) or [], f"{where} [[{key}]]")
    pops = []
    for name, t in raw_pops.items():
        w = f"{where} [populations.{name}]"
        _check_keys(t, _POP, w)
        if "model" not in t:
            raise ParameterError(f"{w} needs a model (one of: {', '.join(_models.names())})")
        model = t["model"]
        if isinstance(model, dict):
            model = cells.from_table(model, w)
        elif not isinstance(model, str):
            raise ParameterError(f"{w} model must be a preset name, a model file or a cable-cell table "
                                 f"(got {type(model).__name__} {_v.shown(model)})")
        elif base is not None and _models.is_model_file(model) and not Path(model).is_absolute():
            model = str(base / model)
        pops.append(Population(name, model, n=t.get("n", 1), params=t.get("params", {}),
                               initial=t.get("initial", {}), stim=_stimulus(t.get("stim"), w),
                               stim_scale=t.get("stim_scale"), area_um2=t.get("area_um2"),
                               threshold=t.get("threshold"), refractory=t.get("refractory", 0.0),
                               noise=t.get("noise"), density=t.get("density"), channel_counts=t.get("counts")))
    sources = []
    for name, t in (data.get("sources") or {}).items():
        w = f"{where} [sources.{name}]"
        _check_keys(t, _SRC, w)
        sources.append(SpikeSource(name, n=t.get("n", 1), rate_hz=t.get("rate_hz"), times_ms=t.get("times_ms")))
    projections = []
    for k, t in enumerate(data.get("synapses") or []):
        w = f"{where} [[synapses]] #{k + 1}"
        _check_keys(t, _SYN, w, _kind_fields(t))
        for key in ("pre", "post"):
            if key not in t:
                raise ParameterError(f"{w} needs {key!r}")
        stp = t.get("stp")
        if stp is not None:
            _check_keys(stp, {"U", "tau_rec", "tau_fac"}, f"{w} stp")
            stp = TsodyksMarkram(**stp)
        stdp = t.get("stdp")
        if stdp is not None:
            stdp = STDP.from_table(stdp, f"{w} stdp")
        syn = _synapse(t, _SYN, w)
        projections.append(Projection(t["pre"], t["post"], syn, connect=t.get("connect", "all"),
                                      weight=_weight(t.get("weight", 0.0), w, syn.current),
                                      delay=t.get("delay", 0.0), stp=stp, name=t.get("name"), stdp=stdp))
    inputs = []
    for k, t in enumerate(data.get("inputs") or []):
        w = f"{where} [[inputs]] #{k + 1}"
        _check_keys(t, _INPUT, w, _kind_fields(t))
        for key in ("target", "n_inputs", "rate_hz", "weight"):
            if key not in t:
                raise ParameterError(f"{w} needs {key!r}")
        syn = _synapse(t, _INPUT, w)
        inputs.append(PoissonInput(t["target"], t["n_inputs"], t["rate_hz"], _weight(t["weight"], w, syn.current),
                                   syn, name=t.get("name")))
    noise = []
    for k, t in enumerate(data.get("noise") or []):
        _check_keys(t, _NOISE, f"{where} [[noise]] #{k + 1}")
        if "target" not in t or "std" not in t:
            raise ParameterError(f"{where} [[noise]] #{k + 1} needs 'target' and 'std'")
        noise.append(Noise(t["target"], t["std"], t.get("mean", 0.0), t.get("tau", 5.0)))
    mon = data.get("monitors", {})
    _check_keys(mon, _MON, f"{where} [monitors]")
    monitors = Monitors(spikes=mon.get("spikes", "all"), states=mon.get("states", {}), every_ms=mon.get("every_ms"),
                        weights=mon.get("weights", {}), weights_every_ms=mon.get("weights_every_ms"))
    return Network(populations=pops, projections=projections, sources=sources, inputs=inputs, noise=noise,
                   monitors=monitors, t_stop=data.get("t_stop", 100.0), dt=data.get("dt"), method=data.get("method"),
                   seed=data.get("seed", 1), name=str(data.get("name", "network")), rtol=data.get("rtol"),
                   atol=data.get("atol"))


def load(path: str | Path) -> Network:
    """The network described by the TOML file ``path``."""
    return loads(read_text(path, "network file", ParameterError), f"network file {str(path)!r}",
                 base=Path(path).parent)


# ------------------------------------------------------------------ writing
def _value(v):
    """A description value in TOML form (distributions and rules described)."""
    if isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, dict):
        return {str(k): _value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_value(x) for x in v]
    if hasattr(v, "tolist"):
        return v.tolist()
    return _dist.describe(v)


def _model_reference(p) -> str:
    """What a file says for population ``p``'s model: the file it was loaded from, while
    that file still gives the same model, else the name of an unchanged preset."""
    if p.model_file is not None and _models.get(p.model_file) == p.model:
        return p.model_file
    return _model_name(p.model, f"population {p.name!r}")


def _model_name(model: Model, where: str) -> str:
    if model.name in _models.names() and _models.get(model.name) == model:
        return model.name
    raise ParameterError(f"{where}: model {model.name!r} is not an unchanged preset, so it cannot be written "
                         "to a network file; use the preset's name with params")


def _stim_specs(s: Stimulus | None, where: str):
    if s is None:
        return None
    parts = list(getattr(s, "parts", [s]))
    specs = [p.describe() for p in parts]
    for text in specs:
        parse_stim(text)  # what we write must read back
    return specs


def to_dict(net: Network) -> dict:
    """The network as the dict a TOML file holds."""
    out: dict = {"name": net.name, "t_stop": net.t_stop, "seed": net.seed}
    if net.dt is not None:
        out["dt"] = net.dt
    if net.method is not None:
        out["method"] = net.method
    for tol in ("rtol", "atol"):  # the adaptive method's tolerances, when given
        if getattr(net, tol) is not None:
            out[tol] = getattr(net, tol)
    out["populations"] = {}
    for p in net.populations:
        if isinstance(p.model, cells.CableCell):
            out["populations"][p.name] = {"model": p.model.describe(), "n": p.n,
                                          **({"refractory": p.refractory} if p.refractory else {})}
            continue
        t: dict = {"model": _model_reference(p), "n": p.n}
        for key in ("params", "initial"):
            if getattr(p, key):
                t[key] = _value(getattr(p, key))
        if isinstance(p.stim, (list, tuple)):
            raise ParameterError(f"population {p.name!r} has one stimulus per neuron, which a file cannot hold")
        if p.stim is not None:
            t["stim"] = _stim_specs(p.stim, p.name)
        for key in ("stim_scale", "area_um2", "threshold"):
            if getattr(p, key) is not None:
                t[key] = _value(getattr(p, key))
        if p.refractory:  # 0 (no dead time) is the default, and is left out
            t["refractory"] = p.refractory
        if p.noise is not None:  # channel noise: the method and the channels (the area is area_um2)
            t["noise"] = p.noise.method
            for key in ("density", "counts"):
                if getattr(p.noise, key):
                    t[key] = dict(getattr(p.noise, key))
        out["populations"][p.name] = t
    if net.sources:
        out["sources"] = {}
        for s in net.sources:
            if s.rate_hz is not None and not isinstance(s.rate_hz, (int, float)):
                raise ParameterError(f"source {s.name!r} has a time-varying rate, which a file cannot hold")
            t = {"n": s.n}
            if s.rate_hz is not None:
                t["rate_hz"] = s.rate_hz
            else:
                t["times_ms"] = _value(s.times_ms)
            out["sources"][s.name] = t
    if net.projections:
        out["synapses"] = []
        for pr in net.projections:
            t = {"pre": pr.pre, "post": pr.post, **pr.synapse.describe(),
                 "connect": _value(_connect.describe(pr.connect)), "weight": _value(pr.weight),
                 "delay": _value(pr.delay)}
            if pr.name:
                t["name"] = pr.name
            if pr.stp is not None:
                t["stp"] = pr.stp.describe()
            if pr.stdp is not None:
                t["stdp"] = _value(pr.stdp.describe())
            out["synapses"].append(t)
    if net.inputs:
        out["inputs"] = [{"target": i.target, "n_inputs": i.n_inputs, "rate_hz": i.rate_hz,
                          "weight": _value(i.weight), **i.synapse.describe(), **({"name": i.name} if i.name else {})}
                         for i in net.inputs]
    if net.noise:
        out["noise"] = [{"target": z.target, "mean": z.mean, "std": z.std, "tau": z.tau} for z in net.noise]
    mon = {"spikes": _value(net.monitors.spikes)}
    if net.monitors.states:
        mon["states"] = _value(net.monitors.states)
    if net.monitors.every_ms is not None:
        mon["every_ms"] = net.monitors.every_ms
    if net.monitors.weights:
        mon["weights"] = _value(net.monitors.weights)
    if net.monitors.weights_every_ms is not None:
        mon["weights_every_ms"] = net.monitors.weights_every_ms
    out["monitors"] = mon
    return out


def dumps(net: Network) -> str:
    """The network as TOML text that :func:`loads` reads back."""
    return tomli_w.dumps(to_dict(net))
