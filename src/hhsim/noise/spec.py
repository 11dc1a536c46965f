"""``ChannelNoise``: which channels are noisy, how many there are, and how they are simulated.

The number of channels of a noisy channel type is its density (channels per
µm²) times the membrane area (µm²), rounded to the nearest whole number, or
given directly.  The defaults are the squid-axon densities used by Goldwyn &
Shea-Brown (2011), PLoS Comput Biol 7:e1002247 (Table 1, after Skaugen &
Walloe 1979, Acta Physiol Scand 107:343): 60 Na channels and 18 K channels
per µm², which with hh's gNa = 120 and gK = 36 mS/cm² is a single-channel
conductance of 20 pS each.  A noisy channel keeps its ``gbar``: its
conductance density is ``gbar * (channels open) / N``, so the mean current
is the deterministic model's whatever N is.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

from .. import validate as _v
from ..errors import ParameterError
from ..physics.kinetic import kinetic_scheme

#: Methods accepted by ``noise=``.
METHODS = ("none", "markov", "langevin", "gillespie")

#: Squid-axon channel densities (channels/µm²), Goldwyn & Shea-Brown 2011, Table 1
#: (after Skaugen & Walloe 1979): applied by default to channels named Na and K.
SQUID_DENSITY = {"Na": 60.0, "K": 18.0}
SQUID_DENSITY_SOURCE = ("Goldwyn JH, Shea-Brown E (2011) The what and where of adding channel noise to the "
                        "Hodgkin-Huxley equations. PLoS Comput Biol 7:e1002247, Table 1 (after Skaugen & "
                        "Walloe 1979)")

#: Most channels of one kind on one membrane: the binomial draws take O(sqrt(N)) steps, and
#: beyond this the noise is below anything the deterministic model does not already show.
MAX_CHANNELS = 10 ** 10
#: Most channels (all kinds) of a patch run by the event-driven ``gillespie`` method, whose
#: cost grows with the number of transitions.
MAX_GILLESPIE_CHANNELS = 10 ** 5

#: Largest seed: Philox takes a 64-bit key.
MAX_SEED = 2 ** 64 - 1


@dataclass(frozen=True)
class ChannelNoise:
    """How the channels of a membrane are made noisy.

    Attributes
    ----------
    method : ``"markov"`` (channel counts, the exact transition of each fixed
        step by binomial draws), ``"langevin"`` (the chemical Langevin
        equation of the same scheme, Orio & Soudry 2012 covariance),
        ``"gillespie"`` (exact event times, one neuron only) or ``"none"``.
    area_um2 : membrane area (µm²) that the densities multiply.
    density : channel name -> channels per µm² (default: :data:`SQUID_DENSITY`
        for the model's channels named Na and K).
    counts : channel name -> number of channels (whole numbers), instead of a density.
    seed : the random stream's key (0 .. 2**64 - 1).
    """

    method: str = "markov"
    area_um2: float | None = None
    density: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    seed: int = 0

    def __post_init__(self):
        method = str(self.method).strip().lower() if isinstance(self.method, str) else self.method
        if method not in METHODS:
            raise ParameterError(f"noise {self.method!r} is not a method; accepted: {', '.join(METHODS)}")
        object.__setattr__(self, "method", method)
        if self.area_um2 is not None:
            a = _v.number(self.area_um2, "area_um2", unit="µm²")
            if not a > 0:
                raise ParameterError(f"area_um2 = {self.area_um2!r} µm² is not an area; accepted: a number > 0")
            object.__setattr__(self, "area_um2", a)
        density = {}
        for name, value in dict(self.density or {}).items():
            d = _v.number(value, f"density of {name}", unit="channels/µm²")
            if d < 0:
                raise ParameterError(f"density of {name} = {value!r} channels/µm² is negative; accepted: >= 0")
            density[str(name)] = d
        counts = {}
        for name, value in dict(self.counts or {}).items():
            counts[str(name)] = _whole(name, value)
        both = sorted(set(density) & set(counts))
        if both:
            raise ParameterError(f"channel {both[0]!r} is given both a density and a count; give one")
        object.__setattr__(self, "density", density)
        object.__setattr__(self, "counts", counts)
        seed = self.seed
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= int(seed) <= MAX_SEED:
            raise ParameterError(f"seed {seed!r} is not accepted; accepted: a whole number 0 .. 2**64 - 1")
        object.__setattr__(self, "seed", int(seed))

    @property
    def active(self) -> bool:
        return self.method != "none"

    def channel_counts(self, model) -> dict[str, int]:
        """Channel name -> number of channels, for the noisy channels of ``model``, checked:
        each has a kinetic scheme (:func:`hhsim.physics.kinetic.kinetic_scheme`)."""
        names = [c.name for c in model.channels]
        for name in list(self.density) + list(self.counts):
            if name not in names:
                raise ParameterError(f"noise names channel {name!r}, which model {model.name!r} does not have; "
                                     f"its channels: {', '.join(names)}")
        density = dict(self.density)
        if not density and not self.counts:
            density = {k: v for k, v in SQUID_DENSITY.items() if k in names}
            if not density:
                raise ParameterError(f"model {model.name!r} has no channel named Na or K; give the noisy "
                                     "channels' density (channels/µm²) or counts, e.g. density={'NaT': 60}")
        out = {}
        for name, d in density.items():
            if self.area_um2 is None:
                raise ParameterError(f"channel {name!r} is given a density ({d:g} channels/µm²), which needs the "
                                     "membrane area: give area_um2 (µm²), or the channel counts")
            out[name] = int(round(d * self.area_um2))
        out.update(self.counts)
        for name in out:
            kinetic_scheme(model.channel(name))  # refuses a channel without a kinetic scheme
            if out[name] > MAX_CHANNELS:
                raise ParameterError(f"{out[name]:.3g} {name} channels is too many; accepted: at most "
                                     f"{MAX_CHANNELS:.0e} per kind (beyond that run without noise: the "
                                     "deterministic model is the limit)")
        if self.method == "gillespie" and sum(out.values()) > MAX_GILLESPIE_CHANNELS:
            raise ParameterError(f"{sum(out.values())} channels is too many for the gillespie method (at most "
                                 f"{MAX_GILLESPIE_CHANNELS:.0e}: every transition is an event); use markov or langevin")
        return {n: out[n] for n in names if n in out}

    def describe(self) -> dict:
        """A JSON-ready description (keys carry units)."""
        return {"method": self.method, "area_um2": self.area_um2, "density_per_um2": dict(self.density),
                "counts": dict(self.counts), "seed": self.seed}


def _whole(name, value) -> int:
    bad = ParameterError(f"the count of channel {name} = {value!r} is not a whole number of channels; "
                         "accepted: 0, 1, 2, ...")
    if isinstance(value, bool):
        raise bad
    if isinstance(value, numbers.Integral):
        n = int(value)
    else:
        try:
            x = float(value)
        except (TypeError, ValueError):
            raise bad from None
        if not (math.isfinite(x) and x == round(x)):
            raise bad
        n = int(x)
    if n < 0:
        raise ParameterError(f"the count of channel {name} = {value!r} is negative; accepted: 0, 1, 2, ...")
    return n


def as_noise(noise=None, *, area_um2=None, density=None, counts=None, seed=None) -> ChannelNoise:
    """A :class:`ChannelNoise` from ``simulate``'s arguments: ``noise`` a method name or a
    record (the keyword arguments then override its fields), or None (no noise)."""
    if isinstance(noise, ChannelNoise):
        base = noise
    elif noise is None:
        base = ChannelNoise("none")
    elif isinstance(noise, str):
        base = ChannelNoise(noise)
    else:
        raise ParameterError(f"noise must be a method name ({', '.join(METHODS)}) or a ChannelNoise, "
                             f"got {type(noise).__name__}")
    changes = {k: v for k, v in (("area_um2", area_um2), ("density", density), ("counts", counts),
                                 ("seed", seed)) if v is not None}
    if not changes:
        return base
    if not base.active:
        raise ParameterError(f"{', '.join(changes)} given without noise; add noise='markov' or 'langevin'")
    return ChannelNoise(base.method, changes.get("area_um2", base.area_um2),
                        changes.get("density", base.density), changes.get("counts", base.counts),
                        changes.get("seed", base.seed))
