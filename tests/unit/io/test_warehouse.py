"""The warehouse on DuckDB: schema, aggregates against hand-computed values, transactional loads, write-back,
errors. The ``warehouse`` fixture (the tiny plant loaded) is in conftest.py."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest
from plants import (
    BOILER_ID,
    PRESS_ID,
    START,
    anomaly_event,
    baseline_row,
    check_anomaly_publishing,
    check_baseline_publishing,
    check_forecast_publishing,
    forecast_frames,
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
        connect(None)


@pytest.mark.parametrize("blank", ["", "  ", "\t"])
def test_an_empty_warehouse_is_an_error_not_the_variable(monkeypatch, blank):
    """Only `env` (or None) means ENMS_DATABASE_URL: a blank parameter must not send a run to PostgreSQL."""
    monkeypatch.setenv("ENMS_DATABASE_URL", "postgresql://enms:secret@127.0.0.1:9/enms")
    with pytest.raises(WarehouseError) as raised:
        connect(blank)
    assert str(raised.value) == ("warehouse is empty: give a duckdb: path, a postgresql:// URL or env "
                                 "(which reads ENMS_DATABASE_URL)")


@pytest.mark.parametrize(("url", "port"), [
    ("postgresql://u@localhost:abc/db", "abc"),
    ("postgresql://u:pw@localhost:70000/db", "70000"),
    ("postgresql://u@[::1]:x1/db", "x1"),
    ("postgresql://u@h1:5432,h2:nope/db", "nope"),
])
def test_a_port_that_is_not_a_number_names_the_setting(url, port):
    with pytest.raises(WarehouseError) as raised:
        connect(url)
    message = str(raised.value)
    assert message.startswith(f"the port '{port}' in the PostgreSQL URL postgresql://u")
    assert "is not a number from 1 to 65535: write it as postgresql://user@host:5432/database" in message
    assert "pw" not in message.replace("postgresql://", "")


def test_a_multi_host_url_is_not_taken_for_a_bad_port():
    """libpq accepts h1:p1,h2:p2: both refuse here, so the error is the server's, not the port's."""
    with pytest.raises(WarehouseError, match=r"PostgreSQL at 127\.0\.0\.1:1,127\.0\.0\.1:9/enms did not answer"):
        connect("postgresql://enms@127.0.0.1:1,127.0.0.1:9/enms")


def test_a_failed_publish_leaves_no_table_written(warehouse):
    """The publish is one transaction: forecasts that cannot be written roll the baselines and anomalies back
    (DuckDB has no savepoints: the nested writes join the outer transaction)."""
    from enms.rows import anomaly_rows, plan_write_back

    rows, vintages = forecast_frames(0, 1, 3, kw=10.0)
    with pytest.raises(duckdb.ConversionException):
        warehouse.publish(pd.DataFrame([baseline_row("a", active=True)]), anomaly_rows(anomaly_event(10, 14)),
                          rows.assign(model_type="not an enum label"), vintages, plan_anomalies=plan_write_back)
    assert warehouse.read_baselines().empty and warehouse.read_anomalies().empty
    assert warehouse._count("enms_analytics.forecast_vintages") == 0
    written = warehouse.publish(pd.DataFrame([baseline_row("a", active=True)]), anomaly_rows(anomaly_event(10, 14)),
                                rows, vintages, plan_anomalies=plan_write_back)
    assert written["energy_baselines"]["inserted"] == 1 and written["anomalies"]["inserted"] == 1


@pytest.mark.parametrize("end", ["2026-03-02 14:00:00+00", "2026-03-02T14:00Z", "2026-03-02T16:00:00+02:00",
                                 "2026-03-02T14:00:00", "20260302T140000Z"])
def test_a_hand_edited_anomaly_end_in_another_iso_form_still_matches(warehouse, end):
    """Two stored events, the later one's end rewritten by hand: read back together, the two forms once broke
    every later publish (one format inferred for all)."""
    from enms.rows import anomaly_rows, plan_write_back

    def publish() -> dict[str, int]:
        events = pd.concat([anomaly_event(10, 14), anomaly_event(30, 38)], ignore_index=True)
        return warehouse.publish_anomalies(anomaly_rows(events), plan=plan_write_back)

    assert publish()["inserted"] == 2
    warehouse.execute("UPDATE anomalies SET metadata = json_merge_patch(metadata, json_object('end', %s)) "
                      "WHERE detected_at > %s", [end, START + pd.Timedelta(hours=20)])
    assert publish() == {"inserted": 0, "updated": 0, "unchanged": 2}
    assert len(warehouse.read_anomalies()) == 2


@pytest.mark.parametrize(("value", "problem"), [
    ("soon", "metadata.end 'soon' is not an ISO time"),
    (42, "metadata.end 42 is not an ISO time"),
    ("x", None),  # the whole metadata replaced by a JSON string
])
def test_an_anomaly_end_that_is_no_time_is_ignored_with_a_warning_naming_it(warehouse, value, problem):
    """Matched by its event key (its id), counted as ending where it starts: the next publish of the event
    rewrites the end, and publishing goes on."""
    from enms.rows import anomaly_rows, plan_write_back

    def publish() -> dict[str, int]:
        return warehouse.publish_anomalies(anomaly_rows(anomaly_event(10, 14)), plan=plan_write_back)

    publish()
    edited = warehouse.read_anomalies()["id"].item()
    if problem:
        warehouse.execute("UPDATE anomalies SET metadata = json_merge_patch(metadata, json_object('end', %s))",
                          [value])
    else:
        warehouse.execute("UPDATE anomalies SET metadata = to_json(%s)", [value])
        problem = 'metadata "x" is not a JSON object'
    with pytest.warns(UserWarning) as caught:
        assert publish() == {"inserted": 0, "updated": 1, "unchanged": 0}
    assert [str(w.message) for w in caught] == [
        f"anomaly {edited}: {problem}: ignored for matching (the row counts as ending at its detected_at); "
        "write it as e.g. 2025-10-03T14:00:00+00:00"]
    stored = warehouse.read_anomalies()
    assert stored["id"].tolist() == [edited]
    assert json.loads(stored["metadata"].item())["end"] == "2026-03-01T14:00:00+00:00"
    assert publish() == {"inserted": 0, "updated": 0, "unchanged": 1}


def test_a_resolved_anomaly_with_a_garbage_start_stays_as_people_left_it(warehouse):
    from enms.rows import anomaly_rows, plan_write_back

    def publish() -> dict[str, int]:
        return warehouse.publish_anomalies(anomaly_rows(anomaly_event(10, 14)), plan=plan_write_back)

    publish()
    warehouse.execute("UPDATE anomalies SET is_resolved = TRUE, "
                      "metadata = json_merge_patch(metadata, json_object('start', 'last tuesday'))")
    before = warehouse.read_anomalies()
    with pytest.warns(UserWarning, match=f"anomaly {before['id'].item()}: metadata.start 'last tuesday' is not"):
        assert publish() == {"inserted": 0, "updated": 0, "unchanged": 1}
    pd.testing.assert_frame_equal(warehouse.read_anomalies(), before)


def test_identifiers_with_quotes_round_trip(warehouse):
    """Table and column names are quoted (doubled quotes), never formatted in raw."""
    table, column = 'odd"table', "we'ird \"col\""
    warehouse.execute(f"CREATE TABLE {warehouse.ident(table)} (id INTEGER PRIMARY KEY, {warehouse.ident(column)} "
                      "VARCHAR)")
    assert warehouse.relation_exists(table) and warehouse.columns_of(table) == ["id", column]
    value = "x'); SELECT version(); --"
    with warehouse.transaction():
        warehouse.write_frame(table, pd.DataFrame({"id": [1], column: [value]}))
        warehouse.upsert_frame(table, pd.DataFrame({"id": [1, 2], column: ["y", value]}), ["id"])
    assert warehouse._count(table) == 2
    stored = warehouse.query(f"SELECT * FROM {warehouse.ident(table)} ORDER BY id")
    assert stored[column].tolist() == ["y", value]
    assert warehouse.literal("it's") == "'it''s'" and warehouse.ident("a.b") == '"a"."b"'


def test_an_energy_type_holding_sql_comes_back_as_data(warehouse):
    """Second-order injection: a value stored in the warehouse is bound wherever it is used again, never run."""
    evil = "x'); SELECT version(); --"
    hour = START + pd.Timedelta(hours=2)
    with warehouse.transaction():
        warehouse.write_frame("energy_readings", pd.DataFrame({
            "time": [hour], "machine_id": PRESS_ID, "energy_type": [evil], "power_kw": [1.0], "energy_kwh": [1.0]}))
    frame = warehouse.read_energy("1 hour", hour, hour + pd.Timedelta(hours=1), [PRESS_ID])
    assert frame["energy_type"].tolist() == [evil]
    rows, vintages = forecast_frames(0, 1, 3, kw=10.0)
    warehouse.publish_forecasts(rows, vintages.assign(energy_type=evil))
    stored = warehouse.query("SELECT DISTINCT energy_type FROM enms_analytics.forecast_vintages")
    assert stored["energy_type"].tolist() == [evil]


def test_a_bucket_width_outside_the_three_is_refused(warehouse):
    assert warehouse.bucket("1 hour") == "time_bucket(INTERVAL '1 hour', \"time\", 'UTC')"
    with pytest.raises(ValueError, match="bucket width \"1 hour'\" is not one of 1 day, 1 hour, 15 minutes"):
        warehouse.bucket("1 hour'")


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
