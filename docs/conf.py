"""Sphinx configuration of the hhsim documentation (``python3 tasks.py docs``).

Sphinx with the PyData theme, MyST Markdown pages and notebooks (myst-nb), the command
reference generated from the click commands (sphinx-click), the API from the docstrings
(autodoc, autosummary, napoleon) and a gallery of scripts run at build time
(sphinx-gallery).  Nothing is loaded from outside the machine when a page is viewed:
the theme's fonts and scripts are in ``_static``, formulas are MathML written at build
time (``_ext/hhsim_mathml.py``), and no widget or CDN script is added.

``HHSIM_DOCS_EXECUTE``: a comma-separated list of notebook names (e.g.
``02_threshold_all_or_none``) to execute, the others being rendered as stored (without
outputs); unset, every notebook is executed once and its outputs are kept in
``_build/.jupyter_cache`` until the notebook changes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
os.environ.setdefault("MPLBACKEND", "Agg")

import hhsim  # noqa: E402

project = "hhsim"
author = "the hhsim authors"
copyright = "the hhsim authors"
release = version = hhsim.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx_click",
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",
    "hhsim_mathml",
]
html_math_renderer = "mathml"

exclude_patterns = ["_build", "**.ipynb_checkpoints", "gallery/*.ipynb", "gallery/*.py", "gallery/*.zip",
                    "gallery_src/README.txt"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}

# --- MyST: Markdown pages and notebooks
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = "cache"
nb_execution_cache_path = str(HERE / "_build" / ".jupyter_cache")
nb_execution_timeout = 900
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_ipywidgets_js = {}  # the widget manager would come from a CDN; the course's figures are images
nb_merge_streams = True
_only = os.environ.get("HHSIM_DOCS_EXECUTE")
if _only is not None:
    _keep = {name.strip() for name in _only.split(",") if name.strip()}
    nb_execution_excludepatterns = [f"tutorials/notebooks/{p.stem}.ipynb"
                                    for p in sorted((HERE / "tutorials" / "notebooks").glob("*.ipynb"))
                                    if p.stem not in _keep]

# --- API reference from the docstrings
autosummary_generate = True
autodoc_typehints = "none"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": False}
napoleon_numpy_docstring = True
napoleon_google_docstring = True
add_module_names = False

# --- gallery: scripts run at build time (hhsim's figures are collected by _ext/hhsim_gallery_scraper.py)
sphinx_gallery_conf = {
    "examples_dirs": "gallery_src",
    "gallery_dirs": "gallery",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("hhsim_gallery_scraper",),
    "download_all_examples": False,
    "remove_config_comments": True,
    "backreferences_dir": None,
    "show_memory": False,
    "write_computation_times": False,
    "capture_repr": (),
    "reset_modules": (),
}

# --- HTML
html_theme = "pydata_sphinx_theme"
html_title = "hhsim"
html_static_path = ["_static"]
html_css_files = ["hhsim.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 8,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_sidebars = {"index": []}
html_show_sourcelink = False
html_copy_source = False
