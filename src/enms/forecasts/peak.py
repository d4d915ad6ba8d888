"""Tomorrow's peak 15-minute electricity demand per factory (kW), from the chosen models' hourly forecasts and a
learned peak-to-hourly ratio, bias-corrected and bounded by the errors of earlier days."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from enms.frames import numeric, require_columns
from enms.localtime import HOUR, local_calendar, local_midnights, utc_instant, utc_series
from enms.settings import CONFIDENCE


def _factory_demand_15min(energy_15min: pd.DataFrame, machines: pd.DataFrame) -> pd.DataFrame:
    """Factory electricity demand (kW) per complete 15-minute interval: Σ machines' kWh / 0.25 h, only where
    every electricity machine of the factory has its interval."""
    require_columns(energy_15min, ("bucket", "machine_id", "energy_type", "total_energy_kwh"), "energy_15min")
    e = energy_15min[energy_15min["energy_type"].astype(str) == "electricity"]
    fac = dict(zip(machines["machine_id"].astype(str), machines["factory_id"].astype(str), strict=True))
    e = pd.DataFrame({"bucket": utc_series(e["bucket"], "energy_15min.bucket", unit="ns").to_numpy(),
                      "machine_id": e["machine_id"].astype(str).to_numpy(),
                      "kwh": numeric(e, "total_energy_kwh")})
    e = e[e["machine_id"].isin(fac)].drop_duplicates(["machine_id", "bucket"], keep="last")
    e["factory_id"] = e["machine_id"].map(fac)
    n_machines = e.groupby("factory_id")["machine_id"].nunique()
    g = e.groupby(["factory_id", "bucket"], as_index=False).agg(kwh=("kwh", "sum"), n=("machine_id", "nunique"))
    g = g[g["n"] == g["factory_id"].map(n_machines)]
    g["demand_kw"] = g["kwh"] / 0.25
    return g[["factory_id", "bucket", "demand_kw"]]


def _daily_peaks(d: pd.DataFrame, zone: str) -> pd.DataFrame:
    """Per local date (naive midnight) of one factory's 15-min demand ``d``: peak (kW), hourly_max (the highest
    hourly average demand over the hours with all four quarters, kW), peak_time (UTC) and ratio = peak /
    hourly_max."""
    d = d.copy()
    d["hour"] = d["bucket"].dt.floor("h")
    d["date"] = local_calendar(d["bucket"], zone)["date"].to_numpy()
    hourly = d.groupby("hour").agg(kw=("demand_kw", "mean"), q=("demand_kw", "size"))
    hourly = hourly[hourly["q"] == 4]
    hdate = local_calendar(pd.Series(hourly.index), zone)["date"].to_numpy()
    daily = pd.DataFrame({
        "peak": d.groupby("date")["demand_kw"].max(),
        "hourly_max": pd.Series(hourly["kw"].to_numpy()).groupby(hdate).max(),
    })
    idx = d.groupby("date")["demand_kw"].idxmax()
    daily["peak_time"] = d.loc[idx.to_numpy(), "bucket"].to_numpy()
    daily["ratio"] = daily["peak"] / daily["hourly_max"]
    return daily


def _raw_peaks(fid: str, g: pd.DataFrame, daily: pd.DataFrame, zone: str, *, end: pd.Timestamp,
               days: int) -> list[dict]:
    """One row per origin of the factory's forecasts ``g``: the target day's highest summed hourly forecast (kW)
    times the median peak-to-hourly ratio of the ``days`` local days before the origin, and the actual peak
    where the day lies in the data."""
    n_m = g["machine_id"].nunique()
    rows = []
    for origin, og in g.groupby("origin", sort=True):
        hs = og.groupby("bucket").agg(kw=("predicted_kwh", "sum"), n=("machine_id", "nunique"))
        hs = hs[hs["n"] == n_m]
        if hs.empty:
            continue
        cal = local_calendar(pd.Series(hs.index), zone)
        day_start = local_midnights(origin, origin + pd.Timedelta(days=2), zone)
        if not len(day_start):
            continue
        target = day_start[0].tz_convert(zone).tz_localize(None).floor("D")
        sel = (cal["date"] == target).to_numpy()
        day_end = pd.Timestamp(target + pd.Timedelta(days=1)).tz_localize(zone, ambiguous=True,
                                                                           nonexistent="shift_forward")
        if not sel.any() or hs.index.max() + HOUR < day_end.tz_convert("UTC"):
            continue
        before = daily[(daily.index < origin.tz_convert(zone).tz_localize(None).floor("D"))].tail(days)
        ratio = float(before["ratio"].median()) if before["ratio"].notna().any() else math.nan
        observed = target in daily.index and day_end.tz_convert("UTC") <= end
        rows.append({"factory_id": fid, "origin": origin, "day": target.date(),
                     "predicted_peak_kw": float(hs["kw"].to_numpy()[sel].max()) * ratio, "ratio": ratio,
                     "actual_peak_kw": float(daily["peak"].get(target, math.nan)) if observed else math.nan,
                     "actual_peak_time": daily["peak_time"].get(target, pd.NaT) if observed else pd.NaT,
                     "_day_end": day_end.tz_convert("UTC")})
    return rows


def _calibrate(out: pd.DataFrame, days: int, level: float) -> pd.DataFrame:
    """Raw peaks → bias-corrected point and ``level`` bounds from the actual / raw ratios of the factory's
    earlier observed days (at least 10 within ``days``; else the raw peak with NaN bounds)."""
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    point, lower, upper = [], [], []
    raw = out["predicted_peak_kw"].copy()
    for _, r in out.iterrows():
        past = out[(out["factory_id"] == r["factory_id"]) & (out["_day_end"] <= r["origin"])
                   & out["actual_peak_kw"].notna()]
        past = past[past["origin"] >= r["origin"] - pd.Timedelta(days=days)]
        if len(past) >= 10:
            q = np.quantile(past["actual_peak_kw"] / raw[past.index], [lo_q, 0.5, hi_q])
            point.append(r["predicted_peak_kw"] * q[1])
            lower.append(r["predicted_peak_kw"] * q[0])
            upper.append(r["predicted_peak_kw"] * q[2])
        else:
            point.append(r["predicted_peak_kw"])
            lower.append(math.nan)
            upper.append(math.nan)
    out["predicted_peak_kw"], out["lower_kw"], out["upper_kw"] = point, lower, upper
    return out


def peak_demand_forecast(
    forecasts: pd.DataFrame,
    energy_15min: pd.DataFrame,
    machines: pd.DataFrame,
    *,
    end: object,
    days: int = 28,
    level: float = CONFIDENCE,
) -> pd.DataFrame:
    """Next local day's peak 15-minute electricity demand per factory, from hourly forecasts.

    ``forecasts``: hourly electricity forecasts of the factory's machines (machine_id, origin, bucket,
    predicted_kwh; one model per machine, e.g. the chosen ones), backtest origins and the final one. For each
    factory and origin, the target day is the first full local day starting at or after the origin; the
    factory's hourly forecast is the sum over its machines (kW = kWh / 1 h), and the raw peak = max hourly
    forecast × r, r = median over the ``days`` complete local days before the origin of (actual peak 15-min
    demand / actual max hourly average demand) of the factory, a learned peak-to-hourly ratio. Once 10 earlier
    origins' target days are observed (within ``days``), the forecast is the raw peak times the median of their
    actual / raw peak (hourly forecasts smooth the daily maximum, so the raw peak runs low) and the interval the
    raw peak times their ``level`` quantiles; before that the raw peak, with NaN bounds.
    Columns: factory_id, origin, day (local date), predicted_peak_kw, lower_kw, upper_kw, ratio,
    actual_peak_kw (NaN beyond the data), actual_peak_time (UTC).
    """
    end = utc_instant(end, "end")
    zones = dict(zip(machines["factory_id"].astype(str), machines["timezone"].astype(str), strict=False))
    fac = dict(zip(machines["machine_id"].astype(str), machines["factory_id"].astype(str), strict=True))
    demand = _factory_demand_15min(energy_15min, machines)
    demand = demand[demand["bucket"] < end]
    f = forecasts.assign(factory_id=forecasts["machine_id"].astype(str).map(fac))
    rows = []
    for fid, g in f.groupby("factory_id", sort=True):
        daily = _daily_peaks(demand[demand["factory_id"] == fid], zones[fid])
        rows += _raw_peaks(fid, g, daily, zones[fid], end=end, days=days)
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out = _calibrate(out, days, level)
    return out.drop(columns=["_day_end"])[["factory_id", "origin", "day", "predicted_peak_kw", "lower_kw",
                                           "upper_kw", "ratio", "actual_peak_kw", "actual_peak_time"]]
