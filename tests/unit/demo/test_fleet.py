"""`enms demo --fleet N`: a small fleet through `simulate_fleet` (counts, zones, resolutions, the demo's tables
and dtypes, truth, determinism) and through the CLI into DuckDB."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from enms.cli import main
from enms.demo import DemoConfig, simulate
from enms.demo.fleet import TIME_SERIES, FleetConfig, batched, prefetched, simulate_fleet
from enms.io import connect

SMALL = FleetConfig(12, days=40)
ISO50001_SEED = {"seus", "energy_targets", "baseline_adjustments"}  # the demo's; the fleet has none


def collect(chunks) -> dict[str, pd.DataFrame]:
    frames: dict[str, list[pd.DataFrame]] = {}
    for table, frame in chunks:
        frames.setdefault(table, []).append(frame)
    return {table: pd.concat(parts, ignore_index=True) for table, parts in frames.items()}


@pytest.fixture(scope="module")
def fleet() -> dict[str, pd.DataFrame]:
    return collect(simulate_fleet(SMALL, progress=False))


@pytest.fixture(scope="module")
def demo() -> dict[str, pd.DataFrame]:
    return collect(simulate(DemoConfig(days=40, baseline_days=30, resolution="15min",
                                       machines=("Compressor-1", "Boiler-1", "HVAC-EU-North"))))


def test_factories_machines_and_zones(fleet):
    factories, machines = fleet["factories"], fleet["machines"]
    assert len(factories) == 2 and len(machines) == 12
    assert factories["timezone"].nunique() >= 2
    assert set(machines["factory_id"]) == set(factories["id"])
    assert not machines.duplicated(["factory_id", "name"]).any()
    assert {"compressor", "hvac", "motor", "pump", "injection_molding", "boiler"} <= set(machines["type"])
    assert fleet["energy_tariffs"]["factory_id"].nunique() == 2
    regions = {json.loads(m)["carbon_region"] for m in factories["metadata"]}
    assert regions <= set(fleet["carbon_factors"]["region"])


def test_resolutions_and_reading_spacing(fleet):
    machines = fleet["machines"].set_index("id")
    assert set(machines["data_interval_seconds"]) == {900, 3600}
    energy = fleet["energy_readings"]
    for machine_id, rows in energy[energy["energy_type"] == "electricity"].groupby("machine_id"):
        step = np.diff(rows["time"].to_numpy()).astype("timedelta64[s]").astype(np.int64)
        assert step.min() == machines.loc[machine_id, "data_interval_seconds"], machine_id


def test_the_demo_tables_with_their_columns_and_dtypes(fleet, demo):
    assert set(demo) - ISO50001_SEED == set(fleet)
    for table, frame in fleet.items():
        assert list(frame.columns) == list(demo[table].columns), table
        if frame.empty or demo[table].empty:
            continue
        dtypes = {c: str(t) for c, t in frame.dtypes.items()}
        assert dtypes == {c: str(t) for c, t in demo[table].dtypes.items()}, table
    assert (fleet["energy_readings"].groupby("machine_id")["energy_type"].nunique() == 3).sum() >= 1  # a boiler


def test_truth(fleet):
    faults, measures = fleet["enms_analytics.fault_truth"], fleet["enms_analytics.efficiency_measures"]
    assert (faults["extra_energy_kwh"] > 0).any()
    assert faults["fault_id"].is_unique
    assert set(faults["machine_id"]) <= set(fleet["machines"]["id"])
    assert len(measures) == 2 and (measures["saving_kwh"] > 0).all()
    assert measures["design_saving_fraction"].between(0.10, 0.20).all()
    assert not fleet["enms_analytics.outage_truth"].empty


def test_deterministic_and_machines_differ(fleet):
    again = collect(simulate_fleet(SMALL, progress=False))
    for table, frame in fleet.items():
        pd.testing.assert_frame_equal(frame, again[table], obj=table)
    power = fleet["energy_readings"].pivot_table(index="time", columns="machine_id", values="power_kw")
    compressors = fleet["machines"].query("type == 'compressor' and data_interval_seconds == 3600")["id"]
    a, b = power[compressors.iloc[0]], power[compressors.iloc[1]]
    assert not np.allclose(a.to_numpy(), b.to_numpy(), equal_nan=True)


def test_batched_and_prefetched_keep_the_rows_and_order(fleet):
    chunks = list(prefetched(batched(simulate_fleet(SMALL, progress=False), rows=50_000)))
    tables = [t for t, _ in chunks]
    assert tables.index("machines") < min(tables.index(t) for t in TIME_SERIES)
    assert max(i for i, t in enumerate(tables) if t in TIME_SERIES) < tables.index("machine_status")
    again = collect(chunks)
    for table in TIME_SERIES:
        assert len(again[table]) == len(fleet[table])


def test_cli_builds_a_fleet(tmp_path, capsys):
    out = tmp_path / "fleet.duckdb"
    assert main(["demo", "--fleet", "12", "--days", "40", "--out", str(out)]) == 0
    with connect(f"duckdb:{out}", read_only=True) as warehouse:
        assert warehouse.query("SELECT count(*) AS n FROM machines").at[0, "n"] == 12
    assert "fleet written to" in capsys.readouterr().out
    assert main(["demo", "--fleet", "12", "--days", "40", "--out", str(out)]) == 0
    assert "exists; pass --force" in capsys.readouterr().out
    assert main(["demo", "--fleet", "12"]) == 2
    assert "--fleet needs --out" in capsys.readouterr().err
