"""The hours whose energy *value* is not trusted, and what the KPIs, reports and forecasts use instead.

One row per (machine, declared energy type, UTC hour) of the window, with the first rule that applies:

* **excluded** (``used_kwh`` 0): a spike, negative power, or negative energy without a positive power
  (:func:`enms.quality.find_outliers`).
  The value is a unit error or a meter glitch; no correction is defensible, so the hour counts nothing and is
  listed. One hour out of a month moves the month by about 1/730 of its energy, where a 1000× unit error would
  multiply it.
* **replaced by power × time** (``used_kwh`` = average power × the time its readings cover): energy short of
  what the measured power implies ('energy below power', negative energy included): readings stored without
  energy hold the schema's default 0 kWh, a reset counter gives negative increments, while their power is real,
  so the power is the better measurement of the hour.
* **scaled to the expected readings** (``used_kwh`` = kWh × expected ÷ readings): more readings than the
  reading interval allows (duplicated timestamps: the EnMS's views sum every copy) or several rows for one
  bucket (the row with the most readings is kept). Exact duplicates double a reading's energy, so scaling to
  the expected count recovers it.
* **kept as measured (partial hour)** (``used_kwh`` = kWh as read): fewer non-NULL readings than the interval
  allows (a communication outage, NULL energy, the first or last hour of the data). The energy read is real
  but may be short; it is not guessed, only listed.

The expected readings per hour follow each machine's reading interval (declared, or measured where the data
disagree: :func:`enms.quality.reading_intervals`). Hours with no non-NULL reading are gaps (``find_gaps``),
not listed here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from enms.quality.hours import declared_pairs, energy_hours, machine_table, to_index, window_hours
from enms.quality.operation import UNTRUSTED_VALUES

EXCLUDED = "excluded"
REPLACED = "replaced by power × time"
SCALED = "scaled to the expected readings"
PARTIAL = "kept as measured (partial hour)"
ACTIONS = (EXCLUDED, REPLACED, SCALED, PARTIAL)
"""The actions of :func:`unusable_hours`, in the order the rules apply."""

UNUSABLE_COLUMNS = ("bucket", "machine_id", "machine_name", "energy_type", "reason", "detail", "readings",
                    "expected_readings", "total_energy_kwh", "used_kwh", "action")
"""Columns of :func:`unusable_hours`."""


def unusable_hours(energy_hourly: pd.DataFrame, machines: pd.DataFrame, outliers: pd.DataFrame,
                   start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The hours of [start, end) UTC whose energy is not trusted as read (see the module's rules).

    ``machines`` with ``data_interval_seconds`` the interval the checks use; ``outliers`` from
    :func:`enms.quality.find_outliers`. Columns (:data:`UNUSABLE_COLUMNS`): bucket (UTC), machine_id,
    machine_name, energy_type, reason ('spike', 'negative energy', 'negative power', 'energy below power' (';
    '-joined), 'duplicate readings' or 'partial hour'), detail (the spike's ratio or the readings against the
    expected ones), readings, expected_readings (per hour), total_energy_kwh (as read: every row of the bucket
    summed, kWh), used_kwh (what the KPIs count instead, kWh), action (:data:`ACTIONS`). Sorted by machine, type and
    bucket.
    """
    hs, he = window_hours(start, end)
    m = machine_table(machines, ("machine_name", "energy_types", "data_interval_seconds"))
    pairs = declared_pairs(m)
    g = energy_hours(energy_hourly, pairs, hs, he)
    g = g[g["present"]].reset_index(drop=True)
    g["machine_id"] = pairs["machine_id"].to_numpy()[g["key"].to_numpy()]
    g["energy_type"] = pairs["energy_type"].to_numpy()[g["key"].to_numpy()]
    screen = _screened(outliers)
    g = g.merge(screen, on=["machine_id", "energy_type", "hour"], how="left")
    bad_value = g["untrusted"].notna().to_numpy()
    replaced = g["untrusted"].isin(["energy below power", "negative energy; energy below power"]).to_numpy()
    duplicate = g["duplicate"].to_numpy(dtype=bool) & ~bad_value
    partial = ~g["full"].to_numpy(dtype=bool) & ~bad_value & ~duplicate
    listed = bad_value | duplicate | partial
    g = g[listed].reset_index(drop=True)
    bad_value, duplicate, replaced = bad_value[listed], duplicate[listed], replaced[listed]
    excluded = bad_value & ~replaced

    readings, expected = g["readings"].to_numpy(float), g["expected"].to_numpy(float)
    kwh = g["kwh"].to_numpy(float)
    scale = np.minimum(1.0, np.divide(expected, readings, out=np.ones_like(readings), where=readings > 0))
    used = np.select([excluded, replaced, duplicate], [0.0, g["power_kwh"].to_numpy(float), kwh * scale],
                     g["kwh_read"].to_numpy(float))
    action = np.select([excluded, replaced, duplicate], [EXCLUDED, REPLACED, SCALED], PARTIAL)
    reason = np.where(bad_value, g["untrusted"].fillna("").to_numpy(str),
                      np.where(duplicate, "duplicate readings", "partial hour"))
    detail = [_detail(why, ratio, value, r, e, n) for why, ratio, value, r, e, n in
              zip(reason, g["spike_ratio"].to_numpy(float), g["kwh_read"].to_numpy(float), readings, expected,
                  g["rows"], strict=True)]
    names = m.set_index("machine_id")["machine_name"]
    out = pd.DataFrame({
        "bucket": to_index(g["hour"].to_numpy()),
        "machine_id": g["machine_id"].to_numpy(),
        "machine_name": names.reindex(g["machine_id"]).to_numpy(),
        "energy_type": g["energy_type"].to_numpy(),
        "reason": reason.astype(str),
        "detail": pd.Series(detail, dtype=object).to_numpy(),
        "readings": readings,
        "expected_readings": expected,
        "total_energy_kwh": g["kwh_read"].to_numpy(float),
        "used_kwh": used,
        "action": action.astype(str),
    })
    return out.sort_values(["machine_id", "energy_type", "bucket"], ignore_index=True)


def _detail(reason: str, ratio: float, kwh: float, readings: float, expected: float, rows: int) -> str:
    """What was seen: the spike's ratio to the 99.5th percentile, the negative kWh, or the readings counted."""
    if "spike" in reason:
        return f"{ratio:,.0f} × its 99.5th-percentile hour"
    if "negative" in reason:
        return f"{kwh:,.2f} kWh read"
    if "power" in reason:
        return f"{kwh:,.2f} kWh read, its power implies more"
    return f"{readings:g} of {expected:g} readings" + (f" in {rows} rows" if rows > 1 else "")


def _screened(outliers: pd.DataFrame) -> pd.DataFrame:
    """machine_id, energy_type, hour, untrusted (the '; '-joined reasons of :data:`UNTRUSTED_VALUES`) and
    spike_ratio and power_kwh of the outliers' hours with an untrusted value (one row per hour)."""
    columns = ["machine_id", "energy_type", "hour", "untrusted", "spike_ratio", "power_kwh"]
    if outliers.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in
                             zip(columns, (object, object, np.int64, object, float, float), strict=True)})
    labels = outliers["reason"].astype(str).str.split("; ")
    untrusted = labels.map(lambda found: "; ".join(r for r in UNTRUSTED_VALUES if r in found))
    hours = (outliers["bucket"] - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(hours=1)
    rows = pd.DataFrame({"machine_id": outliers["machine_id"].astype(str).to_numpy(),
                         "energy_type": outliers["energy_type"].astype(str).to_numpy(),
                         "hour": hours.to_numpy(dtype=np.int64), "untrusted": untrusted.to_numpy(),
                         "spike_ratio": pd.to_numeric(outliers["spike_ratio"], errors="coerce").to_numpy(float),
                         "power_kwh": pd.to_numeric(outliers["power_kwh"], errors="coerce").to_numpy(float)})
    rows = rows[rows["untrusted"] != ""]
    return rows.sort_values("spike_ratio", na_position="first").drop_duplicates(
        ["machine_id", "energy_type", "hour"], keep="last")[columns]
