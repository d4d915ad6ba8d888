"""A tiny hand-made plant for the KPI tests: two factories (Los Angeles, Berlin), three machines, their tariffs,
carbon factors and energy sources, and frames built from local wall-clock times."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

LA, BERLIN = "America/Los_Angeles", "Europe/Berlin"
LA_NAME, BERLIN_NAME = "Demo Manufacturing Plant", "European Production Facility"
ALL_DAYS, WEEKDAYS = [0, 1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5]


def make_machines() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "machine_id": ["m1", "m2", "m3"],
            "machine_name": ["Compressor-1", "Boiler-1", "Compressor-EU-1"],
            "factory_id": ["f1", "f1", "f2"],
            "factory_name": [LA_NAME, LA_NAME, BERLIN_NAME],
            "timezone": [LA, LA, BERLIN],
            "machine_type": ["compressor", "boiler", "compressor"],
            "rated_power_kw": [55.0, 45.0, 90.0],
            "data_interval_seconds": [60, 60, 60],
            "energy_types": [["electricity"], ["electricity", "natural_gas", "steam"], ["electricity"]],
        }
    )


def make_factories(berlin_region: str = "Germany") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "factory_id": ["f1", "f2"],
            "factory_name": [LA_NAME, BERLIN_NAME],
            "location": ["Los Angeles", "Berlin"],
            "timezone": [LA, BERLIN],
            "metadata": [
                json.dumps({"carbon_region": "US-California", "country": "US", "currency": "USD"}),
                json.dumps({"carbon_region": berlin_region, "country": "DE", "currency": "EUR"}),
            ],
        }
    )


def tariff(factory_id: str, name: str, rate: float, start: int, end: int, days: list[int], demand: float,
           valid_from: str = "2020-01-01", valid_to: str | None = None, currency: str = "USD") -> dict:
    return {
        "tariff_id": f"{factory_id}-{name}-{valid_from}", "factory_id": factory_id, "name": name,
        "rate_per_kwh": rate, "currency": currency, "is_time_of_use": (start, end) != (0, 24),
        "start_hour": start, "end_hour": end, "applicable_days": days, "demand_charge_per_kw": demand,
        "valid_from": pd.Timestamp(valid_from).date(),
        "valid_to": None if valid_to is None else pd.Timestamp(valid_to).date(), "is_active": True,
    }


def make_tariffs(*extra: dict) -> pd.DataFrame:
    rows = [
        tariff("f1", "Peak", 0.25, 9, 21, WEEKDAYS, 18.50),
        tariff("f1", "Off-Peak", 0.10, 21, 9, ALL_DAYS, 0.0),
        tariff("f2", "Flat", 0.18, 0, 24, ALL_DAYS, 9.80, currency="EUR"),
        *extra,
    ]
    frame = pd.DataFrame(rows)
    frame["start_hour"] = frame["start_hour"].astype("Int64")
    frame["end_hour"] = frame["end_hour"].astype("Int64")
    return frame


def make_carbon() -> pd.DataFrame:
    rows = [
        ("US-California", 0.22, "2020-01-01", None),
        ("Germany", 0.38, "2025-01-01", "2025-12-31"),
        ("Germany", 0.35, "2026-01-01", None),
        ("default", 0.45, "2020-01-01", None),
    ]
    return pd.DataFrame(
        {
            "carbon_factor_id": [f"c{i}" for i in range(len(rows))],
            "region": [r[0] for r in rows],
            "grid_name": [r[0] for r in rows],
            "emission_factor_kg_co2_per_kwh": [r[1] for r in rows],
            "source": "test",
            "valid_from": [pd.Timestamp(r[2]).date() for r in rows],
            "valid_to": [None if r[3] is None else pd.Timestamp(r[3]).date() for r in rows],
            "is_active": True,
        }
    )


def make_sources() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "energy_source_id": ["e1", "e2", "e3", "e4"],
            "name": ["electricity", "natural_gas", "steam", "compressed_air"],
            "unit": ["kWh", "m³", "kg", "Nm³"],
            "cost_per_unit": [0.15, 0.45, 0.03, 0.02],
            "carbon_factor": [0.45, 1.90, 0.0, 0.0],
            "is_active": True,
        }
    )


def buckets(local_start: str, n: int, tz: str = LA, freq: str = "h") -> pd.DatetimeIndex:
    """n buckets from a local wall-clock start, as UTC instants (so DST days get their real length)."""
    first = pd.Timestamp(local_start, tz=tz).tz_convert("UTC")
    return pd.date_range(first, periods=n, freq=freq).as_unit("us")


def energy(machine_id: str, energy_type: str, grid: pd.DatetimeIndex, kwh: float | np.ndarray,
           max_kw: float | np.ndarray | None = None) -> pd.DataFrame:
    kwh = np.broadcast_to(np.asarray(kwh, dtype=float), (len(grid),))
    hours = (grid[1] - grid[0]) / pd.Timedelta(hours=1) if len(grid) > 1 else 0.25
    return pd.DataFrame(
        {
            "bucket": grid,
            "machine_id": machine_id,
            "energy_type": energy_type,
            "avg_power_kw": kwh / hours,
            "min_power_kw": kwh / hours,
            "max_power_kw": kwh / hours if max_kw is None else np.broadcast_to(max_kw, (len(grid),)),
            "total_energy_kwh": kwh,
            "total_readings": 15,
        }
    )


def production(machine_id: str, grid: pd.DatetimeIndex, units: float | np.ndarray) -> pd.DataFrame:
    units = np.broadcast_to(np.asarray(units, dtype=float), (len(grid),))
    return pd.DataFrame(
        {
            "bucket": grid,
            "machine_id": machine_id,
            "total_production_count": units,
            "total_production_good": units,
            "total_production_bad": 0.0,
            "total_downtime_seconds": 0.0,
            "total_readings": 60,
        }
    )


def one(frame: pd.DataFrame, **where: object) -> pd.Series:
    mask = np.ones(len(frame), dtype=bool)
    for column, value in where.items():
        mask &= (frame[column] == value).to_numpy()
    assert mask.sum() == 1, f"{mask.sum()} rows for {where}:\n{frame}"
    return frame[mask].iloc[0]


def demand_frame() -> pd.DataFrame:
    def at(local: str) -> pd.DatetimeIndex:
        return buckets(local, 1, freq="15min")

    return pd.concat(
        [
            # Wed 2026-06-10 10:00 PDT: m1 20 kWh + m2 10 kWh = 30 kWh -> 120 kW factory demand (the month's peak)
            energy("m1", "electricity", at("2026-06-10 10:00"), 20.0),
            energy("m2", "electricity", at("2026-06-10 10:00"), 10.0),
            # Mon 2026-06-15 14:00: m1 28 kWh alone -> 112 kW (m1's own peak), factory 112 kW
            energy("m1", "electricity", at("2026-06-15 14:00"), 28.0, max_kw=130.0),
            # Sat 2026-06-20 03:00: a 1-minute spike of 500 kW inside an interval of 2 kWh -> only 8 kW of demand
            energy("m1", "electricity", at("2026-06-20 03:00"), 2.0, max_kw=500.0),
            # gas of the boiler in the same interval as the peak: never part of electric demand
            energy("m2", "natural_gas", at("2026-06-10 10:00"), 1000.0),
        ],
        ignore_index=True,
    )


def kpi_frames(machines: pd.DataFrame, energy_hourly: pd.DataFrame, energy_15min: pd.DataFrame,
               production_hourly: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The frames ``kpis.kpi_table`` reads: the given machines and data with this plant's factories, tariffs,
    carbon factors and energy sources."""
    return {"machines": machines, "factories": make_factories(), "energy_hourly": energy_hourly,
            "energy_15min": energy_15min, "production_hourly": production_hourly, "tariffs": make_tariffs(),
            "carbon_factors": make_carbon(), "energy_sources": make_sources()}
