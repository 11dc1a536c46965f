"""The description of a network: populations, projections, drive and monitors.

Everything here is an immutable description that reads like a methods
section; :mod:`hhsim.engine.network_lower` turns it into arrays.  Units:
mV, ms, mS/cm² (weights, as densities on the target), µm² (areas), Hz.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field
from typing import Any

from .. import models as _models
from ..errors import ParameterError
from ..model import Model
from ..stim import Stimulus
from .. import validate as _v
from .synapses import Synapse
from .synapses.stdp import STDP
from .synapses.stp import TsodyksMarkram

#: The longest dead time for spike emission accepted (ms).
MAX_REFRACTORY_MS = 1e6

_NAME_OK = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def _check_name(name: str, what: str) -> str:
    if not isinstance(name, str) or not name or len(name) > 64 or not set(name) <= _NAME_OK:
        shown = repr(name)[:40]
        raise ParameterError(f"{what} name {shown} must be 1-64 letters, digits, '_' or '-'")
    return name


def _count(n, what: str) -> int:
    return _v.whole(n, what, lo=1, hi=_v.MAX_COUNT)


def _scalar_or_other(value, where: str, **bounds):
    """A plain number checked (finite, in bounds); arrays, distributions and unit strings
    are checked where they are sampled."""
    if isinstance(value, (bool, int, float)):
        return _v.number(value, where, **bounds)
    if value is None or isinstance(value, (list, tuple, dict, str)) or hasattr(value, "sample") \
            or hasattr(value, "__array__"):
        return value
    raise ParameterError(f"{where} must be a number, a list, a distribution table or a value with a unit "
                         f"(got {type(value).__name__} {_v.shown(value)})")


@dataclass(frozen=True)
class Population:
    """``n`` neurons of one model.

    Parameters
    ----------
    model : a preset name or a :class:`~hhsim.model.Model`.
    params : per-neuron parameter values, ``{name: value | array | distribution}``
        (names as ``hhsim models NAME`` lists them).
    initial : initial states, ``{"v": ..., gate name: ..., "g_<synapse>": ...}``;
        gates not given start at steady state at their V; ``g_<name>`` sets the
        starting conductance (mS/cm²) of a linear synapse group of that name.
    stim : a stimulus for every neuron, or a list of n (None for none); ``stim_scale``
        multiplies it per neuron.
    area_um2 : membrane area (µm²), needed for weights and currents in nS and nA.
    threshold : spike detection threshold (mV); default the model's.
    noise : channel noise in every cell, ``"markov"``, ``"langevin"`` or ``"none"`` (default),
        or a :class:`~hhsim.noise.spec.ChannelNoise`: each cell has its own channels,
        ``density`` (channel -> channels/µm², default the squid values of
        :data:`hhsim.noise.spec.SQUID_DENSITY`) times ``area_um2``, or ``channel_counts``
        (channel -> channels per cell), as ``hhsim.simulate(..., noise=...)`` spells
        them (a network file: keys ``noise``, ``density``, ``counts``); keyed by the
        network's seed (see :mod:`hhsim.noise.network`).
    refractory : dead time for spike emission (ms, >= 0; default 0), Brian2's
        ``refractory`` for a conductance-based cell whose equations are not
        marked ``(unless refractory)``: the membrane is not clamped and
        integrates on, but no spike is emitted within ``refractory`` ms of the
        neuron's last one.  An upward threshold crossing inside the dead time is
        held to its end and emitted there if V is still at or above threshold
        (Brian2 tests ``v > threshold`` at every step once the neuron is no
        longer refractory), else dropped (no synaptic event, not recorded).  A
        spike exactly ``refractory`` ms after the last counts.  Unlike Brian2, a
        membrane that stays above threshold through the whole dead time without
        a new crossing (an action potential wider than it) fires no second spike.

    A model given as a file (a cell TOML, NMODL-free NeuroML, ...) is loaded
    here; ``model_file`` keeps the path, so that the network can be written
    back to a file that names it.
    """

    name: str
    model: Any
    n: int = 1
    params: dict = field(default_factory=dict)
    initial: dict = field(default_factory=dict)
    stim: Any = None
    stim_scale: Any = None
    area_um2: float | None = None
    threshold: float | None = None
    refractory: float = 0.0
    model_file: str | None = field(default=None, compare=False)
    noise: Any = None
    density: dict | None = None
    channel_counts: dict | None = None

    def __post_init__(self):
        _check_name(self.name, "population")
        object.__setattr__(self, "n", _count(self.n, f"population {self.name!r} size n"))
        w = f"population {self.name!r}"
        _v.table(self.params, f"{w} params")
        _v.table(self.initial, f"{w} initial")
        for key, value in {**self.params, **self.initial}.items():
            _scalar_or_other(value, f"{w} {key}")
        if self.threshold is not None:
            object.__setattr__(self, "threshold", _v.number(self.threshold, f"{w} threshold", unit="mV",
                                                            lo=-1000.0, hi=1000.0))
        object.__setattr__(self, "refractory", _v.number(self.refractory, f"{w} refractory", unit="ms",
                                                          lo=0.0, hi=MAX_REFRACTORY_MS))
        if self.stim_scale is not None:
            _scalar_or_other(self.stim_scale, f"{w} stim_scale")
        from .cells import CableCell

        if isinstance(self.model, CableCell):
            if self.noise is not None or self.density is not None or self.channel_counts is not None:
                raise ParameterError(f"population {self.name!r} of cable cells takes no channel noise in a network "
                                     "(accepted: noise on populations of point neurons; a noisy cable runs alone)")
            if self.params or self.initial or self.stim is not None or self.area_um2 is not None:
                raise ParameterError(
                    f"population {self.name!r} of cable cells takes no params, initial, stim or area_um2 "
                    "(give the cell's own stimuli, channels and geometry in its CableCell)")
            return
        if not isinstance(self.model, Model):
            if isinstance(self.model, (str, os.PathLike)) and _models.is_model_file(self.model):
                object.__setattr__(self, "model_file", os.fspath(self.model))
            object.__setattr__(self, "model", _models.get(self.model))
        if self.area_um2 is not None:
            a = self.area_um2
            if isinstance(a, bool) or not isinstance(a, (int, float)) or not (math.isfinite(a) and a > 0):
                raise ParameterError(f"population {self.name!r} area_um2 must be a number > 0 (got {a!r})")
        self._lower_noise()
        if isinstance(self.stim, (list, tuple)) and len(self.stim) != self.n:
            raise ParameterError(
                f"population {self.name!r}: a list of stimuli needs one per neuron ({self.n}), got {len(self.stim)}")
        if self.stim is not None and not isinstance(self.stim, (Stimulus, list, tuple)):
            raise ParameterError(f"population {self.name!r} stim must be a stimulus or a list of them")
        known = {"v", "V", *self.model.state_names}
        for key in self.initial:
            if key not in known and not str(key).startswith("g_"):
                raise ParameterError(
                    f"unknown initial state {key!r} for population {self.name!r}; accepted: v, "
                    + ", ".join(self.model.state_names) + ", g_<synapse name>")

    def _lower_noise(self) -> None:
        """Fold ``noise``, ``density`` and ``channel_counts`` into one checked noise record (or None),
        its area the population's ``area_um2`` (taken from the record when only it gives one)."""
        from ..noise.network import check_population_noise, population_noise

        rec = population_noise(self.name, self.noise, self.area_um2, self.density, self.channel_counts)
        object.__setattr__(self, "noise", rec)
        object.__setattr__(self, "density", None)
        object.__setattr__(self, "channel_counts", None)
        if rec is not None:
            if self.area_um2 is None:
                object.__setattr__(self, "area_um2", rec.area_um2)
            check_population_noise(self.name, rec, self.model)


@dataclass(frozen=True)
class SpikeSource:
    """External spike sources (no membrane): Poisson or given times.

    rate_hz : Poisson rate of each source (Hz), a number, or a stimulus-like
        waveform (``Stimulus``; its value in Hz) for a time-varying rate.
    times_ms : alternatively, the spike times of each source (a list of n
        sequences, or one sequence for n = 1).
    """

    name: str
    n: int = 1
    rate_hz: Any = None
    times_ms: Any = None

    def __post_init__(self):
        _check_name(self.name, "source")
        object.__setattr__(self, "n", _count(self.n, f"source {self.name!r} size n"))
        if (self.rate_hz is None) == (self.times_ms is None):
            raise ParameterError(f"source {self.name!r} needs exactly one of rate_hz and times_ms")
        w = f"source {self.name!r}"
        if self.rate_hz is not None and not isinstance(self.rate_hz, Stimulus):
            _v.number(self.rate_hz, f"{w} rate_hz", unit="Hz", lo=0.0, hi=_v.MAX_RATE_HZ)
        if self.times_ms is not None:
            times = self.times_ms
            if hasattr(times, "tolist"):
                times = times.tolist()
            if not isinstance(times, (list, tuple)):
                raise ParameterError(f"{w} times_ms must be a list of spike times (ms), or one list per source "
                                     f"(got {type(times).__name__} {_v.shown(times)})")
            rows = times if any(isinstance(t, (list, tuple)) or hasattr(t, "tolist") for t in times) else [times]
            if len(rows) > 1 and len(rows) != self.n:
                raise ParameterError(f"{w} times_ms has {len(rows)} lists for {self.n} sources; give one per source")
            total = 0
            for i, row in enumerate(rows):
                total += len(_v.numbers_list(row, f"{w} times_ms" + (f"[{i}]" if len(rows) > 1 else ""), lo=0.0,
                                             unit="ms", max_len=_v.MAX_COUNT))


@dataclass(frozen=True)
class Projection:
    """Synapses from population (or source) ``pre`` onto population ``post``.

    Parameters
    ----------
    synapse : a synapse family instance (:mod:`hhsim.network.synapses`).
    connect : ``"all"``, ``"one_to_one"``, ``{"p": ...}``, ``{"indegree": K}``, ... or a Rule.
    weight : mS/cm² (or ``"6 nS"`` with the target's area), a number, an array, or a distribution.
    delay : ms, a number, an array, or a distribution (>= 0).
    stp : optional Tsodyks-Markram short-term plasticity.
    stdp : optional spike-timing-dependent plasticity (:class:`~hhsim.network.synapses.stdp.STDP`)
        of each synapse's weight; on the linear conductance kinds (exp, alpha,
        biexp), combinable with ``stp`` (the event's weight is then the plastic
        weight times the released fraction).
    name : the synapse group's name (for ``g_<name>`` initial states and currents);
        projections onto one population with the same synapse and name share a group.
    """

    pre: str
    post: str
    synapse: Synapse
    connect: Any = "all"
    weight: Any = 0.0
    delay: Any = 0.0
    stp: TsodyksMarkram | None = None
    name: str | None = None
    stdp: STDP | None = None

    def __post_init__(self):
        _v.text(self.pre, "projection pre (a population or source name)")
        _v.text(self.post, "projection post (a population name)")
        if not isinstance(self.synapse, Synapse):
            raise ParameterError(f"projection {self.pre}->{self.post}: synapse must be a synapse object")
        w = f"projection {self.pre}->{self.post}"
        _scalar_or_other(self.weight, f"{w} weight")
        delay = _scalar_or_other(self.delay, f"{w} delay", unit="ms")
        if isinstance(delay, float) and delay < 0:
            raise ParameterError(f"{w}: delays must be >= 0 ms (got {delay:g})")
        if isinstance(delay, float) and delay > _v.MAX_DELAY_MS:
            raise ParameterError(f"{w}: delay {delay:g} ms is over the limit of {_v.MAX_DELAY_MS:g} ms "
                                 f"(the event queue holds every step of the longest delay)")
        if not isinstance(self.connect, (str, dict)) and not hasattr(self.connect, "build") \
                and not hasattr(self.connect, "describe"):
            raise ParameterError(f"{w} connect must be \"all\", \"one_to_one\" or a rule table "
                                 f"(got {type(self.connect).__name__} {_v.shown(self.connect)})")
        if self.name is not None:
            _check_name(self.name, "synapse")
        if self.stp is not None and self.synapse.family not in ("linear", "kinetic"):
            raise ParameterError(
                f"projection {self.pre}->{self.post}: short-term plasticity applies to event synapses only")
        if self.stp is not None and self.synapse.kind == "custom":
            raise ParameterError(
                f"projection {self.pre}->{self.post}: a custom receptor's rates are fixed at Tmax, so "
                "short-term plasticity (which scales the transmitter) cannot apply to it")

        if self.stdp is not None:
            if not isinstance(self.stdp, STDP):
                raise ParameterError(f"projection {self.pre}->{self.post}: stdp must be an STDP rule "
                                     f"(got {type(self.stdp).__name__})")
            if self.synapse.family != "linear" or self.synapse.current:
                raise ParameterError(
                    f"projection {self.pre}->{self.post}: STDP applies to the linear conductance synapses only "
                    f"(exp, alpha, biexp), not to kind {self.synapse.kind!r}")

    @property
    def group_name(self) -> str:
        return self.name or self.synapse.kind


@dataclass(frozen=True)
class PoissonInput:
    """``n_inputs`` independent Poisson sources of ``rate_hz`` each into every neuron of
    ``target`` (as Brian2's PoissonInput), through a linear synapse of ``weight``."""

    target: str
    n_inputs: int
    rate_hz: float
    weight: Any
    synapse: Synapse
    name: str | None = None

    def __post_init__(self):
        _v.text(self.target, "PoissonInput target (a population name)")
        object.__setattr__(self, "n_inputs", _count(self.n_inputs, "PoissonInput n_inputs"))
        _v.number(self.rate_hz, "PoissonInput rate_hz", unit="Hz", lo=0.0, hi=_v.MAX_RATE_HZ)
        if not isinstance(self.synapse, Synapse) or self.synapse.family != "linear":
            raise ParameterError("PoissonInput needs a linear synapse (exp, alpha or biexp)")
        weight = _scalar_or_other(self.weight, f"PoissonInput into {self.target!r} weight")
        if isinstance(weight, float) and weight < 0 and not getattr(self.synapse, "current", False):
            # as for projections: the sign is the synapse's reversal potential, never the weight's
            raise ParameterError(f"PoissonInput into {self.target!r}: weight {weight:g} must be >= 0 (the "
                                 "synapse's reversal potential makes it excitatory or inhibitory)")


@dataclass(frozen=True)
class Noise:
    """An Ornstein-Uhlenbeck noise current into every neuron of ``target``:
    mean and std (µA/cm²), correlation time tau (ms); independent per neuron."""

    target: str
    std: float
    mean: float = 0.0
    tau: float = 5.0

    def __post_init__(self):
        _v.text(self.target, "noise target (a population name)")
        for name in ("std", "mean", "tau"):
            _v.number(getattr(self, name), f"noise {name}")
        if self.tau < _v.MIN_TAU_MS:
            raise ParameterError(f"noise tau = {self.tau:g} ms is too short; accepted: >= {_v.MIN_TAU_MS:g} ms")
        if self.std < 0 or self.tau <= 0:
            raise ParameterError(f"noise needs std >= 0 and tau > 0 ms (got {self.std:g}, {self.tau:g})")


@dataclass(frozen=True)
class Monitors:
    """What to record.

    Parameters
    ----------
    spikes : ``"all"``, a list of population names, or ``{population: [indices]}``.
    states : ``{population: [indices]}`` of neurons whose V, states and synaptic
        current are recorded every ``every_ms``.
    weights : ``{projection: [indices] | "all"}``: plastic synapses (STDP) whose weights
        are sampled every ``weights_every_ms`` ms (default 10 ms) from the start; a
        projection by its name (else ``"pre->post"``), synapses numbered as in
        ``NetworkResult.weights`` (sorted by presynaptic, then postsynaptic index).
    """

    spikes: Any = "all"
    states: dict = field(default_factory=dict)
    every_ms: float | None = None
    weights: dict = field(default_factory=dict)
    weights_every_ms: float | None = None

    def __post_init__(self):
        spikes = self.spikes
        if isinstance(spikes, str) and spikes != "all":
            spikes = [spikes]  # one population's name, not its letters
        elif isinstance(spikes, dict):
            _v.table(spikes, "monitors spikes")
            spikes = {k: (v if isinstance(v, str) and v == "all" else _v.indices(v, f"monitors spikes {k}"))
                      for k, v in spikes.items()}
        elif spikes != "all":
            spikes = _v.names(spikes, "monitors spikes (\"all\", a population name, a list of them or a table "
                                      "of population = [indices])")
        object.__setattr__(self, "spikes", spikes)
        states = _v.table(self.states if self.states is not None else {}, "monitors states")
        object.__setattr__(self, "states", {k: (v if isinstance(v, str) and v == "all"
                                                else _v.indices(v, f"monitors states {k}"))
                                            for k, v in states.items()})
        if self.every_ms is not None:
            object.__setattr__(self, "every_ms", _v.number(self.every_ms, "monitors every_ms", unit="ms",
                                                           lo=0.0, lo_open=True, hi=1e6))
        weights = _v.table(self.weights if self.weights is not None else {}, "monitors weights")
        object.__setattr__(self, "weights", {k: (v if isinstance(v, str) and v == "all"
                                                 else _v.indices(v, f"monitors weights {k}"))
                                             for k, v in weights.items()})
        if self.weights_every_ms is not None:
            object.__setattr__(self, "weights_every_ms", _v.number(self.weights_every_ms, "monitors weights_every_ms",
                                                                   unit="ms", lo=0.0, lo_open=True, hi=1e6))


@dataclass(frozen=True)
class Network:
    """A whole network description (all parts immutable)."""

    populations: tuple[Population, ...]
    projections: tuple[Projection, ...] = ()
    sources: tuple[SpikeSource, ...] = ()
    inputs: tuple[PoissonInput, ...] = ()
    noise: tuple[Noise, ...] = ()
    monitors: Monitors = field(default_factory=Monitors)
    t_stop: float = 100.0
    dt: float | None = None
    method: str | None = None
    seed: int = 1
    name: str = "network"
    #: Tolerances of method ``dopri5`` (None: its defaults, 1e-6 each).
    rtol: float | None = None
    atol: float | None = None

    def __post_init__(self):
        kinds = {"populations": Population, "projections": Projection, "sources": SpikeSource,
                 "inputs": PoissonInput, "noise": Noise}
        for attr, kind in kinds.items():
            items = getattr(self, attr)
            if not isinstance(items, (list, tuple)) or not all(isinstance(x, kind) for x in items):
                raise ParameterError(f"network {attr} must be a list of {kind.__name__} (got "
                                     f"{type(items).__name__} {_v.shown(items)})")
            object.__setattr__(self, attr, tuple(items))
        if not isinstance(self.monitors, Monitors):
            raise ParameterError(f"network monitors must be a Monitors (got {_v.shown(self.monitors)})")
        object.__setattr__(self, "t_stop", _v.number(self.t_stop, "t_stop", unit="ms", lo=0.0, lo_open=True,
                                                     hi=1e9))
        if self.dt is not None:
            object.__setattr__(self, "dt", _v.number(self.dt, "dt", unit="ms", lo=_v.MIN_TAU_MS, hi=1e3))
        if self.method is not None:
            _v.text(self.method, "method")
        for tol in ("rtol", "atol"):
            if getattr(self, tol) is not None:
                hi = 0.5 if tol == "rtol" else None
                object.__setattr__(self, tol, _v.number(getattr(self, tol), tol, lo=0.0, lo_open=True, hi=hi))
        _v.text(self.name, "network name")
        if not self.populations:
            raise ParameterError("a network needs at least one population")
        names = [p.name for p in self.populations] + [s.name for s in self.sources]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ParameterError(f"population or source name {sorted(dup)[0]!r} is used twice")
        pops = {p.name for p in self.populations}
        for pr in self.projections:
            if pr.pre not in names:
                raise ParameterError(f"unknown population {pr.pre!r} in a projection; accepted: {', '.join(names)}")
            if pr.post not in pops:
                raise ParameterError(
                    f"unknown population {pr.post!r} in a projection; accepted: {', '.join(sorted(pops))}")
            if pr.synapse.family in ("gap", "graded") and pr.pre not in pops:
                raise ParameterError(f"{pr.synapse.kind} synapses need a population (not a source) as pre")
            if pr.stdp is not None and not isinstance(self.population(pr.post).model, Model):
                raise ParameterError(f"projection {pr.pre}->{pr.post}: STDP onto cable cells is not supported "
                                     "(accepted: populations of point neurons)")
        for item in (*self.inputs, *self.noise):
            if item.target not in pops:
                raise ParameterError(f"unknown population {item.target!r}; accepted: {', '.join(sorted(pops))}")
        object.__setattr__(self, "seed", _v.whole(self.seed, "seed", lo=0, hi=2**63 - 1))

    def population(self, name: str) -> Population:
        for p in self.populations:
            if p.name == name:
                return p
        raise ParameterError(f"unknown population {name!r}; accepted: {', '.join(p.name for p in self.populations)}")

    def replace(self, **changes) -> "Network":
        return dataclasses.replace(self, **changes)

    def with_refractory(self, refractory: float, population: str | None = None) -> "Network":
        """The network with a dead time for spike emission of ``refractory`` ms (see
        :class:`Population`) in ``population``, or in every population when None."""
        if population is not None:
            self.population(population)  # refuses an unknown name
        pops = tuple(dataclasses.replace(p, refractory=refractory) if population in (None, p.name) else p
                     for p in self.populations)
        return self.replace(populations=pops)
