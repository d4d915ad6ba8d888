"""Cost: time-of-use tariffs matched in local time, energy cost per period, demand charges per billing month.

Money is in the factory's currency (``factories.metadata`` ``currency``, else its tariffs' currency) and never
summed across currencies; steam costs 0 (its gas and electricity are already costed).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from enms.frames import metadata_by_id
from enms.kpis.demand import DEMAND_INTERVAL_HOURS, peak_demand
from enms.kpis.energy import _energy, _per_row
from enms.kpis.periods import (
    Freq,
    Level,
    LocalBound,
    _check_level,
    _factory_names,
    _finish,
    _info,
    _keys,
    _prepare,
    _whole_month,
)
from enms.kpis.validity import _active, _dates, _valid_on

_WEEKDAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


# ----------------------------------------------------------------------------------------------------- tariffs
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
    row, else ValueError naming the factory and the local time; a factory without any tariff gets none (NaN).
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
        if own.empty:  # a factory without any tariff (imported meters): its cost is unknown (NaN), not an error
            continue
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
                values = own[source].to_numpy()[chosen]
                if out[column].dtype == "float64":  # a NULL rate or charge may arrive as None
                    values = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype="float64")
                out.iloc[positions, out.columns.get_loc(column)] = values
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


def _currencies(factory_ids: pd.Series, factories: pd.DataFrame | None, tariffs: pd.DataFrame) -> pd.Series:
    """Currency per factory: its metadata ``currency``, else its active tariffs' one currency.

    A tariff in another currency than the factory's is a ValueError (money is never added across currencies).
    """
    meta = metadata_by_id(factories, "factory_id")
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


# ---------------------------------------------------------------------------------------------- demand charges
def has_demand_charge(tariffs: pd.DataFrame) -> bool:
    """Whether any of ``tariffs`` carries a demand charge (a ``demand_charge_per_kw`` that is set and above 0);
    the EnMS's own tariffs leave it NULL, which means the tariff has none."""
    if "demand_charge_per_kw" not in tariffs.columns:
        return False
    return bool((pd.to_numeric(tariffs["demand_charge_per_kw"], errors="coerce").fillna(0.0) > 0).any())


def _charges_from_peaks(peaks: pd.DataFrame, tariffs: pd.DataFrame, factories: pd.DataFrame | None) -> pd.DataFrame:
    active = _active(tariffs)
    pairs = peaks[["factory_id", "period_start", "peak_start_local"]].merge(
        active[["factory_id", "demand_charge_per_kw", "valid_from", "valid_to"]], on="factory_id", how="inner")
    day = pairs["peak_start_local"].dt.normalize().to_numpy(dtype="datetime64[us]")
    starts, ends = _dates(pairs["valid_from"]), _dates(pairs["valid_to"])
    valid = (np.isnat(starts) | (day >= starts)) & (np.isnat(ends) | (day <= ends))
    # NULL demand_charge_per_kw (the EnMS's own tariffs) means the tariff has no demand charge: 0 per kW
    pairs["demand_charge_per_kw"] = pd.to_numeric(pairs["demand_charge_per_kw"], errors="coerce").fillna(0.0)
    rates = pairs[valid].groupby(["factory_id", "period_start"], as_index=False)["demand_charge_per_kw"].max()
    out = peaks.drop(columns=["energy_type", "energy_kwh", "load_factor"]).merge(
        rates, on=["factory_id", "period_start"], how="left")
    # a factory without any tariff (imported meters): no demand charge known (NaN), not an error
    missing = out[out["demand_charge_per_kw"].isna() & out["factory_id"].isin(active["factory_id"])]
    if len(missing):
        first = missing.iloc[0]
        raise ValueError(f"factory {first['factory_name']!r}: no tariff valid on {first['peak_start_local']:%Y-%m-%d} "
                         f"(the local date of the {first['period']} peak) for its demand charge")
    out["demand_charge_per_kw"] = out["demand_charge_per_kw"].astype("float64")
    out["demand_charge"] = out["peak_kw"] * out["demand_charge_per_kw"]
    out["currency"] = _currencies(out["factory_id"], factories, tariffs)
    out["whole_month"] = _whole_month(out["period_start"], out["period_end"])
    out["coverage"] = out["intervals"] / (out["hours"] / DEMAND_INTERVAL_HOURS)
    return out


def demand_charges(energy_15min: pd.DataFrame, machines: pd.DataFrame, tariffs: pd.DataFrame,
                   factories: pd.DataFrame | None = None, *, start: LocalBound = None,
                   end: LocalBound = None) -> pd.DataFrame:
    """Demand charge per factory and billing month (LOCAL calendar month).

    demand_charge = the month's factory peak 15-minute demand (coincident: sum of the machines' electricity
    per interval / 0.25 h) × ``demand_charge_per_kw``. The rate is the **maximum** ``demand_charge_per_kw``
    among the factory's active tariffs valid on the peak's local date (the Peak tariff carries the charge,
    Off-Peak has 0; taking the maximum also covers a peak falling in an off-peak hour). A tariff whose
    ``demand_charge_per_kw`` is missing (NULL) has no demand charge: 0 (:func:`has_demand_charge`). No valid
    tariff on that date is a ValueError naming the factory.

    Columns: factory ids, period columns, ``peak_kw``, ``peak_start`` (UTC), ``peak_start_local``,
    ``intervals``, ``demand_charge_per_kw``, ``demand_charge``, ``currency``, ``whole_month`` (False where the
    window clips the month: the charge then covers only the data inside the window) and ``coverage`` (share
    of the month's 15-minute intervals with data: a peak from partial data may understate the bill).
    """
    peaks = peak_demand(energy_15min, machines, "month", level="factory", start=start, end=end)
    return _charges_from_peaks(peaks, tariffs, factories)
