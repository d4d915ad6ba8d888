"""The hourly grid every quality check works on: windows as hours since the Unix epoch, the machines and
their declared energy types, and which of their hours are present and complete."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from enms.frames import numeric, require_columns
from enms.localtime import HOUR, utc_instant, utc_series

_EPOCH = pd.Timestamp(0, tz="UTC")
_US_PER_HOUR = 3_600_000_000

ENERGY_COLUMNS = ("bucket", "machine_id", "energy_type", "total_energy_kwh", "total_readings")
MODE_COLUMNS = (
    "bucket",
    "machine_id",
    "n_running",
    "n_idle",
    "n_maintenance",
    "n_fault",
    "n_offline",
    "total_readings",
)
TEMPERATURE_COLUMNS = ("bucket", "machine_id", "avg_outdoor_temp_c")


def window_hours(start: pd.Timestamp, end: pd.Timestamp, what: str = "window") -> tuple[int, int]:
    """Validate a half-open UTC window on whole hours and return it as hours since the Unix epoch."""
    hours = []
    for label, value in (("start", start), ("end", end)):
        ts = utc_instant(value, f"{what} {label}")
        if (ts - _EPOCH) % HOUR != pd.Timedelta(0):
            raise ValueError(f"{what} {label} must fall on a whole UTC hour, got {ts}")
        hours.append(int((ts - _EPOCH) // HOUR))
    if hours[1] <= hours[0]:
        raise ValueError(f"{what} end must be after its start ({start} .. {end})")
    return hours[0], hours[1]


def hour_index(bucket: pd.Series, name: str, *, allow_naive: bool = False) -> np.ndarray:
    """Hours since the Unix epoch (int64) of hourly bucket starts; naive ones read as UTC if allowed."""
    if len(bucket) == 0:
        return np.empty(0, dtype=np.int64)
    if allow_naive and pd.api.types.is_datetime64_dtype(bucket.dtype):
        b = bucket.dt.tz_localize("UTC")
    else:
        b = utc_series(bucket, f"{name}.bucket")
    if b.isna().any():
        raise ValueError(f"{name}.bucket has missing timestamps")
    delta = b - _EPOCH
    if (delta % HOUR != pd.Timedelta(0)).any():
        raise ValueError(f"{name}.bucket must hold hourly bucket starts (whole UTC hours)")
    return (delta // HOUR).to_numpy(dtype=np.int64)


def to_index(hours: np.ndarray) -> pd.DatetimeIndex:
    """Hours since the epoch -> ``datetime64[us, UTC]`` index."""
    us = np.asarray(hours, dtype=np.int64) * _US_PER_HOUR
    return pd.DatetimeIndex(us.astype("datetime64[us]")).tz_localize("UTC")


def to_timestamps(hours: np.ndarray) -> pd.arrays.DatetimeArray:
    """Float hours since the epoch (NaN allowed) -> ``datetime64[us, UTC]`` array (NaT for NaN)."""
    hours = np.asarray(hours, dtype=float)
    ok = ~np.isnan(hours)
    us = np.where(ok, np.nan_to_num(hours), 0).astype(np.int64) * _US_PER_HOUR
    stamps = us.astype("datetime64[us]")
    stamps[~ok] = np.datetime64("NaT")
    return pd.DatetimeIndex(stamps).tz_localize("UTC").array


def _as_list(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]  # list, tuple or numpy array (parquet list columns)


def machine_table(machines: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``machines`` checked for ``columns`` (unique ids, zones and reading intervals present), with
    ``expected_readings`` per hour when ``data_interval_seconds`` is asked for."""
    require_columns(machines, ("machine_id", *columns), "machines")
    m = machines.reset_index(drop=True).copy()
    m["machine_id"] = m["machine_id"].astype(str)
    dup = m["machine_id"][m["machine_id"].duplicated()]
    if len(dup):
        raise ValueError(f"machines has duplicate machine_id(s): {', '.join(dup.unique())}")
    if "timezone" in columns:
        bad = m.loc[m["timezone"].isna(), "machine_id"]
        if len(bad):
            raise ValueError(f"machines.timezone (IANA name) is missing for {', '.join(bad)}")
    if "data_interval_seconds" in columns:
        interval = pd.to_numeric(m["data_interval_seconds"], errors="coerce")
        bad = m.loc[~(interval > 0), "machine_id"]
        if len(bad):
            raise ValueError(
                "machines.data_interval_seconds must be a positive number of seconds; "
                f"missing or invalid for {', '.join(bad)}"
            )
        m["expected_readings"] = 3600.0 / interval.astype(float)
    return m


def declared_pairs(m: pd.DataFrame) -> pd.DataFrame:
    """One row per (machine, declared energy type), with ``key`` = row number and ``m_idx`` = machine row."""
    pairs = m.assign(m_idx=np.arange(len(m)), energy_type=m["energy_types"].map(_as_list))
    pairs = pairs.explode("energy_type")
    pairs = pairs[pairs["energy_type"].notna()].copy()
    pairs["energy_type"] = pairs["energy_type"].astype(str)
    pairs = pairs.drop_duplicates(["machine_id", "energy_type"]).reset_index(drop=True)
    pairs["key"] = np.arange(len(pairs))
    return pairs


def energy_hours(
    energy_hourly: pd.DataFrame, pairs: pd.DataFrame, hs: int, he: int, *, allow_naive: bool = False
) -> pd.DataFrame:
    """Energy rows of declared pairs inside [hs, he), collapsed to one row per (key, hour).

    Columns: key, hour, rows (rows sharing the bucket), readings (largest count, 0 if not present),
    present, complete, excess (more readings than the interval allows), full (present with at least the
    readings the interval allows), duplicate (excess, or several rows), kwh (energy of the row with the most
    readings, kWh), kwh_read (the rows' energy summed, kWh: what a plain sum counts), expected (readings).
    """
    require_columns(energy_hourly, ENERGY_COLUMNS, "energy_hourly")
    hours = hour_index(energy_hourly["bucket"], "energy_hourly", allow_naive=allow_naive)
    df = pd.DataFrame(
        {
            "machine_id": energy_hourly["machine_id"].astype(str).to_numpy(),
            "energy_type": energy_hourly["energy_type"].astype(str).to_numpy(),
            "hour": hours,
            "readings": np.nan_to_num(numeric(energy_hourly, "total_readings")),
            "has_energy": energy_hourly["total_energy_kwh"].notna().to_numpy(),
            "kwh": numeric(energy_hourly, "total_energy_kwh"),
        }
    )
    df = df[(df["hour"] >= hs) & (df["hour"] < he)]
    df = df.merge(pairs[["machine_id", "energy_type", "key"]], on=["machine_id", "energy_type"], how="inner")
    df["present"] = df["has_energy"] & (df["readings"] > 0)
    df["readings"] = df["readings"].where(df["present"], 0.0)
    df = df.sort_values(["key", "hour", "readings"], kind="stable")  # the last row of a bucket: most readings
    g = (
        df.groupby(["key", "hour"], sort=False)
        .agg(rows=("readings", "size"), readings=("readings", "max"), present=("present", "any"),
             kwh=("kwh", "last"), kwh_read=("kwh", "sum"))
        .reset_index()
    )
    expected = pairs["expected_readings"].to_numpy(float)[g["key"].to_numpy()]
    low, high = np.floor(expected + 1e-9), np.ceil(expected - 1e-9)  # == expected when 3600 % interval == 0
    readings = g["readings"].to_numpy(float)
    g["complete"] = g["present"].to_numpy() & (readings >= low) & (readings <= high)
    g["excess"] = readings > high
    g["full"] = g["present"].to_numpy() & (readings >= low)
    g["duplicate"] = g["excess"] | (g["rows"] > 1)
    g["expected"] = expected
    g["counted"] = np.minimum(readings, expected)  # excess readings must not hide missing ones elsewhere
    return g


def missing_runs(
    key: np.ndarray, hour: np.ndarray, n_keys: int, hs: int, he: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of hours in [hs, he) absent from (key, hour), for every key in range(n_keys).

    Returns (key, gap start hour, gap end hour exclusive), ordered by key then start.
    """
    k = np.concatenate([np.asarray(key, np.int64), np.arange(n_keys), np.arange(n_keys)])
    h = np.concatenate([np.asarray(hour, np.int64), np.full(n_keys, hs - 1), np.full(n_keys, he)])
    order = np.lexsort((h, k))
    k, h = k[order], h[order]
    sel = (k[1:] == k[:-1]) & (h[1:] - h[:-1] > 1)
    return k[1:][sel], h[:-1][sel] + 1, h[1:][sel]


def longest(keys: np.ndarray, lengths: np.ndarray, n_keys: int) -> np.ndarray:
    """The largest of ``lengths`` per key in range(n_keys) (0 for a key without any)."""
    out = np.zeros(n_keys, dtype=np.int64)
    np.maximum.at(out, keys, lengths)
    return out


def join_reasons(flags: Sequence[tuple[str, np.ndarray]], n: int) -> np.ndarray:
    """Element-wise '; '-joined labels of the flags that are set ('' where none)."""
    out = np.full(n, "", dtype=object)
    for label, flag in flags:
        flag = np.asarray(flag, dtype=bool)
        out = np.where(flag, np.where(out == "", label, out + "; " + label), out)
    return out


def per_key_count(key: np.ndarray, weights: np.ndarray, n_keys: int) -> np.ndarray:
    """Sum of ``weights`` (flags or counts) per key in range(n_keys), as int64."""
    return np.bincount(key, weights=np.asarray(weights, float), minlength=n_keys).round().astype(np.int64)
