"""One place where a ``--model`` value becomes a :class:`~hhsim.Model`.

A value is a preset name (``hh``), or the path of a file whose suffix has a
registered reader (``cell.toml`` -> :func:`hhsim.cells.load_cell`).  Other
formats register their reader here (:func:`register_reader`), so every
command and function that takes a model name (``--model``, network
populations, cable channels, ``hhsim.simulate("cell.toml", ...)``) reads them
without knowing about them: :func:`hhsim.models.get` consults this registry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..cells import load_cell, read_cell
from ..errors import ModelError
from ..model import Model

#: preset name -> factory (filled by :mod:`hhsim.models`, which lists the presets)
PRESETS: dict[str, Callable[[], Model]] = {}
#: variant name -> factory: a preset as its source's own code runs it, kept to check the
#: preset against that source; reached by name like a preset, not listed among them
VARIANTS: dict[str, Callable[[], Model]] = {}
#: preset or variant name -> (its factory, the model it built): a model is immutable, so
#: every ``get("hh")`` can be the same object (and what is computed once per model
#: object, such as its lowering, is computed once per preset)
_BUILT: dict[str, tuple[Callable[[], Model], Model]] = {}
#: file suffix (lower case, with the dot) -> reader(path) -> Model
_READERS: dict[str, Callable[[Path], Model]] = {}
#: file suffix -> reader(path) -> the stimulus the file carries, or None
_STIMULI: dict[str, Callable[[Path], object]] = {}


def register_reader(suffix: str, reader: Callable[[Path], Model],
                    stimulus: Callable[[Path], object] | None = None) -> None:
    """Accept files ending in ``suffix`` (e.g. ``".nml"``) wherever a model is named.

    ``reader(path)`` returns the :class:`Model` (and raises hhsim's errors,
    one line naming the file); ``stimulus(path)``, optional, the stimulus the
    file carries (``hhsim run`` uses it when no ``--stim`` is given).
    """
    suffix = suffix.lower()
    if not suffix.startswith("."):
        suffix = "." + suffix
    _READERS[suffix] = reader
    if stimulus is not None:
        _STIMULI[suffix] = stimulus


def suffixes() -> list[str]:
    """The registered model file suffixes."""
    return sorted(_READERS)


def is_model_file(name) -> bool:
    """Does ``name`` name a model file (a path whose suffix has a reader)?"""
    return isinstance(name, (str, Path)) and Path(str(name)).suffix.lower() in _READERS


def read_model_file(path: str | Path) -> Model:
    """The model in the file ``path`` (its suffix chooses the reader)."""
    path = Path(str(path))
    return _READERS[path.suffix.lower()](path)


def resolve_model(name_or_path: str | Path | Model) -> Model:
    """The preset called ``name_or_path``, or the model in that file (a :class:`Model`
    is returned unchanged)."""
    if isinstance(name_or_path, Model):
        return name_or_path
    if is_model_file(name_or_path):
        return read_model_file(name_or_path)
    try:
        factory = PRESETS.get(name_or_path) or VARIANTS[name_or_path]
        built = _BUILT.get(name_or_path)
        if built is None or built[0] is not factory:
            built = _BUILT[name_or_path] = (factory, factory())
        return built[1]
    except (KeyError, TypeError):
        raise ModelError(f"unknown model {name_or_path!r}; available: {', '.join(PRESETS)}, "
                         f"or a model file ({', '.join('*' + s for s in suffixes())})") from None


def resolve_stimulus(name_or_path):
    """The stimulus a model file carries (None for presets and files without one)."""
    if is_model_file(name_or_path):
        path = Path(str(name_or_path))
        reader = _STIMULI.get(path.suffix.lower())
        return reader(path) if reader is not None else None
    return None


register_reader(".toml", load_cell, lambda path: read_cell(path).stimulus)

