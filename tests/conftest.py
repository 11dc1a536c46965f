"""Make the shared test helpers in this folder (``_cli``) importable from every sub-folder,
and keep the environment the session started with (``_start_env``) for tests that run
a part of the suite in a fresh interpreter."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import _start_env  # noqa: E402,F401  (captures the environment now, before any test runs)
