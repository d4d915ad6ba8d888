"""Small inputs with known answers for the ISO 50001 tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

START = pd.Timestamp("2025-01-06", tz="UTC")  # a Monday
BASELINE_END = pd.Timestamp("2025-05-05", tz="UTC")  # 17 weeks of baseline
END = pd.Timestamp("2025-07-07", tz="UTC")  # reporting: May (cut), June (whole), July (cut)
SOURCES = pd.DataFrame({"energy_source_id": ["e1", "g1"], "name": ["electricity", "natural_gas"]})


def _machine_hours(machine_id: str, seed: int) -> dict[str, pd.DataFrame]:
    """Hourly inputs of one machine: 40 kWh in weekday shifts (06-18 UTC, 100 units), 8 kWh otherwise, 1.5 kWh
    per °C below 15 °C, noise; every hour normal."""
    rng = np.random.default_rng(seed)
    buckets = pd.date_range(START, END, freq="h", inclusive="left")
    running = (buckets.day_of_week < 5) & (buckets.hour >= 6) & (buckets.hour < 18)
    temp = 8 + 6 * np.sin(2 * np.pi * (buckets.hour - 9) / 24) + np.arange(len(buckets)) / 400
    kwh = np.where(running, 40.0, 8.0) + 1.5 * np.maximum(0, 15 - temp) + rng.normal(0, 1.0, len(buckets))
    made = np.where(running, rng.integers(80, 120, len(buckets)), 0)
    one = {"bucket": buckets, "machine_id": machine_id}
    return {
        "energy_hourly": pd.DataFrame({**one, "energy_type": "electricity", "total_energy_kwh": kwh,
                                       "total_readings": 60}),
        "production_hourly": pd.DataFrame({**one, "total_production_count": made}),
        "mode_hourly": pd.DataFrame({**one, "n_running": np.where(running, 60, 0), "n_idle": np.where(running, 0, 60),
                                     "n_maintenance": 0, "n_fault": 0, "n_offline": 0, "total_readings": 60}),
        "temperature_hourly": pd.DataFrame({**one, "avg_outdoor_temp_c": temp}),
        "normal_mask": pd.DataFrame({**one, "is_normal": np.ones(len(buckets), dtype=bool), "reason": ""}),
    }


def plant() -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """(extract, quality) of two machines 'm1' (Press-1) and 'm2' (Press-2) in UTC, both fittable."""
    parts = [_machine_hours("m1", 1), _machine_hours("m2", 2)]
    frames = {name: pd.concat([p[name] for p in parts], ignore_index=True) for name in parts[0]}
    machines = pd.DataFrame({"machine_id": ["m1", "m2"], "machine_name": ["Press-1", "Press-2"],
                             "factory_id": "f1", "factory_name": "Works", "timezone": "UTC",
                             "energy_types": [["electricity"]] * 2})
    window = pd.DataFrame({"start": [START], "end": [END], "baseline_start": [START], "baseline_end": [BASELINE_END]})
    sufficiency = pd.DataFrame({"machine_id": ["m1", "m2"], "energy_type": "electricity", "sufficient": True,
                                "reasons": "", "hours_present_pct": 100.0, "days_present_pct": 100.0,
                                "fittable": True, "fit_reason": ""})
    extract = {"machines": machines, "window": window, "energy_sources": SOURCES,
               "energy_hourly": frames["energy_hourly"], "production_hourly": frames["production_hourly"],
               "mode_hourly": frames["mode_hourly"]}
    quality = {"temperature_hourly": frames["temperature_hourly"], "normal_mask": frames["normal_mask"],
               "sufficiency": sufficiency}
    return extract, quality


def baselines_rows(*series: tuple[str, str, bool]) -> pd.DataFrame:
    """energy_baselines_rows of (machine_id, energy_source_id, is_active), trained from 2025-01-06."""
    return pd.DataFrame({"machine_id": [s[0] for s in series], "energy_source_id": [s[1] for s in series],
                         "is_active": [s[2] for s in series],
                         "training_start_date": pd.Timestamp("2025-01-06", tz="UTC")})


def seus(*rows: tuple[str, str, str, list[str], bool | None]) -> pd.DataFrame:
    """An extract ``seus`` frame of (id, name, energy_source_id, machine_ids, is_active)."""
    return pd.DataFrame({"id": [r[0] for r in rows], "name": [r[1] for r in rows], "description": "",
                         "energy_source_id": [r[2] for r in rows], "machine_ids": [r[3] for r in rows],
                         "baseline_year": None, "baseline_start_date": None, "baseline_end_date": None,
                         "is_active": [r[4] for r in rows]})


def exact_daily() -> pd.DataFrame:
    """An SEU daily frame whose regression is exact: energy = 100 + 2 · production ± 1 kWh.

    Baseline 2024-12-01 .. 2025-11-30 (its last day not normal: 300 kWh, 100 units, left out of the fit); normal
    days come in pairs of equal production (50, 50, 60, 60, ...) with noise +1/-1 or -1/+1, so the noise is
    orthogonal to the design and OLS finds intercept 100 and slope 2. Reporting 2025-12-01 .. 2026-02-28 at 50
    units and 24 h a day: actual 190 kWh/day in December, 200 in January, 195 in February."""
    base = pd.date_range("2024-12-01", periods=364, freq="D")
    pair = np.arange(364) // 2
    production = np.where(pair % 2 == 0, 50.0, 60.0)
    sign = np.where(pair % 2 == 0, 1.0, -1.0) * np.where(np.arange(364) % 2 == 0, 1.0, -1.0)
    baseline = pd.DataFrame({"date": base, "energy_kwh": 100 + 2 * production + sign, "production": production,
                             "in_baseline": True, "in_reporting": False, "is_normal": True})
    extra = pd.DataFrame({"date": [pd.Timestamp("2025-11-30")], "energy_kwh": [300.0], "production": [100.0],
                          "in_baseline": True, "in_reporting": False, "is_normal": False})
    report = pd.date_range("2025-12-01", "2026-02-28", freq="D")
    actual = np.select([report.month == 12, report.month == 1], [190.0, 200.0], 195.0)
    reporting = pd.DataFrame({"date": report, "energy_kwh": actual, "production": 50.0, "in_baseline": False,
                              "in_reporting": True, "is_normal": True})
    out = pd.concat([baseline, extra, reporting], ignore_index=True)
    return out.assign(operating_hours=24.0, closure=np.nan, outdoor_temp_c=np.nan)
