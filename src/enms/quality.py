"""Data quality of the extracted hourly products.

Coverage, gaps, duplicates, outlier screening, CalTRACK data sufficiency and the mask of hours in normal
operation, per machine and energy type.

Pure core: pandas frames in, pandas frames out. Nothing here reads the warehouse, a notebook or Ploomber.

Conventions (every public function):

* ``bucket`` is the start of an hourly bucket, tz-aware (UTC in the extract products); intervals are
  half-open ``[start, end)``. ``start`` / ``end`` are tz-aware timestamps on whole UTC hours. Returned
  bucket-like columns are ``datetime64[us, UTC]``.
* "Local" means the wall clock of the machine's factory (the IANA ``timezone`` of ``machines``); local days
  have their real length (23, 24 or 25 hours with DST).
* A machine/energy-type hour is *present* when its row exists with ``total_readings > 0`` and a non-null
  ``total_energy_kwh``; it is *complete* when, in addition, its readings equal the number the machine's
  ``data_interval_seconds`` allows in an hour (3600 / interval). Rows sharing ``(machine_id, energy_type,
  bucket)`` are duplicates: each such bucket is reported, and counts once (with its largest reading count).
* Energy types are taken as spelled (normalise legacy names such as ``'energy'`` upstream); rows of energy
  types a machine does not declare, or of machines absent from ``machines``, are ignored.
* A missing input column raises ``ValueError`` naming it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from enms.frames import require_columns

__all__ = [
    "caltrack_sufficiency",
    "daily_presence",
    "find_gaps",
    "find_outliers",
    "hourly_coverage",
    "interpolate_temperature",
    "normal_operation_mask",
    "quality_summary",
]

HOUR = pd.Timedelta(hours=1)
_EPOCH = pd.Timestamp(0, tz="UTC")
_US_PER_HOUR = 3_600_000_000
#: Energy types whose power is electric (so comparable with ``rated_power_kw``); 'energy' is the legacy name.
ELECTRIC_TYPES = frozenset({"electricity", "energy"})
#: Mode counts of ``mode_hourly`` that make an hour abnormal, with the reason they give.
ABNORMAL_MODES = (("n_maintenance", "maintenance"), ("n_fault", "fault"), ("n_offline", "offline"))

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
#: The coverage columns the headline table carries.
SUMMARY_COVERAGE_COLUMNS = (
    "machine_id", "machine_name", "factory_name", "energy_type", "expected_hours", "coverage_pct",
    "completeness_pct", "gap_count", "longest_gap_hours", "duplicate_buckets", "excess_reading_hours",
)


# --------------------------------------------------------------------------------------------- helpers

def _window(start: pd.Timestamp, end: pd.Timestamp, what: str = "window") -> tuple[int, int]:
    """Validate a half-open UTC window and return it as hours since the Unix epoch."""
    hours = []
    for label, value in (("start", start), ("end", end)):
        ts = pd.Timestamp(value)
        if ts.tzinfo is None:
            raise ValueError(f"{what} {label} must be a tz-aware timestamp, got naive {ts}")
        ts = ts.tz_convert("UTC")
        if (ts - _EPOCH) % HOUR != pd.Timedelta(0):
            raise ValueError(f"{what} {label} must fall on a whole UTC hour, got {ts}")
        hours.append(int((ts - _EPOCH) // HOUR))
    if hours[1] <= hours[0]:
        raise ValueError(f"{what} end must be after its start ({start} .. {end})")
    return hours[0], hours[1]


def _is_tz_aware(bucket: pd.Series) -> bool:
    return isinstance(bucket.dtype, pd.DatetimeTZDtype)


def _hour_index(bucket: pd.Series, name: str, *, allow_naive: bool = False) -> np.ndarray:
    """Hours since the Unix epoch (int64) of hourly bucket starts; naive ones read as UTC if allowed."""
    if len(bucket) == 0:
        return np.empty(0, dtype=np.int64)
    if _is_tz_aware(bucket):
        b = bucket.dt.tz_convert("UTC")
    elif allow_naive and pd.api.types.is_datetime64_dtype(bucket.dtype):
        b = bucket.dt.tz_localize("UTC")
    else:
        raise ValueError(f"{name}.bucket must hold tz-aware (UTC) timestamps, got dtype {bucket.dtype}")
    if b.isna().any():
        raise ValueError(f"{name}.bucket has missing timestamps")
    delta = b - _EPOCH
    if (delta % HOUR != pd.Timedelta(0)).any():
        raise ValueError(f"{name}.bucket must hold hourly bucket starts (whole UTC hours)")
    return (delta // HOUR).to_numpy(dtype=np.int64)


def _numeric(df: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _to_index(hours: np.ndarray) -> pd.DatetimeIndex:
    """Hours since the epoch -> ``datetime64[us, UTC]`` index."""
    us = np.asarray(hours, dtype=np.int64) * _US_PER_HOUR
    return pd.DatetimeIndex(us.astype("datetime64[us]")).tz_localize("UTC")


def _to_timestamps(hours: np.ndarray) -> pd.arrays.DatetimeArray:
    """Float hours since the epoch (NaN allowed) -> ``datetime64[us, UTC]`` array (NaT for NaN)."""
    hours = np.asarray(hours, dtype=float)
    ok = ~np.isnan(hours)
    us = np.where(ok, np.nan_to_num(hours), 0).astype(np.int64) * _US_PER_HOUR
    stamps = us.astype("datetime64[us]")
    stamps[~ok] = np.datetime64("NaT")
    return pd.DatetimeIndex(stamps).tz_localize("UTC").array


def _local_wall(hours: np.ndarray, tz: str) -> pd.DatetimeIndex:
    """Local wall-clock time (naive) of UTC hours in time zone ``tz``."""
    return _to_index(hours).tz_convert(tz).tz_localize(None)


def _as_list(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]  # list, tuple or numpy array (parquet list columns)


def _machine_table(machines: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
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


def _declared_pairs(m: pd.DataFrame) -> pd.DataFrame:
    """One row per (machine, declared energy type), with ``key`` = row number and ``m_idx`` = machine row."""
    pairs = m.assign(m_idx=np.arange(len(m)), energy_type=m["energy_types"].map(_as_list))
    pairs = pairs.explode("energy_type")
    pairs = pairs[pairs["energy_type"].notna()].copy()
    pairs["energy_type"] = pairs["energy_type"].astype(str)
    pairs = pairs.drop_duplicates(["machine_id", "energy_type"]).reset_index(drop=True)
    pairs["key"] = np.arange(len(pairs))
    return pairs


def _energy_hours(
    energy_hourly: pd.DataFrame, pairs: pd.DataFrame, hs: int, he: int, *, allow_naive: bool = False
) -> pd.DataFrame:
    """Energy rows of declared pairs inside [hs, he), collapsed to one row per (key, hour).

    Columns: key, hour, rows (rows sharing the bucket), readings (largest count, 0 if not present),
    present, complete, excess.
    """
    require_columns(energy_hourly, ENERGY_COLUMNS, "energy_hourly")
    hours = _hour_index(energy_hourly["bucket"], "energy_hourly", allow_naive=allow_naive)
    df = pd.DataFrame(
        {
            "machine_id": energy_hourly["machine_id"].astype(str).to_numpy(),
            "energy_type": energy_hourly["energy_type"].astype(str).to_numpy(),
            "hour": hours,
            "readings": np.nan_to_num(_numeric(energy_hourly, "total_readings")),
            "has_energy": energy_hourly["total_energy_kwh"].notna().to_numpy(),
        }
    )
    df = df[(df["hour"] >= hs) & (df["hour"] < he)]
    df = df.merge(pairs[["machine_id", "energy_type", "key"]], on=["machine_id", "energy_type"], how="inner")
    df["present"] = df["has_energy"] & (df["readings"] > 0)
    df["readings"] = df["readings"].where(df["present"], 0.0)
    g = (
        df.groupby(["key", "hour"], sort=False)
        .agg(rows=("readings", "size"), readings=("readings", "max"), present=("present", "any"))
        .reset_index()
    )
    expected = pairs["expected_readings"].to_numpy(float)[g["key"].to_numpy()]
    low, high = np.floor(expected + 1e-9), np.ceil(expected - 1e-9)  # == expected when 3600 % interval == 0
    readings = g["readings"].to_numpy(float)
    g["complete"] = g["present"].to_numpy() & (readings >= low) & (readings <= high)
    g["excess"] = readings > high
    g["counted"] = np.minimum(readings, expected)  # excess readings must not hide missing ones elsewhere
    return g


def _runs(
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


def _longest(keys: np.ndarray, lengths: np.ndarray, n_keys: int) -> np.ndarray:
    out = np.zeros(n_keys, dtype=np.int64)
    np.maximum.at(out, keys, lengths)
    return out


def _join_reasons(flags: Sequence[tuple[str, np.ndarray]], n: int) -> np.ndarray:
    """Element-wise '; '-joined labels of the flags that are set ('' where none)."""
    out = np.full(n, "", dtype=object)
    for label, flag in flags:
        flag = np.asarray(flag, dtype=bool)
        out = np.where(flag, np.where(out == "", label, out + "; " + label), out)
    return out


def _per_key_count(key: np.ndarray, weights: np.ndarray, n_keys: int) -> np.ndarray:
    return np.bincount(key, weights=np.asarray(weights, float), minlength=n_keys).round().astype(np.int64)


# --------------------------------------------------------------------------------------------- coverage
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
    hs, he = _window(start, end)
    n = he - hs
    m = _machine_table(machines, ("machine_name", "factory_name", "energy_types", "data_interval_seconds"))
    pairs = _declared_pairs(m)
    n_keys = len(pairs)
    g = _energy_hours(energy_hourly, pairs, hs, he)
    k = g["key"].to_numpy()
    present = g["present"].to_numpy()
    hour = g["hour"].to_numpy()

    gap_k, gap_s, gap_e = _runs(k[present], hour[present], n_keys, hs, he)
    first = pd.Series(hour[present], dtype=float).groupby(k[present]).min().reindex(range(n_keys))
    last = pd.Series(hour[present], dtype=float).groupby(k[present]).max().reindex(range(n_keys))
    present_hours = _per_key_count(k, present, n_keys)
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
            "complete_hours": _per_key_count(k, g["complete"], n_keys),
            "coverage_pct": 100.0 * present_hours / n,
            "completeness_pct": 100.0 * readings / (n * expected_readings),
            "gap_count": np.bincount(gap_k, minlength=n_keys).astype(np.int64),
            "longest_gap_hours": _longest(gap_k, gap_e - gap_s, n_keys),
            "duplicate_buckets": _per_key_count(k, g["rows"] > 1, n_keys),
            "excess_reading_hours": _per_key_count(k, g["excess"], n_keys),
            "first_bucket": _to_timestamps(first.to_numpy()),
            "last_bucket": _to_timestamps(last.to_numpy()),
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
    hs, he = _window(start, end)
    m = _machine_table(machines, ("machine_name", "energy_types", "data_interval_seconds"))
    pairs = _declared_pairs(m)
    g = _energy_hours(energy_hourly, pairs, hs, he)
    present = g["present"].to_numpy()
    gap_k, gap_s, gap_e = _runs(g["key"].to_numpy()[present], g["hour"].to_numpy()[present], len(pairs), hs, he)
    return pd.DataFrame(
        {
            "machine_id": pairs["machine_id"].to_numpy()[gap_k],
            "machine_name": pairs["machine_name"].to_numpy()[gap_k],
            "energy_type": pairs["energy_type"].to_numpy()[gap_k],
            "gap_start": _to_index(gap_s),
            "gap_end": _to_index(gap_e),
            "hours": (gap_e - gap_s).astype(np.int64),
        }
    )


# --------------------------------------------------------------------------------------------- outliers
def find_outliers(
    energy_hourly: pd.DataFrame,
    machines: pd.DataFrame,
    *,
    spike_factor: float = 2.0,
    rated_factor: float = 1.1,
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
      energy type's hourly energy (kWh): unit errors and meter glitches.

    Values that are plausible for the machine but unusual for the hour (a machine left running at night, a
    Saturday shift) are deliberately *not* flagged: telling them apart needs production, weather and the
    operating mode, which is the anomaly step's job. Duplicate rows are screened as they are.

    Columns: bucket (UTC), machine_id, machine_name, energy_type, total_energy_kwh, avg_power_kw, reason,
    spike_ratio (energy / 99.5th percentile). Optional ``start``/``end`` restrict rows to a UTC window.
    """
    require_columns(energy_hourly, (*ENERGY_COLUMNS, "avg_power_kw", "min_power_kw"), "energy_hourly")
    m = _machine_table(machines, ("machine_name", "timezone", "rated_power_kw"))
    hours = _hour_index(energy_hourly["bucket"], "energy_hourly")
    df = pd.DataFrame(
        {
            "hour": hours,
            "machine_id": energy_hourly["machine_id"].astype(str).to_numpy(),
            "energy_type": energy_hourly["energy_type"].astype(str).to_numpy(),
            "total_energy_kwh": _numeric(energy_hourly, "total_energy_kwh"),
            "avg_power_kw": _numeric(energy_hourly, "avg_power_kw"),
            "min_power_kw": _numeric(energy_hourly, "min_power_kw"),
        }
    )
    if start is not None or end is not None:
        if start is None or end is None:
            raise ValueError("give both start and end, or neither")
        hs, he = _window(start, end)
        df = df[(df["hour"] >= hs) & (df["hour"] < he)]
    info = m[["machine_id", "machine_name", "rated_power_kw"]]
    df = df.merge(info, on="machine_id", how="inner").reset_index(drop=True)

    energy = df["total_energy_kwh"].to_numpy(float)
    high = df.groupby(["machine_id", "energy_type"], sort=False)["total_energy_kwh"].transform(
        lambda values: values.quantile(0.995)
    ).to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(high > 0, energy / high, np.nan)

    avg, low = df["avg_power_kw"].to_numpy(float), df["min_power_kw"].to_numpy(float)
    rated = _numeric(df, "rated_power_kw")
    electric = df["energy_type"].isin(ELECTRIC_TYPES).to_numpy()
    flags = [
        ("negative power", (avg < 0) | (low < 0)),
        ("negative energy", energy < 0),
        ("over rated power", electric & (avg > rated_factor * rated)),
        ("spike", ratio > spike_factor),
    ]
    reason = _join_reasons(flags, len(df))
    hit = reason != ""
    out = pd.DataFrame(
        {
            "bucket": _to_index(df["hour"].to_numpy()[hit]),
            "machine_id": df["machine_id"].to_numpy()[hit],
            "machine_name": df["machine_name"].to_numpy()[hit],
            "energy_type": df["energy_type"].to_numpy()[hit],
            "total_energy_kwh": energy[hit],
            "avg_power_kw": avg[hit],
            "reason": reason[hit].astype(str),
            "spike_ratio": ratio[hit],
        }
    )
    return out.sort_values(["machine_id", "energy_type", "bucket"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------- sufficiency
def _daily(present_key: np.ndarray, present_hour: np.ndarray, pairs: pd.DataFrame, hs: int, he: int) -> pd.DataFrame:
    """Per (key, local date): hours of that local day inside [hs, he) and how many are present."""
    frames = []
    for tz, grp in pairs.groupby("timezone", sort=False):
        wall = _local_wall(np.arange(hs, he), str(tz))
        codes, dates = pd.factorize(wall.normalize())
        n_days = len(dates)
        expected = np.bincount(codes, minlength=n_days)
        keys = grp["key"].to_numpy()
        local = np.full(len(pairs), -1)
        local[keys] = np.arange(len(keys))
        sel = local[present_key] >= 0
        cell = local[present_key[sel]] * n_days + codes[present_hour[sel] - hs]
        present = np.bincount(cell, minlength=len(keys) * n_days)
        frames.append(
            pd.DataFrame(
                {
                    "key": np.repeat(keys, n_days),
                    "local_date": np.tile(dates.to_numpy(), len(keys)),
                    "expected_hours": np.tile(expected, len(keys)),
                    "present_hours": present,
                }
            )
        )
    if not frames:
        return pd.DataFrame({"key": [], "local_date": [], "expected_hours": [], "present_hours": []})
    return pd.concat(frames, ignore_index=True).sort_values(["key", "local_date"], ignore_index=True)


def daily_presence(
    energy_hourly: pd.DataFrame,
    machines: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    min_day_pct: float = 90.0,
) -> pd.DataFrame:
    """Present hours per (machine, declared energy type, local day of the factory) in the UTC window.

    ``expected_hours`` is the number of the local day's real hours (23/24/25 with DST) inside [start, end);
    the day counts as present (``is_present``) when ``present_pct`` ≥ ``min_day_pct``. ``local_date`` is
    the local midnight as a naive timestamp.
    """
    hs, he = _window(start, end)
    m = _machine_table(machines, ("timezone", "energy_types", "data_interval_seconds"))
    pairs = _declared_pairs(m)
    g = _energy_hours(energy_hourly, pairs, hs, he)
    present = g["present"].to_numpy()
    d = _daily(g["key"].to_numpy()[present], g["hour"].to_numpy()[present], pairs, hs, he)
    key = d["key"].to_numpy(dtype=np.int64)
    present_pct = 100.0 * d["present_hours"].to_numpy(float) / d["expected_hours"].to_numpy(float)
    return pd.DataFrame(
        {
            "machine_id": pairs["machine_id"].to_numpy()[key],
            "energy_type": pairs["energy_type"].to_numpy()[key],
            "local_date": d["local_date"].to_numpy(),
            "expected_hours": d["expected_hours"].to_numpy(np.int64),
            "present_hours": d["present_hours"].to_numpy(np.int64),
            "present_pct": present_pct,
            "is_present": present_pct >= min_day_pct,
        }
    )


def caltrack_sufficiency(
    energy_hourly: pd.DataFrame,
    environment_hourly: pd.DataFrame,
    machines: pd.DataFrame,
    baseline_start: pd.Timestamp,
    baseline_end: pd.Timestamp,
    *,
    min_hours_pct: float = 90.0,
    min_day_pct: float = 90.0,
    min_days_pct: float = 90.0,
    max_temperature_gap_hours: int = 6,
) -> pd.DataFrame:
    """CalTRACK data-sufficiency checks per (machine, declared energy type) over the UTC baseline window.

    Each check is a figure and a pass flag:

    * hours_present_pct (% of the baseline's hours present) ≥ ``min_hours_pct``;
    * days_present_pct (% of the factory's local days, each of its real 23/24/25 hours, with at least
      ``min_day_pct`` % of their hours present) ≥ ``min_days_pct``;
    * longest_temperature_gap_hours (longest run of hours without outdoor temperature for the machine,
      window edges included) ≤ ``max_temperature_gap_hours``: shorter gaps may be interpolated
      (:func:`interpolate_temperature`);
    * duplicate_timestamps (energy buckets of this type) and duplicate_temperature_timestamps
      (environment buckets of the machine) both 0;
    * timezone_aware: both inputs' ``bucket`` dtypes are tz-aware (naive buckets are read as UTC to
      compute the other figures, and fail this check).

    ``sufficient`` is True when all pass; ``reasons`` lists the failed checks with their figures ('' if none).
    """
    hs, he = _window(baseline_start, baseline_end, "baseline")
    n = he - hs
    m = _machine_table(machines, ("machine_name", "factory_name", "timezone", "energy_types", "data_interval_seconds"))
    pairs = _declared_pairs(m)
    n_keys, n_machines = len(pairs), len(m)
    g = _energy_hours(energy_hourly, pairs, hs, he, allow_naive=True)
    k, present = g["key"].to_numpy(), g["present"].to_numpy()

    hours_pct = 100.0 * _per_key_count(k, present, n_keys) / n
    d = _daily(k[present], g["hour"].to_numpy()[present], pairs, hs, he)
    d_key = d["key"].to_numpy(dtype=np.int64)
    day_ok = 100.0 * d["present_hours"].to_numpy(float) / d["expected_hours"].to_numpy(float) >= min_day_pct
    n_days = np.bincount(d_key, minlength=n_keys)
    days_pct = 100.0 * np.bincount(d_key, weights=day_ok, minlength=n_keys) / np.maximum(n_days, 1)
    duplicates = _per_key_count(k, g["rows"] > 1, n_keys)

    require_columns(environment_hourly, TEMPERATURE_COLUMNS, "environment_hourly")
    eh = _hour_index(environment_hourly["bucket"], "environment_hourly", allow_naive=True)
    em = pd.Index(m["machine_id"]).get_indexer(environment_hourly["machine_id"].astype(str))
    inside = (em >= 0) & (eh >= hs) & (eh < he)
    has_temp = inside & environment_hourly["avg_outdoor_temp_c"].notna().to_numpy()
    t_key, t_start, t_end = _runs(em[has_temp], eh[has_temp], n_machines, hs, he)
    temp_gap = _longest(t_key, t_end - t_start, n_machines)
    cells, cell_rows = np.unique(em[inside] * n + (eh[inside] - hs), return_counts=True)
    env_dups = np.bincount(cells[cell_rows > 1] // n, minlength=n_machines)

    m_idx = pairs["m_idx"].to_numpy(dtype=np.int64)
    aware = _is_tz_aware(energy_hourly["bucket"]) and _is_tz_aware(environment_hourly["bucket"])
    out = pd.DataFrame(
        {
            "machine_id": pairs["machine_id"],
            "machine_name": pairs["machine_name"],
            "factory_name": pairs["factory_name"],
            "energy_type": pairs["energy_type"],
            "timezone": pairs["timezone"],
            "baseline_hours": np.full(n_keys, n, dtype=np.int64),
            "hours_present_pct": hours_pct,
            "hours_present_pass": hours_pct >= min_hours_pct,
            "local_days": n_days.astype(np.int64),
            "days_present_pct": days_pct,
            "days_present_pass": days_pct >= min_days_pct,
            "longest_temperature_gap_hours": temp_gap[m_idx],
            "temperature_gap_pass": temp_gap[m_idx] <= max_temperature_gap_hours,
            "duplicate_timestamps": duplicates,
            "duplicate_temperature_timestamps": env_dups[m_idx].astype(np.int64),
            "duplicates_pass": (duplicates == 0) & (env_dups[m_idx] == 0),
            "timezone_aware": np.full(n_keys, aware),
        }
    )
    checks = [
        "hours_present_pass",
        "days_present_pass",
        "temperature_gap_pass",
        "duplicates_pass",
        "timezone_aware",
    ]
    out["sufficient"] = out[checks].all(axis=1)
    out["reasons"] = [
        _sufficiency_reasons(row, min_hours_pct, min_days_pct, min_day_pct, max_temperature_gap_hours)
        for row in out.itertuples(index=False)
    ]
    return out


def _sufficiency_reasons(
    row: tuple, min_hours_pct: float, min_days_pct: float, min_day_pct: float, max_gap: int
) -> str:
    reasons = []
    if not row.hours_present_pass:
        reasons.append(f"hours present {row.hours_present_pct:.2f}% < {min_hours_pct:g}%")
    if not row.days_present_pass:
        reasons.append(
            f"days present {row.days_present_pct:.2f}% < {min_days_pct:g}% (a day needs {min_day_pct:g}% of its hours)"
        )
    if not row.temperature_gap_pass:
        reasons.append(f"outdoor temperature gap {row.longest_temperature_gap_hours} h > {max_gap} h")
    if row.duplicate_timestamps:
        reasons.append(f"{row.duplicate_timestamps} duplicate energy timestamps")
    if row.duplicate_temperature_timestamps:
        reasons.append(f"{row.duplicate_temperature_timestamps} duplicate temperature timestamps")
    if not row.timezone_aware:
        reasons.append("timestamps not timezone-aware")
    return "; ".join(reasons)


# ------------------------------------------------------------------------------------------- operating state
def normal_operation_mask(
    mode_hourly: pd.DataFrame,
    energy_hourly: pd.DataFrame,
    machines: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> pd.DataFrame:
    """Whether each machine's UTC hour in [start, end) is in normal operation (baseline training rows).

    Normal: the hour has mode data, every production_data reading in it is running or idle (a single
    maintenance/fault/offline reading makes it abnormal), and every declared energy type is complete that
    hour (a machine declaring no energy type is judged on its modes alone). The mode history
    (``production_data.operating_mode``) decides, never the current machine status.

    Columns: bucket (UTC), machine_id, is_normal, reason ('' when normal; else '; '-joined from
    'no mode data', 'maintenance', 'fault', 'offline', 'unknown mode' (readings in no listed mode),
    'incomplete energy'). One row per machine of ``machines`` and hour of the window.
    """
    hs, he = _window(start, end)
    n = he - hs
    m = _machine_table(machines, ("energy_types", "data_interval_seconds"))
    n_machines = len(m)

    require_columns(mode_hourly, MODE_COLUMNS, "mode_hourly")
    mh = _hour_index(mode_hourly["bucket"], "mode_hourly")
    mi = pd.Index(m["machine_id"]).get_indexer(mode_hourly["machine_id"].astype(str))
    sel = (mi >= 0) & (mh >= hs) & (mh < he)
    cell = (mi[sel], mh[sel] - hs)
    counts = {}
    for col in MODE_COLUMNS[2:]:
        grid = np.zeros((n_machines, n))
        values = np.nan_to_num(_numeric(mode_hourly, col))[sel]
        np.maximum.at(grid, cell, values)  # duplicate buckets: the larger count wins (conservative)
        counts[col] = grid.ravel()

    pairs = _declared_pairs(m)
    g = _energy_hours(energy_hourly, pairs, hs, he)
    complete = g["complete"].to_numpy()
    per_hour = np.zeros((n_machines, n), dtype=np.int64)
    p_idx = pairs["m_idx"].to_numpy(dtype=np.int64)[g["key"].to_numpy()[complete]]
    np.add.at(per_hour, (p_idx, g["hour"].to_numpy()[complete] - hs), 1)
    declared = np.bincount(pairs["m_idx"].to_numpy(dtype=np.int64), minlength=n_machines)
    energy_ok = (per_hour >= declared[:, None]).ravel()

    total = counts["total_readings"]
    no_mode = total <= 0
    classified = counts["n_running"] + counts["n_idle"] + sum(counts[c] for c, _ in ABNORMAL_MODES)
    flags = [("no mode data", no_mode)]
    flags += [(label, ~no_mode & (counts[col] > 0)) for col, label in ABNORMAL_MODES]
    flags += [("unknown mode", ~no_mode & (classified < total)), ("incomplete energy", ~energy_ok)]
    reason = _join_reasons(flags, n_machines * n)
    return pd.DataFrame(
        {
            "bucket": _to_index(np.tile(np.arange(hs, he), n_machines)),
            "machine_id": np.repeat(m["machine_id"].to_numpy(), n),
            "is_normal": reason == "",
            "reason": reason.astype(str),
        }
    )


# --------------------------------------------------------------------------------------------- temperature
def interpolate_temperature(
    environment_hourly: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    max_gap_hours: int = 6,
    *,
    machine_ids: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Hourly outdoor temperature (°C) per machine on the full UTC grid [start, end), CalTRACK-style.

    Runs of at most ``max_gap_hours`` missing hours between two measured hours are filled linearly in
    time; longer runs, and runs at the window's edges, stay NaN. Duplicate buckets are averaged.
    Machines are those of ``environment_hourly`` (sorted), or ``machine_ids`` in the given order.

    Columns: bucket (UTC), machine_id, avg_outdoor_temp_c, is_interpolated.
    """
    hs, he = _window(start, end)
    n = he - hs
    require_columns(environment_hourly, TEMPERATURE_COLUMNS, "environment_hourly")
    ids = environment_hourly["machine_id"].astype(str)
    order = pd.Index(sorted(ids.unique()) if machine_ids is None else [str(i) for i in machine_ids])
    hours = _hour_index(environment_hourly["bucket"], "environment_hourly")
    mi = order.get_indexer(ids)
    temp = _numeric(environment_hourly, "avg_outdoor_temp_c")
    sel = (mi >= 0) & (hours >= hs) & (hours < he) & ~np.isnan(temp)

    total, count = np.zeros((len(order), n)), np.zeros((len(order), n))
    np.add.at(total, (mi[sel], hours[sel] - hs), temp[sel])
    np.add.at(count, (mi[sel], hours[sel] - hs), 1)
    with np.errstate(invalid="ignore"):
        values = total / count  # NaN where no measurement

    known = ~np.isnan(values)
    pos = np.broadcast_to(np.arange(n), values.shape)
    prev = np.maximum.accumulate(np.where(known, pos, -1), axis=1)
    nxt = np.minimum.accumulate(np.where(known, pos, n)[:, ::-1], axis=1)[:, ::-1]
    fill = ~known & (prev >= 0) & (nxt < n) & (nxt - prev - 1 <= max_gap_hours)
    prev_v = np.take_along_axis(values, np.clip(prev, 0, n - 1), axis=1)
    next_v = np.take_along_axis(values, np.clip(nxt, 0, n - 1), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        line = prev_v + (next_v - prev_v) * (pos - prev) / (nxt - prev)
    values = np.where(fill, line, values)

    return pd.DataFrame(
        {
            "bucket": _to_index(np.tile(np.arange(hs, he), len(order))),
            "machine_id": np.repeat(order.to_numpy(), n),
            "avg_outdoor_temp_c": values.ravel(),
            "is_interpolated": fill.ravel(),
        }
    )


# --------------------------------------------------------------------------------------------- summary
def quality_summary(
    coverage: pd.DataFrame,
    outliers: pd.DataFrame,
    sufficiency: pd.DataFrame,
    mask: pd.DataFrame,
) -> pd.DataFrame:
    """Headline data-quality table, one row per (machine, declared energy type).

    Joins the outputs of :func:`hourly_coverage`, :func:`find_outliers`, :func:`caltrack_sufficiency` and
    :func:`normal_operation_mask` (computed over the windows the caller chose): coverage and completeness
    (%), gaps, duplicates, excess-reading hours, outlier_hours (flagged hours), ``sufficient`` and
    ``sufficiency_reasons`` (NA where a pair was not assessed), and the machine's normal-operation share
    (normal_hours, normal_hours_pct of the mask's hours; the mask is per machine, not per energy type).
    """
    require_columns(coverage, SUMMARY_COVERAGE_COLUMNS, "coverage")
    require_columns(outliers, ("bucket", "machine_id", "energy_type"), "outliers")
    require_columns(sufficiency, ("machine_id", "energy_type", "sufficient", "reasons"), "sufficiency")
    require_columns(mask, ("bucket", "machine_id", "is_normal"), "mask")
    keys = ["machine_id", "energy_type"]

    out = coverage[list(SUMMARY_COVERAGE_COLUMNS)].copy()
    for col in keys:
        out[col] = out[col].astype(str)
    flagged = outliers.drop_duplicates(["machine_id", "energy_type", "bucket"])
    n_out = flagged.groupby([flagged["machine_id"].astype(str), flagged["energy_type"].astype(str)]).size()
    out = out.merge(n_out.rename("outlier_hours").reset_index(), on=keys, how="left")
    out["outlier_hours"] = out["outlier_hours"].fillna(0).astype(np.int64)

    suff = sufficiency[[*keys, "sufficient", "reasons"]].rename(columns={"reasons": "sufficiency_reasons"})
    suff = suff.astype({"machine_id": str, "energy_type": str})
    out = out.merge(suff, on=keys, how="left")
    out["sufficient"] = out["sufficient"].astype("boolean")

    normal = mask.groupby(mask["machine_id"].astype(str))["is_normal"].agg(["sum", "size"])
    normal = pd.DataFrame(
        {
            "machine_id": normal.index,
            "normal_hours": normal["sum"].to_numpy(np.int64),
            "normal_hours_pct": 100.0 * normal["sum"].to_numpy(float) / normal["size"].to_numpy(float),
        }
    )
    return out.merge(normal, on="machine_id", how="left")
