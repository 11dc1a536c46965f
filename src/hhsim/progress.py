"""One progress bar for all long work: a tqdm bar on stderr, only on a terminal.

Every long-running part of hhsim (protocols, cables, networks, bifurcation
orbits, fits) asks this module for its bar, so they all behave alike: a bar
when stderr is a terminal, nothing on pipes, in files and in CI, nothing with
``progress=False`` (the commands' ``--quiet``) or ``$HHSIM_QUIET``.  In a
notebook tqdm's own front end draws it (``tqdm.auto``).
"""

from __future__ import annotations

import os
import sys


def enabled(progress: bool | None = None) -> bool:
    """Whether a bar is drawn: ``progress`` None = automatic (a terminal), False = never,
    True = on a terminal (never into a pipe or a file)."""
    if progress is False or os.environ.get("HHSIM_QUIET"):
        return False
    try:
        return bool(sys.stderr.isatty())
    except (AttributeError, ValueError, OSError):  # closed or replaced stderr
        return False


def bar(total=None, *, desc: str, unit: str, progress: bool | None = None, **options):
    """A tqdm bar of ``total`` ``unit``s named ``desc`` on stderr (disabled unless
    :func:`enabled`); ``options`` go to tqdm (``initial``, ``bar_format``, ...)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled(progress), leave=False,
                file=sys.stderr, dynamic_ncols=True, **options)
