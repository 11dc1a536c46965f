"""The channel-noise options of ``hhsim run`` (and of the noise protocols):
``--noise``, ``--area``, ``--density``, ``--count``, ``--seed``."""

from __future__ import annotations

import dataclasses

import click

from ..errors import ParameterError
from ..noise import METHODS, ChannelNoise, as_noise


def noise_options(f):
    """Add the noise options to a command (arguments ``noise, area, density, count, seed``)."""
    for opt in reversed([
        click.option("--noise", default=None, metavar="METHOD",
                     help=f"Channel noise: {', '.join(METHODS)} (default none). Markov: channel counts, exact "
                          "binomial steps; langevin: the same scheme's Gaussian approximation; gillespie: exact "
                          "event times (one neuron). Default dt 0.01 ms."),
        click.option("--area", type=float, default=None, metavar="UM2",
                     help="Membrane area (µm²) that the channel densities multiply (noise only)."),
        click.option("--density", default=None, metavar="CH=D,...",
                     help="Noisy channels and their densities (channels/µm²), e.g. Na=60,K=18 "
                          "(the squid default, Goldwyn & Shea-Brown 2011)."),
        click.option("--count", "counts", default=None, metavar="CH=N,...",
                     help="Noisy channels and their numbers of channels, e.g. Na=600,K=180, instead of densities."),
        click.option("--seed", type=int, default=None, metavar="S", help="Seed of the channel noise (default 0)."),
    ]):
        f = opt(f)
    return f


def parse_pairs(text: str | None, option: str) -> dict[str, float] | None:
    """``"Na=60,K=18"`` -> {"Na": 60.0, "K": 18.0} (None for None); one-line errors."""
    if text is None:
        return None
    out: dict[str, float] = {}
    for item in str(text).split(","):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterError(f"{option} needs CHANNEL=VALUE pairs separated by commas, e.g. Na=60,K=18; "
                                 f"got {item.strip()!r}")
        if name in out:
            raise ParameterError(f"{option} gives channel {name} twice")
        try:
            out[name] = float(value)
        except ValueError:
            raise ParameterError(f"{option} {name}: {value.strip()!r} is not a number") from None
    return out


def noise_record(noise, area, density, counts, seed, default_area=None, file_noise=None) -> ChannelNoise:
    """The :class:`~hhsim.noise.ChannelNoise` of the options (method ``none`` without ``--noise``);
    ``default_area``: the area a cell file gives, used when ``--area`` is not; ``file_noise``:
    a cell file's [noise] table (:attr:`hhsim.cells.CellFile.noise`), which the options
    override one by one (``--density`` or ``--count`` replace both its densities and counts,
    ``--noise none`` turns it off)."""
    if file_noise is not None:
        return _over_file(ChannelNoise(**file_noise), noise, area, density, counts, seed)
    if noise is None and all(x is None for x in (area, density, counts, seed)):
        return ChannelNoise("none")
    if noise is None:
        given = [n for n, x in (("--area", area), ("--density", density), ("--count", counts), ("--seed", seed))
                 if x is not None]
        raise ParameterError(f"{', '.join(given)} given without --noise; add --noise markov or langevin")
    spec = as_noise(noise)
    if spec.active and area is None and default_area is not None:
        area = default_area
    return as_noise(spec, area_um2=area, density=parse_pairs(density, "--density"),
                    counts=parse_pairs(counts, "--count"), seed=seed)


def _over_file(base: ChannelNoise, noise, area, density, counts, seed) -> ChannelNoise:
    """A cell file's noise record with the options given on the command line applied."""
    if noise is not None:
        base = dataclasses.replace(base, method=as_noise(noise).method)
    if not base.active:
        given = [n for n, x in (("--area", area), ("--density", density), ("--count", counts), ("--seed", seed))
                 if x is not None]
        if given:
            raise ParameterError(f"{', '.join(given)} given with noise none; add --noise markov or langevin")
        return base
    dens, cnts = parse_pairs(density, "--density"), parse_pairs(counts, "--count")
    if dens is not None or cnts is not None:  # the options choose the noisy channels anew
        base = dataclasses.replace(base, density={}, counts={})
    return as_noise(base, area_um2=area, density=dens, counts=cnts, seed=seed)
