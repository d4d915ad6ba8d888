"""Hourly coverage and gaps per (machine, declared energy type) over a UTC window."""

from __future__ import annotations

import numpy as np
import pandas as pd

from enms.quality.hours import (
    declared_pairs,
    energy_hours,
    longest,
    machine_table,
    missing_runs,
    per_key_count,
    to_index,
    to_timestamps,
    window_hours,
)


def hourly_coverage(
    energy_hourly: pd.DataFrame, machines: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Hourly data coverage per (machine, declared energy type) over the UTC window [start, end).

    Columns: machine_id, machine_name, factory_name, energy_type, expected_hours (hours in the window),
    present_hours, complete_hours (readings == 3600 / data_interval_seconds), coverage_pct (present /
    expected, %), completeness_pct (readings / expected readings, %, a bucket's readings capped at the
    interval's maximum), gap_count, longest_gap_hours (runs of missing hours, see :func:`find_gaps`),
    duplicate_buckets (buckets with more than one row), excess_reading_hours (more readings than the
    interval allows: duplicated raw timestamps), first_bucket, last_bucket (UTC, NaT without data).
    A declared energy type without any row appears with zero coverage.
    """
    hs, he = window_hours(start, end)
    n = he - hs
    m = machine_table(machines, ("machine_name", "factory_name", "energy_types", "data_interval_seconds"))
    pairs = declared_pairs(m)
    n_keys = len(pairs)
    g = energy_hours(energy_hourly, pairs, hs, he)
    k = g["key"].to_numpy()
    present = g["present"].to_numpy()
    hour = g["hour"].to_numpy()

    gap_k, gap_s, gap_e = missing_runs(k[present], hour[present], n_keys, hs, he)
    first = pd.Series(hour[present], dtype=float).groupby(k[present]).min().reindex(range(n_keys))
    last = pd.Series(hour[present], dtype=float).groupby(k[present]).max().reindex(range(n_keys))
    present_hours = per_key_count(k, present, n_keys)
    readings = np.bincount(k, weights=g["counted"].to_numpy(float), minlength=n_keys)
    expected_readings = pairs["expected_readings"].to_numpy(float)

    return pd.DataFrame(
        {
            "machine_id": pairs["machine_id"],
            "machine_name": pairs["machine_name"],
            "factory_name": pairs["factory_name"],
            "energy_type": pairs["energy_type"],
            "expected_hours": np.full(n_keys, n, dtype=np.int64),
            "present_hours": present_hours,
            "complete_hours": per_key_count(k, g["complete"], n_keys),
            "coverage_pct": 100.0 * present_hours / n,
            "completeness_pct": 100.0 * readings / (n * expected_readings),
            "gap_count": np.bincount(gap_k, minlength=n_keys).astype(np.int64),
            "longest_gap_hours": longest(gap_k, gap_e - gap_s, n_keys),
            "duplicate_buckets": per_key_count(k, g["rows"] > 1, n_keys),
            "excess_reading_hours": per_key_count(k, g["excess"], n_keys),
            "first_bucket": to_timestamps(first.to_numpy()),
            "last_bucket": to_timestamps(last.to_numpy()),
        }
    )


def find_gaps(
    energy_hourly: pd.DataFrame, machines: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Runs of missing hours per (machine, declared energy type) inside the UTC window [start, end).

    One row per run: machine_id, machine_name, energy_type, gap_start, gap_end (half-open, UTC), hours.
    Leading and trailing runs (before the first / after the last present hour) count; a type without data
    is one gap spanning the window.
    """
    hs, he = window_hours(start, end)
    m = machine_table(machines, ("machine_name", "energy_types", "data_interval_seconds"))
    pairs = declared_pairs(m)
    g = energy_hours(energy_hourly, pairs, hs, he)
    present = g["present"].to_numpy()
    gap_k, gap_s, gap_e = missing_runs(g["key"].to_numpy()[present], g["hour"].to_numpy()[present], len(pairs),
                                       hs, he)
    return pd.DataFrame(
        {
            "machine_id": pairs["machine_id"].to_numpy()[gap_k],
            "machine_name": pairs["machine_name"].to_numpy()[gap_k],
            "energy_type": pairs["energy_type"].to_numpy()[gap_k],
            "gap_start": to_index(gap_s),
            "gap_end": to_index(gap_e),
            "hours": (gap_e - gap_s).astype(np.int64),
        }
    )
