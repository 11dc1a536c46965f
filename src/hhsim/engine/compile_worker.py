"""Compile a fixed kernel into the kernel cache in a separate process.

``python -m hhsim.engine.compile_worker dopri5`` compiles the Dormand-Prince
loop (:mod:`hhsim.engine.solvers.dopri5_driver`) for its one signature and
leaves it in the cache, so that a first run can compile its model's own
functions on one core while the model-independent loop compiles on another
(:func:`hhsim.engine.solvers.dopri5_driver.start_loop_compile`).  Nothing but
the names below is accepted.
"""

from __future__ import annotations

import sys


def _dopri5() -> None:
    from .solvers.dopri5_driver import compiled_loop

    compiled_loop()


#: What the worker can compile, by name.
KERNELS = {"dopri5": _dopri5}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in KERNELS:
        print(f"usage: python -m hhsim.engine.compile_worker {{{','.join(KERNELS)}}}", file=sys.stderr)
        return 2
    KERNELS[argv[0]]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
