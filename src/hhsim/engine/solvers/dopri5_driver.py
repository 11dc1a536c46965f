"""The Dormand-Prince 5(4) time loop, compiled once for every model.

The loop knows nothing of the model: it calls three compiled functions of
the model passed in as first-class function values (numba's
``FunctionType``): its right-hand side, its instantaneous gates and its
stages 2..7 of one step (written out for its states).  They take raw pointers:
the states of one neuron ``Y = (V, x0, x1, ..)``, the stage block ``K`` and
its parameter row ``P`` (see
:func:`hhsim.engine.codegen.flat_parameters`).  So the loop (step control,
stimulus knots, recording, spikes) is compiled, or loaded from the kernel
cache, once for every model, and a new model compiles only its own small
functions.

A call through a function value is never inlined, so the model's functions
run the same machine code whether just compiled or loaded from the cache
(an inlined copy rounded differently, 1 ulp, from the cached one).

Two of the loop's own parts are function values too (:func:`loop_parts`):
the spike time on the step's cubic (:func:`hhsim.engine.kernel_helpers.hermite_crossing`)
and the next stimulus knot (:func:`next_stop`).  Called rarely (at a spike,
at a knot), they cost nothing per step; compiled apart, they are not part
of the loop's own compiling, so on a first run this process compiles them
(after its model's functions) while a worker compiles the loop
(:func:`start_loop_compile`): 0.35 s of CPU, where the loop takes 1.5 s.

What the loop does (stimulus knots, Hermite recording, spike times, PI step
control) is described in :mod:`hhsim.engine.solvers.dopri5`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import float64, int8, int64, njit, types
from numba.extending import intrinsic

from ... import first_run
from .. import background_compile
from ..cache import compile_lock
from ..function_values import CompiledFunction
from ..kernel_helpers import hermite_crossing
from ..network_kernels import stim_at
from .dopri5 import C, H_MIN, LOG_ERR_FLOOR

#: The model's right-hand side: (Y, K, at, I, P) -> None, K[at:] = dY/dt at Y
#: with stimulus I (µA/cm²) and parameter row P.  Raw pointers, not arrays: an
#: array crosses a call as seven machine words (the loop was 1.4x slower so).
_PTR = types.CPointer(float64)
RHS_SIGNATURE = types.void(_PTR, _PTR, int64, float64, _PTR)
#: The model's instantaneous gates: (Y, P) -> None, set in Y from V = Y[0]
#: (and the pools); a function that does nothing when there are none.
INST_SIGNATURE = types.void(_PTR, _PTR)


@intrinsic
def data_pointer(typingctx, array):
    """The address of ``array``'s first element (a C-contiguous array of float64)."""

    def codegen(context, builder, signature, args):
        return context.make_array(signature.args[0])(context, builder, args[0]).data

    return _PTR(array), codegen


#: The model's stages 2..7 of one step: (Y, K, Yn, hs, I, P, atol, rtol, rhs) -> the
#: error norm; K: the (7, n) stage block (row 0 given, row 6 set), I: the stimuli at
#: stages 2..7, rhs: its right-hand side (see
#: :func:`hhsim.engine.solvers.dopri5.emit_stages`).
STAGES_SIGNATURE = float64(_PTR, _PTR, _PTR, float64, _PTR, _PTR, float64, float64,
                           types.FunctionType(RHS_SIGNATURE))
#: The loop's spike-time part: (V0, V1, h dV0/dt, h dV1/dt, threshold) -> the fraction of
#: the step where the cubic crosses the threshold (:func:`hermite_crossing`; mV, mV, mV, mV, mV).
CROSSING_SIGNATURE = float64(float64, float64, float64, float64, float64)
#: The loop's knot part: (kt, kj, w, t, t_end) -> the next stop (ms; :func:`next_stop`).
STOP_SIGNATURE = float64(float64[:, ::1], int8[:, ::1], int64, float64, float64)

C2, C3, C4, C5 = C[1:5]


@njit(cache=True, error_model="numpy", fastmath={"contract"}, _nrt=False)
def stimulus_at(kt, ka, kb, w, kc, tau, left):
    """The stimulus at ``tau`` (:func:`hhsim.engine.network_kernels.stim_at`, µA/cm² before
    the neuron's scale), called by the loop rather than inlined into it by numba: seven
    inlined copies took 0.6 s of a first run's compiling (LLVM inlines this one, compiled
    once, with the loop's options, so its arithmetic is the same)."""
    return stim_at(kt, ka, kb, w, kc, tau, left)


#: :func:`stimulus_at`'s ``left`` argument, as NumPy booleans: numba types a Python ``True``/``False`` as a
#: literal and would compile the function once for each.
RIGHT_LIMIT, LEFT_LIMIT = np.False_, np.True_


@njit(error_model="numpy", inline="always")
def lesser(a, b):
    """``min(a, b)`` of two numbers, as Python and numba take it (``b`` only when ``b < a``:
    ``a`` when either is NaN), without the overload numba compiles for ``min`` on a first run."""
    return b if b < a else a


@njit(error_model="numpy", inline="always")
def greater(a, b):
    """``max(a, b)`` of two numbers, as Python and numba take it (``b`` only when ``b > a``)."""
    return b if b > a else a


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def step_growth(err, log_prev):
    """PI step control (Hairer & Wanner's DOPRI5, beta = 0.04): the factor by which the
    next step grows after a step of scaled error ``err``, 0.9 err^-0.17 err_prev^0.04
    with err_prev = max(previous err, 1e-4), limited to [0.2, 10], and the log error
    remembered for the next step (``log_prev``: log err_prev).  The memory damps the
    step-size chatter at the stability limit of a stiff mode (a clamp through a series
    resistance).  Below err = 8e-8 the limit applies anyway, which skips the costly
    logarithm and exponential there.  Small enough for LLVM to inline where it is called."""
    if err <= 8e-8:
        return 10.0, LOG_ERR_FLOOR
    log_err = math.log(err)
    return lesser(10.0, greater(0.2, 0.9 * math.exp(-0.17 * log_err + 0.04 * log_prev))), greater(log_err, LOG_ERR_FLOOR)


@njit(cache=True, error_model='numpy', inline='always')
def count_not_after(row, t):
    """How many of the sorted ``row`` are <= t (``np.searchsorted(row, t, 'right')``,
    written out: numba's general one took 0.5 s of a first run's compiling)."""
    lo, hi = 0, row.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if row[mid] <= t:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, error_model='numpy', fastmath=False)
def next_stop(kt, kj, w, t, t_end):
    """The first knot after t where the stimulus jumps or breaks (else the end of the run)."""
    row = kt[w]
    k = count_not_after(row, t) - 1
    if k < 0:
        k = 0
    for m in range(k, row.shape[0] - 1):
        if kj[w, m] and row[m + 1] > t:
            return lesser(row[m + 1], t_end)
    return t_end


@njit(cache=True, error_model='numpy', nogil=True, fastmath={'contract'}, _nrt=False)
def run_dopri5(rhs, inst, stages, crossing, stop_after, params, v, y, wave, scale, kt, ka, kb, kj, dt, t0, n_steps,
               rec_every, v_rec, y_rec, thr, spk_t, spk_n, rtol, atol, h_max, is_inst, work, stim, lo, hi):
    """Adaptive Dormand-Prince 5(4) for neurons lo..hi-1; -1 on success, else the failing grid step.

    ``rhs``, ``inst``, ``stages``: the model's compiled functions (see the
    signatures above); ``crossing``, ``stop_after``: the loop's parts
    (:func:`loop_parts`); ``params[c]``: neuron c's parameter row; ``is_inst[i]``:
    component i of Y is an instantaneous gate (recorded by linear interpolation);
    ``work``: the caller's scratch, (9, n_states + 1) (rows: Y, Yn, then the stage
    block K), ``stim``: (6,), so the loop allocates nothing (no
    reference counting either: compiled without numba's runtime).  Each neuron is integrated alone (its own steps), so its result does not
    depend on which others share the call (thread chunks); the run stops at
    the first neuron (in index order) that fails, at its failing step.
    """
    ns = y.shape[0] + 1
    max_spk = spk_t.shape[1]
    n_rec = v_rec.shape[0]
    t_end = t0 + n_steps * dt
    Y = work[0]
    Yn = work[1]
    K = work[2:]
    y_p, yn_p = data_pointer(Y), data_pointer(Yn)
    k_p, stim_p = data_pointer(K[0]), data_pointer(stim)
    for c in range(lo, hi):
        P = data_pointer(params[c])
        w = wave[c]
        sc = scale[c]
        t = t0
        Y[0] = v[c]
        for i in range(1, ns):
            Y[i] = y[i - 1, c]
        kc = greater(0, count_not_after(kt[w], t) - 1)
        rhs(y_p, k_p, 0, sc * stimulus_at(kt, ka, kb, w, kc, t, RIGHT_LIMIT), P)
        h = lesser(h_max, 0.01)
        stop = stop_after(kt, kj, w, t, t_end)
        r = 1
        log_prev = LOG_ERR_FLOOR
        while t < t_end:
            hs = h
            landing = False
            if t + hs >= stop - 1e-9 * dt:
                hs = stop - t
                landing = True
            elif hs < H_MIN:
                return np.int64((t - t0) / dt)
            te = stop if landing else t + hs
            stim[0] = sc * stimulus_at(kt, ka, kb, w, kc, t + C2 * hs, RIGHT_LIMIT)
            stim[1] = sc * stimulus_at(kt, ka, kb, w, kc, t + C3 * hs, RIGHT_LIMIT)
            stim[2] = sc * stimulus_at(kt, ka, kb, w, kc, t + C4 * hs, RIGHT_LIMIT)
            stim[3] = sc * stimulus_at(kt, ka, kb, w, kc, t + C5 * hs, RIGHT_LIMIT)
            stim[4] = sc * stimulus_at(kt, ka, kb, w, kc, te, LEFT_LIMIT)
            stim[5] = stim[4]
            err = stages(y_p, k_p, yn_p, hs, stim_p, P, atol, rtol, rhs)
            if not (err <= 1.0):
                # rejected; a NaN/Inf error (a stage left the stable region) shrinks hard
                if hs < H_MIN:
                    return np.int64((t - t0) / dt)
                h = hs * (0.1 if err != err or err > 1e300 else greater(0.2, 0.9 * err ** -0.17))
                continue
            V = Y[0]
            Vn = Yn[0]
            if not (abs(Vn) < 1e4):
                return np.int64((t - t0) / dt)
            inst(yn_p, P)
            if V < thr[c] and Vn >= thr[c]:
                k = spk_n[c]
                if k < max_spk:
                    spk_t[c, k] = t + hs * crossing(V, Vn, hs * K[0, 0], hs * K[6, 0], thr[c])
                spk_n[c] = k + 1
            if rec_every > 0:
                while r < n_rec:
                    tr = t0 + r * rec_every * dt
                    if tr > te + 1e-9 * dt:
                        break
                    th = (tr - t) / hs
                    th2 = th * th
                    th3 = th2 * th
                    h00 = 2.0 * th3 - 3.0 * th2 + 1.0
                    h10 = th3 - 2.0 * th2 + th
                    h01 = 3.0 * th2 - 2.0 * th3
                    h11 = th3 - th2
                    v_rec[r, c] = h00 * V + h10 * hs * K[0, 0] + h01 * Vn + h11 * hs * K[6, 0]
                    for i in range(1, ns):
                        if is_inst[i]:
                            y_rec[r, i - 1, c] = Y[i] + th * (Yn[i] - Y[i])
                        else:
                            y_rec[r, i - 1, c] = h00 * Y[i] + h10 * hs * K[0, i] + h01 * Yn[i] + h11 * hs * K[6, i]
                    r += 1
            fac, log_prev = step_growth(err, log_prev)
            h = lesser(h_max, greater(h, hs * fac) if landing else hs * fac)
            t = te
            while kt[w, kc + 1] <= t:
                kc += 1
            for i in range(ns):
                Y[i] = Yn[i]
            if landing:
                stop = stop_after(kt, kj, w, t, t_end)
                rhs(y_p, k_p, 0, sc * stimulus_at(kt, ka, kb, w, kc, t, RIGHT_LIMIT), P)
            else:
                for i in range(ns):
                    K[0, i] = K[6, i]
        v[c] = Y[0]
        for i in range(1, ns):
            y[i - 1, c] = Y[i]
    return -1


_A2 = float64[:, ::1]
_A1 = float64[::1]
#: The one signature the loop is compiled for (arrays as the batch runner passes them).
SIGNATURE = int64(
    types.FunctionType(RHS_SIGNATURE), types.FunctionType(INST_SIGNATURE),
    types.FunctionType(STAGES_SIGNATURE), types.FunctionType(CROSSING_SIGNATURE),
    types.FunctionType(STOP_SIGNATURE), _A2, _A1, _A2,
    int64[::1], _A1, _A2, _A2, _A2, int8[:, ::1], float64, float64, int64,
    int64, _A2, float64[:, :, ::1], _A1, _A2, int64[::1], float64, float64, float64, int8[::1],
    _A2, _A1, int64, int64,
)

_READY = False
_PARTS: list = []
#: The worker process compiling the loop into the cache while this one compiles a model.
_WORKER: dict = {"process": None}


def _in_cache() -> bool:
    """The loop for :data:`SIGNATURE` is in the kernel cache."""
    return background_compile.in_cache(run_dopri5, SIGNATURE)


def start_loop_compile() -> None:
    """On a first run (the loop not in the cache), compile it in a worker process now.

    The caller then compiles its model's own functions (about 0.9 s for ``hh``) and the
    loop's parts (:func:`loop_parts`) while the worker compiles the loop (about 1.3 s);
    :func:`compiled_loop` waits for the worker and loads the loop from the cache.  Only
    with two cores free and an on-disk cache; otherwise nothing happens and the loop
    compiles here.
    """
    early = first_run.adopt("dopri5")  # started by the command line before numba was imported
    if _READY or _WORKER["process"] is not None:
        background_compile.finish(early)
        return
    if early is not None:
        _WORKER["process"] = early
        return
    if not background_compile.worth_starting() or _in_cache():
        return
    _WORKER["process"] = background_compile.start("dopri5")


def _wait_for_worker() -> None:
    """Wait for the worker (see :func:`hhsim.engine.background_compile.finish`)."""
    process, _WORKER["process"] = _WORKER["process"], None
    background_compile.finish(process)


def loop_parts(last_first: bool = False) -> tuple:
    """The loop's parts as function values, ``(crossing, stop_after)``, compiled (or loaded
    from the cache) in this process now.

    On a first run this process compiles them after its model's functions, beside the
    worker compiling the loop (:func:`start_loop_compile`); the worker, done with the loop,
    takes them from the other end (``last_first``).  Each part is compiled under its own
    lock in the cache, so a process that reaches a part the other is compiling waits for
    it and loads it instead of compiling it again."""
    if not _PARTS:
        parts = (("crossing", CompiledFunction(hermite_crossing, CROSSING_SIGNATURE)),
                 ("stop_after", CompiledFunction(next_stop, STOP_SIGNATURE)))
        for name, part in (parts[::-1] if last_first else parts):
            with compile_lock(f"dopri5-{name}.lock"):
                part.__wrapper_address__()
        _PARTS.extend(part for _, part in parts)
    return tuple(_PARTS)


def compiled_loop():
    """``run_dopri5`` compiled for :data:`SIGNATURE` only (loaded from the cache when there,
    after waiting for the worker :func:`start_loop_compile` started)."""
    global _READY
    if not _READY:
        _wait_for_worker()
        run_dopri5.compile(SIGNATURE)
        run_dopri5.disable_compile()
        _READY = True
    return run_dopri5


__all__ = ["CROSSING_SIGNATURE", "INST_SIGNATURE", "RHS_SIGNATURE", "SIGNATURE", "STAGES_SIGNATURE", "STOP_SIGNATURE",
           "compiled_loop", "loop_parts", "start_loop_compile"]
