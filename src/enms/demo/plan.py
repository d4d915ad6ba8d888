"""The truth decided before any time series is drawn: the faults, the efficiency measure, the permanent
change of behaviour (drift) and the outages.

The fault plan (`demo_plan`) is hand-made for 400 days: 25 faults of 9 types, a third in the first nine
months, the rest in the last three (nine of them after the measure), none on Compressor-1 after its
measure, none overlapping another fault of the same machine or an outage. It is scaled to the configured
period: positions scale with it, durations are capped at 9 % of it, and a short period gets at most one
fault per 12 days per machine. Periods under ~60 days therefore get fewer faults (under 12 days none),
never an error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from enms.demo import plant
from enms.demo.config import DemoConfig, Grid, config_grid, selected_machines
from enms.demo.factory import Calendar, factory_calendar
from enms.demo.plant import Machine
from enms.localtime import local_midnight

FAULT_TYPES = ("air_leak", "fouling", "bearing_wear", "refrigerant_leak", "heater_fault", "seal_leak",
               "overload", "left_running", "slow_drift")


@dataclass(frozen=True)
class PlannedFault:
    """An injected fault: [start, end) UTC; ``size`` = fractional power change at full effect."""

    fault_id: int
    machine: str
    fault_type: str
    energy_type: str
    start: pd.Timestamp
    end: pd.Timestamp
    size: float
    description: str
    expected_effect: str


@dataclass(frozen=True)
class PlannedMeasure:
    """An efficiency measure from ``start`` (UTC) to the end of data, saving ``design_saving_fraction``."""

    measure_id: int
    machine: str
    energy_type: str
    name: str
    description: str
    start: pd.Timestamp
    design_saving_fraction: float


@dataclass(frozen=True)
class PlannedDrift:
    """A permanent change of a machine's behaviour from ``start`` (UTC) to the end of data: its power is no
    longer the same function of its drivers (a profile change, not just a level), so its baseline stops fitting.
    """

    drift_id: int
    machine: str
    energy_type: str
    start: pd.Timestamp
    description: str
    expected_effect: str


@dataclass(frozen=True)
class PlannedOutage:
    """A communication outage: no rows in any time-series table for [start, end) UTC."""

    machine: str
    start: pd.Timestamp
    end: pd.Timestamp


@dataclass(frozen=True)
class DemoPlan:
    """The truth decided before any time series is drawn (for the selected machines)."""

    start: pd.Timestamp
    end: pd.Timestamp
    baseline_end: pd.Timestamp  # start of the reporting period = start of the measure (UTC)
    faults: tuple[PlannedFault, ...]
    measures: tuple[PlannedMeasure, ...]
    outages: tuple[PlannedOutage, ...]
    drifts: tuple[PlannedDrift, ...]


# Hand-planned faults for a 400-day period: (machine, type, day of 400, duration h, size).
# For left_running the duration is the minimum idle stretch it must span (6 h = a night, 30 h = a weekend).
_FAULT_PLAN: tuple[tuple[str, str, float, float, float], ...] = (
    ("Compressor-1", "air_leak", 40, 14 * 24, 0.25),
    ("Injection-Molding-1", "heater_fault", 75, 72, 0.30),
    ("HVAC-EU-North", "left_running", 110, 30, 0.0),
    ("Hydraulic-Pump-1", "seal_leak", 150, 9 * 24, 0.22),
    ("Conveyor-A", "bearing_wear", 180, 21 * 24, 0.18),
    ("Boiler-1", "fouling", 200, 28 * 24, 0.15),
    ("Compressor-EU-1", "slow_drift", 215, 35 * 24, 0.15),
    ("HVAC-Main", "refrigerant_leak", 270, 12 * 24, 0.28),
    # the last three months: the detectors' evaluation window
    ("HVAC-EU-North", "fouling", 300, 21 * 24, 0.15),
    ("Conveyor-A", "overload", 305, 5, 0.45),
    ("HVAC-Main", "left_running", 315, 30, 0.0),
    ("Boiler-1", "slow_drift", 320, 30 * 24, 0.12),
    ("Injection-Molding-1", "left_running", 330, 6, 0.0),
    ("Compressor-EU-1", "air_leak", 335, 10 * 24, 0.30),
    ("Hydraulic-Pump-1", "bearing_wear", 340, 18 * 24, 0.15),
    ("Compressor-1", "left_running", 350, 30, 0.0),
    ("Conveyor-A", "overload", 368, 3, 0.55),
    ("HVAC-Main", "refrigerant_leak", 370, 14 * 24, 0.25),
    ("Injection-Molding-1", "heater_fault", 372, 48, 0.35),
    ("HVAC-EU-North", "refrigerant_leak", 375, 8 * 24, 0.30),
    ("Boiler-1", "fouling", 378, 10 * 24, 0.18),
    ("Injection-Molding-1", "slow_drift", 380, 16 * 24, 0.15),
    ("Hydraulic-Pump-1", "seal_leak", 382, 6 * 24, 0.20),
    ("Compressor-EU-1", "left_running", 386, 30, 0.0),
    ("Conveyor-A", "left_running", 391, 6, 0.0),
)
_SIZE_RANGE = {"air_leak": (0.15, 0.40), "fouling": (0.10, 0.20), "bearing_wear": (0.10, 0.25),
               "refrigerant_leak": (0.20, 0.35), "heater_fault": (0.20, 0.40), "seal_leak": (0.15, 0.30),
               "overload": (0.30, 0.60), "left_running": (0.0, 0.0), "slow_drift": (0.10, 0.20)}
_DESCRIPTION = {
    "air_leak": "Compressed-air leak in the distribution network",
    "fouling": "Fouled heat-exchange surface",
    "bearing_wear": "Bearing wear: friction and vibration rising",
    "refrigerant_leak": "Refrigerant leak: undercharged circuit",
    "heater_fault": "Barrel heater band contactor stuck on",
    "seal_leak": "Internal seal leak: the pump recirculates oil",
    "overload": "Mechanical overload (jam, misaligned belt)",
    "left_running": "Left running outside production hours",
    "slow_drift": "Slow efficiency drift (wear, control drift)",
}
FINAL_MAINTENANCE_H = {"Hydraulic-Pump-1": 6.0}  # so machine_status shows a machine in maintenance
# Compressor-EU-1's load/unload control replaced by a VSD at the start of the reporting period and never
# re-commissioned (enms.demo.machine): idle, it turns at minimum speed, rated x (0.05 + 0.5 x air demand), far
# below the load/unload unloaded power; running, its pressure band set wrong, it holds a high fixed speed and
# blows off the surplus, rated x (0.80 + 0.05 x demand): power no longer follows the air demand.
DRIFT_MACHINE = "Compressor-EU-1"
VSD_IDLE = (0.05, 0.5)
VSD_RUNNING = (0.80, 0.05)
_DRIFT = ("VSD retrofit never re-commissioned: load/unload control replaced by a variable-speed drive whose "
          "pressure band was never set",
          "permanent profile change: idle ~0.13 x rated instead of ~0.39 x; running ~0.81-0.84 x rated whatever "
          "the air demand (was 0.28 + 0.70 x demand): power no longer follows the line, the baseline no longer "
          "fits (drift)")
_MEASURE = ("Compressor-1", "Leak repair and pressure setpoint reduction",
            "Compressed-air leaks repaired and the pressure setpoint lowered from 7.0 to 6.5 bar", 0.12)


def _effect_text(fault_type: str, machine: Machine, energy_type: str, size: float) -> str:
    pct = f"+{100 * size:.0f} %"
    return {
        "air_leak": f"{pct} compressor power while running or idle, nights and weekends too",
        "fouling": (f"{pct} natural gas for the same steam (efficiency down)" if energy_type == "natural_gas"
                    else f"{pct} HVAC power while on, COP down"),
        "bearing_wear": f"power ramps up to {pct} while on, vibration up to ~3.5x",
        "refrigerant_leak": f"{pct} HVAC power while on, COP down",
        "heater_fault": f"{pct} power while the heaters are on, barrel ~15 °C hotter",
        "seal_leak": f"{pct} pump power while on, pressure -5 %",
        "overload": f"{pct} {machine.type} power while running",
        "left_running": "running-level power through idle hours, zero production, mode stays idle",
        "slow_drift": f"{energy_type} use creeps up linearly to {pct} over the window",
    }[fault_type]


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends (exclusive) of the runs of True in ``mask``."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def demo_plan(config: DemoConfig) -> DemoPlan:
    """The faults, the measure and the outages of the selected machines (cheap: no time series)."""
    grid = config_grid(config)
    # The reporting period (and the measure) starts at a local midnight of the first factory.
    baseline_end = local_midnight(grid.start + pd.Timedelta(days=config.baseline_days),
                                  plant.FACTORIES[0].timezone)
    calendars: dict[str, Calendar] = {}
    faults: list[PlannedFault] = []
    measures: list[PlannedMeasure] = []
    drifts: list[PlannedDrift] = []
    outages: list[PlannedOutage] = []
    for idx, machine in selected_machines(config):
        rng = np.random.default_rng(np.random.SeedSequence([config.seed, idx, 1]))
        # Faults end before the measure on their machine and before a final maintenance block.
        limit = grid.n - (grid.intervals(FINAL_MAINTENANCE_H[machine.name])
                          if machine.name in FINAL_MAINTENANCE_H else 0)
        if machine.name == _MEASURE[0] and baseline_end < grid.end:
            limit = grid.index(baseline_end)
            measures.append(PlannedMeasure(1, machine.name, "electricity", _MEASURE[1], _MEASURE[2],
                                           baseline_end, _MEASURE[3]))
        if machine.name == DRIFT_MACHINE and baseline_end < grid.end:
            drifts.append(PlannedDrift(1, machine.name, "electricity", baseline_end, *_DRIFT))
        if machine.factory not in calendars:
            calendars[machine.factory] = factory_calendar(plant.factory(machine.factory), grid, config.seed)
        planned, lost = plan_machine(machine, grid, calendars[machine.factory], rng, limit)
        faults += planned
        outages += lost
    faults.sort(key=lambda f: f.fault_id)
    return DemoPlan(grid.start, grid.end, baseline_end, tuple(faults), tuple(measures), tuple(outages),
                    tuple(drifts))


FaultRow = tuple[str, str, float, float, float]
"""A planned fault: (machine name, fault type, day of 400, duration h, size), as in the hand-made plan."""


def fault_catalogue() -> dict[str, tuple[tuple[str, float, float], ...]]:
    """(fault type, duration h, size) of the hand-made plan's faults by machine type (enms machine_type)."""
    types = {m.name: m.type for m in plant.MACHINES}
    catalogue: dict[str, list[tuple[str, float, float]]] = {}
    for name, fault_type, _day, hours, size in _FAULT_PLAN:
        catalogue.setdefault(types[name], []).append((fault_type, hours, size))
    return {t: tuple(rows) for t, rows in catalogue.items()}


def plan_machine(machine: Machine, grid: Grid, cal: Calendar, rng: np.random.Generator, limit: int,
                 rows: tuple[FaultRow, ...] = _FAULT_PLAN, first_id: int = 1,
                 outages: bool = True) -> tuple[list[PlannedFault], list[PlannedOutage]]:
    """One machine's faults (its ``rows`` of the plan, fault_id = ``first_id`` + position in ``rows``, none
    ending after interval ``limit``) and, with ``outages``, its communication outages, clear of the faults."""
    windows = _plan_faults(machine, grid, cal, rng, limit, rows, first_id)
    faults = [PlannedFault(fid, machine.name, fault_type, energy_type, grid.time(i0), grid.time(i1), size,
                           _DESCRIPTION[fault_type], _effect_text(fault_type, machine, energy_type, size))
              for fid, fault_type, energy_type, i0, i1, size in windows]
    lost = [PlannedOutage(machine.name, grid.time(i0), grid.time(i1))
            for i0, i1 in _plan_outages(grid, rng, [(w[3], w[4]) for w in windows])] if outages else []
    return faults, lost


def _plan_faults(machine: Machine, grid: Grid, cal: Calendar, rng: np.random.Generator, limit: int,
                 rows: tuple[FaultRow, ...], first_id: int) -> list[tuple[int, str, str, int, int, float]]:
    """(fault_id, type, energy_type, i0, i1, size) of one machine, scaled to the period, non-overlapping.

    A short period gets at most one fault per 12 days per machine (spread over the machine's plan), and a
    window mostly inside a holiday shutdown is dropped: a fault there would change nothing measurable.
    """
    period_h = grid.n * grid.dt_h
    gap = grid.intervals(1.0)
    busy = cal.occupied if machine.type == "hvac" else cal.in_shift
    idle_starts, idle_ends = _runs(~busy & ~cal.offline)
    running = np.flatnonzero(cal.in_shift & ~cal.in_break)
    mine = [(fid, row) for fid, row in enumerate(rows, start=first_id) if row[0] == machine.name]
    quota = min(len(mine), int(period_h // (12 * 24)))
    chosen = set(np.round(np.linspace(0, len(mine) - 1, quota)).astype(int)) if quota else set()
    accepted: list[tuple[int, str, str, int, int, float]] = []
    for k, (fid, (_, fault_type, day, hours, size)) in enumerate(mine):
        u_start, u_size = rng.uniform(-1, 1, 2)  # drawn even for a dropped fault: the next keeps its jitter
        if k not in chosen:
            continue
        duration_h = min(hours, 0.09 * period_h)
        if fault_type == "left_running":
            t = grid.start + pd.Timedelta(hours=day / 400 * period_h + 24 * u_start)
            ok = (idle_starts >= grid.index(t)) & (idle_ends - idle_starts >= grid.intervals(hours * 0.8))
            if not ok.any():
                continue
            i0, i1 = int(idle_starts[ok][0]), int(idle_ends[ok][0])
        else:
            jitter_h = u_start * min(12.0, 0.3 * duration_h)
            i0 = grid.index(grid.start + pd.Timedelta(hours=day / 400 * period_h + jitter_h))
            if fault_type == "overload":  # only bites while running: start it in a shift
                later = running[running >= i0]
                if not later.size:
                    continue
                i0 = int(later[0])
            i1 = min(grid.n, i0 + grid.intervals(duration_h))
        lo, hi = _SIZE_RANGE[fault_type]
        size = float(np.clip(round(size * (1 + 0.1 * u_size), 3), lo, hi))
        if i1 <= i0 or i1 > limit or cal.offline[i0:i1].mean() > 0.5:
            continue  # empty, shut down, or it would blur the measure (or the final maintenance)
        if any(i0 < b1 + gap and a0 < i1 + gap for _, _, _, a0, b1, _ in accepted):
            continue
        energy_type = "natural_gas" if machine.type == "boiler" else "electricity"
        accepted.append((fid, fault_type, energy_type, i0, i1, size))
    return accepted


def _plan_outages(grid: Grid, rng: np.random.Generator, busy: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """2-4 communication outages of 1-8 h, clear of faults, each other and the first and last day."""
    count = int(rng.integers(2, 5))
    lo, hi = grid.intervals(24), grid.n - grid.intervals(24)
    gap = grid.intervals(1.0)
    taken = list(busy)
    outages: list[tuple[int, int]] = []
    for _ in range(count):
        for _attempt in range(40):
            length = grid.intervals(rng.uniform(1, 8))
            if hi - length <= lo:
                break
            i0 = int(rng.integers(lo, hi - length))
            i1 = i0 + length
            if not any(i0 < b + gap and a < i1 + gap for a, b in taken):
                taken.append((i0, i1))
                outages.append((i0, i1))
                break
    return sorted(outages)
