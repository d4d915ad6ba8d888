"""Row-level checks of an import file: timestamps (local time, DST), values, duplicates and the interval.

Every problem is collected with its line before anything is written; :class:`ImportProblems` carries the first
:data:`LIMIT` of them, in file order, and the total. What can be repaired without a guess is repaired and said
in a warning: identical duplicate rows are dropped, empty cells skipped, a fall-back hour resolved by order.

Timestamps: naive ones are wall-clock times in the zone given (``--tz``). In the repeated hour of a fall-back night the
first occurrence (per meter, in file order) is read as daylight time and the repeat as standard time; a time
that does not exist (the skipped spring-forward hour) is an error. Timestamps with an offset (``+01:00``,
``Z``) are converted to UTC as written. A logger that keeps standard time all year is read with a fixed-offset
zone (``--tz Etc/GMT-1`` is UTC+1).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

LIMIT = 20
"""Problems listed per file (all are counted)."""
MIN_INTERVAL_S, MAX_INTERVAL_S = 60, 3600
"""The resolutions an import accepts: 1 to 60 whole minutes (s)."""
RUN_OF_STEPS = 3
"""This many equal steps of k > 1 intervals in a row are a change of resolution, not a gap."""
_OFFSET = re.compile(r"\d:\d{2}(?::\d{2}(?:[.,]\d*)?)?\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)
_UTC_SUFFIX = re.compile(r"\s*UTC$", re.IGNORECASE)  # "10:00 UTC", which ISO 8601 parsing refuses


class ImportProblems(ValueError):
    """A file failed its checks: nothing was written. ``lines`` lists the first problems, one per line."""

    def __init__(self, path: Path, lines: list[str], total: int) -> None:
        self.path, self.lines, self.total = path, lines, total
        more = f" (the first {len(lines)} listed)" if total > len(lines) else ""
        super().__init__(f"{path.name}: {total} problem{'s' if total != 1 else ''}{more}, nothing written; "
                         f"first: {lines[0]}")


@dataclass
class Problems:
    """The problems of one file, kept in line order (the first :data:`LIMIT`), counted in full."""

    noun: str  # "line" or "row"
    total: int = 0
    kept: list[tuple[int, str]] = field(default_factory=list)

    def add(self, lines: np.ndarray, describe: Callable[[int], str]) -> None:
        """One problem per position of ``lines``; ``describe(i)`` words the i-th (only the first few are worded)."""
        self.total += len(lines)
        for i in np.argsort(lines, kind="stable")[:LIMIT]:
            self.kept.append((int(lines[i]), describe(int(i))))

    def one(self, line: int, text: str) -> None:
        """A problem of one line."""
        self.total += 1
        self.kept.append((int(line), text))

    def raise_if_any(self, path: Path) -> None:
        if not self.total:
            return
        unique = sorted(set(self.kept), key=lambda item: item[0])  # a wide file's bad line is bad in every column
        total = self.total - (len(self.kept) - len(unique))
        raise ImportProblems(path, [f"{self.noun} {line}: {text}" for line, text in unique[:LIMIT]], total)


@dataclass
class Notes:
    """Warnings about what was repaired or found, for the summary."""

    lines: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.lines.append(text)


def _stamp_text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()


def _texts(values: pd.Series) -> pd.Series:
    """Cells as stripped text ('' where empty), vectorised."""
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def to_utc(readings: pd.DataFrame, tz: str, fmt: str | None, problems: Problems, notes: Notes) -> pd.Series:
    """The ``stamp`` of each reading as a UTC instant (``datetime64[us, UTC]``; NaT where it is a problem).

    ``fmt``: a strftime format for text timestamps (default ISO 8601: ``2025-03-01 10:00``,
    ``2025-03-01T10:00:00+01:00``).
    """
    stamps = readings["stamp"]
    lines = readings["line"].to_numpy()
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        return stamps.dt.tz_convert("UTC").dt.as_unit("us").reset_index(drop=True)
    if pd.api.types.is_datetime64_dtype(stamps.dtype):
        naive = stamps.to_numpy().astype("datetime64[us]")
        text = pd.Series(naive).astype(str).to_numpy(dtype=object)
        aware = np.zeros(len(stamps), bool)
        utc = np.full(len(stamps), np.datetime64("NaT"), dtype="datetime64[us]")  # naive UTC until the end
    else:
        # A wide file repeats each timestamp per meter: parse each distinct text once.
        codes, distinct = pd.factorize(_texts(stamps))
        text_u = np.asarray(distinct, dtype=object)
        aware_u = pd.Series(text_u, dtype=object).str.contains(_OFFSET).to_numpy(dtype=bool)
        iso_u = pd.Series(text_u, dtype=object).str.replace(_UTC_SUFFIX, "+00:00", regex=True).to_numpy(dtype=object)
        naive_u = np.full(len(text_u), np.datetime64("NaT"), dtype="datetime64[us]")
        utc_u = naive_u.copy()
        parse = {"format": fmt or "ISO8601", "errors": "coerce"}
        if (~aware_u).any():
            naive_u[~aware_u] = pd.to_datetime(pd.Series(iso_u[~aware_u]), **parse).dt.as_unit("us").to_numpy()
        if aware_u.any():
            parsed = pd.to_datetime(pd.Series(iso_u[aware_u]), utc=True, **parse).dt.as_unit("us")
            utc_u[aware_u] = parsed.dt.tz_localize(None).to_numpy()
        text, aware, naive, utc = text_u[codes], aware_u[codes], naive_u[codes], utc_u[codes]
        bad = np.where(aware, np.isnat(utc), np.isnat(naive))
        if bad.any():
            where = np.flatnonzero(bad)
            problems.add(lines[where], lambda i: f"unparseable timestamp {text[where[i]]!r}")
    local = ~aware & ~np.isnat(naive)
    if local.any():
        utc[local] = _localize(naive[local], readings["meter"].to_numpy()[local], tz, lines[local], text[local],
                               problems, notes)
    return pd.Series(utc).dt.tz_localize("UTC")


def _localize(naive: np.ndarray, meters: np.ndarray, tz: str, lines: np.ndarray, text: np.ndarray,
              problems: Problems, notes: Notes) -> np.ndarray:
    """Naive wall-clock times in ``tz`` → naive UTC (NaT where the time does not exist), a repeated fall-back time
    resolved by its order per meter."""
    index = pd.DatetimeIndex(naive)
    n = len(index)
    dst = index.tz_localize(tz, ambiguous=np.ones(n, bool), nonexistent="NaT")
    std = index.tz_localize(tz, ambiguous=np.zeros(n, bool), nonexistent="NaT")
    missing = np.flatnonzero(dst.isna())
    if missing.size:
        problems.add(lines[missing], lambda i: f"local time {text[missing[i]]} does not exist in {tz} "
                                               "(clocks spring forward over it)")
    ambiguous = ~dst.isna() & (dst != std)
    chosen = dst
    if ambiguous.any():
        occurrence = pd.DataFrame({"meter": meters, "naive": index}).groupby(["meter", "naive"]).cumcount()
        repeat = ambiguous & (occurrence.to_numpy() > 0)
        chosen = dst.where(~repeat, std)
        first = int(lines[ambiguous].min())
        resolved = (f"the first occurrence of each read as daylight time, the {int(repeat.sum()):,} repeats as "
                    "standard time" if repeat.any() else
                    "none repeats, so all were read as daylight time (the standard-time hour has no readings)")
        notes.add(f"{int(ambiguous.sum()):,} readings at fall-back local times in {tz} (first at {problems.noun} "
                  f"{first}): {resolved}")
    return chosen.tz_convert("UTC").tz_localize(None).as_unit("us").to_numpy()


def numbers(readings: pd.DataFrame, decimal_comma: bool, problems: Problems) -> tuple[np.ndarray, np.ndarray]:
    """The ``raw`` value of each reading as float (NaN where empty or a problem) and the mask of empty cells."""
    raw = readings["raw"]
    lines = readings["line"].to_numpy()
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        values = raw.to_numpy(dtype=float, na_value=np.nan)
        return values, np.isnan(values)
    text = _texts(raw)
    empty = (text == "").to_numpy()
    if decimal_comma:
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    values = pd.to_numeric(text.where(~empty), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = np.flatnonzero(np.isnan(values) & ~empty)
    if bad.size:
        original = raw.to_numpy(dtype=object)
        problems.add(lines[bad], lambda i: f"unparseable value {_stamp_text(original[bad[i]])!r}")
    return values, empty


def note_empty(empty: np.ndarray, lines: np.ndarray, noun: str, notes: Notes) -> None:
    if empty.any():
        notes.add(f"{int(empty.sum()):,} empty values skipped (first at {noun} {int(lines[empty].min())})")


def drop_duplicates(readings: pd.DataFrame, problems: Problems, notes: Notes, show: Callable[[object], str]) -> \
        pd.DataFrame:
    """``readings`` (line, stamp, meter, time, value; no NaT/NaN) sorted by meter and time, each (meter, time)
    once: an identical repeat is dropped and counted, one with a different value is a problem."""
    frame = readings.sort_values(["meter", "time", "line"], kind="stable", ignore_index=True)
    repeat = frame.duplicated(["meter", "time"], keep="first").to_numpy()
    if not repeat.any():
        return frame
    first = frame.groupby(["meter", "time"], sort=False)[["value", "line"]].transform("first")
    differs = repeat & (frame["value"] != first["value"]).to_numpy()
    where = np.flatnonzero(differs)
    if where.size:
        problems.add(frame["line"].to_numpy()[where], lambda i: (
            f"duplicate timestamp {_stamp_text(frame.at[where[i], 'stamp'])} with a different value "
            f"({show(frame.at[where[i], 'value'])} here, {show(first.at[where[i], 'value'])} at {problems.noun} "
            f"{int(first.at[where[i], 'line'])})"))
    same = repeat & ~differs
    if same.any():
        notes.add(f"{int(same.sum()):,} identical duplicate readings dropped (first at {problems.noun} "
                  f"{int(frame['line'].to_numpy()[same].min())})")
    return frame[~repeat].reset_index(drop=True)


def _micros(times: pd.Series) -> np.ndarray:
    """UTC instants as µs since the epoch (int64)."""
    return times.dt.as_unit("us").array.asi8


def minutes(seconds: float) -> str:
    """A duration for messages: ``15 min``, ``2 h``, ``90 s``."""
    seconds = float(seconds)
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:g} min" if seconds % 60 == 0 else f"{seconds:g} s"


def intervals(frame: pd.DataFrame, problems: Problems, notes: Notes) -> dict[str, int]:
    """Each meter's interval (s): its most common step between the times of ``frame`` (line, meter, time; NaT
    dropped; empty values count, as a wide file's empty cell still marks a time of its meter's grid).

    A step that is not a whole number of intervals, or a run of :data:`RUN_OF_STEPS` equal longer steps, is a
    change of resolution: a problem at the line where the step changes. Other longer steps are gaps (a warning).
    """
    frame = frame.dropna(subset=["time"]).sort_values(["meter", "time", "line"], kind="stable")
    frame = frame.drop_duplicates(["meter", "time"]).reset_index(drop=True)
    found: dict[str, int] = {}
    gaps = missing = 0
    times = _micros(frame["time"])
    lines = frame["line"].to_numpy()
    for meter, rows in frame.groupby("meter", sort=False).indices.items():
        if rows.size < 2:
            problems.one(int(lines[rows[0]]), f"meter {meter!r} has one reading: its interval cannot be detected")
            continue
        steps = np.diff(times[rows])  # µs
        values, counts = np.unique(steps, return_counts=True)
        base = int(values[np.argmax(counts)])
        if base % 60_000_000 or not MIN_INTERVAL_S <= base / 1e6 <= MAX_INTERVAL_S:
            problems.one(int(lines[rows[1]]), f"meter {meter!r}: readings every {minutes(base / 1e6)}; an import "
                                              "takes 1 to 60 whole minutes")
            continue
        odd = steps != base
        change = np.r_[True, steps[1:] != steps[:-1]]
        run = np.cumsum(change)
        length = np.bincount(run)[run]
        mixed = (steps % base != 0) | (odd & (length >= RUN_OF_STEPS))
        if mixed.any():
            i = int(np.flatnonzero(mixed)[0])
            change = f"from {minutes(base / 1e6)} to {minutes(steps[i] / 1e6)}"
            problems.one(int(lines[rows[i + 1]]), f"meter {meter!r}: the step changes {change} (mixed intervals)")
            continue
        found[meter] = base // 1_000_000
        gaps += int(odd.sum())
        missing += int((steps[odd] // base - 1).sum())
    if gaps:
        notes.add(f"{gaps:,} gaps in the readings ({missing:,} intervals without a reading)")
    return found


def check_grid(frame: pd.DataFrame, interval_s: dict[str, int], noun: str, notes: Notes) -> None:
    """Warn when a meter's readings do not start on its interval's UTC grid (the aggregates bucket by UTC)."""
    times = _micros(frame["time"]) // 1_000_000
    step = frame["meter"].map(interval_s).to_numpy(dtype=np.int64)
    off = np.flatnonzero(times % step != 0)
    if off.size:
        i = off[np.argmin(frame["line"].to_numpy()[off])]
        notes.add(f"{off.size:,} readings are not on their interval's UTC grid (first at {noun} "
                  f"{int(frame.at[i, 'line'])}: {frame.at[i, 'time']:%Y-%m-%d %H:%M} UTC); the hourly and "
                  "15-minute aggregates put each in the bucket where it starts")
