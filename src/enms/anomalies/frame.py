"""The hourly detection frame: one row per machine × energy type × UTC hour with everything a detector reads.

``bucket`` is the start of a UTC hour (tz-aware); residual = actual − expected (kWh) from the baselines step.
An hour is *eligible* (may be flagged, and counts in an event's metrics) only when the baseline marks it normal,
quality's ``normal_mask`` marks it normal and the mode history has no maintenance, fault or offline reading in
it (and has mode data at all).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

from enms.frames import require_columns
from enms.localtime import utc_series
from enms.units import canonical_energy_types

KEYS = ["machine_id", "energy_type"]
"""A series is one machine × energy type; energy types are never mixed."""
ENV_FEATURES = ("avg_machine_temp_c", "avg_pressure_bar", "avg_flow_rate_m3h", "avg_vibration_mm_s",
                "avg_indoor_temp_c", "avg_outdoor_temp_c")
_MODE_COUNTS = ("n_running", "n_idle", "n_maintenance", "n_fault", "n_offline", "total_readings")


def detection_frame(expected_hourly: pd.DataFrame, mode_hourly: pd.DataFrame,
                    normal_mask: pd.DataFrame | None = None, production_hourly: pd.DataFrame | None = None,
                    environment_hourly: pd.DataFrame | None = None,
                    machines: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per series hour with everything the detectors read, sorted by machine, energy type, bucket.

    ``expected_hourly``: bucket, machine_id, energy_type, actual_kwh, expected_kwh (optional is_normal, period).
    ``mode_hourly``: the mode counts per machine hour (the state of the past comes from the mode history).
    Columns added: ``residual_kwh``, ``eligible`` (see the module doc), ``running_frac`` (running readings /
    readings), ``state`` ('running' all readings running, 'idle' none running, else 'mixed'), ``production``
    (units in the hour; NaN when unknown), the sensors of ``environment_hourly`` and ``timezone``.
    """
    require_columns(expected_hourly, ["bucket", "machine_id", "energy_type", "actual_kwh", "expected_kwh"],
                    "expected_hourly")
    require_columns(mode_hourly, ["bucket", "machine_id", *_MODE_COUNTS], "mode_hourly")
    cols = [c for c in ("bucket", "machine_id", "energy_type", "actual_kwh", "expected_kwh", "is_normal", "period")
            if c in expected_hourly.columns]
    out = expected_hourly[cols].copy()
    out["bucket"] = utc_series(out["bucket"], "expected_hourly.bucket")
    out["machine_id"] = out["machine_id"].astype(str)
    out["energy_type"] = canonical_energy_types(out["energy_type"].astype(str))
    out = out.drop_duplicates(["machine_id", "energy_type", "bucket"], keep="last")
    modes = _hourly(mode_hourly, list(_MODE_COUNTS), "mode_hourly").drop_duplicates(["machine_id", "bucket"],
                                                                                     keep="last")
    out = out.merge(modes, on=["bucket", "machine_id"], how="left")
    counts = {c: out[c].fillna(0).to_numpy(dtype="float64") for c in _MODE_COUNTS}
    has_mode = counts["total_readings"] > 0
    # a machine without any mode reading (imported meters): quality inferred its operation, the mask decides
    inferred = ~out["machine_id"].isin(modes.loc[modes["total_readings"] > 0, "machine_id"]).to_numpy()
    out["eligible"] = _eligible(out, counts, has_mode | inferred)
    if normal_mask is not None:
        mask = _hourly(normal_mask, ["is_normal"], "normal_mask").drop_duplicates(["machine_id", "bucket"],
                                                                                  keep="last")
        out = out.merge(mask.rename(columns={"is_normal": "_mask"}), on=["bucket", "machine_id"], how="left")
        out["eligible"] &= out.pop("_mask").fillna(False).to_numpy(dtype=bool)  # no mask row: not known normal
    total = np.where(has_mode, counts["total_readings"], np.nan)
    out["running_frac"] = counts["n_running"] / total
    out["state"] = np.where(counts["n_running"] <= 0, "idle",
                            np.where(counts["n_running"] >= counts["total_readings"], "running", "mixed"))
    out = out.drop(columns=[c for c in _MODE_COUNTS if c not in ("n_running", "total_readings")])
    if production_hourly is not None:
        prod = _hourly(production_hourly, ["total_production_count"], "production_hourly").drop_duplicates(
            ["machine_id", "bucket"])
        out = out.merge(prod.rename(columns={"total_production_count": "production"}), on=["bucket", "machine_id"],
                        how="left")
        out["production"] = out["production"].astype("float64")
    else:
        out["production"] = np.nan
    if environment_hourly is not None:
        present = [c for c in ENV_FEATURES if c in environment_hourly.columns]
        env = _hourly(environment_hourly, present, "environment_hourly").drop_duplicates(["machine_id", "bucket"])
        out = out.merge(env, on=["bucket", "machine_id"], how="left")
    if machines is not None and "timezone" in machines.columns:
        zones = machines.drop_duplicates("machine_id").set_index(machines["machine_id"].astype(str))["timezone"]
        out["timezone"] = out["machine_id"].map(zones).fillna("UTC")
    else:
        out["timezone"] = "UTC"
    out["expected_kwh"] = out["expected_kwh"].clip(lower=0.0)  # a baseline may dip below 0; energy cannot
    out["residual_kwh"] = out["actual_kwh"] - out["expected_kwh"]
    return out.sort_values(["machine_id", "energy_type", "bucket"], ignore_index=True)


def _hourly(frame: pd.DataFrame, columns: list[str], name: str) -> pd.DataFrame:
    """``bucket`` (UTC, us), ``machine_id`` (str) and ``columns`` of a per-machine hourly input."""
    return frame[["bucket", "machine_id", *columns]].assign(bucket=utc_series(frame["bucket"], f"{name}.bucket"),
                                                            machine_id=frame["machine_id"].astype(str))


def _eligible(out: pd.DataFrame, counts: dict[str, np.ndarray], has_mode: np.ndarray) -> np.ndarray:
    """Mode data present, no maintenance, fault or offline reading, finite energies, and the baseline's
    ``is_normal`` where it has one."""
    abnormal_mode = (counts["n_maintenance"] + counts["n_fault"] + counts["n_offline"]) > 0
    eligible = has_mode & ~abnormal_mode
    eligible &= np.isfinite(out["actual_kwh"].to_numpy(dtype="float64"))
    eligible &= np.isfinite(out["expected_kwh"].to_numpy(dtype="float64"))
    if "is_normal" in out.columns:
        eligible &= out["is_normal"].fillna(False).to_numpy(dtype=bool)
    return eligible


def by_series(frame: pd.DataFrame) -> Iterator[tuple[tuple[str, str], pd.DataFrame]]:
    """(machine_id, energy_type), rows of that series, in key order."""
    yield from frame.groupby(KEYS, sort=True, observed=True)


def hour_numbers(bucket: pd.Series) -> np.ndarray:
    """UTC hours since the epoch (int64) of tz-aware instants."""
    return (bucket.to_numpy(dtype="datetime64[us]").astype("int64") // 3_600_000_000).astype(np.int64)


def from_hours(hours: np.ndarray) -> pd.DatetimeIndex:
    """Hours since the epoch → UTC instants (``us``)."""
    return pd.to_datetime(hours.astype("int64") * 3600, unit="s", utc=True).as_unit("us")


def mad_scale(values: np.ndarray) -> tuple[float, float]:
    """Median and 1.4826 · MAD (the robust standard deviation) of ``values``."""
    med = float(np.median(values))
    return med, 1.4826 * float(np.median(np.abs(values - med)))


def interval_rows(frame: pd.DataFrame, intervals: pd.DataFrame
                  ) -> Iterator[tuple[tuple[str, str], np.ndarray, pd.DataFrame, np.ndarray, np.ndarray]]:
    """For each series of ``intervals`` (machine_id, energy_type, start, end) that ``frame`` holds: (key, the
    positions of its intervals, the series' rows of ``frame``, lo, hi), rows ``lo[i]:hi[i]`` being the hours of
    interval i (half-open). ``frame`` must be sorted by bucket within each series."""
    groups = frame.groupby(KEYS, sort=False).indices
    for key, pos in intervals.groupby(KEYS, sort=False).indices.items():
        idx = groups.get(key)
        if idx is None:
            continue
        part = frame.iloc[idx]
        hours = hour_numbers(part["bucket"])
        iv = intervals.iloc[pos]
        lo = np.searchsorted(hours, hour_numbers(iv["start"]), side="left")
        hi = np.searchsorted(hours, hour_numbers(iv["end"]), side="left")
        yield key, pos, part, lo, hi


def machine_bound(rows: pd.DataFrame, bound: pd.Timestamp | Mapping[str, pd.Timestamp]) -> pd.Timestamp | pd.Series:
    """A window bound for each row of ``rows``: one UTC instant for all, or one per machine
    (``{machine_id: instant}``, e.g. where each factory's baseline period ends; NaT for a machine not in it)."""
    if isinstance(bound, Mapping):
        return pd.to_datetime(rows["machine_id"].map(bound), utc=True)
    return bound
