"""Small synthetic driver frames with known answers for the baseline tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from enms import baselines as bl

N_DAYS = 365


def daily_frame(seed: int = 1) -> pd.DataFrame:
    """A year of local days: seasonal daily mean temperature (about -5..25 °C) and production."""
    rng = np.random.default_rng(seed)
    doy = np.arange(N_DAYS)
    return pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=N_DAYS, freq="D"),
            "production": rng.uniform(100.0, 200.0, N_DAYS),
            "operating_hours": rng.uniform(8.0, 16.0, N_DAYS),
            "outdoor_temp_c": 10.0 - 12.0 * np.cos(2 * np.pi * doy / 365) + rng.normal(0.0, 3.0, N_DAYS),
        }
    )


def hourly_frame(weeks: int = 12, seed: int = 2) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Hourly drivers (local = UTC here) getting colder week by week; returns (X, y, true profile per hour of week).

    y = profile[hour of week] + 2 · max(0, 12.778 - T) + noise: 50 kWh in working hours (Mon-Fri 08-18), 20
    otherwise, and a heating slope of 2 kWh/°C below 55 °F (a TOWT knot).
    """
    rng = np.random.default_rng(seed)
    buckets = pd.date_range("2024-01-01", periods=168 * weeks, freq="h", tz="UTC")
    weekday, hour = buckets.day_of_week.to_numpy(), buckets.hour.to_numpy()
    how = weekday * 24 + hour
    profile = np.where((np.arange(168) // 24 < 5) & (np.arange(168) % 24 >= 8) & (np.arange(168) % 24 < 18), 50.0, 20.0)
    week = np.arange(len(buckets)) // 168
    temp = 16.0 - 1.5 * week + 5.0 * np.sin(2 * np.pi * (hour - 9) / 24) + rng.normal(0.0, 1.0, len(buckets))
    y = profile[how] + 2.0 * np.maximum(0.0, 12.778 - temp) + rng.normal(0.0, 1.0, len(buckets))
    X = pd.DataFrame(
        {
            "bucket": buckets,
            "hour_of_week": how,
            "hour": hour,
            "weekday": weekday,
            "month": buckets.month.to_numpy(),
            "outdoor_temp_c": temp,
            "production": rng.uniform(0.0, 10.0, len(buckets)),
        }
    )
    return X, y, profile


def fitted_models() -> list[tuple[bl.Baseline, pd.DataFrame]]:
    """One fitted model of every family with the frame it was fitted on."""
    Xd = daily_frame()
    yd = 50.0 + 2.0 * Xd["production"] + 3.0 * np.maximum(0.0, 16.0 - Xd["outdoor_temp_c"])
    yd = yd.to_numpy() + np.random.default_rng(9).normal(0.0, 2.0, N_DAYS)
    Xh, yh, _ = hourly_frame(weeks=4)
    return [
        (bl.RegressionBaseline(drivers=["production", "hdd"]).fit(Xd, yd), Xd),
        (bl.ChangePointBaseline(drivers=["production"]).fit(Xd, yd), Xd),
        (bl.TOWTBaseline().fit(Xh, yh), Xh),
        (bl.GradientBoostingBaseline(drivers=["outdoor_temp_c"], max_iter=30).fit(Xh, yh), Xh),
        (bl.HourOfWeekMeanBaseline().fit(Xh, yh), Xh),
    ]
