"""Keep the environment the session started with (:mod:`helpers.start_env`) for tests
that run a part of the suite in a fresh interpreter.  The shared helpers are the package
``tests/helpers``, importable everywhere through pytest's ``pythonpath`` setting
(pyproject.toml)."""

import helpers.start_env  # noqa: F401  (captures the environment now, before any test runs)


def pytest_collection_modifyitems(items):
    """The files holding a test marked ``slow`` first, each kept whole, the rest after in
    their order.  pytest-xdist hands tests out in this order, so the long ones start early
    and the last ones to finish are short: a worker is not left alone with a 40-second
    test while the other one waits (30 s of the suite's wall time from an empty cache)."""
    slow_files = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in slow_files)
