"""Time, once: UTC coercion, local wall clocks, local midnights and the baseline boundary.

Everything is stored and computed in UTC (tz-aware); anything calendar-based (days, weeks, months, tariff hours,
shifts, the baseline year) is taken in the factory's IANA zone. Intervals are half-open ``[start, end)``.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

HOUR = pd.Timedelta(hours=1)
BASELINE_MONTHS = 12
"""The baseline period is the first twelve months of the data (ISO 50015 / IPMVP: a full cycle of seasons)."""


# ------------------------------------------------------------------------------------------------ UTC
def utc_series(values: pd.Series, name: str, unit: str = "us") -> pd.Series:
    """Tz-aware timestamps → UTC at ``unit`` resolution; naive or non-datetime values are a ValueError naming
    ``name``."""
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        raise ValueError(f"{name} must hold tz-aware (UTC) timestamps, got dtype {values.dtype}")
    return values.dt.tz_convert("UTC").astype(f"datetime64[{unit}, UTC]")


def utc_instant(value: object, name: str = "timestamp") -> pd.Timestamp:
    """One tz-aware instant → UTC; a naive one is a ValueError (its zone would be a guess)."""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        raise ValueError(f"{name} {value!r} must be tz-aware (UTC)")
    return stamp.tz_convert("UTC")


def parse_utc(text: object) -> pd.Timestamp:
    """A user-given instant (CLI, parameters): naive text is read as UTC, an offset is honoured."""
    stamp = pd.Timestamp(text)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


# ------------------------------------------------------------------------------------------------ local
def local_wall_time(bucket: pd.Series, timezone: str | pd.Series) -> pd.Series:
    """UTC instants → naive local wall-clock times (``datetime64[us]``) in ``timezone`` (one zone, or one per row).

    Wall-clock times repeat in the fall-back hour; keep the UTC instant for anything that must be unique.
    """
    if not isinstance(bucket.dtype, pd.DatetimeTZDtype):
        raise ValueError(f"bucket must be tz-aware UTC, got {bucket.dtype}")
    zones = pd.Series(timezone, index=bucket.index) if isinstance(timezone, str) else timezone
    values = np.empty(len(bucket), dtype="datetime64[us]")
    for zone in zones.unique():
        mask = (zones == zone).to_numpy()
        values[mask] = bucket[mask].dt.tz_convert(zone).dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    return pd.Series(values, index=bucket.index)


def wall_time_to_utc(naive: pd.Series, zones: pd.Series) -> pd.Series:
    """Naive local wall-clock times → UTC instants (``datetime64[us, UTC]``). A missing local time moves forward,
    a repeated one is its first occurrence; period bounds are local midnights, where neither happens in most
    zones."""
    pieces = []
    for zone in zones.unique():
        mask = (zones == zone).to_numpy()
        part = naive[mask].dt.tz_localize(zone, ambiguous=np.ones(int(mask.sum()), dtype=bool),
                                          nonexistent="shift_forward")
        pieces.append(part.dt.tz_convert("UTC"))
    if not pieces:
        return pd.Series([], index=naive.index, dtype="datetime64[us, UTC]")
    return pd.concat(pieces).reindex(naive.index).astype("datetime64[us, UTC]")


def local_date_start(day: date, timezone: str) -> pd.Timestamp:
    """The UTC instant at which local date ``day`` begins in ``timezone``."""
    return pd.Timestamp(day).tz_localize(timezone, nonexistent="shift_forward", ambiguous=True).tz_convert("UTC")


def wall_clock(instant: object, timezone: str) -> pd.Timestamp:
    """A tz-aware instant → its naive local wall-clock time in ``timezone``."""
    return utc_instant(instant, "instant").tz_convert(timezone).tz_localize(None)


def local_midnight(instant: object, timezone: str, *, after: bool = True) -> pd.Timestamp:
    """The local midnight in ``timezone`` at or after (``after``) / at or before a tz-aware instant, as a UTC
    instant. ``wall_clock(local_midnight(t, zone), zone)`` gives it as a local date."""
    local = utc_instant(instant, "instant").tz_convert(timezone)
    midnight = local.normalize()
    if after and midnight < local:
        midnight = (midnight + pd.Timedelta(days=1)).tz_localize(None).tz_localize(timezone)
    return midnight.tz_convert("UTC")


def local_midnights(start: object, end: object, timezone: str) -> pd.DatetimeIndex:
    """UTC instants (``ns``) of the local midnights in ``timezone`` within [start, end] (both tz-aware)."""
    start, end = utc_instant(start, "start"), utc_instant(end, "end")
    first = start.tz_convert(timezone).tz_localize(None).floor("D")
    last = end.tz_convert(timezone).tz_localize(None).floor("D")
    days = pd.date_range(first, last, freq="D")
    utc = days.tz_localize(timezone, ambiguous=np.ones(len(days), dtype=bool), nonexistent="shift_forward")
    utc = utc.tz_convert("UTC").as_unit("ns")
    return utc[(utc >= start) & (utc <= end)]


def local_calendar(bucket: pd.Series, timezone: str) -> pd.DataFrame:
    """Local calendar of UTC hourly buckets in ``timezone`` (same index as ``bucket``).

    Columns: local_time (naive wall clock), date (naive local midnight), hour (0-23), weekday (0 = Monday),
    month (1-12), hour_of_week (weekday * 24 + hour, 0 = Monday 00:00 local), is_weekend.
    """
    local = utc_series(bucket.rename("bucket"), "bucket").dt.tz_convert(timezone).dt.tz_localize(None)
    hour = local.dt.hour.astype(np.int64)
    weekday = local.dt.day_of_week.astype(np.int64)
    return pd.DataFrame(
        {
            "local_time": local,
            "date": local.dt.floor("D"),
            "hour": hour,
            "weekday": weekday,
            "month": local.dt.month.astype(np.int64),
            "hour_of_week": weekday * 24 + hour,
            "is_weekend": weekday >= 5,
        },
        index=bucket.index,
    )


# ------------------------------------------------------------------------------------------------ baseline period
def baseline_end_utc(window_start: pd.Timestamp, window_end: pd.Timestamp) -> pd.Timestamp:
    """The end of the baseline period in UTC as the extract records it: twelve months after the data start,
    clipped to the data end. Calendar-based steps move it to the factory's local midnight with
    :func:`baseline_boundary`."""
    return min(window_end, window_start + pd.DateOffset(months=BASELINE_MONTHS))


def baseline_boundary(window: pd.Series | dict, timezone: str) -> pd.Timestamp:
    """Where a factory's baseline period ends and its reporting period begins: the local midnight in
    ``timezone`` at or after the extract window's ``baseline_end``, as a UTC instant. Every step splits
    baseline and reporting periods here. A ``baseline_end_date`` given to the extract (a local date) is that
    date's local midnight."""
    given = window.get("baseline_end_date")
    if isinstance(given, str) and given:
        return local_date_start(date.fromisoformat(given), timezone)
    return local_midnight(window["baseline_end"], timezone)


def baseline_begin(window: pd.Series | dict, timezone: str) -> pd.Timestamp:
    """Where a factory's baseline period begins, as a UTC instant: the local midnight in ``timezone`` of the
    window's ``baseline_start_date`` when one was given, else the window's ``baseline_start`` (the data's
    start)."""
    given = window.get("baseline_start_date")
    if isinstance(given, str) and given:
        return local_date_start(date.fromisoformat(given), timezone)
    return utc_instant(window["baseline_start"], "baseline_start")
