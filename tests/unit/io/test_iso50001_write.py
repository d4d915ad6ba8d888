"""The ISO 50001 write-back on DuckDB (issue 13): SEU models, EnPI baselines and performance, model monitoring and
the data-quality log written idempotently and transactionally, the SEUs created only on request, and the EnMS's
SEUs, adjustments, targets and our drift truth read back by the extract. tests/pg/test_iso50001_pg.py runs
:func:`check_iso50001_publishing` on the EnMS's own schema in PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from plants import ELECTRICITY_ID, FACTORY_ID, PRESS_ID, START, baseline_row

from enms.io import WarehouseError
from enms.io.extract import extract
from enms.io.products import load_frames, save_frames
from enms.rows import fit_decimal, plan_write_back

SEU_ID = "5e000000-0000-0000-0000-000000000001"
IDS = {name: f"{n:08d}-0000-0000-0000-0000000000{n:02d}" for n, name in enumerate(
    ("enpi_baseline", "january", "february", "metrics", "history", "alert", "quality"), start=1)}
TRAINED_AT = pd.Timestamp("2026-01-05 10:00", tz="UTC")


def seu_rows(seu_id: str = SEU_ID, machine_id: str = PRESS_ID, source_id: str = ELECTRICITY_ID) -> pd.DataFrame:
    """The rows `enms seus --create` passes to Writer.create_seus."""
    return pd.DataFrame([{"id": seu_id, "name": "Press electricity", "description": "the press's own meter",
                          "energy_source_id": source_id, "machine_ids": [machine_id], "baseline_year": 2025}])


def iso50001_frames(seu_id: str = SEU_ID, machine_id: str = PRESS_ID, source_id: str = ELECTRICITY_ID,
                    fingerprint: str = "a") -> dict[str, pd.DataFrame]:
    """One SEU's frames as enms.iso50001.run and enms.monitoring.run make them (display columns included), for a
    machine whose baseline of ``fingerprint`` is stored."""
    performance = pd.DataFrame({
        "id": [IDS["january"], IDS["february"]], "seu_id": seu_id,
        "baseline_id": IDS["enpi_baseline"], "baseline_year": 2025,
        "period_start": [date(2026, 1, 1), date(2026, 2, 1)], "period_end": [date(2026, 1, 31), date(2026, 2, 28)],
        "period_type": "monthly", "actual_energy_kwh": [110.0, 95.0], "actual_production_units": [300, 285],
        "actual_operating_hours": [40.0, 38.0], "actual_sec": [110 / 300, 95 / 285],
        "expected_energy_kwh": [100.0, 100.0], "expected_sec": [100 / 300, 100 / 285],
        "deviation_kwh": [10.0, -5.0], "deviation_percent": [10.0, -5.0],
        "cumulative_savings_kwh": [-10.0, -5.0], "cumulative_savings_usd": [-1.5, -0.75],
        "iso_status": ["critical", "on_track"], "compliance_notes": ["10 % above expected", None],
        "seu_name": "Press electricity", "uncertainty_pct": 4.0, "adjustment_factor": 1.0, "currency": "USD",
    })
    return {
        "seu_models": pd.DataFrame([{
            "id": seu_id, "name": "Press electricity", "energy_source_id": source_id, "machine_ids": [machine_id],
            "baseline_year": 2025, "baseline_start_date": date(2025, 1, 1), "baseline_end_date": date(2025, 12, 31),
            "regression_coefficients": json.dumps({"production": 0.5, "hdd": 1.25}), "intercept": 12.3456789,
            "feature_columns": ["production", "hdd"], "r_squared": 0.912345, "rmse": 3.21, "mae": 2.5,
            "trained_at": TRAINED_AT, "trained_by": "enms-analytics test", "energy_type": "electricity",
            "machine_names": ["Press"]}]),
        "enpi_baselines": pd.DataFrame([{
            "id": IDS["enpi_baseline"], "seu_id": seu_id, "baseline_year": 2025,
            "baseline_start_date": date(2025, 1, 1), "baseline_end_date": date(2025, 12, 31),
            "baseline_energy_kwh": 1200.5, "baseline_production_units": 3600, "baseline_operating_hours": 400.0,
            "baseline_sec": 1200.5 / 3600, "baseline_avg_temp_c": 11.5, "baseline_degree_days": 2100.0,
            "is_active": True, "notes": "daily ISO 50006 regression", "created_by": "enms-analytics test"}]),
        "enpi_performance": performance,
        "model_performance_metrics": pd.DataFrame([{
            "id": IDS["metrics"], "model_id": None, "model_fingerprint": fingerprint, "model_type": "baseline",
            "machine_id": machine_id, "model_version": None, "evaluation_date": TRAINED_AT,
            "evaluation_start": START, "evaluation_end": START + pd.Timedelta(days=30), "sample_count": 720,
            "metrics": json.dumps({"cv_rmse": 0.12, "nmbe": 0.01}), "r_squared": 0.85, "rmse": 1.2, "mae": 0.9,
            "drift_detected": False, "drift_score": 0.05, "drift_threshold": 0.1, "created_by": "enms-analytics test",
            "energy_type": "electricity"}]),
        "model_training_history": pd.DataFrame([{
            "id": IDS["history"], "model_id": None, "model_fingerprint": fingerprint, "model_type": "baseline",
            "machine_id": machine_id, "model_version": None, "training_start": TRAINED_AT,
            "training_end": TRAINED_AT + pd.Timedelta(seconds=3), "training_duration_seconds": 3,
            "training_status": "completed", "training_data_start": START - pd.Timedelta(days=365),
            "training_data_end": START, "training_samples": 8000, "feature_names": ["production", "outdoor_temp_c"],
            "trigger_type": "scheduled", "triggered_by": "enms-analytics test"}]),
        "model_alerts": pd.DataFrame([{
            "id": IDS["alert"], "alert_type": "drift_detected", "severity": "warning", "model_id": None,
            "model_fingerprint": fingerprint, "model_type": "baseline", "machine_id": machine_id,
            "model_version": None, "alert_timestamp": TRAINED_AT, "alert_message": "baseline drifts",
            "alert_details": json.dumps({"margin": 0.5}), "current_metric_value": 0.2, "threshold_value": 0.1,
            "baseline_metric_value": 0.08, "is_resolved": False}]),
        "data_quality_log": pd.DataFrame([{
            "id": IDS["quality"], "check_date": date(2026, 3, 1), "machine_id": machine_id,
            "missing_data_percent": 2.5, "outlier_count": 1, "correlation_score": None, "overall_score": 0.95,
            "issues": ["gap 01:00-02:00"]}]),
        # Display frames of the performance step: never written.
        "targets": pd.DataFrame([{"seu_id": seu_id, "target_year": 2026}]),
    }


def store_baseline(warehouse, machine_id: str = PRESS_ID, source_id: str = ELECTRICITY_ID,
                   fingerprint: str = "a") -> str:
    """Publish an active energy_baselines row of ``fingerprint``; returns its id."""
    row = {**baseline_row(fingerprint, active=True), "machine_id": machine_id, "energy_source_id": source_id}
    warehouse.publish_baselines(pd.DataFrame([row]))
    stored = warehouse.query("SELECT id::VARCHAR AS id FROM energy_baselines WHERE machine_id = CAST(%s AS UUID) "
                             "AND metadata->>'fingerprint' = %s", [machine_id, fingerprint])
    return stored.at[0, "id"]


def count(warehouse, table: str) -> int:
    return int(warehouse.query(f"SELECT count(*) AS n FROM {table}").at[0, "n"])


def check_iso50001_publishing(warehouse, seu_id: str, machine_id: str, source_id: str, folder: Path) -> None:
    """Every table written with the stored values the EnMS's types give, then a rerun adding nothing: on any
    dialect, for a stored SEU of ``machine_id``. The first publish takes the frames as the pipeline hands them on
    (saved to parquet in ``folder`` and read back: arrays, dates, nulls), the rerun the frames as made."""
    model_id = store_baseline(warehouse, machine_id, source_id)
    frames = iso50001_frames(seu_id, machine_id, source_id)
    save_frames(frames, folder)
    once = {"inserted": 1, "updated": 0, "unchanged": 0}
    assert warehouse.publish_iso50001(load_frames(folder)) == {
        "seus": {"inserted": 0, "updated": 1, "unchanged": 0}, "enpi_baselines": once,
        "enpi_performance": {"inserted": 2, "updated": 0, "unchanged": 0}, "model_performance_metrics": once,
        "model_training_history": once, "model_alerts": once, "data_quality_log": once}
    seu = warehouse.query(
        "SELECT baseline_year, baseline_start_date, baseline_end_date, intercept::FLOAT8 AS intercept, "
        "r_squared::FLOAT8 AS r2, rmse::FLOAT8 AS rmse, feature_columns, regression_coefficients::VARCHAR AS coef, "
        "trained_at, trained_by FROM seus WHERE id = CAST(%s AS UUID)", [seu_id]).iloc[0]
    # DECIMAL(15,6), (6,4): rounded as stored; dates are the local days, the end included.
    assert (seu["baseline_year"], seu["intercept"], seu["r2"], seu["rmse"]) == (2025, 12.345679, 0.9123, 3.21)
    assert pd.Timestamp(seu["baseline_end_date"]).date() == date(2025, 12, 31)
    assert list(seu["feature_columns"]) == ["production", "hdd"]
    assert json.loads(seu["coef"]) == {"production": 0.5, "hdd": 1.25}
    assert pd.Timestamp(seu["trained_at"]) == TRAINED_AT
    performance = warehouse.query(
        "SELECT baseline_id::VARCHAR AS baseline_id, actual_sec::FLOAT8 AS sec, iso_status FROM enpi_performance "
        "ORDER BY period_start")
    assert performance["baseline_id"].tolist() == [IDS["enpi_baseline"]] * 2
    assert performance["sec"].tolist() == [0.366667, 0.333333]  # DECIMAL(10,6) of 110/300 and 95/285
    assert performance["iso_status"].tolist() == ["critical", "on_track"]
    for table in ("model_performance_metrics", "model_training_history", "model_alerts"):
        stored = warehouse.query(f"SELECT model_id::VARCHAR AS model_id, model_version FROM {table}")
        assert (stored.at[0, "model_id"], int(stored.at[0, "model_version"])) == (model_id, 1), table
    quality = warehouse.query("SELECT missing_data_percent::FLOAT8 AS missing, issues FROM data_quality_log")
    assert quality.at[0, "missing"] == 2.5 and list(quality.at[0, "issues"]) == ["gap 01:00-02:00"]

    again = warehouse.publish_iso50001(frames)
    assert again["seus"] == {"inserted": 0, "updated": 0, "unchanged": 1}
    assert again["enpi_performance"] == {"inserted": 0, "updated": 0, "unchanged": 2}
    assert all(counts["inserted"] == counts["updated"] == 0 for counts in again.values()), again
    assert count(warehouse, "enpi_performance") == 2 and count(warehouse, "model_alerts") == 1


@pytest.fixture
def with_seu(warehouse):
    assert warehouse.create_seus(seu_rows()) == 1
    return warehouse


def test_create_seus_inserts_once(warehouse):
    assert warehouse.create_seus(seu_rows()) == 1
    assert warehouse.create_seus(seu_rows()) == 0
    seus = warehouse.read_seus()
    assert seus["id"].tolist() == [SEU_ID]
    assert seus.at[0, "machine_ids"] == [PRESS_ID]
    assert seus.at[0, "baseline_year"] == 2025 and seus.at[0, "baseline_start_date"] is None


def test_every_table_written_and_a_rerun_adds_nothing(with_seu, tmp_path):
    check_iso50001_publishing(with_seu, SEU_ID, PRESS_ID, ELECTRICITY_ID, tmp_path)


def test_publish_never_inserts_an_seu(warehouse):
    frames = {"seu_models": iso50001_frames()["seu_models"]}
    counts = warehouse.publish_iso50001(frames)
    assert counts["seus"]["skipped"] == 1 and counts["seus"]["updated"] == 0
    assert "enms seus --create" in counts["seus"]["reason"]
    assert count(warehouse, "seus") == 0


def test_a_changed_model_updates_the_seu_row(with_seu):
    frames = iso50001_frames()
    with_seu.publish_iso50001({"seu_models": frames["seu_models"]})
    changed = frames["seu_models"].assign(r_squared=0.8, feature_columns=[["production"]])
    assert with_seu.publish_iso50001({"seu_models": changed})["seus"] == {"inserted": 0, "updated": 1,
                                                                          "unchanged": 0}
    stored = with_seu.query("SELECT r_squared::FLOAT8 AS r2, feature_columns FROM seus").iloc[0]
    assert stored["r2"] == 0.8 and list(stored["feature_columns"]) == ["production"]


def test_a_resolved_alert_is_never_touched(with_seu):
    store_baseline(with_seu)
    frames = iso50001_frames()
    with_seu.publish_iso50001({"model_alerts": frames["model_alerts"]})
    with_seu.execute("UPDATE model_alerts SET is_resolved = TRUE, resolution_notes = 'retrained by hand'")
    louder = frames["model_alerts"].assign(alert_message="baseline drifts more", current_metric_value=0.4)
    counts = with_seu.publish_iso50001({"model_alerts": louder})
    assert counts["model_alerts"] == {"inserted": 0, "updated": 0, "unchanged": 1}
    stored = with_seu.query("SELECT is_resolved, resolution_notes, alert_message, "
                            "current_metric_value::FLOAT8 AS value FROM model_alerts").iloc[0]
    assert (bool(stored["is_resolved"]), stored["resolution_notes"]) == (True, "retrained by hand")
    assert (stored["alert_message"], stored["value"]) == ("baseline drifts", 0.2)


def test_baseline_id_is_the_enms_own_row(with_seu):
    """The EnMS made its own 2025 baseline for the SEU: ours updates that row (its id kept) and the performance
    rows name it."""
    enms_id = "eeeeeeee-0000-0000-0000-000000000001"
    with_seu.execute(
        "INSERT INTO enpi_baselines (id, seu_id, baseline_year, baseline_start_date, baseline_end_date, "
        "baseline_energy_kwh) VALUES (CAST(%s AS UUID), CAST(%s AS UUID), 2025, DATE '2025-01-01', "
        "DATE '2025-12-31', 999)", [enms_id, SEU_ID])
    frames = iso50001_frames()
    counts = with_seu.publish_iso50001({k: frames[k] for k in ("enpi_baselines", "enpi_performance")})
    assert counts["enpi_baselines"] == {"inserted": 0, "updated": 1, "unchanged": 0}
    baselines = with_seu.query("SELECT id::VARCHAR AS id, baseline_energy_kwh::FLOAT8 AS kwh FROM enpi_baselines")
    assert baselines.values.tolist() == [[enms_id, 1200.5]]
    performance = with_seu.query("SELECT DISTINCT baseline_id::VARCHAR AS id FROM enpi_performance")
    assert performance["id"].tolist() == [enms_id]


def test_a_day_checked_again_updates_its_quality_row(with_seu):
    frames = iso50001_frames()
    with_seu.publish_iso50001({"data_quality_log": frames["data_quality_log"]})
    rechecked = frames["data_quality_log"].assign(missing_data_percent=0.0, issues=[[]])
    counts = with_seu.publish_iso50001({"data_quality_log": rechecked})
    assert counts["data_quality_log"] == {"inserted": 0, "updated": 1, "unchanged": 0}
    stored = with_seu.query("SELECT missing_data_percent::FLOAT8 AS missing, issues FROM data_quality_log").iloc[0]
    assert stored["missing"] == 0.0 and list(stored["issues"]) == []


def test_monitoring_rows_without_a_stored_model_are_skipped(with_seu):
    frames = iso50001_frames(fingerprint="never-published")
    counts = with_seu.publish_iso50001({k: frames[k] for k in ("model_performance_metrics", "model_alerts")})
    assert counts["model_performance_metrics"]["skipped"] == 1
    assert counts["model_performance_metrics"]["inserted"] == 0
    assert "fingerprint" in counts["model_performance_metrics"]["reason"]
    # An alert is the operator's news even without its model: written, model_id NULL.
    assert counts["model_alerts"] == {"inserted": 1, "updated": 0, "unchanged": 0}
    assert with_seu.query("SELECT model_id FROM model_alerts")["model_id"].isna().all()


def test_a_table_the_enms_lacks_is_skipped(with_seu):
    store_baseline(with_seu)
    with_seu.execute("DROP TABLE model_alerts")
    counts = with_seu.publish_iso50001(iso50001_frames())
    assert counts["model_alerts"] == {"skipped": 1, "reason": "table absent"}
    assert counts["model_training_history"]["inserted"] == 1


def test_a_failure_inside_publish_leaves_none_of_the_rows(with_seu):
    """A quality row out of the EnMS's CHECK (missing 150 %) fails the whole publish: no baseline, no SEU model,
    no EnPI row lands."""
    frames = iso50001_frames()
    frames["data_quality_log"] = frames["data_quality_log"].assign(missing_data_percent=150.0)
    no_anomalies = pd.DataFrame(columns=["id", "machine_id", "detected_at", "anomaly_type", "severity",
                                         "metric_name", "metric_value", "expected_value", "deviation_percent",
                                         "deviation_std_dev", "detection_method", "confidence_score", "is_resolved",
                                         "metadata"])
    with pytest.raises(WarehouseError, match="data_quality_log"):
        with_seu.publish(pd.DataFrame([baseline_row("a", active=True)]), no_anomalies, pd.DataFrame(),
                         pd.DataFrame(), plan_anomalies=plan_write_back, iso50001=frames)
    assert count(with_seu, "energy_baselines") == count(with_seu, "enpi_baselines") == 0
    assert count(with_seu, "enpi_performance") == count(with_seu, "model_training_history") == 0
    assert with_seu.query("SELECT r_squared FROM seus")["r_squared"].isna().all()
    # The rollback took the staging table with it: the next publish on this connection works.
    assert with_seu.publish_iso50001({"enpi_baselines": frames["enpi_baselines"]})["enpi_baselines"]["inserted"] == 1


def test_publish_returns_the_iso50001_counts(with_seu):
    frames = iso50001_frames()
    no_anomalies = pd.DataFrame(columns=["id", "machine_id"])
    counts = with_seu.publish(pd.DataFrame([baseline_row("a", active=True)]), no_anomalies, pd.DataFrame(),
                              pd.DataFrame(), plan_anomalies=plan_write_back, iso50001=frames)
    assert counts["energy_baselines"]["inserted"] == 1
    # The monitoring rows found the baseline written by the same publish.
    assert counts["iso50001"]["model_performance_metrics"] == {"inserted": 1, "updated": 0, "unchanged": 0}


def test_fit_decimal_knows_the_new_columns():
    assert fit_decimal("seus", "r_squared", 0.912345) == (0.9123, None)
    assert fit_decimal("enpi_performance", "deviation_percent", 12345.0)[0] is None  # DECIMAL(6,2)
    assert fit_decimal("baseline_adjustments", "adjustment_factor", 1.23456) == (1.2346, None)  # DECIMAL(8,4)


def test_extract_reads_seus_adjustments_targets_and_drift_truth(with_seu):
    with_seu.execute(
        "INSERT INTO baseline_adjustments (id, seu_id, adjustment_date, adjustment_type, adjustment_reason, "
        "adjustment_factor, approved_by, approved_at) VALUES ('ad000000-0000-0000-0000-000000000001', "
        "CAST(%s AS UUID), DATE '2026-02-01', 'production_capacity_change', 'second shift', 1.2, 'energy manager', "
        "TIMESTAMPTZ '2026-01-20 09:00:00+00')", [SEU_ID])
    with_seu.execute(
        "INSERT INTO energy_targets (id, factory_id, target_type, target_year, target_description, "
        "target_reduction_percent, status, deadline) VALUES ('7a000000-0000-0000-0000-000000000001', "
        "CAST(%s AS UUID), 'factory', 2026, 'the plant 3 percent below 2025', 3, 'active', DATE '2026-12-31')",
        [FACTORY_ID])
    with_seu.execute(
        "INSERT INTO enms_analytics.drift_truth (drift_id, machine_id, machine_name, energy_type, start_time) "
        "VALUES (1, CAST(%s AS UUID), 'Press', 'electricity', TIMESTAMPTZ '2026-03-01 00:10:00+00')", [PRESS_ID])
    frames = extract(with_seu, now=pd.Timestamp("2026-03-02", tz="UTC"))
    assert frames["seus"]["machine_ids"].tolist() == [[PRESS_ID]]
    adjustment = frames["baseline_adjustments"].iloc[0]
    assert (adjustment["adjustment_date"], adjustment["adjustment_factor"]) == (date(2026, 2, 1), 1.2)
    assert adjustment["approved_at"] == pd.Timestamp("2026-01-20 09:00", tz="UTC")
    target = frames["energy_targets"].iloc[0]
    assert (target["target_reduction_percent"], target["deadline"]) == (3.0, date(2026, 12, 31))
    assert frames["drift_truth"]["start_time"].tolist() == [pd.Timestamp("2026-03-01 00:10", tz="UTC")]
    # The boiler alone: the press's SEU and its adjustment are left out; the factory's target stays.
    boiler = extract(with_seu, machines="Boiler", now=pd.Timestamp("2026-03-02", tz="UTC"))
    assert boiler["seus"].empty and boiler["baseline_adjustments"].empty and boiler["drift_truth"].empty
    assert len(boiler["energy_targets"]) == 1


def test_an_older_enms_without_the_tables_reads_empty_frames(warehouse):
    for table in ("energy_targets", "baseline_adjustments", "enpi_performance", "enpi_baselines", "seus"):
        warehouse.execute(f"DROP TABLE {table}")
    assert list(warehouse.read_seus().columns)[:3] == ["id", "name", "description"]
    assert warehouse.read_baseline_adjustments().empty and "adjustment_factor" in warehouse.read_baseline_adjustments()
    assert warehouse.read_energy_targets().empty and "deadline" in warehouse.read_energy_targets()
