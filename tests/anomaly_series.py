"""Synthetic hourly series for the anomaly tests: a noisy running/idle profile with faults planted by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from enms import anomalies as an

T0 = pd.Timestamp("2026-01-05 00:00", tz="UTC")  # a Monday
H = pd.Timedelta(hours=1)


def make_inputs(days: int = 60, machines: tuple[str, ...] = ("m1",), seed: int = 0, noise: float = 0.02,
                level: float = 50.0) -> dict[str, pd.DataFrame]:
    """Hourly series: running 06–18 UTC (level kWh, producing), idle otherwise (level/5 kWh, no production).

    Expected = the noiseless profile; actual = expected × (1 + noise · N(0, 1)).
    """
    rng = np.random.default_rng(seed)
    n = days * 24
    buckets = pd.date_range(T0, periods=n, freq="h")
    energy, modes, prod = [], [], []
    for m in machines:
        running = (buckets.hour >= 6) & (buckets.hour < 18)
        expected = np.where(running, level, level / 5)
        actual = expected * (1 + noise * rng.standard_normal(n))
        energy.append(pd.DataFrame({"bucket": buckets, "machine_id": m, "energy_type": "electricity",
                                    "actual_kwh": actual, "expected_kwh": expected, "is_normal": True}))
        modes.append(pd.DataFrame({"bucket": buckets, "machine_id": m, "n_running": np.where(running, 60, 0),
                                   "n_idle": np.where(running, 0, 60), "n_maintenance": 0, "n_fault": 0,
                                   "n_offline": 0, "total_readings": 60}))
        prod.append(pd.DataFrame({"bucket": buckets, "machine_id": m,
                                  "total_production_count": np.where(running, 100, 0)}))
    return {"expected": pd.concat(energy, ignore_index=True), "modes": pd.concat(modes, ignore_index=True),
            "production": pd.concat(prod, ignore_index=True)}


def frame_of(inputs: dict[str, pd.DataFrame], **kw) -> pd.DataFrame:
    return an.detection_frame(inputs["expected"], inputs["modes"], production_hourly=inputs["production"], **kw)


def plant(inputs: dict[str, pd.DataFrame], machine: str, start: pd.Timestamp, hours: int,
          factor: float | np.ndarray) -> None:
    e = inputs["expected"]
    sel = (e["machine_id"] == machine) & (e["bucket"] >= start) & (e["bucket"] < start + hours * H)
    e.loc[sel, "actual_kwh"] = e.loc[sel, "actual_kwh"].to_numpy() * factor


def reference_of(frame: pd.DataFrame, days: int = 40) -> pd.DataFrame:
    return frame[frame["bucket"] < T0 + pd.Timedelta(days=days)]


def overlaps(events: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    return events[(events["start"] < end) & (events["end"] > start)]
