"""The extract step: everything the analytics need from the warehouse, as frames (UTC, tz-aware)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from enms.frames import parse_metadata
from enms.io.products import save_frames
from enms.io.warehouse import Warehouse, connect
from enms.io.warehouse.connection import UnknownNameError
from enms.localtime import HOUR, baseline_end_utc, parse_utc
from enms.units import canonical_energy_types


def parse_names(text: str | list[str] | None) -> list[str] | None:
    """A parameter of names: comma-separated text or a list; empty means all (None)."""
    if isinstance(text, list):
        return text or None
    names = [name.strip() for name in (text or "").split(",") if name.strip()]
    return names or None


def select_machines(machines: pd.DataFrame, names: list[str] | None = None,
                    factories: list[str] | None = None) -> pd.DataFrame:
    """Machines of the named factories and/or with the given names; an unknown name is an error naming it."""
    selected = machines
    if factories:
        _require_known(factories, machines["factory_name"], "factory")
        selected = selected[selected["factory_name"].isin(factories)]
    if names:
        _require_known(names, machines["machine_name"], "machine")
        selected = selected[selected["machine_name"].isin(names)]
        if selected.empty:
            raise UnknownNameError(f"no machine named {names} in factories {factories}")
    return selected.reset_index(drop=True)


def _require_known(asked: list[str], known: pd.Series, kind: str) -> None:
    unknown = sorted(set(asked) - set(known))
    if unknown:
        raise UnknownNameError(
            f"unknown {kind} {', '.join(repr(u) for u in unknown)}; known: {', '.join(sorted(set(known)))}"
        )


LOCAL_DATE_LEAD = pd.Timedelta(hours=13)
"""A local date D is recorded as D 00:00 − 13 h (UTC), whose local midnight at or after is D's in every zone from
UTC−10 to UTC+13; the steps read the date itself (``baseline_start_date``, ``baseline_end_date``), exact in all."""


def local_date_bound(text: str) -> pd.Timestamp:
    """A local date YYYY-MM-DD as the UTC instant the window records for it (see :data:`LOCAL_DATE_LEAD`)."""
    try:
        day = pd.Timestamp(date.fromisoformat(str(text).strip()))
    except ValueError:
        raise ValueError(f"baseline date {text!r} is not a local date YYYY-MM-DD") from None
    return day.tz_localize("UTC") - LOCAL_DATE_LEAD


def analysis_window(first: pd.Timestamp, end: pd.Timestamp, start: str | None = None,
                    stop: str | None = None, *, now: pd.Timestamp | None = None, baseline_start: str | None = None,
                    baseline_end: str | None = None) -> dict[str, pd.Timestamp]:
    """The extract window [start, end) in UTC (default: all data) and its baseline period (default: the first 12
    months; ``baseline_start`` / ``baseline_end``: local dates YYYY-MM-DD, the end exclusive, 12 months after the
    start when only the start is given). Given dates are recorded with :func:`local_date_bound`, and as text in
    ``baseline_start_date`` / ``baseline_end_date`` ('' when not given): every step starts and ends the baseline
    at their local midnights (:func:`enms.localtime.baseline_begin`, :func:`enms.localtime.baseline_boundary`).

    Both bounds land on whole UTC hours, whatever the reading interval: the start is floored and the end ceiled
    to the hour (data ending at the last reading + its interval, 12:35:00, give an end of 13:00, and the last
    hour is an incomplete hour the quality step reports as such). User-given bounds are rounded the same way.
    With ``now`` (UTC) the end is at most the start of the current hour: readings timestamped in the future
    (a meter's clock, a bad import) are left out, and so is the hour still in progress.
    """
    window_start = max(first, parse_utc(start)) if start else first
    window_end = min(end, parse_utc(stop)) if stop else end
    window_start, window_end = window_start.floor(HOUR), window_end.ceil(HOUR)
    current_hour = None if now is None else parse_utc(now).floor(HOUR)
    if current_hour is not None and current_hour < window_end:
        window_end = current_hour
        if window_end <= window_start:
            raise ValueError(f"empty window: every reading from {window_start} on is in the future (now is "
                             f"{parse_utc(now)}); check the meters' clocks or give an earlier start")
    if window_end <= window_start:
        raise ValueError(f"empty window: start {window_start} is not before end {window_end}")
    first_day = local_date_bound(baseline_start) if baseline_start else window_start
    last_day = (min(local_date_bound(baseline_end), window_end) if baseline_end
                else baseline_end_utc(first_day, window_end))
    if last_day <= max(first_day, window_start):
        raise ValueError(f"empty baseline period: {baseline_start or 'the data start'} to {baseline_end or 'its end'}"
                         f" holds no data of the window [{window_start}, {window_end})")
    return {"start": window_start, "end": window_end, "baseline_start": first_day, "baseline_end": last_day,
            "baseline_start_date": str(baseline_start or "").strip(),
            "baseline_end_date": str(baseline_end or "").strip() if baseline_end and last_day < window_end else ""}


def extract(warehouse: Warehouse, start: str | None = None, end: str | None = None,
            machines: str | list[str] | None = None,
            factories: str | list[str] | None = None, *, now: pd.Timestamp | None = None,
            baseline_start: str | None = None, baseline_end: str | None = None) -> dict[str, pd.DataFrame]:
    """Read dimensions, hourly and 15-minute energy per machine and energy type, production, environment,
    the hourly operating mode, the EnMS's SEUs, baseline adjustments and energy targets, and (on the demo plant)
    the simulator's truth, for [start, end) UTC.

    The window ends at the start of the current hour (``now``, default the current time, UTC) at the latest;
    the window frame's ``future_readings`` counts the selected machines' energy readings after ``now``, left
    out. Energy ``total_readings`` count non-NULL energy readings only."""
    warehouse.require_schema()
    now = pd.Timestamp.now(tz="UTC") if now is None else parse_utc(now)
    selected = select_machines(warehouse.read_machines(), parse_names(machines), parse_names(factories))
    ids = selected["machine_id"].tolist()
    window = analysis_window(*warehouse.data_range(before=now), start, end, now=now,
                             baseline_start=baseline_start, baseline_end=baseline_end)
    window["future_readings"] = warehouse.count_readings_after(now, ids)
    span = (window["start"], window["end"])
    energy_hourly = _canonical(warehouse.read_energy("1 hour", *span, ids))
    selected["energy_types"] = _energy_types(selected, energy_hourly)
    frames = {
        "factories": warehouse.read_factories(),
        "machines": selected.drop(columns="metadata"),
        "energy_sources": warehouse.read_energy_sources(),
        "tariffs": warehouse.read_tariffs(),
        "carbon_factors": warehouse.read_carbon_factors(),
        "machine_status": warehouse.read_machine_status().query("machine_id in @ids").reset_index(drop=True),
        "energy_hourly": energy_hourly,
        "energy_15min": _canonical(warehouse.read_energy("15 minutes", *span, ids)),
        "production_hourly": warehouse.read_production_hourly(*span, ids),
        "environment_hourly": warehouse.read_environment_hourly(*span, ids),
        "mode_hourly": warehouse.read_mode_hourly(*span, ids),
        "window": pd.DataFrame([window]),
    }
    for table in ("fault_truth", "efficiency_measures", "outage_truth", "drift_truth"):
        truth = warehouse.read_truth(table)
        frames[table] = truth[truth["machine_id"].isin(ids)].reset_index(drop=True) if not truth.empty else truth
    frames.update(_iso50001(warehouse, ids, set(selected["factory_id"])))
    return frames


def _iso50001(warehouse: Warehouse, ids: list[str], factory_ids: set[str]) -> dict[str, pd.DataFrame]:
    """The EnMS's SEUs with one of the selected machines or more, their baseline adjustments, and the targets of
    those SEUs or of the selected machines' factories (frames with their columns, empty on an older EnMS)."""
    seus = warehouse.read_seus()
    selected = set(ids)
    chosen = seus["machine_ids"].map(lambda machines: bool(selected & set(machines))).astype(bool)
    seus = seus[chosen].reset_index(drop=True)
    adjustments = warehouse.read_baseline_adjustments()
    targets = warehouse.read_energy_targets()
    ours = targets["seu_id"].isin(seus["id"]) | targets["factory_id"].isin(factory_ids)
    return {"seus": seus,
            "baseline_adjustments": adjustments[adjustments["seu_id"].isin(seus["id"])].reset_index(drop=True),
            "energy_targets": targets[ours].reset_index(drop=True)}


def _canonical(energy: pd.DataFrame) -> pd.DataFrame:
    """Energy rows with the EnMS's other spellings of electricity ('energy', 'electrical') read as electricity
    (the SQL read paths map them too; this keeps every step's input canonical whatever the view returns)."""
    return energy.assign(energy_type=canonical_energy_types(energy["energy_type"]))


def _energy_types(machines: pd.DataFrame, energy_hourly: pd.DataFrame) -> pd.Series:
    """Energy types per machine: declared in its metadata (the demo plant), else those seen in the data."""
    seen = energy_hourly.groupby("machine_id")["energy_type"].unique()

    def types_of(row: pd.Series) -> list[str]:
        declared = parse_metadata(row["metadata"]).get("energy_types")
        if declared:
            return sorted(set(canonical_energy_types(pd.Series(list(declared), dtype=object))))
        found = seen.get(row["machine_id"])
        return sorted(found) if found is not None else ["electricity"]

    return machines.apply(types_of, axis=1)


def run(warehouse: str, out: Path | str, start: str | None = None, end: str | None = None,
        machines: str | list[str] | None = None, factories: str | list[str] | None = None, *,
        now: pd.Timestamp | None = None, baseline_start: str | None = None,
        baseline_end: str | None = None) -> dict[str, pd.DataFrame]:
    """The extract step: open the warehouse named by ``warehouse`` read-only, :func:`extract` [start, end) UTC of
    the named machines and factories (empty: all) up to ``now`` (default the current time), with the baseline
    period of ``baseline_start`` / ``baseline_end`` (local dates; empty: the first 12 months), and save every
    frame as ``out/<name>.parquet``."""
    with connect(warehouse, read_only=True) as source:
        frames = extract(source, start, end, machines, factories, now=now, baseline_start=baseline_start or None,
                         baseline_end=baseline_end or None)
    save_frames(frames, out)
    return frames
