"""Serving the explorer: a local Bokeh/Panel server bound to 127.0.0.1.

Every browser tab gets its own :class:`~hhsim.explore.app.Explorer`.  The
page's scripts and styles are served by this server itself
(``BOKEH_RESOURCES=server``), so the page works without a network and sends
no request off the machine.

Background jobs run in worker processes started with ``spawn``: a script
that calls :func:`serve` needs the usual ``if __name__ == "__main__":``
guard (the console command ``hhsim explore`` and notebooks have it).
"""

from __future__ import annotations

import os

from ..errors import HHSimError

DEFAULT_PORT = 5006
LOCALHOST = "127.0.0.1"


def serve(model: str = "hh", *, port: int = DEFAULT_PORT, address: str = LOCALHOST, show: bool = True,
          threaded: bool = False, state=None):
    """Serve the explorer on ``http://address:port/`` (blocking unless ``threaded``).

    Returns the server (``threaded=True``: a thread-like object with ``stop()``).
    ``port=0`` picks a free port (read it back from ``server.port``).
    """
    from .. import models as _models

    _models.get(model)  # an unknown model is refused before anything heavy is imported
    if not (isinstance(port, int) and 0 <= port <= 65535):
        raise HHSimError(f"--port must be a whole number from 0 to 65535 (got {port!r})")
    os.environ["BOKEH_RESOURCES"] = "server"  # scripts from this server, never from a CDN
    import panel as pn

    from .app import build

    def page():
        return build(model, state).servable()

    try:
        return pn.serve({"/": page}, port=port, address=address, show=show, threaded=threaded,
                        websocket_origin=[f"{LOCALHOST}:{port}", f"localhost:{port}"] if port else ["*"],
                        title="hhsim explorer", start=True, print_url=not threaded)
    except OSError as exc:
        raise HHSimError(f"cannot listen on {address}:{port}: {exc.strerror or exc}; try another --port") from None
