"""Point stimuli: a current waveform (nA) injected at one location of a cable.

The waveform is any :mod:`hhsim.stim` stimulus; on a cable its values are
read as nA (not µA/cm²).  The location is either ``at`` (µm from the start
of an unbranched cable) or ``x`` (fraction 0..1 of its length), or
``section`` plus ``x`` (fraction along that section) on a branched tree.
The current goes into the compartment holding the location (as NEURON's
point processes do).

On the command line a point stimulus is an ordinary stimulus spec with an
extra ``at=`` (µm) or ``x=`` keyword, e.g. ``pulses(amp=20000, dur=0.2, start=0.5, at=0)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import stimspec
from ..errors import StimulusError
from ..validate import number, shown
from ..stim import Stimulus
from .geometry import GeometryError, Morphology
from .tree import Tree


@dataclass(frozen=True)
class PointStim:
    """``waveform`` (values in nA) injected at a location (see the module docstring)."""

    waveform: Stimulus
    at: float | None = None
    x: float | None = None
    section: str | None = None

    def __post_init__(self):
        if not isinstance(self.waveform, Stimulus):
            raise StimulusError("a point stimulus needs a waveform from hhsim.stim (values in nA)")
        if self.at is not None and self.x is not None:
            raise StimulusError("give the stimulus location as at= (µm) or x= (fraction), not both")
        for name in ("at", "x"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value)):
                raise StimulusError(f"stimulus location {name}={value!r} must be a finite number")

    def describe(self) -> str:
        where = (f"at={self.at:g} µm" if self.at is not None else
                 f"x={self.x if self.x is not None else 0:g}") + (f" of {self.section}" if self.section else "")
        return f"{self.waveform.describe()} nA {where}"

    def locate(self, morph: Morphology) -> tuple[int, float]:
        """(section index, arc µm) of the injection site; raises for a location off the cable."""
        if self.section is not None:
            si = morph.index(self.section)
            if self.at is not None:
                raise StimulusError("on a named section give the location as x= (0..1)")
            x = 0.0 if self.x is None else float(self.x)
            if not 0.0 <= x <= 1.0:
                raise StimulusError(f"stimulus location x={x:g} is outside section {self.section!r} (0 to 1)")
            return si, x * morph.sections[si].length
        if not morph.is_unbranched:
            raise StimulusError("on a branched morphology give the stimulus a section and x")
        total = morph.total_length
        if self.x is not None:
            if not 0.0 <= self.x <= 1.0:
                raise StimulusError(f"stimulus location x={self.x:g} is outside the cable (0 to 1)")
            dist = self.x * total
        else:
            dist = 0.0 if self.at is None else float(self.at)
            if not (-1e-9 <= dist <= total * (1 + 1e-12)):
                raise StimulusError(f"stimulus location at={dist:g} µm is outside the cable (0 to {total:g} µm)")
        try:
            return morph.locate(min(max(dist, 0.0), total))
        except GeometryError as exc:  # pragma: no cover - checked above
            raise StimulusError(str(exc)) from None

    def node(self, tree: Tree) -> int:
        si, arc = self.locate(tree.morph)
        return tree.node_at(si, arc)


def point(waveform: Stimulus, at: float | None = None, *, x: float | None = None,
          section: str | None = None) -> PointStim:
    """A point stimulus: ``waveform`` (nA) at ``at`` µm, or at fraction ``x`` (of ``section``)."""
    at = None if at is None else number(at, "stimulus location at", unit="µm", error=StimulusError)
    x = None if x is None else number(x, "stimulus location x", error=StimulusError)  # 0..1: checked on the cable
    if section is not None and not isinstance(section, str):
        raise StimulusError(f"section must be a section's name (got {type(section).__name__} {shown(section)})")
    return PointStim(waveform, at, x, section)


def parse_point(spec: str) -> PointStim:
    """``"pulses(amp=20000, dur=0.2, at=0)"`` -> a :class:`PointStim` (amplitudes in nA).

    ``at=`` (µm) or ``x=`` (fraction of the length) gives the location
    (default: the start, at=0); every other keyword is the stimulus grammar's.
    """
    if spec is not None and not isinstance(spec, str):
        raise StimulusError(f"a point stimulus spec must be text such as 'pulses(amp=20000, dur=0.2, at=0)' "
                            f"(got {type(spec).__name__} {shown(spec)})")
    m = stimspec._CALL.match(spec or "")
    if not m:
        return PointStim(stimspec.parse(spec))  # raises the grammar's own message
    kind, body = m.group(1), m.group(2)
    kept, where = [], {}
    for arg in stimspec._split_args(body):
        km = stimspec._KEY.match(arg)
        if km and km.group(1) in ("at", "x"):
            key, text = km.group(1), km.group(2)
            if key in where:
                raise StimulusError(f"{kind}: keyword {key!r} given twice")
            if not stimspec._NUMBER.match(text) or not math.isfinite(float(text)):
                raise StimulusError(f"{kind}: {key}={text!r} is not a finite number "
                                    "(at= in µm from the start, x= as a fraction 0..1)")
            where[key] = float(text)
        else:
            kept.append(arg)
    waveform = stimspec.parse(f"{kind}({','.join(kept)})")
    return point(waveform, where.get("at"), x=where.get("x"))
