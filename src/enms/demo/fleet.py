"""A fleet of simulated metered machines to benchmark on (`enms demo --fleet N`): the demo plant's machine types
over many factories and time zones, with the demo's tables, truth and simulation (`simulate_machine`).

- ``max(2, ceil(N / 100))`` factories (`enms.demo.fleet_plant`), each modelled on a seed factory (a US plant on
  Los Angeles: two shifts and some Saturdays, USD time-of-use tariffs; any other on Berlin: three shifts, a flat
  EUR tariff) with its own zone, country (public holidays), climate and random streams;
- N machines, the eight seed machines as prototypes, rated power x [0.6, 1.8]; hourly readings, every 4th
  machine (machine index % 4 == 3) every 15 minutes;
- per machine 2-3 faults of its type's kinds in the hand-made plan, one in the baseline period and the rest
  after it (all before it on a machine with a measure); per factory one efficiency measure on its first
  compressor (10-20 % from the first local midnight after the baseline period); communication outages on
  every 3rd machine. No drift, and none of the demo's ISO 50001 seed rows (SEUs, targets, adjustments).
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from enms.demo.config import DemoConfig, Grid, config_grid
from enms.demo.factory import Context, factory_context
from enms.demo.fleet_plant import (
    FleetFactory,
    fleet_carbon_factors,
    fleet_factories,
    fleet_machines,
    fleet_tariffs,
)
from enms.demo.machine import simulate_machine
from enms.demo.plan import (
    DemoPlan,
    FaultRow,
    PlannedMeasure,
    fault_catalogue,
    plan_machine,
)
from enms.demo.plant import Machine
from enms.demo.tables import closing_frames, dimension_frames, machine_frames
from enms.localtime import local_midnight

HOURLY, QUARTER_HOURLY = "1h", "15min"
TIME_SERIES = ("energy_readings", "production_data", "environmental_data")
_FAULT_STREAM = 4  # SeedSequence([seed, machine_index, 4]): which faults a machine gets and when
_MEASURE = ("Leak repair and pressure setpoint reduction",
            "Compressed-air leaks repaired and the pressure setpoint lowered from 7.0 to 6.5 bar")


@dataclass(frozen=True)
class FleetConfig:
    """What to simulate: ``n_machines`` over [end - days, end) UTC; the baseline period is the first
    ``baseline_days`` days (at most 12/13 of the period, so a short fleet keeps a reporting period)."""

    n_machines: int
    seed: int = 7
    days: int = 395
    end: pd.Timestamp = DemoConfig.end
    baseline_days: int = 365

    @property
    def baseline(self) -> int:
        """Days of the baseline period actually used (UTC days from the start)."""
        return min(self.baseline_days, self.days - self.days // 13)


def resolution(index: int) -> str:
    """The reading interval of fleet machine ``index``: 15 minutes for every 4th, else hourly."""
    return QUARTER_HOURLY if index % 4 == 3 else HOURLY


def _grid(config: FleetConfig, step: str) -> Grid:
    return config_grid(DemoConfig(days=config.days, seed=config.seed, resolution=step, end=config.end))


def _fault_rows(m: Machine, config: FleetConfig, rng: np.random.Generator,
                catalogue: dict[str, tuple[tuple[str, float, float], ...]], measured: bool) -> tuple[FaultRow, ...]:
    """2-3 faults of the machine type's kinds as plan rows (day of 400): one in the baseline period and the rest
    in the reporting period, or all in the baseline period on a measured machine (its measure stays clean)."""
    kinds = catalogue[m.type]
    count = 2 + int(rng.random() < 0.5)
    picks = [kinds[i % len(kinds)] for i in rng.permutation(max(count, len(kinds)))[:count]]
    days, base = config.days, config.baseline
    after = 0 if measured else count - 1
    slots: list[tuple[float, float]] = []  # (start day, longest duration h), UTC days from the start
    width = 0.85 * base / (count - after)
    for i in range(count - after):
        slots.append((0.05 * base + (i + 0.5 * rng.random()) * width, 0.45 * width * 24))
    if after:  # clear of the baseline's end, a local midnight up to a day after `base`
        width = (days - base - 1.5) / after
        for i in range(after):
            slots.append((base + 1.5 + (i + 0.3 * rng.random()) * width, 0.6 * width * 24))
    rows = []
    for (fault_type, hours, size), (day, longest) in zip(picks, slots, strict=True):
        # left_running: its duration is the idle stretch it needs (a night or a weekend), kept as it is
        duration = hours if fault_type == "left_running" else min(hours, longest)
        rows.append((m.name, fault_type, day * 400 / days, duration, size))
    return tuple(rows)


def _plan(g: int, m: Machine, ff: FleetFactory, ctx: Context, config: FleetConfig, measure_id: int | None,
          catalogue: dict[str, tuple[tuple[str, float, float], ...]]) -> DemoPlan:
    """Machine ``g``'s faults, measure (``measure_id`` None: none) and outages on its grid."""
    grid = ctx.grid
    baseline_end = local_midnight(grid.start + pd.Timedelta(days=config.baseline), ff.factory.timezone)
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, g, _FAULT_STREAM]))
    measures: list[PlannedMeasure] = []
    limit = grid.n
    if measure_id is not None and baseline_end < grid.end:
        saving = round(0.10 + 0.10 * float(rng.random()), 3)
        measures.append(PlannedMeasure(measure_id, m.name, "electricity", *_MEASURE, baseline_end, saving))
        limit = grid.index(baseline_end)
    rows = _fault_rows(m, config, rng, catalogue, bool(measures))
    jitter = np.random.default_rng(np.random.SeedSequence([config.seed, g, 1]))  # the demo plan's stream
    faults, outages = plan_machine(m, grid, ctx.cal, jitter, limit, rows, first_id=10 * g + 1, outages=g % 3 == 1)
    return DemoPlan(grid.start, grid.end, baseline_end, tuple(faults), tuple(measures), tuple(outages), ())


def simulate_fleet(config: FleetConfig, progress: bool = True) -> Iterator[tuple[str, pd.DataFrame]]:
    """Yield (table_name, frame) chunks in the load order of `enms.demo.simulate`: the dimension tables, per
    machine its energy_readings (one chunk per energy type), production_data and environmental_data, then
    machine_status and the truth tables. Times UTC, power kW, energy kWh, as the demo's. With ``progress`` a
    line per tenth of the machines (done, seconds) goes to stderr."""
    if config.n_machines < 1:
        raise ValueError(f"n_machines must be >= 1, got {config.n_machines}")
    started = time.perf_counter()
    factories = fleet_factories(config.n_machines)
    machines = fleet_machines(config.n_machines, factories, config.seed)
    steps = {m.id: int(pd.Timedelta(resolution(g)).total_seconds()) for g, m in enumerate(machines)}
    yield from dimension_frames(list(enumerate(machines)), steps, factories=[ff.factory for ff in factories],
                                tariffs=fleet_tariffs(factories), carbon_factors=fleet_carbon_factors(factories))
    by_name = {ff.factory.name: (k, ff) for k, ff in enumerate(factories)}
    grids = {step: _grid(config, step) for step in (HOURLY, QUARTER_HOURLY)}
    catalogue = fault_catalogue()
    statuses: list[dict] = []
    fault_rows: list[dict] = []
    measure_rows: list[dict] = []
    outages: list[tuple[str, pd.Timestamp, pd.Timestamp]] = []
    contexts: dict[str, Context] = {}
    measured: set[str] = set()
    tenth = max(1, len(machines) // 10)
    for g, m in enumerate(machines):
        k, ff = by_name[m.factory]
        step = resolution(g)
        if step not in contexts or contexts[step].factory.name != m.factory:
            contexts = {s: c for s, c in contexts.items() if c.factory.name == m.factory}  # free the last factory's
            contexts[step] = factory_context(ff.factory, grids[step], config.seed, ff.site)
        first_compressor = m.type == "compressor" and m.factory not in measured
        if first_compressor:
            measured.add(m.factory)
        plan = _plan(g, m, ff, contexts[step], config, k + 1 if first_compressor else None, catalogue)
        run = simulate_machine(g, m, contexts[step], plan, config.seed, True)
        yield from machine_frames(run)
        statuses.append(run.status)
        fault_rows += run.fault_rows
        measure_rows += run.measure_rows
        outages += [(m.id, o.start, o.end) for o in plan.outages]
        run = None
        if progress and ((g + 1) % tenth == 0 or g + 1 == len(machines)):
            print(f"  fleet: {g + 1:,}/{len(machines):,} machines simulated, {time.perf_counter() - started:.1f} s",
                  file=sys.stderr, flush=True)
    yield from closing_frames(statuses, fault_rows, measure_rows, outages, [])


def batched(chunks: Iterable[tuple[str, pd.DataFrame]], rows: int = 1_000_000) -> Iterator[tuple[str, pd.DataFrame]]:
    """The same rows in fewer, larger chunks: a time-series table's chunks are joined until they hold ``rows``
    rows (all pending ones before any other table's chunk, so the load order stays valid). A DuckDB load commits
    per chunk, and a commit costs about as much as inserting some 100,000 rows."""
    pending: dict[str, list[pd.DataFrame]] = {t: [] for t in TIME_SERIES}
    counts = dict.fromkeys(TIME_SERIES, 0)

    def flush(table: str) -> Iterator[tuple[str, pd.DataFrame]]:
        if pending[table]:
            yield table, pd.concat(pending[table], ignore_index=True)
            pending[table], counts[table] = [], 0

    for table, frame in chunks:
        if table not in pending:
            for t in TIME_SERIES:
                yield from flush(t)
            yield table, frame
            continue
        pending[table].append(frame)
        counts[table] += len(frame)
        if counts[table] >= rows:
            yield from flush(table)
    for t in TIME_SERIES:
        yield from flush(t)


def prefetched(chunks: Iterable[tuple[str, pd.DataFrame]], depth: int = 3) -> Iterator[tuple[str, pd.DataFrame]]:
    """``chunks``, made in a background thread up to ``depth`` ahead, so the simulation runs while the
    warehouse inserts (both release the GIL for much of their work). An error in the thread is raised here."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def put(item: object) -> bool:
        """Queue ``item`` unless the consumer has stopped (then False)."""
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for chunk in chunks:
                if not put(chunk):
                    return
            put(done)
        except BaseException as error:  # handed to the consumer, raised there
            put(error)

    worker = threading.Thread(target=produce, name="fleet-simulator", daemon=True)
    worker.start()
    try:
        while (item := ready.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()
