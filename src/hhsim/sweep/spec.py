"""What a sweep computes: the model, the swept parameters, the points and the measures.

A :class:`SweepSpec` is small and picklable: it travels to every Dask task.
Points are numbered in a fixed order, independent of workers and chunks:

* ``grid``: the Cartesian product of the parameter values, the last
  parameter varying fastest (C order, as ``numpy.reshape``);
* ``samples``: a Latin hypercube of ``n`` points inside the parameter
  bounds, from ``scipy.stats.qmc.LatinHypercube`` with an explicit seed.

Chunk ``k`` holds points ``k * chunk`` to ``(k + 1) * chunk - 1``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np

from .._version import __version__
from ..errors import HHSimError, SweepError  # noqa: F401  (SweepError: re-exported)
from ..model import Model
from .. import validate as _validate


@dataclass
class SweepSpec:
    """A parameter study.

    ``axes``: parameter name -> values (grid mode) or (low, high) bounds
    (samples mode), in the parameter's unit (see ``hhsim models NAME``);
    ``measures``: canonical measure names (user functions by their name,
    with the callables in ``functions``); ``stimulus``: for the trace
    measures; ``t_stop``, ``dt`` (ms), ``method``: as ``simulate``.
    """

    model: Model
    axes: dict[str, np.ndarray]
    measures: list[str]
    samples: int | None = None
    seed: int = 0
    stimulus: object = None
    t_stop: float | None = None
    method: str | None = None
    dt: float | None = None
    functions: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return list(self.axes)

    @property
    def grid(self) -> bool:
        return self.samples is None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.axes.values()) if self.grid else (int(self.samples),)

    @property
    def n_points(self) -> int:
        return int(math.prod(self.shape))

    def sample_matrix(self) -> np.ndarray:
        """(n, d) Latin-hypercube points scaled to the bounds (samples mode)."""
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(self.axes), seed=np.random.default_rng(self.seed)).random(self.samples)
        lo = np.array([v[0] for v in self.axes.values()])
        hi = np.array([v[1] for v in self.axes.values()])
        return qmc.scale(unit, lo, hi)

    def points(self, start: int, stop: int, samples: np.ndarray | None = None) -> np.ndarray:
        """(stop - start, d) parameter values of points ``start`` .. ``stop - 1``."""
        if not self.grid:
            samples = self.sample_matrix() if samples is None else samples
            return samples[start:stop].copy()
        idx = np.unravel_index(np.arange(start, stop), self.shape)
        return np.column_stack([np.asarray(v, dtype=float)[i] for v, i in zip(self.axes.values(), idx)])

    def fingerprint(self) -> dict:
        """Everything that fixes the numbers of the sweep (compared on ``--resume``)."""
        return {
            "hhsim_version": __version__,
            "model": self.model.name,
            "model_params": {k: p.value for k, p in self.model.params().items()},
            "axes": {k: [float(x) for x in v] for k, v in self.axes.items()},
            "mode": "grid" if self.grid else "samples",
            "samples": self.samples,
            "seed": self.seed if not self.grid else None,
            "measures": list(self.measures),
            "stimulus": self.stimulus.describe() if self.stimulus is not None else None,
            "t_stop_ms": self.t_stop,
            "method": self.method,
            "dt_ms": self.dt,
            "options": {k: v for k, v in sorted(self.options.items())},
        }


def differences(stored: dict, wanted: dict) -> list[str]:
    """Keys whose values differ between two fingerprints (version changes ignored)."""
    keys = sorted(set(stored) | set(wanted))
    return [k for k in keys if k != "hhsim_version" and json.dumps(stored.get(k), sort_keys=True)
            != json.dumps(wanted.get(k), sort_keys=True)]


def check_axes(model: Model, params: dict, samples: int | None) -> dict[str, np.ndarray]:
    """Validate the swept parameters: known names, non-empty finite values; bounds
    ``(low, high)`` with ``low < high`` in samples mode."""
    from ..batch_api import check_name

    if not params:
        raise SweepError("a sweep needs at least one parameter (--param NAME=START:STOP:N)")
    from .measures import CABLE_PARAMS

    axes = {}
    for name, values in params.items():
        try:
            if name not in CABLE_PARAMS and not name.startswith("net."):
                check_name(model, name)
        except HHSimError as exc:
            raise SweepError(f"{exc}, {', '.join(CABLE_PARAMS)} (with velocity_m_s), net.weight_scale "
                             "or net.<preset keyword> (with network_rate_hz)") from None
        try:
            arr = np.atleast_1d(np.asarray(values, dtype=float)).ravel()
        except (TypeError, ValueError):
            raise SweepError(f"parameter {name} needs numbers, got {_validate.shown(values)}") from None
        except OverflowError:  # an integer beyond any float
            raise SweepError(f"parameter {name} holds a number too large for a float; accepted: finite numbers") from None
        if arr.size == 0:
            raise SweepError(f"the range of parameter {name} is empty; give at least one value")
        if not np.all(np.isfinite(arr)):
            raise SweepError(f"parameter {name} has values that are not finite")
        if samples is not None:
            if arr.size != 2 or not arr[1] > arr[0]:
                raise SweepError(f"with samples, parameter {name} needs bounds (low, high) with low < high, "
                                 f"got {list(arr)}")
        elif np.unique(arr).size != arr.size:
            raise SweepError(f"parameter {name} repeats values; give each value once")
        axes[name] = arr
    if samples is not None:
        _validate.whole(samples, "samples", lo=1, error=SweepError)
    return axes


#: Most values of one --param axis (a grid takes every combination of the axes).
MAX_AXIS_VALUES = 10_000_000


def parse_param(text: str, samples: bool) -> tuple[str, np.ndarray]:
    """``"gNa=60:120:7"`` -> ("gNa", 7 values from 60 to 120); with ``samples``,
    ``"gNa=60:120"`` -> ("gNa", bounds [60, 120]).  Numbers only (no eval)."""
    import re

    num = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
    name, sep, rng = (text or "").partition("=")
    name = name.strip()
    form = "NAME=LOW:HIGH" if samples else "NAME=START:STOP:N"
    if not sep or not name:
        raise SweepError(f"--param needs {form}, got {text!r}")
    m = re.fullmatch(rf"\s*({num})\s*:\s*({num})\s*(?::\s*({num})\s*)?", rng)
    if not m:
        raise SweepError(f"--param {name} must be written {form} with numbers, got {rng!r}")
    a, b, n = float(m.group(1)), float(m.group(2)), m.group(3)
    if samples:
        if n is not None:
            raise SweepError(f"with --samples, --param {name} takes bounds LOW:HIGH (no N), got {rng!r}")
        if not b > a:
            raise SweepError(f"--param {name}: the range {a:g}:{b:g} is empty; HIGH must be greater than LOW")
        return name, np.array([a, b])
    if n is None:
        raise SweepError(f"--param {name} needs START:STOP:N (N values), got {rng!r}")
    count = float(n)
    if not count.is_integer() or count < 1:
        raise SweepError(f"--param {name}: N must be a whole number >= 1 (got {n})")
    if count > MAX_AXIS_VALUES:  # before NumPy is asked for the values
        raise SweepError(f"--param {name}: N = {count:.4g} values is too many for one axis; accepted: at most "
                         f"{MAX_AXIS_VALUES:.0e} (the grid is every combination of the axes)")
    if int(count) == 0 or (b < a) or (b == a and int(count) > 1):
        raise SweepError(f"--param {name}: the range {a:g}:{b:g}:{int(count)} is empty; "
                         "STOP must be greater than START (or N = 1 with START = STOP)")
    return name, np.linspace(a, b, int(count))
