"""Closure days of machines without an operating-mode history (imported meters): inferred from their energy,
public holidays, or a calendar file.

The rule (:func:`closure_days`), per machine and local day of its factory:

* **inferred**: a complete local day (energy in at least ``MIN_DAY_HOURS`` of its hours) whose energy is below
  ``CLOSURE_SHARE`` (40 %) of the median energy of the same weekday over the surrounding ``WINDOW_WEEKS`` weeks
  (four before, four after, the day itself left out; at least three such days). A plant closed every weekend
  keeps its weekends (a Saturday is compared with Saturdays): the weekly pattern is the models' hour of week,
  a closure is a day unlike its usual weekday (a public holiday, a shutdown);
* **public holiday**: the dates of :func:`enms.calendars.factory_holidays` (factories whose country is known)
  where the energy cannot tell (a day without complete data); a holiday the plant worked through (its energy as
  usual) is no closure, one it closed is inferred and says both;
* **calendar**: a calendar file (the ``calendar`` setting: a CSV whose first column, or ``date``, holds local
  dates YYYY-MM-DD) replaces both: its dates are the closures of every machine without a mode history.

Machines with a mode history get none: their modes (offline, maintenance) say when they are closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from enms.frames import machine_timezones, numeric, require_columns
from enms.localtime import local_calendar, utc_series

CLOSURE_SHARE = 0.4
"""A day below this share of its weekday's median energy (kWh) is a closure day."""
WINDOW_WEEKS = 8
"""Weeks around a day (half before, half after) whose same weekday gives the typical day."""
MIN_DAY_HOURS = 20
"""Hours with energy a local day needs to be compared at all (a day with a gap is not a closure)."""
MIN_NEIGHBOURS = 3
"""Same-weekday days with data the median needs."""
COLUMNS = ("machine_id", "date", "day_kwh", "typical_kwh", "source")
RULE = (f"no mode history: every complete, trusted hour counts as normal operation (inferred from the energy "
        f"alone); closure days: local days below {CLOSURE_SHARE:.0%} of the median energy of the same weekday over "
        f"the surrounding {WINDOW_WEEKS} weeks, plus the country's public holidays on days without complete data "
        f"(or, instead, the dates of a calendar file)")
"""The rule in one sentence, for the quality page and the report."""


def machines_without_modes(mode_hourly: pd.DataFrame, machine_ids: Iterable[str]) -> list[str]:
    """The machines of ``machine_ids`` without a single mode reading in ``mode_hourly`` (in the given order)."""
    with_modes = set(mode_hourly.loc[numeric(mode_hourly, "total_readings") > 0, "machine_id"].astype(str))
    return [str(m) for m in machine_ids if str(m) not in with_modes]


def read_calendar(path: str | Path) -> list[date]:
    """The local dates of a calendar file (CSV: a ``date`` column, else the first one; YYYY-MM-DD). A value that
    is not a date is a ValueError naming its line."""
    table = pd.read_csv(path, dtype=str, skip_blank_lines=True)
    column = "date" if "date" in table.columns else table.columns[0]
    days = []
    for line, text in enumerate(table[column].fillna(""), start=2):
        try:
            days.append(date.fromisoformat(text.strip()))
        except ValueError:
            raise ValueError(f"{path}: line {line}: {text!r} is not a date YYYY-MM-DD") from None
    return sorted(set(days))


def _daily_energy(energy_hourly: pd.DataFrame, zone: str) -> pd.DataFrame:
    """One machine's kWh and hours with energy per local date (every energy type summed: a closure stops all)."""
    bucket = utc_series(energy_hourly["bucket"], "energy_hourly.bucket")
    hours = pd.DataFrame({"bucket": bucket.to_numpy(), "kwh": numeric(energy_hourly, "total_energy_kwh")})
    hours = hours.groupby("bucket", as_index=False)["kwh"].sum(min_count=1).dropna()
    if hours.empty:  # a machine without readings: no day to judge
        return pd.DataFrame({"day_kwh": pd.Series(dtype=float), "hours": pd.Series(dtype=np.int64)},
                            index=pd.DatetimeIndex([], name="date"))
    hours["date"] = local_calendar(hours["bucket"], zone)["date"].to_numpy()
    return hours.groupby("date").agg(day_kwh=("kwh", "sum"), hours=("kwh", "size"))


def _inferred(daily: pd.DataFrame) -> pd.DataFrame:
    """The low days of one machine's daily energy (see the module's rule): date, day_kwh, typical_kwh."""
    complete = daily[daily["hours"] >= MIN_DAY_HOURS]["day_kwh"]
    if complete.empty:
        return pd.DataFrame(columns=["date", "day_kwh", "typical_kwh"])
    grid = pd.date_range(complete.index.min(), complete.index.max(), freq="D")
    values = complete.reindex(grid).to_numpy(dtype=float)
    half = WINDOW_WEEKS // 2
    shifted = np.full((2 * half, len(grid)), np.nan)
    for row, k in enumerate([*range(-half, 0), *range(1, half + 1)]):
        src = np.arange(len(grid)) + 7 * k
        ok = (src >= 0) & (src < len(grid))
        shifted[row, ok] = values[src[ok]]
    enough = (~np.isnan(shifted)).sum(axis=0) >= MIN_NEIGHBOURS
    typical = np.full(len(grid), np.nan)
    typical[enough] = np.nanmedian(shifted[:, enough], axis=0)
    low = ~np.isnan(values) & (typical > 0) & (values < CLOSURE_SHARE * typical)
    return pd.DataFrame({"date": grid[low], "day_kwh": values[low], "typical_kwh": typical[low]})


def closure_days(energy_hourly: pd.DataFrame, machines: pd.DataFrame, machine_ids: Iterable[str], *,
                 holidays: Mapping[str, Iterable[date]] | None = None,
                 calendar: Iterable[date] | None = None) -> pd.DataFrame:
    """The closure days of the machines ``machine_ids`` (those without a mode history, see
    :func:`machines_without_modes`), by the module's rule. ``holidays``: local dates per factory_id (e.g.
    :func:`enms.calendars.factory_holidays`); ``calendar``: local dates replacing the inference and holidays.

    Columns: machine_id, date (naive local midnight), day_kwh and typical_kwh (the day's and its weekday's median
    energy, kWh; NaN for a holiday or calendar date without data), source ('inferred', 'public holiday' or
    'calendar'). A date both inferred and a holiday says 'inferred; public holiday'."""
    require_columns(energy_hourly, ("bucket", "machine_id", "total_energy_kwh"), "energy_hourly")
    ids = [str(m) for m in machine_ids]
    zones = machine_timezones(machines, ids)
    factories = dict(zip(machines["machine_id"].astype(str), machines["factory_id"].astype(str), strict=True))
    energy_ids = energy_hourly["machine_id"].astype(str)
    parts = []
    for machine_id in ids:
        daily = _daily_energy(energy_hourly[energy_ids == machine_id], zones[machine_id])
        if calendar is not None:
            found = pd.DataFrame({"date": pd.to_datetime(sorted(set(calendar))), "source": "calendar"})
        else:
            found = _inferred(daily).assign(source="inferred")
            holiday = pd.to_datetime(sorted((holidays or {}).get(factories.get(machine_id, ""), ())))
            span = daily.index.min(), daily.index.max()
            holiday = holiday[(holiday >= span[0]) & (holiday <= span[1])] if len(daily) else holiday[:0]
            judged = daily.index[daily["hours"] >= MIN_DAY_HOURS]  # the energy tells: inferred or worked through
            holiday = holiday[~holiday.isin(judged) | holiday.isin(found["date"])]
            extra = pd.DataFrame({"date": holiday, "source": "public holiday"})
            found = pd.concat([found, extra], ignore_index=True).groupby("date", as_index=False).agg(
                source=("source", "; ".join), typical_kwh=("typical_kwh", "first"))
        days = pd.DataFrame({"date": pd.to_datetime(daily.index).astype("datetime64[us]"),
                             "day_kwh": daily["day_kwh"].to_numpy(dtype=float)})
        found = found.drop(columns=["day_kwh"], errors="ignore").assign(
            date=lambda f: pd.to_datetime(f["date"]).astype("datetime64[us]")).merge(days, on="date", how="left")
        parts.append(found.assign(machine_id=machine_id))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[us]" if c == "date" else object) for c in COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[us]")
    out["typical_kwh"] = pd.to_numeric(out.get("typical_kwh"), errors="coerce")
    return out[list(COLUMNS)].sort_values(["machine_id", "date"], ignore_index=True)


def closure_dates(closures: pd.DataFrame | None) -> dict[str, set[date]]:
    """The closure days per machine_id as local dates (e.g. the ``holidays`` of the forecasters' plan)."""
    if closures is None or closures.empty:
        return {}
    return {str(m): set(g["date"].dt.date) for m, g in closures.groupby("machine_id")}
