"""Which hours are normal operation (the baselines' training rows), and the hourly outdoor temperature with
short gaps interpolated."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from enms.frames import numeric, require_columns
from enms.localtime import utc_instant
from enms.quality.hours import (
    MODE_COLUMNS,
    TEMPERATURE_COLUMNS,
    declared_pairs,
    energy_hours,
    hour_index,
    join_reasons,
    machine_table,
    to_index,
    window_hours,
)

ABNORMAL_MODES = (("n_maintenance", "maintenance"), ("n_fault", "fault"), ("n_offline", "offline"))
"""Mode counts of ``mode_hourly`` that make an hour abnormal, with the reason they give."""

UNTRUSTED_VALUES = ("spike", "negative energy", "negative power", "energy below power")
"""Outlier reasons (:func:`enms.quality.find_outliers`) whose hour's energy is not trusted: never normal."""


def normal_operation_mask(
    mode_hourly: pd.DataFrame,
    energy_hourly: pd.DataFrame,
    machines: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    outliers: pd.DataFrame | None = None,
    now: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Whether each machine's UTC hour in [start, end) is *usable*: in normal operation with trusted energy
    (the baselines' training rows, the anomalies' eligible hours).

    Usable: the hour has mode data, every production_data reading in it is running or idle (a single
    maintenance/fault/offline reading makes it abnormal), and every declared energy type is complete that
    hour (non-NULL readings at least the number the interval allows), without excess readings (duplicated
    timestamps) or duplicated rows, without a spike, negative energy or negative power in ``outliers``
    (:func:`enms.quality.find_outliers`), and over before ``now`` (UTC; None: no check). A machine declaring no
    energy type is judged on its modes alone. The mode history (``production_data.operating_mode``) decides,
    never the current machine status; a machine without any mode reading in the window has no history to judge
    by, and its hours are judged on their energy alone (normal operation *inferred*: every complete, trusted
    hour; :mod:`enms.quality.closures` gives its closure days).

    Columns: bucket (UTC), machine_id, is_normal, reason ('' when normal; else '; '-joined from
    'no mode data', 'maintenance', 'fault', 'offline', 'unknown mode' (readings in no listed mode),
    'incomplete energy', 'duplicate readings', 'spike', 'negative energy', 'negative power', 'future').
    One row per machine of ``machines`` and hour of the window.
    """
    hs, he = window_hours(start, end)
    n = he - hs
    m = machine_table(machines, ("energy_types", "data_interval_seconds"))
    n_machines = len(m)

    require_columns(mode_hourly, MODE_COLUMNS, "mode_hourly")
    mh = hour_index(mode_hourly["bucket"], "mode_hourly")
    mi = pd.Index(m["machine_id"]).get_indexer(mode_hourly["machine_id"].astype(str))
    sel = (mi >= 0) & (mh >= hs) & (mh < he)
    cell = (mi[sel], mh[sel] - hs)
    counts = {}
    for col in MODE_COLUMNS[2:]:
        grid = np.zeros((n_machines, n))
        values = np.nan_to_num(numeric(mode_hourly, col))[sel]
        np.maximum.at(grid, cell, values)  # duplicate buckets: the larger count wins (conservative)
        counts[col] = grid.ravel()

    pairs = declared_pairs(m)
    g = energy_hours(energy_hourly, pairs, hs, he)
    g_machine = pairs["m_idx"].to_numpy(dtype=np.int64)[g["key"].to_numpy()]
    g_cell = (g_machine, g["hour"].to_numpy() - hs)
    per_hour = np.zeros((n_machines, n), dtype=np.int64)
    np.add.at(per_hour, (g_cell[0][g["full"]], g_cell[1][g["full"]]), 1)
    declared = np.bincount(pairs["m_idx"].to_numpy(dtype=np.int64), minlength=n_machines)
    energy_ok = (per_hour >= declared[:, None]).ravel()
    duplicate = np.zeros((n_machines, n), dtype=bool)
    duplicate[g_cell[0][g["duplicate"]], g_cell[1][g["duplicate"]]] = True
    untrusted = _untrusted_values(outliers, m, pairs, hs, he)
    future = np.zeros(n, dtype=bool) if now is None else (np.arange(hs, he) + 1) > _hours_until(now)

    total = counts["total_readings"]
    # A machine without a single mode reading (imported meters) has no mode history to judge by: its hours are
    # judged on their energy alone (inferred normal operation, see enms.quality.closures).
    has_history = np.repeat(total.reshape(n_machines, n).sum(axis=1) > 0, n)
    no_mode = (total <= 0) & has_history
    classified = counts["n_running"] + counts["n_idle"] + sum(counts[c] for c, _ in ABNORMAL_MODES)
    flags = [("no mode data", no_mode)]
    flags += [(label, ~no_mode & (counts[col] > 0)) for col, label in ABNORMAL_MODES]
    flags += [("unknown mode", ~no_mode & (classified < total)), ("incomplete energy", ~energy_ok),
              ("duplicate readings", duplicate.ravel())]
    flags += [(label, untrusted[label].ravel()) for label in UNTRUSTED_VALUES]
    flags += [("future", np.tile(future, n_machines))]
    reason = join_reasons(flags, n_machines * n)
    return pd.DataFrame(
        {
            "bucket": to_index(np.tile(np.arange(hs, he), n_machines)),
            "machine_id": np.repeat(m["machine_id"].to_numpy(), n),
            "is_normal": reason == "",
            "reason": reason.astype(str),
        }
    )


def _hours_until(now: pd.Timestamp) -> float:
    """``now`` as (fractional) hours since the Unix epoch."""
    return (utc_instant(now, "now") - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(hours=1)


def _untrusted_values(outliers: pd.DataFrame | None, m: pd.DataFrame, pairs: pd.DataFrame, hs: int,
                      he: int) -> dict[str, np.ndarray]:
    """Per reason of :data:`UNTRUSTED_VALUES`: (machine row, hour − hs) flags of the declared pairs' outliers."""
    n_machines, n = len(m), he - hs
    out = {label: np.zeros((n_machines, n), dtype=bool) for label in UNTRUSTED_VALUES}
    if outliers is None or outliers.empty:
        return out
    require_columns(outliers, ("bucket", "machine_id", "energy_type", "reason"), "outliers")
    hour = hour_index(outliers["bucket"], "outliers")
    rows = pd.DataFrame({"machine_id": outliers["machine_id"].astype(str).to_numpy(),
                         "energy_type": outliers["energy_type"].astype(str).to_numpy(), "hour": hour,
                         "reason": outliers["reason"].astype(str).to_numpy()})
    rows = rows[(rows["hour"] >= hs) & (rows["hour"] < he)]
    rows = rows.merge(pairs[["machine_id", "energy_type", "m_idx"]], on=["machine_id", "energy_type"])
    labels = rows["reason"].str.split("; ")
    for label, grid in out.items():
        hit = labels.map(lambda found, label=label: label in found).to_numpy(dtype=bool)
        grid[rows["m_idx"].to_numpy()[hit], rows["hour"].to_numpy()[hit] - hs] = True
    return out


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
    hs, he = window_hours(start, end)
    n = he - hs
    require_columns(environment_hourly, TEMPERATURE_COLUMNS, "environment_hourly")
    ids = environment_hourly["machine_id"].astype(str)
    order = pd.Index(sorted(ids.unique()) if machine_ids is None else [str(i) for i in machine_ids])
    hours = hour_index(environment_hourly["bucket"], "environment_hourly")
    mi = order.get_indexer(ids)
    temp = numeric(environment_hourly, "avg_outdoor_temp_c")
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
            "bucket": to_index(np.tile(np.arange(hs, he), len(order))),
            "machine_id": np.repeat(order.to_numpy(), n),
            "avg_outdoor_temp_c": values.ravel(),
            "is_interpolated": fill.ravel(),
        }
    )
