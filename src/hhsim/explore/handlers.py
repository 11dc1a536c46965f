"""Button handlers of the explorer page, run where the page's document may be changed."""

from __future__ import annotations

import panel as pn


def locked(fn):
    """A button handler that runs on the server's next tick, under the document lock.

    Panel handles clicks in a coroutine without the lock, and the handlers of
    the page change Bokeh sources directly (faster than going through Panel
    objects).  In a notebook, or a test calling the handler directly, it runs
    at once.
    """
    def handler(event=None):
        doc = pn.state.curdoc
        if doc is not None and getattr(doc, "session_context", None) is not None:
            doc.add_next_tick_callback(lambda: fn(event))
        else:
            fn(event)
    return handler
