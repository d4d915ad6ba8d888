"""Checks and small conversions shared by the core modules on the frames they are given."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd


def require_columns(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    """Raise ValueError naming every column of ``columns`` that ``frame`` (called ``name``) lacks."""
    missing = [c for c in dict.fromkeys(columns) if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s): {', '.join(missing)}")


def numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    """``frame[column]`` as float64, non-numeric values and nulls as NaN."""
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def one_row_per_key(frame: pd.DataFrame, keys: list[str], by: str | None = "total_readings") -> pd.DataFrame:
    """One row per ``keys``: the one with the largest ``by`` (missing counts least), as quality counts a
    duplicated bucket once; in that order (stable), or ``frame``'s last row per key without ``by``."""
    if by is not None and by in frame.columns:
        rank = numeric(frame, by)
        frame = frame.assign(_rank=np.where(np.isnan(rank), -1.0, rank)).sort_values("_rank", kind="stable")
        frame = frame.drop(columns="_rank")
    return frame.drop_duplicates(keys, keep="last")


def stacked(frames: list[pd.DataFrame], empty: pd.DataFrame) -> pd.DataFrame:
    """The non-empty ``frames`` one below the other (a new index); ``empty`` when there is none."""
    found = [f for f in frames if len(f)]
    return pd.concat(found, ignore_index=True) if found else empty


class Rows:
    """A frame's rows per value of ``keys`` (a column, or a list of columns whose values come as a tuple), found in
    one pass: a loop over a fleet's machines looks its rows up here instead of scanning the whole frame for each
    machine (quadratic in the fleet). ``rows[key]`` is ``frame``'s rows of that key in frame order, index kept (as a
    boolean mask gives them); a key the frame lacks gives its empty frame."""

    def __init__(self, frame: pd.DataFrame, keys: str | list[str]) -> None:
        self.frame = frame
        self.positions = frame.groupby(keys, sort=False).indices if len(frame) else {}

    def __getitem__(self, key: object) -> pd.DataFrame:
        positions = self.positions.get(key)
        return self.frame.iloc[positions] if positions is not None else self.frame.iloc[:0]


def parse_metadata(value: object) -> dict:
    """A ``metadata`` cell (JSON text, a mapping, or empty/NULL) as a dict."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str) and value:
        return json.loads(value)
    return {}


def metadata_by_id(frame: pd.DataFrame | None, id_column: str) -> dict[str, dict]:
    """``id → parsed metadata`` for every row of ``frame`` (empty dicts where it has no ``metadata``)."""
    if frame is None or frame.empty:
        return {}
    texts = frame["metadata"] if "metadata" in frame.columns else [None] * len(frame)
    return {str(key): parse_metadata(text) for key, text in zip(frame[id_column], texts, strict=True)}


def machine_timezones(machines: pd.DataFrame | Mapping[str, str] | str,
                      ids: Iterable[str] | None = None) -> dict[str, str]:
    """machine_id → IANA zone, from a machines frame (``machine_id``, ``timezone``), a mapping, or one zone for
    all of ``ids``. With ``ids``, every one must have a zone."""
    if isinstance(machines, str):
        return dict.fromkeys((str(i) for i in ids or ()), machines)
    if isinstance(machines, pd.DataFrame):
        require_columns(machines, ("machine_id", "timezone"), "machines")
        machines = dict(zip(machines["machine_id"].astype(str), machines["timezone"], strict=True))
    zones = {str(k): v for k, v in machines.items()}
    if ids is None:
        return zones
    ids = [str(i) for i in ids]
    missing = [i for i in dict.fromkeys(ids) if not isinstance(zones.get(i), str) or not zones.get(i)]
    if missing:
        raise ValueError(f"no timezone (IANA name) for machine(s): {', '.join(missing)}")
    return {i: zones[i] for i in ids}
