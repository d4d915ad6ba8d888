"""Outlier screening of hourly energy: physically implausible values (a data-quality screen, not the
anomaly detector)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from enms import settings
from enms.frames import numeric, require_columns
from enms.quality.hours import ENERGY_COLUMNS, hour_index, join_reasons, machine_table, to_index, window_hours
from enms.units import ELECTRIC_TYPES


def find_outliers(
    energy_hourly: pd.DataFrame,
    machines: pd.DataFrame,
    *,
    spike_factor: float = settings.SPIKE_FACTOR,
    rated_factor: float = 1.1,
    power_tolerance: float = settings.ENERGY_POWER_TOLERANCE,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Screen hourly energy rows for physically implausible values (a data-quality screen, not an anomaly
    detector).

    Flags, as ``reason`` ('; '-joined when several apply):

    * ``'negative power'``: ``avg_power_kw`` or ``min_power_kw`` < 0 kW;
    * ``'negative energy'``: ``total_energy_kwh`` < 0 kWh (meter reset or bad increment);
    * ``'over rated power'``: electricity only, ``avg_power_kw`` > ``rated_factor`` × ``rated_power_kw``
      (the rating is electric; gas and steam kWh-equivalents are not compared with it);
    * ``'spike'``: ``total_energy_kwh`` > ``spike_factor`` × the 99.5th percentile of the same machine and
      energy type's hourly energy (kWh): unit errors and meter glitches;
    * ``'energy below power'``: where ``machines`` gives ``data_interval_seconds``, ``total_energy_kwh`` <
      (1 − ``power_tolerance``) × ``power_kwh``, the energy its power implies: ``avg_power_kw`` ×
      ``total_readings`` × interval (h). Readings stored without energy (0 kWh, the schema's default) while
      their power was measured.

    Values that are plausible for the machine but unusual for the hour (a machine left running at night, a
    Saturday shift) are deliberately *not* flagged: telling them apart needs production, weather and the
    operating mode, which is the anomaly step's job. Duplicate rows are screened as they are.

    Columns: bucket (UTC), machine_id, machine_name, energy_type, total_energy_kwh, avg_power_kw, reason,
    spike_ratio (energy / 99.5th percentile), power_kwh (NaN without an interval). Optional ``start``/``end``
    restrict rows to a UTC window.
    """
    require_columns(energy_hourly, (*ENERGY_COLUMNS, "avg_power_kw", "min_power_kw"), "energy_hourly")
    m = machine_table(machines, ("machine_name", "timezone", "rated_power_kw"))
    hours = hour_index(energy_hourly["bucket"], "energy_hourly")
    df = pd.DataFrame(
        {
            "hour": hours,
            "machine_id": energy_hourly["machine_id"].astype(str).to_numpy(),
            "energy_type": energy_hourly["energy_type"].astype(str).to_numpy(),
            "total_energy_kwh": numeric(energy_hourly, "total_energy_kwh"),
            "avg_power_kw": numeric(energy_hourly, "avg_power_kw"),
            "min_power_kw": numeric(energy_hourly, "min_power_kw"),
            "readings": numeric(energy_hourly, "total_readings"),
        }
    )
    if start is not None or end is not None:
        if start is None or end is None:
            raise ValueError("give both start and end, or neither")
        hs, he = window_hours(start, end)
        df = df[(df["hour"] >= hs) & (df["hour"] < he)]
    interval = numeric(m, "data_interval_seconds") if "data_interval_seconds" in m else np.full(len(m), np.nan)
    info = m[["machine_id", "machine_name", "rated_power_kw"]].assign(interval_s=interval)
    df = df.merge(info, on="machine_id", how="inner").reset_index(drop=True)

    energy = df["total_energy_kwh"].to_numpy(float)
    high = df.groupby(["machine_id", "energy_type"], sort=False)["total_energy_kwh"].transform(
        lambda values: values.quantile(0.995)
    ).to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(high > 0, energy / high, np.nan)

    avg, low = df["avg_power_kw"].to_numpy(float), df["min_power_kw"].to_numpy(float)
    rated = numeric(df, "rated_power_kw")
    electric = df["energy_type"].isin(ELECTRIC_TYPES).to_numpy()
    power_kwh = avg * df["readings"].to_numpy(float) * df["interval_s"].to_numpy(float) / 3600.0
    flags = [
        ("negative power", (avg < 0) | (low < 0)),
        ("negative energy", energy < 0),
        ("over rated power", electric & (avg > rated_factor * rated)),
        ("spike", ratio > spike_factor),
        ("energy below power", (power_kwh > 0) & (energy < (1.0 - power_tolerance) * power_kwh)),
    ]
    reason = join_reasons(flags, len(df))
    hit = reason != ""
    out = pd.DataFrame(
        {
            "bucket": to_index(df["hour"].to_numpy()[hit]),
            "machine_id": df["machine_id"].to_numpy()[hit],
            "machine_name": df["machine_name"].to_numpy()[hit],
            "energy_type": df["energy_type"].to_numpy()[hit],
            "total_energy_kwh": energy[hit],
            "avg_power_kw": avg[hit],
            "reason": reason[hit].astype(str),
            "spike_ratio": ratio[hit],
            "power_kwh": power_kwh[hit],
        }
    )
    return out.sort_values(["machine_id", "energy_type", "bucket"], kind="stable").reset_index(drop=True)
