"""One scoring for ours and the peers: baseline predictions against the test window's actuals (hourly and
local-daily CV(RMSE) and NMBE, ASHRAE 14 definitions with p = 0) and day-ahead forecasts against the backtest's
actuals (MASE with the frozen seasonal-naive-168 scale, NRMSE, 90 % coverage).
"""

from __future__ import annotations

import pandas as pd

from enms import metrics as mx
from enms.forecasts.backtest import forecast_metrics


def local_days(hourly: pd.Series, timezone: str) -> pd.Series:
    """Daily totals (kWh) of UTC-hour values per local date, only for the days with every hour present (23, 24
    or 25 on DST days); indexed by the local date as 'YYYY-MM-DD'."""
    local = hourly.index.tz_convert(timezone)
    dates = pd.Index(local.strftime("%Y-%m-%d"))
    total = hourly.groupby(dates).sum(min_count=1)
    present = hourly.notna().groupby(dates).sum()
    start = pd.to_datetime(total.index).tz_localize(timezone)
    length = pd.Series(((pd.to_datetime(total.index) + pd.Timedelta(days=1)).tz_localize(timezone) - start)
                       / pd.Timedelta(hours=1), index=total.index)
    return total[present.reindex(total.index) == length]


def baseline_scores(actual: pd.Series, hourly: pd.Series | None, daily: pd.Series | None,
                    timezone: str) -> dict[str, float]:
    """cv_rmse_h, nmbe_h (over the hours with an actual and a prediction) and cv_rmse_d, nmbe_d (over the local
    days complete in both). ``actual``: kWh per UTC hour of the test window; ``hourly``: predicted kWh per UTC hour
    (None for a daily model); ``daily``: predicted kWh per local date 'YYYY-MM-DD' (None: summed from hourly)."""
    out = {"cv_rmse_h": float("nan"), "nmbe_h": float("nan")}
    if hourly is not None:
        both = pd.concat([actual.rename("y"), hourly.rename("p")], axis=1).dropna()
        out = {"cv_rmse_h": mx.cv_rmse(both["y"], both["p"]), "nmbe_h": mx.nmbe(both["y"], both["p"])}
        if daily is None:
            predicted = hourly.reindex(actual.index).where(actual.notna())
            daily = local_days(predicted, timezone)
    days = pd.concat([local_days(actual, timezone).rename("y"), daily.rename("p")], axis=1).dropna()
    return {**out, "cv_rmse_d": mx.cv_rmse(days["y"], days["p"]), "nmbe_d": mx.nmbe(days["y"], days["p"]),
            "test_days": len(days)}


def forecast_scores(actual: pd.Series, forecasts: pd.DataFrame, scale: float) -> dict[str, float]:
    """MASE, NRMSE and coverage of day-ahead ``forecasts`` (bucket UTC, predicted, lower, upper) against
    ``actual`` (kWh per UTC hour)."""
    y = actual.reindex(pd.DatetimeIndex(forecasts["bucket"])).to_numpy()
    m = forecast_metrics(y, forecasts["predicted"], forecasts["lower"], forecasts["upper"], scale=scale)
    return {"mase": m["mase"], "nrmse": m["nrmse"], "coverage": m["coverage"], "hours": m["n"]}
