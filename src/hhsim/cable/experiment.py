"""One cable experiment from plain settings: what ``hhsim cable`` runs.

:func:`run_experiment` turns the command line's settings (a preset, or a
model and a geometry in the command line's units) into a morphology, its
channels and stimuli, and simulates it.  Defaults, in order: the explicit
setting, the preset's value, the built-in default below.
"""

from __future__ import annotations

import math

from .. import models as _models
from ..errors import HHSimError, StimulusError
from ..stim import pulse
from . import presets as _presets
from .geometry import DEFAULT_RA, Morphology, cable, segment_counts
from .lowering import input_resistance, lower_cable, resolve_models
from .simulate import simulate_cable
from .stimulus import PointStim, point
from .swc import read_swc
from .tree import build_tree

#: Built-in defaults without a preset: the squid axon of the 1952 paper at 6.3 °C, 2 cm.
DEFAULT_LENGTH_CM = 2.0
DEFAULT_DIAM_UM = 476.0

#: The default stimulus: a 0.5 ms pulse at the start, 0.5 ms in, of
#: DEFAULT_KICK_MV / R_in nA (R_in: the input resistance there, linearised at
#: rest), several times threshold for the HH axon at any diameter.
DEFAULT_KICK_MV = 40.0


def default_stimulus(morph: Morphology, channels, temperature=None) -> PointStim:
    """A brief suprathreshold pulse at the start of the cable (at the middle of
    the root section of a branched morphology)."""
    models = resolve_models(morph, channels, temperature)
    counts = segment_counts(morph, lambda s: models[morph.index(s.name)].Cm, nseg=1)
    plan = lower_cable(build_tree(morph, counts), models, "sealed")
    where = point(pulse(1.0, 0.5, 0.5), at=0.0) if morph.is_unbranched else \
        point(pulse(1.0, 0.5, 0.5), x=0.5, section=morph.sections[0].name)
    r_in = input_resistance(plan, where.node(plan.tree))  # MΩ
    amp = DEFAULT_KICK_MV / r_in  # nA
    return PointStim(pulse(float(f"{amp:.3g}"), 0.5, 0.5), where.at, where.x, where.section)


def run_experiment(
    *,
    preset: str | None = None,
    model=None,
    overrides: dict | None = None,
    length_cm: float | None = None,
    diam_um: float | None = None,
    ri_ohm_cm: float | None = None,
    dx_um: float | None = None,
    nseg: int | None = None,
    temperature: float | None = None,
    stimuli: list[PointStim] | None = None,
    t_stop: float | None = None,
    dt: float | None = None,
    method: str | None = None,
    boundary: str | None = None,
    swc: str | None = None,
    progress: bool = False,
    noise=None,
    backend: str | None = None,
):
    """Build and simulate one cable experiment; returns a :class:`CableResult`.

    ``noise``: None or a :class:`~hhsim.noise.spec.ChannelNoise` (channel counts per
    compartment from its area, :mod:`hhsim.cable.noise`); ``backend``: as
    :func:`~hhsim.cable.simulate.simulate_cable`'s.
    """
    p = _presets.get(preset) if preset is not None else None
    if swc is not None and (length_cm is not None or diam_um is not None or preset is not None):
        raise HHSimError("--swc gives the morphology: do not combine it with --length, --diam or --preset")
    geometry_given = length_cm is not None or diam_um is not None or ri_ohm_cm is not None
    if swc is not None:
        morph = read_swc(swc, ra=DEFAULT_RA if ri_ohm_cm is None else ri_ohm_cm)
    elif p is not None and not geometry_given:
        morph = p.morphology()
    else:
        base = p.morphology() if p is not None else None
        if base is not None and not base.is_unbranched:
            raise HHSimError(f"preset {preset!r} has its own geometry; --length/--diam/--ri apply to plain cables")
        length = (base.total_length / 1e4 if base is not None else DEFAULT_LENGTH_CM) if length_cm is None else length_cm
        diam = (base.sections[0].diam if base is not None else DEFAULT_DIAM_UM) if diam_um is None else diam_um
        ra = (base.ra if base is not None else DEFAULT_RA) if ri_ohm_cm is None else ri_ohm_cm
        for name, value, unit in (("--length", length, "cm"), ("--diam", diam, "µm"), ("--ri", ra, "Ω·cm")):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise HHSimError(f"{name} must be a number > 0 {unit} (got {value})")
        morph = cable(float(length) * 1e4, float(diam), float(ra))
    channels = _channels(p, model, overrides)
    temperature = (p.temperature if p is not None else None) if temperature is None else temperature
    if dx_um is None and nseg is None and p is not None and swc is None:
        dx_um = p.dx
    if dt is None and p is not None:
        dt = p.dt
    if stimuli and swc is not None:
        stims = [_on_root(s, morph) for s in stimuli]
    elif stimuli:
        stims = list(stimuli)
    elif p is not None and swc is None:
        stims = [p.stimulus()]
    else:
        stims = [default_stimulus(morph, channels, temperature)]
    if t_stop is None and p is not None and not geometry_given and swc is None:
        t_stop = p.t_stop
    return simulate_cable(
        morph, channels, stims, t_stop=t_stop, dt=dt, method=method or "cn", dx=dx_um, nseg=nseg,
        temperature=temperature, boundary=boundary or "sealed", progress=progress, noise=noise,
        backend=backend,
    )


def _on_root(stim: PointStim, morph: Morphology) -> PointStim:
    """On an SWC morphology a stimulus without a section goes into the root section."""
    if stim.section is not None:
        return stim
    if stim.at is not None:
        raise StimulusError("on an SWC morphology give the stimulus place as x= (fraction of the root section)")
    return PointStim(stim.waveform, None, 0.5 if stim.x is None else stim.x, morph.sections[0].name)


def _channels(p, model, overrides):
    """The channel assignment: the preset's, or ``model`` everywhere; --set applies to every model."""
    if model is not None:
        chans = _models.get(model)
    elif p is not None:
        chans = p.channels
    else:
        chans = _models.get("hh")
    if not overrides:
        return chans
    if isinstance(chans, dict):
        out = {}
        for key, m in chans.items():
            m = _models.get(m)
            known = m.params()
            out[key] = m.with_params({k: v for k, v in overrides.items() if k in known})
        unknown = [k for k in overrides if not any(k in _models.get(m).params() for m in chans.values())]
        if unknown:
            raise HHSimError(f"unknown parameter {unknown[0]!r} for the channels of this preset")
        return out
    return _models.get(chans).with_params(overrides)
