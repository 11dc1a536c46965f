"""Phase planes: equilibria of the reduced plane, the separatrix as a threshold."""

from __future__ import annotations

import numpy as np
import pytest

import hhsim
from hhsim.dynamics.phase_plane import phase_plane


def test_steady_reduction_keeps_the_full_equilibria():
    """With the other gates at x_inf(V), the planar equilibria are the model's own."""
    m = hhsim.models.get("wang_buzsaki")
    pp = phase_plane(m, "V,n", reduce="steady")
    full = hhsim.dynamics.equilibria_at(m, 0.0)["equilibria"]
    assert [round(e["x"], 8) for e in pp.equilibria] == [round(e["V_mV"], 8) for e in full]
    for e, g in zip(pp.equilibria, full):
        assert e["y"] == pytest.approx(g["state"]["n"], abs=1e-10)


def test_separatrix_is_the_threshold_of_the_reduced_model():
    """Starting just on either side of the separatrix: one side returns to rest, the other fires."""
    pp = phase_plane("wang_buzsaki", "V,n", reduce="rinzel")
    assert pp.separatrix is not None
    rest = next(e for e in pp.equilibria if e["stable"])
    sep = pp.separatrix
    # the separatrix point at the rest state's n, crossed horizontally
    k = np.argmin(np.abs(sep[:, 1] - rest["y"]) + 1e3 * (sep[:, 0] > -40))
    v_sep, n0 = sep[k]
    runs = phase_plane("wang_buzsaki", "V,n", reduce="rinzel", starts=[(v_sep - 0.5, n0), (v_sep + 0.5, n0)],
                       t_stop=60).trajectories
    assert runs[0][:, 0].max() < v_sep + 1.0  # below threshold: back to rest
    assert runs[1][:, 0].max() > 0.0  # above: a spike
