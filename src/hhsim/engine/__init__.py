"""Lowering, code generation, solvers and drivers.

Importing the engine first settles where compiled code is cached (see
:mod:`hhsim.engine.cache`), before any ``cache=True`` function is defined.
"""

from . import cache as _cache

_cache.state()

# a first compile says so on a terminal (hhsim.engine.compile_notice)
from . import compile_notice as _compile_notice  # noqa: E402

_compile_notice.install()
