"""Counter-based random numbers and exact binomial draws for the channel-noise kernels.

Every random number of a noisy run is a pure function of
``(seed, node, step, slot)``: the Philox4x32-10 block cipher of Salmon,
Moraes, Dror & Shaw (2011), "Parallel random numbers: as easy as 1, 2, 3",
SC'11 (the generator of Random123, cuRAND and JAX), keyed by the 64-bit
seed and applied to the 128-bit counter ``(slot, step, node, stream)``.
Philox is a bijection of the counter for a fixed key, so no two draws of a
run ever share their bits, and a node's numbers do not depend on which
thread advances it, on how a batch is split, or on which other draws were
made: the results are the same for any number of threads or workers.

``slot`` numbers the draws of one node in one step, at fixed places: the
Langevin and initial draws at :func:`slot`, the Markov step's one uniform per
(gate, state) two to a Philox block (53 bits each), every later draw of that
(gate, state) in the step being the uniform its previous inversion left
(:func:`recycle`; see :mod:`hhsim.engine.noise_kernels`).  Either way a draw
is a function of the node's own seed, step and state only.  ``stream`` separates the phases
of a run (the initial channel states, the steps, the event times of the
Gillespie path).

:func:`binomial` draws ``Bin(n, p)`` exactly from one uniform by inversion:
from 0 upwards when the mean is small (the usual case: a few transitions in
a step), else from the mode outwards, alternating down and up, which takes
``O(sqrt(n p (1 - p)))`` steps (Kemp 1986, "A modal method for generating
binomial variables", Commun. Stat. Theory Methods 15:805).  Inversion in any
fixed order of the outcomes gives the exact distribution.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .cable_helpers import fexp

#: Every kernel states its fastmath flags (none), so that none takes the flags of
#: whichever caller compiles it first into the shared kernel cache.
FLAGS = dict(cache=True, error_model="numpy", nogil=True, fastmath=False)

_MASK = np.uint64(0xFFFFFFFF)
_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)
_W1 = np.uint64(0xBB67AE85)
_S32 = np.uint64(32)
_S11 = np.uint64(11)
_TWO53 = 1.0 / 9007199254740992.0

#: Streams (the fourth counter word's high bits): the phases of a run.
STREAM_STEPS = 0
STREAM_INIT = 1
STREAM_EVENTS = 2

#: Draws per (state row, gate) in one step, and gates per channel, that a slot number reserves.
SLOT_DRAWS = 10
SLOT_GATES = 8


@njit(**FLAGS, inline="always")
def philox4x32(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 of the counter (c0, c1, c2, c3) under key (k0, k1): four 32-bit words
    (all arguments and results uint64 holding 32-bit values)."""
    for r in range(10):
        p0 = _M0 * c0
        p1 = _M1 * c2
        hi0 = p0 >> _S32
        lo0 = p0 & _MASK
        hi1 = p1 >> _S32
        lo1 = p1 & _MASK
        c0 = hi1 ^ c1 ^ k0
        c1 = lo1
        c2 = hi0 ^ c3 ^ k1
        c3 = lo0
        k0 = (k0 + _W0) & _MASK
        k1 = (k1 + _W1) & _MASK
    return c0, c1, c2, c3


@njit(**FLAGS, inline="always")
def _key(seed):
    s = np.uint64(seed)
    return s & _MASK, (s >> _S32) & _MASK


@njit(**FLAGS, inline="always")
def uniform2(seed, node, step, slot, stream):
    """Two independent uniforms in [0, 1) (53 bits each) for draw ``slot`` of ``node`` at ``step``."""
    k0, k1 = _key(seed)
    n = np.uint64(node)
    w0, w1, w2, w3 = philox4x32(np.uint64(slot) & _MASK, np.uint64(step) & _MASK, n & _MASK,
                                ((n >> _S32) & np.uint64(0xFFFF)) | (np.uint64(stream) << np.uint64(16)),
                                k0, k1)
    a = ((w0 << _S32) | w1) >> _S11
    b = ((w2 << _S32) | w3) >> _S11
    return float(a) * _TWO53, float(b) * _TWO53


@njit(**FLAGS, inline="always")
def uniform(seed, node, step, slot, stream):
    """One uniform in [0, 1) (53 bits) for draw ``slot`` of ``node`` at ``step``."""
    return uniform2(seed, node, step, slot, stream)[0]


@njit(**FLAGS, inline="always")
def normal2(seed, node, step, slot, stream):
    """Two independent standard normal numbers (Box-Muller on :func:`uniform2`)."""
    u, w = uniform2(seed, node, step, slot, stream)
    r = math.sqrt(-2.0 * math.log(1.0 - u))  # 1 - u in (0, 1]
    t = 2.0 * math.pi * w
    return r * math.cos(t), r * math.sin(t)


@njit(**FLAGS, inline="always")
def slot(row, gate, draw):
    """Slot of draw ``draw`` (0: the leaving count, 1..: its split) from state row ``row``
    (a node's row of state counts) for gate ``gate`` of its channel."""
    return (row * SLOT_GATES + gate) * SLOT_DRAWS + draw


#: Below this mean the binomial is inverted from 0 upwards, above it from the mode outwards.
SMALL_MEAN = 30.0


@njit(**FLAGS)
def binomial_small(n, p, u, f0):
    """``Bin(n, p)`` by inversion from 0, ``f0 = (1 - p)**n`` given (n whole, p <= 1/2, n p small);
    ``n`` and the result are floats holding whole numbers."""
    r = p / (1.0 - p)
    f = f0
    cum = f
    k = 0.0
    cap = n * p + 40.0 * math.sqrt(n * p + 1.0) + 40.0
    while u >= cum and k < n and k < cap:
        f *= r * (n - k) / (k + 1.0)
        k += 1.0
        cum += f
    return k


@njit(**FLAGS)
def binomial_modal(n, p, u):
    """``Bin(n, p)`` by inversion from the mode outwards (p <= 1/2)."""
    m = math.floor((n + 1.0) * p)
    if m > n:
        m = n
    logf = (math.lgamma(n + 1.0) - math.lgamma(m + 1.0) - math.lgamma(n - m + 1.0)
            + m * math.log(p) + (n - m) * math.log1p(-p))
    fm = math.exp(logf)
    cum = fm
    if u < cum:
        return m
    r = p / (1.0 - p)
    lo = m
    hi = m
    flo = fm
    fhi = fm
    while lo > 0.0 or hi < n:
        if lo > 0.0:
            flo *= lo / ((n - lo + 1.0) * r)
            lo -= 1.0
            cum += flo
            if u < cum:
                return lo
        if hi < n:
            fhi *= r * (n - hi) / (hi + 1.0)
            hi += 1.0
            cum += fhi
            if u < cum:
                return hi
        if flo < 1e-300 and fhi < 1e-300:
            break
    return m  # the sum fell short of u by rounding only


@njit(**FLAGS)
def binomial(n, p, u):
    """``Bin(n, p)`` from one uniform ``u`` (n a float holding a whole number >= 0)."""
    if n <= 0.0 or p <= 0.0:
        return 0.0
    if p >= 1.0:
        return n
    if n == 1.0:  # a Bernoulli draw (most splits of a step's few transitions)
        return 1.0 if u < p else 0.0
    flip = p > 0.5
    if flip:  # the failures of Bin(n, p) are Bin(n, 1 - p); 1 - u is uniform too
        p = 1.0 - p
        u = 1.0 - u
        if u >= 1.0:
            u = 0.9999999999999999
    if n * p < SMALL_MEAN:
        k = binomial_small(n, p, u, math.exp(n * math.log1p(-p)))
    else:
        k = binomial_modal(n, p, u)
    return n - k if flip else k


@njit(**FLAGS, inline="always")
def binomial_stay(n, log_stay, p_leave, u):
    """The number of ``n`` channels that leave their state in a step, each staying with
    probability ``exp(log_stay)`` = 1 - ``p_leave``: ``Bin(n, p_leave)``, with the
    common case (nobody leaves, ``u < (1 - p)**n``) decided by one exponential."""
    if n <= 0.0 or p_leave <= 0.0:
        return 0.0
    if p_leave <= 0.5 and n * p_leave < SMALL_MEAN:
        f0 = fexp(n * log_stay)
        if u < f0:
            return 0.0
        return binomial_small(n, p_leave, u, f0)
    return binomial(n, p_leave, u)


#: The largest number below 1 (a recycled uniform is kept in [0, 1)).
BELOW_ONE = 0.9999999999999999


@njit(**FLAGS, inline="always")
def recycle(u, lo, f):
    """The uniform left over by an inversion: ``u`` fell in the outcome's interval
    ``[lo, lo + f)``, so ``(u - lo) / f`` is uniform on [0, 1) and independent of the
    outcome (kept in [0, 1) against rounding)."""
    w = (u - lo) / f if f > 0.0 else u
    if not w > 0.0:
        w = 0.0
    if w > BELOW_ONE:
        w = BELOW_ONE
    return w


@njit(**FLAGS)
def binomial_u(n, p, u):
    """``(Bin(n, p), u2)``: the draw of :func:`binomial` (exact inversion of ``u``, from 0
    for a small mean, from the mode outwards for a large one) and the uniform it leaves
    (:func:`recycle`), for the next draw of the same step."""
    if n <= 0.0 or p <= 0.0:
        return 0.0, u
    if p >= 1.0:
        return n, u
    flip = p > 0.5
    if flip:  # the failures of Bin(n, p) are Bin(n, 1 - p); 1 - u is uniform too
        p = 1.0 - p
        u = 1.0 - u
        if u >= 1.0:
            u = BELOW_ONE
    r = p / (1.0 - p)
    if n * p < SMALL_MEAN:
        f = math.exp(n * math.log1p(-p))
        cum = f
        k = 0.0
        cap = n * p + 40.0 * math.sqrt(n * p + 1.0) + 40.0
        while u >= cum and k < n and k < cap:
            f *= r * (n - k) / (k + 1.0)
            k += 1.0
            cum += f
        u2 = recycle(u, cum - f, f)
    else:
        k, lo, f = _modal_interval(n, p, r, u)
        u2 = recycle(u, lo, f)
    return (n - k if flip else k), u2


@njit(**FLAGS)
def _modal_interval(n, p, r, u):
    """:func:`binomial_modal` returning (k, the cumulative probability before k, pmf(k))."""
    m = math.floor((n + 1.0) * p)
    if m > n:
        m = n
    logf = (math.lgamma(n + 1.0) - math.lgamma(m + 1.0) - math.lgamma(n - m + 1.0)
            + m * math.log(p) + (n - m) * math.log1p(-p))
    fm = math.exp(logf)
    cum = fm
    if u < cum:
        return m, 0.0, fm
    lo = m
    hi = m
    flo = fm
    fhi = fm
    while lo > 0.0 or hi < n:
        if lo > 0.0:
            flo *= lo / ((n - lo + 1.0) * r)
            lo -= 1.0
            cum += flo
            if u < cum:
                return lo, cum - flo, flo
        if hi < n:
            fhi *= r * (n - hi) / (hi + 1.0)
            hi += 1.0
            cum += fhi
            if u < cum:
                return hi, cum - fhi, fhi
        if flo < 1e-300 and fhi < 1e-300:
            break
    return m, 0.0, fm  # the sum fell short of u by rounding only
