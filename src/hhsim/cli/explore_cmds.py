"""``hhsim explore``: the interactive explorer in the browser."""

from __future__ import annotations

import click


@click.command("explore")
@click.option("--model", "model_name", default="hh", show_default=True, metavar="NAME",
              help="Preset model to start with (see `hhsim models`).")
@click.option("--port", type=click.IntRange(0, 65535), default=5006, show_default=True, metavar="N",
              help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser; print the address only.")
def explore_cmd(model_name, port, no_browser):
    """Explore a model in the browser: live traces, rates, clamp, protocols, propagation.

    The page is served on 127.0.0.1 only and loads nothing from the network.
    Stop with Ctrl-C.
    """
    from ..explore.server import serve

    serve(model_name, port=port, show=not no_browser)


def register(group: click.Group) -> None:
    group.add_command(explore_cmd)
