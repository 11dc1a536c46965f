"""Spike detection and action-potential features, computed from a voltage trace.

These are hhsim's own implementations (NumPy only).  :mod:`hhsim.analysis.features`
uses eFEL for the features eFEL has, and these everywhere else or when eFEL
is not installed; the two agree to within one sample where both compute a
feature (``tests/analysis/test_protocols_features.py``).

Definitions (V in mV, t in ms; per spike unless said otherwise):

* spike time: upward crossing of ``threshold`` (0 mV unless set), linearly
  interpolated between samples;
* peak: maximum of V between the upward and the next downward crossing,
  refined by a parabola through the three samples around the maximum;
* threshold voltage: V where dV/dt (central differences) last rises through
  ``dvdt_threshold`` (10 mV/ms, eFEL's ``DerivativeThreshold``) before the
  peak, interpolated linearly;
* amplitude: peak - threshold voltage;
* half-width: time between the rising and falling crossings of the level
  halfway between threshold voltage and peak (eFEL ``AP_duration_half_width``);
* AHP: minimum of V between a peak and the next one (or the end of the trace);
  AHP depth = baseline - AHP (positive when the trough is below baseline);
* baseline: mean V over [0.9 stim_start, stim_start] (eFEL ``voltage_base``);
* latency: first spike time - stim_start;
* ISIs: differences of consecutive spike times;
* adaptation index: mean of (ISI_k+1 - ISI_k) / (ISI_k+1 + ISI_k) over the
  spikes during the stimulus, skipping the first spike (eFEL
  ``adaptation_index2``); needs 4 spikes.  0 for regular firing, > 0 when the
  firing slows down.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ProtocolError
from ..validate import float_array, number

#: dV/dt level (mV/ms) defining the AP threshold voltage (eFEL's default DerivativeThreshold).
DVDT_THRESHOLD = 10.0


def check_trace(t, v, min_len: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``t`` (ms, increasing) and ``v`` (mV) as two finite 1-D float arrays of one length, else one
    :class:`~hhsim.errors.ProtocolError` (a NaN in a trace would hide the spikes around it)."""
    t = float_array(t, "t", flat=False, max_len=None, unit="ms", error=ProtocolError)
    v = float_array(v, "v", flat=False, max_len=None, unit="mV", error=ProtocolError)
    if t.shape != v.shape:
        raise ProtocolError(f"t and v must have the same length (got {t.size} and {v.size} samples)")
    if t.size < min_len:
        raise ProtocolError(f"a trace needs at least {min_len} samples (got {t.size})")
    back = np.flatnonzero(np.diff(t) <= 0)
    if back.size:
        raise ProtocolError(f"t must increase from sample to sample (t[{back[0] + 1}] = {t[back[0] + 1]:g} ms "
                            f"after t[{back[0]}] = {t[back[0]]:g} ms)")
    return t, v


def detect_spikes(t, v, threshold: float = 0.0) -> np.ndarray:
    """Upward crossings (ms) of ``threshold`` (mV), linearly interpolated."""
    t, v = check_trace(t, v)
    threshold = number(threshold, "threshold", unit="mV", error=ProtocolError)
    k = np.nonzero((v[:-1] < threshold) & (v[1:] >= threshold))[0]
    frac = (threshold - v[k]) / (v[k + 1] - v[k])
    return t[k] + frac * (t[k + 1] - t[k])


@dataclass
class APFeatures:
    """Action-potential features of one trace (see the module docstring for definitions).

    Per-spike arrays: ``spike_times_ms``, ``peak_mV``, ``peak_time_ms``,
    ``threshold_mV``, ``amplitude_mV``, ``half_width_ms``, ``ahp_mV``,
    ``ahp_depth_mV``; ``isi_ms`` has one entry fewer.  Scalars:
    ``latency_ms`` (None without spikes), ``adaptation_index`` (None with
    fewer than 4 spikes), ``v_base_mV``.  ``backend`` tells which features
    came from eFEL.
    """

    spike_times_ms: np.ndarray
    peak_mV: np.ndarray
    peak_time_ms: np.ndarray
    threshold_mV: np.ndarray
    amplitude_mV: np.ndarray
    half_width_ms: np.ndarray
    ahp_mV: np.ndarray
    ahp_depth_mV: np.ndarray
    isi_ms: np.ndarray
    latency_ms: float | None
    adaptation_index: float | None
    v_base_mV: float
    stim_start_ms: float
    stim_end_ms: float
    backend: dict = field(default_factory=dict)

    @property
    def n_spikes(self) -> int:
        return int(len(self.spike_times_ms))

    def summary(self) -> dict:
        """JSON-ready dict: counts, first-spike values and means (units in the keys)."""
        def first(a):
            a = np.asarray(a, dtype=float)
            return float(a[0]) if a.size and np.isfinite(a[0]) else None

        def mean(a):
            a = np.asarray(a, dtype=float)
            a = a[np.isfinite(a)]
            return float(a.mean()) if a.size else None

        return {
            "n_spikes": self.n_spikes,
            "spike_times_ms": [float(x) for x in self.spike_times_ms],
            "latency_ms": self.latency_ms,
            "peak_mV": first(self.peak_mV),
            "threshold_mV": first(self.threshold_mV),
            "amplitude_mV": first(self.amplitude_mV),
            "half_width_ms": first(self.half_width_ms),
            "ahp_mV": first(self.ahp_mV),
            "ahp_depth_mV": first(self.ahp_depth_mV),
            "mean_isi_ms": mean(self.isi_ms),
            "isi_ms": [float(x) for x in self.isi_ms],
            "adaptation_index": self.adaptation_index,
            "v_base_mV": self.v_base_mV,
            "feature_backend": dict(self.backend),
        }


def ap_features_own(t, v, *, stim_start: float | None = None, stim_end: float | None = None,
                    threshold: float = 0.0, dvdt_threshold: float = DVDT_THRESHOLD) -> APFeatures:
    """Compute every feature with hhsim's own NumPy code (see the module docstring)."""
    t, v = check_trace(t, v, min_len=3)
    threshold = number(threshold, "threshold", unit="mV", error=ProtocolError)
    dvdt_threshold = number(dvdt_threshold, "dvdt_threshold", unit="mV/ms", error=ProtocolError)
    stim_start = float(t[0]) if stim_start is None else number(stim_start, "stim_start", unit="ms",
                                                                 error=ProtocolError)
    stim_end = float(t[-1]) if stim_end is None else number(stim_end, "stim_end", unit="ms", error=ProtocolError)
    dvdt = np.gradient(v, t)

    up = np.nonzero((v[:-1] < threshold) & (v[1:] >= threshold))[0] + 1
    spikes = t[up - 1] + (threshold - v[up - 1]) / (v[up] - v[up - 1]) * (t[up] - t[up - 1])
    n = up.size
    peak_idx = np.empty(n, dtype=int)
    for i, k in enumerate(up):
        below = np.nonzero(v[k:] < threshold)[0]
        end = k + below[0] if below.size else v.size
        peak_idx[i] = k + int(np.argmax(v[k:end]))
    peak_v, peak_t = _parabolic_peaks(t, v, peak_idx)

    # AHP troughs: between consecutive peaks, the last one up to the end of the trace.
    ahp = np.full(n, np.nan)
    trough_idx = np.full(n, -1)
    for i in range(n):
        a = peak_idx[i]
        b = peak_idx[i + 1] if i + 1 < n else v.size
        j = a + int(np.argmin(v[a:b]))
        if i + 1 < n or j < v.size - 1:
            ahp[i], trough_idx[i] = v[j], j

    # Threshold voltage: last upward crossing of dV/dt = dvdt_threshold before each peak.
    thr_v = np.full(n, np.nan)
    onset_t = np.full(n, np.nan)
    for i in range(n):
        lo = trough_idx[i - 1] if i > 0 and trough_idx[i - 1] >= 0 else 0
        steep = lo + int(np.argmax(dvdt[lo: peak_idx[i] + 1]))  # fastest point of the upstroke
        below = np.nonzero(dvdt[lo: steep + 1] < dvdt_threshold)[0]
        if below.size == 0:
            continue
        b = lo + below[-1]
        f = (dvdt_threshold - dvdt[b]) / (dvdt[b + 1] - dvdt[b])
        thr_v[i] = v[b] + f * (v[b + 1] - v[b])
        onset_t[i] = t[b] + f * (t[b + 1] - t[b])
    amplitude = peak_v - thr_v

    half_width = np.full(n, np.nan)
    for i in range(n):
        if not np.isfinite(thr_v[i]):
            continue
        half = 0.5 * (thr_v[i] + peak_v[i])
        p = peak_idx[i]
        rise = np.nonzero(v[:p + 1] < half)[0]
        after = np.nonzero(v[p:] < half)[0]
        if rise.size == 0 or after.size == 0:
            continue
        r = rise[-1]
        f = p + after[0]
        t_rise = t[r] + (half - v[r]) / (v[r + 1] - v[r]) * (t[r + 1] - t[r])
        t_fall = t[f - 1] + (v[f - 1] - half) / (v[f - 1] - v[f]) * (t[f] - t[f - 1])
        half_width[i] = t_fall - t_rise

    base_mask = (t >= 0.9 * stim_start) & (t <= stim_start)
    v_base = float(np.mean(v[base_mask])) if base_mask.any() else float(v[0])
    isi = np.diff(spikes)
    latency = float(spikes[0] - stim_start) if n else None
    return APFeatures(
        spike_times_ms=spikes, peak_mV=peak_v, peak_time_ms=peak_t, threshold_mV=thr_v,
        amplitude_mV=amplitude, half_width_ms=half_width, ahp_mV=ahp,
        ahp_depth_mV=v_base - ahp, isi_ms=isi, latency_ms=latency,
        adaptation_index=adaptation_index(spikes, stim_start, stim_end),
        v_base_mV=v_base, stim_start_ms=stim_start, stim_end_ms=stim_end,
        backend={"all": "hhsim"},
    )


def adaptation_index(spike_times, stim_start: float, stim_end: float) -> float | None:
    """Mean (ISI_k+1 - ISI_k)/(ISI_k+1 + ISI_k) over spikes in [stim_start, stim_end], first spike skipped.

    None with fewer than 4 spikes in the window.
    """
    s = np.asarray(spike_times, dtype=float)
    s = s[(s >= stim_start) & (s <= stim_end)]
    if s.size < 4:
        return None
    isi = np.diff(s[1:])
    return float(np.mean((isi[1:] - isi[:-1]) / (isi[1:] + isi[:-1])))


def steady_rate(spike_times, t0: float, t1: float) -> float:
    """Steady firing rate (Hz) over [t0, t1): (spikes in its second half - 1) / (last - first).

    0 with fewer than two spikes in the second half.
    """
    s = float_array(spike_times, "spike_times", max_len=None, unit="ms", error=ProtocolError)
    t0, t1 = number(t0, "t0", unit="ms", error=ProtocolError), number(t1, "t1", unit="ms", error=ProtocolError)
    if not t1 > t0:
        raise ProtocolError(f"the window [{t0:g}, {t1:g}) ms is empty; accepted: t1 > t0")
    mid = 0.5 * (t0 + t1)
    s = s[(s >= mid) & (s < t1)]
    if s.size < 2 or s[-1] <= s[0]:
        return 0.0
    return 1000.0 * (s.size - 1) / (s[-1] - s[0])


def _parabolic_peaks(t, v, idx):
    """Vertex of the parabola through the samples around each index (uniform grid)."""
    pv = v[idx].astype(float).copy()
    pt = t[idx].astype(float).copy()
    for i, k in enumerate(idx):
        if 0 < k < v.size - 1:
            a, b, c = v[k - 1], v[k], v[k + 1]
            den = a - 2 * b + c
            if den < 0:
                x = 0.5 * (a - c) / den
                if abs(x) <= 1:
                    pv[i] = b - 0.25 * (a - c) * x
                    pt[i] = t[k] + x * (t[k + 1] - t[k])
    return pv, pt
