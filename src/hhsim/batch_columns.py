"""A batch whose neurons differ in some parameters, lowered without a model per neuron.

``simulate_batch("hh", {"gNa": array of 10,000})`` used to build 10,000
models, lower each and find each one's resting potential by a root search
of its own: about 0.3 ms of Python per neuron, three times the 10,000-step
run itself.  Most parameters a batch varies (maximal conductances, reversal
potentials, the capacitance, the spike threshold) are copied as they are
into one row of the lowered plan.  :func:`columns_plan` finds that row
(by lowering the model with two other values and comparing), lowers the
model once, writes each neuron's value into its column and finds every
resting potential at once (:func:`hhsim.physics.rest.resting_potentials`).
The plan is the one ``lower`` would build from the models, entry for entry,
so each neuron still gives exactly what :func:`hhsim.simulate` gives it alone.

Parameters that land elsewhere (rate constants, which decide the kernel's
shared exponentials; the temperature; drug concentrations) and models with
concentration pools or given initial gate values keep the model-per-neuron path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from .drugs import DRUG_PARAMS, application, apply_drugs
from .errors import HHSimError
from .model import Model, lowered_without_rest
from .physics.evaluate import physics
from .physics.rest import resting_potentials
from .physics.structure import Plan

#: Plan arrays a parameter may be copied into (one row each; per neuron).
COPIED_INTO = ("gbar", "erev", "cm", "threshold")


def model_with(base: Model, values: dict[str, float]) -> Model:
    """``base`` with model parameters set, then drug concentrations applied."""
    if not values:
        return base

    plain = {k: v for k, v in values.items() if k not in DRUG_PARAMS}
    model = base.with_params(plain) if plain else base
    drugs = [application(DRUG_PARAMS[k], v) for k, v in values.items() if k in DRUG_PARAMS]
    return apply_drugs(model, drugs) if drugs else model


class ModelsWith(Sequence):
    """The model of each neuron of a batch, built when asked for (``base`` with
    neuron i's values of ``arrays``)."""

    def __init__(self, base: Model, arrays: dict[str, np.ndarray], n: int):
        self.base, self.arrays, self.n = base, arrays, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self.n))]
        if not -self.n <= i < self.n:
            raise IndexError(f"neuron {i} of a batch of {self.n}")
        i %= self.n
        return model_with(self.base, {k: float(v[i]) for k, v in self.arrays.items()})


def copied_row(base: Model, name: str) -> tuple[str, int] | None:
    """(plan array, row) into which parameter ``name`` of ``base`` is copied as it is, or None.

    Found by lowering ``base`` with two other values of the parameter: exactly
    one entry may change, to exactly the value given, and the structure may not.
    """
    if name in DRUG_PARAMS or name not in base.params():
        return None
    plain = lowered_without_rest(base)
    value = float(base.params()[name].value)
    found = None
    for probe in (value * 1.25 + 0.5, value * 0.8 + 0.25):
        try:
            plan = lowered_without_rest(base.with_params({name: probe}))
        except HHSimError:
            return None
        if plan.structure != plain.structure:
            return None
        changed = []
        for array in ("gbar", "erev", "phi", "cm", "rp", "threshold"):
            diff = np.argwhere(getattr(plan, array) != getattr(plain, array))
            changed += [(array, int(idx[0]) if getattr(plan, array).ndim == 2 else 0) for idx in diff]
        if len(changed) != 1 or changed[0][0] not in COPIED_INTO:
            return None
        array, row = changed[0]
        entry = getattr(plan, array)[row] if getattr(plan, array).ndim == 2 else getattr(plan, array)
        if float(np.ravel(entry)[0]) != probe or (found is not None and found != (array, row)):
            return None
        found = (array, row)
    return found


def columns_plan(base: Model, arrays: dict[str, np.ndarray], n: int) -> Plan | None:
    """The plan of ``n`` neurons of ``base`` with ``arrays`` (name -> (n,) values), lowered
    once; None when a parameter or the model needs one model per neuron (see the module)."""
    if not arrays or base.pools or base.initial_states:
        return None
    rows = {}
    for name in arrays:
        row = copied_row(base, name)
        if row is None:
            return None
        rows[name] = row
    plain = lowered_without_rest(base)
    widen = lambda a: np.ascontiguousarray(np.repeat(a[..., :1], n, axis=-1))  # noqa: E731
    plan = Plan(plain.structure, widen(plain.gbar), widen(plain.erev), widen(plain.phi), widen(plain.cm),
                widen(plain.rp), widen(plain.v0), widen(plain.y0), widen(plain.threshold))
    for name, (array, row) in rows.items():
        target = getattr(plan, array)
        if target.ndim == 2:
            target[row] = arrays[name]
        else:
            target[:] = arrays[name]
    v0 = resting_potentials(plan, [base.name]) if base.v_init is None else np.full(n, float(base.v_init))
    x_inf = physics(plan, v0, np.zeros((plan.structure.n_states, n)), steady=True)["x_inf"]
    return replace(plan, v0=v0, y0=np.ascontiguousarray(x_inf, dtype=float))
