"""KPIs and EnPIs: energy, SEC, 15-minute peak demand, load factor, time-of-use cost, carbon, EnPI, CUSUM.

Pure functions: frames in, frames out (the extract step's products). Nothing here reads the warehouse.

Conventions every function follows
----------------------------------
* ``bucket`` is the bucket **start**, tz-aware UTC; intervals are half-open ``[start, end)``.
* Periods (``freq`` = ``"day"``, ``"week"`` (ISO, Monday start) or ``"month"``) are **local** calendar periods
  in each factory's IANA zone, so a spring-forward day has 23 h and a fall-back day 25 h. A bucket belongs to
  the period holding its local start. ``freq=None`` makes one period of the window ``[start, end)``.
* ``start`` / ``end`` are **local wall-clock** dates (naive: ``"2026-10-01"``), read in each factory's zone.
* Every period table carries ``period`` (label: ``2026-03-08``, ``2026-W10``, ``2026-03``, or
  ``2026-03-01/2026-04-01`` for a free window), ``period_start`` / ``period_end`` (naive local wall-clock,
  end exclusive, clipped to the window), ``hours`` (the real elapsed hours of the period),
  ``start_utc`` / ``end_utc`` (the same bounds as UTC instants) and ``timezone``.
* Energy types are never summed together: every result is per ``energy_type`` (``electricity``,
  ``natural_gas``, ``steam``); a factory total is a total per energy type. kWh of gas and steam are
  kWh-equivalents; native units are m³ of gas (kWh / 10.55) and kg of steam (kWh / 2.26).
* Steam is an internal product of the boiler: its fuel (natural gas) and the boiler's electricity are already
  costed and carbon-counted, so steam rows get cost 0 and carbon 0 by design (never counted twice).
* Money is in the factory's currency (``factories.metadata`` ``currency``, else its tariffs' currency).
* Tariffs are matched in LOCAL time: validity dates, ``applicable_days`` (0 = Sunday) and half-open windows
  ``[start_hour, end_hour)`` that wrap midnight when start > end. A tariff that is the only one applying on a
  local date covers all of it (Off-Peak 21→9 "all days" is all of Sunday when Peak is Mon–Fri); otherwise
  exactly one window must hold each hour, and a gap or an overlap is a ValueError naming factory and time.
* Demand charges are per billing month (local calendar month): the factory's coincident peak 15-minute
  demand × the highest ``demand_charge_per_kw`` among its tariffs valid on the peak's local date.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Literal

import numpy as np
import pandas as pd

from enms.plant import GAS_KWH_PER_M3, STEAM_KWH_PER_KG

Freq = Literal["day", "week", "month"] | None
Level = Literal["machine", "factory"]
LocalBound = str | date | datetime | pd.Timestamp | None

FREQS = ("day", "week", "month")
DEMAND_INTERVAL_HOURS = 0.25
"""Demand interval of the tariffs: 15 minutes. Demand (kW) = interval kWh / 0.25 h."""

NATIVE_UNITS: dict[str, tuple[str, float]] = {
    "electricity": ("kWh", 1.0),
    "natural_gas": ("m³", GAS_KWH_PER_M3),
    "steam": ("kg", STEAM_KWH_PER_KG),
}
"""Energy type → (native unit, kWh per native unit)."""

PERIOD_COLUMNS = ["timezone", "period", "period_start", "period_end", "hours", "start_utc", "end_utc"]
_MACHINE_INFO = ["machine_id", "machine_name", "factory_id", "factory_name", "timezone"]
_IDS: dict[str, list[str]] = {
    "machine": ["factory_id", "factory_name", "machine_id", "machine_name"],
    "factory": ["factory_id", "factory_name"],
}
_WEEKDAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


# ------------------------------------------------------------------------------------------------ local periods
def local_time(bucket: pd.Series, timezone: str | pd.Series) -> pd.Series:
    """UTC instants → naive local wall-clock times (``datetime64[us]``) in ``timezone`` (one zone, or one per row).

    Wall-clock times repeat in the fall-back hour; keep the UTC instant for anything that must be unique.
    """
    if not isinstance(bucket.dtype, pd.DatetimeTZDtype):
        raise ValueError(f"bucket must be tz-aware UTC, got {bucket.dtype}")
    zones = pd.Series(timezone, index=bucket.index) if isinstance(timezone, str) else timezone
    values = np.empty(len(bucket), dtype="datetime64[us]")
    for zone in zones.unique():
        mask = (zones == zone).to_numpy()
        values[mask] = bucket[mask].dt.tz_convert(zone).dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    return pd.Series(values, index=bucket.index)


def _to_utc(naive: pd.Series, zones: pd.Series) -> pd.Series:
    """Naive local wall-clock times → UTC instants (a missing local time moves forward, a repeated one is the
    first occurrence; period bounds are local midnights, where neither happens in most zones)."""
    pieces = []
    for zone in zones.unique():
        mask = (zones == zone).to_numpy()
        part = naive[mask].dt.tz_localize(zone, ambiguous=np.ones(int(mask.sum()), dtype=bool),
                                          nonexistent="shift_forward")
        pieces.append(part.dt.tz_convert("UTC"))
    if not pieces:
        return pd.Series([], index=naive.index, dtype="datetime64[us, UTC]")
    return pd.concat(pieces).reindex(naive.index).astype("datetime64[us, UTC]")


def _local_bound(value: LocalBound) -> pd.Timestamp | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        raise ValueError(f"start/end are local wall-clock dates in each factory's zone (naive), got {stamp}")
    return stamp.as_unit("us")


def _natural_start(local: pd.Series, freq: str) -> pd.Series:
    day = local.dt.floor("D")
    if freq == "day":
        start = day
    elif freq == "week":
        start = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    elif freq == "month":
        start = day - pd.to_timedelta(day.dt.day - 1, unit="D")
    else:
        raise ValueError(f"freq must be one of {FREQS} or None, got {freq!r}")
    return start.astype("datetime64[us]")


def _natural_end(start: pd.Series, freq: str) -> pd.Series:
    if freq == "day":
        end = start + pd.Timedelta(days=1)
    elif freq == "week":
        end = start + pd.Timedelta(days=7)
    else:
        end = start + pd.DateOffset(months=1)
    return end.astype("datetime64[us]")


def _labels(start: pd.Series, end: pd.Series, freq: Freq) -> pd.Series:
    if freq == "day":
        return start.dt.strftime("%Y-%m-%d")
    if freq == "week":
        iso = start.dt.isocalendar()
        return iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
    if freq == "month":
        return start.dt.strftime("%Y-%m")
    month = (start.dt.day == 1) & (end == _natural_end(start, "month"))
    day = end == start + pd.Timedelta(days=1)
    free = start.dt.strftime("%Y-%m-%d") + "/" + end.dt.strftime("%Y-%m-%d")
    return free.where(~day, start.dt.strftime("%Y-%m-%d")).where(~month, start.dt.strftime("%Y-%m"))


def _info(machines: pd.DataFrame) -> pd.DataFrame:
    """Machine → names, factory and zone, indexed by machine_id."""
    missing = sorted(set(_MACHINE_INFO) - set(machines.columns))
    if missing:
        raise ValueError(f"machines frame lacks column(s) {', '.join(missing)}")
    return machines[_MACHINE_INFO].drop_duplicates("machine_id").set_index("machine_id")


def _factory_names(machines: pd.DataFrame) -> dict[str, str]:
    return dict(zip(machines["factory_id"], machines["factory_name"], strict=True))


def _prepare(frame: pd.DataFrame, machines: pd.DataFrame, freq: Freq, start: LocalBound,
             end: LocalBound) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add ``factory_id``, ``timezone``, ``local_time`` and ``period_start``; keep rows in the local window.

    Returns the rows and the table of their periods (keyed by ``timezone`` and ``period_start``).
    """
    if freq is not None and freq not in FREQS:
        raise ValueError(f"freq must be one of {FREQS} or None, got {freq!r}")
    lo, hi = _local_bound(start), _local_bound(end)
    if freq is None and (lo is None or hi is None):
        raise ValueError("freq=None (one period) needs both start and end")
    if lo is not None and hi is not None and hi <= lo:
        raise ValueError(f"empty window: start {lo} is not before end {hi}")
    missing = sorted({"bucket", "machine_id"} - set(frame.columns))
    if missing:
        raise ValueError(f"frame lacks column(s) {', '.join(missing)}")
    info = _info(machines)
    rows = frame.reset_index(drop=True)
    rows["factory_id"] = rows["machine_id"].map(info["factory_id"])
    rows["timezone"] = rows["machine_id"].map(info["timezone"])
    unknown = rows.loc[rows["timezone"].isna(), "machine_id"].unique()
    if len(unknown):
        raise ValueError(f"machine(s) {', '.join(map(str, unknown[:5]))} are not in the machines frame")
    rows["local_time"] = local_time(rows["bucket"], rows["timezone"])
    keep = np.ones(len(rows), dtype=bool)
    if lo is not None:
        keep &= (rows["local_time"] >= lo).to_numpy()
    if hi is not None:
        keep &= (rows["local_time"] < hi).to_numpy()
    if not keep.all():
        rows = rows[keep].reset_index(drop=True)
    natural = (pd.Series(lo, index=rows.index, dtype="datetime64[us]") if freq is None
               else _natural_start(rows["local_time"], freq))
    rows["period_start"] = natural if lo is None else natural.clip(lower=lo)

    keys = pd.DataFrame({"timezone": rows["timezone"], "natural": natural}).drop_duplicates(ignore_index=True)
    natural_end = (pd.Series(hi, index=keys.index, dtype="datetime64[us]") if freq is None
                   else _natural_end(keys["natural"], freq))
    periods = pd.DataFrame({"timezone": keys["timezone"]})
    periods["period"] = _labels(keys["natural"], natural_end, freq)
    periods["period_start"] = keys["natural"] if lo is None else keys["natural"].clip(lower=lo)
    periods["period_end"] = natural_end if hi is None else natural_end.clip(upper=hi)
    periods["start_utc"] = _to_utc(periods["period_start"], periods["timezone"])
    periods["end_utc"] = _to_utc(periods["period_end"], periods["timezone"])
    periods["hours"] = (periods["end_utc"] - periods["start_utc"]) / pd.Timedelta(hours=1)
    return rows, periods


def _finish(result: pd.DataFrame, periods: pd.DataFrame, machines: pd.DataFrame, level: Level,
            values: list[str], *, energy_type: bool = True) -> pd.DataFrame:
    """Add names and the period columns to an aggregate keyed by ``_keys(level)``; order columns and rows."""
    info = _info(machines)
    if level == "machine":
        result = result.join(info, on="machine_id")
    else:
        result = result.join(info.drop_duplicates("factory_id").set_index("factory_id")[["factory_name", "timezone"]],
                             on="factory_id")
    out = result.merge(periods, on=["timezone", "period_start"], how="left", validate="many_to_one")
    ids = _IDS[level] + (["energy_type"] if energy_type else [])
    out = out[ids + PERIOD_COLUMNS + values]
    return out.sort_values(ids[1:] + ["period_start"], ignore_index=True)


def _energy(frame: pd.DataFrame) -> pd.DataFrame:
    missing = sorted({"bucket", "machine_id", "energy_type", "total_energy_kwh"} - set(frame.columns))
    if missing:
        raise ValueError(f"energy frame lacks column(s) {', '.join(missing)}")
    frame = frame[["bucket", "machine_id", "energy_type", "total_energy_kwh"]]
    return frame.assign(energy_type=frame["energy_type"].replace({"energy": "electricity"}))  # legacy name


def _keys(level: Level, *, energy_type: bool = True) -> list[str]:
    """Group keys of row-level work: the machine or factory id, energy type, local period."""
    return ["machine_id" if level == "machine" else "factory_id"] + (["energy_type"] if energy_type else []) + [
        "period_start"]


def _check_level(level: str) -> None:
    if level not in _IDS:
        raise ValueError(f"level must be 'machine' or 'factory', got {level!r}")


# ------------------------------------------------------------------------------------------------------ energy
def native_quantity(kwh: pd.Series, energy_type: pd.Series) -> tuple[pd.Series, pd.Series]:
    """kWh(-equivalent) → (quantity in native units, unit): electricity kWh, natural gas m³ (kWh / 10.55),
    steam kg (kWh / 2.26). Other energy types get NaN and no unit (no conversion is known)."""
    per_unit = energy_type.map({k: v[1] for k, v in NATIVE_UNITS.items()}).astype("float64")
    unit = energy_type.map({k: v[0] for k, v in NATIVE_UNITS.items()})
    return kwh / per_unit, unit


def _energy_from_rows(rows: pd.DataFrame, periods: pd.DataFrame, machines: pd.DataFrame,
                      level: Level) -> pd.DataFrame:
    out = rows.groupby(_keys(level), as_index=False, sort=False).agg(energy_kwh=("total_energy_kwh", "sum"),
                                                                    buckets=("bucket", "size"))
    out["energy_native"], out["native_unit"] = native_quantity(out["energy_kwh"], out["energy_type"])
    return _finish(out, periods, machines, level, ["energy_kwh", "energy_native", "native_unit", "buckets"])


def energy_by_period(energy: pd.DataFrame, machines: pd.DataFrame, freq: Freq = "month", *,
                     level: Level = "machine", start: LocalBound = None, end: LocalBound = None) -> pd.DataFrame:
    """Energy per machine (or factory) × energy type × local period.

    Columns: ids, ``energy_type``, period columns, ``energy_kwh`` (kWh or kWh-equivalent), ``energy_native``
    in ``native_unit`` (kWh, m³, kg), ``buckets`` (rows summed). A factory's energy is the sum of its machines,
    per energy type: electricity, gas and steam are never added together.
    """
    _check_level(level)
    rows, periods = _prepare(_energy(energy), machines, freq, start, end)
    return _energy_from_rows(rows, periods, machines, level)


def production_by_period(production_hourly: pd.DataFrame, machines: pd.DataFrame, freq: Freq = "month", *,
                         start: LocalBound = None, end: LocalBound = None) -> pd.DataFrame:
    """Units produced per machine × local period (all hours): ``production_units``, ``production_hours``
    (hours with production > 0)."""
    prod = production_hourly[["bucket", "machine_id", "total_production_count"]]
    rows, periods = _prepare(prod, machines, freq, start, end)
    rows["producing"] = rows["total_production_count"] > 0
    out = rows.groupby(_keys("machine", energy_type=False), as_index=False, sort=False).agg(
        production_units=("total_production_count", "sum"), production_hours=("producing", "sum"))
    return _finish(out, periods, machines, "machine", ["production_units", "production_hours"], energy_type=False)


# ------------------------------------------------------------------------------------------------------ SEC
def _hourly_production(production_hourly: pd.DataFrame) -> pd.DataFrame:
    prod = production_hourly[["bucket", "machine_id", "total_production_count"]]
    return (prod.assign(bucket=prod["bucket"].dt.floor("h"))
            .groupby(["bucket", "machine_id"], as_index=False)["total_production_count"].sum())


def _sec_from_rows(rows: pd.DataFrame, periods: pd.DataFrame, production_hourly: pd.DataFrame,
                   machines: pd.DataFrame) -> pd.DataFrame:
    """SEC from prepared hourly energy rows (one row per bucket, machine and energy type)."""
    units = rows[["bucket", "machine_id"]].merge(_hourly_production(production_hourly), on=["bucket", "machine_id"],
                                                 how="left")["total_production_count"]
    units = units.fillna(0).astype("float64").to_numpy()
    producing = units > 0
    kwh = rows["total_energy_kwh"].to_numpy(dtype="float64")
    work = rows[_keys("machine")].assign(kwh_producing=np.where(producing, kwh, 0.0),
                                         kwh_idle=np.where(producing, 0.0, kwh),
                                         units=np.where(producing, units, 0.0), producing=producing)
    out = work.groupby(_keys("machine"), as_index=False, sort=False).agg(
        energy_kwh=("kwh_producing", "sum"), production_units=("units", "sum"),
        producing_hours=("producing", "sum"), excluded_kwh=("kwh_idle", "sum"))
    made = out["production_units"] > 0
    out["sec_kwh_per_unit"] = (out["energy_kwh"] / out["production_units"]).where(made)
    out["sec_native_per_unit"], out["native_unit"] = native_quantity(out["sec_kwh_per_unit"], out["energy_type"])
    return _finish(out, periods, machines, "machine",
                   ["energy_kwh", "production_units", "producing_hours", "excluded_kwh", "sec_kwh_per_unit",
                    "sec_native_per_unit", "native_unit"])


def sec(energy_hourly: pd.DataFrame, production_hourly: pd.DataFrame, machines: pd.DataFrame,
        freq: Freq = "month", *, start: LocalBound = None, end: LocalBound = None) -> pd.DataFrame:
    """Specific energy consumption (ratio EnPI) per machine × energy type × local period.

    SEC = Σ kWh / Σ units over the hours with production > 0 only: an hour without production (or without a
    production row) is left out of both numerator and denominator, and so is an hour with production but no
    energy row of that type (an outage must not make SEC look better). Finer energy buckets are summed to
    the hour first.

    Columns: ``energy_kwh`` (producing hours), ``production_units``, ``producing_hours``, ``excluded_kwh``
    (energy in hours without production), ``sec_kwh_per_unit``, ``sec_native_per_unit`` in
    ``native_unit`` per unit (e.g. m³ of gas per unit). SEC is NaN where nothing was produced.
    """
    energy = _energy(energy_hourly)
    energy = (energy.assign(bucket=energy["bucket"].dt.floor("h"))
              .groupby(["bucket", "machine_id", "energy_type"], as_index=False)["total_energy_kwh"].sum())
    rows, periods = _prepare(energy, machines, freq, start, end)
    return _sec_from_rows(rows, periods, production_hourly, machines)


# ----------------------------------------------------------------------------------------------- peak demand
def _check_demand_resolution(energy: pd.DataFrame, machines: pd.DataFrame) -> None:
    """Refuse buckets longer than the demand interval (hourly energy / 0.25 h would be 4 × the demand).

    A bucket covers ``total_readings`` × the machine's ``data_interval_seconds``; where either is unknown the
    bucket is taken for what the caller says it is.
    """
    if "total_readings" not in energy.columns or "data_interval_seconds" not in machines.columns or energy.empty:
        return
    most = energy.groupby("machine_id")["total_readings"].max()
    step = machines.drop_duplicates("machine_id").set_index("machine_id")["data_interval_seconds"]
    covered = pd.to_numeric(most, errors="coerce") * pd.to_numeric(step.reindex(most.index), errors="coerce")
    if (covered > 1.5 * DEMAND_INTERVAL_HOURS * 3600).any():
        raise ValueError(f"energy buckets cover up to {covered.max():.0f} s of readings: demand needs 15-minute "
                         "(or finer) energy such as energy_15min, not hourly energy")


def _demand_rows(energy_15min: pd.DataFrame, machines: pd.DataFrame, freq: Freq, start: LocalBound,
                 end: LocalBound) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Electricity per machine and 15-minute interval (finer buckets summed into their interval), with
    ``energy_kwh`` and ``demand_kw`` = energy_kwh / 0.25 h."""
    _check_demand_resolution(energy_15min, machines)
    energy = _energy(energy_15min)
    energy = energy[energy["energy_type"] == "electricity"]
    if not energy["bucket"].dt.minute.isin([0, 15, 30, 45]).all() or (energy["bucket"].dt.second != 0).any():
        energy = energy.assign(bucket=energy["bucket"].dt.floor("15min"))
    if energy.duplicated(["machine_id", "bucket"]).any():
        energy = energy.groupby(["machine_id", "bucket"], as_index=False)["total_energy_kwh"].sum()
    rows, periods = _prepare(energy[["bucket", "machine_id", "total_energy_kwh"]], machines, freq, start, end)
    rows = rows.rename(columns={"total_energy_kwh": "energy_kwh"})
    rows["demand_kw"] = rows["energy_kwh"] / DEMAND_INTERVAL_HOURS
    return rows, periods


def _factory_demand(rows: pd.DataFrame) -> pd.DataFrame:
    """A factory's coincident demand: its machines' energy summed per 15-minute interval."""
    out = rows.groupby(["factory_id", "bucket"], as_index=False, sort=False).agg(
        timezone=("timezone", "first"), local_time=("local_time", "first"), period_start=("period_start", "first"),
        energy_kwh=("energy_kwh", "sum"))
    out["demand_kw"] = out["energy_kwh"] / DEMAND_INTERVAL_HOURS
    return out


def demand_profile(energy_15min: pd.DataFrame, machines: pd.DataFrame, *, level: Level = "machine",
                   start: LocalBound = None, end: LocalBound = None) -> pd.DataFrame:
    """15-minute demand series of electricity per machine or factory: ``bucket`` (interval start, UTC),
    ``local_time`` (naive local wall-clock), ``energy_kwh`` and ``demand_kw`` = interval kWh / 0.25 h.
    A factory's demand is the sum of its machines' energy per interval."""
    _check_level(level)
    rows, _ = _demand_rows(energy_15min, machines, "day", start, end)
    if level == "factory":
        rows = _factory_demand(rows)
        rows = rows.join(_info(machines).drop_duplicates("factory_id").set_index("factory_id")[["factory_name"]],
                         on="factory_id")
    else:
        rows = rows.join(_info(machines)[["machine_name", "factory_name"]], on="machine_id")
    return rows[_IDS[level] + ["timezone", "bucket", "local_time", "energy_kwh", "demand_kw"]].sort_values(
        _IDS[level][1:] + ["bucket"], ignore_index=True)


def load_factor(energy_kwh: pd.Series | float, peak_kw: pd.Series | float,
                hours: pd.Series | float) -> pd.Series | float:
    """Load factor = kWh / (peak 15-min kW × hours in the period) (real hours: a 23-h day has 23); NaN where
    the peak is not positive."""
    if np.isscalar(peak_kw):
        return float(energy_kwh) / (float(peak_kw) * float(hours)) if peak_kw > 0 else float("nan")
    return energy_kwh / (peak_kw.where(peak_kw > 0) * hours)


def _peaks_from_rows(rows: pd.DataFrame, periods: pd.DataFrame, machines: pd.DataFrame,
                     level: Level) -> pd.DataFrame:
    if level == "factory":
        rows = _factory_demand(rows)
    keys = _keys(level, energy_type=False)
    top = rows.groupby(keys, sort=False)["demand_kw"].transform("max")
    peaks = (rows[rows["demand_kw"] == top].sort_values("bucket").drop_duplicates(keys)
             [keys + ["demand_kw", "bucket", "local_time"]]
             .rename(columns={"demand_kw": "peak_kw", "bucket": "peak_start", "local_time": "peak_start_local"}))
    energy = rows.groupby(keys, as_index=False, sort=False).agg(energy_kwh=("energy_kwh", "sum"),
                                                               intervals=("bucket", "size"))
    out = peaks.merge(energy, on=keys, how="left").assign(energy_type="electricity")
    out = _finish(out, periods, machines, level,
                  ["peak_kw", "peak_start", "peak_start_local", "energy_kwh", "intervals"])
    out["load_factor"] = load_factor(out["energy_kwh"], out["peak_kw"], out["hours"])
    return out


def peak_demand(energy_15min: pd.DataFrame, machines: pd.DataFrame, freq: Freq = "month", *,
                level: Level = "machine", start: LocalBound = None, end: LocalBound = None) -> pd.DataFrame:
    """Peak 15-minute demand of electricity per machine (or factory) × local period, and the load factor.

    Demand is the average power over a 15-minute interval = interval kWh / 0.25 h; the maximum instantaneous
    sample (``max_power_kw``) is not demand and is ignored. Finer buckets (1-minute data) are summed into their
    15-minute interval first; hourly buckets are refused. A factory's demand is the sum of its machines'
    energy in each interval (coincident), then the maximum. Ties go to the earliest interval.

    Columns: ``energy_type`` (always electricity), period columns, ``peak_kw``, ``peak_start`` (interval start,
    UTC), ``peak_start_local`` (interval start, naive local wall-clock), ``energy_kwh`` (the period's
    electricity from the same 15-minute data), ``intervals`` (15-minute intervals with data; a whole period
    has hours × 4), ``load_factor`` = energy_kwh / (peak_kw × hours).
    """
    _check_level(level)
    rows, periods = _demand_rows(energy_15min, machines, freq, start, end)
    return _peaks_from_rows(rows, periods, machines, level)


# ------------------------------------------------------------------------------------------------------- cost
def _dates(values: pd.Series) -> np.ndarray:
    """Dates (date, datetime, str or None) → datetime64[us] at midnight (NaT for None)."""
    return pd.to_datetime(values).dt.normalize().to_numpy(dtype="datetime64[us]")


def _active(frame: pd.DataFrame) -> pd.DataFrame:
    if "is_active" not in frame.columns:
        return frame
    return frame[frame["is_active"].fillna(True).astype(bool)]


def _valid_on(day: np.ndarray, valid_from: np.datetime64, valid_to: np.datetime64) -> np.ndarray:
    """Local dates within [valid_from, valid_to] (both inclusive; NaT = open)."""
    ok = np.ones(len(day), dtype=bool)
    if not np.isnat(valid_from):
        ok &= day >= valid_from
    if not np.isnat(valid_to):
        ok &= day <= valid_to
    return ok


def _in_window(hour: np.ndarray, start_hour: object, end_hour: object) -> np.ndarray:
    """Local hours in the half-open window [start_hour, end_hour); it wraps midnight when start > end
    (21 → 9 = 21..23 and 0..8). A missing bound, 0 → 24 or start == end is the whole day."""
    if pd.isna(start_hour) or pd.isna(end_hour):
        return np.ones(len(hour), dtype=bool)
    first, last = int(start_hour), int(end_hour)
    if first == last or (first <= 0 and last >= 24):
        return np.ones(len(hour), dtype=bool)
    if first < last:
        return (hour >= first) & (hour < last)
    return (hour >= first) | (hour < last)


def _on_days(weekday: np.ndarray, days: object) -> np.ndarray:
    """Local weekdays (0 = Sunday) in ``applicable_days``; a missing list means every day."""
    if days is None or (np.isscalar(days) and pd.isna(days)):
        return np.ones(len(weekday), dtype=bool)
    return np.isin(weekday, np.asarray(list(days), dtype=int))


def _match_tariffs(rows: pd.DataFrame, tariffs: pd.DataFrame, names: Mapping[str, str], *,
                   sole_tariff_covers_day: bool) -> pd.DataFrame:
    """The one tariff of each row (``factory_id``, ``timezone``, ``local_time``); ``names``: factory names.

    A tariff *applies* on a local date when it is active, valid on that date (``valid_from``..``valid_to``,
    inclusive) and the local weekday is in its ``applicable_days`` (0 = Sunday). Where several tariffs apply
    on a date, their windows ``[start_hour, end_hour)`` (local hours, wrapping midnight when start > end)
    divide the day. With ``sole_tariff_covers_day`` (default) a tariff that is the only one applying on a date
    covers that whole date: a window only divides a day among the tariffs that share it, so Off-Peak 21→9
    "all days" is all of Saturday and Sunday when Peak 09–21 is Mon–Fri. Exactly one tariff must match each
    row, else ValueError naming the factory and the local time.
    """
    tariffs = _active(tariffs)
    n = len(rows)
    out = pd.DataFrame({"tariff_id": pd.Series([None] * n, dtype=object, index=rows.index),
                        "tariff_name": pd.Series([None] * n, dtype=object, index=rows.index),
                        "rate_per_kwh": pd.Series(np.nan, index=rows.index),
                        "demand_charge_per_kw": pd.Series(np.nan, index=rows.index),
                        "currency": pd.Series([None] * n, dtype=object, index=rows.index)})
    for factory, positions in rows.groupby("factory_id", sort=False).indices.items():
        local = rows["local_time"].iloc[positions]
        day = local.dt.normalize().to_numpy(dtype="datetime64[us]")
        hour = local.dt.hour.to_numpy()
        weekday = ((local.dt.day_of_week + 1) % 7).to_numpy()  # 0 = Sunday, as applicable_days
        own = tariffs[tariffs["factory_id"] == factory].reset_index(drop=True)
        starts, ends = _dates(own["valid_from"]), _dates(own["valid_to"])
        applies = np.zeros((len(local), len(own)), dtype=bool)
        window = np.zeros((len(local), len(own)), dtype=bool)
        for j, tariff in enumerate(own.itertuples(index=False)):
            applies[:, j] = _valid_on(day, starts[j], ends[j]) & _on_days(weekday, tariff.applicable_days)
            window[:, j] = _in_window(hour, tariff.start_hour, tariff.end_hour)
        match = applies & window
        if sole_tariff_covers_day:
            match |= applies & (applies.sum(axis=1) == 1)[:, None]
        count = match.sum(axis=1)
        bad = np.flatnonzero(count != 1)
        if len(bad):
            i = bad[0]
            listed = ", ".join(f"{own['name'][j]} ({own['start_hour'][j]}→{own['end_hour'][j]})"
                               for j in np.flatnonzero(match[i] if count[i] else applies[i]))
            what = (f"{count[i]} tariffs overlap: {listed}" if count[i] else
                    f"no tariff matches (tariffs applying that day: {listed or 'none'})")
            raise ValueError(
                f"factory {names.get(factory, factory)!r}: {what} at local time {local.iloc[i]:%Y-%m-%d %H:%M} "
                f"({_WEEKDAY_NAMES[weekday[i]]}, {rows['timezone'].iloc[positions[i]]}); "
                f"{len(bad)} bucket(s) affected"
            )
        chosen = match.argmax(axis=1)
        for column, source in (("tariff_id", "tariff_id"), ("tariff_name", "name"), ("rate_per_kwh", "rate_per_kwh"),
                               ("demand_charge_per_kw", "demand_charge_per_kw"), ("currency", "currency")):
            if source in own.columns:
                out.iloc[positions, out.columns.get_loc(column)] = own[source].to_numpy()[chosen]
    return out


def tariff_rates(energy: pd.DataFrame, machines: pd.DataFrame, tariffs: pd.DataFrame, *,
                 start: LocalBound = None, end: LocalBound = None,
                 sole_tariff_covers_day: bool = True) -> pd.DataFrame:
    """The tariff, rate and cost of each electricity bucket (hourly or 15-minute), in the factory's local time.

    A bucket's tariff is the one valid on its LOCAL date (``valid_from``..``valid_to`` inclusive) whose window
    ``[start_hour, end_hour)`` holds its LOCAL start hour (wrapping midnight when start_hour > end_hour) and
    whose ``applicable_days`` hold its LOCAL weekday (0 = Sunday); a tariff that is the only one applying on
    a local date covers the whole date (``sole_tariff_covers_day``, see ``_match_tariffs``). Inactive tariffs
    are ignored. No match, or several (overlap), is a ValueError naming the factory and the local time.

    Columns: ``bucket`` (UTC), ``machine_id``, ``factory_id``, ``factory_name``, ``local_time`` (naive local),
    ``local_weekday`` (0 = Sunday), ``tariff_id``, ``tariff_name``, ``rate_per_kwh``, ``currency``,
    ``energy_kwh``, ``cost`` = energy_kwh × rate_per_kwh.
    """
    energy = _energy(energy)
    energy = energy[energy["energy_type"] == "electricity"]
    rows, _ = _prepare(energy, machines, "day", start, end)
    names = _factory_names(machines)
    matched = _match_tariffs(rows, tariffs, names, sole_tariff_covers_day=sole_tariff_covers_day)
    out = rows[["bucket", "machine_id", "factory_id"]].assign(factory_name=rows["factory_id"].map(names),
                                                             local_time=rows["local_time"])
    out["local_weekday"] = (rows["local_time"].dt.day_of_week + 1) % 7
    out = pd.concat([out, matched[["tariff_id", "tariff_name", "rate_per_kwh", "currency"]]], axis=1)
    out["rate_per_kwh"] = out["rate_per_kwh"].astype("float64")
    out["energy_kwh"] = rows["total_energy_kwh"]
    out["cost"] = out["energy_kwh"] * out["rate_per_kwh"]
    return out.sort_values(["factory_name", "machine_id", "bucket"], ignore_index=True)


def _metadata(factories: pd.DataFrame | None) -> dict[str, dict]:
    if factories is None or factories.empty:
        return {}
    texts = factories["metadata"] if "metadata" in factories.columns else [None] * len(factories)
    parsed = {}
    for factory_id, text in zip(factories["factory_id"], texts, strict=True):
        if isinstance(text, str) and text:
            parsed[factory_id] = json.loads(text)
        elif isinstance(text, Mapping):
            parsed[factory_id] = dict(text)
        else:
            parsed[factory_id] = {}
    return parsed


def _currencies(factory_ids: pd.Series, factories: pd.DataFrame | None, tariffs: pd.DataFrame) -> pd.Series:
    """Currency per factory: its metadata ``currency``, else its active tariffs' one currency.

    A tariff in another currency than the factory's is a ValueError (money is never added across currencies).
    """
    meta = _metadata(factories)
    result = {}
    active = _active(tariffs)
    for factory_id in factory_ids.unique():
        own = set()
        if "currency" in active.columns:
            own = set(active.loc[active["factory_id"] == factory_id, "currency"].dropna())
        currency = meta.get(factory_id, {}).get("currency")
        if currency is None and len(own) == 1:
            currency = own.pop()
        elif own - {currency}:
            raise ValueError(f"factory {factory_id}: tariffs in {sorted(own)} but the factory's currency is "
                             f"{currency}: money is never summed across currencies")
        result[factory_id] = currency
    return factory_ids.map(result)


def _source_value(energy_sources: pd.DataFrame, name: str, column: str) -> float:
    rows = _active(energy_sources)
    rows = rows[rows["name"] == name]
    if rows.empty or pd.isna(rows[column].iloc[0]):
        raise ValueError(f"energy_sources has no active {name!r} row with a {column}")
    return float(rows[column].iloc[0])


def _per_row(rows: pd.DataFrame, electricity_per_kwh: Callable[[pd.DataFrame], np.ndarray],
             energy_sources: pd.DataFrame, source_column: str) -> np.ndarray:
    """Money or kg CO₂e per energy row: electricity kWh × its local rate or factor, natural gas m³ × the
    ``energy_sources`` value per m³, steam 0 (its gas is already counted), any other type NaN."""
    kwh = rows["total_energy_kwh"].to_numpy(dtype="float64")
    out = np.full(len(rows), np.nan)
    kind = rows["energy_type"].to_numpy()
    electric = kind == "electricity"
    if electric.any():
        out[electric] = kwh[electric] * electricity_per_kwh(rows[electric])
    gas = kind == "natural_gas"
    if gas.any():
        out[gas] = kwh[gas] / GAS_KWH_PER_M3 * _source_value(energy_sources, "natural_gas", source_column)
    out[kind == "steam"] = 0.0
    return out


def _cost_from_rows(rows: pd.DataFrame, periods: pd.DataFrame, machines: pd.DataFrame,
                    factories: pd.DataFrame | None, tariffs: pd.DataFrame, energy_sources: pd.DataFrame,
                    level: Level, sole_tariff_covers_day: bool) -> pd.DataFrame:
    def rate(electric: pd.DataFrame) -> np.ndarray:
        matched = _match_tariffs(electric, tariffs, _factory_names(machines),
                                 sole_tariff_covers_day=sole_tariff_covers_day)
        return matched["rate_per_kwh"].to_numpy(dtype="float64")

    cost = _per_row(rows, rate, energy_sources, "cost_per_unit")
    keys = _keys(level)
    grouped = rows[keys + ["total_energy_kwh"]].assign(cost=cost).groupby(keys, sort=False)
    out = grouped["total_energy_kwh"].sum().rename("energy_kwh").to_frame()
    out["energy_cost"] = grouped["cost"].sum(min_count=1)
    out = out.reset_index()
    out["currency"] = _currencies(out["factory_id"] if level == "factory"
                                  else out["machine_id"].map(_info(machines)["factory_id"]), factories, tariffs)
    return _finish(out, periods, machines, level, ["energy_kwh", "energy_cost", "currency"])


def energy_cost(energy_hourly: pd.DataFrame, machines: pd.DataFrame, factories: pd.DataFrame | None,
                tariffs: pd.DataFrame, energy_sources: pd.DataFrame, freq: Freq = "month", *,
                level: Level = "machine", start: LocalBound = None, end: LocalBound = None,
                sole_tariff_covers_day: bool = True) -> pd.DataFrame:
    """Consumption cost per machine (or factory) × energy type × local period, in the factory's currency.

    * electricity: Σ bucket kWh × the rate of its time-of-use tariff in LOCAL time (see ``tariff_rates``);
      hourly or 15-minute buckets give the same result as tariff windows are whole hours;
    * natural gas: m³ (kWh / 10.55) × ``energy_sources`` natural_gas ``cost_per_unit`` (per m³; the EnMS keeps
      one price per source, taken in the factory's currency);
    * steam: 0 by design: an internal product of the boiler whose gas and electricity are already costed;
    * other energy types: NaN (no price rule).

    Demand charges are not included: see ``demand_charges``. Columns: ``energy_kwh``, ``energy_cost``,
    ``currency``.
    """
    _check_level(level)
    rows, periods = _prepare(_energy(energy_hourly), machines, freq, start, end)
    return _cost_from_rows(rows, periods, machines, factories, tariffs, energy_sources, level,
                           sole_tariff_covers_day)


def _charges_from_peaks(peaks: pd.DataFrame, tariffs: pd.DataFrame, factories: pd.DataFrame | None) -> pd.DataFrame:
    active = _active(tariffs)
    pairs = peaks[["factory_id", "period_start", "peak_start_local"]].merge(
        active[["factory_id", "demand_charge_per_kw", "valid_from", "valid_to"]], on="factory_id", how="inner")
    day = pairs["peak_start_local"].dt.normalize().to_numpy(dtype="datetime64[us]")
    starts, ends = _dates(pairs["valid_from"]), _dates(pairs["valid_to"])
    valid = (np.isnat(starts) | (day >= starts)) & (np.isnat(ends) | (day <= ends))
    rates = pairs[valid].groupby(["factory_id", "period_start"], as_index=False)["demand_charge_per_kw"].max()
    out = peaks.drop(columns=["energy_type", "energy_kwh", "load_factor"]).merge(
        rates, on=["factory_id", "period_start"], how="left")
    missing = out[out["demand_charge_per_kw"].isna()]
    if len(missing):
        first = missing.iloc[0]
        raise ValueError(f"factory {first['factory_name']!r}: no tariff valid on {first['peak_start_local']:%Y-%m-%d} "
                         f"(the local date of the {first['period']} peak) for its demand charge")
    out["demand_charge_per_kw"] = out["demand_charge_per_kw"].astype("float64")
    out["demand_charge"] = out["peak_kw"] * out["demand_charge_per_kw"]
    out["currency"] = _currencies(out["factory_id"], factories, tariffs)
    out["whole_month"] = (out["period_start"].dt.day == 1) & (
        out["period_end"] == _natural_end(out["period_start"], "month"))
    out["coverage"] = out["intervals"] / (out["hours"] / DEMAND_INTERVAL_HOURS)
    return out


def demand_charges(energy_15min: pd.DataFrame, machines: pd.DataFrame, tariffs: pd.DataFrame,
                   factories: pd.DataFrame | None = None, *, start: LocalBound = None,
                   end: LocalBound = None) -> pd.DataFrame:
    """Demand charge per factory and billing month (LOCAL calendar month).

    demand_charge = the month's factory peak 15-minute demand (coincident: sum of the machines' electricity
    per interval / 0.25 h) × ``demand_charge_per_kw``. The rate is the **maximum** ``demand_charge_per_kw``
    among the factory's active tariffs valid on the peak's local date (the Peak tariff carries the charge,
    Off-Peak has 0; taking the maximum also covers a peak falling in an off-peak hour). No valid tariff on
    that date is a ValueError naming the factory.

    Columns: factory ids, period columns, ``peak_kw``, ``peak_start`` (UTC), ``peak_start_local``,
    ``intervals``, ``demand_charge_per_kw``, ``demand_charge``, ``currency``, ``whole_month`` (False where the
    window clips the month: the charge then covers only the data inside the window) and ``coverage`` (share
    of the month's 15-minute intervals with data: a peak from partial data may understate the bill).
    """
    peaks = peak_demand(energy_15min, machines, "month", level="factory", start=start, end=end)
    return _charges_from_peaks(peaks, tariffs, factories)


# ----------------------------------------------------------------------------------------------------- carbon
def carbon_region(factories: pd.DataFrame | None, factory_id: str) -> str:
    """The factory's carbon region: its metadata ``carbon_region``, else ``'default'``."""
    return _metadata(factories).get(factory_id, {}).get("carbon_region") or "default"


def _factor_per_day(days: np.ndarray, region: str, factors: pd.DataFrame, factory_name: str) -> np.ndarray:
    """Electricity emission factor (kg/kWh) per local date: the region's factor valid that date, else the
    'default' region's; none or several valid factors is a ValueError."""
    result = np.full(len(days), np.nan)
    for name in dict.fromkeys([region, "default"]):
        own = factors[factors["region"] == name].reset_index(drop=True)
        todo = np.isnan(result)
        if own.empty or not todo.any():
            continue
        starts, ends = _dates(own["valid_from"]), _dates(own["valid_to"])
        valid = np.column_stack([_valid_on(days, starts[j], ends[j]) for j in range(len(own))])
        count = valid.sum(axis=1)
        overlap = np.flatnonzero(todo & (count > 1))
        if len(overlap):
            raise ValueError(f"factory {factory_name!r}: {count[overlap[0]]} carbon factors of region {name!r} "
                             f"overlap on {pd.Timestamp(days[overlap[0]]):%Y-%m-%d}")
        hit = todo & (count == 1)
        result[hit] = own["emission_factor_kg_co2_per_kwh"].to_numpy(dtype="float64")[valid[hit].argmax(axis=1)]
    if np.isnan(result).any():
        raise ValueError(f"factory {factory_name!r}: no carbon factor for region {region!r} nor 'default' on "
                         f"{pd.Timestamp(days[np.isnan(result)][0]):%Y-%m-%d}")
    return result


def electricity_carbon_factors(rows: pd.DataFrame, factories: pd.DataFrame | None,
                               carbon_factors: pd.DataFrame, names: Mapping[str, str] | None = None) -> np.ndarray:
    """kg CO₂e/kWh per row (``factory_id``, ``local_time``): the factor of the factory's region valid on the
    row's LOCAL date (``valid_from``..``valid_to`` inclusive), falling back to region 'default'."""
    factors = _active(carbon_factors)
    names = names or {}
    result = np.full(len(rows), np.nan)
    for factory, positions in rows.groupby("factory_id", sort=False).indices.items():
        days = rows["local_time"].iloc[positions].dt.normalize().to_numpy(dtype="datetime64[us]")
        unique, inverse = np.unique(days, return_inverse=True)
        per_day = _factor_per_day(unique, carbon_region(factories, factory), factors, names.get(factory, factory))
        result[positions] = per_day[inverse]
    return result


def _carbon_from_rows(rows: pd.DataFrame, periods: pd.DataFrame, machines: pd.DataFrame,
                      factories: pd.DataFrame | None, carbon_factors: pd.DataFrame, energy_sources: pd.DataFrame,
                      level: Level) -> pd.DataFrame:
    def factor(electric: pd.DataFrame) -> np.ndarray:
        return electricity_carbon_factors(electric, factories, carbon_factors, _factory_names(machines))

    kg = _per_row(rows, factor, energy_sources, "carbon_factor")
    keys = _keys(level)
    grouped = rows[keys + ["total_energy_kwh"]].assign(kg=kg).groupby(keys, sort=False)
    out = grouped["total_energy_kwh"].sum().rename("energy_kwh").to_frame()
    out["carbon_kg"] = grouped["kg"].sum(min_count=1)
    return _finish(out.reset_index(), periods, machines, level, ["energy_kwh", "carbon_kg"])


def carbon(energy_hourly: pd.DataFrame, machines: pd.DataFrame, factories: pd.DataFrame | None,
           carbon_factors: pd.DataFrame, energy_sources: pd.DataFrame, freq: Freq = "month", *,
           level: Level = "machine", start: LocalBound = None, end: LocalBound = None) -> pd.DataFrame:
    """Emissions (kg CO₂e) per machine (or factory) × energy type × local period.

    * electricity: kWh × the factor (kg/kWh) of the factory's region valid on each bucket's LOCAL date
      (``carbon_factors``; region from the factory's metadata ``carbon_region``, else / on dates it lacks a
      factor: region 'default'); overlapping factors of a region are a ValueError;
    * natural gas: m³ (kWh / 10.55) × ``energy_sources`` natural_gas ``carbon_factor`` (kg/m³);
    * steam: 0 by design (its gas is already counted);
    * other energy types: NaN.

    Columns: ``energy_kwh``, ``carbon_kg``.
    """
    _check_level(level)
    rows, periods = _prepare(_energy(energy_hourly), machines, freq, start, end)
    return _carbon_from_rows(rows, periods, machines, factories, carbon_factors, energy_sources, level)


# ------------------------------------------------------------------------------------------------------- EnPI
def ratio_enpi(sec_reporting: pd.DataFrame, sec_baseline: pd.DataFrame) -> pd.DataFrame:
    """Ratio EnPI: reporting-period SEC against the baseline-period SEC, per machine and energy type.

    Both frames come from ``sec`` (the baseline with one period, e.g. ``freq=None`` over the baseline year).
    Adds ``baseline_sec_kwh_per_unit``, ``enpi_ratio`` = SEC / baseline SEC (< 1 is better),
    ``ratio_expected_kwh`` = baseline SEC × units produced, ``ratio_avoided_kwh`` = expected − actual (kWh, over
    producing hours) and ``ratio_improvement_pct`` = (expected − actual) / expected × 100.
    """
    base = sec_baseline[["machine_id", "energy_type", "sec_kwh_per_unit"]]
    if base.duplicated(["machine_id", "energy_type"]).any():
        raise ValueError("sec_baseline must hold one period per machine and energy type")
    out = sec_reporting.merge(base.rename(columns={"sec_kwh_per_unit": "baseline_sec_kwh_per_unit"}),
                              on=["machine_id", "energy_type"], how="left")
    baseline = out["baseline_sec_kwh_per_unit"].where(out["baseline_sec_kwh_per_unit"] > 0)
    out["enpi_ratio"] = out["sec_kwh_per_unit"] / baseline
    out["ratio_expected_kwh"] = baseline * out["production_units"]
    out["ratio_avoided_kwh"] = out["ratio_expected_kwh"] - out["energy_kwh"]
    out["ratio_improvement_pct"] = 100.0 * out["ratio_avoided_kwh"] / out["ratio_expected_kwh"].where(
        out["ratio_expected_kwh"] > 0)
    return out


def _expected(expected: pd.DataFrame) -> pd.DataFrame:
    missing = sorted({"bucket", "machine_id", "energy_type", "expected_kwh"} - set(expected.columns))
    if missing:
        raise ValueError(f"expected frame lacks column(s) {', '.join(missing)}")
    keys = ["bucket", "machine_id", "energy_type"]
    return expected[keys + ["expected_kwh"]].groupby(keys, as_index=False)["expected_kwh"].sum()


def _matched(energy: pd.DataFrame, expected: pd.DataFrame) -> pd.DataFrame:
    """Actual and expected kWh on the buckets both have (per bucket, machine, energy type)."""
    keys = ["bucket", "machine_id", "energy_type"]
    actual = _energy(energy).groupby(keys, as_index=False)["total_energy_kwh"].sum()
    return actual.merge(_expected(expected), on=keys, how="inner").rename(columns={"total_energy_kwh": "actual_kwh"})


def _regression_from_rows(rows: pd.DataFrame, periods: pd.DataFrame, machines: pd.DataFrame,
                          level: Level) -> pd.DataFrame:
    out = rows.groupby(_keys(level), as_index=False, sort=False).agg(
        actual_kwh=("actual_kwh", "sum"), expected_kwh=("expected_kwh", "sum"), buckets=("bucket", "size"))
    positive = out["expected_kwh"].where(out["expected_kwh"] > 0)
    out["enpi"] = out["actual_kwh"] / positive
    out["avoided_kwh"] = out["expected_kwh"] - out["actual_kwh"]
    out["improvement_pct"] = 100.0 * out["avoided_kwh"] / positive
    return _finish(out, periods, machines, level,
                   ["actual_kwh", "expected_kwh", "buckets", "enpi", "avoided_kwh", "improvement_pct"])


def regression_enpi(energy: pd.DataFrame, expected: pd.DataFrame, machines: pd.DataFrame, freq: Freq = "month", *,
                    level: Level = "machine", start: LocalBound = None, end: LocalBound = None) -> pd.DataFrame:
    """Regression EnPI per machine (or factory) × energy type × local period.

    ``expected`` (bucket, machine_id, energy_type, expected_kwh) is the baseline model's energy on the
    reporting period's drivers, at the same bucket resolution as ``energy``. Only buckets present in both are
    compared (a bucket the model did not predict, e.g. outside normal operation, counts on neither side).

    Columns: ``actual_kwh``, ``expected_kwh``, ``buckets``, ``enpi`` = actual / expected (< 1 is better),
    ``avoided_kwh`` = expected − actual, ``improvement_pct`` = (expected − actual) / expected × 100.
    """
    _check_level(level)
    rows, periods = _prepare(_matched(energy, expected), machines, freq, start, end)
    return _regression_from_rows(rows, periods, machines, level)


def cusum(energy: pd.DataFrame, expected: pd.DataFrame, machines: pd.DataFrame,
          freq: Literal["bucket", "day", "week", "month"] = "bucket", *, start: LocalBound = None,
          end: LocalBound = None) -> pd.DataFrame:
    """CUSUM of avoided energy per machine and energy type: running Σ (expected − actual) in **kWh** over the
    buckets both frames have (see ``regression_enpi``), in time order; a rising line is saving.

    ``freq="bucket"`` gives one row per bucket (``bucket`` UTC, ``local_time``); ``"day"``/``"week"``/``"month"``
    one row per local period (period columns). Columns: ``actual_kwh``, ``expected_kwh``, ``avoided_kwh``,
    ``cusum_kwh``.
    """
    rows, periods = _prepare(_matched(energy, expected), machines, "day" if freq == "bucket" else freq,
                             start, end)
    rows["avoided_kwh"] = rows["expected_kwh"] - rows["actual_kwh"]
    group = ["machine_id", "energy_type"]
    values = ["actual_kwh", "expected_kwh", "avoided_kwh"]
    if freq == "bucket":
        out = rows.sort_values(group + ["bucket"], ignore_index=True)
        out["cusum_kwh"] = out.groupby(group, sort=False)["avoided_kwh"].cumsum()
        out = out.drop(columns=["factory_id", "timezone"]).join(_info(machines), on="machine_id")
        return out[_IDS["machine"] + ["energy_type", "timezone", "bucket", "local_time", *values, "cusum_kwh"]]
    out = rows.groupby(_keys("machine"), as_index=False, sort=False)[values].sum()
    out = _finish(out, periods, machines, "machine", values)
    out["cusum_kwh"] = out.groupby(group, sort=False)["avoided_kwh"].cumsum()
    return out


# ------------------------------------------------------------------------------------------------- KPI table
_TABLE_FRAMES = ("machines", "factories", "energy_hourly", "energy_15min", "production_hourly", "tariffs",
                 "carbon_factors", "energy_sources")


def _select_factory(machines: pd.DataFrame, factory: str) -> pd.DataFrame:
    chosen = machines[(machines["factory_name"] == factory) | (machines["factory_id"] == factory)]
    if chosen.empty:
        known = ", ".join(sorted(machines["factory_name"].unique()))
        raise ValueError(f"unknown factory {factory!r}; known: {known}")
    return chosen


def _allocated_demand_charges(table: pd.DataFrame, charges: pd.DataFrame, demand: pd.DataFrame,
                              machines: pd.DataFrame, level: Level) -> pd.DataFrame:
    """Demand charges of the complete billing months inside each table period. Per machine, a month's charge
    is split by the machine's demand in the factory's peak interval (its coincident peak), so the machines'
    charges add up to the factory's. ``demand``: prepared machine 15-minute rows."""
    key = _keys(level)
    months = charges[charges["whole_month"]]
    if months.empty:
        return pd.DataFrame({column: pd.Series(dtype=table[column].dtype) for column in key} |
                            {"coincident_peak_kw": pd.Series(dtype="float64"),
                             "demand_charge": pd.Series(dtype="float64")})
    spans = table[["period_start", "period_end"]].drop_duplicates()
    months = months.rename(columns={"period_start": "month_start", "period_end": "month_end"}).merge(spans,
                                                                                                     how="cross")
    months = months[(months["period_start"] <= months["month_start"]) & (months["month_end"] <= months["period_end"])]
    if level == "factory":
        out = months.assign(coincident_peak_kw=months["peak_kw"])
    else:
        out = months[["factory_id", "period_start", "peak_start", "demand_charge_per_kw"]].merge(
            demand[["factory_id", "machine_id", "bucket", "demand_kw"]].rename(columns={"bucket": "peak_start"}),
            on=["factory_id", "peak_start"], how="inner").rename(columns={"demand_kw": "coincident_peak_kw"})
        out["demand_charge"] = out["coincident_peak_kw"] * out["demand_charge_per_kw"]
    out = out.assign(energy_type="electricity")
    return out.groupby(key, as_index=False)[["coincident_peak_kw", "demand_charge"]].sum()


def kpi_table(frames: Mapping[str, pd.DataFrame], factory: str, start: LocalBound, end: LocalBound, *,
              freq: Freq = None, level: Level = "machine", expected: pd.DataFrame | None = None,
              baseline_sec: pd.DataFrame | None = None, sole_tariff_covers_day: bool = True) -> pd.DataFrame:
    """The KPI table of one factory (name or id) for the local window ``[start, end)`` (e.g. a month:
    ``"2026-10-01"``, ``"2026-11-01"``), one row per machine (or the factory, ``level="factory"``) × energy
    type × period (``freq=None``: the whole window; or the local days/weeks/months inside it).

    ``frames`` holds the extract step's products (``machines``, ``factories``, ``energy_hourly``,
    ``energy_15min``, ``production_hourly``, ``tariffs``, ``carbon_factors``, ``energy_sources``).
    ``expected`` (bucket, machine_id, energy_type, expected_kwh; hourly) adds the regression EnPI;
    ``baseline_sec`` (``sec`` over the baseline period) the ratio EnPI.

    Columns (units): ``energy_kwh`` (kWh, kWh-equivalent for gas/steam), ``energy_native`` (``native_unit``),
    ``production_units`` (all hours), ``sec_kwh_per_unit`` / ``sec_native_per_unit`` (producing hours only),
    ``peak_kw`` (15-min demand), ``peak_start`` (UTC) / ``peak_start_local``, ``load_factor`` (electricity only),
    ``energy_cost``, ``coincident_peak_kw`` and ``demand_charge`` (only for periods holding whole billing
    months, else NaN; per machine, its demand in the factory's peak interval and its share of the charge),
    ``total_cost`` = energy_cost + demand_charge (``currency``), ``carbon_kg``, ``carbon_kg_per_unit``
    (kg CO₂e / unit produced in the period), and where given: ``baseline_sec_kwh_per_unit``, ``enpi_ratio``,
    ``ratio_improvement_pct``; ``expected_kwh``, ``enpi``, ``avoided_kwh`` (kWh), ``improvement_pct`` (%).
    Production, SEC and per-unit figures are machine-level only (units differ between machines).
    """
    _check_level(level)
    absent = [name for name in _TABLE_FRAMES if name not in frames]
    if absent:
        raise ValueError(f"kpi_table needs frames {', '.join(absent)}")
    machines = _select_factory(frames["machines"], factory)
    factory_id = machines["factory_id"].iloc[0]
    ids = set(machines["machine_id"])

    def own(name: str) -> pd.DataFrame:
        frame = frames[name]
        return frame[frame["machine_id"].isin(ids)]

    tariffs = frames["tariffs"][frames["tariffs"]["factory_id"] == factory_id]
    factories, sources = frames["factories"], frames["energy_sources"]
    rows, periods = _prepare(_energy(own("energy_hourly")), machines, freq, start, end)
    demand, demand_periods = _demand_rows(own("energy_15min"), machines, freq, start, end)
    key = _IDS[level] + ["energy_type", "period_start"]

    table = _energy_from_rows(rows, periods, machines, level).drop(columns="buckets")

    def join(other: pd.DataFrame, columns: list[str], on: list[str] = key) -> None:
        nonlocal table
        table = table.merge(other[on + columns], on=on, how="left")

    if level == "machine":
        production = production_by_period(own("production_hourly"), machines, freq, start=start, end=end)
        join(production, ["production_units"], on=["machine_id", "period_start"])
        specific = _sec_from_rows(rows, periods, own("production_hourly"), machines)
        join(specific, ["sec_kwh_per_unit", "sec_native_per_unit"])
    join(_peaks_from_rows(demand, demand_periods, machines, level),
         ["peak_kw", "peak_start", "peak_start_local", "load_factor"])
    join(_cost_from_rows(rows, periods, machines, factories, tariffs, sources, level, sole_tariff_covers_day),
         ["energy_cost", "currency"])
    month_demand, month_periods = (demand, demand_periods) if freq == "month" else _demand_rows(
        own("energy_15min"), machines, "month", start, end)
    charges = _charges_from_peaks(_peaks_from_rows(month_demand, month_periods, machines, "factory"), tariffs,
                                  factories)
    allocated = _allocated_demand_charges(table, charges, demand, machines, level)
    join(allocated.join(_info(machines)[["machine_name", "factory_id", "factory_name"]], on="machine_id")
         if level == "machine"
         else allocated.assign(factory_name=allocated["factory_id"].map(_factory_names(machines))),
         ["coincident_peak_kw", "demand_charge"])
    table["total_cost"] = table["energy_cost"] + table["demand_charge"].fillna(0.0)
    join(_carbon_from_rows(rows, periods, machines, factories, frames["carbon_factors"], sources, level),
         ["carbon_kg"])
    if level == "machine":
        made = table["production_units"].where(table["production_units"] > 0)
        table["carbon_kg_per_unit"] = table["carbon_kg"] / made
        if baseline_sec is not None:
            join(ratio_enpi(specific, baseline_sec), ["baseline_sec_kwh_per_unit", "enpi_ratio",
                                                      "ratio_improvement_pct"])
    if expected is not None:
        matched = rows.rename(columns={"total_energy_kwh": "actual_kwh"}).merge(
            _expected(expected), on=["bucket", "machine_id", "energy_type"], how="inner")
        join(_regression_from_rows(matched, periods, machines, level),
             ["expected_kwh", "enpi", "avoided_kwh", "improvement_pct"])
    return table


# ------------------------------------------------------------------------------------- KPI tables of the whole data
KPI_TABLE_FRAMES = (*_TABLE_FRAMES, "window")


def local_midnight(instant: pd.Timestamp, timezone: str, *, after: bool = True) -> pd.Timestamp:
    """The local midnight (naive wall-clock) at or after (``after``) / at or before a UTC instant in ``timezone``."""
    local = pd.Timestamp(instant).tz_convert(timezone).tz_localize(None)
    day = local.normalize()
    return (day + pd.Timedelta(days=1) if after and local > day else day).as_unit("us")


def mv_expected(expected_hourly: pd.DataFrame, candidates: pd.DataFrame | None = None) -> pd.DataFrame:
    """The hours of the baselines step's ``expected_hourly`` that count in M&V: reporting period (after the
    baseline period) and normal operation. In the baseline period the expected energy is an out-of-fold check of
    the model, not a reference to measure savings against; hours in maintenance, fault or offline are left out.
    With ``candidates`` (the baselines step's table), only series whose baseline is active (passed its gates)."""
    keep = np.ones(len(expected_hourly), dtype=bool)
    if candidates is not None:
        active = candidates.loc[candidates["is_active"].fillna(False).astype(bool), ["machine_id", "energy_type"]]
        pairs = pd.MultiIndex.from_frame(active.drop_duplicates())
        keep &= pd.MultiIndex.from_frame(expected_hourly[["machine_id", "energy_type"]]).isin(pairs)
    if "period" in expected_hourly.columns:
        keep &= (expected_hourly["period"] == "reporting").to_numpy()
    if "is_normal" in expected_hourly.columns:
        keep &= expected_hourly["is_normal"].fillna(False).astype(bool).to_numpy()
    return expected_hourly[keep]


def baseline_sec_table(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """SEC of every machine and energy type over the baseline period (``frames["window"]`` baseline_start ..
    baseline_end, from the local midnight at or after each bound in the factory's zone, as the baselines step
    splits baseline and reporting periods): the reference of the ratio EnPI (see ``sec`` and ``ratio_enpi``)."""
    window = frames["window"].iloc[0]
    pieces = []
    for _, machines in frames["machines"].groupby("factory_id", sort=True):
        zone = machines["timezone"].iloc[0]
        start = local_midnight(window["baseline_start"], zone)
        end = local_midnight(window["baseline_end"], zone)
        ids = set(machines["machine_id"])
        energy = frames["energy_hourly"][frames["energy_hourly"]["machine_id"].isin(ids)]
        production = frames["production_hourly"][frames["production_hourly"]["machine_id"].isin(ids)]
        pieces.append(sec(energy, production, machines, None, start=start, end=end))
    return pd.concat(pieces, ignore_index=True)


def _complete(table: pd.DataFrame, freq: str) -> pd.Series:
    """Whether each row's period is a whole calendar period (not clipped by the data window)."""
    start, end = table["period_start"], table["period_end"]
    if freq == "month":
        return (start.dt.day == 1) & (end == _natural_end(start, "month"))
    if freq == "week":
        return (start.dt.day_of_week == 0) & (end == start + pd.Timedelta(days=7))
    return end == start + pd.Timedelta(days=1)


def kpi_tables(frames: Mapping[str, pd.DataFrame], expected_hourly: pd.DataFrame | None = None,
               candidates: pd.DataFrame | None = None, *, freqs: tuple[str, ...] = ("day", "week", "month"),
               levels: tuple[str, ...] = ("machine", "factory")) -> dict[str, pd.DataFrame]:
    """``kpi_table`` of every factory over the whole data, per local period and level: one frame per
    ``"<level>_<freq>"`` (e.g. ``machine_month``, ``factory_day``) plus ``baseline_sec``.

    The window is the whole local days inside ``frames["window"]`` [start, end) in each factory's zone (a partial
    first or last day is left out, so every period's ``hours`` is the time its data can cover). The ratio EnPI is
    against the SEC of the baseline period (``baseline_sec_table``); the regression EnPI, the energy
    performance improvement and the CUSUM against ``expected_hourly`` (the baselines step's product) on its
    M&V hours only (``mv_expected``: reporting period, normal operation; with ``candidates``, active baselines
    only), so the EnPI columns are NaN in the baseline period. Added columns:

    * ``complete``: the period is a whole calendar day/week/month (the first and last months are clipped);
    * ``cusum_kwh`` (where ``expected_hourly`` is given): running Σ ``avoided_kwh`` (expected − actual, kWh) per
      machine (or factory) and energy type over the periods in time order; a rising CUSUM is saving.
    """
    absent = [name for name in KPI_TABLE_FRAMES if name not in frames]
    if absent:
        raise ValueError(f"kpi_tables needs frames {', '.join(absent)}")
    window = frames["window"].iloc[0]
    expected = None if expected_hourly is None else mv_expected(expected_hourly, candidates)
    reference = baseline_sec_table(frames)
    out: dict[str, list[pd.DataFrame]] = {f"{level}_{freq}": [] for level in levels for freq in freqs}
    for factory_id, machines in frames["machines"].groupby("factory_id", sort=True):
        zone = machines["timezone"].iloc[0]
        start = local_midnight(window["start"], zone)
        end = local_midnight(window["end"], zone, after=False)
        if end <= start:
            continue
        for level in levels:
            for freq in freqs:
                table = kpi_table(frames, factory_id, start, end, freq=freq, level=level, expected=expected,
                                  baseline_sec=reference if level == "machine" else None)
                out[f"{level}_{freq}"].append(table)
    result = {}
    for name, pieces in out.items():
        level, freq = name.split("_")
        table = pd.concat(pieces, ignore_index=True)
        table["complete"] = _complete(table, freq)
        if expected is not None:
            group = ["machine_id" if level == "machine" else "factory_id", "energy_type"]
            table = table.sort_values(group + ["period_start"], ignore_index=True)
            table["cusum_kwh"] = table.groupby(group, sort=False)["avoided_kwh"].cumsum()
            table.loc[table["avoided_kwh"].isna(), "cusum_kwh"] = np.nan
            table = table.sort_values(_IDS[level][1:] + ["energy_type", "period_start"], ignore_index=True)
        result[name] = table
    result["baseline_sec"] = reference
    return result
