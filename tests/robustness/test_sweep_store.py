"""Class 7 (issue 24): a sweep's zarr store is the same grid as its NetCDF output, consolidated,
and opens without a warning."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

xr = pytest.importorskip("xarray")
pytest.importorskip("zarr")

import hhsim  # noqa: E402
from hhsim.sweep import open_sweep  # noqa: E402

PARAMS = {"gNa": [80.0, 120.0, 160.0], "gK": [20.0, 36.0]}


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    d = tmp_path_factory.mktemp("store")
    store = d / "s.zarr"
    ds = hhsim.sweep("hh", PARAMS, ["n_spikes"], workers=0, store=store, chunk=2)
    return store, ds


def test_the_store_opens_as_the_grid_without_a_warning(swept):
    store, ds = swept
    assert (store / ".zmetadata").is_file()  # consolidated metadata
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opened = xr.open_zarr(store).load()
    assert opened["n_spikes"].dims == ds["n_spikes"].dims == ("gNa", "gK")
    for name, values in PARAMS.items():
        assert list(opened[name].values) == values
    np.testing.assert_array_equal(opened["n_spikes"].values, ds["n_spikes"].values)
    assert opened["status_n_spikes"].dtype == np.int8


def test_open_sweep_matches_the_returned_dataset(swept):
    store, ds = swept
    again = open_sweep(store)
    xr.testing.assert_equal(again[["n_spikes", "status_n_spikes"]], ds[["n_spikes", "status_n_spikes"]])
