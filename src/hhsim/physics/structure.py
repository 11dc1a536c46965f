"""Lowering: turn model descriptions into plain arrays and a structure key.

After this step nothing sees Python model objects.  The *structure* (which
channels, which gates, which rate-form shapes) decides the generated kernel;
the *numbers* (conductances, reversals, rate parameters, temperature factors)
live in arrays with one column per compartment, so that many neurons with
different parameters run through one compiled kernel at once.

Layout of the parameter array ``rp`` (one column per compartment):

1. every gate's rate-form parameters, gate by gate (for an expression form:
   the values of the names it reads, in the order of its canonical text
   ``p0, p1, ...``);
2. per channel with a time-varying reversal potential (``nernst`` with a
   pool of its ion): ``RT/zF`` (mV) and ``c_out`` (mM); per GHK channel:
   ``RT/F`` (mV), ``c_out`` and ``c_in`` (mM, used when there is no pool), and for
   a ``ghk2`` channel ``f`` (mV);
3. per intracellular pool: ``k`` (mM/ms per µA/cm²), ``tau`` (ms) and the
   resting concentration (mM); with a pump also ``vmax`` (mM/ms) and ``km`` (mM).

States (rows of ``y0``): the gates in channel order (an instantaneous gate
keeps a row holding its current value ``x_inf``), then the pools.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from ..channels import expr as _expr
from ..channels.base import Expr
from ..channels.ions import conc_names, ghk2_voltage, rt_over_f, shell_influx_factor, valence
from ..errors import ModelError
from .exp_sharing import ExpSharing
from .exp_sharing import find as find_exp_sharing

if TYPE_CHECKING:  # the model reads this layer; this layer reads models by their attributes only
    from ..model import Model


@dataclass(frozen=True)
class GateSpec:
    """Structure of one gate: which channel, exponent and rate-form kinds.

    ``form_code[i]`` is the canonical text of an expression form (names
    ``V``, ``p0``, ``p1``... and pool states such as ``Ca_i``), ``""`` for a
    built-in shape; ``form_sizes[i]`` its number of ``rp`` rows.  An
    instantaneous gate has ``form_names == ("inf",)`` or ``("alpha", "beta")``
    with ``instantaneous`` set.
    """

    channel_index: int
    name: str
    power: float
    form_names: tuple[str, ...]  # ("alpha", "beta"), ("inf", "tau") or ("inf",)
    form_kinds: tuple[str, ...]
    param_offsets: tuple[int, ...]  # first row of each form's parameters in ``rp``
    instantaneous: bool = False
    form_code: tuple[str, ...] = ()
    form_sizes: tuple[int, ...] = ()
    #: a state of a kinetic scheme (:mod:`hhsim.channels.scheme`): its scheme's name
    #: ``channel.scheme`` ("": an ordinary gate) and the gate indices its forms'
    #: transitions lead to (form k is the rate, 1/ms, of the transition to gate ``targets[k]``)
    scheme: str = ""
    targets: tuple[int, ...] = ()


@dataclass(frozen=True)
class PoolSpec:
    """An intracellular concentration state: its name (``Ca_i``), ion and ``rp`` rows."""

    name: str
    ion: str
    offset: int  # rows offset .. offset+2: k, tau, rest (then vmax, km with a pump)
    #: the influx max(-k I, 0) (True) or -k I (False); a Michaelis-Menten pump
    #: (rows offset+3, offset+4: vmax mM/ms, km mM) (see IonPool)
    clip: bool = True
    pump: bool = False


@dataclass(frozen=True)
class Structure:
    """Everything about a model that changes the generated code (hashable).

    The fields after ``n_rate_params`` describe ions; their empty defaults
    mean "every channel ohmic with a fixed reversal potential, no pools".
    """

    n_channels: int
    channel_gates: tuple[tuple[int, ...], ...]  # gate indices of each channel
    gates: tuple[GateSpec, ...]
    n_rate_params: int
    channel_names: tuple[str, ...] = ()
    channel_modes: tuple[str, ...] = ()  # "ohmic" | "nernst" (pool-driven E) | "ghk"
    channel_pool: tuple[int, ...] = ()  # index of the pool of the channel's ion, or -1
    channel_valence: tuple[int, ...] = ()
    channel_extra: tuple[int, ...] = ()  # first rp row of the channel's ion constants, or -1
    pools: tuple[PoolSpec, ...] = ()
    #: rate forms computed from shared exponentials (None: each form its own
    #: exponential): :func:`lower` sets the first neuron's, the batch driver
    #: regroups neurons by their own (:func:`hhsim.physics.exp_sharing.groups`)
    exp_sharing: ExpSharing | None = None
    #: per channel: the canonical text of its open fraction g/gbar when the channel
    #: gives a ``conductance`` expression (names ``g<k>``: its k-th gate, ``c<m>``:
    #: rp row ``channel_open_offset[i] + m``), ``""`` for the product of gate powers
    channel_open: tuple[str, ...] = ()
    channel_open_offset: tuple[int, ...] = ()
    #: per channel: True for a ``ghk2`` current (mode "ghk", a fourth ion-constant row
    #: ``f`` in mV, ``gbar`` a conductance); empty when no channel has one
    channel_ghk2: tuple[bool, ...] = ()

    def ghk2(self, i: int) -> bool:
        """Is channel i's current the ``ghk2`` form (see :mod:`hhsim.channels.ions`)?"""
        return bool(self.channel_ghk2) and self.channel_ghk2[i]

    def open_code(self, i: int) -> str:
        """Channel i's open-fraction expression (canonical text), or ``""``."""
        return self.channel_open[i] if self.channel_open else ""

    def open_size(self, i: int) -> int:
        """Rows of ``rp`` holding the constants of channel i's conductance expression."""
        code = self.open_code(i)
        return sum(1 for n in _expr.names(_expr.parse(code)) if n[0] == "c") if code else 0

    @property
    def n_gates(self) -> int:
        return len(self.gates)

    @property
    def schemes(self) -> tuple[tuple[int, ...], ...]:
        """The gate indices of each kinetic scheme's states (empty: none)."""
        out: dict[str, list[int]] = {}
        for j, g in enumerate(self.gates):
            if g.scheme:
                out.setdefault(g.scheme, []).append(j)
        return tuple(tuple(v) for v in out.values())

    @property
    def has_schemes(self) -> bool:
        """Does a channel have a multi-state kinetic scheme?  Point neurons run them with
        every method; the cable and network kernels do not (:meth:`check_point_only`)."""
        return any(g.scheme for g in self.gates)

    def extensions(self) -> list[str]:
        """The parts of this structure beyond the classic equations that only the point
        kernels and :mod:`hhsim.physics.evaluate` implement: kinetic schemes, ``ghk2``
        currents, pools with an unclipped influx, a resting level of their own or a pump.
        (Modules with equations of their own, such as the dynamics tools, call
        :meth:`check_classic` to refuse them in one line instead of misreading them.)"""
        names = self.channel_names or tuple(str(i) for i in range(self.n_channels))
        out = [f"the kinetic scheme of channel {names[self.gates[grp[0]].channel_index]!r}" for grp in self.schemes]
        out += [f"the GHK2 current of channel {names[i]!r}" for i in range(self.n_channels) if self.ghk2(i)]
        out += [f"the {p.name} pool's " + " and ".join(w for w, on in (("unclipped influx", not p.clip),
                                                                        ("pump", p.pump)) if on)
                for p in self.pools if not p.clip or p.pump]
        return out

    def check_classic(self, where: str) -> None:
        """Raise a one-line :class:`ModelError` naming what :meth:`extensions` finds, which
        ``where`` does not implement."""
        found = self.extensions()
        if found:
            raise ModelError(f"{where} cannot handle {'; '.join(found)} yet; simulate this model as a point "
                             "neuron (run, simulate, simulate_batch)")

    def check_point_only(self, where: str = "a cable or a network") -> None:
        """Raise a one-line :class:`ModelError` if this structure has a kinetic scheme,
        which ``where`` cannot run (call it before lowering a cable or network)."""
        if self.has_schemes:
            chans = sorted({self.channel_names[self.gates[j].channel_index] if self.channel_names else "?"
                            for grp in self.schemes for j in grp})
            raise ModelError(f"channel {', '.join(repr(c) for c in chans)} has a multi-state kinetic scheme, which "
                             f"hhsim runs on point neurons only (run, simulate, simulate_batch), not in {where}")

    @property
    def n_pools(self) -> int:
        return len(self.pools)

    @property
    def n_states(self) -> int:
        """Rows of the state array: gates, then pools."""
        return len(self.gates) + len(self.pools)

    def mode(self, i: int) -> str:
        return self.channel_modes[i] if self.channel_modes else "ohmic"

    def pool_of(self, i: int) -> int:
        return self.channel_pool[i] if self.channel_pool else -1

    def pool_index(self, name: str) -> int:
        for k, p in enumerate(self.pools):
            if p.name == name:
                return k
        return -1

    def label(self, j: int) -> str:
        """``channel 'Na', gate 'm'`` for gate j (for error messages)."""
        g = self.gates[j]
        ch = self.channel_names[g.channel_index] if self.channel_names else str(g.channel_index)
        return f"channel {ch!r}, gate {g.name!r}"


@dataclass
class Plan:
    """Arrays for ``ncomp`` compartments (or independent neurons) of one structure.

    Shapes: ``gbar``, ``erev``, ``phi``: (n_channels, ncomp); ``cm``, ``v0``,
    ``threshold``: (ncomp,); ``rp``: (n_rate_params, ncomp); ``y0``:
    (n_states, ncomp) (gates, then pools).  Units: mS/cm² (cm/s for a GHK
    channel), mV, 1, µF/cm², mV; pools in mM.
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

    def columns(self, idx) -> "Plan":
        """The compartments ``idx`` (an index array) as a plan of their own."""
        pick = lambda a: np.ascontiguousarray(a[..., idx])  # noqa: E731
        return Plan(self.structure, pick(self.gbar), pick(self.erev), pick(self.phi), pick(self.cm), pick(self.rp),
                    pick(self.v0), pick(self.y0), pick(self.threshold))

    def with_exp_sharing(self, sharing: ExpSharing | None) -> "Plan":
        """This plan whose structure computes its rate forms with ``sharing`` (or none;
        :mod:`hhsim.physics.exp_sharing`): every compartment must allow it."""
        if self.structure.exp_sharing == sharing:
            return self
        return replace(self, structure=replace(self.structure, exp_sharing=sharing))

    @property
    def shares_kinetics(self) -> bool:
        """Do all compartments have the first one's rate parameters and temperature
        factors?  (Then their gates' rates are one function of V: the kernels' uniform
        loops, the rest search's shared gates.)"""
        return bool(np.all(self.rp == self.rp[:, :1]) and np.all(self.phi == self.phi[:, :1]))


def _expr_layout(form: Expr, env: dict, dynamic: set[str]):
    """Canonical text and slot values of an expression form.

    Every name but ``V`` and the pool states becomes a slot ``p<k>`` whose
    value comes from ``env`` (own parameters, channel constants, concentrations).
    """
    tree = form.tree
    rename, values = {}, []
    for n in _expr.names(tree):
        if n == "V" or n in dynamic:
            continue
        rename[n] = f"p{len(values)}"
        values.append(float(env[n]))
    return _expr.unparse(tree, rename), values


def _layout(model: Model) -> tuple[Structure, tuple[float, ...]]:
    """The structure of ``model`` and its column of ``rp`` values (worked out once per
    model object: a model is immutable, and a run in a loop should not pay for it again)."""
    known = model.__dict__.get("_layout")
    if known is None:
        structure, values = _work_out_layout(model)
        known = (structure, tuple(values))
        object.__setattr__(model, "_layout", known)  # a cache, not a field: not compared
    return known


def _work_out_layout(model: Model) -> tuple[Structure, list[float]]:
    pools = list(model.pools)
    dynamic = {p.state_name for p in pools}
    gates, channel_gates, rp = [], [], []
    base_env = model._env()
    for d in dynamic:
        base_env.pop(d, None)
    for ci, ch in enumerate(model.channels):
        idx = []
        env = dict(base_env)
        env.update(ch.params)
        first = len(gates)
        local = {g.name: first + k for k, g in enumerate(ch.gates)}
        for g in ch.gates:
            kinds, codes, sizes, offsets = [], [], [], []
            for form in g.forms:
                offsets.append(len(rp))
                kinds.append(form.kind)
                if isinstance(form, Expr):
                    e = dict(env)
                    e.update(form.params)
                    code, vals = _expr_layout(form, e, dynamic)
                else:
                    code, vals = "", list(form.values())
                codes.append(code)
                sizes.append(len(vals))
                rp.extend(vals)
            idx.append(len(gates))
            scheme, targets = "", ()
            if getattr(g, "scheme", ""):  # a state of a kinetic scheme
                scheme = f"{ch.name}.{g.scheme}"
                targets = tuple(local[t] for t in g.targets)
            gates.append(GateSpec(ci, g.name, float(g.power), g.form_names, tuple(kinds), tuple(offsets),
                                  bool(g.instantaneous), tuple(codes), tuple(sizes), scheme, targets))
        channel_gates.append(tuple(idx))
    modes, cpool, cval, cextra = [], [], [], []
    pool_ions = [p.ion for p in pools]
    conc = model.concentration
    for ch in model.channels:
        pi = pool_ions.index(ch.ion) if ch.ion in pool_ions else -1
        cpool.append(pi)
        z = valence(ch.ion) if ch.ion else 0
        cval.append(z)
        if ch.reversal in ("ghk", "ghk2"):
            cin, cout = conc_names(ch.ion)
            modes.append("ghk")
            cextra.append(len(rp))
            rp.extend([rt_over_f(model.temperature), conc[cout], conc[cin]])
            if ch.reversal == "ghk2":
                rp.append(ghk2_voltage(z, model.temperature))
        elif ch.reversal == "nernst" and pi >= 0:
            cin, cout = conc_names(ch.ion)
            modes.append("nernst")
            cextra.append(len(rp))
            rp.extend([rt_over_f(model.temperature) / z, conc[cout]])
        else:
            modes.append("ohmic")
            cextra.append(-1)
    pspecs = []
    for p in pools:
        clip, pump = bool(getattr(p, "clip", True)), getattr(p, "pump_vmax", 0.0) > 0
        rest = getattr(p, "rest", None)
        pspecs.append(PoolSpec(p.state_name, p.ion, len(rp), clip, pump))
        rp.extend([shell_influx_factor(p.ion, p.depth), p.tau, conc[f"{p.prefix}_in"] if rest is None else rest])
        if pump:
            rp.extend([p.pump_vmax, p.pump_km])
    opens, open_offsets = [], []
    for ch in model.channels:
        code, vals = _open_layout(ch)
        opens.append(code)
        open_offsets.append(len(rp) if code else -1)
        rp.extend(vals)
    if not any(opens):  # the default: every channel a product of gate powers
        opens, open_offsets = [], []
    s = Structure(
        len(model.channels), tuple(channel_gates), tuple(gates), len(rp),
        channel_names=tuple(c.name for c in model.channels),
        channel_modes=tuple(modes), channel_pool=tuple(cpool), channel_valence=tuple(cval),
        channel_extra=tuple(cextra), pools=tuple(pspecs),
        channel_open=tuple(opens), channel_open_offset=tuple(open_offsets),
        channel_ghk2=tuple(ch.reversal == "ghk2" for ch in model.channels)
        if any(ch.reversal == "ghk2" for ch in model.channels) else (),
    )
    return s, rp


def _open_layout(ch) -> tuple[str, list[float]]:
    """Canonical text and constants of a channel's conductance expression (``""``, []
    for a product of gate powers): gate names become ``g<k>``, constants ``c<m>``."""
    tree = ch.open_tree
    if tree is None:
        return "", []
    gates = [g.name for g in ch.gates]
    consts = dict(ch.params)
    rename, values = {}, []
    for n in _expr.names(tree):
        if n in gates:
            rename[n] = f"g{gates.index(n)}"
        else:
            rename[n] = f"c{len(values)}"
            values.append(float(consts[n]))
    return _expr.unparse(tree, rename), values


def structure_of(model: Model) -> Structure:
    """The code-relevant structure of ``model``."""
    return _layout(model)[0]


def _rate_params(model: Model) -> np.ndarray:
    return np.array(_layout(model)[1], dtype=float)


def _distinct(models: list[Model]) -> tuple[list[Model], np.ndarray]:
    """The distinct objects of ``models`` in order of first appearance, and each
    model's index among them (a network's population passes one object per cell)."""
    first: dict[int, int] = {}
    distinct: list[Model] = []
    index = np.empty(len(models), dtype=np.intp)
    for k, m in enumerate(models):
        j = first.get(id(m))
        if j is None:
            j = first[id(m)] = len(distinct)
            distinct.append(m)
        index[k] = j
    return distinct, index


def lower(models: Model | list[Model], initial=None) -> Plan:
    """Lower one model, or several of the same structure, into a :class:`Plan`.

    ``initial``: optional (v0, states) pair or list of pairs overriding each
    model's initial state (states: gates then pools, as ``Model.initial_state``).
    """
    if not isinstance(models, (list, tuple)):
        models = [models]
    if not models:
        raise ModelError("need at least one model")
    # each distinct model's columns once, then one column per neuron by index (a network's
    # population passes one model object for all its cells)
    distinct, index = _distinct(models)
    for m in distinct:
        if not getattr(m, "channels", None):  # nothing to integrate: the generated kernel had no body
            raise ModelError(f"model {getattr(m, 'name', '?')!r} has no channels, so there is nothing to simulate; "
                             "a cell needs at least one (e.g. a leak: [[channels]] name = \"L\", gbar = 0.3, "
                             "E = -54.4)")
    layouts = [_layout(m) for m in distinct]
    structure = layouts[0][0]
    for m, (s, _) in zip(distinct[1:], layouts[1:]):
        if s != structure:
            raise ModelError(
                f"models {models[0].name!r} and {m.name!r} differ in structure and cannot share a batch"
            )
    # the first neuron's shared exponentials: the batch driver regroups neurons
    # whose own parameters allow another, usually none, so every run of this
    # model (fixed-step or adaptive) takes one kernel module
    structure = replace(structure, exp_sharing=find_exp_sharing(structure, layouts[0][1]))
    n, d, ns = len(models), len(distinct), structure.n_states
    if initial is None or isinstance(initial, tuple):  # one initial state per distinct model
        states = [m.initial_state() for m in distinct] if initial is None else [initial] * d
        owners, column = distinct, index
    else:  # one per neuron
        states, owners, column = list(initial), models, np.arange(n)
        if len(states) != n:
            raise ModelError(f"initial needs one (v0, states) pair per model ({n}), got {len(states)}")
    y0 = []
    for (v0, st), m in zip(states, owners):
        st = np.asarray(st, dtype=float).ravel()
        if st.size == structure.n_gates and ns > st.size:  # gates only: pools start at rest
            st = np.concatenate([st, m.steady_states(float(v0))[structure.n_gates:]])
        if st.size != ns:
            raise ModelError(f"initial state of {m.name!r} needs {ns} values (gates, then pools), got {st.size}")
        y0.append(st)

    def columns(rows, width: int, at=index) -> np.ndarray:
        """(width, n): one row of ``width`` values per source (a distinct model, or a
        neuron's own initial state), as one column per neuron (``at``: its source)."""
        return np.array(rows, dtype=float).reshape(len(rows), width).T[:, at].copy()

    nc, nr = structure.n_channels, structure.n_rate_params
    return Plan(
        structure=structure,
        gbar=columns([[c.gbar for c in m.channels] for m in distinct], nc),
        erev=columns([[c.E for c in m.channels] for m in distinct], nc),
        phi=columns([m.phis() for m in distinct], nc),
        cm=columns([m.Cm for m in distinct], 1)[0],
        rp=columns([lay[1] for lay in layouts], nr),
        v0=columns([s[0] for s in states], 1, column)[0],
        y0=columns(y0, ns, column),
        threshold=columns([m.spike_threshold for m in distinct], 1)[0],
    )
