"""Reading an import file (CSV or Parquet) and putting it in long form: one row per reading, with its line.

CSV is read as text (every cell a string, nothing guessed), so the checks can quote a bad cell as it was
written; lines are counted as a text editor does (the header is line 1, blank lines count). A quoted cell that
spans lines shifts the numbers after it. Parquet rows are numbered from 1 and keep their types (a timestamp
column stays one).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

TIMESTAMP_NAMES = ("timestamp", "time", "datetime", "date", "ts")
"""Column names taken as the timestamp when ``--timestamp-col`` is not given (case-insensitive), in this order;
failing all, the first column."""
METER_NAMES = ("meter", "meter_id", "meter_name")
"""Column names taken as the meter of a long file when no meter option is given."""
_DELIMITERS = (",", ";", "\t")


class FileLayoutError(ValueError):
    """The file cannot be read as the options describe (missing column, unknown format, empty)."""


@dataclass(frozen=True)
class Table:
    """A file as read: its cells, and the line (CSV) or row (Parquet) each row came from."""

    path: Path
    frame: pd.DataFrame
    lines: np.ndarray
    noun: str  # how a message names a position: "line" (CSV) or "row" (Parquet)
    decimal_comma: bool  # a ';'-separated CSV writes 1,5 for 1.5


@dataclass(frozen=True)
class Layout:
    """Where the readings are in a file: the user's column options (None = found by name)."""

    timestamp_col: str | None = None
    value_col: str | None = None
    meter: str | None = None  # the whole file is this one meter
    meter_col: str | None = None  # long: a column names the meter of each row
    wide: bool = False  # one column per meter


def read_table(path: Path) -> Table:
    """Read a ``.csv`` (``,`` ``;`` or tab separated, UTF-8 with or without BOM) or ``.parquet`` file."""
    if not path.is_file():
        raise FileNotFoundError(f"no file {path}")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        frame = pd.read_parquet(path)
        frame.columns = [str(c).strip() for c in frame.columns]
        return Table(path, frame.reset_index(drop=True), np.arange(1, len(frame) + 1), "row", False)
    if suffix not in (".csv", ".txt", ".tsv"):
        raise FileLayoutError(f"{path.name}: not a .csv or .parquet file")
    with path.open(encoding="utf-8-sig") as handle:
        header = handle.readline()
    delimiter = max(_DELIMITERS, key=header.count)
    frame = pd.read_csv(path, sep=delimiter, dtype=str, keep_default_na=False, skip_blank_lines=False,
                        encoding="utf-8-sig")
    frame.columns = [str(c).strip() for c in frame.columns]
    lines = np.arange(2, len(frame) + 2)
    filled = (frame != "").any(axis=1).to_numpy() if len(frame.columns) else np.zeros(len(frame), bool)
    return Table(path, frame[filled].reset_index(drop=True), lines[filled], "line", delimiter == ";")


def _find(table: Table, wanted: str | None, names: tuple[str, ...], what: str, option: str) -> str | None:
    """The column ``wanted`` (an error if absent), else the first of ``names`` present (case-insensitive)."""
    columns = list(table.frame.columns)
    if wanted is not None:
        if wanted not in columns:
            raise FileLayoutError(f"{table.path.name} has no {what} column {wanted!r} ({option}); its columns: "
                                  f"{', '.join(columns)}")
        return wanted
    lowered = {c.lower(): c for c in columns}
    return next((lowered[n] for n in names if n in lowered), None)


def long_form(table: Table, layout: Layout, *, value_names: tuple[str, ...],
              default_meter: str) -> tuple[pd.DataFrame, bool]:
    """The readings of ``table`` in long form: ``line``, ``stamp`` (the timestamp cell as read), ``meter`` (str)
    and ``raw`` (the value cell as read), in file order (a wide file: meter by meter, each in file order); and
    whether the meter is ``default_meter`` because the file and the options name none.

    ``value_names``: the value column's likely names (when ``layout.value_col`` is not given, else the only
    column left).
    """
    if table.frame.empty:
        raise FileLayoutError(f"{table.path.name} holds no readings")
    frame = table.frame
    stamp = _find(table, layout.timestamp_col, TIMESTAMP_NAMES, "timestamp", "--timestamp-col") or frame.columns[0]
    if layout.wide:
        meters = [c for c in frame.columns if c != stamp]
        if not meters:
            raise FileLayoutError(f"{table.path.name} has no meter columns beside {stamp!r} (--wide)")
        n = len(frame)
        return pd.DataFrame({
            "line": np.tile(table.lines, len(meters)),
            "stamp": pd.concat([frame[stamp]] * len(meters), ignore_index=True),
            "meter": np.repeat(np.array(meters, dtype=object), n),
            "raw": pd.concat([frame[m] for m in meters], ignore_index=True),
        }), False
    meter_col = None
    if layout.meter is None:
        meter_col = _find(table, layout.meter_col, METER_NAMES, "meter", "--meter-col")
    taken = {stamp, meter_col}
    value = _find(table, layout.value_col, value_names, "value", "--value-col")
    if value is None:
        rest = [c for c in frame.columns if c not in taken]
        if len(rest) != 1:
            raise FileLayoutError(
                f"{table.path.name}: which column holds the values? pass --value-col (columns: "
                f"{', '.join(frame.columns)}; several meters in columns: --wide)")
        value = rest[0]
    if meter_col is not None:
        meter = frame[meter_col].astype(str).str.strip().to_numpy(dtype=object)
    else:
        meter = np.full(len(frame), layout.meter or default_meter, dtype=object)
    readings = pd.DataFrame({"line": table.lines, "stamp": frame[stamp].reset_index(drop=True), "meter": meter,
                             "raw": frame[value].reset_index(drop=True)})
    return readings, meter_col is None and layout.meter is None
