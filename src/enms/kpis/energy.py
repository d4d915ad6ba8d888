"""Energy per machine or factory, energy type and local period (kWh and native units), production, SEC, and the
per-row valuation of energy types (electricity by its local rate or factor, gas per m³, steam 0)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from enms.frames import require_columns
from enms.kpis.periods import Freq, Level, LocalBound, _check_level, _finish, _keys, _prepare
from enms.kpis.validity import _active
from enms.units import GAS_KWH_PER_M3, NATIVE_UNITS, canonical_energy_types


# ------------------------------------------------------------------------------------------------------ energy
def _energy(frame: pd.DataFrame) -> pd.DataFrame:
    """The energy columns the KPIs use, with the legacy type name ``'energy'`` read as electricity."""
    columns = ["bucket", "machine_id", "energy_type", "total_energy_kwh"]
    require_columns(frame, columns, "energy frame")
    frame = frame[columns]
    return frame.assign(energy_type=canonical_energy_types(frame["energy_type"]))


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


# ------------------------------------------------------------------------------- money or carbon per energy row
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
