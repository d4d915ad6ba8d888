"""Small synthetic frames with known answers for the forecast tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from enms import forecasts as fx
from enms.localtime import local_calendar

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


def final_forecasts() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Forecasts from one origin (168 h) of two machines (the boiler with three energy types), two models each
    (one chosen per series), with out-of-range values in the first hour of the press, and their metrics."""
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
