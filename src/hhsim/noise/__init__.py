"""Channel noise: stochastic Hodgkin-Huxley channels.

A noisy channel is its kinetic scheme (:mod:`hhsim.physics.kinetic`) with a
finite number of channels, from a density times the membrane area
(:class:`ChannelNoise`), simulated by

* ``markov``: channel counts, the exact transition of each fixed step by
  binomial draws (compiled: :mod:`hhsim.engine.noise_kernels`);
* ``langevin``: the chemical Langevin equation of the scheme, with the
  Markov chain's covariance (Orio & Soudry 2012);
* ``gillespie``: exact event times, one small patch (:mod:`hhsim.noise.gillespie`).

``hhsim.simulate(model, ..., noise="markov", area_um2=100, seed=1)`` runs one
noisy neuron; :func:`simulate_noisy_batch` many, each with its own channels;
cables take ``noise`` per compartment (:mod:`hhsim.cable.noise`), and network
populations per cell (``Population(..., noise="markov", area_um2=...)``,
:mod:`hhsim.noise.network`).
"""

from .output import NoiseOutput
from .run import DEFAULT_DT, NoiseBatchResult, simulate_noisy, simulate_noisy_batch
from .result import NoiseResult
from .spec import METHODS, SQUID_DENSITY, SQUID_DENSITY_SOURCE, ChannelNoise, as_noise

__all__ = ["ChannelNoise", "NoiseResult", "NoiseBatchResult", "NoiseOutput", "simulate_noisy",
           "simulate_noisy_batch", "as_noise", "METHODS", "SQUID_DENSITY", "SQUID_DENSITY_SOURCE", "DEFAULT_DT"]
