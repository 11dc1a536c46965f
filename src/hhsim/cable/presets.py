"""Ready-made cable experiments (``hhsim cable --preset NAME``) and membranes.

Each preset gives a morphology, its channels, a temperature, a
discretisation, a stimulus and a duration; any of them can be overridden.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import replace as dataclass_replace
from typing import Callable

from .. import models as _models
from ..channels.base import Channel
from ..errors import ModelError
from ..model import Model
from ..stim import pulse
from .geometry import Morphology, cable, myelinated_axon
from .stimulus import PointStim, point


def passive(g: float, E: float | None = None, Cm: float = 1.0, name: str = "passive") -> Model:
    """A passive membrane: leak ``g`` mS/cm² reversing at ``E`` mV (default: the
    resting potential of the ``hh`` model, so it joins an HH axon at rest), ``Cm`` µF/cm²."""
    if E is None:
        E = _models.get("hh").resting_potential()
    return Model(name=name, channels=(Channel("L", gbar=float(g), E=float(E)),), Cm=float(Cm),
                 description=f"passive membrane, g = {g:g} mS/cm², E = {E:g} mV, Cm = {Cm:g} µF/cm²")


def myelin(layers: int = 100, node_model: str | Model = "hh") -> Model:
    """Internode membrane under ``layers`` wraps of myelin: the capacitance and
    the leak of the bare membrane (those of ``node_model``'s leak) divided by
    2 x layers (two membranes per wrap, in series)."""
    base = _models.get(node_model)
    leak = next((c for c in base.channels if not c.gates), None)
    g = (leak.gbar if leak is not None else 0.3) / (2 * layers)
    return passive(g, base.resting_potential(), base.Cm / (2 * layers), name=f"myelin{layers}")


def node_of_ranvier(density: float = 10.0) -> Model:
    """A node of Ranvier: the squid-axon channels at ``density`` times their
    membrane density (nodal sodium channels are about ten times denser)."""
    hh = _models.get("hh")
    return dataclass_replace(hh.with_params(gNa=120.0 * density, gK=36.0 * density, gL=0.3 * density),
                             name="hh-node", description=f"HH channels at {density:g}x density (node of Ranvier)")


@dataclass(frozen=True)
class CablePreset:
    """A named cable experiment."""

    name: str
    description: str
    morphology: Callable[[], Morphology]
    channels: object
    temperature: float | None
    dx: float | None
    dt: float
    t_stop: float
    stimulus: Callable[[], PointStim]
    source: str = ""
    notes: dict = field(default_factory=dict)


HH1952 = ("Hodgkin AL, Huxley AF (1952) J Physiol 117:500-544, Part III (propagated action "
          "potential: computed 18.8 m/s, measured 21.2 m/s at 18.5 °C)")


def _squid_axon() -> Morphology:
    return cable(60000.0, 476.0, 35.4, name="squid axon")


PRESETS: dict[str, CablePreset] = {
    "hh1952-axon": CablePreset(
        name="hh1952-axon",
        description="squid giant axon of Hodgkin & Huxley 1952: 6 cm, diameter 476 µm, 35.4 Ω·cm, 18.5 °C",
        morphology=_squid_axon,
        channels="hh",
        temperature=18.5,
        dx=50.0,
        dt=0.0025,
        t_stop=6.0,
        stimulus=lambda: point(pulse(20000.0, start=0.5, dur=0.2), at=0.0),
        source=HH1952,
    ),
    "myelinated": CablePreset(
        name="myelinated",
        description="myelinated axon, diameter 10 µm: 51 nodes of Ranvier (1 µm, HH channels at 10x "
                    "density) and 1 mm internodes under 100 wraps of myelin, 35.4 Ω·cm, 6.3 °C",
        morphology=lambda: myelinated_axon(10.0, 51, node_length=1.0, internode_length=1000.0),
        channels={"node": node_of_ranvier(), "internode": myelin(100)},
        temperature=6.3,
        dx=100.0,
        dt=0.005,
        t_stop=4.0,
        stimulus=lambda: point(pulse(1.5, start=0.5, dur=0.5), x=0.0),
        source="saltatory conduction; internodes 100 x the fibre diameter (Rushton 1951)",
    ),
}


def get(name: str) -> CablePreset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ModelError(f"unknown cable preset {name!r}; available: {', '.join(PRESETS)}") from None
