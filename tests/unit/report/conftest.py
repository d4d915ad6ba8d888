"""Tiny hand-made frames of the report tests: two factories; the plant (Los Angeles) has a compressor
(electricity) and a boiler (gas and steam) with flat loads over June 2026."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

LA = "America/Los_Angeles"
PLANT, OTHER = "Demo Manufacturing Plant", "Werk Düsseldorf"


def grid(local_start: str, n: int, freq: str = "h") -> pd.DatetimeIndex:
    first = pd.Timestamp(local_start, tz=LA).tz_convert("UTC")
    return pd.date_range(first, periods=n, freq=freq).as_unit("us")


def energy(machine_id: str, energy_type: str, buckets: pd.DatetimeIndex, kwh: float) -> pd.DataFrame:
    return pd.DataFrame({"bucket": buckets, "machine_id": machine_id, "energy_type": energy_type,
                         "total_energy_kwh": kwh, "total_readings": 15})


def tiny_frames() -> dict[str, pd.DataFrame]:
    """Two factories; the plant (Los Angeles) has a compressor (electricity) and a boiler (gas and steam), with
    flat loads over June 2026 (PDT all month: 720 h, 22 weekdays -> 264 Peak hours and 456 Off-Peak hours)."""
    machines = pd.DataFrame({
        "machine_id": ["m1", "m2", "m3"], "machine_name": ["Compressor-1", "Boiler-1", "Compressor-EU-1"],
        "factory_id": ["f1", "f1", "f2"], "factory_name": [PLANT, PLANT, OTHER],
        "timezone": [LA, LA, "Europe/Berlin"], "machine_type": ["compressor", "boiler", "compressor"],
        "rated_power_kw": [55.0, 45.0, 90.0], "data_interval_seconds": 60,
        "energy_types": [["electricity"], ["natural_gas", "steam"], ["electricity"]]})
    factories = pd.DataFrame({
        "factory_id": ["f1", "f2"], "factory_name": [PLANT, OTHER], "location": ["Los Angeles", "Düsseldorf"],
        "timezone": [LA, "Europe/Berlin"],
        "metadata": [json.dumps({"carbon_region": "US-California", "currency": "USD"}),
                     json.dumps({"carbon_region": "Germany", "currency": "EUR"})]})
    weekdays, every_day = [1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5, 6]
    tariffs = pd.DataFrame({
        "tariff_id": ["t1", "t2", "t3"], "factory_id": ["f1", "f1", "f2"], "name": ["Peak", "Off-Peak", "Flat"],
        "rate_per_kwh": [0.25, 0.10, 0.18], "currency": ["USD", "USD", "EUR"], "is_time_of_use": [True, True, False],
        "start_hour": pd.array([9, 21, 0], dtype="Int64"), "end_hour": pd.array([21, 9, 24], dtype="Int64"),
        "applicable_days": [weekdays, every_day, every_day], "demand_charge_per_kw": [18.5, 0.0, 9.8],
        "valid_from": [date(2020, 1, 1)] * 3, "valid_to": [None] * 3, "is_active": True})
    carbon = pd.DataFrame({"carbon_factor_id": ["c1", "c2"], "region": ["US-California", "default"],
                           "grid_name": ["CAISO", "default"], "emission_factor_kg_co2_per_kwh": [0.22, 0.45],
                           "source": "test", "valid_from": [date(2020, 1, 1)] * 2, "valid_to": [None] * 2,
                           "is_active": True})
    sources = pd.DataFrame({"energy_source_id": ["e1", "e2", "e3"], "name": ["electricity", "natural_gas", "steam"],
                            "unit": ["kWh", "m³", "kg"], "cost_per_unit": [0.15, 0.45, 0.03],
                            "carbon_factor": [0.45, 1.90, 0.0], "is_active": True})
    hours, quarters = grid("2026-06-01", 720), grid("2026-06-01", 720 * 4, "15min")
    hourly = pd.concat([energy("m1", "electricity", hours, 10.0), energy("m2", "natural_gas", hours, 10.55),
                        energy("m2", "steam", hours, 22.6)], ignore_index=True)
    production = pd.DataFrame({"bucket": np.concatenate([hours, hours]), "machine_id": ["m1"] * 720 + ["m2"] * 720,
                               "total_production_count": 50.0})
    window = pd.DataFrame({"start": [pd.Timestamp("2026-05-01", tz="UTC")],
                           "end": [pd.Timestamp("2026-07-03", tz="UTC")],
                           "baseline_start": [pd.Timestamp("2025-06-01", tz="UTC")],
                           "baseline_end": [pd.Timestamp("2026-06-01", tz="UTC")]})  # reporting from 1 June local
    return {"machines": machines, "factories": factories, "energy_hourly": hourly,
            "energy_15min": energy("m1", "electricity", quarters, 2.5), "production_hourly": production,
            "tariffs": tariffs, "carbon_factors": carbon, "energy_sources": sources, "window": window}


def expected_hourly() -> pd.DataFrame:
    """The compressor's baseline expects 11 kWh every hour; its first 20 hours are outside normal operation. The
    boiler's gas has a baseline too, but it failed its gates (inactive)."""
    hours = grid("2026-06-01", 720)
    normal = np.ones(720, dtype=bool)
    normal[:20] = False
    return pd.concat([
        pd.DataFrame({"bucket": hours, "machine_id": "m1", "energy_type": "electricity", "actual_kwh": 10.0,
                      "expected_kwh": 11.0, "is_normal": normal, "period": "reporting"}),
        pd.DataFrame({"bucket": hours, "machine_id": "m2", "energy_type": "natural_gas", "actual_kwh": 10.55,
                      "expected_kwh": 12.0, "is_normal": True, "period": "reporting"}),
    ], ignore_index=True)


def candidates() -> pd.DataFrame:
    return pd.DataFrame({
        "machine_id": ["m1", "m1", "m2"], "machine_name": ["Compressor-1", "Compressor-1", "Boiler-1"],
        "energy_type": ["electricity", "electricity", "natural_gas"], "model": ["towt", "regression_ols", "towt"],
        "resolution": ["hourly", "daily", "hourly"], "best_hourly": [True, False, True],
        "selected": [True, False, True], "is_active": [True, False, False], "cv_rmse_oos": [0.10, 0.05, 0.2],
        "nmbe_oos": [0.0, 0.0, 0.0], "r2_oos": [0.9, 0.9, 0.5], "n_in": [1000, 300, 1000],
        "rho_in": [0.0, 0.0, 0.0], "n_params": [0, 7, 0]})


def incidents() -> pd.DataFrame:
    def one(machine_id: str, start: str, hours: int, cost: float) -> dict:
        begin = pd.Timestamp(start, tz="UTC")
        return {"machine_id": machine_id, "energy_type": "electricity", "start": begin,
                "end": begin + pd.Timedelta(hours=hours), "anomaly_type": "left_running", "severity": "critical",
                "deviation_percent": 40.0, "wasted_kwh": cost * 10, "wasted_cost": cost, "currency": "USD"}

    return pd.DataFrame([one("m1", "2026-06-10 08:00", 5, 50.0), one("m2", "2026-06-20 08:00", 3, 80.0),
                         one("m1", "2026-05-10 08:00", 5, 999.0),  # before the period
                         one("m1", "2026-05-31 20:00", 24, 7.0),  # starts before the period, overlaps it
                         one("m3", "2026-06-10 08:00", 5, 500.0)])  # another factory


@pytest.fixture
def frames() -> dict[str, pd.DataFrame]:
    return tiny_frames()


@pytest.fixture
def hourly() -> pd.DataFrame:
    return expected_hourly()


@pytest.fixture
def baselines() -> pd.DataFrame:
    return candidates()


@pytest.fixture
def plant_incidents() -> pd.DataFrame:
    return incidents()
