"""Options and helpers shared by the subcommands."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click

from .. import interop as _interop  # noqa: F401 - registers the NeuroML model reader
from ..errors import OutputError, ParameterError
from ..io import check_writable
from ..model import Model
from ..models.resolve import resolve_model
from ..quantity import unit_of

FIGURE_SUFFIXES = (".png", ".svg", ".pdf")
DATA_SUFFIXES = (".csv", ".npz", ".nc", ".nwb")
ANIMATION_SUFFIXES = (".gif", ".mp4")


def model_options(f):
    """--model, --set NAME=VALUE (repeatable), --temperature, --drug (repeatable)."""
    from ..drugs import describe_drugs

    f = click.option("--channel", "channel_files", multiple=True, metavar="FILE.toml|FILE.mod|FILE.nml",
                     help="Add a custom channel from a TOML file or a NEURON .mod file (an ion pool from a "
                          ".mod file too), or the channels of a NeuroML file's cell with their densities "
                          "(repeatable; see `hhsim channels --help`, `hhsim import-mod --help`).")(f)
    f = click.option("--drug", "drugs", multiple=True, metavar="NAME[=CONC]",
                     help="Apply a drug, e.g. --drug ttx=10nM, --drug tea=5mM, --drug pronase "
                          f"(repeatable). {describe_drugs()}.")(f)
    f = click.option("--temperature", type=float, default=None, metavar="C",
                     help="Temperature in °C (scales gate rates by each channel's Q10).")(f)
    f = click.option("--set", "overrides", multiple=True, metavar="NAME=VALUE",
                     help="Override a model parameter, e.g. --set gNa=60 (see `hhsim models NAME`).")(f)
    f = click.option("--model", "model_name", default="hh", show_default=True, metavar="NAME|FILE",
                     help="Preset model (see `hhsim models`) or a cell file (cell.toml; see "
                          "`hhsim models NAME --describe`).")(f)
    return f


def parse_overrides(items) -> dict[str, float]:
    """``["gNa=60", "EK=-80 mV"]`` -> ``{"gNa": 60.0, "EK": "-80 mV"}`` (values with a unit
    are converted by :meth:`hhsim.Model.with_params`)."""
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterError(f"--set needs NAME=VALUE, got {item!r}")
        if name in out:
            raise ParameterError(f"--set {name} is given twice; give each parameter once")
        try:
            out[name] = float(value)
        except ValueError:
            if unit_of(value.strip()) is None:
                raise ParameterError(f"--set {name}: {value.strip()!r} is not a number") from None
            out[name] = value.strip()  # a number with a unit ("60 mS/cm2"): Model.with_params converts it
    return out


def build_model(model_name: str, overrides, temperature: float | None, drugs=(), channel_files=(),
                noise_applies: bool = False) -> Model:
    """The preset plus any --channel files, with --set and --temperature applied,
    then the drugs (which act on the resulting conductances).

    A cell file's ``[noise]`` table is applied by ``hhsim run`` (``noise_applies``);
    any other command says in one line on stderr that it runs without it, rather
    than dropping it in silence.
    """
    from ..drugs import apply_drugs, parse_drug

    model = resolve_model(model_name)
    if not noise_applies and str(model_name).lower().endswith(".toml"):
        from ..cells import read_cell

        if read_cell(model_name).noise:
            click.echo(f"hhsim: note: the [noise] table of {model_name} is applied by 'hhsim run' only; "
                       "this command runs the membrane without channel noise", err=True)
    if channel_files:
        model = add_channel_files(model, channel_files)
    changes = parse_overrides(overrides)
    if temperature is not None:
        changes["temperature"] = temperature
    model = model.with_params(changes) if changes else model
    if "spike_threshold" in changes:
        from ..model import check_spike_threshold

        check_spike_threshold(model, "--set ")
    return apply_drugs(model, [parse_drug(d) for d in drugs]) if drugs else model


def add_channel_files(model: Model, paths) -> Model:
    """``model`` with the channels of ``--channel`` files, by suffix: ``.mod`` (NEURON's
    NMODL, a channel or an ion pool, :mod:`hhsim.interop.nmodl`), ``.nml`` (the channels
    of a NeuroML file's one cell, with their densities), else a channel TOML file."""
    from ..channels.spec import load_channel

    mods = [p for p in paths if Path(p).suffix.lower() == ".mod"]
    for p in paths:
        if Path(p).suffix.lower() == ".nml":
            from ..interop.neuroml import load_channels

            model = model.with_channels(*load_channels(p))
        elif p not in mods:
            model = model.with_channels(load_channel(p))
    if mods:
        from ..interop.nmodl import load_mod, with_mechanisms

        model = with_mechanisms(model, [load_mod(p) for p in mods])
    return model


def check_output(path: str | None, suffixes: tuple[str, ...], what: str) -> Path | None:
    """Validate an output path before any work is done (None passes through)."""
    if path is None:
        return None
    p = check_writable(path, suffixes)
    if p.suffix.lower() == ".mp4" and shutil.which("ffmpeg") is None:
        raise OutputError(f"cannot write {path!r}: ffmpeg is not installed; use a .gif file name")
    if p.suffix.lower() == ".nwb":
        try:
            import pynwb  # noqa: F401
        except ImportError:
            raise OutputError(f"cannot write {path!r}: NWB needs pynwb (pip install 'hhsim[interop]'); "
                              "use .csv or .npz") from None
    if p.suffix.lower() == ".nc":
        try:
            import xarray  # noqa: F401
        except ImportError:
            raise OutputError(
                f"cannot write {path!r}: NetCDF needs xarray (pip install 'hhsim[netcdf]'); use .csv or .npz"
            ) from None
    return p


def emit_json(data: dict) -> None:
    click.echo(json.dumps(data, indent=None, allow_nan=False, default=_jsonable))


def _jsonable(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return str(x)
