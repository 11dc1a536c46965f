"""The model description: a membrane (capacitance, temperature) and its channels.

A :class:`Model` is immutable and reads like the paper it comes from.  Every
number in it has a name (see :meth:`Model.params`), and
:meth:`Model.with_params` returns a copy with some of them changed::

    hh = hhsim.models.get("hh")
    fast = hh.with_params(gNa=60, temperature=18.5)
    shifted = hh.with_params({"Na.m.alpha.V0": -45})

Parameter names:

* ``Cm`` (µF/cm²), ``temperature`` (°C), ``spike_threshold`` (mV);
* per channel ``X``: ``gX`` (mS/cm²), ``EX`` (mV), ``X.q10``;
* per rate form: ``X.gate.form.param``, e.g. ``Na.m.alpha.V0`` (mV).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from .channels.base import Channel, Gate, replace_form_param
from .errors import ParameterError


@dataclass(frozen=True)
class ParamInfo:
    """One named model parameter: its value, unit and meaning."""

    name: str
    value: float
    unit: str
    meaning: str


@dataclass(frozen=True)
class Model:
    """A single-compartment conductance-based membrane.

    Parameters
    ----------
    name : preset name or a user's label.
    channels : the ionic conductances (a leak is a channel without gates).
    Cm : membrane capacitance, µF/cm².
    temperature : °C; scales each channel's gate rates by its Q10 factor.
    spike_threshold : mV; a spike is an upward crossing of this voltage.
    v_init : initial membrane potential in mV, or None for the resting
        equilibrium (then the gates start at their steady state there).
    source : citation of the model.
    description : one line for listings.
    """

    name: str
    channels: tuple[Channel, ...]
    Cm: float = 1.0
    temperature: float = 6.3
    spike_threshold: float = 0.0
    v_init: float | None = None
    source: str = ""
    description: str = ""

    def __post_init__(self):
        names = [c.name for c in self.channels]
        if len(set(names)) != len(names):
            raise ParameterError(f"channel names must be unique, got {names}")
        self.validate()

    # ----------------------------------------------------------------- checks
    def validate(self) -> None:
        """Raise :class:`ParameterError` for non-physical values."""
        if not (self.Cm > 0 and np.isfinite(self.Cm)):
            raise ParameterError(f"Cm must be > 0 µF/cm² (got {self.Cm})")
        if not (-50.0 <= self.temperature <= 100.0):
            raise ParameterError(
                f"temperature must be between -50 and 100 °C (got {self.temperature})"
            )
        for ch in self.channels:
            if not (ch.gbar >= 0 and np.isfinite(ch.gbar)):
                raise ParameterError(
                    f"g{ch.name} must be a conductance >= 0 mS/cm² (got {ch.gbar})"
                )
            if not np.isfinite(ch.E):
                raise ParameterError(f"E{ch.name} must be a finite potential in mV")
            if not ch.q10 > 0:
                raise ParameterError(f"{ch.name}.q10 must be > 0 (got {ch.q10})")
            for g in ch.gates:
                for fname, form in zip(g.form_names, g.forms):
                    _check_form(f"{ch.name}.{g.name}.{fname}", form)
        if not np.isfinite(self.spike_threshold):
            raise ParameterError(f"spike_threshold must be a finite potential in mV (got {self.spike_threshold})")

    # ------------------------------------------------------------- parameters
    @property
    def gates(self) -> list[tuple[Channel, Gate]]:
        """All (channel, gate) pairs in state order."""
        return [(ch, g) for ch in self.channels for g in ch.gates]

    @property
    def state_names(self) -> list[str]:
        """Gate state names; the short gate name when unique (``m``), else ``Na.m``."""
        short = [g.name for _, g in self.gates]
        return [
            g.name if short.count(g.name) == 1 else f"{ch.name}.{g.name}"
            for ch, g in self.gates
        ]

    def channel(self, name: str) -> Channel:
        for ch in self.channels:
            if ch.name == name:
                return ch
        raise ParameterError(
            f"unknown channel {name!r}; this model has {[c.name for c in self.channels]}"
        )

    def params(self) -> dict[str, ParamInfo]:
        """Every overridable parameter, by name, in a stable order."""
        out = {
            "Cm": ParamInfo("Cm", self.Cm, "uF/cm2", "membrane capacitance"),
            "temperature": ParamInfo("temperature", self.temperature, "degC", "temperature"),
            "spike_threshold": ParamInfo(
                "spike_threshold", self.spike_threshold, "mV", "spike detection threshold"
            ),
        }
        for ch in self.channels:
            n = ch.name
            out[f"g{n}"] = ParamInfo(f"g{n}", ch.gbar, "mS/cm2", f"maximal {n} conductance")
            out[f"E{n}"] = ParamInfo(f"E{n}", ch.E, "mV", f"{n} reversal potential")
            if ch.gates:
                out[f"{n}.q10"] = ParamInfo(f"{n}.q10", ch.q10, "", f"{n} gate Q10")
            for g in ch.gates:
                for fname, form in zip(g.form_names, g.forms):
                    for p in form.param_names:
                        key = f"{n}.{g.name}.{fname}.{p}"
                        unit = _form_param_unit(fname, form.kind, p)
                        out[key] = ParamInfo(key, getattr(form, p), unit, f"{form.kind} form")
        return out

    def with_params(self, overrides: dict[str, float] | None = None, **kwargs) -> "Model":
        """A copy with the named parameters changed (see the module docstring)."""
        changes = dict(overrides or {})
        changes.update(kwargs)
        known = self.params()
        model = self
        for key, value in changes.items():
            if key not in known:
                raise ParameterError(
                    f"unknown parameter {key!r} for model {self.name!r}; accepted: "
                    + ", ".join(known)
                )
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ParameterError(f"parameter {key} needs a number, got {value!r}") from None
            model = model._set(key, value)
        model.validate()
        return model

    def _set(self, key: str, value: float) -> "Model":
        if key in ("Cm", "temperature", "spike_threshold"):
            return dataclasses.replace(self, **{key: value})
        if "." not in key:
            kind, chname = key[0], key[1:]
            field = "gbar" if kind == "g" else "E"
            return self._replace_channel(chname, lambda ch: ch.replace(**{field: value}))
        parts = key.split(".")
        if len(parts) == 2:  # X.q10
            return self._replace_channel(parts[0], lambda ch: ch.replace(q10=value))
        chname, gname, fname, pname = parts

        def change(ch: Channel) -> Channel:
            gates = tuple(
                dataclasses.replace(
                    g, **{fname: replace_form_param(getattr(g, fname), pname, value)}
                )
                if g.name == gname
                else g
                for g in ch.gates
            )
            return ch.replace(gates=gates)

        return self._replace_channel(chname, change)

    def _replace_channel(self, name: str, change) -> "Model":
        channels = tuple(change(ch) if ch.name == name else ch for ch in self.channels)
        return dataclasses.replace(self, channels=channels)

    def with_channels(self, *channels: Channel) -> "Model":
        """A copy with extra channels added (e.g. a custom A-current)."""
        return dataclasses.replace(self, channels=self.channels + tuple(channels))

    # ----------------------------------------------------------- equilibrium
    def phis(self) -> np.ndarray:
        """Temperature factor of each channel at the model temperature."""
        return np.array([ch.phi(self.temperature) for ch in self.channels])

    def steady_state_current(self, v) -> np.ndarray:
        """Total ionic current (µA/cm²) with every gate at its steady state at V."""
        v = np.asarray(v, dtype=float)
        total = np.zeros_like(v)
        for ch in self.channels:
            frac = 1.0
            for g in ch.gates:
                frac = frac * g.steady_state(v) ** g.power
            total = total + ch.gbar * frac * (v - ch.E)
        return total

    def resting_potential(self) -> float:
        """The resting equilibrium (mV): a root of the steady-state I-V curve.

        Among the roots where the steady-state conductance is positive
        (stable in V), the most hyperpolarised is taken.
        """
        return _resting_potential(self)

    def initial_state(self) -> tuple[float, np.ndarray]:
        """(V0 in mV, gate values) the simulation starts from."""
        v0 = self.resting_potential() if self.v_init is None else float(self.v_init)
        gates = np.array([g.steady_state(v0) for _, g in self.gates], dtype=float)
        return v0, gates


def _check_form(prefix: str, form) -> None:
    """Rate-form constants must be finite; slopes non-zero; amplitudes >= 0."""
    for p in getattr(form, "param_names", ()):
        value = getattr(form, p)
        if not isinstance(value, (int, float)):
            continue
        if not np.isfinite(value):
            raise ParameterError(f"{prefix}.{p} must be finite (got {value})")
        if p == "k" and value == 0:
            raise ParameterError(f"{prefix}.k is a slope in mV and must not be 0")
        if p in ("A", "value") and value < 0:
            raise ParameterError(f"{prefix}.{p} must be >= 0 (got {value})")


def _form_param_unit(form_name: str, kind: str, param: str) -> str:
    """Unit of a rate-form parameter: V0 and k in mV; the amplitude depends on the role."""
    if param in ("V0", "k"):
        return "mV"
    scale = {"alpha": "1/ms", "beta": "1/ms", "inf": "1", "tau": "ms"}[form_name]
    if kind == "linexp":  # A (V - V0) / (...): A carries an extra 1/mV
        return f"{scale}/mV"
    return scale


@functools.lru_cache(maxsize=256)
def _resting_potential(model: Model) -> float:
    grid = np.arange(-150.0, 150.0 + 1e-9, 0.25)
    cur = model.steady_state_current(grid)
    roots = []
    for i in np.nonzero(np.sign(cur[:-1]) * np.sign(cur[1:]) <= 0)[0]:
        a, b = grid[i], grid[i + 1]
        if cur[i] == 0:
            root = a
        else:
            root = brentq(model.steady_state_current, a, b, xtol=1e-13, rtol=1e-15)
        if not roots or abs(root - roots[-1]) > 1e-9:
            roots.append(root)
    stable = [r for r in roots if model.steady_state_current(r + 1e-4) > model.steady_state_current(r - 1e-4)]
    if stable:
        return float(stable[0])
    if roots:
        return float(roots[0])
    raise ParameterError(
        f"model {model.name!r} has no resting potential between -150 and 150 mV; "
        "give an initial voltage (v_init)"
    )
