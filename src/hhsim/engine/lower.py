"""Lowering: turn model descriptions into plain arrays and a structure key.

After this step nothing sees Python model objects.  The *structure* (which
channels, which gates, which rate-form shapes) decides the generated kernel;
the *numbers* (conductances, reversals, rate parameters, temperature factors)
live in arrays with one column per compartment, so that many neurons with
different parameters run through one compiled kernel at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ModelError
from ..model import Model


@dataclass(frozen=True)
class GateSpec:
    """Structure of one gate: which channel, exponent and rate-form kinds."""

    channel_index: int
    name: str
    power: float
    form_names: tuple[str, str]  # ("alpha", "beta") or ("inf", "tau")
    form_kinds: tuple[str, str]
    param_offsets: tuple[int, int]  # first row of each form's parameters in ``rp``


@dataclass(frozen=True)
class Structure:
    """Everything about a model that changes the generated code (hashable)."""

    n_channels: int
    channel_gates: tuple[tuple[int, ...], ...]  # gate indices of each channel
    gates: tuple[GateSpec, ...]
    n_rate_params: int

    @property
    def n_gates(self) -> int:
        return len(self.gates)


@dataclass
class Plan:
    """Arrays for ``ncomp`` compartments (or independent neurons) of one structure.

    Shapes: ``gbar``, ``erev``, ``phi``: (n_channels, ncomp); ``cm``, ``v0``,
    ``threshold``: (ncomp,); ``rp``: (n_rate_params, ncomp); ``y0``:
    (n_gates, ncomp).  Units: mS/cm², mV, 1, µF/cm², mV.
    """

    structure: Structure
    gbar: np.ndarray
    erev: np.ndarray
    phi: np.ndarray
    cm: np.ndarray
    rp: np.ndarray
    v0: np.ndarray
    y0: np.ndarray
    threshold: np.ndarray

    @property
    def ncomp(self) -> int:
        return self.cm.shape[0]


def structure_of(model: Model) -> Structure:
    """The code-relevant structure of ``model``."""
    gates, channel_gates, offset = [], [], 0
    for ci, ch in enumerate(model.channels):
        idx = []
        for g in ch.gates:
            fa, fb = g.forms
            offsets = (offset, offset + len(fa.param_names))
            offset += len(fa.param_names) + len(fb.param_names)
            idx.append(len(gates))
            gates.append(
                GateSpec(ci, g.name, float(g.power), g.form_names, (fa.kind, fb.kind), offsets)
            )
        channel_gates.append(tuple(idx))
    return Structure(len(model.channels), tuple(channel_gates), tuple(gates), offset)


def _rate_params(model: Model) -> np.ndarray:
    vals = []
    for _, g in model.gates:
        for form in g.forms:
            vals.extend(form.values())
    return np.array(vals, dtype=float)


def lower(models: Model | list[Model], initial=None) -> Plan:
    """Lower one model, or several of the same structure, into a :class:`Plan`.

    ``initial``: optional (v0, gates) pair or list of pairs overriding each
    model's initial state.
    """
    if isinstance(models, Model):
        models = [models]
    if not models:
        raise ModelError("need at least one model")
    structure = structure_of(models[0])
    for m in models[1:]:
        if structure_of(m) != structure:
            raise ModelError(
                f"models {models[0].name!r} and {m.name!r} differ in structure and cannot share a batch"
            )
    if initial is None:
        states = [m.initial_state() for m in models]
    elif isinstance(initial, tuple):
        states = [initial] * len(models)
    else:
        states = list(initial)
    n = len(models)
    return Plan(
        structure=structure,
        gbar=np.array([[c.gbar for c in m.channels] for m in models], dtype=float).T.copy(),
        erev=np.array([[c.E for c in m.channels] for m in models], dtype=float).T.copy(),
        phi=np.array([m.phis() for m in models], dtype=float).T.copy().reshape(structure.n_channels, n),
        cm=np.array([m.Cm for m in models], dtype=float),
        rp=np.array([_rate_params(m) for m in models], dtype=float).T.copy().reshape(structure.n_rate_params, n),
        v0=np.array([s[0] for s in states], dtype=float),
        y0=np.array([np.asarray(s[1], dtype=float) for s in states], dtype=float).T.copy().reshape(structure.n_gates, n),
        threshold=np.array([m.spike_threshold for m in models], dtype=float),
    )
