"""A whole cell in one TOML file: membrane, channels, ion pools, stimuli, temperature.

Example ``cell.toml`` (every number may carry a unit, converted once when the
file is read; bare numbers are in hhsim's units: mV, ms, µF/cm², mS/cm², mM, °C)::

    name = "my_cell"
    temperature = "36 degC"
    spike_threshold = 0.0             # mV
    # v_init = -65.0                  # mV; omitted: start at the resting equilibrium

    # [initial_states]                # optional: states that start at a value, not at steady state
    # "M.p" = 0.0

    [membrane]
    C_m = 1.0                         # µF/cm²
    area = "1200 um2"                 # optional: point quantities (nS, pA) become densities
    # capacitance = "12 pF"           # or the capacitance, with C_m or area

    [concentrations]                  # mM
    K_in = 140
    K_out = "4 mM"

    [[pools]]                         # intracellular ion pools (state Ca_i, mM)
    ion = "ca"
    depth = "1 um"
    tau = "5 ms"

    [[channels]]                      # a channel inline: the keys of a channel file
    name = "Kd"
    gbar = "200 nS"                   # over the area above: 16.67 mS/cm²
    E = "nernst"
    ion = "k"
    [[channels.gates]]
    name = "n"
    power = 4
    alpha = "0.032*linexp(V + 52, 5)"
    beta = "0.5*exp(-(V + 57)/40)"

    [[channels]]                      # or from a channel file, keys here overriding its own
    file = "kht.toml"
    gbar = "30 nS"

    [noise]                           # optional: channel noise for `hhsim run` (its options override it)
    method = "markov"                 # markov (default), langevin, gillespie or none
    area = "50 um2"                   # optional: default the [membrane] area
    density = { Na = 60, K = 18 }     # channels/µm² (default: the squid values for Na and K)
    # counts = { Na = 3000 }          # or numbers of channels, instead of densities
    seed = 1                          # the random stream's key (default 0)

    [[stimuli]]                       # optional: used by `hhsim run` when no --stim is given
    kind = "step"                     # step, pulses, ramp, sine, noise, file
    amp = "100 pA"                    # µA/cm², or a point current with the area
    start = "10 ms"
    dur = "100 ms"

:func:`load_cell` reads it into a :class:`hhsim.Model`; :func:`read_cell` also
gives the stimuli, the area and the ``[noise]`` table (``CellFile.noise``: the
keyword arguments of :class:`hhsim.noise.ChannelNoise`); :func:`describe_cell`
writes any model back as such a file (numbers in hhsim's units, written
exactly), and the file reads back to an identical model.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

from .. import quantity, stim
from ..channels.ions import DEFAULT_CONCENTRATIONS, IONS, IonPool
from ..channels.spec import CHANNEL_KEYS, channel_from_dict, channel_to_dict, read_toml
from ..errors import HHSimError, ModelError, ParameterError, StimulusError
from ..io import atomic_write
from ..model import Model, check_spike_threshold

TOP_KEYS = ("name", "description", "source", "notes", "temperature", "spike_threshold", "v_init",
            "initial_states", "membrane", "concentrations", "pools", "channels", "stimuli", "noise")
MEMBRANE_KEYS = ("C_m", "area", "capacitance")
POOL_KEYS = ("ion", "depth", "tau", "clip", "rest", "pump_vmax", "pump_km")
NOISE_KEYS = ("method", "area", "density", "counts", "seed")
#: Methods of a [noise] table: those of :data:`hhsim.noise.METHODS` (a higher layer; a test
#: checks that the two agree).
NOISE_METHODS = ("none", "markov", "langevin", "gillespie")

#: Stimulus kinds: keyword -> its library unit ("current" keywords take µA/cm² or,
#: with a membrane area, a point current).
STIMULI: dict[str, dict[str, str]] = {
    "step": {"amp": "current", "start": "ms", "dur": "ms"},
    "pulses": {"amp": "current", "dur": "ms", "start": "ms", "period": "ms", "count": "count"},
    "ramp": {"dur": "ms", "amp1": "current", "amp0": "current", "start": "ms"},
    "sine": {"amp": "current", "freq": "Hz", "start": "ms", "dur": "ms", "offset": "current"},
    "noise": {"std": "current", "mean": "current", "tau": "ms", "seed": "count", "start": "ms", "dur": "ms"},
    "file": {"path": "path"},
}
_FACTORIES = {"step": stim.step, "pulses": stim.pulses, "ramp": stim.ramp, "sine": stim.sine,
              "noise": stim.noise, "file": stim.from_file}

_HEADER = """\
# hhsim cell file: hhsim.cells.load_cell / `hhsim run --model THIS.toml`
# Bare numbers are in hhsim's units (mV, ms, uF/cm2, mS/cm2 - cm/s for a GHK channel -,
# mM, um, degC); any number may instead be a string with a unit, e.g. "0.1 mS/cm2".
"""


@dataclass(frozen=True)
class CellFile:
    """What a cell file holds: the model, its stimuli (or None), its membrane area
    (µm², or None when the file gives none) and its channel noise (``noise``: None
    without a [noise] table, else the keyword arguments of
    :class:`hhsim.noise.ChannelNoise`: ``method``, ``area_um2`` (µm²; the [noise]
    area, else the membrane's, else absent), ``density`` (channel -> channels/µm²),
    ``counts`` (channel -> number of channels), ``seed``)."""

    model: Model
    stimulus: stim.Stimulus | None
    area_um2: float | None
    path: Path
    noise: dict | None = None


def load_cell(path: str | Path) -> Model:
    """The :class:`~hhsim.Model` described by the cell file ``path``.

    Errors (:class:`~hhsim.errors.ModelError` and subclasses) are one line
    naming the file and the key.
    """
    return read_cell(path).model


def read_cell(path: str | Path) -> CellFile:
    """The whole cell file ``path``: model, stimuli and membrane area."""
    path = Path(path)
    where = f"cell file {str(path)!r}"
    data = read_toml(path, "cell file")
    _keys(data, TOP_KEYS, where)
    membrane = _table(data, "membrane", where)
    _keys(membrane, MEMBRANE_KEYS, f"{where}: [membrane]")
    cm, area = _membrane(membrane, where)
    for key in ("name", "description", "source", "notes"):
        if key in data and not isinstance(data[key], str):
            raise ModelError(f"{where}: {key} must be a string")
    channels = tuple(_channel(c, i, where, path.parent, area) for i, c in enumerate(_list(data, "channels", where)))
    pools = tuple(_pool(p, i, where) for i, p in enumerate(_list(data, "pools", where)))
    conc = _concentrations(_table(data, "concentrations", where), where)
    fields = {"name": str(data.get("name", path.stem)), "channels": channels, "Cm": cm,
              "concentrations": tuple(conc.items()), "pools": pools}
    for key in ("description", "source", "notes"):
        if key in data:
            fields[key] = data[key]
    if "temperature" in data:
        fields["temperature"] = _q(where, "temperature", data["temperature"], "degC")
    if "spike_threshold" in data:
        fields["spike_threshold"] = _q(where, "spike_threshold", data["spike_threshold"], "mV")
    if "v_init" in data:
        fields["v_init"] = _q(where, "v_init", data["v_init"], "mV")
    if "initial_states" in data:
        fields["initial_states"] = _initial_states(_table(data, "initial_states", where), where)
    try:
        model = Model(**fields)
        if "spike_threshold" in data:
            check_spike_threshold(model)
    except HHSimError as exc:
        raise type(exc)(f"{where}: {exc}") from None
    stimuli = [_stimulus(s, i, where, path.parent, area) for i, s in enumerate(_list(data, "stimuli", where))]
    noise = _noise(_table(data, "noise", where), where, model, area) if "noise" in data else None
    return CellFile(model, stim.total(stimuli), area, path, noise)


# ------------------------------------------------------------------ pieces
def _keys(table: dict, accepted, where: str) -> None:
    unknown = set(table) - set(accepted)
    if unknown:
        raise ModelError(f"{where}: unknown key {sorted(unknown)[0]!r}; accepted: {', '.join(accepted)}")


def _table(data: dict, key: str, where: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ModelError(f"{where}: {key} must be a table [{key}]")
    return value


def _list(data: dict, key: str, where: str) -> list[dict]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
        raise ModelError(f"{where}: {key} must be a list of [[{key}]] tables")
    return value


def _q(where: str, key: str, value, unit: str, area_um2: float | None = None) -> float:
    """A number in ``unit`` or a string with a unit, as a finite float (errors name file and key)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ParameterError(f"{where}: {key} must be a number in {unit} or a string with a unit, "
                             f"got {type(value).__name__} {value!r}")
    try:
        return quantity.to_unit(value, unit, key, area_um2=area_um2)
    except ParameterError as exc:
        raise ParameterError(f"{where}: {exc}") from None
    except OverflowError:
        raise ParameterError(f"{where}: {key} must be finite, got {value!r}") from None


def _membrane(membrane: dict, where: str) -> tuple[float, float | None]:
    """(C_m in µF/cm², area in µm² or None) from two of C_m, area, capacitance."""
    w = f"{where}: [membrane]"
    cm = _q(w, "C_m", membrane["C_m"], "uF/cm2") if "C_m" in membrane else None
    area = _q(w, "area", membrane["area"], "um2") if "area" in membrane else None
    cap = _q(w, "capacitance", membrane["capacitance"], "pF") if "capacitance" in membrane else None
    for key, x in (("C_m", cm), ("area", area), ("capacitance", cap)):
        if x is not None and not x > 0:
            raise ParameterError(f"{w}: {key} must be > 0 (got {x:g})")
    if cap is not None:
        if cm is not None and area is not None:
            raise ParameterError(f"{w}: give two of C_m, area and capacitance, not all three")
        if area is not None:
            cm = cap / area * 100.0  # pF/µm² = 100 µF/cm²
        else:
            cm = 1.0 if cm is None else cm
            area = cap / cm * 100.0
    return (1.0 if cm is None else cm), area


def _channel(raw: dict, i: int, where: str, base: Path, area: float | None):
    label = f"{where}: channels[{i}]" + (f" ({raw['name']!r})" if isinstance(raw.get("name"), str) else "")
    data = dict(raw)
    if "file" in data:
        ref = data.pop("file")
        if not isinstance(ref, str) or not ref:
            raise ModelError(f"{label}: file must be a channel file name")
        ref_path = Path(ref) if Path(ref).is_absolute() else base / ref
        try:
            own = read_toml(ref_path, "channel file")
        except ModelError as exc:
            raise type(exc)(f"{label}: {exc}") from None
        own.update(data)
        data = own
        label = f"{where}: channels[{i}] (file {ref!r})"
        default_source = str(ref_path)
    else:
        default_source = ""
        unknown = set(data) - set(CHANNEL_KEYS)
        if unknown:
            raise ModelError(f"{label}: unknown key {sorted(unknown)[0]!r}; accepted: file, {', '.join(CHANNEL_KEYS)}")
    return channel_from_dict(data, label, area_um2=area, default_source=default_source)


def _pool(raw: dict, i: int, where: str) -> IonPool:
    w = f"{where}: pools[{i}]"
    _keys(raw, POOL_KEYS, w)
    ion = raw.get("ion", "ca")
    if ion not in IONS:
        raise ModelError(f"{w}: ion must be one of {', '.join(IONS)}, got {ion!r}")
    kwargs = {"ion": ion}
    if "depth" in raw:
        kwargs["depth"] = _q(w, "depth", raw["depth"], "um")
    if "tau" in raw:
        kwargs["tau"] = _q(w, "tau", raw["tau"], "ms")
    if "clip" in raw:
        if not isinstance(raw["clip"], bool):
            raise ModelError(f"{w}: clip must be true (the channels cannot remove the ion) or false, "
                             f"got {raw['clip']!r}")
        kwargs["clip"] = raw["clip"]
    if "rest" in raw:
        kwargs["rest"] = _q(w, "rest", raw["rest"], "mM")
    if "pump_vmax" in raw:
        kwargs["pump_vmax"] = _q(w, "pump_vmax", raw["pump_vmax"], "mM/ms")
    if "pump_km" in raw:
        kwargs["pump_km"] = _q(w, "pump_km", raw["pump_km"], "mM")
    try:
        return IonPool(**kwargs)
    except HHSimError as exc:
        raise type(exc)(f"{w}: {exc}") from None


def _initial_states(raw: dict, where: str) -> tuple[tuple[str, float], ...]:
    """States that start at a given value rather than at steady state: gate values
    (plain numbers) or pool concentrations (mM)."""
    if "initial_states" not in {f.name for f in dataclasses.fields(Model)}:
        raise ModelError(f"{where}: [initial_states] is not supported by this version of hhsim")
    w = f"{where}: [initial_states]"
    return tuple((str(k), _q(w, k, v, "mM" if k.endswith("_i") else "1")) for k, v in raw.items())


def _noise(raw: dict, where: str, model: Model, membrane_area: float | None) -> dict:
    """The [noise] table as :class:`hhsim.noise.ChannelNoise` keyword arguments, checked
    here so that a bad value is one line naming the file and the key."""
    w = f"{where}: [noise]"
    _keys(raw, NOISE_KEYS, w)
    method = raw.get("method", "markov")
    if not isinstance(method, str) or method.strip().lower() not in NOISE_METHODS:
        raise ParameterError(f"{w}: method {method!r} is not a noise method; accepted: {', '.join(NOISE_METHODS)}")
    out: dict = {"method": method.strip().lower()}
    area = _q(w, "area", raw["area"], "um2") if "area" in raw else membrane_area
    if area is not None:
        if not area > 0:
            raise ParameterError(f"{w}: area must be > 0 µm² (got {area:g})")
        out["area_um2"] = area
    names = [ch.name for ch in model.channels]
    for key in ("density", "counts"):
        if key not in raw:
            continue
        table = raw[key]
        if not isinstance(table, dict) or not table:
            raise ParameterError(f"{w}: {key} must be a table of channel = value, e.g. {key} = {{ Na = 60 }}")
        values = {}
        for name, value in table.items():
            if name not in names:
                raise ParameterError(f"{w}: {key} names channel {name!r}, which the cell does not have; "
                                     f"its channels: {', '.join(names)}")
            if key == "density":
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                        or value < 0:
                    raise ParameterError(f"{w}: density of {name} = {value!r} is not accepted; accepted: a number "
                                         ">= 0 (channels/µm²)")
                values[name] = float(value)
            else:
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ParameterError(f"{w}: counts of {name} = {value!r} is not a whole number of channels; "
                                         "accepted: 0, 1, 2, ...")
                values[name] = int(value)
        out[key] = values
    both = sorted(set(out.get("density", {})) & set(out.get("counts", {})))
    if both:
        raise ParameterError(f"{w}: channel {both[0]!r} is given both a density and counts; give one")
    if "seed" in raw:
        seed = raw["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ParameterError(f"{w}: seed = {seed!r} is not accepted; accepted: a whole number 0 .. 2**64 - 1")
        out["seed"] = int(seed)
    return out


def _concentrations(raw: dict, where: str) -> dict[str, float]:
    _keys(raw, tuple(DEFAULT_CONCENTRATIONS), f"{where}: [concentrations]")
    return {k: _q(f"{where}: [concentrations]", k, v, "mM") for k, v in raw.items()}


def _stimulus(raw: dict, i: int, where: str, base: Path, area: float | None) -> stim.Stimulus:
    w = f"{where}: stimuli[{i}]"
    kind = raw.get("kind")
    if kind not in STIMULI:
        raise StimulusError(f"{w}: kind must be one of {', '.join(STIMULI)}, got {kind!r}")
    keys = STIMULI[kind]
    _keys(raw, ("kind",) + tuple(keys), w)
    kwargs = {}
    for key, value in raw.items():
        if key == "kind":
            continue
        unit = keys[key]
        if unit == "path":
            if not isinstance(value, str):
                raise StimulusError(f"{w}: path must be a file name")
            kwargs[key] = str(Path(value) if Path(value).is_absolute() else base / value)
        elif unit == "count":
            if isinstance(value, bool) or not isinstance(value, int):
                raise StimulusError(f"{w}: {key} must be a whole number")
            kwargs[key] = value
        elif unit == "current":
            kwargs[key] = _q(w, key, value, "uA/cm2", area)
        else:
            kwargs[key] = _q(w, key, value, unit)
    try:
        return _FACTORIES[kind](**kwargs)
    except TypeError as exc:
        raise StimulusError(f"{w}: {exc}") from None
    except HHSimError as exc:
        raise type(exc)(f"{w}: {exc}") from None


# ------------------------------------------------------------------ writing
def _pool_table(p: IonPool) -> dict:
    """A pool's TOML table: ion, depth (µm), tau (ms), and its options where set."""
    out = {"ion": p.ion, "depth": float(p.depth), "tau": float(p.tau)}
    if not p.clip:
        out["clip"] = False
    if p.rest is not None:
        out["rest"] = float(p.rest)
    if p.pump_vmax:
        out["pump_vmax"], out["pump_km"] = float(p.pump_vmax), float(p.pump_km)
    return out


def cell_to_dict(model: Model) -> dict:
    """The TOML table of ``model`` (numbers in hhsim's units, exactly)."""
    out: dict = {"name": model.name}
    for key in ("description", "source", "notes"):
        if getattr(model, key):
            out[key] = getattr(model, key)
    out["temperature"] = float(model.temperature)
    out["spike_threshold"] = float(model.spike_threshold)
    if model.v_init is not None:
        out["v_init"] = float(model.v_init)
    if getattr(model, "initial_states", ()):
        out["initial_states"] = {k: float(v) for k, v in model.initial_states}
    out["membrane"] = {"C_m": float(model.Cm)}
    if model.concentrations:
        out["concentrations"] = {k: float(v) for k, v in model.concentrations}
    if model.pools:
        out["pools"] = [_pool_table(p) for p in model.pools]
    out["channels"] = [channel_to_dict(ch) for ch in model.channels]
    return out


def describe_cell(model: Model) -> str:
    """A cell file for ``model`` (TOML text); :func:`load_cell` reads it back to an equal model."""
    import tomli_w

    for x in (model.Cm, model.temperature, model.spike_threshold):
        if not math.isfinite(x):
            raise ModelError(f"model {model.name!r} has a non-finite value and cannot be written")
    return _HEADER + "\n" + tomli_w.dumps(cell_to_dict(model))


def write_cell(model: Model, path: str | Path) -> Path:
    """Write :func:`describe_cell` of ``model`` to ``path`` atomically."""
    text = describe_cell(model)
    path = Path(path)

    def write(tmp: str) -> None:
        Path(tmp).write_text(text)

    atomic_write(path, write)
    return path
