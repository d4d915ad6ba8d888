"""Forecast metrics by hand, the rolling-origin backtest's leakage guard and its interval coverage."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from forecast_frames import TZ, small_models, synthetic_frame

from enms import forecasts as fx


def test_mase_and_metrics_against_hand_computation() -> None:
    # season 2: |2-1|, |5-3|, |4-2| -> scale 5/3
    assert fx.seasonal_naive_scale([1, 3, 2, 5, 4], season=2) == pytest.approx(5 / 3)
    # a missing value drops its pairs: |5-3| only
    assert fx.seasonal_naive_scale([1, 3, np.nan, 5, np.nan], season=2) == pytest.approx(2.0)
    actual, predicted = [2.0, 4.0], [3.0, 1.0]  # errors ŷ - y: +1, -3
    assert fx.mase(actual, predicted, 5 / 3) == pytest.approx(2 / (5 / 3))  # MAE 2 -> 1.2
    m = fx.forecast_metrics(actual, predicted, [2.5, 0.0], [3.5, 5.0], scale=5 / 3)
    assert m["n"] == 2
    assert m["mae"] == pytest.approx(2.0)
    assert m["mase"] == pytest.approx(1.2)
    assert m["rmse"] == pytest.approx(math.sqrt(5))
    assert m["nrmse"] == pytest.approx(math.sqrt(5) / 3)
    assert m["bias_kwh"] == pytest.approx(-1.0)
    assert m["bias_pct"] == pytest.approx(-2 / 6 * 100)
    assert m["coverage"] == pytest.approx(0.5)  # 2 is outside [2.5, 3.5], 4 inside [0, 5]
    assert m["mape"] == pytest.approx((1 / 2 + 3 / 4) / 2 * 100)
    assert m["r2"] == pytest.approx(1 - 10 / 2)


def test_no_leakage_changing_future_actuals_leaves_backtest_forecasts_unchanged() -> None:
    frame = synthetic_frame()
    kwargs = {"backtest_days": 3, "calibration_days": 3, "week_origins": 1, "final": False}
    base = fx.backtest_series(frame, TZ, small_models(), **kwargs)
    cut = base["origins"]["day"][1]
    changed = frame.copy()
    later = changed["bucket"] >= cut
    changed.loc[later, "energy_kwh"] = changed.loc[later, "energy_kwh"] * 3 + 50
    other = fx.backtest_series(changed, TZ, small_models(), **kwargs)
    a, b = base["forecasts"], other["forecasts"]
    assert not base["info"]["gbm"]["failures"] and not base["info"]["sarimax"]["failures"]
    assert set(a["model_name"]) == set(fx.MODEL_NAMES)
    cols = ["model_name", "origin", "bucket", "step", "predicted_kwh", "lower_kwh", "upper_kwh"]
    for name in fx.MODEL_NAMES:
        before_a = a[(a["model_name"] == name) & (a["origin"] <= cut)][cols].reset_index(drop=True)
        before_b = b[(b["model_name"] == name) & (b["origin"] <= cut)][cols].reset_index(drop=True)
        assert len(before_a) > 0
        pd.testing.assert_frame_equal(before_a, before_b)
        # and the test can see a change: forecasts after the cut do move (a week-old lag has not seen it yet)
        if name != "snaive168":
            after_a = a[(a["model_name"] == name) & (a["origin"] > cut)]["predicted_kwh"].to_numpy()
            after_b = b[(b["model_name"] == name) & (b["origin"] > cut)]["predicted_kwh"].to_numpy()
            assert not np.allclose(after_a, after_b)


def test_interval_coverage_near_nominal_on_gaussian_noise() -> None:
    rng = np.random.default_rng(5)
    weeks = 14
    profile = np.where((np.arange(168) % 24 >= 8) & (np.arange(168) // 24 < 5), 60.0, 20.0)
    y = np.tile(profile, weeks) + rng.normal(0, 2.0, 168 * weeks)
    frame = pd.DataFrame({"bucket": pd.date_range("2026-01-05", periods=168 * weeks, freq="h", tz="UTC"),
                          "energy_kwh": y})
    res = fx.backtest_series(frame, "UTC", {"snaive168": lambda: fx.SeasonalNaiveForecaster(168)},
                             backtest_days=28, calibration_days=28, final=False)
    day = res["forecasts"][res["forecasts"]["in_day"]]
    m = fx.forecast_metrics(day["actual_kwh"], day["predicted_kwh"], day["lower_kwh"], day["upper_kwh"])
    assert m["n"] == 28 * 24
    assert 0.86 <= m["coverage"] <= 0.94
    # the residual of a seasonal naive forecast is e(t) - e(t-168): sd 2·√2, 90 % half-width 1.645·2·√2 ≈ 4.65
    half = ((day["upper_kwh"] - day["lower_kwh"]) / 2).median()
    assert 3.8 < half < 5.6
