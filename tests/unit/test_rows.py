"""The write-back rows: energy_baselines (columns per seed-schema.md, fingerprints that make re-runs idempotent),
anomalies (event keys, the idempotent write plan), energy_forecasts and vintages, and the one DECIMAL check."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from anomaly_series import T0, H, frame_of, make_inputs, plant, reference_of
from forecast_frames import final_forecasts

from enms import anomalies as an
from enms import baselines as bl
from enms.io.warehouse.schema import DECIMALS, ENUMS
from enms.rows import (
    FORECAST_MODEL_VERSION,
    VINTAGE_COLUMNS,
    VINTAGE_KEY,
    anomaly_rows,
    baseline_rows,
    event_key,
    fit_decimal,
    forecast_rows,
    plan_write_back,
    vintage_rows,
)

MACHINE = "00000000-0000-0000-0000-0000000000a1"
SOURCES = pd.DataFrame({"energy_source_id": ["src-elec"], "name": ["electricity"]})


def fitted_model() -> tuple[bl.RegressionBaseline, pd.DataFrame]:
    rng = np.random.default_rng(3)
    days = pd.date_range("2025-01-01", periods=200, freq="D", tz="UTC")
    X = pd.DataFrame({"day_start": days, "day_end": days + pd.Timedelta(days=1),
                      "production": rng.uniform(100, 200, len(days)),
                      "outdoor_temp_c": rng.uniform(0, 25, len(days))})
    y = 50 + 2 * X["production"] + 3 * np.maximum(0, 16 - X["outdoor_temp_c"]) + rng.normal(0, 2, len(days))
    return bl.RegressionBaseline(drivers=["production", "hdd"]).fit(X, y), X


def candidates(r2_oos: float, active: bool) -> pd.DataFrame:
    return pd.DataFrame([{
        "machine_id": MACHINE, "machine_name": "Press", "energy_type": "electricity", "model": "regression_ols",
        "resolution": "daily", "selected": True, "is_active": active,
        "activation_reason": "" if active else "failed gates: ashrae14: CV(RMSE) 40.00 % > 30.00 %",
        "cv_rmse_in": 0.01, "cv_rmse_oos": 0.02, "cv_rmse_daily_oos": 0.02, "r2_oos": r2_oos, "rmse_oos": 4.1,
        "mae_oos": 3.2, "ashrae14_passed": active, "ashrae14_reason": "passed" if active else "CV(RMSE) too high",
        "ashrae14_figures": json.dumps({"cv_rmse": 0.02}),
    }])


def test_rows_follow_the_seed_schema_and_keep_every_figure_in_metadata():
    model, _ = fitted_model()
    rows = baseline_rows(candidates(0.95, True), {(MACHINE, "electricity", "regression_ols"): model}, SOURCES)
    row = rows.iloc[0]
    assert row["energy_source_id"] == "src-elec" and row["model_name"] == "regression_ols:electricity"
    assert row["model_type"] == "regression_ols" and row["is_active"]
    assert json.loads(row["coefficients"])["production"] == pytest.approx(2, abs=0.05)
    assert row["intercept"] == pytest.approx(50, abs=3)
    assert row["feature_names"] == ["production", "outdoor_temp_c"]
    assert row["training_start_date"] == pd.Timestamp("2025-01-01", tz="UTC")
    assert row["training_end_date"] == pd.Timestamp("2025-07-20", tz="UTC")  # half-open: last day + 1
    assert row["training_samples"] == 200 - model.n_outliers_
    metadata = json.loads(row["metadata"])
    assert metadata["gates"]["ashrae14"] == {"passed": True, "reason": "passed", "figures": {"cv_rmse": 0.02}}
    assert metadata["out_of_sample"]["cv_rmse"] == 0.02 and metadata["in_sample"]["cv_rmse"] == 0.01


def test_an_r_squared_beyond_decimal_5_4_is_stored_null_with_the_reason():
    model, _ = fitted_model()
    rows = baseline_rows(candidates(-12.5, False), {(MACHINE, "electricity", "regression_ols"): model}, SOURCES)
    row = rows.iloc[0]
    assert row["r_squared"] is None or np.isnan(row["r_squared"])
    assert "exceeds" in json.loads(row["metadata"])["decimal_notes"]["r_squared"]
    assert not row["is_active"]


def test_the_fingerprint_is_stable_for_the_same_fit_and_changes_with_it():
    model, X = fitted_model()
    models = {(MACHINE, "electricity", "regression_ols"): model}
    again = bl.RegressionBaseline(drivers=["production", "hdd"]).fit(X, model.predict(X) + 1.0)
    first = baseline_rows(candidates(0.95, True), models, SOURCES)["fingerprint"].item()
    assert baseline_rows(candidates(0.95, True), models, SOURCES)["fingerprint"].item() == first
    other = baseline_rows(candidates(0.95, True), {(MACHINE, "electricity", "regression_ols"): again}, SOURCES)
    assert other["fingerprint"].item() != first


def test_fit_decimal_limits():
    assert fit_decimal("energy_baselines", "rmse", 12.5) == (12.5, None)
    stored, reason = fit_decimal("energy_baselines", "rmse", 2e6)
    assert stored is None and "exceeds DECIMAL(12,6)" in reason
    stored, reason = fit_decimal("energy_baselines", "mae", float("nan"))
    assert stored is None and "not finite" in reason
    assert fit_decimal("energy_baselines", "intercept", None) == (None, None)


def test_fit_decimal_rounds_to_the_scale_and_checks_the_rounded_value():
    # DECIMAL(8,2) holds ±999,999.99: the database rounds first, so 999,999.994 fits and 999,999.996 does not.
    assert fit_decimal("anomalies", "deviation_percent", 11.111) == (11.11, None)
    assert fit_decimal("anomalies", "deviation_percent", -999_999.994) == (-999_999.99, None)
    assert fit_decimal("anomalies", "deviation_percent", 999_999.996)[0] is None
    assert fit_decimal("energy_forecasts", "r2", 0.87654) == (0.8765, None)
    assert fit_decimal("energy_forecasts", "mape", float("inf"))[1] == "inf is not finite"


# ------------------------------------------------------------------------------------------------ anomalies
def test_anomaly_rows_respect_the_decimal_limits():
    events = pd.DataFrame({
        "machine_id": ["m1", "m1"], "energy_type": ["electricity", "natural_gas"],
        "start": [T0, T0 + 5 * H], "end": [T0 + 3 * H, T0 + 9 * H],
        "anomaly_type": ["excess_consumption", "drift"], "severity": ["critical", "warning"],
        "metric_name": "energy_kwh", "metric_value": [30.0, 100.0], "expected_value": [1e-6, 90.0],
        "deviation_percent": [2_999_999_900.0, 11.111], "z": [1_234_567.0, 2.345], "peak_z": [2e6, 3.0],
        "confidence": [1.7, 0.123456], "detection_method": ["residual_zscore", "residual_cusum"],
        "wasted_kwh": [30.0, 10.0], "wasted_cost": [3.0, 0.43], "currency": ["USD", "USD"]})
    rows = anomaly_rows(events)
    assert rows["deviation_percent"].iloc[0] is None and rows["deviation_std_dev"].iloc[0] is None
    assert rows["deviation_percent"].iloc[1] == 11.11 and rows["deviation_std_dev"].iloc[1] == 2.35
    assert rows["confidence_score"].tolist() == [1.0, 0.1235]
    assert (rows["is_resolved"] == False).all()  # noqa: E712
    assert list(rows["detected_at"]) == [T0, T0 + 5 * H]
    meta = json.loads(rows["metadata"].iloc[0])
    assert any("deviation_percent" in r for r in meta["null_reasons"])
    assert any("deviation_std_dev" in r for r in meta["null_reasons"])
    assert meta["energy_type"] == "electricity" and meta["end"] == (T0 + 3 * H).isoformat()
    assert meta["wasted_kwh"] == 30.0 and meta["currency"] == "USD" and meta["event_key"] == rows["id"].iloc[0]
    assert "null_reasons" not in json.loads(rows["metadata"].iloc[1])


def test_event_key_is_stable_across_overlapping_windows_and_growth():
    inputs = make_inputs(days=70)
    spike = T0 + pd.Timedelta(days=50, hours=8)
    plant(inputs, "m1", spike, 4, 1.5)
    frame = frame_of(inputs)
    detector = an.ResidualZScore().fit(reference_of(frame))
    w1 = frame[frame["bucket"] < T0 + pd.Timedelta(days=55)]
    w2 = frame[frame["bucket"] >= T0 + pd.Timedelta(days=45)]  # overlapping window, later start
    r1, r2 = anomaly_rows(detector.detect(w1)), anomaly_rows(detector.detect(w2))
    assert len(r1) == len(r2) == 1 and r1["id"].iloc[0] == r2["id"].iloc[0]
    # the key ignores the end: the same event seen growing keeps its key
    key = event_key("m1", "electricity", "excess_consumption", "residual_zscore", spike)
    assert key == r1["id"].iloc[0]
    assert event_key("m1", "electricity", "excess_consumption", "residual_zscore", spike + H) != key


def test_plan_write_back_is_idempotent_updates_growing_events_and_never_touches_resolved_rows():
    def event(start_h, end_h, machine="m1"):
        return {"machine_id": machine, "energy_type": "electricity", "start": T0 + start_h * H,
                "end": T0 + end_h * H, "anomaly_type": "excess_consumption", "severity": "warning",
                "metric_name": "energy_kwh", "metric_value": 10.0, "expected_value": 8.0,
                "deviation_percent": 25.0, "z": 2.0, "peak_z": 4.0, "confidence": 0.5,
                "detection_method": "residual_zscore", "wasted_kwh": 2.0}

    first = anomaly_rows(pd.DataFrame([event(0, 4), event(10, 12, "m2")]))
    stored = first.assign(is_resolved=[False, True])
    # rerun of the same window: nothing new
    ins, upd, skip = plan_write_back(first, stored)
    assert ins.empty and upd.empty and len(skip) == 2
    # a later run: m1's event grew (same start → same key: update its end), m2's resolved one grew too (skip),
    # and a truncated view of m1's event from a window starting inside it matches by overlap (update, same id)
    later = anomaly_rows(pd.DataFrame([event(0, 9), event(10, 15, "m2")]))
    ins, upd, skip = plan_write_back(later, stored)
    assert ins.empty and len(upd) == 1 and len(skip) == 1
    assert upd["id"].iloc[0] == first["id"].iloc[0]
    assert json.loads(upd["metadata"].iloc[0])["end"] == (T0 + 9 * H).isoformat()
    truncated = anomaly_rows(pd.DataFrame([event(2, 11)]))
    ins, upd, _ = plan_write_back(truncated, stored)
    assert ins.empty and upd["id"].iloc[0] == first["id"].iloc[0]
    assert upd["detected_at"].iloc[0] == T0 and json.loads(upd["metadata"].iloc[0])["start"] == T0.isoformat()
    # a new event later on is inserted
    ins, upd, _ = plan_write_back(anomaly_rows(pd.DataFrame([event(30, 33)])), stored)
    assert len(ins) == 1 and upd.empty


# ------------------------------------------------------------------------------------------------ energy_forecasts
def test_forecast_rows_respect_decimal_limits_enum_and_one_energy_type_per_machine() -> None:
    f, metrics = final_forecasts()
    rows = forecast_rows(f, metrics, model_version="forecasts-test")
    assert set(rows["model_type"]) <= set(ENUMS["forecast_model_type"])
    assert set(rows["horizon"]) == set(ENUMS["forecast_horizon"])
    assert not rows.duplicated(["forecast_time", "machine_id", "model_type"]).any()
    assert len(rows) == 2 * 168  # one series per machine
    meta = rows["metadata"].map(json.loads)
    assert set(meta.map(lambda m: m["energy_type"])) == {"electricity"}
    boiler = rows[rows["machine_id"] == "boiler"]
    assert (boiler["model_type"] == "ARIMA").all()
    assert (meta[boiler.index].map(lambda m: m["model_name"]) == "sarimax").all()
    assert (rows.loc[rows["machine_id"] == "press", "model_type"] == "Other").all()
    # DECIMAL(10,3) / (5,2) / (5,4): rounded, out of range -> clipped (NOT NULL) or NULL with the reason
    assert rows["predicted_power_kw"].abs().max() <= 9_999_999.999
    assert boiler["predicted_power_kw"].iloc[0] == pytest.approx(12.346)
    first = rows[(rows["machine_id"] == "press") & (rows["forecast_time"] == f["origin"].iloc[0])].iloc[0]
    assert first["predicted_power_kw"] == pytest.approx(9_999_999.999)
    assert first["lower_bound_kw"] is None or pd.isna(first["lower_bound_kw"])
    assert first["upper_bound_kw"] is None or pd.isna(first["upper_bound_kw"])
    notes = json.loads(first["metadata"])["decimal_limits"]
    assert {"predicted_power_kw", "lower_bound_kw", "upper_bound_kw", "mape"} <= set(notes)
    press = rows[rows["machine_id"] == "press"]
    assert press["mape"].isna().all()
    assert (boiler["mape"] == 12.35).all()
    assert rows.loc[rows["horizon"] == "long", "r2"].isna().all()
    assert (rows.loc[rows["horizon"] != "long", "r2"] == 0.8765).all()
    assert (rows["confidence_level"] == 0.9).all()
    assert (rows["rmse"] == 1.235).all()  # DECIMAL(10,3), as 12-forecast-predictions.sql has it
    # horizon from the lead time
    lead = (rows["forecast_time"] - rows["forecasted_at"]) / pd.Timedelta(hours=1) + 1
    assert (rows.loc[lead <= 4, "horizon"] == "short").all()
    assert (rows.loc[(lead > 4) & (lead <= 24), "horizon"] == "medium").all()
    assert (rows.loc[lead > 24, "horizon"] == "long").all()


def test_forecast_rows_carry_the_enms_integer_model_version_and_our_version_in_metadata() -> None:
    """energy_forecasts.model_version is INTEGER DEFAULT 1 in the EnMS (we wrote 'enms-0.1.0' into it)."""
    f, metrics = final_forecasts()
    rows = forecast_rows(f, metrics, model_version="enms-0.1.0")
    assert rows["model_version"].tolist() == [FORECAST_MODEL_VERSION] * len(rows)
    assert FORECAST_MODEL_VERSION == 1
    assert {json.loads(m)["model_version"] for m in rows["metadata"]} == {"enms-0.1.0"}
    # what the EnMS's DECIMALs hold: confidence_level (5,2), rmse (10,3)
    assert DECIMALS["energy_forecasts"]["confidence_level"] == (5, 2)
    assert DECIMALS["energy_forecasts"]["rmse"] == (10, 3)


def test_forecast_rows_refuse_two_models_for_one_machine() -> None:
    f, metrics = final_forecasts()
    with pytest.raises(ValueError, match="more than one model"):
        forecast_rows(f.drop(columns="chosen"), metrics, model_version="v")


def test_vintage_rows_keep_every_series_and_model() -> None:
    f, _ = final_forecasts()
    v = vintage_rows(f)
    assert list(v.columns) == VINTAGE_COLUMNS
    assert len(v) == len(f)
    assert set(v["energy_type"]) == {"electricity", "natural_gas", "steam"}
    assert not v.duplicated(VINTAGE_KEY).any()
    assert len(vintage_rows(f, models="chosen")) == 4 * 168
