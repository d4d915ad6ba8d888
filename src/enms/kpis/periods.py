"""Local calendar periods of the KPIs: period tables, natural starts and ends, labels, window bounds.

A period (``freq`` = ``"day"``, ``"week"`` (ISO, Monday start) or ``"month"``; ``None``: the window) is taken in
each factory's IANA zone; a bucket belongs to the period holding its local start. The UTC ↔ local conversions
themselves are :mod:`enms.localtime`'s.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import numpy as np
import pandas as pd

from enms.frames import require_columns
from enms.localtime import local_wall_time, wall_time_to_utc

Freq = Literal["day", "week", "month"] | None
Level = Literal["machine", "factory"]
LocalBound = str | date | datetime | pd.Timestamp | None

FREQS = ("day", "week", "month")
PERIOD_COLUMNS = ["timezone", "period", "period_start", "period_end", "hours", "start_utc", "end_utc"]
_MACHINE_INFO = ["machine_id", "machine_name", "factory_id", "factory_name", "timezone"]
_IDS: dict[str, list[str]] = {
    "machine": ["factory_id", "factory_name", "machine_id", "machine_name"],
    "factory": ["factory_id", "factory_name"],
}


# ------------------------------------------------------------------------------------------------ local periods
def _local_bound(value: LocalBound) -> pd.Timestamp | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        raise ValueError(f"start/end are local wall-clock dates in each factory's zone (naive), got {stamp}")
    return stamp.as_unit("us")


def _natural_start(local: pd.Series, freq: str) -> pd.Series:
    day = local.dt.floor("D")
    if freq == "day":
        start = day
    elif freq == "week":
        start = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    elif freq == "month":
        start = day - pd.to_timedelta(day.dt.day - 1, unit="D")
    else:
        raise ValueError(f"freq must be one of {FREQS} or None, got {freq!r}")
    return start.astype("datetime64[us]")


def _natural_end(start: pd.Series, freq: str) -> pd.Series:
    if freq == "day":
        end = start + pd.Timedelta(days=1)
    elif freq == "week":
        end = start + pd.Timedelta(days=7)
    else:
        end = start + pd.DateOffset(months=1)
    return end.astype("datetime64[us]")


def _whole_month(start: pd.Series, end: pd.Series) -> pd.Series:
    """Whether each period [start, end) (naive local) is one whole calendar month."""
    return (start.dt.day == 1) & (end == _natural_end(start, "month"))


def _labels(start: pd.Series, end: pd.Series, freq: Freq) -> pd.Series:
    if freq == "day":
        return start.dt.strftime("%Y-%m-%d")
    if freq == "week":
        iso = start.dt.isocalendar()
        return iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
    if freq == "month":
        return start.dt.strftime("%Y-%m")
    month = _whole_month(start, end)
    day = end == start + pd.Timedelta(days=1)
    free = start.dt.strftime("%Y-%m-%d") + "/" + end.dt.strftime("%Y-%m-%d")
    return free.where(~day, start.dt.strftime("%Y-%m-%d")).where(~month, start.dt.strftime("%Y-%m"))


def _info(machines: pd.DataFrame) -> pd.DataFrame:
    """Machine → names, factory and zone, indexed by machine_id."""
    require_columns(machines, _MACHINE_INFO, "machines frame")
    return machines[_MACHINE_INFO].drop_duplicates("machine_id").set_index("machine_id")


def _factory_names(machines: pd.DataFrame) -> dict[str, str]:
    return dict(zip(machines["factory_id"], machines["factory_name"], strict=True))


def _prepare(frame: pd.DataFrame, machines: pd.DataFrame, freq: Freq, start: LocalBound,
             end: LocalBound) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add ``factory_id``, ``timezone``, ``local_time`` and ``period_start``; keep rows in the local window.

    Returns the rows and the table of their periods (keyed by ``timezone`` and ``period_start``).
    """
    if freq is not None and freq not in FREQS:
        raise ValueError(f"freq must be one of {FREQS} or None, got {freq!r}")
    lo, hi = _local_bound(start), _local_bound(end)
    if freq is None and (lo is None or hi is None):
        raise ValueError("freq=None (one period) needs both start and end")
    if lo is not None and hi is not None and hi <= lo:
        raise ValueError(f"empty window: start {lo} is not before end {hi}")
    require_columns(frame, ("bucket", "machine_id"), "frame")
    info = _info(machines)
    rows = frame.reset_index(drop=True)
    rows["factory_id"] = rows["machine_id"].map(info["factory_id"])
    rows["timezone"] = rows["machine_id"].map(info["timezone"])
    unknown = rows.loc[rows["timezone"].isna(), "machine_id"].unique()
    if len(unknown):
        raise ValueError(f"machine(s) {', '.join(map(str, unknown[:5]))} are not in the machines frame")
    rows["local_time"] = local_wall_time(rows["bucket"], rows["timezone"])
    keep = np.ones(len(rows), dtype=bool)
    if lo is not None:
        keep &= (rows["local_time"] >= lo).to_numpy()
    if hi is not None:
        keep &= (rows["local_time"] < hi).to_numpy()
    if not keep.all():
        rows = rows[keep].reset_index(drop=True)
    natural = (pd.Series(lo, index=rows.index, dtype="datetime64[us]") if freq is None
               else _natural_start(rows["local_time"], freq))
    rows["period_start"] = natural if lo is None else natural.clip(lower=lo)

    keys = pd.DataFrame({"timezone": rows["timezone"], "natural": natural}).drop_duplicates(ignore_index=True)
    natural_end = (pd.Series(hi, index=keys.index, dtype="datetime64[us]") if freq is None
                   else _natural_end(keys["natural"], freq))
    periods = pd.DataFrame({"timezone": keys["timezone"]})
    periods["period"] = _labels(keys["natural"], natural_end, freq)
    periods["period_start"] = keys["natural"] if lo is None else keys["natural"].clip(lower=lo)
    periods["period_end"] = natural_end if hi is None else natural_end.clip(upper=hi)
    periods["start_utc"] = wall_time_to_utc(periods["period_start"], periods["timezone"])
    periods["end_utc"] = wall_time_to_utc(periods["period_end"], periods["timezone"])
    periods["hours"] = (periods["end_utc"] - periods["start_utc"]) / pd.Timedelta(hours=1)
    return rows, periods


def _finish(result: pd.DataFrame, periods: pd.DataFrame, machines: pd.DataFrame, level: Level,
            values: list[str], *, energy_type: bool = True) -> pd.DataFrame:
    """Add names and the period columns to an aggregate keyed by ``_keys(level)``; order columns and rows."""
    info = _info(machines)
    if level == "machine":
        result = result.join(info, on="machine_id")
    else:
        result = result.join(info.drop_duplicates("factory_id").set_index("factory_id")[["factory_name", "timezone"]],
                             on="factory_id")
    out = result.merge(periods, on=["timezone", "period_start"], how="left", validate="many_to_one")
    ids = _IDS[level] + (["energy_type"] if energy_type else [])
    out = out[ids + PERIOD_COLUMNS + values]
    return out.sort_values(ids[1:] + ["period_start"], ignore_index=True)


def _keys(level: Level, *, energy_type: bool = True) -> list[str]:
    """Group keys of row-level work: the machine or factory id, energy type, local period."""
    return ["machine_id" if level == "machine" else "factory_id"] + (["energy_type"] if energy_type else []) + [
        "period_start"]


def _check_level(level: str) -> None:
    if level not in _IDS:
        raise ValueError(f"level must be 'machine' or 'factory', got {level!r}")
