"""Parameter sweeps on Dask: thousands to millions of parameter sets, resumable and fault-tolerant.

>>> import numpy as np, hhsim
>>> ds = hhsim.sweep("hh", {"gNa": np.linspace(100, 140, 3), "gK": [30.0, 36.0]},
...                  "rheobase", workers=0)                       # doctest: +SKIP
>>> ds["rheobase_uA_cm2"].dims                                    # doctest: +SKIP
('gNa', 'gK')

``hhsim.sweep`` is this module, and calling it calls :func:`sweep`.
"""

from __future__ import annotations

import sys
import types

from .measures import REASONS, catalogue
from .run import ALLOWED_FAILURES, RESUBMITS, RETRIES, SweepInterrupted
from .spec import SweepError
from .store import open_sweep


def sweep(model, params, measure, *, grid: bool = True, samples: int | None = None, seed: int = 0,
          stimulus=None, t_stop: float | None = None, method: str | None = None, dt: float | None = None,
          client=None, scheduler: str | None = None, workers: int | None = None, chunk: int | None = None,
          store=None, resume: bool = False, progress=None, feature_backend: str = "auto"):
    """Measure ``measure`` at every point of a parameter study; returns an ``xarray.Dataset``.

    Parameters
    ----------
    model : a preset name or a :class:`~hhsim.model.Model`.
    params : parameter name -> values (grid mode) or (low, high) bounds (samples
        mode); names as ``hhsim models NAME`` (``gNa`` mS/cm², ``temperature`` °C,
        ``Na.m.alpha.V0`` mV ...) or a drug concentration (``ttx_nM``).
    measure : a name or a list of names (see :func:`catalogue`: the scan features,
        ``rheobase_uA_cm2``, ``threshold_uA_cm2``, ``fi_rate_hz_at_<I>``,
        ``absolute_refractory_ms``, ``relative_refractory_ms``,
        ``clamp_peak_uA_cm2_at_<V>``, ``v_rest_mV``), a function of a
        :class:`~hhsim.result.Result` returning a number, or ``{name: function}``.
    grid : True: every combination of the values.  Ignored when ``samples`` is given.
    samples, seed : ``samples`` points of a Latin hypercube in the bounds, drawn
        with ``scipy.stats.qmc.LatinHypercube`` from ``seed``.
    stimulus, t_stop : for the trace features and functions (default
        ``step(10, start=10, dur=100)``, until 20 ms after it ends).
    method, dt : as :func:`hhsim.simulate` (default dopri5 on a 0.025 ms grid).
    client : a ``distributed.Client`` to use; else ``scheduler`` (``tcp://HOST:PORT``
        of a running Dask scheduler), else a new local cluster of ``workers``
        processes (default: one per core).  ``workers=0`` runs in this process.
    chunk : points per task (default: about four tasks per worker, at most 1000).
    store : a ``DIR.zarr`` path: results are written chunk by chunk as they
        finish; ``resume=True`` continues the store of the same sweep and
        computes only the chunks not yet stored.
    progress : None (a bar on a terminal), False, True, or ``f(done, total, rate, eta_s)``.

    Returns
    -------
    ``xarray.Dataset``: parameters as dimensions (grid) or on dimension
    ``sample``; one variable per measure and ``status_<measure>`` (0 ok, else
    the reason a value is NaN: see :data:`REASONS`).  Run figures in ``attrs``
    (``chunks_computed``, ``chunks_resumed``, ``points_per_s``, ``elapsed_s``).
    """
    from .run import execute, make_spec

    if not grid and samples is None:
        raise SweepError("grid=False needs samples=N (Latin-hypercube points)")
    spec = make_spec(model, params, measure, samples=samples, seed=seed, stimulus=stimulus, t_stop=t_stop,
                     method=method, dt=dt, feature_backend=feature_backend)
    return execute(spec, client=client, scheduler=scheduler, workers=workers, chunk=chunk, store=store,
                   resume=resume, progress=progress)


def reason(code: int) -> str:
    """The meaning of a ``status_<measure>`` code (-1: not computed yet)."""
    return "not computed yet" if int(code) == -1 else REASONS.get(int(code), "unknown")


class _CallableModule(types.ModuleType):
    """``hhsim.sweep(...)`` calls :func:`sweep` although ``hhsim.sweep`` is this package."""

    def __call__(self, *args, **kwargs):
        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["sweep", "open_sweep", "catalogue", "reason", "REASONS", "SweepError", "SweepInterrupted",
           "RETRIES", "ALLOWED_FAILURES", "RESUBMITS"]
