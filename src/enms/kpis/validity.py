"""Reference rows in force: the active flag and validity dates (inclusive local dates) of tariffs, carbon factors
and energy sources."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _dates(values: pd.Series) -> np.ndarray:
    """Dates (date, datetime, str or None) → datetime64[us] at midnight (NaT for None)."""
    return pd.to_datetime(values).dt.normalize().to_numpy(dtype="datetime64[us]")


def _active(frame: pd.DataFrame) -> pd.DataFrame:
    if "is_active" not in frame.columns:
        return frame
    return frame[frame["is_active"].fillna(True).astype(bool)]


def _valid_on(day: np.ndarray, valid_from: np.datetime64, valid_to: np.datetime64) -> np.ndarray:
    """Local dates within [valid_from, valid_to] (both inclusive; NaT = open)."""
    ok = np.ones(len(day), dtype=bool)
    if not np.isnat(valid_from):
        ok &= day >= valid_from
    if not np.isnat(valid_to):
        ok &= day <= valid_to
    return ok
