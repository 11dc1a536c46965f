"""A model as a command or the explorer asks for one: a preset or a model file,
extra channel files, parameter changes and a temperature, then drugs.

The command line parses its options (``--model``, ``--channel``, ``--set``,
``--temperature``, ``--drug``) into a :class:`ModelRecipe`; the explorer fills
one from its controls; :func:`build_model` turns either into the
:class:`~hhsim.Model` (the same checks and messages for both).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from .model import Model
from .models.resolve import resolve_model


@dataclass(frozen=True)
class ModelRecipe:
    """What to build.

    ``name``: a preset name or a model file (``cell.toml``, ``cell.nml``);
    ``channel_files``: channels to add (``.mod``, ``.nml`` or a channel
    ``.toml``); ``changes``: parameter name -> value (a number in the
    parameter's unit, or text with a unit such as ``"60 mS/cm2"``);
    ``temperature``: °C, or None for the model's own; ``drugs``: applications
    (:func:`hhsim.drugs.parse_drug`), applied last, to the resulting conductances.
    """

    name: str = "hh"
    channel_files: tuple[str, ...] = ()
    changes: Mapping[str, float | str] = field(default_factory=dict)
    temperature: float | None = None
    drugs: tuple = ()


def build_model(recipe: ModelRecipe, where: str = "") -> Model:
    """The model of ``recipe``: the preset or file, its channel files, the changes and
    the temperature, then the drugs.  A changed spike threshold is checked against
    the resting potential before the drugs act; ``where`` begins its message (e.g.
    ``"--set "``)."""
    from .drugs import apply_drugs
    from .model import check_spike_threshold

    model = resolve_model(recipe.name)
    if recipe.channel_files:
        model = add_channel_files(model, recipe.channel_files)
    changes = dict(recipe.changes)
    if recipe.temperature is not None:
        changes["temperature"] = recipe.temperature
    model = model.with_params(changes) if changes else model
    if "spike_threshold" in changes:
        check_spike_threshold(model, where)
    return apply_drugs(model, list(recipe.drugs)) if recipe.drugs else model


def add_channel_files(model: Model, paths) -> Model:
    """``model`` with the channels of ``paths``, by suffix: ``.mod`` (NEURON's NMODL, a
    channel or an ion pool, :mod:`hhsim.interop.nmodl`), ``.nml`` (the channels of a
    NeuroML file's one cell, with their densities), else a channel TOML file."""
    from .channels.spec import load_channel

    mods = [p for p in paths if Path(p).suffix.lower() == ".mod"]
    for p in paths:
        if Path(p).suffix.lower() == ".nml":
            from .interop.neuroml import load_channels

            model = model.with_channels(*load_channels(p))
        elif p not in mods:
            model = model.with_channels(load_channel(p))
    if mods:
        from .interop.nmodl import load_mod, with_mechanisms

        model = with_mechanisms(model, [load_mod(p) for p in mods])
    return model
