"""The per-machine work of baselines, anomalies and forecasts on a Dask cluster (a LocalCluster of two worker
processes, as a real one would run it) gives the same rows as the local run."""

from __future__ import annotations

import pandas as pd
import pytest
from distributed import LocalCluster

from enms import anomalies, baselines, forecasts
from enms.io import load_frames

MACHINES = ("Compressor-1", "Compressor-EU-1")


def _of(frames: dict[str, pd.DataFrame], ids: set[str]) -> dict[str, pd.DataFrame]:
    """The frames restricted to the machines ``ids`` (those without a machine_id as they are)."""
    return {name: frame[frame["machine_id"].astype(str).isin(ids)].reset_index(drop=True)
            if "machine_id" in frame else frame for name, frame in frames.items()}


@pytest.fixture(scope="module")
def scheduler():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def products(test_products) -> dict[str, dict[str, pd.DataFrame]]:
    extract = load_frames(test_products / "extract")
    ids = set(extract["machines"].loc[extract["machines"]["machine_name"].isin(MACHINES), "machine_id"])
    return {step: _of(load_frames(test_products / step), ids) for step in ("extract", "quality")}


def test_baselines_anomalies_and_forecasts_on_a_dask_cluster_give_the_local_rows(products, scheduler):
    extract, quality = products["extract"], products["quality"]
    local = baselines.run(extract, quality, n_jobs=1)
    remote = baselines.run(extract, quality, scheduler=scheduler)
    assert len(local.fleet.candidates) >= 2 * 5
    pd.testing.assert_frame_equal(remote.fleet.candidates, local.fleet.candidates)
    pd.testing.assert_frame_equal(remote.fleet.expected_hourly, local.fleet.expected_hourly)

    expected = local.fleet.expected_hourly
    found = [anomalies.run(extract, quality, expected, local.fleet.status, scheduler=s) for s in ("", scheduler)]
    pd.testing.assert_frame_equal(found[1].incidents, found[0].incidents)
    assert len(found[0].incidents) > 0

    inputs = (extract["energy_hourly"], extract["machines"], extract["mode_hourly"], quality["temperature_hourly"])
    runs = [forecasts.run(*inputs, factories=extract["factories"], n_jobs=1, scheduler=s) for s in ("", scheduler)]
    pd.testing.assert_frame_equal(runs[1].metrics, runs[0].metrics)
    pd.testing.assert_frame_equal(runs[1].forecasts, runs[0].forecasts)
