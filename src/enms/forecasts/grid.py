"""The regular hourly grid the forecasters work on: integer UTC nanoseconds, a target array and exogenous arrays.

Internal to ``enms.forecasts`` (the models, the interval record and the walk share it); frames come in and go out
at the edges of the package.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from enms.forecasts.inputs import EXOG_COLUMNS
from enms.frames import numeric, require_columns
from enms.localtime import utc_series

NS_PER_HOUR = 3_600_000_000_000


def ns(ts: pd.Timestamp) -> int:
    """A tz-aware instant as int64 nanoseconds since the epoch."""
    return int(ts.as_unit("ns").value)


def ns_array(values: pd.Series) -> np.ndarray:
    """int64 nanoseconds since the epoch of tz-aware timestamps."""
    return pd.DatetimeIndex(values).as_unit("ns").asi8


def at(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """a[idx] with NaN where idx falls outside a."""
    out = np.full(len(idx), np.nan)
    ok = (idx >= 0) & (idx < len(a))
    out[ok] = a[idx[ok]]
    return out


@dataclass
class Grid:
    """A history on the regular hourly grid: t0 (ns), y (kWh per hour) and the exogenous arrays."""

    t0: int
    y: np.ndarray
    exog: dict[str, np.ndarray]

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def end_ns(self) -> int:
        return self.t0 + self.n * NS_PER_HOUR

    def upto(self, origin_ns: int) -> Grid:
        """The hours before ``origin_ns`` only."""
        k = max(0, min(self.n, (origin_ns - self.t0) // NS_PER_HOUR))
        return Grid(self.t0, self.y[:k], {c: v[:k] for c, v in self.exog.items()})


def to_grid(history: pd.DataFrame, *, target: bool = True) -> Grid:
    """A frame (bucket, [energy_kwh], exog columns) → a regular hourly grid (missing hours NaN)."""
    require_columns(history, ("bucket",), "history")
    if target:
        require_columns(history, ("energy_kwh",), "history")
    b = utc_series(history["bucket"], "history.bucket", unit="ns")
    if history.empty:
        return Grid(0, np.zeros(0), {c: np.zeros(0) for c in EXOG_COLUMNS if c in history})
    stamps = ns_array(b)
    if np.any(stamps % NS_PER_HOUR):
        raise ValueError("history buckets must be whole UTC hours")
    t0 = int(stamps.min())
    idx = (stamps - t0) // NS_PER_HOUR
    n = int(idx.max()) + 1
    y = np.full(n, np.nan)
    if target:
        y[idx] = numeric(history, "energy_kwh")
    exog = {}
    for c in EXOG_COLUMNS:
        if c in history.columns:
            a = np.full(n, np.nan)
            a[idx] = numeric(history, c)
            exog[c] = a
    return Grid(t0, y, exog)


def merge_grids(old: Grid, new: Grid) -> Grid:
    """The union of two grids (the newer values win where they overlap)."""
    if new.n == 0:
        return old
    if new.t0 <= old.t0:
        return new
    t0, end = old.t0, max(old.end_ns, new.end_ns)
    n = (end - t0) // NS_PER_HOUR
    k = (new.t0 - t0) // NS_PER_HOUR
    y = np.full(n, np.nan)
    y[: old.n] = old.y
    y[k: k + new.n] = new.y
    exog = {}
    for c in set(old.exog) | set(new.exog):
        a = np.full(n, np.nan)
        if c in old.exog:
            a[: old.n] = old.exog[c]
        if c in new.exog:
            a[k: k + new.n] = new.exog[c]
        exog[c] = a
    return Grid(t0, y, exog)
