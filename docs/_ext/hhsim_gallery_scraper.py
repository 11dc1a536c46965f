"""sphinx-gallery image scraper for hhsim's figures.

hhsim draws with matplotlib's object API (``Figure`` + ``FigureCanvasAgg``, never pyplot),
so the stock matplotlib scraper, which asks pyplot for its open figures, sees none.  This
scraper saves every ``Figure`` that a gallery script's code block left in its namespace
and that was not saved before.
"""

from __future__ import annotations

_SEEN = "__hhsim_gallery_seen__"


def scrape_figures(block, block_vars, gallery_conf):
    from matplotlib.figure import Figure
    from sphinx_gallery.scrapers import figure_rst

    names = block_vars["example_globals"]
    seen = names.setdefault(_SEEN, set())
    paths = []
    for value in list(names.values()):
        if isinstance(value, Figure) and id(value) not in seen:
            seen.add(id(value))
            path = next(block_vars["image_path_iterator"])
            value.savefig(path, dpi=90)
            paths.append(path)
    return figure_rst(paths, gallery_conf["src_dir"])


def _get_sg_image_scraper():
    """The hook sphinx-gallery calls for a scraper named by its module."""
    return scrape_figures
