"""Multi-compartment cells as network neurons.

A :class:`CableCell` population puts cables or branched (SWC) cells into a
network: each cell is advanced in lockstep with the point neurons, inside the
network's compiled loop (:mod:`hhsim.engine.network_cables`), by the kernels of
:func:`hhsim.cable.simulate_cable`; it receives its synapses on one node
(``synapse_at``) and fires when the node ``detect_at`` crosses ``threshold``
upwards, the crossing located on the cubic Hermite interpolant of the node's V
over the step (dV/dt at both ends from the cable equation of that node).
Weights in nS are converted by the synapse node's membrane area.

Synaptic conductances reach the cell held over each step at their value at
the step's start: an event to a cable cell acts from the step after it, at
most ``dt`` late, unlike events to point neurons, whose steps are split.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import ParameterError


@dataclass(frozen=True)
class CableCell:
    """A cable or branched cell for a network population.

    Parameters
    ----------
    morph : a :class:`~hhsim.cable.geometry.Morphology` (``hhsim.cable.cable(...)``, ``read_swc(...)``).
    channels : a model or preset name for every section, or ``{region or section: model}``.
    stimuli : the cell's own point stimuli (nA), ``hhsim.cable.point(...)``.
    synapse_at, detect_at : ``(section, x)`` with x in 0..1, or None for the soma node
        (the middle of a section named or of region ``soma``, else of the root section).
    threshold : mV; method, dx, nseg : as :func:`hhsim.cable.simulate_cable`.
    """

    morph: Any
    channels: Any = "hh"
    stimuli: tuple = ()
    synapse_at: tuple | None = None
    detect_at: tuple | None = None
    threshold: float = 0.0
    method: str = "cn"
    dx: float | None = None
    nseg: int | None = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        from ..cable.geometry import Morphology

        if not isinstance(self.morph, Morphology):
            raise ParameterError("CableCell needs a Morphology (hhsim.cable.cable(...), read_swc(...))")
        object.__setattr__(self, "stimuli", tuple(self.stimuli))

    @property
    def name(self) -> str:
        return "cable cell"

    @property
    def state_names(self) -> list[str]:
        return []

    def stepper(self, dt: float):
        """A fresh :class:`~hhsim.cable.CableStepper` of this cell at step ``dt`` (ms)."""
        from ..cable.stepper import CableStepper

        return CableStepper(self.morph, self.channels, dt=dt, method=self.method, stimuli=list(self.stimuli),
                            dx=self.dx, nseg=self.nseg)

    def node(self, stepper, where) -> int:
        return stepper.soma_node if where is None else stepper.node_at(*where)

    def describe(self) -> dict:
        """The TOML table this cell was read from (cells built in Python have none)."""
        if "toml" not in self.extra:
            raise ParameterError("this cable cell was built in Python (its morphology cannot be written to a "
                                 "network file); describe it as model = {length_um = ..., diam_um = ...} or "
                                 "{swc = \"cell.swc\"}")
        return dict(self.extra["toml"])


#: Keys of a cable cell's table in a network file (``model = {...}``).
TABLE_KEYS = {"length_um", "diam_um", "ra_ohm_cm", "swc", "channels", "stimuli", "synapse_at", "detect_at",
              "threshold", "method", "dx_um", "nseg"}


def from_table(table: dict, where: str) -> CableCell:
    """A :class:`CableCell` from its network-file table: a cable (``length_um``,
    ``diam_um``, optional ``ra_ohm_cm``) or an SWC file (``swc``), ``channels``
    (a preset name), point ``stimuli`` (specs with ``at=`` or ``x=``, nA),
    ``synapse_at``/``detect_at`` as [section, x], ``threshold``, ``method``,
    ``dx_um``, ``nseg``."""
    from ..cable import cable, parse_point, read_swc

    unknown = sorted(set(table) - TABLE_KEYS)
    if unknown:
        raise ParameterError(f"unknown key {unknown[0]!r} in {where} model table; accepted: "
                             + ", ".join(sorted(TABLE_KEYS)))
    if ("swc" in table) == ("length_um" in table):
        raise ParameterError(f"{where} model table needs either swc = \"FILE\" or length_um and diam_um")
    from .. import validate as _v

    num = {}
    for key, (lo, hi) in {"length_um": (0.0, 1e7), "diam_um": (0.0, 1e5), "ra_ohm_cm": (0.0, 1e9),
                          "dx_um": (0.0, 1e7)}.items():
        if key in table:
            num[key] = _v.number(table[key], f"{where} model {key}", lo=lo, lo_open=True, hi=hi)
    if "threshold" in table:
        num["threshold"] = _v.number(table["threshold"], f"{where} model threshold", unit="mV", lo=-1000.0, hi=1000.0)
    if "nseg" in table:
        num["nseg"] = _v.whole(table["nseg"], f"{where} model nseg", lo=1, hi=1_000_000)
    for key in ("channels", "method", "swc"):
        if key in table:
            _v.text(table[key], f"{where} model {key}")
    if "swc" in table:
        morph = read_swc(str(table["swc"]))
    else:
        if "diam_um" not in table:
            raise ParameterError(f"{where} model table needs diam_um with length_um")
        morph = cable(num["length_um"], num["diam_um"],
                      **({"ra": num["ra_ohm_cm"]} if "ra_ohm_cm" in table else {}))
    stims = _v.names(table.get("stimuli", []), f"{where} model stimuli")
    sites = {}
    for key in ("synapse_at", "detect_at"):
        v = table.get(key)
        if v is not None:
            if not (isinstance(v, list) and len(v) == 2 and isinstance(v[0], str)):
                raise ParameterError(f"{where}: {key} must be [section name, x] (got {_v.shown(v)})")
            sites[key] = (v[0], _v.number(v[1], f"{where} {key} x", lo=0.0, hi=1.0))
    return CableCell(morph, table.get("channels", "hh"), stimuli=tuple(parse_point(s) for s in stims),
                     threshold=num.get("threshold", 0.0), method=str(table.get("method", "cn")),
                     dx=num.get("dx_um"), nseg=num.get("nseg"), extra={"toml": dict(table)}, **sites)
