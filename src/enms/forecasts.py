"""Hourly energy forecasts per machine and energy type: models, calibrated intervals, rolling-origin backtest,
forecasts from the end of the data, and the pure row builders for write-back.

Pure core: pandas frames in, frames (or fitted estimators) out. Nothing here reads the warehouse, a notebook or
Ploomber; :func:`forecast_rows` / :func:`vintage_rows` only *build* rows, ``enms.warehouse`` writes them.

Target and resolution
    The target is the hourly energy of one machine and one energy type (``energy_hourly.total_energy_kwh``,
    kWh per UTC hour ``[bucket, bucket + 1 h)``). For an hourly bucket the average power is kWh / 1 h, so a
    ``predicted_kwh`` of 42 is a ``predicted_power_kw`` of 42. An hour whose readings cover less than
    ``min_coverage`` (90 %) of the expected readings (3600 s / ``data_interval_seconds``) holds a partial sum: its
    energy is treated as missing (never trained on, never scored). A boiler's electricity, gas and steam are three
    separate series, never summed.

Inputs known in advance (exogenous)
    * The **planned schedule** (:func:`planned_schedule`): the share of each hour planned running, idle, in
      maintenance and offline, from the operating-mode history. Unplanned ``fault`` readings are not known in
      advance: a fault stopped a machine that the schedule had *running*, so fault counts as planned running.
      Production actuals (units) are never an input: they are not known in advance.
    * **Outdoor temperature**: in the backtest the measured temperature stands in for a weather forecast (a
      perfect forecast: the backtest errors are therefore slightly optimistic for temperature-driven series).
    * The **local calendar** of the machine's factory (hour of day, weekday: ``enms.features.local_calendar``).
    * Beyond the end of the data the schedule is the *typical plan* (:func:`typical_schedule`: per local hour of
      week the mean plan of the last 4 weeks, holidays excluded, maintenance counted as running since no future
      maintenance plan is known; local holidays offline when a calendar is given) and the temperature is a
      climatology of the last 7 days per local hour (:func:`temperature_outlook`).

Models (common interface: ``fit(history)``, ``update(history)``, ``predict(origin, horizon, exog_future)``
returning the point forecast and the 90 % interval; ``summary()``; fitted state ends in ``_``; objects pickle)
    * :class:`SeasonalNaiveForecaster` (season 24 h and 168 h): ŷ(T + h) = y(T + h - m·(⌊(h-1)/m⌋ + 1)), on the
      UTC hour grid (a DST change shifts it by an hour for a week), going back whole seasons over missing hours.
    * :class:`STLETSForecaster`: STL decomposition (statsmodels, period 168 h) of the last 6 weeks before the
      origin, redone at every origin; the seasonally adjusted series is forecast by simple exponential smoothing
      (statsmodels, smoothing level estimated at each refit), the last weekly cycle of the seasonal part is
      repeated.
    * :class:`SARIMAXForecaster`: regression on the schedule, degree-hours (base 18 °C, plain and times the
      running share) and Fourier terms of the local hour (daily seasonality), with AR(1) errors (statsmodels
      SARIMAX, order (1, 0, 0) and a constant: ARMA(1, 1) cost 50 % more CPU and was no more accurate). Fitted
      on the last 6 weeks before its fit origin, then **updated** at each origin with ``results.extend`` (the
      new hours are filtered with the fitted parameters; no re-estimation).
    * :class:`GradientBoostingForecaster`: scikit-learn ``HistGradientBoostingRegressor``, **direct strategy**:
      one model for all lead times 1..168 h, trained on samples (origin = each local midnight of the last
      ``train_days`` (365), lead h: every lead of day 1, every 6th later lead) with the lead day as a feature.
      Every energy input is anchored at the origin, so for any lead the lags of actual energy are at least the
      lead: the same hour a week before the target
      (lag 168 h, and 336 h), the same local hour on the last day before the origin (lag 24 h for hours 1..24 of
      the day, 48 h for 25..48, ...), the last hour before the origin and the means of the last 24 h and 168 h.
      Hours 1..24 of a day-ahead forecast are therefore all predicted from the information at midnight: hour 1
      does not get a fresher lag than hour 24 (no recursion, no 24 separate models). Lags are taken at the same
      local wall-clock hour (167 or 169 h across a DST change) and never at or after the origin. Other
      features: local hour and weekday, the plan of the target hour (and of the hours before and after it, of
      the lag hours), temperature.

Intervals (all models, :class:`ResidualIntervals`)
    Empirical quantiles of the model's own **out-of-sample** errors: every forecast a model makes is kept, and
    once its hours are observed (an ``update`` with later data) its residuals y - ŷ enter the record. A forecast
    from origin T takes the residuals of the forecasts made from origins in [T - 28 days, T) whose hours lie
    before T, grouped by lead bucket (1-6, 7-12, 13-18, 19-24 h, then one bucket per lead day 2..7) and by
    planned state of the target hour (running share >= 0.5 or not, since errors are much larger when a machine
    runs). The bounds are ŷ + q(α/2) and ŷ + q(1 - α/2) with split-conformal ranks (⌊(n + 1)α/2⌋ and
    ⌈(n + 1)(1 - α/2)⌉ of the n sorted residuals). A cell with fewer than 30 residuals pools the states, then
    the lead buckets; with no residual at all the bounds are NaN. The lower bound is clipped at 0 kWh.
    The backtest therefore starts ``calibration_days`` (28) before its first scored origin so that every scored
    forecast has a full calibration record. (``relative=True`` scales the residuals by the forecast level plus a
    floor instead; not the default: it did not calibrate better on the demo plant.)

Rolling-origin backtest (:func:`backtest_series`, :func:`run_forecasts`)
    A forecast of 168 h from every local midnight (factory time zone) of the last ``backtest_days`` (28) +
    ``calibration_days`` (28) days, each using only data before its origin: day-ahead = its first 24 h, scored
    on the last 28 origins whose 24 h lie in the data; week-ahead = the full 168 h, scored on the last 4 origins
    7 days apart whose 168 h lie in the data. Re-estimation cadence (``refit_days``, :data:`REFIT_DAYS`):
    seasonal naive none (it has no parameter); STL + SES every 7 days and gradient boosting every 28 days
    (every 7 or 14 days gave the same accuracy for up to twice the CPU); between refits their inputs still move
    daily (the decomposition, the level and the lags are recomputed at every origin from the data before it);
    SARIMAX fitted once before the first origin and updated daily with ``extend``. The forecasts from the end
    of the data continue the same walk: one more origin at ``end`` (not a local midnight), where the models
    with a refit cadence are refitted on all the data, and whose interval uses the backtest's residuals.

Peak demand (:func:`peak_demand_forecast`)
    Next local day's peak 15-minute electricity demand per factory from the chosen models' hourly forecasts
    and a learned peak-to-hourly ratio, bias-corrected and bounded by the errors of earlier days.

Metrics (:func:`forecast_metrics`), per series, model and kind (day-ahead / week-ahead)
    MASE = MAE / scale, the scale being the in-sample MAE of the 168-h seasonal naive forecast on the training
    data before the first day-ahead backtest origin (every hour from the start of the data where y(t) and
    y(t - 168 h) exist), frozen per series; NRMSE = RMSE / mean actual; bias = mean(ŷ - y) in kWh and
    Σ(ŷ - y) / Σy in % (positive: over-forecast); coverage = share of actuals inside [lower, upper]; MAPE over the
    hours with an actual > 0; out-of-sample R². The model of each series is the one with the lowest day-ahead
    MASE (selection on the same backtest that is reported: a small optimistic bias).

Write-back rows (:func:`forecast_rows`, :func:`vintage_rows`)
    ``energy_forecasts`` is keyed (forecast_time, machine_id, model_type) without an energy type, so it gets one
    series per machine: the chosen model of its electricity series (model_type ARIMA for SARIMAX, Other for
    the rest, the real model name and the energy type in metadata). Our vintage table keeps every series,
    model and origin (:data:`VINTAGE_KEY`).
"""

from __future__ import annotations

import contextlib
import json
import math
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.signal import lfilter
from sklearn.ensemble import HistGradientBoostingRegressor
from statsmodels.tsa.holtwinters import SimpleExpSmoothing
from statsmodels.tsa.seasonal import STL
from statsmodels.tsa.statespace.sarimax import SARIMAX
from threadpoolctl import threadpool_limits

from enms.features import local_calendar
from enms.frames import require_columns

__all__ = [
    "DAY_AHEAD",
    "EXOG_COLUMNS",
    "HORIZON_EDGES",
    "HORIZON_ENUM",
    "MODEL_NAMES",
    "MODEL_TYPES",
    "MODEL_TYPE_ENUM",
    "PLAN_COLUMNS",
    "REFIT_DAYS",
    "VINTAGE_COLUMNS",
    "VINTAGE_KEY",
    "WEEK_AHEAD",
    "ForecastRun",
    "GradientBoostingForecaster",
    "HourlyForecaster",
    "ResidualIntervals",
    "SARIMAXForecaster",
    "STLETSForecaster",
    "SeasonalNaiveForecaster",
    "backtest_series",
    "default_models",
    "forecast_inputs",
    "forecast_metrics",
    "forecast_rows",
    "horizon_label",
    "local_midnights",
    "mase",
    "peak_demand_forecast",
    "planned_schedule",
    "rolling_origin",
    "run_forecasts",
    "seasonal_naive_scale",
    "select_models",
    "temperature_outlook",
    "typical_schedule",
    "vintage_rows",
]

HOUR = pd.Timedelta(hours=1)
DAY_AHEAD = 24
WEEK_AHEAD = 168
LEVEL = 0.90
PLAN_COLUMNS = ("plan_running", "plan_idle", "plan_maintenance", "plan_offline")
#: Columns of an exogenous frame (besides ``bucket``): all known in advance.
EXOG_COLUMNS = ("hour", "weekday", *PLAN_COLUMNS, "outdoor_temp_c")
#: Lead-hour buckets of the interval calibration: [0, 6), [6, 12), ... in 0-based lead hours.
HORIZON_EDGES = (0, 6, 12, 18, 24, 48, 72, 96, 120, 144, 168)
MODEL_NAMES = ("snaive24", "snaive168", "stl_ets", "sarimax", "gbm")
#: energy_forecasts.model_type per model name (the enum has ARIMA, Prophet, LSTM, Other).
MODEL_TYPES = {"sarimax": "ARIMA"}
MODEL_TYPE_ENUM = ("ARIMA", "Prophet", "LSTM", "Other")
HORIZON_ENUM = ("short", "medium", "long")
#: Default re-estimation cadence in days (None: fitted once at the first origin, updated afterwards).
REFIT_DAYS: dict[str, int | None] = {"snaive24": None, "snaive168": None, "stl_ets": 7, "sarimax": None, "gbm": 28}
_NS_PER_HOUR = 3_600_000_000_000


# ================================================================================================ helpers

def _utc_series(values: pd.Series, name: str) -> pd.Series:
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        raise ValueError(f"{name} must hold tz-aware (UTC) timestamps, got dtype {values.dtype}")
    return values.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")


def _utc(ts: object) -> pd.Timestamp:
    t = pd.Timestamp(ts)
    if t.tzinfo is None:
        raise ValueError(f"{ts!r} must be tz-aware (UTC)")
    return t.tz_convert("UTC")


def _ns(ts: pd.Timestamp) -> int:
    return int(ts.as_unit("ns").value)


def _ns_array(values: pd.Series) -> np.ndarray:
    """int64 nanoseconds since the epoch of tz-aware timestamps."""
    return pd.DatetimeIndex(values).as_unit("ns").asi8


def _numeric(df: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)


def _threads(n: int | None) -> contextlib.AbstractContextManager:
    """Cap BLAS / OpenMP threads (the libraries are imported at module level, so the cap reaches them)."""
    return contextlib.nullcontext() if n is None else threadpool_limits(limits=n)


def _at(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """a[idx] with NaN where idx falls outside a."""
    out = np.full(len(idx), np.nan)
    ok = (idx >= 0) & (idx < len(a))
    out[ok] = a[idx[ok]]
    return out


def _timezones(machines: pd.DataFrame) -> dict[str, str]:
    require_columns(machines, ("machine_id", "timezone"), "machines")
    return dict(zip(machines["machine_id"].astype(str), machines["timezone"].astype(str), strict=True))


def local_midnights(start: object, end: object, timezone: str) -> pd.DatetimeIndex:
    """UTC instants of the local midnights (``timezone``) in [start, end]."""
    start, end = _utc(start), _utc(end)
    first = start.tz_convert(timezone).tz_localize(None).floor("D")
    last = end.tz_convert(timezone).tz_localize(None).floor("D")
    days = pd.date_range(first, last, freq="D")
    utc = days.tz_localize(timezone, ambiguous=np.ones(len(days), dtype=bool), nonexistent="shift_forward")
    utc = utc.tz_convert("UTC").as_unit("ns")
    return utc[(utc >= start) & (utc <= end)]


# ================================================================================================ schedule
def planned_schedule(mode_hourly: pd.DataFrame) -> pd.DataFrame:
    """The hourly operating plan per machine from the operating-mode history (``mode_hourly``).

    Shares of each hour's readings: plan_running = (n_running + n_fault) / n, plan_idle = n_idle / n,
    plan_maintenance = n_maintenance / n, plan_offline = n_offline / n, with n the readings classified in the
    hour. An unplanned ``fault`` stop is not known in advance: the schedule had the machine running, so fault
    counts as planned running. Maintenance and offline (holidays, shutdowns) are planned. Only the mode counts
    are read (never production). Duplicate buckets count once (the row with the most readings).

    Columns: bucket (UTC), machine_id, plan_running, plan_idle, plan_maintenance, plan_offline, plan_readings.
    """
    counts = ("n_running", "n_idle", "n_maintenance", "n_fault", "n_offline")
    require_columns(mode_hourly, ("bucket", "machine_id", *counts), "mode_hourly")
    n = {c: np.nan_to_num(_numeric(mode_hourly, c)) for c in counts}
    total = sum(n.values())
    out = pd.DataFrame(
        {
            "bucket": _utc_series(mode_hourly["bucket"], "mode_hourly.bucket").to_numpy(),
            "machine_id": mode_hourly["machine_id"].astype(str).to_numpy(),
            "plan_readings": total,
        }
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        out["plan_running"] = (n["n_running"] + n["n_fault"]) / total
        out["plan_idle"] = n["n_idle"] / total
        out["plan_maintenance"] = n["n_maintenance"] / total
        out["plan_offline"] = n["n_offline"] / total
    out = out[total > 0].sort_values(["machine_id", "bucket", "plan_readings"], kind="stable")
    out = out.drop_duplicates(["machine_id", "bucket"], keep="last").reset_index(drop=True)
    return out[["bucket", "machine_id", *PLAN_COLUMNS, "plan_readings"]]


def _holiday_dates(holidays: Mapping[str, Iterable[date]] | None, machine_id: str, factory_id: str | None) -> set:
    if not holidays:
        return set()
    days = holidays.get(machine_id)
    if days is None and factory_id is not None:
        days = holidays.get(factory_id)
    return {pd.Timestamp(d).date() for d in (days or ())}


def typical_schedule(
    schedule: pd.DataFrame,
    machines: pd.DataFrame,
    start: object,
    end: object,
    *,
    weeks: int = 4,
    holidays: Mapping[str, Iterable[date]] | None = None,
) -> pd.DataFrame:
    """The plan of the hours [start, end) from the shift pattern of the ``weeks`` weeks before ``start``.

    Per machine and local hour of week (factory time zone): plan_running = mean of (running + maintenance) share,
    plan_idle = mean idle share, over the hours of those weeks that were not offline (holidays and shutdowns are
    left out, so a holiday in the window does not leak into ordinary days); maintenance is counted as running
    because no future maintenance plan is known; offline 0. A shift that runs in some weeks only (a Saturday
    shift one week in three) gets its average share. Local dates listed in ``holidays`` (mapping machine_id or
    factory_id → dates) are offline all day. An hour of week never seen falls back to the mean of its local hour.

    Columns: bucket, machine_id, plan_* (as :func:`planned_schedule`), plan_source ('typical' or 'holiday').
    """
    require_columns(schedule, ("bucket", "machine_id", *PLAN_COLUMNS), "schedule")
    start, end = _utc(start), _utc(end)
    zones = _timezones(machines)
    factories = dict(zip(machines["machine_id"].astype(str), machines.get("factory_id", machines["machine_id"])
                         .astype(str), strict=True))
    s = schedule.assign(bucket=_utc_series(schedule["bucket"], "schedule.bucket"),
                        machine_id=schedule["machine_id"].astype(str))
    s = s[(s["bucket"] >= start - pd.Timedelta(weeks=weeks)) & (s["bucket"] < start)]
    grid = pd.date_range(start, end, freq="h", inclusive="left").as_unit("ns")
    parts = []
    for mid, zone in zones.items():
        past = s[(s["machine_id"] == mid) & (s["plan_offline"] < 0.5)]
        cal = local_calendar(past["bucket"], zone)
        run = (past["plan_running"] + past["plan_maintenance"]).to_numpy()
        idle = past["plan_idle"].to_numpy()
        how = pd.DataFrame({"how": cal["hour_of_week"].to_numpy(), "hour": cal["hour"].to_numpy(),
                            "run": run, "idle": idle})
        by_how = how.groupby("how")[["run", "idle"]].mean()
        by_hour = how.groupby("hour")[["run", "idle"]].mean()
        fut = local_calendar(pd.Series(grid), zone)
        r = by_how["run"].reindex(fut["hour_of_week"]).to_numpy(dtype=float, copy=True)
        i = by_how["idle"].reindex(fut["hour_of_week"]).to_numpy(dtype=float, copy=True)
        miss = np.isnan(r)
        r[miss] = by_hour["run"].reindex(fut["hour"][miss]).to_numpy(dtype=float)
        i[miss] = by_hour["idle"].reindex(fut["hour"][miss]).to_numpy(dtype=float)
        r, i = np.nan_to_num(r), np.nan_to_num(i, nan=1.0)
        tot = r + i
        r, i = np.divide(r, tot, out=np.zeros_like(r), where=tot > 0), np.divide(i, tot, out=np.ones_like(i),
                                                                                  where=tot > 0)
        off_days = _holiday_dates(holidays, mid, factories.get(mid))
        off = fut["date"].dt.date.isin(off_days).to_numpy() if off_days else np.zeros(len(grid), dtype=bool)
        parts.append(
            pd.DataFrame(
                {
                    "bucket": grid,
                    "machine_id": mid,
                    "plan_running": np.where(off, 0.0, r),
                    "plan_idle": np.where(off, 0.0, i),
                    "plan_maintenance": 0.0,
                    "plan_offline": off.astype(float),
                    "plan_source": np.where(off, "holiday", "typical"),
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["bucket", "machine_id", *PLAN_COLUMNS, "plan_source"])


def temperature_outlook(
    temperature: pd.DataFrame, machines: pd.DataFrame, start: object, end: object, *, days: int = 7
) -> pd.DataFrame:
    """Outdoor temperature for [start, end) when no weather forecast is at hand: per local hour of day, the mean
    of the last ``days`` days before ``start`` (a climatology of the recent days; it knows the daily cycle and
    the current season, not the coming weather). Columns: bucket, machine_id, outdoor_temp_c.
    """
    require_columns(temperature, ("bucket", "machine_id", "avg_outdoor_temp_c"), "temperature")
    start, end = _utc(start), _utc(end)
    t = temperature.assign(bucket=_utc_series(temperature["bucket"], "temperature.bucket"),
                           machine_id=temperature["machine_id"].astype(str))
    t = t[(t["bucket"] >= start - pd.Timedelta(days=days)) & (t["bucket"] < start)]
    grid = pd.Series(pd.date_range(start, end, freq="h", inclusive="left").as_unit("ns"))
    parts = []
    for mid, zone in _timezones(machines).items():
        past = t[t["machine_id"] == mid]
        if past.empty:
            continue
        hours = local_calendar(past["bucket"], zone)["hour"].to_numpy()
        clim = pd.Series(_numeric(past, "avg_outdoor_temp_c")).groupby(hours).mean()
        fut = local_calendar(grid, zone)["hour"]
        values = clim.reindex(fut).to_numpy()
        values = np.where(np.isnan(values), np.nanmean(clim.to_numpy()), values)
        parts.append(pd.DataFrame({"bucket": grid.to_numpy(), "machine_id": mid, "outdoor_temp_c": values}))
    if not parts:
        return pd.DataFrame(columns=["bucket", "machine_id", "outdoor_temp_c"])
    return pd.concat(parts, ignore_index=True)


# ================================================================================================ inputs
def _fill_weekly(a: np.ndarray, max_weeks: int = 8) -> np.ndarray:
    """Fill NaN from the same hour one week earlier (then later), up to ``max_weeks`` weeks away."""
    a = a.copy()
    for k in range(1, max_weeks + 1):
        for shift in (-168 * k, 168 * k):
            miss = np.flatnonzero(np.isnan(a))
            if not len(miss):
                return a
            src = miss + shift
            ok = (src >= 0) & (src < len(a))
            a[miss[ok]] = a[src[ok]]
    return a


def forecast_inputs(
    energy_hourly: pd.DataFrame,
    machines: pd.DataFrame,
    schedule: pd.DataFrame,
    temperature: pd.DataFrame,
    *,
    end: object | None = None,
    min_coverage: float = 0.9,
) -> pd.DataFrame:
    """The hourly grid per series (machine_id, energy_type) with the target and the known-in-advance inputs.

    * energy_kwh: ``total_energy_kwh`` of the hour, NaN when its readings cover less than ``min_coverage`` of
      the expected 3600 / data_interval_seconds (a partial hour is a partial sum) or when the hour has no row;
    * plan_* from ``schedule`` (:func:`planned_schedule`); an hour without a plan (a communication outage)
      takes the plan of the same hour a week before (or after); plan_filled flags it;
    * outdoor_temp_c from ``temperature`` (bucket, machine_id, avg_outdoor_temp_c, e.g. quality's
      temperature_hourly), gaps interpolated linearly in time;
    * hour, weekday: local calendar of the machine's factory.

    The grid of each series runs from its first energy hour to ``end`` (exclusive; default: the last energy
    hour + 1 h). Columns: bucket, machine_id, energy_type, energy_kwh, hour, weekday, plan_*, outdoor_temp_c,
    plan_filled.
    """
    require_columns(energy_hourly, ("bucket", "machine_id", "energy_type", "total_energy_kwh"), "energy_hourly")
    require_columns(schedule, ("bucket", "machine_id", *PLAN_COLUMNS), "schedule")
    require_columns(temperature, ("bucket", "machine_id", "avg_outdoor_temp_c"), "temperature")
    zones = _timezones(machines)
    interval = dict(zip(machines["machine_id"].astype(str),
                        pd.to_numeric(machines.get("data_interval_seconds", pd.Series(np.nan, index=machines.index)),
                                      errors="coerce"), strict=True))
    e = pd.DataFrame(
        {
            "bucket": _utc_series(energy_hourly["bucket"], "energy_hourly.bucket").to_numpy(),
            "machine_id": energy_hourly["machine_id"].astype(str).to_numpy(),
            "energy_type": energy_hourly["energy_type"].astype(str).to_numpy(),
            "energy_kwh": _numeric(energy_hourly, "total_energy_kwh"),
            "readings": _numeric(energy_hourly, "total_readings") if "total_readings" in energy_hourly else np.nan,
        }
    )
    e = e[e["machine_id"].isin(zones)]
    expected = 3600.0 / e["machine_id"].map(interval).astype(float)
    partial = e["readings"].notna() & expected.notna() & (e["readings"] < min_coverage * expected)
    e.loc[partial, "energy_kwh"] = np.nan
    e = e.sort_values(["machine_id", "energy_type", "bucket", "readings"], kind="stable")
    e = e.drop_duplicates(["machine_id", "energy_type", "bucket"], keep="last")
    end = None if end is None else _utc(end)
    sched = schedule.assign(bucket=_utc_series(schedule["bucket"], "schedule.bucket"),
                            machine_id=schedule["machine_id"].astype(str))
    temp = temperature.assign(bucket=_utc_series(temperature["bucket"], "temperature.bucket"),
                              machine_id=temperature["machine_id"].astype(str))
    temp = temp.groupby(["machine_id", "bucket"], as_index=False)["avg_outdoor_temp_c"].mean()
    parts = []
    for (mid, etype), g in e.groupby(["machine_id", "energy_type"], sort=True):
        last = end if end is not None else g["bucket"].max() + HOUR
        grid = pd.date_range(g["bucket"].min(), last, freq="h", inclusive="left").as_unit("ns")
        frame = pd.DataFrame({"bucket": grid})
        frame["energy_kwh"] = g.set_index("bucket")["energy_kwh"].reindex(grid).to_numpy()
        cal = local_calendar(frame["bucket"], zones[mid])
        frame["hour"], frame["weekday"] = cal["hour"].to_numpy(), cal["weekday"].to_numpy()
        sm = sched[sched["machine_id"] == mid].drop_duplicates("bucket", keep="last").set_index("bucket")
        filled = np.zeros(len(grid), dtype=bool)
        for c in PLAN_COLUMNS:
            v = sm[c].reindex(grid).to_numpy(dtype=float)
            filled |= np.isnan(v)
            v = _fill_weekly(v)
            frame[c] = np.nan_to_num(v, nan=1.0 if c == "plan_idle" else 0.0)
        frame["plan_filled"] = filled
        tm = temp[temp["machine_id"] == mid].set_index("bucket")["avg_outdoor_temp_c"].reindex(grid)
        frame["outdoor_temp_c"] = tm.interpolate(limit_direction="both").to_numpy()
        frame.insert(1, "machine_id", mid)
        frame.insert(2, "energy_type", etype)
        parts.append(frame)
    columns = ["bucket", "machine_id", "energy_type", "energy_kwh", *EXOG_COLUMNS, "plan_filled"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


# ================================================================================================ intervals
def _conformal_bounds(resid: np.ndarray, level: float) -> tuple[float, float]:
    """Split-conformal lower / upper residual quantiles: ranks ⌊(n + 1)α/2⌋ and ⌈(n + 1)(1 - α/2)⌉."""
    n = len(resid)
    if n == 0:
        return math.nan, math.nan
    r = np.sort(resid)
    alpha = 1.0 - level
    lo = int(math.floor((n + 1) * alpha / 2))
    hi = int(math.ceil((n + 1) * (1 - alpha / 2)))
    return float(r[min(max(lo, 1), n) - 1]), float(r[min(max(hi, 1), n) - 1])


class ResidualIntervals:
    """The out-of-sample track record of one forecaster and the empirical intervals it implies.

    ``add(origin, buckets, steps, predicted, state)`` records a forecast (0-based lead ``steps``; ``state``
    1 = planned running share >= 0.5); ``score(t0, y)`` turns the recorded forecasts whose hours are observed
    (y on the hourly grid starting at ``t0``; hours at or after the end of y stay pending) into residuals;
    ``bounds(origin, steps, state, predicted)`` gives the interval of a forecast from ``origin`` from residuals of
    forecasts made in [origin - calibration_days, origin) of hours before origin (see the module docstring).
    """

    def __init__(self, *, level: float = LEVEL, calibration_days: int = 28,
                 horizon_edges: Sequence[int] = HORIZON_EDGES, by_state: bool = True, min_residuals: int = 30,
                 relative: bool = False, relative_floor: float = 0.25) -> None:
        self.level = level
        self.relative = relative
        self.relative_floor = relative_floor
        self.calibration_days = calibration_days
        self.horizon_edges = tuple(horizon_edges)
        self.by_state = by_state
        self.min_residuals = min_residuals
        empty_i, empty_f = np.zeros(0, dtype=np.int64), np.zeros(0)
        self._pending = {"origin": empty_i, "bucket": empty_i, "step": empty_i, "pred": empty_f, "state": empty_i}
        self._resid = {"origin": empty_i, "bucket": empty_i, "step": empty_i, "resid": empty_f, "pred": empty_f,
                       "state": empty_i}

    @property
    def n_residuals(self) -> int:
        return len(self._resid["resid"])

    def _bucket(self, steps: np.ndarray) -> np.ndarray:
        return np.searchsorted(np.asarray(self.horizon_edges[1:-1]), steps, side="right")

    def add(self, origin: pd.Timestamp, buckets: np.ndarray, steps: np.ndarray, predicted: np.ndarray,
            state: np.ndarray) -> None:
        ok = np.isfinite(predicted)
        new = {"origin": np.full(int(ok.sum()), _ns(origin), dtype=np.int64), "bucket": buckets[ok].astype(np.int64),
               "step": steps[ok].astype(np.int64), "pred": predicted[ok], "state": state[ok].astype(np.int64)}
        self._pending = {k: np.concatenate([self._pending[k], new[k]]) for k in self._pending}

    def score(self, t0_ns: int, y: np.ndarray) -> None:
        p = self._pending
        if not len(p["pred"]):
            return
        idx = (p["bucket"] - t0_ns) // _NS_PER_HOUR
        due = idx < len(y)
        if not due.any():
            return
        actual = _at(y, np.where(due, idx, -1))
        take = due & np.isfinite(actual)
        new = {"origin": p["origin"][take], "bucket": p["bucket"][take], "step": p["step"][take],
               "resid": actual[take] - p["pred"][take], "pred": p["pred"][take], "state": p["state"][take]}
        self._resid = {k: np.concatenate([self._resid[k], new[k]]) for k in self._resid}
        self._pending = {k: v[~due] for k, v in p.items()}
        # Keep what a future origin can still use (origins within the calibration window of the newest).
        newest = int(self._resid["origin"].max())
        keep = self._resid["origin"] >= newest - (self.calibration_days + 8) * 24 * _NS_PER_HOUR
        self._resid = {k: v[keep] for k, v in self._resid.items()}

    def residuals(self, origin: pd.Timestamp) -> pd.DataFrame:
        """The residuals usable by a forecast from ``origin`` (origin, bucket, step, state, resid)."""
        o = _ns(origin)
        r = self._resid
        use = (r["origin"] < o) & (r["origin"] >= o - self.calibration_days * 24 * _NS_PER_HOUR) & (r["bucket"] < o)
        return pd.DataFrame({k: v[use] for k, v in r.items()})

    def bounds(self, origin: pd.Timestamp, steps: np.ndarray, state: np.ndarray,
               predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pool = self.residuals(origin)
        lower, upper = np.full(len(steps), np.nan), np.full(len(steps), np.nan)
        if pool.empty:
            return lower, upper
        pb, ps, pr = self._bucket(pool["step"].to_numpy()), pool["state"].to_numpy(), pool["resid"].to_numpy()
        floor = self.relative_floor * float(np.mean(np.abs(pool["pred"].to_numpy()))) if self.relative else 0.0
        if self.relative:
            pr = pr / (np.abs(pool["pred"].to_numpy()) + floor)
        qb = self._bucket(np.asarray(steps))
        state = np.asarray(state) if self.by_state else np.zeros(len(steps), dtype=np.int64)
        if not self.by_state:
            ps = np.zeros(len(pr), dtype=np.int64)
        cache: dict[tuple[int, int], tuple[float, float]] = {}
        for b, s in set(zip(qb.tolist(), state.tolist(), strict=True)):
            cell = pr[(pb == b) & (ps == s)]
            if len(cell) < self.min_residuals:
                cell = pr[pb == b]
            if len(cell) < self.min_residuals:
                cell = pr
            cache[(b, s)] = _conformal_bounds(cell, self.level)
        q = np.array([cache[(b, s)] for b, s in zip(qb.tolist(), state.tolist(), strict=True)]).reshape(-1, 2)
        width = np.abs(predicted) + floor if self.relative else 1.0
        # The band always holds the point forecast: when recent errors all lie on one side the raw quantiles
        # would put the forecast outside its own interval, which reads as a contradiction to a planner.
        lower = np.maximum(np.minimum(predicted + q[:, 0] * width, predicted), 0.0)
        upper = np.maximum(predicted + q[:, 1] * width, np.maximum(predicted, lower))
        return lower, upper


# ================================================================================================ base
@dataclass
class _Grid:
    """A history on the regular hourly grid: t0 (ns), y and the exogenous arrays."""

    t0: int
    y: np.ndarray
    exog: dict[str, np.ndarray]

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def end_ns(self) -> int:
        return self.t0 + self.n * _NS_PER_HOUR

    def upto(self, origin_ns: int) -> _Grid:
        k = max(0, min(self.n, (origin_ns - self.t0) // _NS_PER_HOUR))
        return _Grid(self.t0, self.y[:k], {c: v[:k] for c, v in self.exog.items()})


def _to_grid(history: pd.DataFrame, *, target: bool = True) -> _Grid:
    """A frame (bucket, [energy_kwh], exog columns) → a regular hourly grid (missing hours NaN)."""
    require_columns(history, ("bucket",), "history")
    if target:
        require_columns(history, ("energy_kwh",), "history")
    b = _utc_series(history["bucket"], "history.bucket")
    if history.empty:
        return _Grid(0, np.zeros(0), {c: np.zeros(0) for c in EXOG_COLUMNS if c in history})
    ns = _ns_array(b)
    if np.any(ns % _NS_PER_HOUR):
        raise ValueError("history buckets must be whole UTC hours")
    t0 = int(ns.min())
    idx = (ns - t0) // _NS_PER_HOUR
    n = int(idx.max()) + 1
    y = np.full(n, np.nan)
    if target:
        y[idx] = _numeric(history, "energy_kwh")
    exog = {}
    for c in EXOG_COLUMNS:
        if c in history.columns:
            a = np.full(n, np.nan)
            a[idx] = _numeric(history, c)
            exog[c] = a
    return _Grid(t0, y, exog)


class HourlyForecaster:
    """Base of the hourly forecasters (see the module docstring for the contract).

    * ``fit(history)``: estimates the parameters on ``history`` (bucket, energy_kwh and :data:`EXOG_COLUMNS`,
      UTC hours, all before the first origin it will forecast from) and keeps it as the data to forecast from.
      The track record of out-of-sample residuals is kept across refits (it is the forecaster's history of
      errors, not a parameter).
    * ``update(history)``: newer data (the whole history up to the next origin, or only the newer rows) without
      re-estimating; earlier forecasts whose hours are now observed are scored into the track record.
    * ``predict(origin, horizon, exog_future)``: point forecast of the hours [origin, origin + horizon h) from
      the data before ``origin`` only, with the interval of :class:`ResidualIntervals`. ``exog_future`` holds
      bucket and :data:`EXOG_COLUMNS` for those hours (the plan, the temperature forecast, the local calendar).
      Returns origin, bucket, step (lead hours 1..horizon), predicted_kwh, lower_kwh, upper_kwh.
    """

    name = "base"
    model_type = "Other"
    needs_exog = False
    #: False for a model without estimated parameters (seasonal naive): it may forecast from any origin.
    has_parameters = True

    def __init__(self, *, level: float = LEVEL, calibration_days: int = 28, by_state: bool = True,
                 min_residuals: int = 30, relative: bool = False) -> None:
        self.level = level
        self.relative = relative
        self.calibration_days = calibration_days
        self.by_state = by_state
        self.min_residuals = min_residuals

    # ---------------------------------------------------------------- public
    def fit(self, history: pd.DataFrame) -> HourlyForecaster:
        return self._fit_grid(_to_grid(history))

    def update(self, history: pd.DataFrame) -> HourlyForecaster:
        self._check_fitted()
        return self._update_grid(self._merge(self.grid_, _to_grid(history)))

    def predict(
        self, origin: object, horizon: int = DAY_AHEAD, exog_future: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        self._check_fitted()
        origin = _utc(origin)
        o = _ns(origin)
        if o % _NS_PER_HOUR:
            raise ValueError("origin must be a whole UTC hour")
        buckets = o + np.arange(max(horizon, 0), dtype=np.int64) * _NS_PER_HOUR
        return self._predict_arrays(origin, horizon, self._future(exog_future, buckets))

    # ---------------------------------------------------------------- grid level (used by the walk)
    def _fit_grid(self, grid: _Grid) -> HourlyForecaster:
        if grid.n == 0 or not np.isfinite(grid.y).any():
            raise ValueError(f"{self.name}: no energy in the history to fit on")
        self._check_exog(grid)
        if not hasattr(self, "record_"):
            self.record_ = ResidualIntervals(level=self.level, calibration_days=self.calibration_days,
                                             by_state=self.by_state, min_residuals=self.min_residuals,
                                             relative=self.relative)
        self.record_.score(grid.t0, grid.y)
        self.grid_ = grid
        self.fit_end_ = pd.Timestamp(grid.end_ns, tz="UTC")
        self.training_samples_ = self._fit(grid)
        return self

    def _update_grid(self, grid: _Grid) -> HourlyForecaster:
        self._check_fitted()
        self.record_.score(grid.t0, grid.y)
        self.grid_ = grid
        self._update(grid)
        return self

    def _predict_arrays(self, origin: pd.Timestamp, horizon: int, future: dict[str, np.ndarray]) -> pd.DataFrame:
        o = _ns(origin)
        if self.has_parameters and o < _ns(self.fit_end_):
            raise ValueError(f"{self.name}: origin {origin} lies before the end of the fitting data "
                             f"({self.fit_end_}): the parameters have seen the hours to forecast")
        if horizon < 1:
            raise ValueError("horizon must be at least 1 hour")
        past = self.grid_.upto(o)  # only data before the origin, whatever the history holds
        buckets = o + np.arange(horizon, dtype=np.int64) * _NS_PER_HOUR
        steps = np.arange(horizon)
        point = np.asarray(self._predict(past, o, horizon, future), dtype=float)
        point = np.where(np.isfinite(point), np.maximum(point, 0.0), np.nan)
        state = (np.nan_to_num(future.get("plan_running", np.zeros(horizon))) >= 0.5).astype(np.int64)
        lower, upper = self.record_.bounds(origin, steps, state, point)
        self.record_.add(origin, buckets, steps, point, state)
        return pd.DataFrame(
            {
                "origin": origin,
                "bucket": pd.to_datetime(buckets, utc=True),
                "step": steps + 1,
                "predicted_kwh": point,
                "lower_kwh": lower,
                "upper_kwh": upper,
            }
        )

    def summary(self) -> dict[str, object]:
        self._check_fitted()
        return {
            "model_name": self.name,
            "model_type": self.model_type,
            "fit_end": self.fit_end_.isoformat(),
            "training_samples": int(self.training_samples_),
            "level": self.level,
            "interval_method": (
                f"empirical quantiles (split-conformal ranks) of out-of-sample residuals of forecasts made in the "
                f"{self.calibration_days} days before the origin, by lead bucket {list(HORIZON_EDGES)} h"
                + (" and planned state (running share >= 0.5)" if self.by_state else "")
            ),
            "residuals_in_record": self.record_.n_residuals,
            **self._extra_summary(),
        }

    # ---------------------------------------------------------------- hooks
    def _fit(self, grid: _Grid) -> int:
        return int(np.isfinite(grid.y).sum())

    def _update(self, grid: _Grid) -> None:
        return None

    def _predict(self, past: _Grid, origin_ns: int, horizon: int, future: dict[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def _extra_summary(self) -> dict[str, object]:
        return {}

    # ---------------------------------------------------------------- internals
    def _check_fitted(self) -> None:
        if not hasattr(self, "grid_"):
            raise RuntimeError(f"{self.name} is not fitted: call fit(history) first")

    def _check_exog(self, grid: _Grid) -> None:
        if self.needs_exog:
            missing = [c for c in EXOG_COLUMNS if c not in grid.exog]
            if missing:
                raise ValueError(f"{self.name} needs the exogenous column(s) {', '.join(missing)} in the history")

    @staticmethod
    def _merge(old: _Grid, new: _Grid) -> _Grid:
        """The union of two grids (the newer values win where they overlap)."""
        if new.n == 0:
            return old
        if new.t0 <= old.t0:
            return new
        t0, end = old.t0, max(old.end_ns, new.end_ns)
        n = (end - t0) // _NS_PER_HOUR
        k = (new.t0 - t0) // _NS_PER_HOUR
        y = np.full(n, np.nan)
        y[: old.n] = old.y
        y[k: k + new.n] = new.y
        exog = {}
        for c in set(old.exog) | set(new.exog):
            a = np.full(n, np.nan)
            if c in old.exog:
                a[: old.n] = old.exog[c]
            if c in new.exog:
                a[k: k + new.n] = new.exog[c]
            exog[c] = a
        return _Grid(t0, y, exog)

    def _future(self, exog_future: pd.DataFrame | None, buckets: np.ndarray) -> dict[str, np.ndarray]:
        if exog_future is None:
            if self.needs_exog:
                raise ValueError(f"{self.name} needs exog_future (bucket and {', '.join(EXOG_COLUMNS)})")
            return {}
        g = _to_grid(exog_future, target=False)
        if g.n == 0:
            if self.needs_exog:
                raise ValueError(f"{self.name}: exog_future is empty")
            return {}
        idx = (buckets - g.t0) // _NS_PER_HOUR
        return self._check_future({c: _at(v, idx) for c, v in g.exog.items()})

    def _check_future(self, future: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if self.needs_exog:
            for c in EXOG_COLUMNS:
                if c not in future or np.isnan(future[c]).any():
                    raise ValueError(f"{self.name}: exog_future lacks {c} for some hour of the horizon")
        return future


# ================================================================================================ seasonal naive
def _seasonal_naive(y: np.ndarray, horizon: int, season: int, max_back: int = 4) -> np.ndarray:
    """ŷ(n + h) = y(n + h - m·(h // m + 1)) (0-based h), going back whole seasons over missing values."""
    n = len(y)
    h = np.arange(horizon)
    out = np.full(horizon, np.nan)
    for k in range(max_back):
        miss = np.isnan(out)
        if not miss.any():
            break
        src = n + h[miss] - season * (h[miss] // season + 1 + k)
        out[miss] = _at(y, src)
    return out


class SeasonalNaiveForecaster(HourlyForecaster):
    """Seasonal naive: the same hour one season (24 h or 168 h) before, repeated over the horizon."""

    has_parameters = False

    def __init__(self, season: int = 168, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.season = season

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"snaive{self.season}"

    def _predict(self, past: _Grid, origin_ns: int, horizon: int, future: dict[str, np.ndarray]) -> np.ndarray:
        return _seasonal_naive(past.y, horizon, self.season)

    def _extra_summary(self) -> dict[str, object]:
        return {"season_hours": self.season}


def seasonal_naive_scale(y: object, season: int = 168) -> float:
    """In-sample MAE of the seasonal naive forecast: mean |y(t) - y(t - season)| over the t where both exist."""
    y = np.asarray(y, dtype=float)
    if len(y) <= season:
        return math.nan
    d = np.abs(y[season:] - y[:-season])
    d = d[np.isfinite(d)]
    return float(d.mean()) if len(d) else math.nan


def mase(actual: object, predicted: object, scale: float) -> float:
    """MASE = MAE(actual, predicted) / scale (pairs with a NaN ignored)."""
    a, p = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    ok = np.isfinite(a) & np.isfinite(p)
    if not ok.any() or not np.isfinite(scale) or scale <= 0:
        return math.nan
    return float(np.mean(np.abs(a[ok] - p[ok])) / scale)


# ================================================================================================ STL + SES
def _fill_gaps(y: np.ndarray, season: int) -> np.ndarray:
    y = y.copy()
    if np.isnan(y).any():
        y = _fill_weekly(y, max_weeks=2) if season == 168 else y
        s = pd.Series(y).interpolate(limit_direction="both")
        y = s.to_numpy()
    return y


class STLETSForecaster(HourlyForecaster):
    """STL (period 168 h) of the last ``window_weeks`` weeks before each origin + simple exponential smoothing of
    the seasonally adjusted series; the forecast is the smoothed level plus the last weekly seasonal cycle.
    The smoothing level is estimated (statsmodels ``SimpleExpSmoothing``) at each fit."""

    name = "stl_ets"

    def __init__(self, *, period: int = 168, window_weeks: int = 6, seasonal: int = 7, jump: int = 25,
                 **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.period = period
        self.window_weeks = window_weeks
        self.seasonal = seasonal
        self.jump = jump

    def _decompose(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        y = y[-self.window_weeks * self.period:]
        if np.isfinite(y).sum() < 2 * self.period:
            return None
        y = _fill_gaps(y, self.period)
        res = STL(y, period=self.period, seasonal=self.seasonal, robust=False, seasonal_jump=self.jump,
                  trend_jump=self.jump, low_pass_jump=self.jump).fit()
        return np.asarray(res.seasonal), y - np.asarray(res.seasonal)

    def _fit(self, grid: _Grid) -> int:
        parts = self._decompose(grid.y)
        self.alpha_ = 0.2
        if parts is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = SimpleExpSmoothing(parts[1], initialization_method="known",
                                         initial_level=float(parts[1][0])).fit()
            alpha = float(res.params.get("smoothing_level", 0.2))
            self.alpha_ = alpha if np.isfinite(alpha) else 0.2
        return int(min(grid.n, self.window_weeks * self.period))

    def _predict(self, past: _Grid, origin_ns: int, horizon: int, future: dict[str, np.ndarray]) -> np.ndarray:
        parts = self._decompose(past.y)
        if parts is None:
            return _seasonal_naive(past.y, horizon, self.period)
        seasonal, adjusted = parts
        a = self.alpha_
        level, _ = lfilter([a], [1.0, -(1.0 - a)], adjusted[1:], zi=[(1.0 - a) * adjusted[0]])
        last = float(level[-1]) if len(level) else float(adjusted[0])
        m = self.period
        n = len(seasonal)
        h = np.arange(horizon)
        return last + seasonal[n - m + (h % m)]

    def _extra_summary(self) -> dict[str, object]:
        return {"period_hours": self.period, "window_weeks": self.window_weeks, "smoothing_level": self.alpha_}


# ================================================================================================ SARIMAX
def _sarimax_design(exog: Mapping[str, np.ndarray], fourier: int, base_c: float = 18.0) -> pd.DataFrame:
    run = exog["plan_running"]
    t = exog["outdoor_temp_c"]
    hdd, cdd = np.maximum(0.0, base_c - t), np.maximum(0.0, t - base_c)
    cols = {
        "plan_running": run,
        "plan_maintenance": exog["plan_maintenance"],
        "plan_offline": exog["plan_offline"],
        "hdd": hdd,
        "cdd": cdd,
        "running_hdd": run * hdd,
        "running_cdd": run * cdd,
    }
    hour = exog["hour"]
    for k in range(1, fourier + 1):
        cols[f"sin{k}"] = np.sin(2 * np.pi * k * hour / 24)
        cols[f"cos{k}"] = np.cos(2 * np.pi * k * hour / 24)
    return pd.DataFrame(cols)


class SARIMAXForecaster(HourlyForecaster):
    """Regression with ARMA errors (statsmodels SARIMAX) on the schedule, degree-hours and Fourier terms of the
    local hour. Fitted on the last ``fit_days`` before the fit, then updated with ``results.extend``."""

    name = "sarimax"
    model_type = "ARIMA"
    needs_exog = True

    def __init__(self, *, order: tuple[int, int, int] = (1, 0, 0), fit_days: int = 42, fourier: int = 2,
                 maxiter: int = 50, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.order = order
        self.fit_days = fit_days
        self.fourier = fourier
        self.maxiter = maxiter

    def _design(self, exog: Mapping[str, np.ndarray]) -> np.ndarray:
        X = _sarimax_design(exog, self.fourier)
        return X[self.columns_].to_numpy(dtype=float)

    @staticmethod
    def _exog_ok(exog: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = {}
        for c, v in exog.items():
            s = pd.Series(v)
            out[c] = s.ffill().bfill().fillna(0.0).to_numpy()
        return out

    def _fit(self, grid: _Grid) -> int:
        k = min(grid.n, self.fit_days * 24)
        y = grid.y[-k:]
        exog = self._exog_ok({c: v[-k:] for c, v in grid.exog.items()})
        X = _sarimax_design(exog, self.fourier)
        self.columns_ = [c for c in X.columns if np.nanstd(X[c].to_numpy()) > 1e-9]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = SARIMAX(y, exog=X[self.columns_].to_numpy(dtype=float), order=self.order, trend="c")
            self.result_ = model.fit(disp=False, maxiter=self.maxiter)
        exog_names = dict(zip(model.exog_names, self.columns_, strict=True))
        self.params_ = {exog_names.get(n, n): float(v)
                        for n, v in zip(model.param_names, np.asarray(self.result_.params), strict=True)}
        self.aic_ = float(self.result_.aic)
        self.state_end_ = grid.end_ns
        return int(np.isfinite(y).sum())

    def _extend_to(self, grid: _Grid, end_ns: int) -> None:
        if end_ns <= self.state_end_:
            return
        a = (self.state_end_ - grid.t0) // _NS_PER_HOUR
        b = (end_ns - grid.t0) // _NS_PER_HOUR
        idx = np.arange(a, b)
        y = _at(grid.y, idx)
        exog = self._exog_ok({c: _at(v, idx) for c, v in grid.exog.items()})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.result_ = self.result_.extend(y, exog=self._design(exog))
        self.state_end_ = end_ns

    def _update(self, grid: _Grid) -> None:
        self._extend_to(grid, grid.end_ns)

    def _predict(self, past: _Grid, origin_ns: int, horizon: int, future: dict[str, np.ndarray]) -> np.ndarray:
        if origin_ns < self.state_end_:
            raise ValueError("sarimax: the filtered state is already past the origin; refit before forecasting "
                             "from an earlier origin")
        self._extend_to(past, origin_ns)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc = self.result_.get_forecast(horizon, exog=self._design(self._exog_ok(future)))
        return np.asarray(fc.predicted_mean, dtype=float)

    def _extra_summary(self) -> dict[str, object]:
        return {"order": list(self.order), "exog": list(self.columns_), "fit_days": self.fit_days,
                "params": self.params_, "aic": self.aic_ if np.isfinite(self.aic_) else None}


# ================================================================================================ gradient boosting
GBM_FEATURES = (
    "hour", "weekday", "lead_day", "plan_running", "plan_idle", "plan_maintenance", "plan_offline",
    "running_prev", "running_next", "outdoor_temp_c", "lag_week", "running_lag_week", "offline_lag_week",
    "lag_2weeks", "lag_day", "running_lag_day", "last", "mean_24h", "mean_168h",
)


def _window_means(y: np.ndarray, width: int) -> np.ndarray:
    """m[i] = mean of the finite y[i - width : i] (NaN without any)."""
    v = np.where(np.isfinite(y), y, 0.0)
    cs = np.concatenate([[0.0], np.cumsum(v)])
    cn = np.concatenate([[0], np.cumsum(np.isfinite(y))])
    i = np.arange(len(y) + 1)
    lo = np.maximum(i - width, 0)
    cnt = cn[i] - cn[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, (cs[i] - cs[lo]) / np.maximum(cnt, 1), np.nan)


def _utc_offsets(hour: np.ndarray, t0_ns: int) -> np.ndarray:
    """Local minus UTC hours per grid position, from the local hour of each position (whole-hour zones)."""
    utc_hour = ((t0_ns // _NS_PER_HOUR) + np.arange(len(hour))) % 24
    return (np.nan_to_num(hour).astype(np.int64) - utc_hour + 12) % 24 - 12


def _local_lag(p: np.ndarray, k: np.ndarray, off: np.ndarray, o: np.ndarray) -> np.ndarray:
    """Position of the same local wall-clock time ``k`` hours before p (k ± 1 across a DST change); -1 where that
    is not before the origin o (never an hour at or after the origin)."""
    back = np.clip(p - k, 0, len(off) - 1)
    q = p - k + off[np.clip(p, 0, len(off) - 1)] - off[back]
    return np.where(q < o, q, -1)


def _gbm_design(y: np.ndarray, exog: Mapping[str, np.ndarray], o: np.ndarray, h: np.ndarray,
                t0_ns: int) -> np.ndarray:
    """Features of the targets p = o + h from origins o (positions) and 0-based leads h: every energy input lies
    before its origin (see the module docstring). Lags are taken at the same local wall-clock time (a week,
    two weeks, whole days before), so a DST change does not shift them by an hour."""
    p = o + h
    n = len(y)
    run, off = exog["plan_running"], exog["plan_offline"]
    utc_off = _utc_offsets(exog["hour"], t0_ns)
    week = _local_lag(p, np.full(len(p), 168), utc_off, o)
    week2 = _local_lag(p, np.full(len(p), 336), utc_off, o)
    day = _local_lag(p, 24 * (h // 24 + 1), utc_off, o)
    m24, m168 = _window_means(y, 24), _window_means(y, 168)
    cols = [
        exog["hour"][p], exog["weekday"][p], (h // 24).astype(float),
        run[p], exog["plan_idle"][p], exog["plan_maintenance"][p], off[p],
        run[np.maximum(p - 1, 0)], run[np.minimum(p + 1, n - 1)], exog["outdoor_temp_c"][p],
        _at(y, week), _at(run, week), _at(off, week), _at(y, week2),
        _at(y, day), _at(run, day), _at(y, o - 1), m24[o], m168[o],
    ]
    return np.column_stack(cols)


class GradientBoostingForecaster(HourlyForecaster):
    """Direct multi-horizon gradient boosting (scikit-learn ``HistGradientBoostingRegressor``): one model for all
    leads 1..``max_lead`` h, trained on (local-midnight origin, lead) samples of the last ``train_days``; all
    leads of day 1 and every ``lead_stride``-th later lead (rotating with the origin) are sampled."""

    name = "gbm"
    needs_exog = True

    def __init__(self, *, train_days: int = 365, max_lead: int = WEEK_AHEAD, lead_stride: int = 6,
                 max_iter: int = 100, learning_rate: float = 0.12, max_leaf_nodes: int = 15,
                 min_samples_leaf: int = 20, l2_regularization: float = 1.0, random_state: int = 0,
                 n_threads: int | None = 1, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.train_days = train_days
        self.max_lead = max_lead
        self.lead_stride = lead_stride
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.random_state = random_state
        self.n_threads = n_threads

    def _samples(self, grid: _Grid) -> tuple[np.ndarray, np.ndarray]:
        n = grid.n
        hour = grid.exog["hour"]
        first = max(168, n - self.train_days * 24)
        origins = np.flatnonzero(hour[first:] == 0) + first
        day1 = np.arange(min(DAY_AHEAD, self.max_lead))
        later = np.arange(DAY_AHEAD, self.max_lead)
        o_parts, h_parts = [], []
        for j, o in enumerate(origins):
            hs = np.concatenate([day1, later[(later + j) % self.lead_stride == 0]])
            hs = hs[o + hs < n]
            o_parts.append(np.full(len(hs), o))
            h_parts.append(hs)
        if not o_parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        o, h = np.concatenate(o_parts).astype(np.int64), np.concatenate(h_parts).astype(np.int64)
        keep = np.isfinite(grid.y[o + h])
        return o[keep], h[keep]

    def _fit(self, grid: _Grid) -> int:
        exog = {c: np.nan_to_num(v, nan=np.nanmean(v) if np.isfinite(v).any() else 0.0)
                for c, v in grid.exog.items()}
        o, h = self._samples(grid)
        if len(o) < 50:
            raise ValueError(f"gbm: only {len(o)} training samples (need a few weeks of history)")
        X = _gbm_design(grid.y, exog, o, h, grid.t0)
        y = grid.y[o + h]
        reg = HistGradientBoostingRegressor(
            max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf, l2_regularization=self.l2_regularization,
            early_stopping=False, random_state=self.random_state,
        )
        with _threads(self.n_threads):
            self.regressor_ = reg.fit(X, y)
        return len(y)

    def _predict(self, past: _Grid, origin_ns: int, horizon: int, future: dict[str, np.ndarray]) -> np.ndarray:
        n = past.n
        if (origin_ns - past.t0) // _NS_PER_HOUR != n:  # a gap between the data and the origin: NaN-pad
            gap = (origin_ns - past.t0) // _NS_PER_HOUR - n
            past = _Grid(past.t0, np.concatenate([past.y, np.full(gap, np.nan)]),
                         {c: np.concatenate([v, np.full(gap, np.nan)]) for c, v in past.exog.items()})
            n = past.n
        y = np.concatenate([past.y, np.full(horizon, np.nan)])  # no actual at or after the origin, by design
        exog = {}
        for c in EXOG_COLUMNS:
            a = np.concatenate([past.exog.get(c, np.full(n, np.nan)), future[c]])
            exog[c] = pd.Series(a).ffill().bfill().fillna(0.0).to_numpy()
        h = np.arange(horizon, dtype=np.int64)
        X = _gbm_design(y, exog, np.full(horizon, n, dtype=np.int64), h, past.t0)
        with _threads(self.n_threads):
            return self.regressor_.predict(X)

    def _extra_summary(self) -> dict[str, object]:
        return {"features": list(GBM_FEATURES), "train_days": self.train_days, "max_lead": self.max_lead,
                "lead_stride": self.lead_stride, "n_iter": int(self.regressor_.n_iter_),
                "learning_rate": self.learning_rate, "max_leaf_nodes": self.max_leaf_nodes}


def default_models(**interval_kwargs: object) -> dict[str, Callable[[], HourlyForecaster]]:
    """Factories of the five models by name (fresh, unfitted instances)."""
    kw = dict(interval_kwargs)
    return {
        "snaive24": lambda: SeasonalNaiveForecaster(24, **kw),
        "snaive168": lambda: SeasonalNaiveForecaster(168, **kw),
        "stl_ets": lambda: STLETSForecaster(**kw),
        "sarimax": lambda: SARIMAXForecaster(**kw),
        "gbm": lambda: GradientBoostingForecaster(**kw),
    }


# ================================================================================================ rolling origin
def rolling_origin(
    frame: pd.DataFrame,
    model: HourlyForecaster,
    origins: Sequence[object],
    *,
    end: object | None = None,
    horizon: int = WEEK_AHEAD,
    refit_days: int | None = None,
    final_horizon: int | None = None,
    n_threads: int | None = 1,
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Forecasts of one series from each origin (ascending), each from the data before it only.

    ``frame``: the series grid (bucket, energy_kwh, :data:`EXOG_COLUMNS`), possibly extended past ``end`` with
    future exogenous rows (their energy is ignored). The model is fitted at the first origin on the data before
    it, re-fitted every ``refit_days`` days (None: never) and at an origin at or after ``end`` (the forecast that
    is published gets the freshest parameters), otherwise updated. A forecast from an origin before
    ``end`` stops at ``end`` (nothing to score beyond it); an origin at or after ``end`` (the forecast from the
    end of the data) runs ``final_horizon`` (default ``horizon``) hours on the future exogenous rows.

    Returns the forecasts (origin, bucket, step, predicted_kwh, lower_kwh, upper_kwh, model_name) and an info
    dict (training_samples, fits, failures, summary of the last fit). ``n_threads`` caps the BLAS / OpenMP
    threads during the walk (1: small statsmodels problems run ten times slower with threads fighting over
    two cores; None leaves the libraries' defaults).
    """
    require_columns(frame, ("bucket", "energy_kwh"), "frame")
    f = frame.sort_values("bucket", kind="stable").reset_index(drop=True)
    b = _utc_series(f["bucket"], "frame.bucket")
    end = _utc(end) if end is not None else b.max() + HOUR
    f = f.assign(bucket=b, energy_kwh=np.where(b < end, f["energy_kwh"].to_numpy(dtype=float), np.nan))
    with _threads(n_threads):
        return _walk(f, model, origins, end, horizon, refit_days, final_horizon)


def _walk(f: pd.DataFrame, model: HourlyForecaster, origins: Sequence[object],
          end: pd.Timestamp, horizon: int, refit_days: int | None,
          final_horizon: int | None) -> tuple[pd.DataFrame, dict[str, object]]:
    full = _to_grid(f)
    out, failures, fits = [], [], 0
    fitted_at: pd.Timestamp | None = None
    ok = True
    for origin in sorted(_utc(o) for o in origins):
        hz = (final_horizon or horizon) if origin >= end else min(horizon, int((end - origin) / HOUR))
        if hz < 1:
            continue
        history = full.upto(_ns(origin))
        try:
            due = fitted_at is None or (
                refit_days is not None
                and ((origin - fitted_at) >= pd.Timedelta(days=refit_days) - HOUR or origin >= end)
            )
            if due:
                model._fit_grid(history)
                fitted_at, fits, ok = origin, fits + 1, True
            elif ok:
                model._update_grid(history)
        except Exception as exc:  # noqa: BLE001 - a failing model is reported, never fatal for the others
            failures.append(f"{origin.isoformat()}: fit/update failed: {type(exc).__name__}: {exc}")
            ok = False
            fitted_at = fitted_at or origin
        if not ok:
            continue
        idx = (_ns(origin) - full.t0) // _NS_PER_HOUR + np.arange(hz)
        try:
            future = model._check_future({c: _at(v, idx) for c, v in full.exog.items()})
            pred = model._predict_arrays(origin, hz, future)
        except Exception as exc:  # noqa: BLE001
            failures.append(f"{origin.isoformat()}: predict failed: {type(exc).__name__}: {exc}")
            continue
        out.append(pred)
    columns = ["origin", "bucket", "step", "predicted_kwh", "lower_kwh", "upper_kwh"]
    result = pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=columns)
    result["model_name"] = model.name
    info: dict[str, object] = {"fits": fits, "failures": failures}
    if hasattr(model, "grid_") and ok:
        info["training_samples"] = int(model.training_samples_)
        try:
            info["summary"] = model.summary()
        except Exception as exc:  # noqa: BLE001
            info["summary"] = {"error": f"{type(exc).__name__}: {exc}"}
    return result, info


def _series_origins(start: pd.Timestamp, end: pd.Timestamp, timezone: str, backtest_days: int,
                    calibration_days: int, week_origins: int) -> dict[str, list[pd.Timestamp]]:
    mids = local_midnights(start + pd.Timedelta(days=14), end, timezone)
    daily = [o for o in mids if o + DAY_AHEAD * HOUR <= end]
    weekly_ok = [o for o in mids if o + WEEK_AHEAD * HOUR <= end]
    day = daily[-backtest_days:] if backtest_days > 0 else []
    before = daily[: len(daily) - len(day)]
    calib = before[-calibration_days:] if calibration_days > 0 else []
    week = [weekly_ok[-1 - 7 * k] for k in range(week_origins) if 7 * k < len(weekly_ok)][::-1]
    return {"calibration": list(calib), "day": list(day), "week": week}


def backtest_series(
    frame: pd.DataFrame,
    timezone: str,
    models: Mapping[str, Callable[[], HourlyForecaster]] | None = None,
    *,
    end: object | None = None,
    future: pd.DataFrame | None = None,
    backtest_days: int = 28,
    calibration_days: int = 28,
    week_origins: int = 4,
    refit_days: Mapping[str, int | None] | None = None,
    final: bool = True,
) -> dict[str, object]:
    """Rolling-origin backtest of every model on one series, then (``final``) the forecast from ``end``.

    ``frame``: the series grid up to ``end`` (:func:`forecast_inputs` rows of one series); ``future``: the
    exogenous rows from ``end`` on (needed for the final forecast of the models with exogenous inputs).
    Origins: local midnights (``timezone``); ``calibration_days`` origins that only feed the interval record,
    then the ``backtest_days`` scored day-ahead origins (the last ones whose 24 h lie before ``end``); the
    ``week_origins`` scored week-ahead origins are the last local midnights 7 days apart whose 168 h lie before
    ``end``. Returns {"forecasts": frame (with actual_kwh and the flags in_day / in_week / is_final),
    "scale": the frozen MASE scale, "info": per model, "origins": the origin lists}.
    """
    models = dict(models or default_models())
    cadence = {**REFIT_DAYS, **(refit_days or {})}
    b = _utc_series(frame["bucket"], "frame.bucket")
    end = _utc(end) if end is not None else b.max() + HOUR
    origins = _series_origins(b.min(), end, timezone, backtest_days, calibration_days, week_origins)
    run_origins = sorted(set(origins["calibration"]) | set(origins["day"]) | set(origins["week"]))
    if final:
        run_origins.append(end)
    grid = frame.assign(bucket=b)
    if future is not None and len(future):
        fut = future.assign(bucket=_utc_series(future["bucket"], "future.bucket"), energy_kwh=np.nan)
        fut = fut[fut["bucket"] >= end]
        grid = pd.concat([grid[grid["bucket"] < end], fut[[c for c in grid.columns if c in fut.columns]]],
                         ignore_index=True)
    parts, info = [], {}
    for name, factory in models.items():
        model = factory()
        pred, meta = rolling_origin(grid, model, run_origins, end=end, horizon=WEEK_AHEAD,
                                    refit_days=cadence.get(name), final_horizon=WEEK_AHEAD)
        pred["model_name"] = name
        meta["seconds"] = None
        parts.append(pred)
        info[name] = meta
    fc = pd.concat(parts, ignore_index=True)
    actual = frame.assign(bucket=b).set_index("bucket")["energy_kwh"]
    actual = actual[actual.index < end]
    fc["actual_kwh"] = actual.reindex(fc["bucket"]).to_numpy()
    day, week = set(origins["day"]), set(origins["week"])
    fc["in_day"] = fc["origin"].isin(day) & (fc["step"] <= DAY_AHEAD)
    fc["in_week"] = fc["origin"].isin(week) & (fc["step"] <= WEEK_AHEAD)
    fc["is_final"] = fc["origin"] >= end
    first = min(origins["day"]) if origins["day"] else end
    scale = seasonal_naive_scale(actual[actual.index < first].reindex(
        pd.date_range(b.min(), first, freq="h", inclusive="left")).to_numpy(), WEEK_AHEAD)
    return {"forecasts": fc, "scale": scale, "info": info, "origins": origins,
            "scale_window": (b.min(), first)}


# ================================================================================================ metrics
def forecast_metrics(actual: object, predicted: object, lower: object = None, upper: object = None, *,
                     scale: float = math.nan) -> dict[str, float]:
    """Accuracy of forecasts against actuals (pairs with a NaN dropped).

    n, mae, mase (MAE / ``scale``), rmse, nrmse (RMSE / mean actual), bias_kwh (mean of ŷ - y), bias_pct
    (Σ(ŷ - y) / Σy · 100), coverage (share of actuals inside [lower, upper], over the pairs with bounds),
    mape (mean |ŷ - y| / y · 100 over actuals > 0), r2 (1 - SSE / SST, out of sample).
    """
    a, p = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    ok = np.isfinite(a) & np.isfinite(p)
    out = {"n": int(ok.sum())}
    if not ok.any():
        return {**out, **dict.fromkeys(("mae", "mase", "rmse", "nrmse", "bias_kwh", "bias_pct", "coverage", "mape",
                                        "r2"), math.nan)}
    e = p[ok] - a[ok]
    mean = float(a[ok].mean())
    out["mae"] = float(np.abs(e).mean())
    out["mase"] = out["mae"] / scale if np.isfinite(scale) and scale > 0 else math.nan
    out["rmse"] = float(np.sqrt(np.mean(e**2)))
    out["nrmse"] = out["rmse"] / mean if mean else math.nan
    out["bias_kwh"] = float(e.mean())
    out["bias_pct"] = float(e.sum() / a[ok].sum() * 100) if a[ok].sum() else math.nan
    if lower is not None and upper is not None:
        lo, hi = np.asarray(lower, dtype=float)[ok], np.asarray(upper, dtype=float)[ok]
        has = np.isfinite(lo) & np.isfinite(hi)
        aa = a[ok][has]
        out["coverage"] = float(np.mean((aa >= lo[has]) & (aa <= hi[has]))) if has.any() else math.nan
    else:
        out["coverage"] = math.nan
    pos = a[ok] > 0
    out["mape"] = float(np.mean(np.abs(e[pos]) / a[ok][pos]) * 100) if pos.any() else math.nan
    sst = float(np.sum((a[ok] - mean) ** 2))
    out["r2"] = 1.0 - float(np.sum(e**2)) / sst if sst > 0 else math.nan
    return out


def _metrics_table(fc: pd.DataFrame, scales: Mapping[tuple[str, str], float]) -> pd.DataFrame:
    rows = []
    for kind, flag in (("day_ahead", "in_day"), ("week_ahead", "in_week")):
        sub = fc[fc[flag]]
        for (mid, etype, name), g in sub.groupby(["machine_id", "energy_type", "model_name"], sort=True):
            m = forecast_metrics(g["actual_kwh"], g["predicted_kwh"], g["lower_kwh"], g["upper_kwh"],
                                 scale=scales[(mid, etype)])
            rows.append({"machine_id": mid, "energy_type": etype, "model_name": name, "kind": kind,
                         "origins": int(g["origin"].nunique()), **m, "scale_kwh": scales[(mid, etype)]})
    return pd.DataFrame(rows)


def select_models(metrics: pd.DataFrame, *, min_share: float = 0.95) -> pd.DataFrame:
    """Per series the model with the lowest day-ahead MASE among those that forecast at least ``min_share`` of
    the scored hours of the best-covered model. Columns: machine_id, energy_type, model_name."""
    day = metrics[(metrics["kind"] == "day_ahead") & metrics["mase"].notna()]
    rows = []
    for (mid, etype), g in day.groupby(["machine_id", "energy_type"], sort=True):
        g = g[g["n"] >= min_share * g["n"].max()]
        best = g.sort_values(["mase", "model_name"], kind="stable").iloc[0]
        rows.append({"machine_id": mid, "energy_type": etype, "model_name": best["model_name"]})
    return pd.DataFrame(rows, columns=["machine_id", "energy_type", "model_name"])


def horizon_label(step: object) -> np.ndarray:
    """energy_forecasts.horizon from the lead time in hours: 1-4 'short', 5-24 'medium', 25 and more 'long'."""
    s = np.asarray(step, dtype=np.int64)
    return np.where(s <= 4, "short", np.where(s <= DAY_AHEAD, "medium", "long"))


# ================================================================================================ the run
@dataclass
class ForecastRun:
    """Everything the forecast step produces (plain pandas frames, a JSON-able summary).

    * backtest: every backtest forecast: machine_id, energy_type, origin, bucket, step (lead hours),
      predicted_kwh, lower_kwh, upper_kwh, model_name, actual_kwh, in_day (scored day-ahead), in_week (scored
      week-ahead), chosen. Rows of neither kind are the calibration origins' forecasts.
    * metrics: per machine_id, energy_type, model_name and kind ('day_ahead' / 'week_ahead'): origins, n,
      mae, mase, rmse, nrmse, bias_kwh, bias_pct, coverage, mape, r2, scale_kwh, chosen.
    * selection: machine_id, energy_type, model_name (lowest day-ahead MASE).
    * forecasts: the forecasts from the end of the data, every model: machine_id, energy_type, origin, bucket,
      step, predicted_kwh, lower_kwh, upper_kwh, model_name, chosen, horizon (short / medium / long by lead),
      training_samples. Day-ahead = steps 1-24, week-ahead = steps 1-168 (the same run).
    * summary: median day-ahead MASE (chosen models; all series and electricity only), pooled coverage and MASE,
      targets, failures, timings; models: per series and model, fits, failures and the last fit's summary();
      peak_demand: :func:`peak_demand_forecast` (when ``energy_15min`` was given).
    """

    backtest: pd.DataFrame
    metrics: pd.DataFrame
    selection: pd.DataFrame
    forecasts: pd.DataFrame
    summary: dict[str, object]
    models: dict[str, dict[str, object]] = field(default_factory=dict)
    peak_demand: pd.DataFrame | None = None

    def series(self, machine_id: str, energy_type: str,
               energy_hourly: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """For a plot: the series' actual hourly energy before the forecast origin (bucket, total_energy_kwh)
        and the chosen model's forecast from the end of the data (bucket, step, predicted_kwh, lower_kwh,
        upper_kwh, model_name)."""
        end = _utc(self.summary["end"])
        e = energy_hourly[(energy_hourly["machine_id"].astype(str) == str(machine_id))
                          & (energy_hourly["energy_type"].astype(str) == energy_type)]
        b = _utc_series(e["bucket"], "energy_hourly.bucket")
        history = pd.DataFrame({"bucket": b, "total_energy_kwh": _numeric(e, "total_energy_kwh")})
        history = history[history["bucket"] < end].sort_values("bucket").reset_index(drop=True)
        f = self.forecasts
        f = f[(f["machine_id"] == str(machine_id)) & (f["energy_type"] == energy_type) & f["chosen"]]
        columns = ["bucket", "step", "predicted_kwh", "lower_kwh", "upper_kwh", "model_name"]
        return history, f.sort_values("bucket")[columns].reset_index(drop=True)

    def factory_total(self, factory_id: str, machines: pd.DataFrame, energy_hourly: pd.DataFrame,
                      energy_type: str = "electricity") -> tuple[pd.DataFrame, pd.DataFrame]:
        """As :meth:`series` for the sum over a factory's machines of one energy type (hours where every machine
        has a value). The bounds are the sums of the machines' bounds: wider than a 90 % interval of the sum,
        since the machines' errors partly cancel."""
        ids = machines.loc[machines["factory_id"].astype(str) == str(factory_id), "machine_id"].astype(str)
        parts = [self.series(mid, energy_type, energy_hourly) for mid in ids
                 if ((self.forecasts["machine_id"] == mid) & (self.forecasts["energy_type"] == energy_type)).any()]
        if not parts:
            return (pd.DataFrame(columns=["bucket", "total_energy_kwh"]),
                    pd.DataFrame(columns=["bucket", "step", "predicted_kwh", "lower_kwh", "upper_kwh"]))
        n = len(parts)
        h = pd.concat([p[0] for p in parts]).groupby("bucket")["total_energy_kwh"].agg(["sum", "count"])
        history = h.loc[h["count"] == n, ["sum"]].rename(columns={"sum": "total_energy_kwh"}).reset_index()
        f = pd.concat([p[1] for p in parts]).groupby(["bucket", "step"])
        sums = f[["predicted_kwh", "lower_kwh", "upper_kwh"]].sum(min_count=1)
        forecast = sums[f.size() == n].reset_index()
        return history, forecast


def _series_job(key: tuple[str, str], frame: pd.DataFrame, future: pd.DataFrame | None, timezone: str,
                models: Mapping[str, Callable[[], HourlyForecaster]] | None, kwargs: dict) -> tuple:
    started, cpu = time.perf_counter(), time.process_time()
    with threadpool_limits(limits=1):
        res = backtest_series(frame, timezone, models, future=future, **kwargs)
    return key, res, (time.perf_counter() - started, time.process_time() - cpu)


def run_forecasts(
    energy_hourly: pd.DataFrame,
    machines: pd.DataFrame,
    mode_hourly: pd.DataFrame,
    temperature: pd.DataFrame,
    *,
    end: object | None = None,
    models: Mapping[str, Callable[[], HourlyForecaster]] | None = None,
    refit_days: Mapping[str, int | None] | None = None,
    backtest_days: int = 28,
    calibration_days: int = 28,
    week_origins: int = 4,
    schedule_weeks: int = 4,
    temperature_days: int = 7,
    holidays: Mapping[str, Iterable[date]] | None = None,
    energy_15min: pd.DataFrame | None = None,
    n_jobs: int = 1,
) -> ForecastRun:
    """The forecast step for a plant: inputs, backtest of every model on every series, selection, forecasts of
    24 h and 168 h from ``end`` (default: the last energy hour + 1 h) and, given ``energy_15min``, the next
    local day's peak 15-minute demand per factory. ``temperature``: hourly outdoor temperature per machine
    (bucket, machine_id, avg_outdoor_temp_c; e.g. quality's temperature_hourly). ``holidays``: optional local
    closing dates per machine_id or factory_id, for the future plan. ``n_jobs``: series in parallel (joblib).
    """
    started, cpu_started = time.perf_counter(), time.process_time()
    machines = machines.assign(machine_id=machines["machine_id"].astype(str))
    zones = _timezones(machines)
    schedule = planned_schedule(mode_hourly)
    inputs = forecast_inputs(energy_hourly, machines, schedule, temperature, end=end)
    if inputs.empty:
        raise ValueError("no energy series to forecast")
    end = _utc(end) if end is not None else inputs["bucket"].max() + HOUR
    horizon_end = end + WEEK_AHEAD * HOUR
    plan = typical_schedule(schedule, machines, end, horizon_end, weeks=schedule_weeks, holidays=holidays)
    outlook = temperature_outlook(temperature, machines, end, horizon_end, days=temperature_days)
    future = plan.merge(outlook, on=["machine_id", "bucket"], how="left")
    kwargs = {"end": end, "backtest_days": backtest_days, "calibration_days": calibration_days,
              "week_origins": week_origins, "refit_days": refit_days}
    jobs = []
    for (mid, etype), frame in inputs.groupby(["machine_id", "energy_type"], sort=True):
        fut = future[future["machine_id"] == mid].copy()
        if not fut.empty:
            cal = local_calendar(_utc_series(fut["bucket"], "future.bucket"), zones[mid])
            fut["hour"], fut["weekday"] = cal["hour"].to_numpy(), cal["weekday"].to_numpy()
        jobs.append(((mid, etype), frame.reset_index(drop=True), fut, zones[mid]))
    if n_jobs == 1:
        results = [_series_job(k, f, u, z, models, kwargs) for k, f, u, z in jobs]
    else:
        results = Parallel(n_jobs=n_jobs)(delayed(_series_job)(k, f, u, z, models, kwargs) for k, f, u, z in jobs)
    parts, scales, infos, seconds, cpu = [], {}, {}, {}, {}
    for (mid, etype), res, (sec, cpu_sec) in results:
        fc = res["forecasts"]
        fc.insert(0, "machine_id", mid)
        fc.insert(1, "energy_type", etype)
        parts.append(fc)
        scales[(mid, etype)] = res["scale"]
        infos[f"{mid}/{etype}"] = res["info"]
        seconds[f"{mid}/{etype}"] = round(sec, 2)
        cpu[f"{mid}/{etype}"] = round(cpu_sec, 2)
    fc = pd.concat(parts, ignore_index=True)
    metrics = _metrics_table(fc, scales)
    selection = select_models(metrics)
    chosen = set(map(tuple, selection[["machine_id", "energy_type", "model_name"]].to_numpy().tolist()))
    metrics["chosen"] = [(m, e, n) in chosen for m, e, n in metrics[["machine_id", "energy_type", "model_name"]]
                         .itertuples(index=False)]
    fc["chosen"] = [(m, e, n) in chosen for m, e, n in fc[["machine_id", "energy_type", "model_name"]]
                    .itertuples(index=False)]
    final = fc[fc["is_final"]].drop(columns=["actual_kwh", "in_day", "in_week", "is_final"]).reset_index(drop=True)
    final["horizon"] = horizon_label(final["step"])
    final["training_samples"] = [infos[f"{m}/{e}"].get(n, {}).get("training_samples") for m, e, n in
                                 final[["machine_id", "energy_type", "model_name"]].itertuples(index=False)]
    backtest = fc[~fc["is_final"]].drop(columns=["is_final"]).reset_index(drop=True)
    overall = _overall(backtest[backtest["chosen"]], scales)
    chosen_day = metrics[metrics["chosen"] & (metrics["kind"] == "day_ahead")]
    elec = chosen_day[chosen_day["energy_type"] == "electricity"]
    summary: dict[str, object] = {
        "end": end.isoformat(),
        "series": int(len(scales)),
        "median_day_ahead_mase": float(chosen_day["mase"].median()),
        "median_day_ahead_mase_electricity": float(elec["mase"].median()) if len(elec) else None,
        "day_ahead_coverage": overall["day_ahead"]["coverage"],
        "week_ahead_coverage": overall["week_ahead"]["coverage"],
        "overall": overall,
        "targets": {"median_day_ahead_mase_max": 0.85, "coverage_range": [0.85, 0.95]},
        "series_seconds": seconds,
        "series_cpu_seconds": cpu,
        "failures": {k: {n: v["failures"] for n, v in info.items() if v["failures"]} for k, info in infos.items()
                     if any(v["failures"] for v in info.values())},
        "scale_window": "every hour from the start of the data to the first scored day-ahead origin of the series",
        "temperature": "backtest: measured temperature stands in for a weather forecast (perfect forecast); "
        f"forecast from the end: mean of the last {temperature_days} days per local hour",
        "schedule": "planned schedule from the operating-mode history, fault counted as planned running; "
        f"beyond the end: mean plan of the last {schedule_weeks} weeks per local hour of week"
        + (", holidays offline" if holidays else ""),
    }
    summary["meets_targets"] = bool(
        summary["median_day_ahead_mase"] <= 0.85 and 0.85 <= (summary["day_ahead_coverage"] or 0) <= 0.95
    )
    peak = None
    if energy_15min is not None:
        peak = peak_demand_forecast(fc[fc["chosen"] & (fc["energy_type"] == "electricity")], energy_15min,
                                    machines, end=end)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    # CPU of this process plus the series jobs (in worker processes when n_jobs > 1): the cost of the step,
    # independent of what else runs on the machine.
    own = time.process_time() - cpu_started
    summary["cpu_seconds"] = round(own + (sum(cpu.values()) if n_jobs != 1 else 0.0), 1)
    return ForecastRun(backtest=backtest, metrics=metrics, selection=selection, forecasts=final, summary=summary,
                       models=infos, peak_demand=peak)


def _overall(fc: pd.DataFrame, scales: Mapping[tuple[str, str], float]) -> dict[str, dict[str, float]]:
    """Pooled figures over the chosen models of all series: MASE = mean of |error| / series scale, coverage
    and bias over all scored hours."""
    out = {}
    for kind, flag in (("day_ahead", "in_day"), ("week_ahead", "in_week")):
        g = fc[fc[flag]]
        m = forecast_metrics(g["actual_kwh"], g["predicted_kwh"], g["lower_kwh"], g["upper_kwh"])
        s = np.array([scales[(a, b)] for a, b in g[["machine_id", "energy_type"]].itertuples(index=False)])
        err = np.abs(g["predicted_kwh"].to_numpy(float) - g["actual_kwh"].to_numpy(float)) / s
        m["mase"] = float(np.nanmean(err)) if len(err) else math.nan
        out[kind] = m
    return out


# ================================================================================================ peak demand
def _factory_demand_15min(energy_15min: pd.DataFrame, machines: pd.DataFrame) -> pd.DataFrame:
    """Factory electricity demand (kW) per complete 15-minute interval: Σ machines' kWh / 0.25 h, only where
    every electricity machine of the factory has its interval."""
    require_columns(energy_15min, ("bucket", "machine_id", "energy_type", "total_energy_kwh"), "energy_15min")
    e = energy_15min[energy_15min["energy_type"].astype(str) == "electricity"]
    fac = dict(zip(machines["machine_id"].astype(str), machines["factory_id"].astype(str), strict=True))
    e = pd.DataFrame({"bucket": _utc_series(e["bucket"], "energy_15min.bucket").to_numpy(),
                      "machine_id": e["machine_id"].astype(str).to_numpy(),
                      "kwh": _numeric(e, "total_energy_kwh")})
    e = e[e["machine_id"].isin(fac)].drop_duplicates(["machine_id", "bucket"], keep="last")
    e["factory_id"] = e["machine_id"].map(fac)
    n_machines = e.groupby("factory_id")["machine_id"].nunique()
    g = e.groupby(["factory_id", "bucket"], as_index=False).agg(kwh=("kwh", "sum"), n=("machine_id", "nunique"))
    g = g[g["n"] == g["factory_id"].map(n_machines)]
    g["demand_kw"] = g["kwh"] / 0.25
    return g[["factory_id", "bucket", "demand_kw"]]


def peak_demand_forecast(
    forecasts: pd.DataFrame,
    energy_15min: pd.DataFrame,
    machines: pd.DataFrame,
    *,
    end: object,
    days: int = 28,
    level: float = LEVEL,
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
    end = _utc(end)
    zones = dict(zip(machines["factory_id"].astype(str), machines["timezone"].astype(str), strict=False))
    fac = dict(zip(machines["machine_id"].astype(str), machines["factory_id"].astype(str), strict=True))
    demand = _factory_demand_15min(energy_15min, machines)
    demand = demand[demand["bucket"] < end]
    f = forecasts.assign(factory_id=forecasts["machine_id"].astype(str).map(fac))
    rows = []
    for fid, g in f.groupby("factory_id", sort=True):
        zone = zones[fid]
        n_m = g["machine_id"].nunique()
        d = demand[demand["factory_id"] == fid].copy()
        d["hour"] = d["bucket"].dt.floor("h")
        d["date"] = local_calendar(d["bucket"], zone)["date"].to_numpy()
        # Hourly average demand: only hours with all four quarters.
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
            rows.append({"factory_id": fid, "origin": origin, "day": target.date(),
                         "predicted_peak_kw": float(hs["kw"].to_numpy()[sel].max()) * ratio, "ratio": ratio,
                         "actual_peak_kw": float(daily["peak"].get(target, math.nan)) if target in daily.index
                         and day_end.tz_convert("UTC") <= end else math.nan,
                         "actual_peak_time": daily["peak_time"].get(target, pd.NaT) if target in daily.index
                         and day_end.tz_convert("UTC") <= end else pd.NaT,
                         "_day_end": day_end.tz_convert("UTC")})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
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
    return out.drop(columns=["_day_end"])[["factory_id", "origin", "day", "predicted_peak_kw", "lower_kw",
                                           "upper_kw", "ratio", "actual_peak_kw", "actual_peak_time"]]


# ================================================================================================ write-back rows
def _decimal(value: object, precision: int, scale: int) -> tuple[float | None, str | None]:
    """Round to ``scale`` decimals; None with a reason when it does not fit DECIMAL(precision, scale)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None, "not a number"
    if not math.isfinite(v):
        return None, "not finite"
    v = round(v, scale)
    limit = 10 ** (precision - scale) - 10 ** (-scale)
    if abs(v) > limit:
        return None, f"{v} outside DECIMAL({precision},{scale}) (|x| <= {limit:.{scale}f})"
    return v, None


def _json_float(v: object) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return round(f, 6) if math.isfinite(f) else None


def _backtest_meta(m: object) -> dict[str, object]:
    out: dict[str, object] = {x: _json_float(getattr(m, x, None))
                              for x in ("mase", "nrmse", "rmse", "bias_kwh", "bias_pct", "coverage", "mape", "r2")}
    n = getattr(m, "n", None)
    out["hours"] = None if n is None or pd.isna(n) else int(n)
    return out


def forecast_rows(
    forecasts: pd.DataFrame,
    metrics: pd.DataFrame,
    *,
    model_version: str,
    energy_types: Sequence[str] = ("electricity",),
    level: float = LEVEL,
) -> pd.DataFrame:
    """``energy_forecasts`` rows (seed-schema.md) from the forecasts from the end of the data.

    ``forecasts``: :attr:`ForecastRun.forecasts` (machine_id, energy_type, model_name, origin, bucket, step,
    predicted_kwh, lower_kwh, upper_kwh, chosen, training_samples); ``metrics``: :attr:`ForecastRun.metrics`.
    The table's key is (forecast_time, machine_id, model_type), with no energy type: one series per machine
    goes there, the chosen model of the first energy type of ``energy_types`` the machine has (electricity:
    every machine has it, and it is what demand and cost are managed on); every series and model is kept in
    the vintage table (:func:`vintage_rows`). One row per forecast hour of the 168-h forecast; horizon from
    the lead time (1-4 h short, 5-24 h medium, 25-168 h long); predicted_power_kw = predicted kWh / 1 h.
    rmse / mape / r2 are the chosen model's backtest figures of the matching kind (day-ahead for short and
    medium, week-ahead for long) in kW; a value outside its DECIMAL is NULL with the reason in metadata
    (predicted_power_kw, NOT NULL, is clipped instead).
    """
    require_columns(forecasts, ("machine_id", "energy_type", "model_name", "origin", "bucket", "step", "predicted_kwh",
                         "lower_kwh", "upper_kwh"), "forecasts")
    f = forecasts
    if "chosen" in f.columns:
        f = f[f["chosen"].astype(bool)]
    rank = {e: i for i, e in enumerate(energy_types)}
    f = f[f["energy_type"].isin(rank)]
    if f.empty:
        return pd.DataFrame(columns=_FORECAST_ROW_COLUMNS)
    first = f.assign(_r=f["energy_type"].map(rank)).groupby("machine_id")["_r"].transform("min")
    f = f[f["energy_type"].map(rank) == first]
    dupes = f.groupby(["machine_id", "bucket"])["model_name"].nunique()
    if (dupes > 1).any():
        raise ValueError("more than one model per machine and hour: pass one (chosen) model per series")
    met = {(r.machine_id, r.energy_type, r.model_name, r.kind): r for r in metrics.itertuples(index=False)}
    rows = []
    for r in f.itertuples(index=False):
        horizon = str(horizon_label([r.step])[0])
        kind = "week_ahead" if horizon == "long" else "day_ahead"
        m = met.get((r.machine_id, r.energy_type, r.model_name, kind))
        notes: dict[str, str] = {}
        pred, why = _decimal(r.predicted_kwh, 10, 3)
        if pred is None:
            limit = 10**7 - 0.001
            pred = float(np.clip(np.nan_to_num(float(r.predicted_kwh)), -limit, limit))
            notes["predicted_power_kw"] = f"clipped: {why}"
        lower, why_lo = _decimal(r.lower_kwh, 10, 3)
        upper, why_hi = _decimal(r.upper_kwh, 10, 3)
        for name, w in (("lower_bound_kw", why_lo), ("upper_bound_kw", why_hi)):
            if w:
                notes[name] = f"NULL: {w}"
        rmse, w_rmse = _decimal(getattr(m, "rmse", None), 12, 6)
        mape, w_mape = _decimal(getattr(m, "mape", None), 5, 2)
        r2, w_r2 = _decimal(getattr(m, "r2", None), 5, 4)
        for name, w in (("rmse", w_rmse), ("mape", w_mape), ("r2", w_r2)):
            if w and m is not None:
                notes[name] = f"NULL: {w}"
        ts = getattr(r, "training_samples", None)
        meta = {
            "model_name": r.model_name,
            "energy_type": r.energy_type,
            "unit": "kW (hourly average = kWh per hour)",
            "lead_hours": int(r.step),
            "metrics_kind": kind,
            "backtest": {k: _backtest_meta(met.get((r.machine_id, r.energy_type, r.model_name, k)))
                         for k in ("day_ahead", "week_ahead")},
            "interval": "empirical quantiles of out-of-sample backtest residuals by lead bucket and planned state",
        }
        if notes:
            meta["decimal_limits"] = notes
        rows.append({
            "machine_id": r.machine_id,
            "model_type": MODEL_TYPES.get(r.model_name, "Other"),
            "model_version": str(model_version)[:50],
            "horizon": horizon,
            "forecasted_at": r.origin,
            "forecast_time": r.bucket,
            "predicted_power_kw": pred,
            "lower_bound_kw": lower,
            "upper_bound_kw": upper,
            "confidence_level": round(level, 3),
            "training_samples": None if ts is None or pd.isna(ts) else int(ts),
            "rmse": rmse,
            "mape": mape,
            "r2": r2,
            "metadata": json.dumps(meta, sort_keys=True),
        })
    out = pd.DataFrame(rows, columns=_FORECAST_ROW_COLUMNS)
    if out.duplicated(["forecast_time", "machine_id", "model_type"]).any():
        raise ValueError("energy_forecasts rows repeat (forecast_time, machine_id, model_type)")
    return out


_FORECAST_ROW_COLUMNS = ["machine_id", "model_type", "model_version", "horizon", "forecasted_at", "forecast_time",
                         "predicted_power_kw", "lower_bound_kw", "upper_bound_kw", "confidence_level",
                         "training_samples", "rmse", "mape", "r2", "metadata"]
VINTAGE_COLUMNS = ["forecasted_at", "forecast_time", "machine_id", "energy_type", "model_name", "horizon",
                   "predicted_kwh", "lower_kwh", "upper_kwh", "confidence_level"]
#: Natural key of a vintage row (one forecast of one hour by one model for one series, made at one time).
VINTAGE_KEY = ["forecasted_at", "forecast_time", "machine_id", "energy_type", "model_name"]


def vintage_rows(forecasts: pd.DataFrame, *, models: str = "all", level: float = LEVEL) -> pd.DataFrame:
    """Rows of our own vintage table: every forecast kept, keyed by :data:`VINTAGE_KEY` (so a re-run of the same
    origin replaces its rows and a later origin adds new ones). ``forecasts``: :attr:`ForecastRun.forecasts`
    (or any frame of forecasts with origin; backtest forecasts too); ``models``: 'all' or 'chosen'.
    horizon from the lead time as in :func:`forecast_rows`."""
    require_columns(forecasts, ("machine_id", "energy_type", "model_name", "origin", "bucket", "step", "predicted_kwh",
                         "lower_kwh", "upper_kwh"), "forecasts")
    f = forecasts
    if models == "chosen":
        f = f[f["chosen"].astype(bool)]
    elif models != "all":
        raise ValueError("models must be 'all' or 'chosen'")
    out = pd.DataFrame({
        "forecasted_at": f["origin"].to_numpy(),
        "forecast_time": f["bucket"].to_numpy(),
        "machine_id": f["machine_id"].astype(str).to_numpy(),
        "energy_type": f["energy_type"].astype(str).to_numpy(),
        "model_name": f["model_name"].astype(str).to_numpy(),
        "horizon": horizon_label(f["step"]),
        "predicted_kwh": f["predicted_kwh"].to_numpy(dtype=float),
        "lower_kwh": f["lower_kwh"].to_numpy(dtype=float),
        "upper_kwh": f["upper_kwh"].to_numpy(dtype=float),
        "confidence_level": level,
    })
    return out.drop_duplicates(VINTAGE_KEY, keep="last").reset_index(drop=True)[VINTAGE_COLUMNS]
