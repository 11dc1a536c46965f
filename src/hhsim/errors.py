"""One exception family for everything a user can get wrong.

Every error a user can cause derives from :class:`HHSimError`; the command
line prints its message on one line and exits with status 2.  Programming
errors (bugs) are *not* wrapped and keep their tracebacks.
"""

from __future__ import annotations


class HHSimError(ValueError):
    """Base class of all user-facing errors (bad input, unstable settings)."""


class ModelError(HHSimError):
    """Unknown model or channel, or a non-physical model parameter."""


class ParameterError(ModelError):
    """Unknown parameter name or a value outside what is accepted."""


class StimulusError(HHSimError):
    """Malformed stimulus specification, unknown keyword or unreadable file."""


class SolverError(HHSimError):
    """Unknown method, or a time step / duration that cannot be used."""


class DivergenceError(SolverError):
    """The numerical solution blew up (NaN/Inf or runaway voltage).

    Attributes
    ----------
    t_ms : float
        Simulation time (ms) at which the blow-up was detected.
    """

    def __init__(self, message: str, t_ms: float):
        super().__init__(message)
        self.t_ms = t_ms


class OutputError(HHSimError):
    """An output file cannot be written (bad suffix, missing directory, permissions)."""


class ProtocolError(HHSimError):
    """Bad protocol settings: an empty or reversed range, a non-positive duration ..."""


class SweepError(HHSimError):
    """Bad sweep settings: unknown parameter or measure, empty range, a store of
    another sweep, an unreachable scheduler, too many points for memory."""
