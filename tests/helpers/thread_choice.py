"""Faking the free cores a runner asks for before each compiled call, and recording
the threads it then used (the thread-choice tests of cables and networks)."""

from __future__ import annotations


def record_threads(monkeypatch, module, runner, method: str, free_cores) -> list[int]:
    """Make ``module.coupled_thread_count`` answer the values of ``free_cores`` in turn,
    and wrap ``runner.method`` (one compiled call) so that the runner's ``threads``
    after each call is appended to the list returned (filled as the run goes)."""
    free = iter(free_cores)
    monkeypatch.setattr(module, "coupled_thread_count", lambda: next(free))
    used: list[int] = []
    call = getattr(runner, method)

    def spy(self, *args):
        out = call(self, *args)
        used.append(self.threads)
        return out

    monkeypatch.setattr(runner, method, spy)
    return used
