"""Barriers for threads that meet at every time step inside one compiled loop.

A network's step has serial parts (the event queue, spikes, the slow nodes)
around a part that splits over the nodes (the fast path).  Handing that part
to a pool at every step would cost tens of µs per step, as much as the work;
instead every thread runs the same compiled time loop on its own nodes and
the threads meet at spin barriers (a shared counter incremented atomically,
about 0.07 µs per meeting on two free cores; a thread that has waited long
yields its core at every further spin).

The shared state is a small int64 array ``sync``:

* ``sync[0]``: arrivals so far; the p-th barrier of ``n`` threads is passed
  when it reaches ``p * n`` (it only grows: nothing to reset between barriers);
* ``sync[1]``: 1 once the leading thread (0) has left the loop; a waiting
  thread then stops waiting and leaves too.  :data:`PARTNER_FAILED` when
  another thread failed before or instead of its next meeting: the leading
  thread leaves at its next meeting rather than wait for it forever, and
  :func:`run_on_threads` raises the partner's error.

Fixed numba code (``cache=True``); the atomic operations are LLVM's, with
sequential consistency, so what a thread wrote before a barrier is seen by
every thread after it.
"""

from __future__ import annotations

import functools
import platform
import threading

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from . import aligned

_X86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")
_POSIX = platform.system() != "Windows"

#: A thread waits this many cycles of the processor's time-stamp counter (about
#: 50 µs; a step's work is a few µs) spinning before it gives the core away at
#: every further spin: on a machine with fewer free cores than threads, a
#: waiting thread must not hold the core its partner needs.  (A pause lasts from
#: a few cycles to over a hundred depending on the processor, so spins are not
#: counted; where there is no time-stamp counter, 10^6 spins.)
CYCLES_BEFORE_YIELD = 130_000
SPINS_BEFORE_YIELD = 1_000_000


def _item_pointer(context, builder, arr_type, arr, index):
    ary = context.make_array(arr_type)(context, builder, arr)
    return cgutils.get_item_pointer(context, builder, arr_type, ary, [index])


@intrinsic
def _fetch_add(typingctx, arr, index, value):
    """``arr[index] += value`` atomically (seq_cst); returns the old value."""
    sig = types.int64(arr, types.intp, types.int64)

    def codegen(context, builder, signature, args):
        ptr = _item_pointer(context, builder, signature.args[0], args[0], args[1])
        return builder.atomic_rmw("add", ptr, args[2], "seq_cst")

    return sig, codegen


@intrinsic
def _load(typingctx, arr, index):
    """``arr[index]``, an atomic (seq_cst) load."""
    sig = types.int64(arr, types.intp)

    def codegen(context, builder, signature, args):
        ptr = _item_pointer(context, builder, signature.args[0], args[0], args[1])
        return builder.load_atomic(ptr, "seq_cst", 8)

    return sig, codegen


@intrinsic
def _store(typingctx, arr, index, value):
    """``arr[index] = value``, an atomic (seq_cst) store."""
    sig = types.void(arr, types.intp, types.int64)

    def codegen(context, builder, signature, args):
        ptr = _item_pointer(context, builder, signature.args[0], args[0], args[1])
        builder.store_atomic(args[2], ptr, "seq_cst", 8)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def _pause(typingctx):
    """The processor's spin-wait hint (x86 ``pause``; nothing elsewhere)."""
    sig = types.void()

    def codegen(context, builder, signature, args):
        if _X86:
            fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), []),
                                                "llvm.x86.sse2.pause")
            builder.call(fn, [])
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def _cycles(typingctx):
    """The processor's cycle (time-stamp) counter (LLVM's readcyclecounter; 0 where none)."""
    sig = types.int64()

    def codegen(context, builder, signature, args):
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.IntType(64), []),
                                            "llvm.readcyclecounter")
        return builder.call(fn, [])

    return sig, codegen


@intrinsic
def _yield(typingctx):
    """``sched_yield()`` (POSIX; a pause elsewhere): let another thread run."""
    sig = types.void()

    def codegen(context, builder, signature, args):
        if _POSIX:
            fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.IntType(32), []), "sched_yield")
            builder.call(fn, [])
        elif _X86:
            fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), []),
                                                "llvm.x86.sse2.pause")
            builder.call(fn, [])
        return context.get_dummy_value()

    return sig, codegen


#: ``sync[1]`` when a thread other than the leading one failed (see the module's notes).
PARTNER_FAILED = 2


def new_sync() -> np.ndarray:
    """A fresh ``sync`` array for one run of the threads: a cache line of its own
    (every meeting writes it; nothing else should move with it between the cores)."""
    return aligned.zeros(aligned.CACHE_LINE // 8, dtype=np.int64)


@njit(cache=True, _nrt=False, fastmath=False)
def meet(sync, n_threads, p):
    """Arrive at barrier ``p`` (1, 2, ...) and wait for the other threads;
    False if the leading thread has left instead (then leave too).

    Once every thread has arrived the barrier is passed, even if the leading thread
    has left the loop since (it may, after a last meeting that needs no other): a
    thread that wakes late must still do its part of the work that follows."""
    _fetch_add(sync, 0, 1)
    target = p * n_threads
    start = _cycles()
    spins = 0
    while _load(sync, 0) < target:
        if _load(sync, 1) != 0:
            # the last arrival may have come between the two loads, and the leading
            # thread passed this barrier and left: passed then (the leader sets the
            # flag only after its own last meeting, so a second look settles it)
            return _load(sync, 0) >= target
        if spins < SPINS_BEFORE_YIELD and _cycles() - start < CYCLES_BEFORE_YIELD:
            _pause()
            spins += 1
        else:
            _yield()
    return True


@njit(cache=True, _nrt=False, fastmath=False)
def leave(sync):
    """The leading thread leaves the loop: release every thread waiting or about to wait."""
    _store(sync, 1, 1)


class Partners:
    """Calls run on threads beside the calling one (daemon threads named ``name-k``);
    :meth:`join` waits for them all and raises the first error any of them raised, so
    that a failure in another thread is never lost.  ``on_failure`` runs in the failing
    thread as soon as it fails (to release threads that wait for it)."""

    def __init__(self, calls, name: str, on_failure=None):
        self.failures: list[BaseException] = []

        def guarded(call) -> None:
            try:
                call()
            except BaseException as exc:  # raised in the caller's thread by join()
                self.failures.append(exc)
                if on_failure is not None:
                    on_failure()

        self.threads = [threading.Thread(target=guarded, args=(call,), name=f"{name}-{k}", daemon=True)
                        for k, call in enumerate(calls, start=1)]
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join()
        if self.failures:
            raise self.failures[0]


def run_on_threads(run, n_threads: int, sync: np.ndarray, args: tuple, name: str):
    """``run(tid, n_threads, sync, *args)`` on ``n_threads`` threads: this one leads (tid 0)
    and its result is returned; the others (tid 1 ..) run on threads called ``name-tid``.

    A compiled loop's threads meet at every step, so a thread that never arrives (its
    call failed before it started, say) would leave the others waiting forever: it marks
    ``sync`` instead (:data:`PARTNER_FAILED`), the leading thread leaves at its next
    meeting, and its error is raised here once every thread has ended."""
    call = _compiled_entry(run, (0, n_threads, sync, *args))

    def mark_failed() -> None:
        sync[1] = PARTNER_FAILED

    partners = Partners([functools.partial(call, tid, n_threads, sync, *args) for tid in range(1, n_threads)],
                        name, on_failure=mark_failed)
    try:
        result = call(0, n_threads, sync, *args)
    finally:
        leave(sync)  # the others stop waiting for the leading thread and leave the loop
        partners.join()
    return result


def _compiled_entry(run, args: tuple):
    """``run``'s compiled entry point for ``args`` when ``run`` is a numba dispatcher
    (or one with its first arguments bound by :func:`functools.partial`, as the
    cable's drivers are), compiled for their types first if need be; else ``run``.  Its types
    are resolved once, here, rather than by every thread at the same moment: numba's
    type resolution is not written for two threads resolving one dispatcher's
    arguments at once (caches in Python), and a thread that failed there would never
    reach its first meeting."""
    if isinstance(run, functools.partial) and not run.keywords:  # a driver bound to its membrane
        entry = _compiled_entry(run.func, (*run.args, *args))
        return run if entry is run.func else functools.partial(entry, *run.args)
    typeof, overloads = getattr(run, "typeof_pyval", None), getattr(run, "overloads", None)
    if typeof is None or overloads is None:
        return run
    try:
        signature = tuple(typeof(a) for a in args)
        found = overloads.get(signature)
        if found is None:  # a first call: compiled (or loaded from the cache) here, once
            run.compile(signature)
            found = overloads.get(signature)
    except Exception:  # a type numba cannot name, or no compiling here: the dispatcher decides
        return run
    return run if found is None else found.entry_point
