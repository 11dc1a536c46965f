"""Network results: spike trains per population, recorded states, measures, exporters."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..display import ShownResult, scalars
from ..errors import OutputError, ParameterError
from ..io import atomic_write


@dataclass(repr=False)
class NetworkResult(ShownResult):
    """The outcome of :func:`~hhsim.network.simulate_network`.

    Attributes
    ----------
    spikes : population -> (neuron index array, spike time array ms), sorted by time.
    sizes : population -> number of neurons.
    t : ms, recording times of the state monitor (empty if none).
    v : population -> (n_samples, n_recorded) mV of the recorded neurons.
    states : population -> {state name: (n_samples, n_recorded)}.
    i_syn : population -> (n_samples, n_recorded) µA/cm², total synaptic current (outward positive).
    recorded : population -> recorded neuron indices.
    source_spikes : external source -> (source index, spike time ms), as for ``spikes``.
    t_stop, dt (ms), method, seed, n_synapses, meta.
    cable_t, cable_v : for populations of cable cells, the V (mV) of each cell's
        detection node, (n_samples, n), sampled every 0.1 ms at ``cable_t`` (ms).
    weights : for each projection with spike-timing-dependent plasticity (by its name,
        else ``"pre->post"``), its synapses' final weights, a dict with the keys
        ``pre`` and ``post`` (the synapses' presynaptic and postsynaptic indices), ``w``
        (the weights, mS/cm²), ``w_max`` and ``w_min`` (mS/cm²); every synapse once,
        sorted by presynaptic index.
    weight_samples : for each projection in ``Monitors(weights=...)``, a dict with the
        keys ``t`` (sample times, ms), ``index`` (the synapses sampled, as indices into
        the projection's final weights) and ``w`` ((n_samples, n_sampled) mS/cm²); a
        sample at t holds every change the synapse has seen by t (with the dendritic
        convention, by t minus its delay: what is known at t).
    """

    spikes: dict[str, tuple[np.ndarray, np.ndarray]]
    sizes: dict[str, int]
    t: np.ndarray
    v: dict[str, np.ndarray]
    states: dict[str, dict[str, np.ndarray]]
    i_syn: dict[str, np.ndarray]
    recorded: dict[str, np.ndarray]
    source_spikes: dict[str, tuple[np.ndarray, np.ndarray]]
    t_stop: float
    dt: float
    method: str
    seed: int
    n_synapses: int
    meta: dict = field(default_factory=dict)
    cable_t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cable_v: dict[str, np.ndarray] = field(default_factory=dict)
    weights: dict[str, dict] = field(default_factory=dict)
    weight_samples: dict[str, dict] = field(default_factory=dict)

    # ----------------------------------------------------------- building
    @classmethod
    def build(cls, net, plan, runner, *, t_stop: float, dt: float, method: str) -> "NetworkResult":
        spk = runner.SPK
        m = int(spk.mon_n[0])
        times, src = spk.mon_t[:m], spk.mon_src[:m]
        order = np.lexsort((src, times))
        times, src = times[order], src[order]
        spikes, sizes, v, states, i_syn, recorded = {}, {}, {}, {}, {}, {}
        rec = runner.REC
        nodes, rec_v, rec_y, rec_i, n_rec = rec.nodes, rec.v, rec.y, rec.i, int(rec.n[0])
        for pop in net.populations:
            first, n = plan.pop_range[pop.name]
            sel = (src >= first) & (src < first + n)
            spikes[pop.name] = ((src[sel] - first).astype(np.int64), times[sel].copy())
            sizes[pop.name] = n
            q = np.nonzero((nodes >= first) & (nodes < first + n))[0]
            if q.size:
                recorded[pop.name] = nodes[q] - first
                v[pop.name] = rec_v[:n_rec, q].copy()
                i_syn[pop.name] = rec_i[:n_rec, q].copy()
                names = pop.model.state_names
                states[pop.name] = {nm: rec_y[:n_rec, j, q].copy() for j, nm in enumerate(names)}
        sources = {}
        for src in net.sources:
            first, n = plan.source_range[src.name]
            sel = (plan.ext_src >= first) & (plan.ext_src < first + n)
            sources[src.name] = ((plan.ext_src[sel] - first).astype(np.int64), plan.ext_t[sel].copy())
        t = np.arange(n_rec) * runner.rec_every * dt if n_rec else np.zeros(0)
        late = int(runner.EV.late[0])
        watched = net.monitors.spikes
        monitored = [p.name for p in net.populations] if watched == "all" else \
            [p.name for p in net.populations if p.name in watched]
        # "late_events" (the old key, kept): synaptic events due before the start of the step in
        # which their spike was found (a delay shorter than dt), delivered at that step's start
        meta = {"late_events": late, "network": net.name, "n_nodes": plan.n_nodes,
                "spikes_monitored": monitored}
        cable_t = np.asarray(getattr(runner, "cable_t", []), dtype=float)
        cable_v = {k: np.asarray(val, dtype=float) for k, val in getattr(runner, "cable_v", {}).items()}
        weights = {}
        for item in plan.meta.get("plastic", []):
            order = np.lexsort((item["post"], item["pre"]))
            weights[item["label"]] = {"pre": item["pre"][order], "post": item["post"][order],
                                      "w": plan.E.w[item["edges"]][order].copy(), "w_max": float(item["w_max"]),
                                      "w_min": float(item["w_min"])}
        samples = {name: {"t": np.array(runner.w_t), "index": sel,
                          "w": np.array(runner.w_samples[name]).reshape(len(runner.w_t), sel.size)}
                   for name, (sel, _) in getattr(runner, "w_chosen", {}).items()}
        return cls(spikes, sizes, t, v, states, i_syn, recorded, sources, float(t_stop), float(dt), method,
                   int(net.seed), int(plan.meta["n_synapses"]), meta, cable_t, cable_v, weights, samples)

    # ----------------------------------------------------------- measures
    def _pop(self, name: str):
        if name not in self.spikes:
            raise ParameterError(f"unknown population {name!r}; accepted: {', '.join(self.spikes)}")
        if not self.spikes_recorded(name):
            raise ParameterError(f"the spikes of population {name!r} were not recorded (the spike monitor "
                                 f"watched {', '.join(self.meta['spikes_monitored']) or 'none'}); "
                                 f"add {name!r} to monitors spikes")
        return self.spikes[name]

    def spikes_recorded(self, name: str) -> bool:
        """Whether the spike monitor watched population ``name`` (otherwise it has no spike data)."""
        watched = self.meta.get("spikes_monitored")
        return watched is None or name in watched

    def n_spikes(self, pop: str) -> int:
        return int(self._pop(pop)[1].size)

    def rate(self, pop: str, start: float = 0.0, stop: float | None = None) -> float:
        """Mean firing rate (Hz) per neuron of ``pop`` in [start, stop) ms."""
        idx, t = self._pop(pop)
        stop = self.t_stop if stop is None else stop
        if stop <= start:
            raise ParameterError(f"rate window must have stop > start (got {start:g}, {stop:g} ms)")
        k = np.count_nonzero((t >= start) & (t < stop))
        return 1000.0 * k / (self.sizes[pop] * (stop - start))

    def trains(self, pop: str) -> list[np.ndarray]:
        """Spike times (ms) of each neuron of ``pop``."""
        idx, t = self._pop(pop)
        order = np.argsort(idx, kind="stable")
        idx, t = idx[order], t[order]
        bounds = np.searchsorted(idx, np.arange(self.sizes[pop] + 1))
        return [t[bounds[i]:bounds[i + 1]] for i in range(self.sizes[pop])]

    def cv_isi(self, pop: str) -> float:
        """Mean coefficient of variation of the inter-spike intervals over the neurons of
        ``pop`` with at least 3 spikes (NaN when none has)."""
        cvs = []
        for tr in self.trains(pop):
            if tr.size >= 3:
                isi = np.diff(tr)
                if isi.mean() > 0:
                    cvs.append(isi.std() / isi.mean())
        return float(np.mean(cvs)) if cvs else float("nan")

    def population_rate(self, pop: str, bin_ms: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """(bin centres ms, rate Hz per neuron) of ``pop``."""
        if not bin_ms > 0:
            raise ParameterError(f"bin_ms must be > 0 (got {bin_ms})")
        _, t = self._pop(pop)
        edges = np.arange(0.0, self.t_stop + bin_ms, bin_ms)
        counts, _ = np.histogram(t, bins=edges)
        return 0.5 * (edges[1:] + edges[:-1]), counts * 1000.0 / (bin_ms * self.sizes[pop])

    def peak_frequency(self, pop: str, start: float = 0.0, bin_ms: float = 1.0) -> float:
        # NaN when fewer than MIN_RHYTHM_SPIKES spikes or when no peak stands RHYTHM_PEAK_RATIO
        # times above the mean power: a frequency is named only for a rhythm
        """Frequency (Hz) of the population rhythm: the largest peak of the population
        rate's power spectrum (after ``start`` ms, mean removed, Hann window), or its
        fundamental when that is a harmonic: a train of sharp synchronous volleys (each
        cell firing in the same bin, as a fully synchronous network does) has
        harmonics as strong as its fundamental, so a peak at f_max / d (d = 2 ..
        :data:`MAX_HARMONIC`) with at least :data:`FUNDAMENTAL_RATIO` of the largest
        peak's power is taken instead (the lowest such)."""
        centres, r = self.population_rate(pop, bin_ms)
        keep = centres >= start
        r = r[keep]
        n_events = int(np.count_nonzero(self._pop(pop)[1] >= start))
        if r.size < 8 or n_events < MIN_RHYTHM_SPIKES:
            return float("nan")  # a few spikes make a flat spectrum: no rhythm to name
        r = (r - r.mean()) * np.hanning(r.size)
        power = np.abs(np.fft.rfft(r)) ** 2
        freqs = np.fft.rfftfreq(r.size, d=bin_ms / 1000.0)
        power[0] = 0.0
        k = int(np.argmax(power))
        if not power[k] > RHYTHM_PEAK_RATIO * power[1:].mean():
            return float("nan")  # no peak stands out of the spectrum (irregular firing)
        for d in range(MAX_HARMONIC, 1, -1):  # the lowest fundamental first
            j = int(round(k / d))
            if j < 1:
                continue
            lo, hi = max(1, j - 1), min(power.size, j + 2)
            q = lo + int(np.argmax(power[lo:hi]))
            if power[q] >= FUNDAMENTAL_RATIO * power[k] and q > 0:
                return float(freqs[q])
        return float(freqs[k])

    def synchrony(self, pop: str, bin_ms: float = 2.0, start: float = 0.0) -> float:
        """Wang & Buzsáki's (1996) coherence κ: the mean over neuron pairs of
        Σ X Y / sqrt(Σ X Σ Y) for binary spike trains X, Y in bins of ``bin_ms``."""
        if not bin_ms > 0:
            raise ParameterError(f"bin_ms must be > 0 (got {bin_ms})")
        n = self.sizes[pop]
        if n < 2:
            return float("nan")
        idx, t = self._pop(pop)
        keep = t >= start
        edges = np.arange(start, self.t_stop + bin_ms, bin_ms)
        X = np.zeros((n, edges.size - 1), dtype=float)
        b = np.clip(np.searchsorted(edges, t[keep], side="right") - 1, 0, edges.size - 2)
        X[idx[keep], b] = 1.0
        counts = X.sum(axis=1)
        overlap = X @ X.T
        norm = np.sqrt(np.outer(counts, counts))
        with np.errstate(invalid="ignore", divide="ignore"):
            k = np.where(norm > 0, overlap / norm, 0.0)
        iu = np.triu_indices(n, 1)
        return float(k[iu].mean())

    def summary(self, start: float = 0.0) -> dict:
        """The ``--json`` summary."""
        pops = {}
        for name in self.spikes:
            if not self.spikes_recorded(name):  # not 0 spikes: unknown
                pops[name] = {"n": self.sizes[name], "spikes_recorded": False, "n_spikes": None, "rate_hz": None,
                              "cv_isi": None}
                continue
            pops[name] = {"n": self.sizes[name], "n_spikes": self.n_spikes(name),
                          "rate_hz": self.rate(name, start), "cv_isi": _num(self.cv_isi(name))}
        for name, d in (self.meta.get("channel_noise") or {}).items():  # the noisy populations
            pops[name]["channel_noise"] = d
        late = self.meta.get("late_events", 0)
        plastic = {name: {"n": int(d["w"].size), "mean_w_mS_cm2": float(d["w"].mean()) if d["w"].size else None,
                          "w_max_mS_cm2": d["w_max"],
                          "fraction_near_bounds": self.weight_fractions(name) if d["w"].size else None}
                   for name, d in self.weights.items()}
        out = self._summary(pops, late)
        if "tolerances" in self.meta:  # method dopri5's rtol and atol
            out.update(self.meta["tolerances"])
        if plastic:
            out["plastic_synapses"] = plastic
        return out

    def weight_fractions(self, name: str, margin: float = 0.1) -> dict:
        """Shares of projection ``name``'s final weights within ``margin`` (a fraction of
        w_max - w_min) of the lower and of the upper bound: {"low": ..., "high": ...}."""
        d = self._weights(name)
        span = d["w_max"] - d["w_min"]
        w = (d["w"] - d["w_min"]) / span
        return {"low": float(np.mean(w <= margin)), "high": float(np.mean(w >= 1 - margin))}

    def _weights(self, name: str) -> dict:
        if name not in self.weights:
            raise ParameterError(f"no plastic projection {name!r}; accepted: {', '.join(self.weights) or 'none'}")
        return self.weights[name]

    def plot_weights(self, path: str | Path | None = None, name: str | None = None, bins: int = 40):
        """Histogram of the final weights of each plastic projection (or of ``name``), as a
        fraction of w_max (Song, Miller & Abbott 2000, Fig. 2); saved to ``path`` if given."""
        import matplotlib

        if path is not None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        names = [name] if name is not None else list(self.weights)
        if not names:
            raise ParameterError("this network has no plastic synapses (give a projection an stdp rule)")
        fig, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.4), squeeze=False)
        for ax, nm in zip(axes[0], names):
            d = self._weights(nm)
            ax.hist(d["w"] / d["w_max"], bins=bins, range=(d["w_min"] / d["w_max"], 1.0), color="#4477aa")
            ax.set_xlabel("w / w_max")
            ax.set_ylabel("synapses")
            ax.set_title(f"{nm}: {d['w'].size} synapses at {self.t_stop:g} ms", fontsize=9)
        fig.tight_layout()
        if path is not None:
            from ..io import atomic_write

            atomic_write(Path(path), lambda tmp: fig.savefig(tmp, dpi=120, format=Path(path).suffix[1:] or "png"))
            plt.close(fig)
        return fig

    def _summary(self, pops: dict, late: int) -> dict:
        return {"t_stop_ms": self.t_stop, "dt_ms": self.dt, "method": self.method, "seed": self.seed,
                "n_synapses": self.n_synapses,
                "events_moved_to_step_start": late, "late_events": late,
                "late_events_note": "synaptic events due before the step in which their spike was found (a "
                                    "delay shorter than dt), delivered at that step's start, at most dt late; "
                                    "a count, not an error (a delay >= dt makes it 0)",
                "populations": pops}

    # ----------------------------------------------------------- export
    def to_dataframe(self):
        """Spike table with the columns ``population``, ``neuron``, ``t_ms`` (sorted by time)."""
        import pandas as pd

        frames = [pd.DataFrame({"population": name, "neuron": idx, "t_ms": t})
                  for name, (idx, t) in self.spikes.items()]
        df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["population", "neuron", "t_ms"])
        return df.sort_values(["t_ms", "population", "neuron"], kind="stable").reset_index(drop=True)

    def to_xarray(self):
        import xarray as xr

        ds = xr.Dataset(attrs={"t_stop_ms": self.t_stop, "dt_ms": self.dt, "method": self.method,
                               "seed": self.seed, "n_synapses": self.n_synapses})
        for name, (idx, t) in self.spikes.items():
            ds[f"{name}_spike_neuron"] = ("spike_" + name, idx)
            ds[f"{name}_spike_t_ms"] = ("spike_" + name, t)
        for name, vv in self.v.items():
            ds[f"{name}_v_mV"] = (("t_ms", f"rec_{name}"), vv)
            ds = ds.assign_coords({f"rec_{name}": self.recorded[name]})
        if self.t.size:
            ds = ds.assign_coords(t_ms=self.t)
        return ds

    def save(self, path: str | Path) -> Path:
        """Write the spike table (``.csv``: population,neuron,t_ms), or everything (``.npz``, ``.nc``,
        ``.nwb``: spike times in the Units table, state monitors as time series)."""
        from .. import validate as _v

        path = _v.file_path(path, "save: the path", error=OutputError)
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".csv":
            df = self.to_dataframe()
            atomic_write(path, lambda tmp: df.to_csv(tmp, index=False))
        elif suffix == ".npz":
            arrays = {}
            for name, (idx, t) in self.spikes.items():
                arrays[f"{name}_spike_neuron"] = idx
                arrays[f"{name}_spike_t_ms"] = t
            for name, vv in self.v.items():
                arrays[f"{name}_v_mV"] = vv
                arrays[f"{name}_recorded"] = self.recorded[name]
            arrays["t_ms"] = self.t
            for name, d in self.weights.items():
                key = name.replace("->", "_to_")
                arrays[f"{key}_w_pre"], arrays[f"{key}_w_post"] = d["pre"], d["post"]
                arrays[f"{key}_w_mS_cm2"] = d["w"]
            for name, d in self.weight_samples.items():
                key = name.replace("->", "_to_")
                arrays[f"{key}_w_sample_t_ms"], arrays[f"{key}_w_sample_index"] = d["t"], d["index"]
                arrays[f"{key}_w_samples_mS_cm2"] = d["w"]
            arrays["summary_json"] = np.array(json.dumps(self.summary()))

            def write(tmp):
                with open(tmp, "wb") as fh:
                    np.savez_compressed(fh, **arrays)

            atomic_write(path, write)
        elif suffix == ".nc":
            ds = self.to_xarray()
            from ..result import write_netcdf

            atomic_write(path, lambda tmp: write_netcdf(ds, tmp, path))
        elif suffix == ".nwb":
            from ..interop.nwb import write_result  # pynwb only when an NWB file is asked for

            write_result(self, path)
        else:
            raise OutputError(f"cannot write {str(path)!r}: the file name must end in .csv, .npz, .nc or .nwb")
        return path

    def plot(self, path: str | Path | None = None):
        """Raster, population rates and recorded V traces (``hhsim network --plot``), saved to ``path`` if given."""
        from ..plot.network import plot_network

        return plot_network(self, path)

    def _headline(self) -> tuple:
        pops = ", ".join(f"{k} {self.sizes[k]} ({self.n_spikes(k)} spikes)" for k in self.spikes)
        return pops, f"{self.t_stop:g} ms", f"{self.method} dt={self.dt:g} ms", f"{self.n_synapses} synapses"

    def _rows(self) -> dict:
        """The run's settings, then each population's activity."""
        plastic = {f"{name} (STDP)": f"{d['w'].size} synapses, mean w {d['w'].mean() / d['w_max']:.3g} w_max "
                                     f"(w_max {d['w_max']:.4g} mS/cm2)" if d["w"].size else "no synapses"
                   for name, d in self.weights.items()}
        return {**scalars(self.summary()), **_population_rows(self), **plastic}

    def _title(self) -> str:
        return f"Network of {sum(self.sizes.values())} neurons"


def _population_rows(result: NetworkResult) -> dict:
    return {f"{name} (n {p['n']})": ("spikes not recorded" if p.get("spikes_recorded") is False
                                     else f"{p['n_spikes']} spikes, {p['rate_hz']:.3g} Hz, CV {p['cv_isi']}")
            for name, p in result.summary()["populations"].items()}


#: Fewest spikes after ``start`` for which :meth:`NetworkResult.peak_frequency` names a frequency.
MIN_RHYTHM_SPIKES = 10
#: How far (times the mean power) the spectrum's peak must stand out to be a rhythm.
RHYTHM_PEAK_RATIO = 4.0
#: :meth:`NetworkResult.peak_frequency`: the highest harmonic number looked for, and the
#: share of the largest peak's power that a fundamental below it must have.
MAX_HARMONIC = 6
FUNDAMENTAL_RATIO = 0.5


def _num(x: float):
    return None if not np.isfinite(x) else float(x)
