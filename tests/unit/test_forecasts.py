"""Unit tests of enms.forecasts on small synthetic frames with known answers."""

from __future__ import annotations

import inspect
import json
import math

import numpy as np
import pandas as pd
import pytest

from enms import forecasts as fx
from enms.features import local_calendar

TZ = "Europe/Berlin"


def synthetic_frame(days: int = 63, *, start: str = "2026-08-24", tz: str = TZ, noise: float = 1.0,
                    seed: int = 0) -> pd.DataFrame:
    """Hourly series of one machine: 10 kWh idle, +30 kWh in shifts (Mon-Fri 06-22 local), heating below 18 °C,
    Gaussian noise; the exogenous columns of enms.forecasts. Spans the October DST change in Berlin."""
    rng = np.random.default_rng(seed)
    buckets = pd.Series(pd.date_range(start, periods=days * 24, freq="h", tz="UTC"))
    cal = local_calendar(buckets, tz)
    run = ((cal["weekday"] < 5) & (cal["hour"] >= 6) & (cal["hour"] < 22)).to_numpy(dtype=float)
    t = np.arange(len(buckets))
    temp = 14 + 5 * np.sin(2 * np.pi * (cal["hour"].to_numpy() - 9) / 24) - t / 400 + rng.normal(0, 0.5, len(t))
    y = 10 + 30 * run + 0.8 * np.maximum(0, 18 - temp) + rng.normal(0, noise, len(t))
    return pd.DataFrame({
        "bucket": buckets, "energy_kwh": y, "hour": cal["hour"].to_numpy(), "weekday": cal["weekday"].to_numpy(),
        "plan_running": run, "plan_idle": 1 - run, "plan_maintenance": 0.0, "plan_offline": 0.0,
        "outdoor_temp_c": temp,
    })


def small_models() -> dict:
    """All five model families, sized for a unit test."""
    return {
        "snaive24": lambda: fx.SeasonalNaiveForecaster(24),
        "snaive168": lambda: fx.SeasonalNaiveForecaster(168),
        "stl_ets": lambda: fx.STLETSForecaster(window_weeks=3),
        "sarimax": lambda: fx.SARIMAXForecaster(fit_days=14, maxiter=15),
        "gbm": lambda: fx.GradientBoostingForecaster(max_iter=30, train_days=60),
    }


# ------------------------------------------------------------------------------------------------ seasonal naive
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


# ------------------------------------------------------------------------------------------------ metrics
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


def test_default_mase_scale_is_the_168h_seasonal_naive() -> None:
    y = np.arange(400.0)
    assert fx.seasonal_naive_scale(y) == pytest.approx(168.0)
    assert math.isnan(fx.seasonal_naive_scale(y[:100]))


# ------------------------------------------------------------------------------------------------ leakage
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


def test_predict_refuses_an_origin_the_parameters_have_seen() -> None:
    frame = synthetic_frame(days=30)
    model = fx.GradientBoostingForecaster(max_iter=10, train_days=30).fit(frame)
    exog = frame[["bucket", *fx.EXOG_COLUMNS]]
    with pytest.raises(ValueError, match="before the end of the fitting data"):
        model.predict(frame["bucket"].iloc[-48], 24, exog)


def test_gbm_lags_never_reach_the_origin_across_dst() -> None:
    frame = synthetic_frame(days=63)
    grid = fx._to_grid(frame)
    n = grid.n
    o = np.full(168, n - 200)
    h = np.arange(168)
    off = fx._utc_offsets(grid.exog["hour"], grid.t0)
    assert set(np.unique(off)) == {1, 2}  # CEST and CET both in the frame
    for k in (np.full(168, 168), np.full(168, 336), 24 * (h // 24 + 1)):
        q = fx._local_lag(o + h, k, off, o)
        assert np.all(q < o)
        ok = q >= 0
        # same local wall-clock hour as the target
        assert np.all(grid.exog["hour"][q[ok]] == grid.exog["hour"][(o + h)[ok]])


# ------------------------------------------------------------------------------------------------ intervals
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


def test_residual_intervals_quantiles_and_pooling() -> None:
    rng = np.random.default_rng(1)
    rec = fx.ResidualIntervals(calibration_days=28, min_residuals=30, horizon_edges=(0, 24))
    t0 = pd.Timestamp("2026-03-02", tz="UTC")
    n = 24 * 20
    y = np.zeros(n)
    for d in range(19):
        origin = t0 + pd.Timedelta(days=d)
        buckets = fx._ns(origin) + np.arange(24, dtype=np.int64) * 3_600_000_000_000
        rec.add(origin, buckets, np.arange(24), rng.normal(0, 1, 24), np.zeros(24, dtype=np.int64))
    rec.score(fx._ns(t0), y)
    origin = t0 + pd.Timedelta(days=19)
    lower, upper = rec.bounds(origin, np.arange(24), np.ones(24, dtype=np.int64), np.full(24, 10.0))
    # state 1 has no residual: pooled over the states; residual y - ŷ ~ N(0, 1): 456 residuals, split-conformal
    # ranks 22 and 435 (levels 0.048 and 0.954): bounds near 10 ± 1.68
    assert len(set(lower)) == 1 and len(set(upper)) == 1
    assert abs(lower[0] - (10 - 1.68)) < 0.3
    assert abs(upper[0] - (10 + 1.68)) < 0.3
    # nothing recorded after the origin is used: an origin at t0 has no residual
    lo, hi = rec.bounds(t0, np.arange(3), np.zeros(3, dtype=np.int64), np.ones(3))
    assert np.isnan(lo).all() and np.isnan(hi).all()


# ------------------------------------------------------------------------------------------------ schedule
def mode_frame() -> pd.DataFrame:
    b = pd.date_range("2026-10-05", periods=4, freq="h", tz="UTC")
    return pd.DataFrame({
        "bucket": b, "machine_id": "m1",
        "n_running": [60, 20, 0, 0], "n_idle": [0, 10, 0, 0], "n_maintenance": [0, 0, 60, 0],
        "n_fault": [0, 30, 0, 0], "n_offline": [0, 0, 0, 60], "total_readings": 60, "dominant_mode": "running",
    })


def test_planned_schedule_turns_fault_into_running() -> None:
    s = fx.planned_schedule(mode_frame())
    assert s["plan_running"].tolist() == [1.0, 50 / 60, 0.0, 0.0]
    assert s["plan_idle"].tolist() == [0.0, 10 / 60, 0.0, 0.0]
    assert s["plan_maintenance"].tolist() == [0.0, 0.0, 1.0, 0.0]
    assert s["plan_offline"].tolist() == [0.0, 0.0, 0.0, 1.0]
    assert "fault" not in " ".join(s.columns)
    np.testing.assert_allclose(s[list(fx.PLAN_COLUMNS)].sum(axis=1), 1.0)


def test_planned_schedule_never_reads_production() -> None:
    assert list(inspect.signature(fx.planned_schedule).parameters) == ["mode_hourly"]
    m = mode_frame()
    with_prod = m.assign(total_production_count=[100, 0, 5, 7], production=[1, 2, 3, 4])
    changed = with_prod.assign(total_production_count=[0, 999, 0, 0], production=[9, 9, 9, 9])
    pd.testing.assert_frame_equal(fx.planned_schedule(with_prod), fx.planned_schedule(changed))
    production_hourly = pd.DataFrame({"bucket": m["bucket"], "machine_id": "m1", "total_production_count": 5})
    with pytest.raises(ValueError, match="n_running"):
        fx.planned_schedule(production_hourly)


def test_typical_schedule_repeats_the_shift_pattern_and_closes_holidays() -> None:
    frame = synthetic_frame(days=35, start="2026-09-07")
    sched = frame[["bucket", *fx.PLAN_COLUMNS]].assign(machine_id="m1")
    machines = pd.DataFrame({"machine_id": ["m1"], "factory_id": ["f1"], "timezone": [TZ]})
    start = frame["bucket"].iloc[-1] + pd.Timedelta(hours=1)
    end = start + pd.Timedelta(days=7)
    holiday = (start + pd.Timedelta(days=2)).tz_convert(TZ).date()
    plan = fx.typical_schedule(sched, machines, start, end, holidays={"f1": [holiday]})
    assert len(plan) == 168
    cal = local_calendar(plan["bucket"], TZ)
    on_day = (cal["date"].dt.date == holiday).to_numpy()
    assert (plan.loc[on_day, "plan_offline"] == 1).all() and (plan.loc[on_day, "plan_source"] == "holiday").all()
    shift = ((cal["weekday"] < 5) & (cal["hour"] >= 6) & (cal["hour"] < 22)).to_numpy()
    np.testing.assert_allclose(plan.loc[~on_day, "plan_running"], shift[~on_day].astype(float))
    temp = frame[["bucket", "outdoor_temp_c"]].assign(machine_id="m1").rename(
        columns={"outdoor_temp_c": "avg_outdoor_temp_c"})
    out = fx.temperature_outlook(temp, machines, start, end, days=7)
    assert len(out) == 168 and out["outdoor_temp_c"].notna().all()


# ------------------------------------------------------------------------------------------------ write-back rows
def final_forecasts() -> tuple[pd.DataFrame, pd.DataFrame]:
    origin = pd.Timestamp("2026-11-02", tz="UTC")
    rows = []
    for mid, types in (("boiler", ("electricity", "natural_gas", "steam")), ("press", ("electricity",))):
        for etype in types:
            for name in ("sarimax", "gbm"):
                for step in range(1, 169):
                    rows.append({"machine_id": mid, "energy_type": etype, "model_name": name, "origin": origin,
                                 "bucket": origin + pd.Timedelta(hours=step - 1), "step": step,
                                 "predicted_kwh": 12.34567, "lower_kwh": 10.0, "upper_kwh": 15.0,
                                 "chosen": name == ("sarimax" if mid == "boiler" else "gbm"),
                                 "training_samples": 1000})
    f = pd.DataFrame(rows)
    big = (f["machine_id"] == "press") & (f["step"] == 1)
    f.loc[big, ["predicted_kwh", "lower_kwh", "upper_kwh"]] = [2e7, 1e8, np.inf]
    metrics = []
    for mid, types in (("boiler", ("electricity", "natural_gas", "steam")), ("press", ("electricity",))):
        for etype in types:
            for name in ("sarimax", "gbm"):
                for kind in ("day_ahead", "week_ahead"):
                    metrics.append({"machine_id": mid, "energy_type": etype, "model_name": name, "kind": kind,
                                    "n": 672, "mase": 0.3, "nrmse": 0.2, "bias_kwh": 0.1, "bias_pct": 1.0,
                                    "coverage": 0.9, "rmse": 1.2345678, "mape": 5000.0 if mid == "press" else 12.345,
                                    "r2": -20.0 if kind == "week_ahead" else 0.87654})
    return f, pd.DataFrame(metrics)


def test_forecast_rows_respect_decimal_limits_enum_and_one_energy_type_per_machine() -> None:
    f, metrics = final_forecasts()
    rows = fx.forecast_rows(f, metrics, model_version="forecasts-test")
    assert set(rows["model_type"]) <= set(fx.MODEL_TYPE_ENUM)
    assert set(rows["horizon"]) == set(fx.HORIZON_ENUM)
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
    assert (rows["rmse"] == 1.234568).all()
    # horizon from the lead time
    lead = (rows["forecast_time"] - rows["forecasted_at"]) / pd.Timedelta(hours=1) + 1
    assert (rows.loc[lead <= 4, "horizon"] == "short").all()
    assert (rows.loc[(lead > 4) & (lead <= 24), "horizon"] == "medium").all()
    assert (rows.loc[lead > 24, "horizon"] == "long").all()


def test_forecast_rows_refuse_two_models_for_one_machine() -> None:
    f, metrics = final_forecasts()
    with pytest.raises(ValueError, match="more than one model"):
        fx.forecast_rows(f.drop(columns="chosen"), metrics, model_version="v")


def test_vintage_rows_keep_every_series_and_model() -> None:
    f, _ = final_forecasts()
    v = fx.vintage_rows(f)
    assert list(v.columns) == fx.VINTAGE_COLUMNS
    assert len(v) == len(f)
    assert set(v["energy_type"]) == {"electricity", "natural_gas", "steam"}
    assert not v.duplicated(fx.VINTAGE_KEY).any()
    assert len(fx.vintage_rows(f, models="chosen")) == 4 * 168


def test_run_forecasts_end_to_end_on_a_tiny_plant() -> None:
    frame = synthetic_frame(days=49)
    machines = pd.DataFrame({"machine_id": ["m1"], "machine_name": ["Press"], "factory_id": ["f1"], "timezone": [TZ],
                             "data_interval_seconds": [60]})
    energy = pd.DataFrame({"bucket": frame["bucket"], "machine_id": "m1", "energy_type": "electricity",
                           "total_energy_kwh": frame["energy_kwh"], "total_readings": 60})
    energy.loc[10, "total_readings"] = 20  # a partial hour: not a target
    run_share = frame["plan_running"].to_numpy()
    mode = pd.DataFrame({"bucket": frame["bucket"], "machine_id": "m1", "n_running": (60 * run_share).astype(int),
                         "n_idle": (60 * (1 - run_share)).astype(int), "n_maintenance": 0, "n_fault": 0,
                         "n_offline": 0, "total_readings": 60})
    temp = pd.DataFrame({"bucket": frame["bucket"], "machine_id": "m1", "avg_outdoor_temp_c": frame["outdoor_temp_c"]})
    run = fx.run_forecasts(energy, machines, mode, temp, models=small_models(), backtest_days=7, calibration_days=7,
                           week_origins=1)
    assert set(run.metrics["model_name"]) == set(fx.MODEL_NAMES)
    assert len(run.selection) == 1 and run.metrics["chosen"].sum() == 2
    f = run.forecasts
    assert f["origin"].nunique() == 1 and f["origin"].iloc[0] == frame["bucket"].iloc[-1] + pd.Timedelta(hours=1)
    assert len(f) == 5 * 168 and f["predicted_kwh"].notna().all()
    assert (f["lower_kwh"] <= f["predicted_kwh"]).all() and (f["predicted_kwh"] <= f["upper_kwh"]).all()
    assert run.backtest["actual_kwh"].notna().all()
    rows = fx.forecast_rows(f, run.metrics, model_version="t")
    assert len(rows) == 168
    assert math.isfinite(run.summary["median_day_ahead_mase"])


def test_forecast_run_series_and_factory_total_for_plots() -> None:
    f, metrics = final_forecasts()
    end = f["origin"].iloc[0]
    hist = pd.date_range(end - pd.Timedelta(hours=48), end + pd.Timedelta(hours=5), freq="h", inclusive="left")
    energy = pd.concat([pd.DataFrame({"bucket": hist, "machine_id": mid, "energy_type": "electricity",
                                      "total_energy_kwh": kwh}) for mid, kwh in (("boiler", 1.0), ("press", 2.0))])
    machines = pd.DataFrame({"machine_id": ["boiler", "press"], "factory_id": ["f1", "f1"]})
    run = fx.ForecastRun(backtest=pd.DataFrame(), metrics=metrics, selection=pd.DataFrame(), forecasts=f,
                         summary={"end": end.isoformat()})
    history, forecast = run.series("boiler", "electricity", energy)
    assert len(history) == 48 and history["bucket"].max() < end  # nothing at or after the origin
    assert len(forecast) == 168 and set(forecast["model_name"]) == {"sarimax"}
    history, forecast = run.factory_total("f1", machines, energy)
    assert (history["total_energy_kwh"] == 3.0).all() and len(history) == 48
    assert len(forecast) == 168
    assert forecast["predicted_kwh"].iloc[5] == pytest.approx(2 * 12.34567)
