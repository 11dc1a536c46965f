"""Compile fixed kernels into the kernel cache in a separate process.

``python -m hhsim.engine.compile_worker dopri5`` compiles the Dormand-Prince
loop (:mod:`hhsim.engine.solvers.dopri5_driver`) for its one signature and
leaves it in the cache, so that a first run can compile its model's own
functions on one core while the model-independent loop compiles on another
(:func:`hhsim.engine.solvers.dopri5_driver.start_loop_compile`).
``python -m hhsim.engine.compile_worker network`` compiles parts of the
network loop (:func:`hhsim.engine.network_loop.start_parts_compile`) for the
argument types its parent writes, pickled, to its stdin (a pipe from the
process that started it: nothing is read from a file).  Nothing but the
names below is accepted.
"""

from __future__ import annotations

import sys

from .. import prebuilt_place, quick_exit


def _dopri5() -> None:
    from .background_compile import worth_starting
    from .solvers.dopri5_driver import _in_cache, compiled_loop, loop_parts

    # started early by the command line (hhsim.first_run), which could not look: two
    # cores free and the loop not in the cache, else nothing to do here
    if worth_starting(in_worker=True) and not _in_cache():
        compiled_loop()
        loop_parts(last_first=True)  # those the parent has not reached yet


def _network() -> None:
    import pickle

    from . import codegen  # noqa: F401  (its LLVM options, as in the parent)
    from .network_loop import compile_parts

    env, names = pickle.loads(sys.stdin.buffer.read())
    compile_parts(env, names)


#: What the worker can compile, by name.
KERNELS = {"dopri5": _dopri5, "network": _network}


def _die_with_parent() -> bool:
    """On Linux, ask for SIGKILL when the parent named in ``$HHSIM_WORKER_PARENT``
    (:func:`hhsim.prebuilt_place.worker_environment`) ends; False when it has ended
    already.  A worker only fills the cache, whose files numba writes by an atomic
    rename, so killing it at any point loses nothing; and it must never outlive its
    parent (a parent ended by a signal between starting it and waiting for it cannot
    stop it)."""
    import signal

    return prebuilt_place.follows_parent(prebuilt_place.WORKER_PARENT_ENV, signal.SIGKILL) is not False


def main(argv: list[str]) -> int:
    quick_exit.install()  # the parent waits for this process to end
    if not _die_with_parent():
        return 0
    if len(argv) != 1 or argv[0] not in KERNELS:
        print(f"usage: python -m hhsim.engine.compile_worker {{{','.join(KERNELS)}}}", file=sys.stderr)
        return 2
    KERNELS[argv[0]]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
