"""Keep the environment the session started with (:mod:`helpers.start_env`) for tests
that run a part of the suite in a fresh interpreter.  The shared helpers are the package
``tests/helpers``, importable everywhere through pytest's ``pythonpath`` setting
(pyproject.toml)."""

import helpers.start_env  # noqa: F401  (captures the environment now, before any test runs)
