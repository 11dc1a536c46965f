"""Vectorised threshold search: many brackets narrowed at once, many amplitudes per round.

A plain bisection halves one bracket per simulation.  Here each round tries
``points`` amplitudes inside every open bracket, all in one batch through the
compiled kernel, and keeps the sub-interval where the response switches from
"no spike" to "spike": the bracket shrinks by a factor ``points + 1`` per
round, so 1e-3 relative precision takes three or four rounds whatever the
number of brackets (durations, intervals, parameter values) searched together.

The response is assumed monotone in the amplitude (below threshold: no
spike; above: spike).  If it is not, the smallest amplitude tried that
fired bounds the threshold found from above.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import ProtocolError
from ..validate import float_array, number, shown, whole

#: Most amplitudes tried per bracket and round (each is one simulation).
MAX_POINTS = 10_000

#: Status codes of :class:`SearchResult`.
FOUND, NEVER_FIRES, ALWAYS_FIRES = 0, 1, 2


@dataclass
class SearchResult:
    """Outcome of :func:`bracket_search` for P brackets.

    ``threshold``: midpoint of the final bracket (NaN unless ``status == FOUND``);
    ``lo``: largest amplitude tried that did not fire; ``hi``: smallest that
    fired; ``status``: FOUND, NEVER_FIRES (no spike even at the top of the
    bracket) or ALWAYS_FIRES (a spike already at the bottom); ``top``: the
    largest amplitude tried for each bracket.
    """

    threshold: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    status: np.ndarray
    top: np.ndarray
    rounds: int

    @property
    def found(self) -> np.ndarray:
        return self.status == FOUND


def bracket_search(
    fires: Callable[[np.ndarray, np.ndarray], np.ndarray],
    lo,
    hi,
    *,
    rtol: float = 1e-3,
    points: int = 16,
    max_rounds: int = 60,
) -> SearchResult:
    """Find, for each of P brackets [lo_p, hi_p], the amplitude where firing starts.

    ``fires(amps, which)`` receives an array ``amps`` of shape (P', K) for the
    P' brackets listed in ``which`` and returns a boolean array of the same
    shape: did that amplitude fire?  Every call is meant to be one batch.

    Round 0 tries both ends of each bracket and points between them (spaced
    geometrically when the bracket starts at 0, so that thresholds far below
    the top are located quickly); later rounds try ``points`` evenly spaced
    interior amplitudes.  Stops when ``hi - lo <= rtol * hi``.
    """
    if not callable(fires):
        raise ProtocolError(f"fires must be a function fires(amps, which) -> bool array (got "
                            f"{type(fires).__name__} {shown(fires)})")
    lo = float_array(lo if isinstance(lo, (list, tuple, np.ndarray)) else [lo], "lo", error=ProtocolError)
    hi = float_array(hi if isinstance(hi, (list, tuple, np.ndarray)) else [hi], "hi", error=ProtocolError)
    try:
        lo, hi = np.broadcast_arrays(lo, hi)
    except ValueError:
        raise ProtocolError(f"lo and hi must have one value each or as many as each other (got {lo.size} and "
                            f"{hi.size})") from None
    rtol = number(rtol, "rtol", lo=0.0, error=ProtocolError)
    points = whole(points, "points", lo=1, hi=MAX_POINTS, error=ProtocolError)
    max_rounds = whole(max_rounds, "max_rounds", lo=1, hi=10_000, error=ProtocolError)
    lo, hi = lo.copy(), hi.copy()
    P = lo.size
    K = max(3, int(points))
    top = hi.copy()
    status = np.full(P, FOUND, dtype=int)

    # Round 0: the ends and points between.
    amps = np.empty((P, K))
    for p in range(P):
        if lo[p] == 0.0 and hi[p] > 0:
            amps[p] = np.concatenate([[0.0], np.geomspace(hi[p] * 1e-3, hi[p], K - 1)])
        else:
            amps[p] = np.linspace(lo[p], hi[p], K)
    fired = np.asarray(fires(amps, np.arange(P)), dtype=bool)
    for p in range(P):
        _narrow(p, amps[p], fired[p], lo, hi, status, first=True)

    rounds = 1
    while rounds < max_rounds:
        active = np.nonzero((status == FOUND) & (hi - lo > rtol * np.abs(hi)))[0]
        if active.size == 0:
            break
        frac = np.arange(1, K + 1) / (K + 1)
        amps = lo[active, None] + (hi - lo)[active, None] * frac[None, :]
        fired = np.asarray(fires(amps, active), dtype=bool)
        for row, p in enumerate(active):
            _narrow(p, amps[row], fired[row], lo, hi, status, first=False)
        rounds += 1

    threshold = np.where(status == FOUND, 0.5 * (lo + hi), np.nan)
    return SearchResult(threshold, lo, hi, status, top, rounds)


def _narrow(p, amps, fired, lo, hi, status, first: bool) -> None:
    if first:
        if not fired[-1]:
            status[p] = NEVER_FIRES
            return
        if fired[0]:
            status[p] = ALWAYS_FIRES
            hi[p] = amps[0]
            return
    idx = np.nonzero(fired)[0]
    if idx.size == 0:
        lo[p] = amps[-1]
        return
    i = idx[0]
    hi[p] = amps[i]
    if i > 0:
        lo[p] = amps[i - 1]
