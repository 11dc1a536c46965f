"""Action-potential features with eFEL where it has them, hhsim's own code elsewhere.

:func:`ap_features` returns an :class:`~hhsim.analysis.spikes.APFeatures`.
With ``backend="auto"`` (default) the shape features below come from eFEL
(``pip install efel``) when it is installed, and from
:mod:`hhsim.analysis.spikes` otherwise; ``backend="hhsim"`` never calls
eFEL, ``backend="efel"`` requires it.

==================  ==========================  ===================================
hhsim feature       eFEL feature                note
==================  ==========================  ===================================
``peak_mV``         ``peak_voltage``            eFEL: sample maximum
``threshold_mV``    ``AP_begin_voltage``        eFEL: first sample of the upstroke
``amplitude_mV``    ``AP_amplitude``            eFEL: spikes during the stimulus
``half_width_ms``   ``AP_duration_half_width``  eFEL: nearest samples
``ahp_mV``          ``AHP_depth_abs``
``ahp_depth_mV``    ``-AHP_depth``              sign: positive below baseline
``adaptation_index``  ``adaptation_index2``     eFEL: peak times
==================  ==========================  ===================================

Spike times (upward threshold crossings), ISIs and latency always come from
hhsim: eFEL times spikes at their peaks, which is a different quantity.
eFEL runs on the trace's own sampling step (its ``interp_step`` is set to
it), with ``Threshold`` = the spike threshold and ``DerivativeThreshold`` =
``dvdt_threshold``; its global settings are restored afterwards.
"""

from __future__ import annotations

import contextlib
import dataclasses
import warnings

import numpy as np

from ._common import FeatureError
from .spikes import DVDT_THRESHOLD, APFeatures, ap_features_own

#: hhsim feature -> (eFEL feature, sign).
EFEL_FEATURES: dict[str, tuple[str, float]] = {
    "peak_mV": ("peak_voltage", 1.0),
    "threshold_mV": ("AP_begin_voltage", 1.0),
    "amplitude_mV": ("AP_amplitude", 1.0),
    "half_width_ms": ("AP_duration_half_width", 1.0),
    "ahp_mV": ("AHP_depth_abs", 1.0),
    "ahp_depth_mV": ("AHP_depth", -1.0),
    "adaptation_index": ("adaptation_index2", 1.0),
}

BACKENDS = ("auto", "hhsim", "efel")


def efel_available() -> bool:
    """True when the ``efel`` package can be imported."""
    try:
        import efel  # noqa: F401
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def _efel_settings(**settings):
    import efel

    current = efel.get_settings()
    saved = {k: getattr(current, k) for k in settings if hasattr(current, k)}
    try:
        for k, value in settings.items():
            efel.set_setting(k, value)
        yield efel
    finally:
        for k, value in saved.items():
            efel.set_setting(k, value)


def efel_raw(t, v, names, *, stim_start: float, stim_end: float, threshold: float = 0.0,
             dvdt_threshold: float = DVDT_THRESHOLD) -> dict[str, np.ndarray | None]:
    """eFEL's values of the features ``names`` (eFEL names) for one trace."""
    if not efel_available():
        raise FeatureError("eFEL is not installed: pip install efel (or use backend='hhsim')")
    t = np.asarray(t, dtype=float)
    v = np.asarray(v, dtype=float)
    step = float(np.median(np.diff(t)))
    trace = {"T": t, "V": v, "stim_start": [float(stim_start)], "stim_end": [float(stim_end)]}
    with _efel_settings(interp_step=step, Threshold=float(threshold),
                        DerivativeThreshold=float(dvdt_threshold)) as efel, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = efel.get_feature_values([trace], list(names), raise_warnings=False)[0]
    return {k: (None if values[k] is None else np.asarray(values[k], dtype=float)) for k in names}


def ap_features(t, v, *, stim_start: float | None = None, stim_end: float | None = None,
                threshold: float = 0.0, dvdt_threshold: float = DVDT_THRESHOLD,
                backend: str = "auto") -> APFeatures:
    """Spike times and AP features of one trace (V in mV at times t in ms).

    ``stim_start``/``stim_end`` (ms) bound the stimulus (default: the whole
    trace); ``threshold`` (mV) detects spikes; ``dvdt_threshold`` (mV/ms)
    defines the AP threshold voltage.  See the module docstring for which
    backend computes what.
    """
    if backend not in BACKENDS:
        raise FeatureError(f"unknown feature backend {backend!r}; accepted: {', '.join(BACKENDS)}")
    own = ap_features_own(t, v, stim_start=stim_start, stim_end=stim_end, threshold=threshold,
                          dvdt_threshold=dvdt_threshold)
    use_efel = backend == "efel" or (backend == "auto" and efel_available())
    if not use_efel or own.n_spikes == 0:
        return own
    raw = efel_raw(t, v, [name for name, _ in EFEL_FEATURES.values()],
                   stim_start=own.stim_start_ms, stim_end=own.stim_end_ms,
                   threshold=threshold, dvdt_threshold=dvdt_threshold)
    changes, which = {}, {}
    for ours, (theirs, sign) in EFEL_FEATURES.items():
        value = raw.get(theirs)
        if value is None:
            continue
        if ours == "adaptation_index":
            changes[ours] = float(value[0]) if value.size else None
        else:
            changes[ours] = sign * value
        which[ours] = f"efel:{theirs}"
    backend_map = {"spike_times_ms": "hhsim", "isi_ms": "hhsim", "latency_ms": "hhsim", **which}
    return dataclasses.replace(own, **changes, backend=backend_map)
