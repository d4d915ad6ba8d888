"""Daily presence in the factory's local days and CalTRACK data sufficiency over the baseline period."""

from __future__ import annotations

import numpy as np
import pandas as pd

from enms import settings
from enms.frames import require_columns
from enms.localtime import local_wall_time
from enms.quality.hours import (
    TEMPERATURE_COLUMNS,
    declared_pairs,
    energy_hours,
    hour_index,
    longest,
    machine_table,
    missing_runs,
    per_key_count,
    to_index,
    window_hours,
)

_CHECKS = ("hours_present_pass", "days_present_pass", "temperature_gap_pass", "duplicates_pass", "timezone_aware")


def _daily(present_key: np.ndarray, present_hour: np.ndarray, pairs: pd.DataFrame, hs: int, he: int) -> pd.DataFrame:
    """Per (key, local date): hours of that local day inside [hs, he) and how many are present."""
    frames = []
    for tz, grp in pairs.groupby("timezone", sort=False):
        wall = local_wall_time(pd.Series(to_index(np.arange(hs, he))), str(tz))
        codes, dates = pd.factorize(wall.dt.normalize())
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
    hs, he = window_hours(start, end)
    m = machine_table(machines, ("timezone", "energy_types", "data_interval_seconds"))
    pairs = declared_pairs(m)
    g = energy_hours(energy_hourly, pairs, hs, he)
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


def _temperature_checks(environment_hourly: pd.DataFrame, m: pd.DataFrame, hs: int,
                        he: int) -> tuple[np.ndarray, np.ndarray]:
    """Per machine row of ``m`` over [hs, he): the longest run of hours without outdoor temperature (window
    edges included) and the number of duplicated environment buckets."""
    n, n_machines = he - hs, len(m)
    require_columns(environment_hourly, TEMPERATURE_COLUMNS, "environment_hourly")
    eh = hour_index(environment_hourly["bucket"], "environment_hourly", allow_naive=True)
    em = pd.Index(m["machine_id"]).get_indexer(environment_hourly["machine_id"].astype(str))
    inside = (em >= 0) & (eh >= hs) & (eh < he)
    has_temp = inside & environment_hourly["avg_outdoor_temp_c"].notna().to_numpy()
    t_key, t_start, t_end = missing_runs(em[has_temp], eh[has_temp], n_machines, hs, he)
    temp_gap = longest(t_key, t_end - t_start, n_machines)
    cells, cell_rows = np.unique(em[inside] * n + (eh[inside] - hs), return_counts=True)
    env_dups = np.bincount(cells[cell_rows > 1] // n, minlength=n_machines)
    return temp_gap, env_dups


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
      (:func:`enms.quality.interpolate_temperature`);
    * duplicate_timestamps (energy buckets of this type) and duplicate_temperature_timestamps
      (environment buckets of the machine) both 0;
    * timezone_aware: both inputs' ``bucket`` dtypes are tz-aware (naive buckets are read as UTC to
      compute the other figures, and fail this check).

    ``sufficient`` is True when all pass; ``reasons`` lists the failed checks with their figures ('' if none).
    """
    hs, he = window_hours(baseline_start, baseline_end, "baseline")
    n = he - hs
    m = machine_table(machines, ("machine_name", "factory_name", "timezone", "energy_types", "data_interval_seconds"))
    pairs = declared_pairs(m)
    n_keys = len(pairs)
    g = energy_hours(energy_hourly, pairs, hs, he, allow_naive=True)
    k, present = g["key"].to_numpy(), g["present"].to_numpy()

    hours_pct = 100.0 * per_key_count(k, present, n_keys) / n
    d = _daily(k[present], g["hour"].to_numpy()[present], pairs, hs, he)
    d_key = d["key"].to_numpy(dtype=np.int64)
    day_ok = 100.0 * d["present_hours"].to_numpy(float) / d["expected_hours"].to_numpy(float) >= min_day_pct
    n_days = np.bincount(d_key, minlength=n_keys)
    days_pct = 100.0 * np.bincount(d_key, weights=day_ok, minlength=n_keys) / np.maximum(n_days, 1)
    duplicates = per_key_count(k, g["rows"] > 1, n_keys)
    temp_gap, env_dups = _temperature_checks(environment_hourly, m, hs, he)

    m_idx = pairs["m_idx"].to_numpy(dtype=np.int64)
    aware = all(isinstance(frame["bucket"].dtype, pd.DatetimeTZDtype) for frame in (energy_hourly, environment_hourly))
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
    out["sufficient"] = out[list(_CHECKS)].all(axis=1)
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


FIT_COLUMNS = ("usable_hours", "usable_days", "fittable", "fit_reason")
"""Columns :func:`fit_readiness` adds to the sufficiency table (the baselines step reads ``fittable`` and
``fit_reason``)."""


def fit_readiness(sufficiency: pd.DataFrame, mask: pd.DataFrame, periods: pd.DataFrame, *,
                  min_days: int = settings.MIN_BASELINE_DAYS) -> pd.DataFrame:
    """``sufficiency`` (:func:`caltrack_sufficiency`, with ``timezone``) with whether a baseline can be fitted.

    Over each factory zone's baseline period (``periods``: timezone, baseline_start, baseline_end, UTC):

    * usable_hours: the machine's hours where ``mask`` (:func:`enms.quality.normal_operation_mask`) is normal;
    * usable_days: local days of the factory with at least one usable hour;
    * fittable / fit_reason: '' when fittable, else the first that applies of 'no readings' (no present hour of
      this energy type; 'no readings in the baseline period: N days of usable history < M needed' for a machine
      whose data start after it), 'no normal hours: <the mask's most frequent reason>' and
      'N days of usable history < M needed' (M = ``min_days``).

    ``sufficient`` becomes False where not fittable, with fit_reason appended to ``reasons``.
    """
    require_columns(sufficiency, ("machine_id", "timezone", "hours_present_pct", "sufficient", "reasons"),
                    "sufficiency")
    require_columns(mask, ("bucket", "machine_id", "is_normal", "reason"), "mask")
    require_columns(periods, ("timezone", "baseline_start", "baseline_end"), "periods")
    out = sufficiency.copy()
    zones = out[["machine_id", "timezone"]].astype(str).drop_duplicates("machine_id")
    whole = mask.assign(machine_id=mask["machine_id"].astype(str)).merge(zones, on="machine_id")
    rows = whole.merge(periods.astype({"timezone": str}), on="timezone")
    rows = rows[(rows["bucket"] >= rows["baseline_start"]) & (rows["bucket"] < rows["baseline_end"])]
    usable = rows[rows["is_normal"].astype(bool)]
    hours = usable.groupby("machine_id").size()
    n_days = _usable_days(usable)
    later_days = _usable_days(whole[whole["is_normal"].astype(bool)])  # a machine whose data start later
    dominant = rows[~rows["is_normal"].astype(bool)].groupby("machine_id")["reason"].agg(_dominant_reason)

    ids = out["machine_id"].astype(str)
    out["usable_hours"] = ids.map(hours).fillna(0).astype(np.int64).to_numpy()
    out["usable_days"] = ids.map(n_days).fillna(0).astype(np.int64).to_numpy()
    out["fit_reason"] = [
        _fit_reason(present, n_hours, n_days, int(later_days.get(machine, 0)), dominant.get(machine, "no mode data"),
                    min_days)
        for machine, present, n_hours, n_days in zip(ids, out["hours_present_pct"].astype(float),
                                                     out["usable_hours"], out["usable_days"], strict=True)]
    out["fittable"] = out["fit_reason"] == ""
    out["sufficient"] = out["sufficient"].astype(bool) & out["fittable"]
    out["reasons"] = [r if not f else (f if not r else f"{r}; {f}")
                      for r, f in zip(out["reasons"].astype(str), out["fit_reason"], strict=True)]
    return out


def _usable_days(usable: pd.DataFrame) -> pd.Series:
    """Local days (of the machine's factory) with at least one usable hour, per machine."""
    days = local_wall_time(usable["bucket"].reset_index(drop=True), usable["timezone"].reset_index(drop=True))
    per_machine = pd.DataFrame({"machine_id": usable["machine_id"].to_numpy(), "day": days.dt.normalize()})
    return per_machine.groupby("machine_id")["day"].nunique()


def _fit_reason(present_pct: float, n_hours: int, n_days: int, days_in_window: int, dominant: str,
                min_days: int) -> str:
    """Why a series cannot get a baseline ('' when it can): see :func:`fit_readiness`."""
    if present_pct <= 0:
        if days_in_window:
            return f"no readings in the baseline period: {days_in_window} days of usable history < {min_days} needed"
        return "no readings"
    if n_hours == 0:
        return f"no normal hours: {dominant}"
    if n_days < min_days:
        return f"{n_days} days of usable history < {min_days} needed"
    return ""


def _dominant_reason(reasons: pd.Series) -> str:
    """The most frequent single reason among '; '-joined mask reasons (ties: the first seen)."""
    labels = reasons.str.split("; ").explode()
    return str(labels.value_counts(sort=True).index[0])
