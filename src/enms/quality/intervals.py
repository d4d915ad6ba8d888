"""The reading interval of each machine: declared (``machines.data_interval_seconds``) and measured from its data.

A machine's meter may send less (or more) often than its row says: the EnMS's machines declare 1–30 s. Measured
= 3600 s ÷ the median ``total_readings`` of the machine's present hourly buckets (the typical hour: gaps do not
move a median), rounded to whole seconds as the schema stores them. Its first and last hours are left out (data
starting or ending inside an hour make them partial), so a machine with fewer than three hours of data has no
measured interval and keeps the declared one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from enms.frames import numeric, require_columns
from enms.quality.hours import machine_table
from enms.settings import INTERVAL_TOLERANCE

INTERVAL_COLUMNS = ("machine_id", "declared_interval_s", "measured_interval_s", "interval_s", "interval_note")
"""Columns of :func:`reading_intervals`."""


def reading_intervals(energy_hourly: pd.DataFrame, machines: pd.DataFrame, *,
                      tolerance: float = INTERVAL_TOLERANCE) -> pd.DataFrame:
    """Per machine of ``machines`` (in its order): ``declared_interval_s`` (``data_interval_seconds``),
    ``measured_interval_s`` (from ``energy_hourly``, NaN without readings), ``interval_s`` (the one the quality
    checks use: the measured one where it differs from the declared by more than ``tolerance``, relative, else
    the declared one; the measured one also where none is declared) and ``interval_note`` ('' where they
    agree). A machine with neither keeps NaN, which the checks refuse naming it."""
    require_columns(machines, ("data_interval_seconds",), "machines")
    m = machine_table(machines, ())
    require_columns(energy_hourly, ("bucket", "machine_id", "total_readings"), "energy_hourly")
    rows = pd.DataFrame({"machine_id": energy_hourly["machine_id"].astype(str).to_numpy(),
                         "bucket": energy_hourly["bucket"].to_numpy(),
                         "readings": numeric(energy_hourly, "total_readings")})
    rows = rows[rows["readings"] > 0]
    by_machine = rows.groupby("machine_id")["bucket"]
    inner = (rows["bucket"] > by_machine.transform("min")) & (rows["bucket"] < by_machine.transform("max"))
    typical = rows[inner].groupby("machine_id")["readings"].median()
    declared = pd.to_numeric(m["data_interval_seconds"], errors="coerce").to_numpy(dtype=float)
    declared = np.where(declared > 0, declared, np.nan)  # missing or invalid: the measured one, if any, serves
    measured = np.round(3600.0 / typical.reindex(m["machine_id"]).to_numpy(dtype=float))
    measured = np.where(measured < 1, 1.0, measured)  # NaN stays NaN: no readings, nothing measured
    differs = ~np.isnan(measured) & ~(np.abs(measured - declared) <= tolerance * declared)
    notes = [_note(d, s) if x else "" for d, s, x in zip(declared, measured, differs, strict=True)]
    return pd.DataFrame({"machine_id": m["machine_id"], "declared_interval_s": declared,
                         "measured_interval_s": measured, "interval_s": np.where(differs, measured, declared),
                         "interval_note": notes})


def _note(declared: float, measured: float) -> str:
    said = "no interval declared" if np.isnan(declared) else f"declared {declared:g} s"
    return f"{said}, data every {measured:g} s: completeness uses {measured:g} s"


def with_intervals(machines: pd.DataFrame, intervals: pd.DataFrame) -> pd.DataFrame:
    """``machines`` with ``data_interval_seconds`` replaced by the interval the checks use (``interval_s`` of
    :func:`reading_intervals`), so every count of expected readings follows the data."""
    used = intervals.set_index("machine_id")["interval_s"]
    return machines.assign(data_interval_seconds=machines["machine_id"].astype(str).map(used).to_numpy())
