"""The model description: a membrane (capacitance, temperature), its channels,
ion concentrations and intracellular ion pools.

A :class:`Model` is immutable and reads like the paper it comes from.  Every
number in it has a name (see :meth:`Model.params`), and
:meth:`Model.with_params` returns a copy with some of them changed::

    hh = hhsim.models.get("hh")
    fast = hh.with_params(gNa=60, temperature=18.5)
    shifted = hh.with_params({"Na.m.alpha.V0": -45})
    depolarised = hhsim.models.get("wang_buzsaki").with_params(K_out=10)

Parameter names:

* ``Cm`` (µF/cm²), ``temperature`` (°C), ``spike_threshold`` (mV);
* concentrations ``Na_in``, ``Na_out``, ``K_in``, ``K_out``, ``Ca_in``,
  ``Ca_out``, ``Cl_in``, ``Cl_out`` (mM) for the ions the model uses;
* per intracellular pool (e.g. calcium): ``Ca_tau`` (ms), ``Ca_depth`` (µm);
  its resting level is ``Ca_in``;
* per channel ``X``: ``gX`` (mS/cm²) or, for a GHK channel, ``pX`` (cm/s);
  ``EX`` (mV, only for a fixed reversal potential); ``X.q10``; the channel's
  named constants ``X.name``;
* per rate form: ``X.gate.form.param``, e.g. ``Na.m.alpha.V0`` (mV).

A value may also be a string with a unit, converted once into the parameter's
unit (``hh.with_params(gNa="0.06 S/cm2", EK="-80 mV")``); a quantity of the
wrong dimension is refused (:mod:`hhsim.quantity`).

States are named in :attr:`Model.state_names`; a gate's qualified name
``Channel.gate`` (``"Na.m"``) is accepted everywhere a state is named
(``Result.states``, ``simulate(initial_state=...)``, ``channel_currents``),
and its short name (``"m"``) while no other channel has a gate of that name, so
a script written with qualified names survives adding a channel.
"""

from __future__ import annotations

import dataclasses
import functools
import numbers
from dataclasses import dataclass

import numpy as np

from . import quantity as _quantity
from .channels import expr as _expr
from .channels.base import Channel, Expr, Gate
from .channels.ions import (
    DEFAULT_CONCENTRATIONS, IONS, IonPool, conc_names, nernst, shell_influx_factor,
    valence,
)
from .checks import MAX_POTENTIAL as _MAX_POTENTIAL, start_potential
from .errors import ParameterError

_CONC_ORDER = tuple(DEFAULT_CONCENTRATIONS)


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
    temperature : °C; scales each channel's gate rates by its Q10 factor and
        sets RT/F in the Nernst and GHK equations.
    spike_threshold : mV; a spike is an upward crossing of this voltage.
    v_init : initial membrane potential in mV, or None for the resting
        equilibrium (then the gates start at their steady state there).
    source : citation of the model.
    description : one line for listings.
    concentrations : ion concentrations in mM, e.g. ``{"K_in": 140, "K_out": 4}``;
        missing ones that a channel or pool needs are taken from
        :data:`hhsim.channels.ions.DEFAULT_CONCENTRATIONS`.
    pools : intracellular ion pools (:class:`~hhsim.channels.ions.IonPool`),
        each adding a state ``Ca_i`` (mM) etc.
    notes : documentation of the parameter choices (shown by ``hhsim models NAME``).
    """

    name: str
    channels: tuple[Channel, ...]
    Cm: float = 1.0
    temperature: float = 6.3
    spike_threshold: float = 0.0
    v_init: float | None = None
    source: str = ""
    description: str = ""
    concentrations: tuple[tuple[str, float], ...] = ()
    pools: tuple[IonPool, ...] = ()
    notes: str = ""
    #: States that start at a given value instead of their steady state at V0, as
    #: ``(state name, value)`` pairs (some authors' code starts gates at 0).
    initial_states: tuple[tuple[str, float], ...] = ()

    def __post_init__(self):
        set_ = functools.partial(object.__setattr__, self)
        if not isinstance(self.channels, tuple):
            set_("channels", tuple(self.channels))
        if not isinstance(self.pools, tuple):
            set_("pools", tuple(self.pools))
        names = [c.name for c in self.channels]
        if len(set(names)) != len(names):
            raise ParameterError(f"channel names must be unique, got {names}")
        pool_ions = [p.ion for p in self.pools]
        if len(set(pool_ions)) != len(pool_ions):
            raise ParameterError(f"at most one pool per ion, got {pool_ions}")
        conc = dict(self.concentrations)
        for key in conc:
            if key not in DEFAULT_CONCENTRATIONS:
                raise ParameterError(
                    f"unknown concentration {key!r}; accepted: {', '.join(DEFAULT_CONCENTRATIONS)}"
                )
        for key in self._needed_concentrations():
            conc.setdefault(key, DEFAULT_CONCENTRATIONS[key])
        for key, value in conc.items():
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ParameterError(f"concentration {key} needs a number in mM, got {value!r}") from None
            if not (np.isfinite(value) and value > 0):
                raise ParameterError(f"{key} must be a concentration > 0 mM (got {value:g})")
            conc[key] = value
        set_("concentrations", tuple((k, conc[k]) for k in _CONC_ORDER if k in conc))
        # resolve Nernst/GHK reversal potentials at rest
        resolved = tuple(
            ch.replace(E=float(self._rest_reversal(ch))) if ch.reversal != "fixed" else ch
            for ch in self.channels
        )
        set_("channels", resolved)
        self.validate()

    def _needed_concentrations(self) -> list[str]:
        need = []
        ions = {ch.ion for ch in self.channels if ch.reversal != "fixed"} | {p.ion for p in self.pools}
        for ion in ions:
            need += list(conc_names(ion))
        for ch in self.channels:
            for g in ch.gates:
                for f in g.forms:
                    for n in f.external_names():
                        if n in _expr.CONCENTRATION_NAMES:
                            need.append(n)
                        elif n in _expr.DYNAMIC_NAMES:
                            need.append(n[:-2] + "_in")
        return need

    # ----------------------------------------------------------------- checks
    def validate(self) -> None:
        """Raise :class:`ParameterError` for non-physical values."""
        if not (self.Cm > 0 and np.isfinite(self.Cm)):
            raise ParameterError(f"Cm must be > 0 µF/cm² (got {self.Cm})")
        if not self.Cm <= MAX_CM:  # a membrane this slow never moves: every run would be silent
            raise ParameterError(f"Cm = {self.Cm:.4g} µF/cm² is not a membrane's capacitance; accepted: > 0 to "
                                 f"{MAX_CM:g} µF/cm² (biological membranes: about 1)")
        if isinstance(self.spike_threshold, bool) or not (isinstance(self.spike_threshold, numbers.Real)
                                                           and np.isfinite(float(self.spike_threshold))):
            raise ParameterError(f"spike_threshold must be a finite potential in mV (got {self.spike_threshold!r}); "
                                 "a NaN threshold would count no spike at all")
        if abs(float(self.spike_threshold)) > MAX_POTENTIAL:
            raise ParameterError(f"spike_threshold = {float(self.spike_threshold):.4g} mV is beyond any membrane "
                                 f"potential, so no spike would ever be counted; accepted: -{MAX_POTENTIAL:g} to "
                                 f"{MAX_POTENTIAL:g} mV")
        if self.v_init is not None and (isinstance(self.v_init, bool) or not (
                isinstance(self.v_init, numbers.Real) and np.isfinite(float(self.v_init)))):
            raise ParameterError(f"v_init must be a finite potential in mV or None (got {self.v_init!r})")
        if self.v_init is not None:
            start_potential(self.v_init)
        if not (-50.0 <= self.temperature <= 100.0):
            raise ParameterError(
                f"temperature must be between -50 and 100 °C (got {self.temperature})"
            )
        for ch in self.channels:
            what = f"p{ch.name} must be a permeability >= 0 cm/s" if ch.reversal == "ghk" else \
                f"g{ch.name} must be a conductance >= 0 mS/cm²"
            if not (ch.gbar >= 0 and np.isfinite(ch.gbar)):
                accepted = "" if ch.reversal == "ghk" else \
                    f"; a membrane's conductance density is 0 to {MAX_CONDUCTANCE:g} mS/cm²"
                raise ParameterError(f"{what} (got {ch.gbar}){accepted}")
            if not np.isfinite(ch.E):
                raise ParameterError(f"E{ch.name} must be a finite potential in mV")
            if not ch.q10 > 0:
                raise ParameterError(f"{ch.name}.q10 must be > 0 (got {ch.q10})")
        for p in self.pools:
            IonPool(p.ion, p.depth, p.tau)
        self._check_gate_ranges()
        self._check_initial_states()

    def _check_initial_states(self) -> None:
        """A model's own initial_states: known states, gates as fractions (0 to 1), pools > 0 mM
        (``initial_state={'m': 5}`` is refused by simulate; a cell file's [initial_states] too)."""
        if not self.initial_states:
            return
        index = {name: k for k, name in enumerate(self.state_names)}
        aliases = getattr(self, "state_aliases", {}) or {}
        n_gates = len(self.gates)
        for name, value in self.initial_states:
            key = name if name in index else aliases.get(name, name)
            if key not in index:
                raise ParameterError(f"model {self.name!r}: initial_states names unknown state {name!r}; "
                                     f"accepted: {', '.join(self.state_names)}")
            x = float(value)
            if index[key] < n_gates and not 0.0 <= x <= 1.0:
                raise ParameterError(f"model {self.name!r}: initial state {name} = {x:.4g} is not a fraction of "
                                     "open channels; accepted: 0 to 1")
            if index[key] >= n_gates and not (np.isfinite(x) and x > 0):
                raise ParameterError(f"model {self.name!r}: initial state {name} = {x:.4g} mM is not a "
                                     "concentration; accepted: a finite number > 0 mM")

    def _check_gate_ranges(self) -> None:
        """Every gate's steady state is a fraction (0 to 1) at every V from -120 to +80 mV.

        A rate or x_inf expression that leaves [0, 1] (a channel file with
        ``m_inf = 2 / (1 + exp(..))``) would give negative or above-maximal
        conductances without a word; it is refused here, for every way a model is made.
        """
        if not self.gates:
            return
        # x_inf depends on the gates' rate forms and parameters and on the concentrations
        # only, not on conductances or reversals: a batch of one model per neuron with
        # other gNa values (or a protocol's models) is checked once, not once per model
        try:
            key = (tuple((c.name, c.gates, c.params) for c in self.channels),
                   tuple(sorted(self.concentration.items())), self.pools)
            hash(key)
        except TypeError:
            key = None
        if key is not None and key in _GATE_RANGES_CHECKED:
            return
        v = np.linspace(-120.0, 80.0, 81)
        with np.errstate(all="ignore"):
            xs = self.gate_steady_states(v)
        for (chname, gname), x in xs.items():
            x = np.asarray(x, dtype=float)
            # some slack: published fits overshoot a little (Connor-Stevens' a_inf)
            bad = np.flatnonzero(np.isfinite(x) & ((x < -GATE_SLACK) | (x > 1.0 + GATE_SLACK)))
            if bad.size:
                k = bad[0]
                raise ParameterError(
                    f"gate {chname}.{gname}: its steady state reaches {x[k]:.4g} at V = {v[k]:g} mV; a gate is the "
                    f"fraction of open channels, so 0 <= {gname}_inf <= 1 at every V (check its rate expressions)")
        if key is not None:
            if len(_GATE_RANGES_CHECKED) >= 4096:
                _GATE_RANGES_CHECKED.clear()
            _GATE_RANGES_CHECKED.add(key)

    # ------------------------------------------------------------- parameters
    @property
    def gates(self) -> list[tuple[Channel, Gate]]:
        """All (channel, gate) pairs in state order (instantaneous gates included)."""
        return [(ch, g) for ch in self.channels for g in ch.gates]

    @property
    def state_names(self) -> list[str]:
        """State names: gates (the short name when unique, ``m``, else ``Na.m``),
        then the intracellular pools (``Ca_i``, mM)."""
        short = [g.name for _, g in self.gates]
        return [
            g.name if short.count(g.name) == 1 else f"{ch.name}.{g.name}"
            for ch, g in self.gates
        ] + [p.state_name for p in self.pools]

    @property
    def state_aliases(self) -> dict[str, str]:
        """Every accepted name of a state -> its entry in :attr:`state_names`.

        A gate is always reachable by its qualified name ``Channel.gate``
        (``Na.m``), and by its short name (``m``) where no other channel has a
        gate of that name; so adding a channel never breaks a script that uses
        qualified names.  Pool states (``Ca_i``) have one name.
        """
        out = {}
        short = [g.name for _, g in self.gates]
        for (ch, g), key in zip(self.gates, self.state_names):
            out[f"{ch.name}.{g.name}"] = key
            if short.count(g.name) == 1:
                out[g.name] = key
        for p in self.pools:
            out[p.state_name] = p.state_name
        return out

    def state_key(self, name: str) -> str:
        """The :attr:`state_names` entry for ``name`` (qualified ``Na.m`` or unique short ``m``)."""
        aliases = self.state_aliases
        if name in aliases:
            return aliases[name]
        owners = [f"{ch.name}.{g.name}" for ch, g in self.gates if g.name == name]
        if len(owners) > 1:
            raise ParameterError(f"state {name!r} is ambiguous in model {self.name!r}: write {' or '.join(owners)}")
        raise ParameterError(f"unknown state {name!r}; accepted: {', '.join(aliases)}")

    @property
    def n_gates(self) -> int:
        return len(self.gates)

    def state_unit(self, name: str) -> str:
        """``"1"`` for a gate, ``"mM"`` for a concentration state."""
        return "mM" if name in {p.state_name for p in self.pools} else "1"

    def channel(self, name: str) -> Channel:
        for ch in self.channels:
            if ch.name == name:
                return ch
        raise ParameterError(
            f"unknown channel {name!r}; this model has {[c.name for c in self.channels]}"
        )

    @property
    def concentration(self) -> dict[str, float]:
        """Ion concentrations in mM."""
        return dict(self.concentrations)

    def pool(self, ion: str) -> IonPool | None:
        for p in self.pools:
            if p.ion == ion:
                return p
        return None

    def _param_table(self):
        """(name, value, unit, meaning, target) for every parameter."""
        rows = [
            ("Cm", self.Cm, "uF/cm2", "membrane capacitance", ("model", "Cm")),
            ("temperature", self.temperature, "degC", "temperature", ("model", "temperature")),
            ("spike_threshold", self.spike_threshold, "mV", "spike detection threshold",
             ("model", "spike_threshold")),
        ]
        for key, value in self.concentrations:
            side = "intracellular" if key.endswith("_in") else "extracellular"
            meaning = f"{side} {key.split('_')[0]} concentration"
            if key.endswith("_in") and self.pool(_ion_of(key)) is not None:
                meaning += " (resting level of the pool)"
            rows.append((key, value, "mM", meaning, ("conc", key)))
        for p in self.pools:
            rows.append((f"{p.prefix}_tau", p.tau, "ms", f"{p.prefix} pool decay time constant",
                         ("pool", p.ion, "tau")))
            rows.append((f"{p.prefix}_depth", p.depth, "um", f"{p.prefix} pool shell depth",
                         ("pool", p.ion, "depth")))
        for ch in self.channels:
            n = ch.name
            if ch.reversal == "ghk":
                rows.append((f"p{n}", ch.gbar, "cm/s", f"maximal {n} permeability (GHK)",
                             ("channel", n, "gbar")))
            else:
                rows.append((f"g{n}", ch.gbar, "mS/cm2", f"maximal {n} conductance",
                             ("channel", n, "gbar")))
            if ch.reversal == "fixed":
                rows.append((f"E{n}", ch.E, "mV", f"{n} reversal potential", ("channel", n, "E")))
            if ch.gates:
                rows.append((f"{n}.q10", ch.q10, "", f"{n} gate Q10", ("channel", n, "q10")))
            for pname, pval in ch.params:
                rows.append((f"{n}.{pname}", pval, ch.param_unit(pname), f"{n} constant",
                             ("chparam", n, pname)))
            for g in ch.gates:
                for fname, form in zip(g.form_names, g.forms):
                    for p in form.param_names:
                        key = f"{n}.{g.name}.{fname}.{p}"
                        if isinstance(form, Expr):
                            unit = form.unit(p)
                        else:
                            unit = _form_param_unit(fname, form.kind, p)
                        rows.append((key, dict(zip(form.param_names, form.values()))[p], unit,
                                     f"{form.kind} form", ("form", n, g.name, fname, p)))
        return rows

    def params(self) -> dict[str, ParamInfo]:
        """Every overridable parameter, by name, in a stable order."""
        return {r[0]: ParamInfo(r[0], float(r[1]), r[2], r[3]) for r in self._param_table()}

    def with_params(self, overrides: dict[str, float] | None = None, **kwargs) -> "Model":
        """A copy with the named parameters changed (see the module docstring)."""
        if overrides is not None and not isinstance(overrides, dict):
            from .validate import shown

            raise ParameterError(f"with_params takes a dict of name -> value such as {{'gNa': 60}} (got "
                                 f"{type(overrides).__name__} {shown(overrides)})")
        changes = dict(overrides or {})
        changes.update(kwargs)
        rows = self._param_table()
        table = {r[0]: r[4] for r in rows}
        units = {r[0]: r[2] for r in rows}
        model = self
        for key, value in changes.items():
            if not isinstance(key, str):
                raise ParameterError(f"parameter names are strings such as 'gNa', got {key!r}")
            if key not in table:
                raise ParameterError(self._unknown_param_message(key, table))
            if isinstance(value, str) and _quantity.unit_of(value) is not None:
                value = _with_unit(key, value, units[key])
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ParameterError(f"parameter {key} needs a number, got {value!r}") from None
            except OverflowError:  # an integer beyond any float
                from .validate import shown

                raise ParameterError(f"parameter {key} = {shown(value)} is too large; accepted: a finite number") from None
            if not np.isfinite(value):
                raise ParameterError(f"parameter {key} must be finite, got {value!r}")
            _check_physical(key, value, units[key])
            model = model._set(table[key], key, value)
        model.validate()
        return model

    def _unknown_param_message(self, key: str, table) -> str:
        hint = ""
        if key.startswith("E") and key[1:] in [c.name for c in self.channels]:
            ch = self.channel(key[1:])
            cin, cout = conc_names(ch.ion)
            hint = (f" (E{ch.name} is computed by the "
                    f"{'Nernst' if ch.reversal == 'nernst' else 'GHK'} equation; set {cin} or {cout})")
        elif key in DEFAULT_CONCENTRATIONS:
            hint = " (this model does not use that ion's concentrations: its reversal potentials are fixed)"
        return f"unknown parameter {key!r} for model {self.name!r}{hint}; accepted: " + ", ".join(table)

    def _set(self, target, key: str, value: float) -> "Model":
        kind = target[0]
        if kind == "model":
            return dataclasses.replace(self, **{target[1]: value})
        if kind == "conc":
            if not value > 0:
                raise ParameterError(f"{key} must be a concentration > 0 mM (got {value:g})")
            conc = dict(self.concentrations)
            conc[target[1]] = value
            return dataclasses.replace(self, concentrations=tuple(conc.items()))
        if kind == "pool":
            _, ion, field = target
            if not value > 0:
                unit = "ms" if field == "tau" else "µm"
                raise ParameterError(f"{key} must be > 0 {unit} (got {value:g})")
            pools = tuple(dataclasses.replace(p, **{field: value}) if p.ion == ion else p
                          for p in self.pools)
            return dataclasses.replace(self, pools=pools)
        chname = target[1]
        if kind == "channel":
            field = target[2]
            return self._replace_channel(chname, lambda ch: ch.replace(**{field: value}))
        if kind == "chparam":
            pname = target[2]
            return self._replace_channel(
                chname, lambda ch: ch.replace(params=tuple((k, value if k == pname else v) for k, v in ch.params))
            )
        _, _, gname, fname, pname = target

        def change(ch: Channel) -> Channel:
            gates = tuple(
                dataclasses.replace(g, **{fname: getattr(g, fname).with_param(pname, value)})
                if g.name == gname else g
                for g in ch.gates
            )
            return ch.replace(gates=gates)

        return self._replace_channel(chname, change)

    def _replace_channel(self, name: str, change) -> "Model":
        channels = tuple(change(ch) if ch.name == name else ch for ch in self.channels)
        return dataclasses.replace(self, channels=channels)

    def with_channels(self, *channels: Channel) -> "Model":
        """A copy with extra channels added (e.g. a custom A-current)."""
        for c in channels:
            if not isinstance(c, Channel):
                raise ParameterError(f"with_channels takes Channel objects, got {type(c).__name__} {c!r}")
        return dataclasses.replace(self, channels=self.channels + tuple(channels))

    def without_channels(self, *names: str) -> "Model":
        """A copy without the named channels."""
        for n in names:
            self.channel(n)
        return dataclasses.replace(self, channels=tuple(c for c in self.channels if c.name not in names))

    # ------------------------------------------------------------ ions
    def reversal_potential(self, ch: Channel, conc_in=None):
        """Reversal potential (mV) of ``ch``; ``conc_in`` overrides the
        intracellular concentration of its ion (an array for a pool trace)."""
        if ch.reversal == "fixed":
            return ch.E
        return self._rest_reversal(ch, conc_in)

    def _rest_reversal(self, ch: Channel, conc_in=None):
        cin_name, cout_name = conc_names(ch.ion)
        conc = dict(self.concentrations)
        cin = conc[cin_name] if conc_in is None else conc_in
        return nernst(conc[cout_name], cin, valence(ch.ion), self.temperature)

    def phis(self) -> np.ndarray:
        """Temperature factor of each channel at the model temperature."""
        return np.array([ch.phi(self.temperature) for ch in self.channels])

    def _env(self, dynamic: dict | None = None) -> dict:
        """Names an expression may read: concentrations and current X_i values."""
        env = dict(self.concentrations)
        for n in _expr.DYNAMIC_NAMES:
            base = n[:-2] + "_in"
            if base in env:
                env[n] = env[base]
        env.update(dynamic or {})
        return env

    # ------------------------------------------------------------ physics
    # Currents, conductances and steady states are evaluated by the engine's one
    # NumPy description of the physics (hhsim.engine.numpy_path.physics) on this
    # model's lowered plan: the same equations the kernels are tested against.
    def _physics(self, v, gates=None, dynamic: dict | None = None, steady: bool = False) -> tuple[dict, tuple]:
        """(physics at V, shape of V): ``gates`` (n_gates rows, or None for 0) and
        ``dynamic`` (pool state name -> values, default the resting levels)
        broadcast against V; ``steady``: every gate at its steady state."""
        from .physics.evaluate import physics

        plan = lowered_without_rest(self)
        v = np.asarray(v, dtype=float)
        conc = self.concentration
        pools = [(dynamic or {}).get(p.state_name, conc[f"{p.prefix}_in"]) for p in self.pools]
        rows = [np.zeros(()) if gates is None else gates[j] for j in range(self.n_gates)] + list(pools)
        arrays = np.broadcast_arrays(v, *[np.asarray(r, dtype=float) for r in rows])
        shape = arrays[0].shape
        y = np.empty((len(rows), arrays[0].size))
        for k, a in enumerate(arrays[1:]):
            y[k] = a.reshape(-1)
        return physics(plan, arrays[0].reshape(-1), y, steady), shape

    def _state_rows(self, states: dict[str, np.ndarray]) -> tuple[list, dict]:
        states = StateDict(states, self.state_aliases)  # qualified or short names alike
        gates = [states[name] for name in self.state_names[: self.n_gates]]
        dynamic = {p.state_name: np.asarray(states[p.state_name], dtype=float) for p in self.pools}
        return gates, dynamic

    def channel_current(self, ch: Channel, v, gate_values: dict, dynamic: dict | None = None):
        """Current density (µA/cm², outward positive) of ``ch`` at V with the given gates.

        ``dynamic`` maps pool states (``Ca_i``) to their values.  (Instantaneous
        gates follow V.)
        """
        i = self.channels.index(ch) if ch in self.channels else self.channels.index(self.channel(ch.name))
        first = sum(len(c.gates) for c in self.channels[:i])
        gates = [np.zeros(())] * self.n_gates
        for k, g in enumerate(self.channels[i].gates):
            gates[first + k] = gate_values[g.name]
        ph, shape = self._physics(v, gates, dynamic)
        return ph["I"][i].reshape(shape)

    def channel_currents(self, v, states: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Channel name -> current density (µA/cm², outward positive) from state traces."""
        ph, shape = self._physics(v, *self._state_rows(states))
        return {ch.name: ph["I"][i].reshape(shape) for i, ch in enumerate(self.channels)}

    def channel_conductances(self, v, states: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Channel name -> conductance (mS/cm²).  For a GHK channel: the chord
        conductance I / (V - E_rev) (0 where V = E_rev)."""
        ph, shape = self._physics(v, *self._state_rows(states))
        v = np.broadcast_to(np.asarray(v, dtype=float), shape).reshape(-1)
        out = {}
        for i, ch in enumerate(self.channels):
            if ch.reversal == "ghk":
                drive = v - ph["E"][i]
                with np.errstate(divide="ignore", invalid="ignore"):
                    g = np.where(np.abs(drive) > 1e-12, ph["I"][i] / np.where(drive == 0, 1.0, drive), 0.0)
            else:
                g = ph["g"][i]
            out[ch.name] = np.asarray(g, dtype=float).reshape(shape)
        return out

    # ----------------------------------------------------------- equilibrium
    def gate_steady_states(self, v, dynamic: dict | None = None) -> dict[tuple[str, str], np.ndarray]:
        """(channel, gate) -> x_inf at V (with pool values ``dynamic``, default at rest)."""
        ph, shape = self._physics(v, None, dynamic, steady=True)
        return {(ch.name, g.name): ph["x_inf"][j].reshape(shape) for j, (ch, g) in enumerate(self.gates)}

    def _steady_current_parts(self, v, dynamic):
        """(total ionic current, current per ion, gate steady states) with every gate at
        its steady state at V and the pools at ``dynamic``."""
        ph, shape = self._physics(v, None, dynamic, steady=True)
        total = ph["I"].sum(axis=0).reshape(shape)
        by_ion: dict[str, np.ndarray] = {}
        for i, ch in enumerate(self.channels):
            if ch.ion:
                by_ion[ch.ion] = by_ion.get(ch.ion, 0.0) + ph["I"][i].reshape(shape)
        xs = {(ch.name, g.name): ph["x_inf"][j].reshape(shape) for j, (ch, g) in enumerate(self.gates)}
        return total, by_ion, xs

    def pool_steady_state(self, v) -> dict[str, np.ndarray]:
        """Steady-state pool concentrations (mM) at holding potential V.

        Solves ``C = C_rest + tau * max(-k I_ion(V, C), 0)`` by bisection
        (the influx falls as C rises, so the root is unique); pools with an
        unclipped influx, a resting level of their own or a pump by
        :func:`hhsim.physics.pools.steady_pools` (their whole equation).
        """
        v = np.asarray(v, dtype=float)
        if any(not p.plain for p in self.pools):  # unclipped influx, a rest of its own or a pump
            from .physics.pools import steady_pools

            return steady_pools(self, v)
        conc = self.concentration
        state = {p.state_name: np.full(v.shape, conc[f"{p.prefix}_in"]) for p in self.pools}
        if not self.pools:
            return state
        for _ in range(3 if len(self.pools) > 1 else 1):
            for p in self.pools:
                rest = conc[f"{p.prefix}_in"]
                k = shell_influx_factor(p.ion, p.depth)

                def f(c):
                    dyn = dict(state)
                    dyn[p.state_name] = c
                    _, by_ion, _ = self._steady_current_parts(v, dyn)
                    influx = np.maximum(-k * np.asarray(by_ion.get(p.ion, 0.0)), 0.0)
                    return c - rest - p.tau * influx

                lo = np.full(v.shape, rest)
                hi = rest + p.tau * np.maximum(-k * np.asarray(
                    self._steady_current_parts(v, {**state, p.state_name: lo})[1].get(p.ion, 0.0)), 0.0)
                hi = np.broadcast_to(hi, v.shape).copy()
                for _ in range(200):
                    mid = 0.5 * (lo + hi)
                    pos = f(mid) > 0
                    hi = np.where(pos, mid, hi)
                    lo = np.where(pos, lo, mid)
                    if np.all(hi - lo <= 1e-15 * np.maximum(hi, 1e-300) + 1e-300):
                        break
                state[p.state_name] = 0.5 * (lo + hi)
        return state

    def steady_state_current(self, v) -> np.ndarray:
        """Total ionic current (µA/cm²) with every gate and pool at its steady state at V."""
        v = np.asarray(v, dtype=float)
        dyn = self.pool_steady_state(v) if self.pools else None
        total, _, _ = self._steady_current_parts(v, dyn)
        return np.broadcast_to(total, v.shape) + 0.0

    def steady_states(self, v: float) -> np.ndarray:
        """Every state (gates, then pools) at its steady state at holding potential V."""
        dyn = self.pool_steady_state(np.asarray(float(v))) if self.pools else {}
        xs = self.gate_steady_states(float(v), dyn or None)
        gates = [float(xs[(ch.name, g.name)]) for ch, g in self.gates]
        return np.array(gates + [float(dyn[p.state_name]) for p in self.pools], dtype=float)

    def resting_potential(self) -> float:
        """The resting equilibrium (mV): a root of the steady-state I-V curve.

        Among the roots where the steady-state conductance is positive
        (stable in V), the most hyperpolarised is taken.
        """
        return _resting_potential(self)

    def initial_state(self) -> tuple[float, np.ndarray]:
        """(V0 in mV, state values: gates then pools) the simulation starts from.

        Computed once per model object (a model is immutable; a root search and the
        steady states cost about 0.1 ms, as much as a short run); a copy each call."""
        known = self.__dict__.get("_initial_state")
        if known is None:
            known = self._initial_state()
            object.__setattr__(self, "_initial_state", known)  # a cache, not a field: not compared
        return known[0], known[1].copy()

    def _initial_state(self) -> tuple[float, np.ndarray]:
        v0 = self.resting_potential() if self.v_init is None else float(self.v_init)
        states = self.steady_states(v0)
        if self.initial_states:
            index = {name: k for k, name in enumerate(self.state_names)}
            aliases = getattr(self, "state_aliases", {}) or {}
            for name, value in self.initial_states:
                key = name if name in index else aliases.get(name, name)
                if key not in index:
                    raise ParameterError(f"model {self.name!r}: initial_states names unknown state {name!r}; "
                                         f"accepted: {', '.join(self.state_names)}")
                states[index[key]] = float(value)
        return v0, states

    def __repr__(self) -> str:
        from .display import one_line

        return one_line("Model", self.name, f"channels {', '.join(c.name for c in self.channels)}",
                        f"{self.temperature:g} °C", f"Cm {self.Cm:g} µF/cm²")

    def _repr_html_(self) -> str:
        from .display import model_html

        return model_html(self)


#: How far a gate's steady state may leave [0, 1] (published fits overshoot: Connor-Stevens' a_inf reaches 1.02).
GATE_SLACK = 0.05
#: Rate signatures (see ``Model._check_gate_ranges``) whose gates were found in range.
_GATE_RANGES_CHECKED: set = set()
#: Largest conductance density accepted (mS/cm²): 100 S/cm², beyond any membrane, and
#: short of the stiffness (g / Cm in 1/ms) no step of any solver could follow.
MAX_CONDUCTANCE = 1e5
#: Largest |potential| accepted (mV), as :mod:`hhsim.checks` states it.
MAX_POTENTIAL = _MAX_POTENTIAL
def check_spike_threshold(model: "Model", where: str = "") -> None:
    """Refuse a spike threshold at or below the resting potential: the membrane sits above it at rest,
    so the first spike is never an upward crossing and a cell that fires reports 0 spikes (or one too
    few) without a word.  Called where a user sets the threshold (``--set``, a cell file), not for every
    model a batch builds (the rest state costs a root search)."""
    if not model.channels:
        return
    rest = model.resting_potential()
    if np.isfinite(rest) and float(model.spike_threshold) <= rest:
        raise ParameterError(f"{where}spike_threshold = {float(model.spike_threshold):.4g} mV is not above the resting "
                             f"potential ({rest:.4g} mV): spikes are counted as upward crossings, which a membrane "
                             f"at rest above the threshold never makes; accepted: a threshold above {rest:.4g} mV")


#: Largest specific membrane capacitance (µF/cm²) a model may have.
MAX_CM = 1e4


def _check_physical(key: str, value: float, unit: str) -> None:
    """Refuse parameter values no membrane has (one line naming the accepted range)."""
    # below 0 (or a Q10 <= 0) is left to validate(), whose messages say "must be a conductance >= 0"
    if unit == "mS/cm2" and value > MAX_CONDUCTANCE:
        raise ParameterError(f"parameter {key} = {value:g} mS/cm2 is not a conductance density a membrane can have; "
                             f"accepted: 0 to {MAX_CONDUCTANCE:g} mS/cm2")
    if unit == "mV" and abs(value) > MAX_POTENTIAL:
        raise ParameterError(f"parameter {key} = {value:g} mV is beyond any membrane potential; accepted: "
                             f"-{MAX_POTENTIAL:g} to {MAX_POTENTIAL:g} mV")
    if key.endswith("q10") and value > 0 and not 0.1 <= value <= 100.0:
        raise ParameterError(f"parameter {key} = {value:g} is not a Q10 of a biological rate; accepted: 0.1 to 100")


class StateDict(dict):
    """States by name (the keys are :attr:`Model.state_names`); a gate's qualified
    name ``Channel.gate`` and its short name where unique are accepted too
    (:attr:`Model.state_aliases`), so ``result.states["Na.m"]`` always works."""

    def __init__(self, data=(), aliases: dict[str, str] | None = None):
        super().__init__(data)
        self._aliases = dict(aliases or {})
        # the other direction too: a canonical key reached by any accepted name
        for key in list(self):
            self._aliases.setdefault(key, key)

    def _canonical(self, key):
        if isinstance(key, str) and not dict.__contains__(self, key):
            # a name as given, then as each canonical key writes it (a plain dict
            # keyed by qualified names, read with the model's canonical names)
            target = self._aliases.get(key)
            if target is not None and dict.__contains__(self, target):
                return target
            for alias, canon in self._aliases.items():
                if canon == key and dict.__contains__(self, alias):
                    return alias
        return key

    def __missing__(self, key):
        other = self._canonical(key)
        if other != key:
            return dict.__getitem__(self, other)
        raise KeyError(key)

    def __contains__(self, key) -> bool:
        return dict.__contains__(self, self._canonical(key))

    def get(self, key, default=None):
        return dict.get(self, self._canonical(key), default)


def _with_unit(key: str, value: str, unit: str) -> float:
    """A parameter given as a string with a unit (``"60 mS/cm2"``), in the parameter's unit."""
    unit = {"": "1", "um": "um"}.get(unit, unit)
    if unit not in _quantity.DIMENSIONS:
        raise ParameterError(f"parameter {key} is in {unit}; give it as a number in {unit}, got {value!r}")
    return _quantity.to_unit(value, unit, key)


def _ion_of(key: str) -> str:
    prefix = key.split("_")[0]
    for ion, (_, p) in IONS.items():
        if p == prefix:
            return ion
    return ""


def _form_param_unit(form_name: str, kind: str, param: str) -> str:
    """Unit of a rate-form parameter: V0 and k in mV; the amplitude depends on the role."""
    if param in ("V0", "k"):
        return "mV"
    scale = {"alpha": "1/ms", "beta": "1/ms", "inf": "1", "tau": "ms"}[form_name]
    if kind == "linexp":  # A (V - V0) / (...): A carries an extra 1/mV
        return f"{scale}/mV"
    return scale


@functools.lru_cache(maxsize=256)
def lowered_without_rest(model: Model):
    """The model's lowered plan (one column; initial state unused) for the NumPy physics."""
    from .physics.structure import lower, structure_of

    return lower(model, initial=(0.0, np.zeros(structure_of(model).n_states)))


_lowered = lowered_without_rest  # its earlier name


@functools.lru_cache(maxsize=256)
def _resting_potential(model: Model) -> float:
    if not model.pools:
        # the same search, on the plan's columns (a batch finds many at once, with these bits)
        from .physics.rest import resting_potentials

        return float(resting_potentials(lowered_without_rest(model), [model.name])[0])
    grid = np.arange(-150.0, 150.0 + 1e-9, 0.25)
    cur = model.steady_state_current(grid)

    def f(v):
        return float(model.steady_state_current(np.asarray(v)))

    roots = []
    for i in np.nonzero(np.sign(cur[:-1]) * np.sign(cur[1:]) <= 0)[0]:
        a, b = grid[i], grid[i + 1]
        if cur[i] == 0:
            root = a
        else:
            from scipy.optimize import brentq  # 0.3 s to import; only models with ion pools get here

            root = brentq(f, a, b, xtol=1e-13, rtol=1e-15)
        if not roots or abs(root - roots[-1]) > 1e-9:
            roots.append(root)
    stable = [r for r in roots if f(r + 1e-4) > f(r - 1e-4)]
    if stable:
        return float(stable[0])
    if roots:
        return float(roots[0])
    raise ParameterError(
        f"model {model.name!r} has no resting potential between -150 and 150 mV; "
        "give an initial voltage (v_init)"
    )
