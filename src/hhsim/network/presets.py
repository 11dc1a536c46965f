"""Preset networks, each a function returning a :class:`Network`, with its source."""

from __future__ import annotations

from typing import Callable

from .. import stim
from .. import validate as _v
from ..errors import ParameterError
from .network import Monitors, Network, Population, Projection
from .synapses import Exp, Graded


def cobahh(n: int = 4000, t_stop: float = 1000.0, refractory: float = 3.0) -> Network:
    """Brette et al. (2007) benchmark 3 (COBAHH), as in Brian2's ``examples/COBAHH.py``.

    ``n`` Traub-Miles cells (``traub_miles``), the first 80 % excitatory (3200 of
    4000) and the rest inhibitory; every pair connected with p = 0.02 (autapses
    allowed, as Brian2's subgroups give); exponential conductance synapses,
    excitatory we = 6 nS, E 0 mV, taue 5 ms; inhibitory wi = 67 nS, E -80 mV,
    taui 10 ms; membrane area 20000 µm² (so 6 nS is 0.03 mS/cm²); spikes are
    upward crossings of -20 mV, delivered at the next step (no delay, as in the
    benchmark), with Brian2's dead time of ``refractory`` = 3 ms for spike emission
    (no spike within 3 ms of a cell's last one; the membrane is not clamped);
    exponential Euler at dt = 0.1 ms.  Initial states as Brian2's:
    v = El + (5 randn - 5) mV (El = -60 mV), ge = (1.5 randn + 4) 10 nS,
    gi = (12 randn + 20) 10 nS; the gates m, h, n start at 0, as Brian2 leaves them.

    Reproduces: the E and I rates of Brian2 2.9's COBAHH (4000 cells, 1 s, rates over
    the second half-second) within its spread over seeds 1-5, at dt = 0.1 ms and
    at dt = 0.025 ms (``benchmarks/cobahh_brian2_rates.py`` runs both;
    ``tests/network/test_presets_match_sources.py`` checks hhsim against the recorded
    Brian2 figures).  Without the dead time (``refractory=0``) about one interspike
    interval in six is a doublet shorter than 3 ms and the rates are 4-14 % higher.

    Source: Brette R, Rudolph M, Carnevale T, et al. (2007) Simulation of networks
    of spiking neurons: a review of tools and strategies. J Comput Neurosci
    23:349-398, benchmark 3; after Traub RD, Miles R (1991) Neuronal Networks of
    the Hippocampus, Cambridge University Press.
    """
    n_e = int(round(0.8 * n))
    n_i = n - n_e
    if n_e < 1 or n_i < 1:
        raise ParameterError(f"cobahh needs n >= 2 (got {n})")
    area = 20000.0
    initial = {"v": {"dist": "normal", "mean": -65.0, "std": 5.0}, "m": 0.0, "h": 0.0, "n": 0.0,
               "g_exc": {"dist": "normal", "mean": 40.0, "std": 15.0, "unit": "nS"},
               "g_inh": {"dist": "normal", "mean": 200.0, "std": 120.0, "unit": "nS"}}
    pops = [Population(name, "traub_miles", n=size, initial=initial, area_um2=area, threshold=-20.0,
                       refractory=refractory) for name, size in (("E", n_e), ("I", n_i))]
    exc, inh = Exp(tau=5.0, E=0.0), Exp(tau=10.0, E=-80.0)
    rule = {"p": 0.02, "autapses": True}
    projections = [Projection(pre, post, exc if pre == "E" else inh, connect=rule,
                              weight="6 nS" if pre == "E" else "67 nS", delay=0.0,
                              name="exc" if pre == "E" else "inh")
                   for pre in ("E", "I") for post in ("E", "I")]
    return Network(populations=pops, projections=projections, t_stop=t_stop, dt=0.1, method="expeuler",
                   seed=1, name="cobahh", monitors=Monitors(spikes="all", states={"E": [0, 1, 2], "I": [0]}))


def wang_buzsaki_gamma(n: int = 100, t_stop: float = 500.0, i_app: float = 1.0,
                       heterogeneity: float = 0.0) -> Network:
    """Wang & Buzsáki (1996): ``n`` interneurons (``wang_buzsaki``) coupled all to all
    (no autapses) by their graded GABA-A synapse (alpha 12 /ms, beta 0.1 /ms,
    theta 0 mV, E -75 mV), total g_syn = 0.1 mS/cm² divided over each cell's n - 1
    inputs, driven by I_app = ``i_app`` µA/cm²; initial V uniform in [-70, -50] mV
    (seeded).  ``heterogeneity``: the drive's relative spread sigma / I_app (each
    cell's I_app drawn from a normal distribution, seeded); default 0, the paper's
    homogeneous network.

    Reproduces: the homogeneous network of the paper's Figs. 1-2 synchronises in
    the gamma band, every cell firing on nearly every cycle at about 40 Hz with a
    coherence kappa near 1 (here 35-45 Hz and kappa >= 0.8, 2 ms bins, over the last
    200 ms of 500 ms); with heterogeneous drive coherence falls (the paper's
    heterogeneity figures: kappa drops steeply with sigma, the fast-spiking cells'
    steep f-I curve turning small differences in drive into different
    frequencies), so that at 3 % (``heterogeneity=0.03``) it is well below the
    homogeneous network's (``tests/network/test_presets_match_sources.py``).

    Source: Wang X-J, Buzsáki G (1996) Gamma oscillation by synaptic inhibition in a
    hippocampal interneuronal network model. J Neurosci 16:6402-6413.
    """
    if n < 2:
        raise ParameterError(f"wang_buzsaki_gamma needs n >= 2 (got {n})")
    heterogeneity = _v.number(heterogeneity, "wang_buzsaki_gamma heterogeneity (sigma / I_app)", lo=0.0, hi=10.0)
    scale = {"dist": "normal", "mean": 1.0, "std": heterogeneity} if heterogeneity > 0 else None
    pop = Population("I", "wang_buzsaki", n=n, stim=stim.step(i_app), stim_scale=scale,
                     initial={"v": {"dist": "uniform", "low": -70.0, "high": -50.0}})
    proj = Projection("I", "I", Graded(), connect="all", weight=0.1 / (n - 1), name="gaba_a")
    return Network(populations=[pop], projections=[proj], t_stop=t_stop, dt=0.025, method="rk4", seed=1,
                   name="wang_buzsaki_gamma", monitors=Monitors(spikes="all", states={"I": [0, 1]}))


def chain(n: int = 10, t_stop: float = 60.0) -> Network:
    """The seeds' picture: a spike that travels from cell to cell along a chain of ``n``
    ``hh`` cells.  Cell 0 gets a 1 ms pulse of 20 µA/cm² at 5 ms; each cell k excites
    cell k + 1 through an exponential synapse (tau 2 ms, E 0 mV, 0.5 mS/cm²) with a
    1 ms axonal delay, so the spike reaches cell k about k x 2.2 ms after cell 0 (the
    delay, then about 1.2 ms for the synaptic current to bring the next cell to its
    threshold), at the same pace along the whole chain (a test checks 2.0-2.4 ms a link)."""
    if n < 2:
        raise ParameterError(f"chain needs n >= 2 (got {n})")
    pop = Population("chain", "hh", n=n, stim=stim.pulse(20.0, start=5.0, dur=1.0),
                     stim_scale=[1.0] + [0.0] * (n - 1))
    link = {"pre": list(range(n - 1)), "post": list(range(1, n))}
    proj = Projection("chain", "chain", Exp(tau=2.0, E=0.0), connect=link, weight=0.5, delay=1.0, name="ampa")
    return Network(populations=[pop], projections=[proj], t_stop=t_stop, seed=1, name="chain",
                   monitors=Monitors(spikes="all", states={"chain": "all"}))


PRESETS: dict[str, Callable[..., Network]] = {
    "cobahh": cobahh,
    "wang_buzsaki_gamma": wang_buzsaki_gamma,
    "chain": chain,
}


def get(name: str, **kwargs) -> Network:
    """The preset network ``name``."""
    try:
        factory = PRESETS[name]
    except KeyError:
        raise ParameterError(f"unknown network preset {name!r}; accepted: {', '.join(PRESETS)}") from None
    return factory(**kwargs)
