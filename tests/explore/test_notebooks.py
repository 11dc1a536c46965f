"""The short course in examples/notebooks runs top to bottom (nbclient), and is stored without outputs.

Each notebook asserts its own physics (threshold all-or-none, type II firing, the TTX-resistant
current equal to gK n_inf^4 (V - EK), the 12.3 m/s wave, the Hopf point at 9.78 µA/cm², ...).
The explorer notebook is the Jupyter path of the explorer: it builds the app in a kernel.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

FOLDER = Path(__file__).resolve().parents[2] / "examples" / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))


#: A cell that draws: a plot method or function, pyplot, or an image shown with IPython.display.
DRAWS = re.compile(r"\.plot\(|\bplot_\w+\(|\bplt\.|\bImage\(")


def _images(cell) -> int:
    return sum(1 for o in cell.outputs if o.output_type in ("display_data", "execute_result")
               for mime in o.data if mime.startswith("image/"))


def _text(cell) -> str:
    """What the cell shows as text (an image's text/plain fallback is not shown)."""
    out = []
    for o in cell.outputs:
        data = o.get("data", {})
        out.append(o.get("text", "") if not data or any(m.startswith("image/") for m in data)
                   else str(data.get("text/plain", "")))
    return "".join(out)


def _run(path: Path):
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(FOLDER)}})
    client.execute()
    return nb


def test_notebooks_are_stored_without_outputs():
    assert len(NOTEBOOKS) >= 9
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{path.name} has outputs"


@pytest.mark.slow
def test_explorer_notebook_builds_the_app():
    nb = _run(FOLDER / "09_explorer.ipynb")
    shown = nb.cells[1].outputs
    bundle = next(o for o in shown if o.output_type in ("display_data", "execute_result"))
    assert any("bokeh" in k or "holoviews" in k or "panel" in k or k == "text/html" for k in bundle.data)
    printed = "".join(o.get("text", "") for o in nb.cells[3].outputs)
    assert "--set gNa=90.0" in printed and printed.startswith("1 spike(s)")


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.name != "09_explorer.ipynb"], ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path):
    nb = _run(path)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    code = [c for c in nb.cells if c.cell_type == "code"]
    # every cell that draws shows its figure as an image (not as the text "<Figure size ...>")
    blank = [i for i, c in enumerate(code) if DRAWS.search(c.source) and _images(c) == 0]
    assert blank == [], f"{path.name}: code cells {blank} draw a figure but show no image"
    shown = "".join(_text(c) for c in code)
    assert "<Figure size" not in shown
    # numbers print as plain numbers, progress bars without ipywidgets warnings
    assert "np.float64(" not in shown and "IProgress" not in shown
