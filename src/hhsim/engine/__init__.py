"""Lowering, code generation, solvers and drivers.

Importing the engine first settles where compiled code is cached (see
:mod:`hhsim.engine.cache`), before any ``cache=True`` function is defined.
"""

from . import cache as _cache

_cache.state()
