"""energy_baselines rows: columns per seed-schema.md, DECIMAL limits, fingerprints that make re-runs idempotent."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from enms import baselines as bl
from enms.publish import baseline_rows, fit_decimal

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
    notes: dict[str, str] = {}
    assert fit_decimal("rmse", 12.5, notes) == 12.5
    assert fit_decimal("rmse", 2e6, notes) is None and "rmse" in notes
    assert fit_decimal("mae", float("nan"), notes) is None and "not finite" in notes["mae"]
