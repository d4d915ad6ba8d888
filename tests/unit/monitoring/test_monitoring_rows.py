"""The EnMS rows of monitoring on tiny frames: the data-quality log, detector metrics, drift alerts, stable ids."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from enms.iso50001.keys import row_id
from enms.monitoring import data_quality_log
from enms.monitoring.drift import DriftVerdict
from enms.monitoring.evaluate import BaselineCheck, evaluation_window
from enms.monitoring.metrics import baseline_metrics_row, detector_metrics_rows, drift_alert_row

M = "00000000-0000-0000-0000-000000000001"
UTC = "datetime64[us, UTC]"


def t(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def tiny() -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Two UTC days of one machine with one energy type: day 1 a 3 h gap and one partial hour, energy = 2 x
    production; day 2 a spike and constant production."""
    hours = pd.date_range(t("2026-03-01"), periods=48, freq="h").astype(UTC)
    production = np.where(np.arange(48) < 24, np.arange(48) % 24, 5)
    extract = {
        "machines": pd.DataFrame({"machine_id": [M], "timezone": ["UTC"], "energy_types": [["electricity"]]}),
        "window": pd.DataFrame({"start": [t("2026-03-01")], "end": [t("2026-03-03")]}),
        "energy_hourly": pd.DataFrame({"machine_id": M, "energy_type": "electricity", "bucket": hours,
                                       "total_energy_kwh": 2.0 * production}),
        "production_hourly": pd.DataFrame({"machine_id": M, "bucket": hours, "total_production_count": production}),
    }
    quality = {
        "gaps": pd.DataFrame({"machine_id": [M], "energy_type": ["electricity"], "gap_start": [t("2026-03-01 04:00")],
                              "gap_end": [t("2026-03-01 07:00")], "hours": [3]}),
        "unusable": pd.DataFrame({"bucket": [t("2026-03-01 07:00"), t("2026-03-02 10:00")], "machine_id": M,
                                  "energy_type": "electricity", "reason": ["partial hour", "spike"]}),
        "outliers": pd.DataFrame({"bucket": [t("2026-03-02 10:00")], "machine_id": [M],
                                  "energy_type": ["electricity"]}),
        "sufficiency": pd.DataFrame({"machine_id": [M], "energy_type": ["electricity"], "fittable": [False],
                                     "fit_reason": ["too short a history"]}),
    }
    return extract, quality


def test_data_quality_log_per_local_day() -> None:
    log = data_quality_log(*tiny())
    assert list(log["check_date"]) == [date(2026, 3, 1), date(2026, 3, 2)]
    day1, day2 = log.iloc[0], log.iloc[1]
    # 3 gap hours + 1 partial hour of 24 expected; score (1 - 4/24) - 0.1 (one kind of untrusted hour)
    assert day1["missing_data_percent"] == 16.67
    assert day1["overall_score"] == 0.73
    assert day1["issues"] == ["gap 3 h", "partial hours"]
    assert day1["correlation_score"] == 1.0
    # one spike: (1 - 1/24) - 0.1; production constant: no correlation; the last day carries the verdict
    assert day2["outlier_count"] == 1
    assert day2["overall_score"] == 0.86
    assert pd.isna(day2["correlation_score"])
    assert day2["issues"] == ["spike", "baseline not fittable: electricity: too short a history"]
    assert day1["id"] == row_id("data_quality_log", M, date(2026, 3, 1))
    assert data_quality_log(*tiny())["id"].tolist() == log["id"].tolist()  # a rerun: the same rows


def test_detector_metrics_against_truth() -> None:
    truth = pd.DataFrame({"machine_id": M, "energy_type": "electricity", "fault_type": "air_leak",
                          "start_time": [t("2026-03-01 00:00"), t("2026-03-05 00:00")],
                          "end_time": [t("2026-03-02 00:00"), t("2026-03-06 00:00")]})
    events = pd.DataFrame({"machine_id": M, "energy_type": "electricity",
                           "start": [t("2026-03-01 05:00"), t("2026-03-01 09:00"), t("2026-03-10 00:00")],
                           "end": [t("2026-03-01 06:00"), t("2026-03-01 10:00"), t("2026-03-10 02:00")]})
    rows = detector_metrics_rows({"residual_zscore": events}, truth, t("2026-03-01"), t("2026-04-01"))
    (row,) = rows
    # one of two faults found (twice), one detection overlapping no fault
    assert (row["true_positives"], row["false_negatives"], row["false_positives"]) == (1, 1, 1)
    assert row["precision_score"] == pytest.approx(0.6667)
    assert row["recall_score"] == 0.5
    assert row["f1_score"] == pytest.approx(0.5714)  # 2 x (2/3 x 1/2) / (2/3 + 1/2) = 4/7
    assert row["model_id"] == row_id("detector", M, "electricity", "residual_zscore")
    assert row["id"] == row_id("model_performance_metrics", row["model_id"], t("2026-03-01"), t("2026-04-01"))


def check(score: float) -> BaselineCheck:
    drift = {"machine_id": M, "machine_name": "Compressor-X", "energy_type": "electricity", "model": "towt",
             "validation_cv_rmse": 0.05, "recent_cv_rmse": 0.05 * score, "drift_score": score, "threshold": 1.5,
             "drifting": score > 1.5, "evaluation_start": t("2026-10-01"), "evaluation_end": t("2026-11-01"),
             "reason": "test"}
    figures = {"n": 700, "cv_rmse": 0.2, "nmbe": 0.01, "r2": 0.81234, "rmse": 3.5, "mae": 2.0, "mape": 12.345,
               "y_mean": 17.5}
    return BaselineCheck(drift, figures, "fp-1", "hourly", 744, DriftVerdict(0.05 * score, score, score > 1.5, ""))


def test_baseline_metrics_row_is_deterministic() -> None:
    row = baseline_metrics_row(check(2.0))
    assert row["id"] == row_id("model_performance_metrics", "fp-1", t("2026-10-01"), t("2026-11-01"))
    assert row["evaluation_date"] == t("2026-11-01")
    assert row["model_id"] is None and row["model_fingerprint"] == "fp-1"
    assert (row["r_squared"], row["mape"], row["drift_detected"], row["drift_threshold"]) == (0.8123, 12.35, True, 1.5)
    assert row["data_completeness"] == pytest.approx(0.9409)  # 700 of 744 hours


def test_drift_alert_severity_and_action() -> None:
    retrained = {"fingerprint": "fp-2", "training_start_date": t("2025-11-01"), "training_end_date": t("2026-11-01"),
                 "metadata": json.dumps({"in_sample": {"cv_rmse": 0.04}, "out_of_sample": {"cv_rmse": 0.05}})}
    warning, critical = drift_alert_row(check(2.0), retrained), drift_alert_row(check(3.5), retrained)
    assert (warning["severity"], critical["severity"]) == ("warning", "critical")
    assert warning["id"] == row_id("model_alerts", "fp-1", "drift_detected")
    assert warning["auto_action_taken"] and warning["auto_action_type"] == "auto_retrain"
    assert json.loads(warning["auto_action_result"])["retrained_fingerprint"] == "fp-2"
    assert "Compressor-X (electricity)" in warning["alert_message"]
    assert warning["threshold_value"] == 0.075  # 1.5 x the validation CV(RMSE) 0.05


def test_evaluation_window_is_the_last_complete_local_month() -> None:
    class S:  # the two attributes evaluation_window reads
        timezone = "Europe/Berlin"
        baseline_end = t("2026-09-27 22:00")

    start, end = evaluation_window(S(), t("2026-11-02 00:00"))  # 01:00 on 2 November in Berlin
    assert (start, end) == (t("2026-09-30 22:00"), t("2026-10-31 23:00"))  # October, CEST to CET
    S.baseline_end = t("2026-10-15 22:00")  # no complete month in the reporting period: its complete days
    assert evaluation_window(S(), t("2026-11-02 00:00")) == (t("2026-10-15 22:00"), t("2026-11-01 23:00"))
