"""The Panel page without a browser: sessions, exports and the notebook display wired to the controls."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

pytest.importorskip("panel")

from hhsim.explore.state import ExplorerState, StimulusPart  # noqa: E402


@pytest.fixture(scope="module")
def app():
    import hhsim

    return hhsim.explore("hh")


def test_session_save_and_load_set_every_control(app):
    state = ExplorerState(params=(("gNa", 90.0),), drugs=("tea=0.2mM",),
                          stimuli=(StimulusPart.make("pulses", amp=20.0, start=5.0, dur=0.5, period=10.0, count=3),),
                          t_stop=60.0)
    app._session_loaded(SimpleNamespace(new=json.dumps(state.to_dict()).encode()))
    assert app.state == state
    assert app.param_widgets["gNa"].value == 90.0 and app.tea.value == 0.2 and app.t_stop.value == 60.0
    assert app.stim_editors[0]["kind"].value == "pulses" and app.stim_editors[0]["inputs"]["count"].value == 3
    saved = ExplorerState.from_json(app._session_file().getvalue())
    assert saved == state
    # the trace on the page is the model built by hand through the library
    import hhsim
    from hhsim import analysis

    model = analysis.apply_drugs(hhsim.models.get("hh").with_params(gNa=90.0), [analysis.parse_drug("tea=0.2mM")])
    r = hhsim.simulate(model, hhsim.stim.pulses(20.0, 0.5, start=5.0, period=10.0, count=3), t_stop=60.0)
    assert list(app.traces.spike_times) == pytest.approx(list(r.spike_times), abs=1e-12)


def test_a_bad_session_shows_a_message_and_keeps_the_view(app):
    before = app.state
    app._session_loaded(SimpleNamespace(new=b'{"format": "something else"}'))
    assert app.message.visible and "not an hhsim explorer session" in app.message.object
    assert app.state == before


def test_exports_and_notebook_display(app):
    csv = app._csv_file().getvalue().splitlines()
    assert csv[0].startswith("t_ms,v_mV") and len(csv) == len(app.traces.result.t) + 1
    assert app._png_file().getvalue()[:4] == b"\x89PNG"
    bundle = app._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert any("bokeh" in k or "holoviews" in k or k == "text/html" for k in data)
