"""Tiny hand-made hourly frames with known answers, shared by the enms.quality tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

START = pd.Timestamp("2024-01-08 00:00", tz="UTC")  # a Monday
N = 48
END = START + pd.Timedelta(hours=N)


def hours(start: pd.Timestamp, n: int) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="h").as_unit("us")


def make_machines(**overrides: object) -> pd.DataFrame:
    machines = pd.DataFrame(
        {
            "machine_id": ["m1", "m2"],
            "machine_name": ["Compressor-1", "Boiler-1"],
            "factory_id": ["f1", "f1"],
            "factory_name": ["Demo Manufacturing Plant"] * 2,
            "timezone": ["America/Los_Angeles"] * 2,
            "machine_type": ["compressor", "boiler"],
            "rated_power_kw": [55.0, 45.0],
            "data_interval_seconds": [60, 60],
            "energy_types": [["electricity"], ["electricity", "natural_gas"]],
        }
    )
    for column, value in overrides.items():
        machines[column] = value
    return machines


def energy_rows(
    machine_id: str,
    energy_type: str,
    buckets: pd.DatetimeIndex,
    *,
    kwh: float | np.ndarray = 10.0,
    readings: int | np.ndarray = 60,
) -> pd.DataFrame:
    kwh = np.broadcast_to(np.asarray(kwh, dtype=float), (len(buckets),))
    return pd.DataFrame(
        {
            "bucket": buckets,
            "machine_id": machine_id,
            "energy_type": energy_type,
            "avg_power_kw": kwh,  # one hour: kW == kWh
            "min_power_kw": kwh * 0.5,
            "max_power_kw": kwh * 1.5,
            "total_energy_kwh": kwh,
            "total_readings": np.broadcast_to(np.asarray(readings), (len(buckets),)).astype(np.int64),
        }
    )


def full_energy(start: pd.Timestamp = START, n: int = N) -> pd.DataFrame:
    grid = hours(start, n)
    return pd.concat(
        [
            energy_rows("m1", "electricity", grid),
            energy_rows("m2", "electricity", grid),
            energy_rows("m2", "natural_gas", grid, kwh=30.0),
        ],
        ignore_index=True,
    )


def environment_rows(machine_id: str, buckets: pd.DatetimeIndex, temps: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "bucket": buckets,
            "machine_id": machine_id,
            "avg_outdoor_temp_c": np.asarray(temps, dtype=float),
            "total_readings": 60,
        }
    )


def full_environment(start: pd.Timestamp = START, n: int = N) -> pd.DataFrame:
    grid = hours(start, n)
    temps = np.arange(n, dtype=float)
    return pd.concat([environment_rows("m1", grid, temps), environment_rows("m2", grid, temps)], ignore_index=True)


def row(frame: pd.DataFrame, machine_id: str, energy_type: str = "electricity") -> pd.Series:
    sel = frame[(frame["machine_id"] == machine_id) & (frame["energy_type"] == energy_type)]
    assert len(sel) == 1
    return sel.iloc[0]


def mode_rows(machine_id: str, buckets: pd.DatetimeIndex) -> pd.DataFrame:
    n = len(buckets)
    return pd.DataFrame(
        {
            "bucket": buckets,
            "machine_id": machine_id,
            "n_running": np.full(n, 50),
            "n_idle": np.full(n, 10),
            "n_maintenance": np.zeros(n, dtype=int),
            "n_fault": np.zeros(n, dtype=int),
            "n_offline": np.zeros(n, dtype=int),
            "total_readings": np.full(n, 60),
            "dominant_mode": "running",
        }
    )
