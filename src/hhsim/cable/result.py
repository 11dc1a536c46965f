"""``CableResult``: V(x, t) at the recorded nodes, crossing times at every node, metadata."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..display import ShownResult, scalars
from ..errors import HHSimError, OutputError
from ..io import atomic_write
from . import measure


@dataclass(repr=False)
class CableResult(ShownResult):
    """One cable simulation.

    Attributes
    ----------
    t : ms, recorded times.
    v : mV, shape (len(t), len(rec_nodes)): V at the recorded nodes.
    rec_nodes : node indices of the columns of ``v``; ``rec_dist`` their
        path distance (µm) from the start.
    crossing_times : ms, shape (n_nodes, K): upward crossings of each
        node's spike threshold (NaN-padded), timed on the cubic through four
        samples around each crossing; ``spike_counts`` how many happened.
    vmax : mV, the highest V each node reached.
    plan : the lowered cable (tree, per-section models, resting state).
    open_fraction : with channel noise, channel -> (len(t), len(rec_nodes)) the
        fraction of its channels open at the recorded nodes (NaN at a node
        holding none); else empty.
    channel_counts : with channel noise, channel -> (n_nodes,) channels per node.
    """

    t: np.ndarray
    v: np.ndarray
    rec_nodes: np.ndarray
    crossing_times: np.ndarray
    spike_counts: np.ndarray
    vmax: np.ndarray
    plan: object
    stimuli: list
    method: str
    order: int
    dt: float
    t_stop: float
    auto_t_stop: bool = False
    meta: dict = field(default_factory=dict)
    open_fraction: dict = field(default_factory=dict)
    channel_counts: dict = field(default_factory=dict)

    @classmethod
    def build(cls, plan, runner, stimuli, *, method, order, dt, auto_t_stop) -> "CableResult":
        return cls(
            t=np.concatenate(runner.t_rec), v=np.concatenate(runner.v_rec, axis=0),
            rec_nodes=runner.rec_nodes, crossing_times=runner.spk_t, spike_counts=runner.spk_n,
            vmax=runner.vmax, plan=plan, stimuli=list(stimuli), method=method, order=order, dt=dt,
            t_stop=runner.steps * dt, auto_t_stop=auto_t_stop,
        )

    # ------------------------------------------------------------ geometry
    @property
    def tree(self):
        return self.plan.tree

    @property
    def morphology(self):
        return self.plan.tree.morph

    @property
    def rec_dist(self) -> np.ndarray:
        return self.tree.dist[self.rec_nodes]

    @property
    def n_compartments(self) -> int:
        return self.tree.n_compartments

    @property
    def first_crossing(self) -> np.ndarray:
        """ms: each node's first threshold crossing (NaN where none)."""
        return np.where(self.spike_counts > 0, self.crossing_times[:, 0], np.nan)

    @property
    def v_rest(self) -> np.ndarray:
        return self.plan.v_rest

    def trace_at(self, location) -> np.ndarray:
        """V (mV) over ``t`` at a location.

        Between compartment centres: linear interpolation of the recorded
        neighbours (both must be recorded; ``record="all"`` records every
        node).  At a free end: the potential of the end itself, from the end
        compartment's V, the current injected right at the end and the
        boundary (second-order accurate, like the interior).
        """
        end = measure.terminal_at(self.tree, location)
        if end is not None:
            return self._end_trace(*end)
        out = np.zeros_like(self.t)
        for node, w in measure._bracket(self.tree, location):
            out = out + w * self._column(node)
        return out

    def _column(self, node: int) -> np.ndarray:
        hit = np.nonzero(self.rec_nodes == node)[0]
        if hit.size == 0:
            raise HHSimError(f"node {node} (at {self.tree.dist[node]:g} µm) was not recorded; "
                             "simulate with record='all' or list it in record=")
        return self.v[:, int(hit[0])]

    def _end_trace(self, term, section: int, end: int) -> np.ndarray:
        v_c = self._column(term.node)
        g_b = self.plan.boundary_g[(section, end)]
        v_b = self.plan.vfix[term.node]
        if np.isinf(g_b):
            return np.full_like(self.t, v_b)
        length = self.morphology.sections[section].length
        current = np.zeros_like(self.t)
        for s in self.stimuli:
            si, arc = s.locate(self.morphology)
            if si == section and abs(arc - (0.0 if end == 0 else length)) <= 1e-9 * length:
                current = current + s.waveform.value(self.t)
        return (term.g_half * v_c + g_b * v_b + current) / (term.g_half + g_b)

    # ------------------------------------------------------------ measures
    def velocity(self, x1=None, x2=None) -> float:
        """Conduction velocity (m/s) between two locations (default: 1/3 and 2/3 of the length)."""
        return measure.conduction_velocity(self, x1, x2)

    @property
    def propagated(self) -> bool:
        return measure.propagated(self)

    def summary(self, x1=None, x2=None) -> dict:
        """The JSON summary of ``hhsim cable --json`` (keys carry units)."""
        morph = self.morphology
        models = self.plan.models
        out = {
            "model": ", ".join(dict.fromkeys(m.name for m in models)),
            "method": self.method,
            "dt_ms": self.dt,
            "t_stop_ms": self.t_stop,
            "temperature_C": models[0].temperature,
            "n_compartments": self.n_compartments,
            "length_um": morph.total_length,
            "ri_ohm_cm": morph.ra,
            "propagated": self.propagated,
        }
        if morph.is_unbranched:
            secs = morph.sections
            out["diam_um"] = secs[0].diam
            out["dx_um"] = min(s.length / n for s, n in zip(secs, self.tree.nseg))
            try:
                x1, x2 = (x1, x2) if x1 is not None and x2 is not None else measure.default_positions(self)
            except Exception:
                x1 = x2 = None
            if x1 is not None:
                v = measure.conduction_velocity(self, x1, x2)
                mid = 0.5 * (measure.path_distance(self.tree, x1) + measure.path_distance(self.tree, x2))
                if not math.isfinite(v):
                    out["velocity_note"] = self.why_no_velocity(x1, x2)
                out.update({
                    "velocity_m_s": _num(v),
                    "velocity_between_um": [measure.path_distance(self.tree, x1), measure.path_distance(self.tree, x2)],
                    "arrival_times_ms": [_num(measure.arrival_time(self, x1)), _num(measure.arrival_time(self, x2))],
                    "spike_amplitude_mV": _num(measure.spike_amplitude_at(self, mid)) if self.propagated or
                    math.isfinite(measure.arrival_time(self, mid)) else None,
                    "spike_width_ms": _num(measure.spike_width(self, mid)),
                })
            out["length_constant_um"] = measure.length_constant(self.plan, 0.0)
            out["input_resistance_MOhm"] = measure.input_resistance(self.plan, 0.0)
        out["v_rest_mV"] = float(np.median(self.plan.v_rest[~self.tree.junction]))
        out["stimuli"] = [s.describe() for s in self.stimuli]
        if "noise" in self.meta:
            out["noise"] = self.meta["noise"]
            out["threshold_crossings"] = int(np.sum(self.spike_counts))
        return out

    def metadata(self) -> dict:
        from .._version import __version__

        morph = self.morphology
        return {
            "method": self.method, "dt_ms": self.dt, "t_stop_ms": self.t_stop,
            "n_compartments": self.n_compartments, "ri_ohm_cm": morph.ra,
            "sections": [{"name": s.name, "region": s.region, "length_um": s.length, "diam_um": s.diam,
                          "nseg": n} for s, n in zip(morph.sections, self.tree.nseg)][:1000],
            "models": {s.name: m.name for s, m in zip(morph.sections, self.plan.models)} if len(morph.sections) <= 1000 else {},
            "temperature_C": self.plan.models[0].temperature,
            "stimuli": [s.describe() for s in self.stimuli],
            "hhsim_version": __version__,
            **self.meta,
        }

    # ------------------------------------------------------------ export
    def save(self, path: str | Path) -> Path:
        """Write ``.npz`` (V(x, t), positions, crossing times, metadata; with channel noise also
        ``<channel>_open_fraction`` at the recorded positions and ``<channel>_channels`` per node)
        or ``.csv`` (one column of V per position)."""
        from .. import validate as _v

        path = _v.file_path(path, "save: the path", error=OutputError)
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".npz":
            def write(tmp):
                with open(tmp, "wb") as fh:
                    np.savez_compressed(
                        fh, t_ms=self.t, v_mV=self.v, x_um=self.rec_dist, node_x_um=self.tree.dist,
                        first_crossing_ms=self.first_crossing, v_peak_mV=self.vmax,
                        metadata=json.dumps(self.metadata()),
                        **{f"{k}_open_fraction": a for k, a in self.open_fraction.items()},
                        **{f"{k}_channels": a for k, a in self.channel_counts.items()},
                    )
        elif suffix == ".csv":
            def write(tmp):
                header = "t_ms," + ",".join(f"v_mV_at_{x:.6g}um" for x in self.rec_dist)
                np.savetxt(tmp, np.column_stack([self.t, self.v]), delimiter=",", header=header,
                           comments="", fmt="%.10g")
        else:
            raise OutputError(f"cannot write {str(path)!r}: use a .npz or .csv file name")
        atomic_write(path, write)
        return path

    def why_no_velocity(self, x1=None, x2=None) -> str:
        """Why :meth:`velocity` is NaN, in words (empty when it is a number)."""
        try:
            if x1 is None or x2 is None:
                x1, x2 = measure.default_positions(self)
        except Exception:  # noqa: BLE001 - a morphology without default positions
            return "no default measuring points on this morphology; give x1 and x2"
        if math.isfinite(measure.conduction_velocity(self, x1, x2)):
            return ""
        if not self.stimuli:
            return ("no stimulus was given, so nothing was excited: add one, e.g. "
                    "stimuli=hhsim.cable.point(hhsim.stim.pulse(20000, start=0.5, dur=0.2), x=0) (nA)")
        t1, t2 = measure.arrival_time(self, x1), measure.arrival_time(self, x2)
        d1, d2 = measure.path_distance(self.tree, x1), measure.path_distance(self.tree, x2)
        missing = [f"{d:g} µm" for d, t in ((d1, t1), (d2, t2)) if not math.isfinite(t)]
        if missing:
            return (f"no spike reached {' and '.join(missing)} (the measuring points) before t_stop: the stimulus "
                    "may be too weak or t_stop too short")
        return "the spike reached both measuring points at the same time"

    def plot(self, path: str | Path | None = None):
        """Kymograph and traces at several positions (``hhsim cable --plot``), saved to ``path`` if given."""
        from ..plot.cable import plot_cable

        return plot_cable(self, path)

    def _headline(self) -> tuple:
        v = measure.conduction_velocity(self) if self.propagated else math.nan
        why = "no stimulus" if not self.stimuli else "not propagated"
        return (", ".join(dict.fromkeys(m.name for m in self.plan.models)), self.method,
                f"{self.t_stop:g} ms", f"{self.n_compartments} compartments",
                f"{v:.4g} m/s" if math.isfinite(v) else why)

    def _rows(self) -> dict:
        return scalars(self.summary())

    def _title(self) -> str:
        return "Cable result"


def _num(x):
    return None if x is None or not math.isfinite(x) else float(x)
