"""Carbon: emissions (kg CO₂e) per local period, with the electricity factor of the factory's region valid on
each local date; gas by its source factor per m³; steam 0 (its gas is already counted)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from enms.frames import metadata_by_id
from enms.kpis.energy import _energy, _per_row
from enms.kpis.periods import Freq, Level, LocalBound, _check_level, _factory_names, _finish, _keys, _prepare
from enms.kpis.validity import _active, _dates, _valid_on


def carbon_region(factories: pd.DataFrame | None, factory_id: str) -> str:
    """The factory's carbon region: its metadata ``carbon_region``, else ``'default'``."""
    return metadata_by_id(factories, "factory_id").get(factory_id, {}).get("carbon_region") or "default"


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
