"""The explorer: hhsim in the browser and in Jupyter.

>>> import hhsim
>>> app = hhsim.explore("hh")        # doctest: +SKIP   (shows inline in a notebook)

``hhsim explore [--model NAME] [--port N] [--no-browser]`` serves the same
page on 127.0.0.1.  The physics is in :mod:`hhsim.explore.state` and
:mod:`hhsim.explore.experiments` (no web framework); :mod:`hhsim.explore.app`
is the Panel/Bokeh page.  Needs ``pip install 'hhsim[explore]'``.
"""

from __future__ import annotations

import sys
import types

from .state import ExplorerState, StimulusPart, compute, rate_curves


def explore(model: str = "hh", *, state: ExplorerState | None = None):
    """The explorer page on ``model`` (a preset name), or on a saved ``state``.

    In Jupyter the returned object displays itself inline; elsewhere call
    ``.servable()`` or use :func:`hhsim.explore.server.serve`.
    """
    from .. import models as _models
    from ..errors import HHSimError

    try:
        from .app import build
    except ImportError as exc:  # panel/bokeh missing
        raise HHSimError(f"the explorer needs Panel and Bokeh: pip install 'hhsim[explore]' ({exc})") from None
    _models.get(model)
    return build(model, state)


class _CallableModule(types.ModuleType):
    """``hhsim.explore`` is this package; calling it calls :func:`explore`."""

    def __call__(self, *args, **kwargs):
        return explore(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["explore", "ExplorerState", "StimulusPart", "compute", "rate_curves"]
