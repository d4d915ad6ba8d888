"""Seasonal naive forecasts and the MASE scale on series with known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from forecast_frames import TZ, synthetic_frame

from enms import forecasts as fx


@pytest.mark.parametrize("season", [24, 168])
def test_seasonal_naive_is_exact_on_a_periodic_series(season: int) -> None:
    rng = np.random.default_rng(season)
    pattern = rng.uniform(5, 50, season)
    n = season * 5
    frame = pd.DataFrame({"bucket": pd.date_range("2026-01-05", periods=n, freq="h", tz="UTC"),
                          "energy_kwh": np.tile(pattern, 5)})
    model = fx.SeasonalNaiveForecaster(season).fit(frame)
    origin = frame["bucket"].iloc[-1] + pd.Timedelta(hours=1)
    horizon = 2 * season + 7
    pred = model.predict(origin, horizon)
    expected = pattern[np.arange(n, n + horizon) % season]
    np.testing.assert_allclose(pred["predicted_kwh"].to_numpy(), expected)
    assert pred["step"].tolist() == list(range(1, horizon + 1))
    assert pred["bucket"].iloc[0] == origin
    # an origin inside the history uses only the data before it (same answer on a periodic series)
    inner = frame["bucket"].iloc[n - season // 2]
    np.testing.assert_allclose(model.predict(inner, season)["predicted_kwh"].to_numpy(),
                               pattern[np.arange(n - season // 2, n + season // 2) % season])


def test_seasonal_naive_goes_back_a_season_over_missing_hours() -> None:
    y = np.tile(np.arange(24.0), 3)
    y[48 + 5] = np.nan  # the hour the next day's 05:00 would copy
    frame = pd.DataFrame({"bucket": pd.date_range("2026-01-05", periods=72, freq="h", tz="UTC"), "energy_kwh": y})
    pred = fx.SeasonalNaiveForecaster(24).fit(frame).predict(frame["bucket"].iloc[-1] + pd.Timedelta(hours=1), 24)
    np.testing.assert_allclose(pred["predicted_kwh"].to_numpy(), np.arange(24.0))


def test_default_mase_scale_is_the_168h_seasonal_naive() -> None:
    y = np.arange(400.0)
    assert fx.seasonal_naive_scale(y) == pytest.approx(168.0)
    assert math.isnan(fx.seasonal_naive_scale(y[:100]))


def test_sarimax_knows_the_weekday_without_a_plan() -> None:
    # shifts Mon-Fri 06-22 local, no mode history: the plan is constant, the weekly profile carries the week
    frame = synthetic_frame(days=70, noise=2.0).assign(plan_running=0.0, plan_idle=1.0)
    models = {"sarimax": lambda: fx.SARIMAXForecaster(fit_days=28)}
    res = fx.backtest_series(frame, TZ, models, backtest_days=21, calibration_days=14, week_origins=1, final=False)
    day = res["forecasts"][res["forecasts"]["in_day"]]
    m = fx.forecast_metrics(day["actual_kwh"], day["predicted_kwh"], scale=res["scale"])
    assert m["n"] == 21 * 24 and m["mase"] < 1.0  # 0.85; without the weekly term 4.4
    weekend = pd.DatetimeIndex(day["bucket"]).tz_convert(TZ).day_of_week >= 5
    assert day.loc[weekend, "predicted_kwh"].mean() < 20.0  # idle 10 kWh + heating, not a weekday's 40+
    summary = res["info"]["sarimax"]["summary"]
    assert summary["weekly_profile"] and "week_profile" in summary["exog"]
    # closure days planned offline (inferred without a mode history) tell nothing about the weekday: still weekly
    closed = frame["bucket"].dt.tz_convert(TZ).dt.date.isin(sorted(set(frame["bucket"].dt.tz_convert(TZ).dt.date))[::9])
    with_closures = frame.assign(plan_offline=closed.astype(float), plan_idle=(~closed).astype(float))
    assert fx.SARIMAXForecaster(fit_days=28, maxiter=20).fit(with_closures).summary()["weekly_profile"]
    # with a plan that varies, the plan carries the week and the model is as before
    planned = fx.SARIMAXForecaster(fit_days=28, maxiter=20).fit(synthetic_frame(days=30))
    assert not planned.summary()["weekly_profile"] and "week_profile" not in planned.summary()["exog"]
