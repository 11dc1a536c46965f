"""One result base (issue 19, item 10): every result type shows itself the same way.

``repr()`` is one short line naming the type and its headline (never the
arrays); the notebook display is a titled table of the result's scalars with
its figure as an inline PNG when the type draws one.
"""

from __future__ import annotations

import numpy as np
import pytest

import hhsim
from hhsim import analysis
from hhsim.display import ShownResult


def _results():
    stim = hhsim.stim.step(10.0, start=2.0, dur=10.0)
    yield "Result", hhsim.simulate("hh", stim, t_stop=15.0), True
    yield "NoiseResult", hhsim.simulate("hh", stim, t_stop=15.0, noise="markov", area_um2=50.0, seed=1), True
    yield "BatchResult", hhsim.simulate_batch("hh", params={"gNa": np.linspace(100.0, 130.0, 50)}, t_stop=15.0), False
    yield "CableResult", hhsim.cable.simulate_cable(hhsim.cable.cable(500.0, 2.0), t_stop=5.0), True
    yield "ThresholdResult", analysis.rheobase("hh"), True
    yield "VClampResult", analysis.vclamp("hh", steps=[-40.0, 0.0]), True
    from hhsim.network import presets, simulate_network

    yield "NetworkResult", simulate_network(presets.chain(n=3, t_stop=30.0)), True


@pytest.fixture(scope="module")
def results():
    return list(_results())


def test_every_result_repr_is_one_short_line(results):
    for name, result, _ in results:
        assert isinstance(result, ShownResult), name
        text = repr(result)
        assert text.startswith(f"<{name} ") and text.endswith(">"), text
        assert "\n" not in text and len(text) < 200 and "array(" not in text, text


def test_every_result_notebook_display_is_a_table_with_its_figure(results):
    for name, result, draws in results:
        page = result._repr_html_()
        assert page.startswith("<div><b>") and "<table>" in page, name
        assert ("<img src='data:image/png;base64," in page) == draws, name
