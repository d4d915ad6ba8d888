"""The warehouse on DuckDB: schema, aggregates against hand-computed values, transactional loads, write-back,
errors. The ``warehouse`` fixture (the tiny plant loaded) is in conftest.py."""

from __future__ import annotations

import pandas as pd
import pytest
from plants import (
    BOILER_ID,
    PRESS_ID,
    START,
    check_anomaly_publishing,
    check_baseline_publishing,
    check_forecast_publishing,
)

from enms.io import WarehouseError, connect


def test_init_schema_is_idempotent(warehouse):
    assert warehouse.init_schema() == []
    for view in ("energy_readings_15min", "energy_readings_1hour", "energy_readings_1day",
                 "production_data_1hour", "environmental_data_1hour"):
        assert "energy_type" in warehouse.columns_of(view) or not view.startswith("energy")


def test_15min_aggregate_equals_hand_computed(warehouse):
    frame = warehouse.read_energy("15 minutes", START, START + pd.Timedelta(hours=1), [PRESS_ID, BOILER_ID])
    press = frame[frame["machine_id"] == PRESS_ID].set_index("bucket")
    # 15 readings of 6 kW for 1 min each = 1.5 kWh, then 15 of 12 kW = 3 kWh; 'energy' counted as electricity.
    assert press["energy_type"].unique().tolist() == ["electricity"]
    assert press["total_energy_kwh"].tolist() == pytest.approx([1.5, 3.0])
    assert press["avg_power_kw"].tolist() == pytest.approx([6.0, 12.0])
    assert press["total_readings"].tolist() == [15, 15]
    boiler = frame[frame["machine_id"] == BOILER_ID]
    # Gas and electricity stay apart: never one summed "energy".
    assert sorted(boiler["energy_type"].unique()) == ["electricity", "natural_gas"]
    gas = boiler[boiler["energy_type"] == "natural_gas"]
    assert gas["total_energy_kwh"].tolist() == pytest.approx([15.0, 15.0])


def test_hourly_and_daily_buckets_are_utc_aligned(warehouse):
    hourly = warehouse.read_energy("1 hour", START, START + pd.Timedelta(hours=1), [PRESS_ID])
    assert hourly["bucket"].tolist() == [START]
    assert hourly["total_energy_kwh"].item() == pytest.approx(4.5)
    assert hourly["max_power_kw"].item() == 12.0
    daily = warehouse.query("SELECT bucket, sum(total_energy_kwh) AS kwh FROM energy_readings_1day GROUP BY 1")
    assert pd.Timestamp(daily["bucket"].item()).tz_convert("UTC") == START
    # 4.5 (press) + 30 min x 2 kW stored as 0.033333 kWh each + 30 kWh gas.
    assert daily["kwh"].item() == pytest.approx(4.5 + 30 * 0.033333 + 30.0)


def test_production_and_mode_history(warehouse):
    span = (START, START + pd.Timedelta(hours=1))
    production = warehouse.read_production_hourly(*span, [PRESS_ID])
    assert production["total_production_count"].item() == 60  # summed, never averaged
    assert production["total_downtime_seconds"].item() == 300
    modes = warehouse.read_mode_hourly(*span, [PRESS_ID])
    row = modes.iloc[0]
    assert (row["n_running"], row["n_idle"], row["n_maintenance"], row["total_readings"]) == (20, 5, 5, 30)
    assert row["dominant_mode"] == "running"
    environment = warehouse.read_environment_hourly(*span, [PRESS_ID])
    assert environment["avg_outdoor_temp_c"].item() == pytest.approx(10 + 2.9 / 2)


def test_a_failed_load_leaves_nothing_behind(warehouse):
    bad = pd.DataFrame({"time": [START], "machine_id": [PRESS_ID], "energy_type": ["steam"], "power_kw": [None]})
    before = warehouse.query("SELECT count(*) AS n FROM energy_readings").at[0, "n"]
    good = pd.DataFrame({"time": [START + pd.Timedelta(hours=5)], "machine_id": [PRESS_ID],
                         "energy_type": ["electricity"], "power_kw": [1.0]})
    with pytest.raises(WarehouseError, match=r"writing 1 rows to energy_readings failed: .*power_kw"):
        warehouse.load([("energy_readings", good), ("energy_readings", bad)], progress=lambda _: None)
    assert warehouse.query("SELECT count(*) AS n FROM energy_readings").at[0, "n"] == before


def test_missing_and_unreadable_files_are_clear_errors(tmp_path):
    with pytest.raises(WarehouseError, match="does not exist: build the demo plant"):
        connect(f"duckdb:{tmp_path / 'absent.duckdb'}")
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_text("not a database")
    with pytest.raises(WarehouseError, match="cannot open DuckDB warehouse file"):
        connect(f"duckdb:{garbage}")


def test_database_url_from_environment_is_never_silently_defaulted(monkeypatch):
    monkeypatch.setenv("ENMS_DATABASE_URL", "")
    with pytest.raises(WarehouseError, match="ENMS_DATABASE_URL is not set"):
        connect("env")
    with pytest.raises(WarehouseError, match="ENMS_DATABASE_URL is not set"):
        connect("")


def test_postgres_that_does_not_answer_is_a_clear_error():
    with pytest.raises(WarehouseError, match=r"PostgreSQL at 127\.0\.0\.1:9/enms did not answer"):
        connect("postgresql://enms:secret@127.0.0.1:9/enms")


def test_baseline_publishing_versions_and_activation(warehouse):
    check_baseline_publishing(warehouse)


def test_anomaly_publishing_is_idempotent_and_spares_resolved_rows(warehouse):
    check_anomaly_publishing(warehouse)


def test_forecast_publishing_keeps_the_newest_and_every_vintage(warehouse):
    check_forecast_publishing(warehouse)


def test_electrical_and_energy_read_as_electricity(warehouse):
    """'electrical' is the EnMS schema's default energy_type, 'energy' its older name: both are electricity."""
    hour = START + pd.Timedelta(hours=2)
    readings = pd.DataFrame({"time": [hour, hour + pd.Timedelta(minutes=30)], "machine_id": PRESS_ID,
                             "energy_type": ["electrical", "energy"], "power_kw": [4.0, 8.0],
                             "energy_kwh": [2.0, 4.0]})
    with warehouse.transaction():
        warehouse.write_frame("energy_readings", readings)
    frame = warehouse.read_energy("1 hour", hour, hour + pd.Timedelta(hours=1), [PRESS_ID])
    assert frame["energy_type"].tolist() == ["electricity"]
    assert frame["total_energy_kwh"].item() == pytest.approx(6.0)
    summary = warehouse.summary().set_index("what")["value"]
    assert summary["energy types of Press"] == "1"


def test_a_printed_url_masks_its_password_in_the_user_part_and_in_the_query():
    from enms.io.warehouse.connection import redact

    assert redact("postgresql://enms:s3cret@db:5432/enms") == "postgresql://enms:***@db:5432/enms"
    assert redact("postgresql://db/enms?user=enms&password=s3cret&sslmode=require") == (
        "postgresql://db/enms?user=enms&password=***&sslmode=require")
    assert redact("postgresql://db/enms?PASSWORD=s3cret") == "postgresql://db/enms?PASSWORD=***"
    assert redact("duckdb:data/enms.duckdb") == "duckdb:data/enms.duckdb"
