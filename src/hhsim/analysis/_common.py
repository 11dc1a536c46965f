"""Machinery shared by the protocols: errors, argument checks, ranges, batched runs with progress.

Every protocol runs its simulations through :func:`run_many`, which lowers a
list of models (one column per neuron) and integrates them together in one
compiled kernel call per time segment.  Splitting the time axis into a few
segments (carrying the state from one to the next) costs nothing in accuracy
and lets a progress bar advance during long runs.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import re
from typing import Sequence

import numpy as np

from ..drugs import gate_steady_state, inactivates  # noqa: F401  (the protocols' gate helpers)
from ..engine.batch import BatchOutput, Grid, make_grid, run_batch
from ..engine.solvers import ADAPTIVE, COMPILED_ADAPTIVE, DEFAULT_METHOD, FIXED_STEP
from ..errors import ProtocolError, SolverError  # noqa: F401  (ProtocolError: re-exported)
from ..physics.structure import lower
from ..model import Model
from ..simulation import resolve_method
from ..stim import Stimulus
from ..validate import shown


class BracketError(ProtocolError):
    """A threshold search whose bracket does not contain the threshold."""


class FeatureError(ProtocolError):
    """An unknown feature name, or a feature that cannot be measured."""


# ------------------------------------------------------------------ checks
def positive(name: str, value, unit: str = "ms") -> float:
    """``value`` as a float, or :class:`ProtocolError` unless finite and > 0."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ProtocolError(f"{name} must be a number > 0 {unit} (got {shown(value)})") from None
    except OverflowError:  # an integer beyond any float
        raise ProtocolError(f"{name} = {shown(value)} {unit} is too large; accepted: a finite number > 0 {unit}") from None
    if not (math.isfinite(x) and x > 0):
        raise ProtocolError(f"{name} must be a finite number > 0 {unit} (got {value})")
    return x


def finite(name: str, value, unit: str = "") -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ProtocolError(f"{name} must be a number (got {shown(value)})") from None
    except OverflowError:  # an integer beyond any float
        raise ProtocolError(f"{name} = {shown(value)} is too large; accepted: a finite number"
                            f"{' in ' + unit if unit else ''}") from None
    if not math.isfinite(x):
        raise ProtocolError(f"{name} must be a finite number{' in ' + unit if unit else ''} (got {value})")
    return x


def precision(value, name: str = "rtol") -> float:
    """A search's relative precision: a finite number with 0 < value < 1, else :class:`ProtocolError`
    (at 1 or more the bracket is never narrowed and the answer means nothing)."""
    x = positive(name, value, "")
    if not x < 1:
        raise ProtocolError(f"{name} = {x:.4g} is no precision; accepted: 0 < {name} < 1 (e.g. 1e-3)")
    return x


def non_negative(name: str, value, unit: str = "ms") -> float:
    """``value`` as a finite float >= 0, else :class:`ProtocolError`."""
    x = finite(name, value, unit)
    if x < 0:
        raise ProtocolError(f"{name} = {x:.4g} {unit} is negative; accepted: a finite number >= 0 {unit}")
    return x


#: Most values a range or a count of points may have (each is at least one
#: neuron, or one more stretch of simulated time).
MAX_RANGE_VALUES = 10_000


def whole(name: str, value, minimum: int, maximum: int = MAX_RANGE_VALUES) -> int:
    """``value`` as an int in [minimum, maximum], else :class:`ProtocolError`."""
    try:
        ok = float(value).is_integer()
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok or int(value) < minimum:
        raise ProtocolError(f"{name} must be a whole number >= {minimum} (got {value!r})")
    if int(value) > maximum:
        raise ProtocolError(f"{name} = {int(value)} is too many; at most {maximum} are accepted")
    return int(value)


def check_interval(name: str, start: float, stop: float, unit: str) -> tuple[float, float]:
    """An increasing interval [start, stop]; empty or reversed ones are refused."""
    start, stop = finite(f"{name} start", start, unit), finite(f"{name} stop", stop, unit)
    if not stop > start:
        what = "empty" if stop == start else "reversed"
        raise ProtocolError(
            f"{name} range {start:g} to {stop:g} {unit} is {what}; the stop value must be greater than the start"
        )
    return start, stop


_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_RANGE = re.compile(rf"^\s*({_NUM})\s*:\s*({_NUM})\s*:\s*({_NUM})\s*$")


def parse_range(text: str, name: str, unit: str, third: str = "step") -> tuple[float, float, float]:
    """Parse ``START:STOP:STEP`` (or ``START:STOP:N`` with ``third="n"``).

    Numbers only (a regular expression, never ``eval``).  Raises
    :class:`ProtocolError` for malformed, empty or reversed ranges.
    """
    m = _RANGE.match(text or "")
    if not m:
        form = "START:STOP:N" if third == "n" else "START:STOP:STEP"
        raise ProtocolError(f"{name} must be written {form} with numbers, got {text!r}")
    start, stop, c = (float(g) for g in m.groups())
    check_interval(name, start, stop, unit)
    if third == "n":
        if c > MAX_RANGE_VALUES:
            raise ProtocolError(f"{name}: N = {c:.4g} values; at most {MAX_RANGE_VALUES} are accepted")
        whole(f"{name} N", c, 2)
    elif not c > 0:
        raise ProtocolError(f"{name} step must be > 0 {unit} (got {c:g})")
    return start, stop, c


def arange_inclusive(start: float, stop: float, step: float) -> np.ndarray:
    """start, start + step, ... up to stop (included when within rounding)."""
    count = (stop - start) / step + 1e-9
    if not (math.isfinite(count) and count < MAX_RANGE_VALUES):
        shown = f"{count:.4g}" if math.isfinite(count) else "too many"
        raise ProtocolError(f"range {start:g}:{stop:g}:{step:g} has {shown} values; at most {MAX_RANGE_VALUES} "
                            "are accepted: use a larger step")
    n = int(math.floor(count)) + 1
    return start + step * np.arange(n)



#: Protocols integrate many neurons in one kernel call with the default
#: method: compiled Dormand-Prince 5(4), each neuron with its own steps, the
#: ``dt`` grid (0.025 ms) being only the output and stimulus grid.  Its error
#: control keeps the stiff rates of the calcium and A-current presets stable
#: where fixed-step RK4 at 0.025 ms diverges.
PROTOCOL_METHOD = DEFAULT_METHOD


def protocol_method(method: str | None, dt: float | None) -> tuple[str, float]:
    """The method and dt (ms) a protocol runs with (defaults: dopri5 on a 0.025 ms grid).

    Accepted: the compiled fixed-step solvers and the compiled adaptive one
    (for which ``dt`` is the output grid).  ``lsoda`` runs outside the
    kernel, one neuron at a time, and is refused.
    """
    method = PROTOCOL_METHOD if method is None else str(method).lower()
    accepted = ", ".join(list(COMPILED_ADAPTIVE) + list(FIXED_STEP))
    if method in ADAPTIVE and method not in COMPILED_ADAPTIVE:
        raise SolverError(
            f"protocols run many neurons at once inside the compiled kernel, which {method!r} cannot; "
            f"accepted: {accepted}"
        )
    if method not in FIXED_STEP and method not in COMPILED_ADAPTIVE:
        raise SolverError(f"unknown method {method!r}; accepted: {accepted}")
    method, dt = resolve_method(method, dt)  # the method's default dt
    if not (isinstance(dt, numbers.Real) and not isinstance(dt, bool) and math.isfinite(dt) and dt > 0):
        raise SolverError(f"dt must be a number > 0 ms (got {shown(dt)})")
    if not dt >= MIN_DT_MS:  # every protocol counts its durations in steps of dt
        raise SolverError(f"dt = {float(dt):.4g} ms is too small for a protocol; accepted: dt >= {MIN_DT_MS:g} ms")
    return method, float(dt)


#: Smallest time step (ms) a protocol accepts: a picosecond, far below any membrane's time scale (smaller
#: steps overflowed the step counts; larger ones are refused by the memory and step-count checks).
MIN_DT_MS = 1e-9


def snap(x: float, dt: float) -> float:
    """``x`` rounded to a whole number of time steps (at least one)."""
    return max(1, int(round(x / dt))) * dt


def whole_steps(name: str, value: float, dt: float, unit: str = "ms") -> float:
    """``value`` (a checked duration) rounded to whole time steps, refused when it is shorter than
    half a step (it would be rounded up to a whole step, a different protocol, without a word)."""
    if not value >= 0.5 * dt:
        raise ProtocolError(f"{name} = {value:.4g} {unit} is shorter than the time step ({dt:.4g} {unit}); "
                            f"accepted: {name} >= {dt:.4g} {unit}, or a smaller --dt")
    return snap(value, dt)


def aligned_dt(dt: float, length: float) -> float:
    """The largest step <= ``dt`` that divides ``length`` into whole steps.

    Pulse edges then fall on the time grid, where the solvers resolve them
    exactly (an edge inside a step would deliver the wrong charge).  Pulses
    shorter than :data:`MIN_PULSE_MS` are refused.
    """
    if not length >= MIN_PULSE_MS:
        raise ProtocolError(f"a pulse of {length:.4g} ms is too short; accepted: {MIN_PULSE_MS:g} ms or longer")
    return length / max(1, math.ceil(length / dt - 1e-9))


#: Shortest pulse a protocol accepts (ms): 0.1 µs, far below any membrane time constant.
MIN_PULSE_MS = 1e-4


# ------------------------------------------------------------------ progress
def progress_bar(desc: str, progress: bool | None):
    """A tqdm bar on stderr counting simulated ms; silent unless stderr is a terminal.

    ``progress``: None = automatic (a bar only on a terminal), False = never.
    """
    from ..progress import bar

    return bar(0, desc=desc, unit="ms", progress=progress,
               bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} simulated ms")


class _NoBar:
    total = 0

    def update(self, n):
        pass

    def refresh(self):
        pass

    def close(self):
        pass


# ------------------------------------------------------------------ batches
def run_many(
    models: Model | Sequence[Model],
    stimuli: Sequence[Stimulus | None],
    t_stop: float,
    *,
    method: str,
    dt: float,
    n: int | None = None,
    wave=None,
    scale=None,
    initial=None,
    record_every: int = 0,
    clamp: bool = False,
    bar=None,
    segments: int = 8,
) -> BatchOutput:
    """Integrate many neurons at once through the compiled kernel.

    ``models``: one model for all ``n`` neurons, or one per neuron (same
    structure).  ``wave[c]`` picks neuron c's stimulus from ``stimuli`` and
    ``scale[c]`` multiplies it.  ``initial``: None (each model's resting
    state) or a list of (V0, gates) per neuron.  ``record_every = 0`` keeps
    only spikes and the final state.  The run is split into ``segments``
    pieces (state carried over exactly) so that ``bar`` can advance.
    """
    if isinstance(models, Model):
        models = [models] * (n if n is not None else 1)
    models = list(models)
    check_neurons(len(models), float(t_stop), dt, record_every)
    plan = lower(models, initial=initial)
    grid = make_grid(float(t_stop), dt)
    bar = bar if bar is not None else _NoBar()
    bar.total = (bar.total or 0) + grid.n_steps * grid.dt
    bar.refresh()
    n_steps = grid.n_steps
    chunk = max(1, math.ceil(n_steps / max(1, segments)))
    # a kernel call cannot be interrupted: bound its work so that Ctrl-C acts within about a second
    chunk = min(chunk, max(1, CHUNK_NEURON_STEPS // max(1, plan.ncomp)))
    if record_every > 0:
        chunk = max(record_every, (chunk // record_every) * record_every)
    spikes = [[] for _ in range(plan.ncomp)]
    vs, ys = [], []
    done = 0
    out = None
    while done < n_steps:
        k = min(chunk, n_steps - done)
        sub = Grid(grid.t0 + done * grid.dt, grid.dt, k)
        out = run_batch(plan, list(stimuli), sub, method, wave=wave, scale=scale,
                        record_every=record_every, clamp=clamp,
                        max_spikes=int(k * grid.dt / 0.5) + 16)
        for c, s in enumerate(out.spike_times):
            if s.size:
                spikes[c].append(s)
        if record_every > 0:
            vs.append(out.v if not vs else out.v[1:])
            ys.append(out.y if not ys else out.y[1:])
        plan = dataclasses.replace(plan, v0=out.v_final.copy(), y0=out.y_final.copy())
        done += k
        bar.update(k * grid.dt)
    spike_times = [np.concatenate(s) if s else np.zeros(0) for s in spikes]
    if record_every > 0:
        v = np.concatenate(vs)
        y = np.concatenate(ys)
        t = grid.t0 + grid.dt * record_every * np.arange(v.shape[0])
    else:
        t = np.zeros(0)
        v = np.empty((0, plan.ncomp))
        y = np.empty((0, plan.structure.n_gates, plan.ncomp))
    return BatchOutput(t, v, y, spike_times, out.v_final, out.y_final)


#: Neuron-steps of one kernel call of a protocol batch (well under a second here).
CHUNK_NEURON_STEPS = 1 << 21

#: Bytes per neuron of a lowered batch besides its recordings (parameter
#: columns, states, per-neuron bookkeeping; measured about 500).
NEURON_BYTES = 1024


def check_neurons(n: int, t_stop: float, dt: float, record_every: int) -> None:
    """Refuse a batch that would not fit in memory, before anything is lowered:
    ``n`` neurons, their spike buffers (one slot per 0.5 ms) and recordings."""
    from ..limits import check_memory

    steps = t_stop / dt if dt > 0 else math.inf
    rows = steps / record_every + 1 if record_every > 0 else 1
    per_neuron = NEURON_BYTES + 8.0 * (t_stop / 0.5 + 16) + 8.0 * 8 * rows
    check_memory(n * per_neuron, f"a batch of {n} neurons over {t_stop:.4g} ms",
                 "ask for fewer points (currents, intervals, values) or a shorter duration", ProtocolError)


def round_rest(model: Model, step: float = 5.0) -> float:
    """The resting potential rounded to a multiple of ``step`` mV (anchor of default voltage protocols)."""
    return step * round(model.resting_potential() / step)


def count_in(spike_times: list[np.ndarray], t0: float = -np.inf, t1: float = np.inf) -> np.ndarray:
    """Number of spikes of each neuron with t0 <= t < t1."""
    return np.array([int(np.count_nonzero((s >= t0) & (s < t1))) for s in spike_times])


def to_float(x) -> float | None:
    """A JSON-safe float (None for NaN/inf)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def float_list(xs) -> list:
    return [to_float(x) for x in np.asarray(xs, dtype=float).ravel()]
