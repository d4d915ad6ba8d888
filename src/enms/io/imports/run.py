"""`enms import`: a checked file into the warehouse, in one transaction, and what was written.

* meters → the factory (created when new), one machine per meter (created, or matched by name), the energy
  source row when missing, and ``energy_readings``: the file replaces what the warehouse held for each meter and
  energy type over the file's span [first reading, last reading + interval), so a re-import changes nothing.
* weather → ``environmental_data.outdoor_temp_c`` for every machine the factory has at the time (the EnMS keys
  the environment by machine): import the meters first, and the weather again after adding meters.
* production → ``production_data.production_count``; modes → ``production_data.operating_mode``. Each fills
  its own column of the row (machine, time) and leaves the other as it is; a new row gets NULL in the other,
  not the schema's default (which would claim an 'idle' mode or zero production).

Nothing is written when the file fails its checks or names a machine the factory lacks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from enms.io.imports.build import energy_rows, energy_source_id, factory_row, machine_rows, spans
from enms.io.imports.check import WEATHER_SERIES, Checked, Request, check
from enms.io.imports.validate import minutes
from enms.io.warehouse import Warehouse, connect
from enms.io.warehouse.connection import resolve_url
from enms.units import NATIVE_UNITS

_KEYS = ("machine_id", "time")
"""The EnMS's key of production_data and environmental_data."""
_UNRECORDED = ("production_count_good", "production_count_bad", "downtime_seconds")
"""production_data columns an import never knows: NULL in the rows it creates (their defaults say 0)."""


@dataclass
class Outcome:
    """What an import wrote: one line per table, and the warnings."""

    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def open_target(url: str, kind: str) -> Warehouse:
    """The warehouse an import writes: a DuckDB file is created for meters (with its folder); the other imports
    need the factory and its machines, so a missing file is an error saying so."""
    resolved = resolve_url(url)
    if not resolved.startswith(("postgresql://", "postgres://")):
        path = Path(resolved.removeprefix("duckdb:").removeprefix("//"))
        if kind != "meters" and not path.exists():
            raise ValueError(f"no warehouse at {path}: import the meters first (enms import meters …)")
        path.parent.mkdir(parents=True, exist_ok=True)
    return connect(resolved, create=kind == "meters")


def run(url: str, request: Request) -> Outcome:
    """Check ``request``'s file, then (only if it passes) open the warehouse at ``url`` (``env``:
    ENMS_DATABASE_URL), create what is missing of the EnMS schema and write the file (see the module docstring).
    """
    checked = check(request)
    outcome = Outcome(warnings=list(checked.notes.lines))
    write = {"meters": _meters, "weather": _weather, "production": _production, "modes": _production}
    with open_target(url, request.kind) as warehouse:
        warehouse.init_schema()
        write[request.kind](warehouse, checked, outcome)
    return outcome


def _factory(warehouse: Warehouse, name: str) -> pd.Series | None:
    factories = warehouse.read_factories()
    found = factories[factories["factory_name"] == name]
    return None if found.empty else found.iloc[0]


def _machines(warehouse: Warehouse, factory_uuid: str) -> pd.DataFrame:
    machines = warehouse.read_machines()
    return machines[machines["factory_id"] == factory_uuid].reset_index(drop=True)


def _span(frame: pd.DataFrame) -> str:
    """``[first, end) UTC, every …`` of readings (time, interval_s, meter)."""
    end = (frame["time"] + pd.to_timedelta(frame["interval_s"], unit="s")).max()
    steps = frame.groupby("meter")["interval_s"].first()
    every = minutes(steps.iloc[0])
    if steps.nunique() > 1:
        every = ", ".join(f"{minutes(step)} ({n} meter{'s' if n > 1 else ''})"
                          for step, n in sorted(steps.value_counts().items()))
    return f"[{frame['time'].min():%Y-%m-%d %H:%M}, {end:%Y-%m-%d %H:%M}) UTC, every {every}"


def _meters(warehouse: Warehouse, checked: Checked, outcome: Outcome) -> None:
    request, readings = checked.request, checked.readings
    stored = _factory(warehouse, request.factory)
    if stored is None:
        new_factory = factory_row(request.factory, request.tz, request.location)
        factory_uuid = str(new_factory.at[0, "id"])
    else:
        new_factory, factory_uuid = None, str(stored["factory_id"])
        if stored["timezone"] != request.tz:
            outcome.warnings.append(f"factory {request.factory!r} keeps its time zone {stored['timezone']}; the "
                                    f"file's naive timestamps were read in {request.tz}")
    machines = _machines(warehouse, factory_uuid)
    interval_s = readings.groupby("meter")["interval_s"].first().to_dict()
    new, changed, foreign = machine_rows(request.factory, factory_uuid, readings, interval_s, request.energy_type,
                                         request.machine_type, machines)
    ids = dict(zip(machines["machine_name"], machines["machine_id"], strict=True))
    ids.update(zip(new.get("name", []), new.get("id", []), strict=True))
    if foreign:
        outcome.warnings.append(f"meters {', '.join(map(repr, foreign))} matched machines the import did not "
                                "create: their type, rating and interval were left as they are")
    sources = warehouse.read_energy_sources()
    source = None
    if request.energy_type not in set(sources["name"]):
        source = pd.DataFrame([{"id": energy_source_id(request.energy_type), "name": request.energy_type,
                                "unit": NATIVE_UNITS[request.energy_type][0], "is_active": True}])
    rows = energy_rows(readings, ids, request.energy_type, checked.unit)
    with warehouse.transaction():
        if new_factory is not None:
            warehouse.write_frame("factories", new_factory)
        warehouse.write_frame("machines", new)
        warehouse.update_machines(changed)
        if source is not None:
            warehouse.write_frame("energy_sources", source)
        replaced = warehouse.delete_readings(spans(readings, ids, request.energy_type))
        warehouse.write_frame("energy_readings", rows)
    zone = request.tz if stored is None else stored["timezone"]
    outcome.lines.append(f"factories: {request.factory!r} {'found' if new_factory is None else 'created'} ({zone})")
    outcome.lines.append(f"machines: {len(new)} created, {len(changed)} updated, "
                         f"{len(interval_s) - len(new) - len(changed)} as they were")
    if source is not None:
        outcome.lines.append(f"energy_sources: {request.energy_type!r} added (unit {source.at[0, 'unit']}, "
                             "no cost or carbon factor)")
    outcome.lines.append(
        f"energy_readings: {len(rows):,} rows written ({replaced:,} replaced) for {len(interval_s)} "
        f"meter{'s' if len(interval_s) > 1 else ''} ({request.energy_type}, {checked.unit.label}), {_span(readings)}")


def _weather(warehouse: Warehouse, checked: Checked, outcome: Outcome) -> None:
    request, readings = checked.request, checked.readings
    machines = _factory_machines(warehouse, request.factory, "weather")
    times = readings["time"].reset_index(drop=True)
    rows = pd.DataFrame({
        "time": pd.concat([times] * len(machines), ignore_index=True),
        "machine_id": np.repeat(machines["machine_id"].to_numpy(dtype=object), len(times)),
        "outdoor_temp_c": np.tile(np.round(readings["value"].to_numpy(dtype=float), 2), len(machines)),
    })
    with warehouse.transaction():
        inserted, updated = warehouse.merge_series("environmental_data", rows, _KEYS)
    outcome.lines.append(
        f"environmental_data: {len(rows):,} rows written ({inserted:,} new, {updated:,} updated) of "
        f"{WEATHER_SERIES} for the factory's {len(machines)} machine{'s' if len(machines) > 1 else ''}, "
        f"{_span(readings)}")


def _factory_machines(warehouse: Warehouse, name: str, kind: str) -> pd.DataFrame:
    stored = _factory(warehouse, name)
    machines = pd.DataFrame() if stored is None else _machines(warehouse, str(stored["factory_id"]))
    if machines.empty:
        raise ValueError(f"the warehouse has no factory {name!r} with machines: import its meters first "
                         f"(enms import meters …), then the {kind}")
    return machines


def _production(warehouse: Warehouse, checked: Checked, outcome: Outcome) -> None:
    request, readings = checked.request, checked.readings
    machines = _factory_machines(warehouse, request.factory, request.kind)
    ids = dict(zip(machines["machine_name"], machines["machine_id"], strict=True))
    meters = sorted(readings["meter"].unique())
    if checked.defaulted and meters[0] not in ids and len(ids) == 1:
        only = next(iter(ids))
        outcome.warnings.append(f"the file names no meter: its {request.kind} are the factory's one machine, {only!r}")
        readings = readings.assign(meter=only)
        meters = [only]
    unknown = [m for m in meters if m not in ids]
    if unknown:
        raise ValueError(f"{request.path.name}: {', '.join(map(repr, unknown))} "
                         f"{'is no machine' if len(unknown) == 1 else 'are no machines'} of {request.factory!r} "
                         f"(its machines: {', '.join(sorted(ids))}); name one with --meter, --meter-col or --wide")
    column = "production_count" if request.kind == "production" else "operating_mode"
    other = "operating_mode" if request.kind == "production" else "production_count"
    values = readings["value"].to_numpy()
    rows = pd.DataFrame({
        "time": readings["time"].reset_index(drop=True),
        "machine_id": readings["meter"].map(ids).to_numpy(dtype=object),
        column: np.round(values).astype(np.int64) if request.kind == "production" else values.astype(object),
    })
    with warehouse.transaction():
        inserted, updated = warehouse.merge_series("production_data", rows, _KEYS,
                                                   nulls=(other, *_UNRECORDED))
    outcome.lines.append(
        f"production_data: {len(rows):,} rows of {column} written ({inserted:,} new, {updated:,} updated) for "
        f"{len(meters)} machine{'s' if len(meters) > 1 else ''}, {_span(readings)}")
