"""The environment the test session started with (imported first by tests/conftest.py),
for tests that run a part of the suite in a fresh interpreter."""

import os

START_ENV = dict(os.environ)
