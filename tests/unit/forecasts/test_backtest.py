"""Forecast metrics by hand, the rolling-origin backtest's leakage guard and its interval coverage."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from forecast_frames import TZ, small_models, synthetic_frame

from enms import forecasts as fx
from enms.forecasts.backtest import selection_score


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


def test_selection_weighs_nrmse_with_mase_on_the_day_ahead_backtest() -> None:
    def row(series: str, name: str, mase: float, nrmse: float, kind: str = "day_ahead", n: int = 672) -> dict:
        return {"machine_id": series, "energy_type": "electricity", "model_name": name, "kind": kind, "n": n,
                "mase": mase, "nrmse": nrmse}

    metrics = pd.DataFrame([
        # a: snaive168 has the lowest MASE by 2 %, gbm a 12 % lower NRMSE -> scores 1.068 vs 1.02: gbm
        row("a", "snaive168", 0.80, 0.25), row("a", "gbm", 0.816, 0.22), row("a", "stl_ets", 0.90, 0.23),
        # b: best on both -> score 1; the week-ahead rows and a model short of hours do not count
        row("b", "sarimax", 0.50, 0.10), row("b", "gbm", 0.60, 0.12), row("b", "gbm", 0.1, 0.01, kind="week_ahead"),
        row("b", "stl_ets", 0.2, 0.05, n=600),
    ])
    sel = fx.select_models(metrics).set_index("machine_id")
    assert sel.loc["a", "model_name"] == "gbm"
    assert sel.loc["a", "score"] == pytest.approx((0.816 / 0.80 + 1.0) / 2)
    assert sel.loc["b", "model_name"] == "sarimax" and sel.loc["b", "score"] == pytest.approx(1.0)
    score = selection_score(pd.Series([0.8, 0.816, 0.9]), pd.Series([0.25, 0.22, 0.23]))
    assert score.tolist() == pytest.approx([(1 + 0.25 / 0.22) / 2, (1.02 + 1) / 2, (1.125 + 0.23 / 0.22) / 2])
    # without NRMSE the MASE ratio alone decides
    assert selection_score(pd.Series([0.8, 0.9]), pd.Series([np.nan, np.nan])).tolist() == pytest.approx(
        [1.0, 1.125])
