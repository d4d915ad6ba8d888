"""Driver frames for energy baselines, and the leak guard every baseline calls in ``fit``.

Hourly and daily (local day of the machine's factory) drivers per machine and energy type, built from the
extract products (``energy_hourly``, ``production_hourly``, ``mode_hourly``, an hourly outdoor temperature
such as quality's ``temperature_hourly`` or the extract's ``environment_hourly``) and quality's
``normal_mask``.

Pure core: pandas frames in, pandas frames out. Nothing here reads the warehouse, a notebook or Ploomber.

Conventions:

* ``bucket`` is the start of a UTC hour (tz-aware), intervals half-open ``[start, end)``.
* "Local" is the wall clock of the machine's factory (``machines.timezone``, IANA). A UTC hour belongs to the
  local day in which it *starts*; local days have their real length (23, 24 or 25 hours with DST).
* Degree-days come from the **daily mean** outdoor temperature of the local day: HDD = max(0, base - T_mean),
  CDD = max(0, T_mean - base) (°C·day). Hourly rows carry degree-hours expressed in degree-days,
  max(0, base - T) / 24 and max(0, T - base) / 24 per hour, under the same names ``hdd`` / ``cdd`` so a
  driver list reads the same at both resolutions. Summing per raw sample is never done.
* Production counts are units made in the hour (summed, never averaged). A missing value stays NaN: a
  driver is never filled with zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from enms.frames import machine_timezones, numeric, one_row_per_key, require_columns
from enms.localtime import HOUR, local_calendar, utc_series, wall_time_to_utc

__all__ = [
    "DEFAULT_BASE_C",
    "TARGET_DERIVED_COLUMNS",
    "TARGET_PATTERNS",
    "check_drivers",
    "cooling_degrees",
    "daily_drivers",
    "degree_days",
    "heating_degrees",
    "hourly_drivers",
]

DEFAULT_BASE_C = 18.0

#: Name fragments (case-insensitive) that mark a column as computed from the target (energy).
TARGET_PATTERNS = ("energy", "kwh", "power", "load_factor", "demand")
#: Columns known to be derived from the target although their names do not say so.
TARGET_DERIVED_COLUMNS = frozenset(
    {"sec", "specific_energy_consumption", "enpi", "cusum", "expected", "residual", "avoided", "load_kw"}
)


# ------------------------------------------------------------------------------------------------ leak guard
def check_drivers(columns: Iterable[str], target_derived: Iterable[str] = ()) -> list[str]:
    """Refuse drivers derived from the target; return the columns as a list when they are all acceptable.

    A driver is refused when its name contains one of :data:`TARGET_PATTERNS` ('energy', 'kwh', 'power',
    'load_factor', 'demand'; case-insensitive), is one of :data:`TARGET_DERIVED_COLUMNS`, or is listed in
    ``target_derived`` (e.g. a production figure computed from power). Raises ``ValueError`` naming every
    refused column and why.
    """
    if isinstance(columns, str):
        columns = [columns]
    columns = [str(c) for c in columns]
    explicit = {str(c).lower() for c in target_derived} | TARGET_DERIVED_COLUMNS
    refused = []
    for column in columns:
        low = column.lower()
        hits = [p for p in TARGET_PATTERNS if p in low]
        if hits:
            refused.append(f"'{column}' (name contains '{hits[0]}')")
        elif low in explicit:
            refused.append(f"'{column}' (listed as derived from the target)")
    if refused:
        raise ValueError(
            "driver(s) derived from the target refused: "
            + ", ".join(refused)
            + "; a baseline driver must not be computed from energy (it leaks the answer)"
        )
    return columns


# ------------------------------------------------------------------------------------------------ degrees
def heating_degrees(temperature: object, base_c: float = DEFAULT_BASE_C) -> np.ndarray:
    """max(0, base - T) element-wise (°C); NaN stays NaN."""
    t = np.asarray(temperature, dtype=float)
    return np.where(np.isnan(t), np.nan, np.maximum(0.0, base_c - t))


def cooling_degrees(temperature: object, base_c: float = DEFAULT_BASE_C) -> np.ndarray:
    """max(0, T - base) element-wise (°C); NaN stays NaN."""
    t = np.asarray(temperature, dtype=float)
    return np.where(np.isnan(t), np.nan, np.maximum(0.0, t - base_c))


# ------------------------------------------------------------------------------------------------ helpers

def _hourly(frame: pd.DataFrame, name: str, columns: Mapping[str, str]) -> pd.DataFrame:
    """bucket (UTC), machine_id (text) and ``columns`` (new name → numeric column of ``frame``) of an hourly
    product called ``name``."""
    return pd.DataFrame({
        "bucket": utc_series(frame["bucket"], f"{name}.bucket"),
        "machine_id": frame["machine_id"].astype(str),
        **{new: numeric(frame, old) for new, old in columns.items()},
    })


def _day_bounds(dates: pd.Series, timezone: str) -> tuple[pd.Series, pd.Series]:
    """UTC start and end (half-open) of naive local dates in ``timezone``."""
    zones = pd.Series(timezone, index=dates.index)
    return wall_time_to_utc(dates, zones), wall_time_to_utc(dates + pd.Timedelta(days=1), zones)


# ------------------------------------------------------------------------------------------------ degree-days
def degree_days(
    temperature: pd.DataFrame,
    machines: pd.DataFrame | Mapping[str, str] | str,
    base_c: float = DEFAULT_BASE_C,
    cooling_base_c: float | None = None,
    *,
    min_fraction: float = 0.5,
) -> pd.DataFrame:
    """Daily mean outdoor temperature and degree-days per machine and local day.

    ``temperature``: bucket (UTC hours), machine_id, avg_outdoor_temp_c (°C; duplicate buckets are averaged).
    ``machines``: a frame with machine_id and timezone, a mapping machine_id -> zone, or one zone for all.
    HDD = max(0, base_c - T_mean), CDD = max(0, T_mean - cooling_base_c) with cooling_base_c defaulting
    to base_c, T_mean the mean of the local day's hourly temperatures. A day whose temperature hours cover less
    than ``min_fraction`` of its length gets NaN.

    Columns: machine_id, date (naive local midnight), day_start, day_end (UTC, half-open), hours_in_day,
    temperature_hours, outdoor_temp_c, hdd, cdd.
    """
    require_columns(temperature, ("bucket", "machine_id", "avg_outdoor_temp_c"), "temperature")
    cooling_base_c = base_c if cooling_base_c is None else cooling_base_c
    t = _hourly(temperature, "temperature", {"temp": "avg_outdoor_temp_c"})
    t = t[t["temp"].notna()]
    t = t.groupby(["machine_id", "bucket"], as_index=False, sort=True)["temp"].mean()
    zones = machine_timezones(machines, t["machine_id"].unique())
    parts = []
    for mid, grp in t.groupby("machine_id", sort=True):
        cal = local_calendar(grp["bucket"], zones[mid])
        day = (
            grp.assign(date=cal["date"])
            .groupby("date", as_index=False)
            .agg(temperature_hours=("temp", "size"), outdoor_temp_c=("temp", "mean"))
        )
        start, end = _day_bounds(day["date"], zones[mid])
        day["day_start"], day["day_end"] = start, end
        day["hours_in_day"] = ((end - start) // HOUR).astype(np.int64)
        day.insert(0, "machine_id", mid)
        parts.append(day)
    columns = ["machine_id", "date", "day_start", "day_end", "hours_in_day", "temperature_hours", "outdoor_temp_c"]
    if not parts:
        out = pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
    else:
        out = pd.concat(parts, ignore_index=True)[columns]
    short = out["temperature_hours"] < min_fraction * out["hours_in_day"]
    out.loc[short, "outdoor_temp_c"] = np.nan
    out["temperature_hours"] = out["temperature_hours"].astype(np.int64)
    out["hdd"] = heating_degrees(out["outdoor_temp_c"], base_c)
    out["cdd"] = cooling_degrees(out["outdoor_temp_c"], cooling_base_c)
    return out


# ------------------------------------------------------------------------------------------------ hourly
def hourly_drivers(
    energy_hourly: pd.DataFrame,
    machines: pd.DataFrame,
    *,
    production_hourly: pd.DataFrame | None = None,
    mode_hourly: pd.DataFrame | None = None,
    temperature: pd.DataFrame | None = None,
    normal_mask: pd.DataFrame | None = None,
    closures: pd.DataFrame | None = None,
    base_c: float = DEFAULT_BASE_C,
    cooling_base_c: float | None = None,
    factory_production_machines: Iterable[str] | None = None,
    occupied_min_running: float = 0.5,
) -> pd.DataFrame:
    """Hourly target and drivers, one row per (machine, energy type, UTC hour with an energy row).

    Inputs are the extract / quality products (see the module docstring); all but ``energy_hourly`` and
    ``machines`` are optional, their columns are then absent. Duplicate buckets count once (the row with
    the most readings). Machines absent from ``machines`` are ignored.

    Columns:

    * bucket (UTC), machine_id, energy_type;
    * local calendar (:func:`enms.localtime.local_calendar`): local_time, date, hour, weekday, month, hour_of_week,
      is_weekend;
    * energy_kwh: the target (``total_energy_kwh``);
    * production: the machine's units in the hour (``total_production_count``, NaN without a row);
      factory_production: the sum over the factory's machines (of ``machines``, or only those listed in
      ``factory_production_machines``) of their units that hour, NaN when none of them has a row. Utilities
      (compressors, HVAC, boilers) make nothing themselves: use factory_production for them;
    * operating_hours: hours running in the hour, n_running / total_readings of ``mode_hourly``;
      offline_share: n_offline / total_readings; occupied: operating_hours >= ``occupied_min_running``
      (occupancy from the **mode history**; TOWT's CalTRACK occupancy is estimated inside the model);
    * outdoor_temp_c (duplicate buckets averaged), hdd, cdd: degree-hours in degree-days
      (max(0, base - T) / 24, max(0, T - cooling base) / 24);
    * is_normal: from ``normal_mask`` (an hour without a mask row is not normal);
    * closure: 1.0 on the local closure days of ``closures`` (machine_id, date: naive local midnight; quality's
      closures of machines without a mode history, :mod:`enms.quality.closures`), else 0.0: a day-type driver a
      model uses when listed in its drivers.
    """
    require_columns(energy_hourly, ("bucket", "machine_id", "energy_type", "total_energy_kwh"), "energy_hourly")
    require_columns(machines, ("machine_id", "factory_id", "timezone"), "machines")
    cooling_base_c = base_c if cooling_base_c is None else cooling_base_c
    m = machines.assign(machine_id=machines["machine_id"].astype(str), factory_id=machines["factory_id"].astype(str))
    zones = machine_timezones(m, m["machine_id"])

    e = _hourly(energy_hourly, "energy_hourly", {"energy_kwh": "total_energy_kwh"})
    e.insert(2, "energy_type", energy_hourly["energy_type"].astype(str))
    if "total_readings" in energy_hourly.columns:
        e["total_readings"] = numeric(energy_hourly, "total_readings")
    e = e[e["machine_id"].isin(zones)]
    e = one_row_per_key(e, ["machine_id", "energy_type", "bucket"]).drop(columns="total_readings", errors="ignore")
    e = e.sort_values(["machine_id", "energy_type", "bucket"], ignore_index=True)

    cal = pd.concat(
        [local_calendar(g["bucket"], zones[mid]) for mid, g in e.groupby("machine_id", sort=False)]
        or [local_calendar(e["bucket"], "UTC")]
    )
    e = e.join(cal)
    e = e[["bucket", "machine_id", "energy_type", *cal.columns, "energy_kwh"]]

    if production_hourly is not None:
        p = _production(production_hourly, zones)
        e = e.merge(p, on=["machine_id", "bucket"], how="left")
        e = e.merge(m[["machine_id", "factory_id"]], on="machine_id", how="left")
        fp = _factory_production(p, m, factory_production_machines)
        e = e.merge(fp, on=["factory_id", "bucket"], how="left").drop(columns="factory_id")

    if mode_hourly is not None:
        e = e.merge(_modes(mode_hourly), on=["machine_id", "bucket"], how="left")
        e["occupied"] = e["operating_hours"] >= occupied_min_running

    if temperature is not None:
        require_columns(temperature, ("bucket", "machine_id", "avg_outdoor_temp_c"), "temperature")
        t = _hourly(temperature, "temperature", {"outdoor_temp_c": "avg_outdoor_temp_c"})
        t = t.groupby(["machine_id", "bucket"], as_index=False)["outdoor_temp_c"].mean()
        e = e.merge(t, on=["machine_id", "bucket"], how="left")
        e["hdd"] = heating_degrees(e["outdoor_temp_c"], base_c) / 24.0
        e["cdd"] = cooling_degrees(e["outdoor_temp_c"], cooling_base_c) / 24.0

    if normal_mask is not None:
        e = e.merge(_normal_hours(normal_mask), on=["machine_id", "bucket"], how="left")
        e["is_normal"] = e["is_normal"].fillna(False).astype(bool)
    if closures is not None:
        require_columns(closures, ("machine_id", "date"), "closures")
        days = pd.MultiIndex.from_arrays([closures["machine_id"].astype(str),
                                          pd.to_datetime(closures["date"]).astype(e["date"].dtype)])
        e["closure"] = pd.MultiIndex.from_arrays([e["machine_id"], e["date"]]).isin(days).astype(float)
    return e.reset_index(drop=True)


def _production(production_hourly: pd.DataFrame, zones: Mapping[str, str]) -> pd.DataFrame:
    """bucket, machine_id, production (units made in the hour) of the machines in ``zones``."""
    require_columns(production_hourly, ("bucket", "machine_id", "total_production_count"), "production_hourly")
    p = _hourly(production_hourly, "production_hourly", {"production": "total_production_count"})
    if "total_readings" in production_hourly.columns:
        p["total_readings"] = numeric(production_hourly, "total_readings")
    p = one_row_per_key(p, ["machine_id", "bucket"]).drop(columns="total_readings", errors="ignore")
    return p[p["machine_id"].isin(zones)]


def _factory_production(production: pd.DataFrame, machines: pd.DataFrame,
                        producers: Iterable[str] | None) -> pd.DataFrame:
    """factory_id, bucket, factory_production: the units of the factory's machines (or of ``producers`` only)
    summed per hour, NaN when none of them has a row."""
    if producers is not None:
        production = production[production["machine_id"].isin({str(i) for i in producers})]
    production = production.merge(machines[["machine_id", "factory_id"]], on="machine_id")
    fp = production.groupby(["factory_id", "bucket"], as_index=False)["production"].sum(min_count=1)
    return fp.rename(columns={"production": "factory_production"})


def _modes(mode_hourly: pd.DataFrame) -> pd.DataFrame:
    """bucket, machine_id, operating_hours (hours running in the hour) and offline_share from the mode history."""
    require_columns(mode_hourly, ("bucket", "machine_id", "n_running", "n_offline", "total_readings"), "mode_hourly")
    md = _hourly(mode_hourly, "mode_hourly",
                 {"total_readings": "total_readings", "operating_hours": "n_running", "offline_share": "n_offline"})
    md["total_readings"] = md["total_readings"].where(md["total_readings"] > 0)
    md["operating_hours"] /= md["total_readings"]
    md["offline_share"] /= md["total_readings"]
    return one_row_per_key(md, ["machine_id", "bucket"]).drop(columns="total_readings")


def _normal_hours(normal_mask: pd.DataFrame) -> pd.DataFrame:
    """bucket, machine_id, is_normal; a duplicated mask row is normal only if every copy says so."""
    require_columns(normal_mask, ("bucket", "machine_id", "is_normal"), "normal_mask")
    nm = pd.DataFrame(
        {
            "bucket": utc_series(normal_mask["bucket"], "normal_mask.bucket"),
            "machine_id": normal_mask["machine_id"].astype(str),
            "is_normal": normal_mask["is_normal"].astype(bool),
        }
    )
    return nm.groupby(["machine_id", "bucket"], as_index=False)["is_normal"].all()


# ------------------------------------------------------------------------------------------------ daily
def daily_drivers(
    hourly: pd.DataFrame,
    machines: pd.DataFrame | Mapping[str, str] | str,
    *,
    temperature: pd.DataFrame | None = None,
    base_c: float = DEFAULT_BASE_C,
    cooling_base_c: float | None = None,
    min_temperature_fraction: float = 0.5,
    offline_day_share: float = 0.5,
) -> pd.DataFrame:
    """Daily target and drivers per (machine, energy type, local day), from :func:`hourly_drivers`' frame.

    Sums over the local day's hours present: energy_kwh, production, factory_production, operating_hours
    (hours running). Temperature: the mean of the day's hourly outdoor temperatures taken from
    ``temperature`` (all its hours in the local day, see :func:`degree_days`) or, without it, from the hourly
    frame's ``outdoor_temp_c``; hdd / cdd from that daily mean. A sum over no value is NaN.

    Columns: machine_id, energy_type, date (naive local midnight), day_start, day_end (UTC, half-open),
    hours_in_day (23/24/25), present_hours (energy rows), normal_hours, is_complete (every hour present),
    is_normal (every hour present and normal; only with an ``is_normal`` column), energy_kwh, production,
    factory_production, operating_hours, offline_day (share of offline mode readings >= ``offline_day_share``:
    the 'holiday-ish' flag), closure (1.0 on a closure day, with the hourly frame's ``closure``), outdoor_temp_c,
    hdd, cdd, weekday, month, is_weekend (local).
    """
    require_columns(hourly, ("bucket", "machine_id", "energy_type", "date", "energy_kwh"), "hourly")
    cooling_base_c = base_c if cooling_base_c is None else cooling_base_c
    h = hourly.assign(machine_id=hourly["machine_id"].astype(str))
    g = _daily_sums(h)
    zones = machine_timezones(machines, g["machine_id"].unique())

    starts, ends = [], []
    for mid, grp in g.groupby("machine_id", sort=False):
        s, e = _day_bounds(grp["date"], zones[mid])
        starts.append(s)
        ends.append(e)
    if starts:
        g["day_start"], g["day_end"] = pd.concat(starts), pd.concat(ends)
    else:
        g["day_start"] = g["day_end"] = pd.Series(dtype="datetime64[us, UTC]")
    g["hours_in_day"] = ((g["day_end"] - g["day_start"]) // HOUR).astype(np.int64)
    g["present_hours"] = g["present_hours"].astype(np.int64)
    g["is_complete"] = g["present_hours"] >= g["hours_in_day"]
    if "normal_hours" in g.columns:
        g["normal_hours"] = g["normal_hours"].astype(np.int64)
        g["is_normal"] = g["is_complete"] & (g["normal_hours"] >= g["hours_in_day"])
    if "offline_share" in g.columns:
        g["offline_day"] = g.pop("offline_share") >= offline_day_share

    if temperature is not None:
        dd = degree_days(temperature, machines, base_c, cooling_base_c, min_fraction=min_temperature_fraction)
        g = g.merge(dd[["machine_id", "date", "outdoor_temp_c"]], on=["machine_id", "date"], how="left")
    elif "outdoor_temp_c" in h.columns:
        t = h.drop_duplicates(["machine_id", "bucket"])
        t = t.groupby(["machine_id", "date"], as_index=False).agg(
            outdoor_temp_c=("outdoor_temp_c", "mean"), temperature_hours=("outdoor_temp_c", "count")
        )
        g = g.merge(t, on=["machine_id", "date"], how="left")
        short = ~(g.pop("temperature_hours") >= min_temperature_fraction * g["hours_in_day"])
        g.loc[short, "outdoor_temp_c"] = np.nan
    if "outdoor_temp_c" in g.columns:
        g["hdd"] = heating_degrees(g["outdoor_temp_c"], base_c)
        g["cdd"] = cooling_degrees(g["outdoor_temp_c"], cooling_base_c)

    weekday = g["date"].dt.day_of_week.astype(np.int64)
    g["weekday"], g["month"], g["is_weekend"] = weekday, g["date"].dt.month.astype(np.int64), weekday >= 5
    order = [
        "machine_id", "energy_type", "date", "day_start", "day_end", "hours_in_day", "present_hours",
        "normal_hours", "is_complete", "is_normal", "energy_kwh", "production", "factory_production",
        "operating_hours", "offline_day", "closure", "outdoor_temp_c", "hdd", "cdd", "weekday", "month", "is_weekend",
    ]  # fmt: skip
    return g[[c for c in order if c in g.columns]].reset_index(drop=True)


def _daily_sums(hourly: pd.DataFrame) -> pd.DataFrame:
    """Per (machine, energy type, local date): present_hours and the sums of the hourly energy and drivers
    (NaN over no value), the mean offline share, and normal_hours."""
    agg: dict[str, tuple[str, object]] = {
        "present_hours": ("energy_kwh", "count"),
        "energy_kwh": ("energy_kwh", lambda s: s.sum(min_count=1)),
    }
    for col in ("production", "factory_production", "operating_hours"):
        if col in hourly.columns:
            agg[col] = (col, lambda s: s.sum(min_count=1))
    if "closure" in hourly.columns:
        agg["closure"] = ("closure", "max")
    if "offline_share" in hourly.columns:
        agg["offline_share"] = ("offline_share", "mean")
    if "is_normal" in hourly.columns:
        agg["normal_hours"] = ("is_normal", "sum")
    return hourly.groupby(["machine_id", "energy_type", "date"], sort=True).agg(**agg).reset_index()
