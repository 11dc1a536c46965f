"""Pharmacology: channel blockers and the removal of Na inactivation.

Drugs act on a model description and return a new one; they never touch the
engine (this module sits in the description layer, beside :mod:`hhsim.model`).  Available drugs:

========  ===========================================  ==================  ======================
name      effect                                       IC50                source
========  ===========================================  ==================  ======================
``ttx``   blocks every Na channel (``ion == "na"``):   5.1 nM              squid giant axon, see
          g -> g * (1 - c / (c + IC50))                                    ``TTX_SOURCE``
``tea``   blocks every K channel (``ion == "k"``)      0.4 mM              ``TEA_SOURCE``
``pronase`` removes Na inactivation: every             (no concentration)  ``PRONASE_SOURCE``
          inactivating gate of the Na channels is
          held at 1
========  ===========================================  ==================  ======================

Block is one-to-one binding (Hill coefficient 1): the fraction of channels
blocked at concentration ``c`` is ``c / (c + IC50)`` and the maximal
conductance is scaled by the fraction left unblocked.  The block is
voltage- and time-independent (the drug is assumed at equilibrium).

Command-line form (every protocol and ``hhsim run``)::

    --drug ttx=10nM      --drug tea=5mM      --drug pronase

Concentration units: pM, nM, uM (or µM), mM, M; a bare number is in the
drug's default unit (nM for TTX, mM for TEA).  Temperature is not a drug:
use ``--temperature`` (each channel's gate rates scale by Q10 = 3 per 10 °C
for ``hh``).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import numpy as np

from .channels.base import Const, Gate
from .errors import ProtocolError
from .model import Model

TTX_SOURCE = (
    "Squid giant axon under voltage clamp: 4-epitetrodotoxin halves the Na current at 13.2 nM "
    "with a potency 0.39 times that of TTX, so TTX IC50 = 0.39 x 13.2 = 5.1 nM. 'Actions of "
    "4-epitetrodotoxin and anhydrotetrodotoxin on the squid axon', Toxicon 23:725-729 (1985), "
    "doi:10.1016/0041-0101(85)90002-9. (Frog node of Ranvier: about 1 nM, Hille B, "
    "J Gen Physiol 51:199-219, 1968.)"
)
TEA_SOURCE = (
    "External TEA on the delayed K current of frog node of Ranvier: dissociation constant 0.4 mM. "
    "Hille B (1967) The selective inhibition of delayed potassium currents in nerve by "
    "tetraethylammonium ion. J Gen Physiol 50:1287-1302. (In squid TEA acts from inside the "
    "axon; Armstrong CM, J Gen Physiol 1966/1969.)"
)
PRONASE_SOURCE = (
    "Armstrong CM, Bezanilla F, Rojas E (1973) Destruction of sodium conductance inactivation "
    "in squid axons perfused with pronase. J Gen Physiol 62:375-391."
)

_UNITS = {"pm": 1e-12, "nm": 1e-9, "um": 1e-6, "µm": 1e-6, "μm": 1e-6, "mm": 1e-3, "m": 1.0}


@dataclass(frozen=True)
class Drug:
    """A drug: what it acts on, how strongly, and where the number comes from.

    ``ion``: the ``Channel.ion`` it acts on ("na", "k"); ``ic50``: half-block
    concentration in ``unit`` (None for drugs without a concentration).
    """

    name: str
    label: str
    ion: str
    action: str  # "block" or "remove_inactivation"
    ic50: float | None
    unit: str
    source: str
    description: str

    def fraction_blocked(self, concentration: float) -> float:
        """c / (c + IC50), dimensionless; ``concentration`` in ``self.unit``."""
        if self.action != "block":
            return 0.0
        c = float(concentration)
        return c / (c + self.ic50)


DRUGS: dict[str, Drug] = {
    "ttx": Drug("ttx", "TTX", "na", "block", 5.1, "nM", TTX_SOURCE,
                "tetrodotoxin: blocks voltage-gated Na channels from outside"),
    "tea": Drug("tea", "TEA", "k", "block", 0.4, "mM", TEA_SOURCE,
                "tetraethylammonium: blocks delayed-rectifier K channels"),
    "pronase": Drug("pronase", "pronase", "na", "remove_inactivation", None, "", PRONASE_SOURCE,
                    "proteolytic enzyme: removes Na inactivation (h held at 1)"),
}


@dataclass(frozen=True)
class Application:
    """A drug at a concentration (in the drug's unit; None for pronase)."""

    drug: Drug
    concentration: float | None = None

    def describe(self) -> str:
        if self.concentration is None:
            return self.drug.label
        return f"{self.drug.label} {self.concentration:g} {self.drug.unit}"

    def to_dict(self) -> dict:
        out = {"drug": self.drug.name}
        if self.concentration is not None:
            out[f"concentration_{self.drug.unit}"] = self.concentration
            out["fraction_blocked"] = self.drug.fraction_blocked(self.concentration)
            out[f"ic50_{self.drug.unit}"] = self.drug.ic50
        return out


_SPEC = re.compile(
    r"^\s*([A-Za-z]+)\s*(?:=\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-zµμ]*)\s*)?$"
)


def parse_drug(text: str) -> Application:
    """``"ttx=10nM"`` / ``"tea=5 mM"`` / ``"pronase"`` -> :class:`Application`."""
    accepted = "ttx=CONC (e.g. ttx=10nM), tea=CONC (e.g. tea=5mM), pronase"
    if text is not None and not isinstance(text, str):
        from .validate import shown

        raise ProtocolError(f"--drug must be text such as 'ttx=10nM' (got {type(text).__name__} {shown(text)}); "
                            f"accepted: {accepted}")
    m = _SPEC.match(text or "")
    if not m:
        raise ProtocolError(f"--drug {text!r} is malformed; accepted: {accepted}")
    name, number, unit = m.group(1).lower(), m.group(2), (m.group(3) or "")
    if name not in DRUGS:
        raise ProtocolError(f"unknown drug {m.group(1)!r}; accepted: {', '.join(DRUGS)}")
    drug = DRUGS[name]
    if drug.action != "block":
        if number is not None:
            raise ProtocolError(f"--drug {name} takes no concentration (write --drug {name})")
        return Application(drug)
    if number is None:
        raise ProtocolError(f"--drug {name} needs a concentration, e.g. {name}=10{drug.unit}")
    value = float(number)
    if unit:
        factor = _UNITS.get(unit.lower())
        if factor is None:
            raise ProtocolError(
                f"--drug {name}: unknown unit {unit!r}; accepted: pM, nM, uM, mM, M"
            )
        value = value * factor / _UNITS[drug.unit.lower()]
    return application(name, value)


def application(name: str, concentration: float | None = None) -> Application:
    """A checked :class:`Application` of drug ``name`` (concentration in its default unit)."""
    from .validate import number, shown

    if not isinstance(name, str) or name.lower() not in DRUGS:
        raise ProtocolError(f"unknown drug {shown(name)}; accepted: {', '.join(DRUGS)}")
    drug = DRUGS[name.lower()]
    if drug.action == "block":
        if concentration is None:
            raise ProtocolError(f"{drug.label} concentration must be a number >= 0 {drug.unit} (got None)")
        concentration = number(concentration, f"{drug.label} concentration", unit=drug.unit, lo=0.0,
                               error=ProtocolError)
        return Application(drug, float(concentration))
    return Application(drug)


def apply_drugs(model: Model, applications) -> Model:
    """The model with every drug of ``applications`` applied (a new model).

    Block scales the maximal conductance of each targeted channel by
    ``1 - c / (c + IC50)``; pronase replaces each inactivating gate of the
    targeted channels by a gate fixed at 1.  Drugs act on the conductances
    as they are when applied, so apply them after parameter changes.
    """
    from .models import get as _get_model
    from .validate import shown

    model = _get_model(model)  # a preset's name or a cell file too; anything else one clear error
    if isinstance(applications, Application):
        applications = [applications]
    if applications is not None and (isinstance(applications, (str, bytes, dict)) or not hasattr(applications, "__iter__")):
        raise ProtocolError(f"drugs must be a list of applications such as [application('ttx', 10)] (got "
                            f"{type(applications).__name__} {shown(applications)}); parse_drug('ttx=10nM') "
                            "reads a text spec")
    apps = list(applications or [])
    bad = [a for a in apps if not isinstance(a, Application)]
    if bad:
        raise ProtocolError(f"drugs must be applications such as application('ttx', 10) (got "
                            f"{type(bad[0]).__name__} {shown(bad[0])}); parse_drug('ttx=10nM') reads a text spec")
    if not apps:
        return model
    seen = set()
    for app in apps:
        if app.drug.name in seen:
            raise ProtocolError(f"drug {app.drug.label} given twice")
        seen.add(app.drug.name)
    channels = list(model.channels)
    for app in apps:
        targets = [i for i, ch in enumerate(channels) if ch.ion == app.drug.ion]
        if not targets:
            raise ProtocolError(
                f"model {model.name!r} has no {app.drug.ion.upper()} channel for {app.drug.label} to act on"
            )
        for i in targets:
            ch = channels[i]
            if app.drug.action == "block":
                keep = 1.0 - app.drug.fraction_blocked(app.concentration)
                channels[i] = ch.replace(gbar=ch.gbar * keep)
            else:
                gates = tuple(_held_open(g) if inactivates(model, model.channels[i], g) else g
                              for g in ch.gates)
                if gates == ch.gates:
                    raise ProtocolError(
                        f"channel {ch.name} of model {model.name!r} has no inactivation gate to remove"
                    )
                channels[i] = ch.replace(gates=gates)
    label = ", ".join(a.describe() for a in apps)
    return dataclasses.replace(model, channels=tuple(channels), name=f"{model.name}+{label}")


def _held_open(gate: Gate) -> Gate:
    """A gate with steady state 1 (starts at 1 and stays there)."""
    return Gate(gate.name, gate.power, inf=Const(1.0), tau=Const(1.0))


def describe_drugs() -> str:
    """One line per drug: name, IC50, effect (for help texts)."""
    lines = []
    for d in DRUGS.values():
        ic = f"IC50 {d.ic50:g} {d.unit}" if d.ic50 is not None else "no concentration"
        lines.append(f"{d.name}: {d.description} ({ic})")
    return "; ".join(lines)


def gate_steady_state(model: Model, channel, gate, v) -> np.ndarray:
    """x_inf(V) of one gate of ``channel`` in ``model`` (with the model's constants and concentrations)."""
    v = np.asarray(v, dtype=float)
    if hasattr(model, "gate_steady_states"):
        return np.asarray(model.gate_steady_states(v)[(channel.name, gate.name)], dtype=float)
    return np.asarray(gate.steady_state(v), dtype=float)  # pragma: no cover - older Model


def inactivates(model: Model, channel, gate) -> bool:
    """A gate whose steady state falls with depolarisation (h-like): higher at -100 than at 0 mV."""
    ss = gate_steady_state(model, channel, gate, np.array([-100.0, 0.0]))
    return bool(ss[0] > ss[1] + 0.1)


#: Drug concentrations accepted as scan parameters -> drug name.
DRUG_PARAMS = {f"{name}_{d.unit}": name for name, d in DRUGS.items() if d.action == "block"}
