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


def backend_option(f):
    """--backend numba|numpy (checked by the library: a bad name is one line, exit 2)."""
    from ..engine.backend import DEFAULT, describe

    return click.option("--backend", default=DEFAULT, show_default=True, metavar="NAME",
                        help=f"Engine back end: {describe()}.")(f)


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
    """The model of the command's options (:func:`hhsim.recipe.build_model`):
    the preset plus any --channel files, with --set and --temperature applied, then
    the drugs (which act on the resulting conductances).

    A cell file's ``[noise]`` table is applied by ``hhsim run`` (``noise_applies``);
    any other command says in one line on stderr that it runs without it, rather
    than dropping it in silence.
    """
    from ..drugs import parse_drug
    from ..recipe import ModelRecipe
    from ..recipe import build_model as build

    resolve_model(model_name)  # a bad name or file: its own one-line refusal before any other
    if not noise_applies and str(model_name).lower().endswith(".toml"):
        from ..cells import read_cell

        if read_cell(model_name).noise:
            click.echo(f"hhsim: note: the [noise] table of {model_name} is applied by 'hhsim run' only; "
                       "this command runs the membrane without channel noise unless given --noise "
                       "(where it takes one: hhsim fi)", err=True)
    recipe = ModelRecipe(name=model_name, channel_files=tuple(channel_files), changes=parse_overrides(overrides),
                         temperature=temperature, drugs=tuple(parse_drug(d) for d in drugs))
    return build(recipe, where="--set ")


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
