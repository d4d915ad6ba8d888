"""Checking an import file on its own, before the warehouse is opened: the readings it holds, in UTC, each meter
with its interval, or every problem found (:class:`~enms.io.imports.validate.ImportProblems`)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from enms.io.imports.build import Unit, column_limit, meter_unit, temperature_c
from enms.io.imports.files import Layout, long_form, read_table
from enms.io.imports.validate import (
    Notes,
    Problems,
    check_grid,
    drop_duplicates,
    intervals,
    note_empty,
    numbers,
    to_utc,
)
from enms.io.warehouse.schema import ENUMS

KINDS = ("meters", "weather", "production", "modes")
"""What a file holds: energy per meter, outdoor temperature of the site, production counts, operating modes."""
_VALUE_NAMES = {
    "meters": ("value", "energy", "kwh", "power"),
    "weather": ("value", "temperature", "temp", "outdoor_temp_c", "outdoor_temp"),
    "production": ("value", "count", "production_count", "production"),
    "modes": ("mode", "operating_mode", "value", "state"),
}
WEATHER_SERIES = "outdoor temperature"
"""The meter name of a weather file's one series (it belongs to the whole factory)."""
TEMPERATURE_RANGE_C = (-90.0, 60.0)
"""Outdoor temperatures an import accepts (°C): outside, the unit or the column is wrong."""


@dataclass(frozen=True)
class Request:
    """One `enms import` call. ``tz``: the zone of the file's naive timestamps (for meters, also the zone of a
    factory it creates); ``label``: whether a timestamp marks its interval's start or end."""

    kind: str
    path: Path
    factory: str
    tz: str
    unit: str | None = None
    layout: Layout = field(default_factory=Layout)
    label: str = "start"
    energy_type: str = "electricity"
    machine_type: str = "other"
    location: str | None = None
    timestamp_format: str | None = None


@dataclass
class Checked:
    """A file that passed its checks. ``readings``: meter, time (UTC, interval start), value, line, interval_s;
    meters add energy_kwh and power_kw, modes hold the mode as text. ``defaulted``: no meter named (the file
    stem is the meter)."""

    request: Request
    readings: pd.DataFrame
    notes: Notes
    unit: Unit | None
    defaulted: bool


def check(request: Request) -> Checked:
    """Read and check the file of ``request``; raises ImportProblems (row-level), ValueError (options) or
    FileNotFoundError. Touches no warehouse."""
    if request.kind not in KINDS:
        raise ValueError(f"unknown import {request.kind!r}: one of {', '.join(KINDS)}")
    try:
        zoneinfo.ZoneInfo(request.tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {request.tz!r}: an IANA name such as Europe/Berlin or "
                         "America/Los_Angeles (Etc/GMT-1 for UTC+1 all year)") from None
    if request.label not in ("start", "end"):
        raise ValueError(f"--label {request.label!r}: start or end")
    unit = meter_unit(request.unit or "", request.energy_type) if request.kind == "meters" else None
    if request.machine_type not in ENUMS["machine_type"]:
        raise ValueError(f"unknown machine type {request.machine_type!r}: one of {', '.join(ENUMS['machine_type'])}")
    if request.kind == "weather":
        temperature_c(np.zeros(0), request.unit or "")
    table = read_table(request.path)
    default = WEATHER_SERIES if request.kind == "weather" else request.path.stem
    readings, defaulted = long_form(table, request.layout, value_names=_VALUE_NAMES[request.kind],
                                    default_meter=default)
    problems, notes = Problems(table.noun), Notes()
    readings["time"] = to_utc(readings, request.tz, request.timestamp_format, problems, notes)
    lines = readings["line"].to_numpy()
    if request.kind == "modes":
        value, usable, empty = _modes(readings, problems)
        note_empty(empty, lines, table.noun, notes)
    else:
        value, empty = numbers(readings, table.decimal_comma, problems)
        note_empty(empty, lines, table.noun, notes)
        if request.kind == "weather":
            value = temperature_c(value, request.unit or "")
        usable = ~np.isnan(value) & _value_checks(request, unit, value, lines, problems)
    readings["value"] = value
    nameless = (readings["meter"] == "").to_numpy()
    problems.add(lines[nameless], lambda i: "the meter cell is empty")
    readings = readings[~nameless].reset_index(drop=True)
    usable = usable[~nameless]
    interval_s = intervals(readings, problems, notes)
    frame = readings[usable & readings["time"].notna().to_numpy()].reset_index(drop=True)
    show: Callable[[object], str] = str if request.kind == "modes" else (lambda v: f"{float(v):g}")
    frame = drop_duplicates(frame, problems, notes, show)
    frame = frame[frame["meter"].isin(list(interval_s))].reset_index(drop=True)
    frame["interval_s"] = frame["meter"].map(interval_s).astype(np.int64)
    if request.label == "end":
        frame["time"] = frame["time"] - pd.to_timedelta(frame["interval_s"], unit="s")
    check_grid(frame, interval_s, table.noun, notes)
    if unit is not None:
        frame["energy_kwh"] = unit.to_kwh(frame["value"].to_numpy(), frame["interval_s"].to_numpy())
        frame["power_kw"] = frame["energy_kwh"] * 3600.0 / frame["interval_s"]
        _limits(frame, unit, problems)
    problems.raise_if_any(request.path)
    columns = ["meter", "time", "value", "line", "interval_s", *(["energy_kwh", "power_kw"] if unit else [])]
    return Checked(request, frame[columns], notes, unit, defaulted)


def _modes(readings: pd.DataFrame, problems: Problems) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """The operating mode of each reading (lower case), where it is one, and where the cell is empty; an unknown
    spelling is a problem."""
    text = readings["raw"].astype(object).map(lambda v: "" if v is None or v != v else str(v).strip())
    mode = text.str.lower()
    known = mode.isin(ENUMS["operating_mode"]).to_numpy()
    wrong = np.flatnonzero(~known & (text != "").to_numpy())
    if wrong.size:
        expected = ", ".join(ENUMS["operating_mode"])
        problems.add(readings["line"].to_numpy()[wrong],
                     lambda i: f"unknown operating mode {text.iat[wrong[i]]!r} (expected one of {expected})")
    return mode, known, (text == "").to_numpy()


def _value_checks(request: Request, unit: Unit | None, value: np.ndarray, lines: np.ndarray,
                  problems: Problems) -> np.ndarray:
    """Row-level checks of numeric values by kind; returns the mask of values that pass (NaN passes)."""
    ok = np.ones(value.size, bool)
    with np.errstate(invalid="ignore"):
        if request.kind in ("meters", "production"):
            negative = np.flatnonzero(value < 0)
            what = f"{unit.quantity}" if unit else "production count"
            label = f" {unit.label}" if unit else ""
            problems.add(lines[negative], lambda i: f"negative {what} {value[negative[i]]:g}{label}")
            ok[negative] = False
        if request.kind == "production":
            fraction = np.flatnonzero((value >= 0) & (np.abs(value - np.round(value)) > 1e-9))
            problems.add(lines[fraction], lambda i: f"production count {value[fraction[i]]:g} is not a whole number")
            ok[fraction] = False
            big = np.flatnonzero(value >= 2**31)
            problems.add(lines[big], lambda i: f"production count {value[big[i]]:g} exceeds INTEGER")
            ok[big] = False
        if request.kind == "weather":
            low, high = TEMPERATURE_RANGE_C
            out = np.flatnonzero((value < low) | (value > high))
            hint = " (is the file in °F? pass --unit F)" if request.unit and request.unit.upper().endswith("C") else ""
            problems.add(lines[out], lambda i: f"outdoor temperature {value[out[i]]:.1f} °C is outside "
                                               f"{low:g} to {high:g} °C{hint}")
            ok[out] = False
    return ok


def _limits(frame: pd.DataFrame, unit: Unit, problems: Problems) -> None:
    """Energy and power that the EnMS's DECIMAL columns cannot hold are problems (never clipped)."""
    for column, unit_name in (("energy_kwh", "kWh"), ("power_kw", "kW")):
        limit = column_limit("energy_readings", column)
        over = np.flatnonzero(frame[column].to_numpy() >= limit)
        problems.add(frame["line"].to_numpy()[over], lambda i, c=column, u=unit_name, o=over, top=limit: (
            f"{frame.at[o[i], 'value']:g} {unit.label} is {frame.at[o[i], c]:,.0f} {u} per reading: "
            f"energy_readings.{c} holds less than {top:,.0f} {u}"))
