"""The KPI table of one factory over a local window, per machine or factory × energy type × local period:
energy, production, SEC, peak demand, load factor, cost with demand charges, carbon and the EnPIs."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from enms.kpis.carbon import _carbon_from_rows
from enms.kpis.cost import _charges_from_peaks, _cost_from_rows
from enms.kpis.demand import _demand_rows, _peaks_from_rows, demand_energy
from enms.kpis.energy import _energy, _energy_from_rows, _sec_from_rows, production_by_period
from enms.kpis.enpi import _expected, _regression_from_rows, ratio_enpi
from enms.kpis.periods import (
    _IDS,
    Freq,
    Level,
    LocalBound,
    _check_level,
    _factory_names,
    _info,
    _keys,
    _prepare,
    _whole_month,
)

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
    fine = demand_energy(own("energy_15min"), machines)  # hourly meters: no demand (NaN), not 4 × the hour
    demand, demand_periods = _demand_rows(fine, machines, freq, start, end)
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
        fine, machines, "month", start, end)
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


def _complete(table: pd.DataFrame, freq: str) -> pd.Series:
    """Whether each row's period is a whole calendar period (not clipped by the data window)."""
    start, end = table["period_start"], table["period_end"]
    if freq == "month":
        return _whole_month(start, end)
    if freq == "week":
        return (start.dt.day_of_week == 0) & (end == start + pd.Timedelta(days=7))
    return end == start + pd.Timedelta(days=1)
