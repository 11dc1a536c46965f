"""Math as MathML, written into the page when it is built: no MathJax, nothing loaded at view time.

Sphinx renders ``math`` and ``displaymath`` nodes (reST roles, MyST ``$...$``) through a
*math renderer*; its default, MathJax, is a script fetched from a CDN.  Browsers render
MathML Core natively (Chromium 109+, Firefox, Safari), and docutils ships a LaTeX to MathML
converter, so this renderer converts each formula once, at build time.
"""

from __future__ import annotations

from docutils import nodes
from docutils.utils.math import latex2mathml
from sphinx.util.math import get_node_equation_number


def _mathml(latex: str, block: bool) -> str:
    try:
        return latex2mathml.tex2mathml(latex, as_block=block)
    except SyntaxError as exc:  # docutils' converter reports unsupported LaTeX this way
        raise ValueError(f"math the MathML converter cannot render: {latex!r} ({exc})") from exc


def visit_math(self, node) -> None:
    self.body.append(_mathml(node.astext(), block=False))
    raise nodes.SkipNode


def visit_displaymath(self, node) -> None:
    self.body.append(self.starttag(node, "div", CLASS="math-display"))
    if node.get("number"):
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})</span>')
    self.body.append(_mathml(node.astext(), block=True))
    self.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer("mathml", (visit_math, None), (visit_displaymath, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
