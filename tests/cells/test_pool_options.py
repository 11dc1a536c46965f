"""Pools with an unclipped influx, a resting level of their own and a pump: a cell file
keeps them (write, read back: the same pool), and the model's resting state solves
their whole equation (a run from rest stays at rest)."""

from __future__ import annotations

import dataclasses

import numpy as np

import hhsim
from hhsim.cells import read_cell, write_cell


def _pumped():
    tc = hhsim.models.get("destexhe_tc")
    pool = dataclasses.replace(tc.pools[0], clip=False, rest=1e-4, pump_vmax=2e-4, pump_km=1e-4)
    return dataclasses.replace(tc, pools=(pool,))


def test_a_cell_file_keeps_the_pool_options(tmp_path):
    model = _pumped()
    path = tmp_path / "cell.toml"
    write_cell(model, path)
    back = read_cell(path).model
    assert back.pools == model.pools
    assert not back.pools[0].clip and back.pools[0].pump_vmax == 2e-4


def test_the_resting_state_is_at_rest_with_a_pump():
    """From the model's own resting state, with no stimulus, V and Ca_i stay where they
    start (a start from the plain pool formula would relax for tens of ms)."""
    r = hhsim.simulate(_pumped(), None, t_stop=100.0)
    ca = r.states["Ca_i"]
    assert np.max(np.abs(ca - ca[0])) < 1e-6 * ca[0]
    assert np.max(np.abs(r.v - r.v[0])) < 1e-5
