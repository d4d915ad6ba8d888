"""What the forecasts know in advance: the planned schedule, the outdoor temperature, the local calendar.

* The **planned schedule** (:func:`planned_schedule`): the share of each hour planned running, idle, in
  maintenance and offline, from the operating-mode history. Unplanned ``fault`` readings are not known in
  advance: a fault stopped a machine that the schedule had *running*, so fault counts as planned running.
  Production actuals (units) are never an input: they are not known in advance.
* **Outdoor temperature**: in the backtest the measured temperature stands in for a weather forecast (a perfect
  forecast: the backtest errors are therefore slightly optimistic for temperature-driven series).
* The **local calendar** of the machine's factory (hour of day, weekday: ``enms.localtime.local_calendar``).
* Beyond the end of the data the schedule is the *typical plan* (:func:`typical_schedule`) and the temperature a
  climatology of the last 7 days per local hour (:func:`temperature_outlook`).

The target (:func:`forecast_inputs`) is the hourly energy of one machine and one energy type (kWh per UTC hour
``[bucket, bucket + 1 h)``; for an hourly bucket kWh / 1 h is the average kW). A boiler's electricity, gas and
steam are three separate series, never summed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import numpy as np
import pandas as pd

from enms.frames import Rows, machine_timezones, numeric, require_columns
from enms.localtime import HOUR, local_calendar, utc_instant, utc_series

PLAN_COLUMNS = ("plan_running", "plan_idle", "plan_maintenance", "plan_offline")
#: Columns of an exogenous frame (besides ``bucket``): all known in advance.
EXOG_COLUMNS = ("hour", "weekday", *PLAN_COLUMNS, "outdoor_temp_c")
NO_TEMPERATURE_C = 18.0
"""The outdoor temperature (°C) of a machine without any measurement (imported meters without weather): a
constant at the degree base (no heating or cooling degrees), so the exogenous models run weather-independent."""


# ------------------------------------------------------------------------------------------------ schedule
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
    n = {c: np.nan_to_num(numeric(mode_hourly, c)) for c in counts}
    total = sum(n.values())
    out = pd.DataFrame(
        {
            # the Series, not its values: an empty history keeps the tz-aware dtype
            "bucket": utc_series(mode_hourly["bucket"], "mode_hourly.bucket", unit="ns").reset_index(drop=True),
            "machine_id": mode_hourly["machine_id"].astype(str).to_numpy(),
            "plan_readings": np.asarray(total, dtype=float),
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


def inferred_schedule(machines: pd.DataFrame, machine_ids: Iterable[str], start: object, end: object,
                      closures: Mapping[str, Iterable[date]] | None = None) -> pd.DataFrame:
    """The plan of machines without a mode history (imported meters) over the UTC hours [start, end): running
    all day, offline on their local closure days (``closures``: machine_id → dates, quality's closures; a
    closure is planned: a shutdown or holiday is known in advance). Columns as :func:`planned_schedule`'s, with
    plan_readings 1."""
    start, end = utc_instant(start, "start"), utc_instant(end, "end")
    grid = pd.Series(pd.date_range(start, end, freq="h", inclusive="left").as_unit("ns"))
    zones = machine_timezones(machines)
    parts = []
    for mid in (str(m) for m in machine_ids):
        days = {pd.Timestamp(d).date() for d in (closures or {}).get(mid, ())}
        off = local_calendar(grid, zones[mid])["date"].dt.date.isin(days).to_numpy() if days else \
            np.zeros(len(grid), dtype=bool)
        parts.append(pd.DataFrame({"bucket": grid, "machine_id": mid, "plan_running": (~off).astype(float),
                                   "plan_idle": 0.0, "plan_maintenance": 0.0, "plan_offline": off.astype(float),
                                   "plan_readings": 1.0}))
    if not parts:
        return pd.DataFrame(columns=["bucket", "machine_id", *PLAN_COLUMNS, "plan_readings"])
    return pd.concat(parts, ignore_index=True)


def _holiday_dates(holidays: Mapping[str, Iterable[date]] | None, machine_id: str, factory_id: str | None) -> set:
    if not holidays:
        return set()
    days = holidays.get(machine_id)
    if days is None and factory_id is not None:
        days = holidays.get(factory_id)
    return {pd.Timestamp(d).date() for d in (days or ())}


def _typical_shares(past: pd.DataFrame, zone: str, future: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Running and idle shares of the ``future`` hours (a local calendar) from the mean per local hour of week of
    the ``past`` plan (maintenance counted as running), then per local hour; normalised to sum to 1."""
    cal = local_calendar(past["bucket"], zone)
    run = (past["plan_running"] + past["plan_maintenance"]).to_numpy()
    idle = past["plan_idle"].to_numpy()
    how = pd.DataFrame({"how": cal["hour_of_week"].to_numpy(), "hour": cal["hour"].to_numpy(),
                        "run": run, "idle": idle})
    by_how = how.groupby("how")[["run", "idle"]].mean()
    by_hour = how.groupby("hour")[["run", "idle"]].mean()
    r = by_how["run"].reindex(future["hour_of_week"]).to_numpy(dtype=float, copy=True)
    i = by_how["idle"].reindex(future["hour_of_week"]).to_numpy(dtype=float, copy=True)
    miss = np.isnan(r)
    r[miss] = by_hour["run"].reindex(future["hour"][miss]).to_numpy(dtype=float)
    i[miss] = by_hour["idle"].reindex(future["hour"][miss]).to_numpy(dtype=float)
    r, i = np.nan_to_num(r), np.nan_to_num(i, nan=1.0)
    tot = r + i
    return (np.divide(r, tot, out=np.zeros_like(r), where=tot > 0),
            np.divide(i, tot, out=np.ones_like(i), where=tot > 0))


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
    start, end = utc_instant(start, "start"), utc_instant(end, "end")
    zones = machine_timezones(machines)
    factories = dict(zip(machines["machine_id"].astype(str), machines.get("factory_id", machines["machine_id"])
                         .astype(str), strict=True))
    s = schedule.assign(bucket=utc_series(schedule["bucket"], "schedule.bucket", unit="ns"),
                        machine_id=schedule["machine_id"].astype(str))
    s = s[(s["bucket"] >= start - pd.Timedelta(weeks=weeks)) & (s["bucket"] < start)]
    grid = pd.date_range(start, end, freq="h", inclusive="left").as_unit("ns")
    parts = []
    planned = Rows(s[s["plan_offline"] < 0.5], "machine_id")
    for mid, zone in zones.items():
        fut = local_calendar(pd.Series(grid), zone)
        r, i = _typical_shares(planned[mid], zone, fut)
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


# ------------------------------------------------------------------------------------------------ temperature
def temperature_outlook(
    temperature: pd.DataFrame, machines: pd.DataFrame, start: object, end: object, *, days: int = 7
) -> pd.DataFrame:
    """Outdoor temperature (°C) for [start, end) when no weather forecast is at hand: per local hour of day, the
    mean of the last ``days`` days before ``start`` (a climatology of the recent days; it knows the daily cycle
    and the current season, not the coming weather); :data:`NO_TEMPERATURE_C` for a machine never measured.
    Columns: bucket, machine_id, outdoor_temp_c.
    """
    require_columns(temperature, ("bucket", "machine_id", "avg_outdoor_temp_c"), "temperature")
    start, end = utc_instant(start, "start"), utc_instant(end, "end")
    t = temperature.assign(bucket=utc_series(temperature["bucket"], "temperature.bucket", unit="ns"),
                           machine_id=temperature["machine_id"].astype(str))
    t = t[(t["bucket"] >= start - pd.Timedelta(days=days)) & (t["bucket"] < start)]
    grid = pd.Series(pd.date_range(start, end, freq="h", inclusive="left").as_unit("ns"))
    parts = []
    measured = set(temperature.loc[~np.isnan(numeric(temperature, "avg_outdoor_temp_c")), "machine_id"].astype(str))
    recent = Rows(t, "machine_id")
    for mid, zone in machine_timezones(machines).items():
        past = recent[mid]
        if mid not in measured:  # never measured: the constant of the history (NO_TEMPERATURE_C)
            parts.append(pd.DataFrame({"bucket": grid, "machine_id": mid, "outdoor_temp_c": NO_TEMPERATURE_C}))
            continue
        if past.empty:
            continue
        hours = local_calendar(past["bucket"], zone)["hour"].to_numpy()
        clim = pd.Series(numeric(past, "avg_outdoor_temp_c")).groupby(hours).mean()
        fut = local_calendar(grid, zone)["hour"]
        values = clim.reindex(fut).to_numpy()
        values = np.where(np.isnan(values), np.nanmean(clim.to_numpy()), values)
        parts.append(pd.DataFrame({"bucket": grid.to_numpy(), "machine_id": mid, "outdoor_temp_c": values}))
    if not parts:  # no temperature at all (imported meters without weather): typed, so a merge keeps the buckets
        return pd.DataFrame({"bucket": pd.Series(dtype="datetime64[ns, UTC]"), "machine_id": pd.Series(dtype=str),
                             "outdoor_temp_c": pd.Series(dtype=float)})
    return pd.concat(parts, ignore_index=True)


# ------------------------------------------------------------------------------------------------ the series grid
def fill_weekly(a: np.ndarray, max_weeks: int = 8) -> np.ndarray:
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


def _hourly_energy(energy_hourly: pd.DataFrame, machines: pd.DataFrame, zones: Mapping[str, str],
                   min_coverage: float) -> pd.DataFrame:
    """energy_hourly of the machines in ``zones`` as (bucket, machine_id, energy_type, energy_kwh, readings), a
    partial hour's energy NaN, one row per series and hour (the one with the most readings)."""
    interval = dict(zip(machines["machine_id"].astype(str),
                        pd.to_numeric(machines.get("data_interval_seconds", pd.Series(np.nan, index=machines.index)),
                                      errors="coerce"), strict=True))
    e = pd.DataFrame(
        {
            "bucket": utc_series(energy_hourly["bucket"], "energy_hourly.bucket", unit="ns").to_numpy(),
            "machine_id": energy_hourly["machine_id"].astype(str).to_numpy(),
            "energy_type": energy_hourly["energy_type"].astype(str).to_numpy(),
            "energy_kwh": numeric(energy_hourly, "total_energy_kwh"),
            "readings": numeric(energy_hourly, "total_readings") if "total_readings" in energy_hourly else np.nan,
        }
    )
    e = e[e["machine_id"].isin(zones)]
    expected = 3600.0 / e["machine_id"].map(interval).astype(float)
    partial = e["readings"].notna() & expected.notna() & (e["readings"] < min_coverage * expected)
    e.loc[partial, "energy_kwh"] = np.nan
    e = e.sort_values(["machine_id", "energy_type", "bucket", "readings"], kind="stable")
    return e.drop_duplicates(["machine_id", "energy_type", "bucket"], keep="last")


def _series_frame(g: pd.DataFrame, last: pd.Timestamp, zone: str, sched: pd.DataFrame,
                  temp: pd.DataFrame) -> pd.DataFrame:
    """One series' hourly grid from its first energy hour to ``last`` (exclusive): energy, calendar, plan
    (gaps from the same hour a week away, flagged), temperature (interpolated)."""
    grid = pd.date_range(g["bucket"].min(), last, freq="h", inclusive="left").as_unit("ns")
    frame = pd.DataFrame({"bucket": grid})
    frame["energy_kwh"] = g.set_index("bucket")["energy_kwh"].reindex(grid).to_numpy()
    cal = local_calendar(frame["bucket"], zone)
    frame["hour"], frame["weekday"] = cal["hour"].to_numpy(), cal["weekday"].to_numpy()
    sm = sched.drop_duplicates("bucket", keep="last").set_index("bucket")
    filled = np.zeros(len(grid), dtype=bool)
    for c in PLAN_COLUMNS:
        v = sm[c].reindex(grid).to_numpy(dtype=float)
        filled |= np.isnan(v)
        v = fill_weekly(v)
        frame[c] = np.nan_to_num(v, nan=1.0 if c == "plan_idle" else 0.0)
    frame["plan_filled"] = filled
    tm = temp.set_index("bucket")["avg_outdoor_temp_c"].reindex(grid)
    values = tm.interpolate(limit_direction="both").to_numpy()
    frame["outdoor_temp_c"] = values if np.isfinite(values).any() else NO_TEMPERATURE_C
    return frame


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
      the expected 3600 / data_interval_seconds (a partial hour is a partial sum) or when the hour has no row.
      The step passes the energy as :func:`enms.kpis.usable_energy` counts it, so an hour quality excluded (a
      spike, a negative value) has no row and is NaN, never learnt as a 1000× value, and duplicated readings
      arrive scaled back;
    * plan_* from ``schedule`` (:func:`planned_schedule`); an hour without a plan (a communication outage)
      takes the plan of the same hour a week before (or after); plan_filled flags it;
    * outdoor_temp_c from ``temperature`` (bucket, machine_id, avg_outdoor_temp_c, e.g. quality's
      temperature_hourly), gaps interpolated linearly in time; :data:`NO_TEMPERATURE_C` throughout for a series
      without any measurement;
    * hour, weekday: local calendar of the machine's factory.

    The grid of each series runs from its first energy hour to ``end`` (exclusive; default: the last energy
    hour + 1 h). Columns: bucket, machine_id, energy_type, energy_kwh, hour, weekday, plan_*, outdoor_temp_c,
    plan_filled.
    """
    require_columns(energy_hourly, ("bucket", "machine_id", "energy_type", "total_energy_kwh"), "energy_hourly")
    require_columns(schedule, ("bucket", "machine_id", *PLAN_COLUMNS), "schedule")
    require_columns(temperature, ("bucket", "machine_id", "avg_outdoor_temp_c"), "temperature")
    zones = machine_timezones(machines)
    e = _hourly_energy(energy_hourly, machines, zones, min_coverage)
    end = None if end is None else utc_instant(end, "end")
    sched = schedule.assign(bucket=utc_series(schedule["bucket"], "schedule.bucket", unit="ns"),
                            machine_id=schedule["machine_id"].astype(str))
    temp = temperature.assign(bucket=utc_series(temperature["bucket"], "temperature.bucket", unit="ns"),
                              machine_id=temperature["machine_id"].astype(str))
    temp = temp.groupby(["machine_id", "bucket"], as_index=False)["avg_outdoor_temp_c"].mean()
    parts = []
    plans, temperatures = Rows(sched, "machine_id"), Rows(temp, "machine_id")
    for (mid, etype), g in e.groupby(["machine_id", "energy_type"], sort=True):
        last = end if end is not None else g["bucket"].max() + HOUR
        frame = _series_frame(g, last, zones[mid], plans[mid], temperatures[mid])
        frame.insert(1, "machine_id", mid)
        frame.insert(2, "energy_type", etype)
        parts.append(frame)
    columns = ["bucket", "machine_id", "energy_type", "energy_kwh", *EXOG_COLUMNS, "plan_filled"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]
