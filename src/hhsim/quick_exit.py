"""A process of hhsim's own ends without the interpreter's last garbage collections.

numba's compiler leaves a large graph of Python objects behind (its typing
and lowering registries: about 190,000 objects the collector tracks after a
``hhsim run``).  When the interpreter shuts down it collects garbage over
them, which took
0.25-0.3 s of every ``hhsim`` command that ran a kernel (a warm ``hhsim run``
spent about a sixth of its wall time there) and of every compile worker,
whose parent waits for it to end.  :func:`install` makes the process freeze
the objects alive at exit (:func:`gc.freeze`) first, so those collections
skip them: the process ends in about 0.03 s.  Nothing else changes: exit
handlers, ``finally`` blocks and reference-count finalisers run as before;
only objects kept alive by reference cycles at exit are not collected, and
the operating system frees their memory with the process.

Installed by the command line (:mod:`hhsim.cli.main`) and the compile worker
(:mod:`hhsim.engine.compile_worker`) only, never by importing the library:
a user's own program keeps Python's usual shutdown.
"""

from __future__ import annotations

import atexit
import gc

_INSTALLED = False


def install() -> None:
    """Freeze the objects alive at exit before the interpreter's final collections (once per process)."""
    global _INSTALLED
    if not _INSTALLED:
        atexit.register(gc.freeze)
        _INSTALLED = True
