"""The demo plant: the EnMS seed plant (`enms.plant`) as seeded, realistic time series with known truth.

`simulate(DemoConfig())` yields ``(table, frame)`` chunks in load order: the dimension tables, then per
machine its ``energy_readings``, ``production_data`` and ``environmental_data``, then ``machine_status`` and
our truth tables (``enms_analytics.fault_truth``, ``.efficiency_measures``, ``.outage_truth``).

How the data is made, in causal order (all vectorised numpy; one machine's arrays alive at a time):

1. **Calendar** in each factory's local time (zoneinfo, so DST days have 23 or 25 hours): shifts (Los Angeles
   A 06-14, B 14-22 Mon-Fri plus a Saturday morning on some weeks; Berlin A/B/C around the clock from
   Sunday 22:00 to Saturday 06:00), short breaks, public holidays and a Christmas-New-Year shutdown.
2. **Weather** per factory: seasonal and daily cycles plus multi-day AR(1) anomalies, hourly, interpolated.
3. **Modes** per machine: running/idle from the calendar, `offline` on holidays, monthly planned
   `maintenance` blocks, a few unplanned `fault` stops per quarter.
4. **Production** from the schedule (product per shift, line-rate variation, slowdowns, 1-4 % scrap);
   units are made only in `running` intervals. Utilities report the output of the line they serve.
5. **Power** (kW) computed from mode, production and weather with a physical model per machine type.
6. **Faults and the efficiency measure** are applied on top of that counterfactual power; the truth
   tables hold what they *measurably* changed (same random draws with and without them).
7. **Communication outages** remove rows from all three time-series tables.

Randomness is seeded per factory (``SeedSequence([seed, 1000 + factory_index, stream])``) and per machine
(``SeedSequence([seed, machine_index, stream])``), so a subset of machines reproduces the same data.

The fault plan (`demo_plan`) is hand-made for 400 days: 25 faults of 9 types, a third in the first nine
months, the rest in the last three (nine of them after the measure), none on Compressor-1 after its
measure, none overlapping another fault of the same machine or an outage. It is scaled to the configured
period: positions scale with it, durations are capped at 9 % of it, and a short period gets at most one
fault per 12 days per machine. Periods under ~60 days therefore get fewer faults (under 12 days none),
never an error. A planned fault that changed nothing measurable (say, its machine stood still throughout)
is left out of the truth.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.signal import lfilter

from enms import plant
from enms.calendars import holidays
from enms.plant import GAS_KWH_PER_M3, STEAM_KWH_PER_KG, Factory, Machine
from enms.warehouse.schema import OWN_SCHEMA

MODES = ("running", "idle", "maintenance", "fault", "offline")
RUN, IDLE, MAINT, FAULT, OFF = range(5)
SOURCE = "demo-simulator"
FAULT_TYPES = ("air_leak", "fouling", "bearing_wear", "refrigerant_leak", "heater_fault", "seal_leak",
               "overload", "left_running", "slow_drift")

_US_PER_MIN = 60_000_000
_US_PER_DAY = 86_400_000_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_PRODUCTION_TYPES = ("motor", "pump", "injection_molding")


@dataclass(frozen=True)
class DemoConfig:
    """What to simulate. Data covers [end - days, end) UTC at ``resolution`` (a pandas frequency dividing
    an hour: "1min", "5min", "15min"). ``machines`` selects by name (None = all eight). The efficiency
    measure starts at the first local midnight (first factory's zone) at or after start + baseline_days.
    ``inject_faults=False`` gives the counterfactual: same random draws, same outages, no faults, no measure.
    """

    days: int = 400
    seed: int = 7
    resolution: str = "1min"
    end: pd.Timestamp = pd.Timestamp("2026-11-02 00:00", tz="UTC")
    machines: tuple[str, ...] | None = None
    baseline_days: int = 365
    inject_faults: bool = True


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


# ---------------------------------------------------------------------------------------------- grid


@dataclass(frozen=True)
class _Grid:
    start: pd.Timestamp
    end: pd.Timestamp
    step_s: int
    n: int

    @property
    def dt_h(self) -> float:
        return self.step_s / 3600

    @property
    def dt_min(self) -> float:
        return self.step_s / 60

    def times(self) -> pd.DatetimeIndex:
        us = self.start.value // 1000 + np.arange(self.n, dtype=np.int64) * (self.step_s * 1_000_000)
        return pd.DatetimeIndex(us.view("datetime64[us]")).tz_localize("UTC")

    def index(self, t: pd.Timestamp) -> int:
        """Index of the first interval starting at or after ``t``, clipped to [0, n]."""
        i = -(-(t - self.start).total_seconds() // self.step_s)
        return int(min(max(i, 0), self.n))

    def time(self, i: int) -> pd.Timestamp:
        return self.start + pd.Timedelta(seconds=i * self.step_s)

    def intervals(self, hours: float) -> int:
        return max(1, round(hours * 3600 / self.step_s))


def _selected(config: DemoConfig) -> list[tuple[int, Machine]]:
    if config.machines is None:
        return list(enumerate(plant.MACHINES))
    known = {m.name for m in plant.MACHINES}
    unknown = [name for name in config.machines if name not in known]
    if unknown:
        raise ValueError(f"unknown machine name(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    wanted = set(config.machines)
    return [(i, m) for i, m in enumerate(plant.MACHINES) if m.name in wanted]


def _grid(config: DemoConfig) -> _Grid:
    try:
        step = pd.Timedelta(config.resolution)
    except ValueError as exc:
        raise ValueError(f"resolution {config.resolution!r} is not a pandas frequency") from exc
    step_s = int(step.total_seconds())
    if step_s <= 0 or step_s != step.total_seconds() or 3600 % step_s:
        raise ValueError(f"resolution {config.resolution!r} must divide an hour (e.g. 1min, 5min, 15min)")
    if config.days < 1:
        raise ValueError(f"days must be >= 1, got {config.days}")
    end = pd.Timestamp(config.end)
    if end.tz is None:
        raise ValueError("end must be a tz-aware timestamp (UTC)")
    end = end.tz_convert("UTC")
    if end.value % (step_s * 1_000_000_000):
        raise ValueError(f"end {end} is not aligned to the resolution {config.resolution}")
    start = end - pd.Timedelta(days=config.days)
    return _Grid(start, end, step_s, config.days * 86400 // step_s)


# ------------------------------------------------------------------------------------ random helpers


def _ar1(rng: np.random.Generator, n: int, dt_min: float, tau_min: float) -> np.ndarray:
    """Stationary AR(1) with unit variance and correlation time ``tau_min`` at step ``dt_min``."""
    phi = np.exp(-dt_min / tau_min)
    e = rng.standard_normal(n)
    e[0] /= np.sqrt(1 - phi * phi)  # start in the stationary distribution
    return lfilter([np.sqrt(1 - phi * phi)], [1.0, -phi], e)


def _lag(x: np.ndarray, tau_min: float, dt_min: float) -> np.ndarray:
    """First-order lag (thermal inertia) starting at x[0]."""
    a = 1 - np.exp(-dt_min / tau_min)
    return lfilter([a], [1.0, a - 1], x, zi=[(1 - a) * x[0]])[0]


def _slowdowns(rng: np.random.Generator, n: int, dt_min: float, per_week: float,
               minutes: tuple[float, float], depth: tuple[float, float]) -> np.ndarray:
    """Rate factor with random slowdown episodes (Poisson arrivals, uniform duration and depth)."""
    factor = np.ones(n)
    k = rng.poisson(per_week * n * dt_min / (7 * 1440))
    starts = rng.integers(0, n, k)
    lengths = np.maximum(1, np.round(rng.uniform(*minutes, k) / dt_min)).astype(np.int64)
    depths = rng.uniform(*depth, k)
    for s, length, f in zip(starts, lengths, depths, strict=True):  # a loop over episodes, not rows
        np.minimum(factor[s:s + length], f, out=factor[s:s + length])
    return factor


# -------------------------------------------------------------------------------------------- calendar


@dataclass
class _Calendar:
    local_min: np.ndarray  # int64 minute of the local day
    weekday: np.ndarray  # int64, Monday = 0 (local)
    shift: np.ndarray  # int8: 0 = no shift, 1 = A, 2 = B, 3 = C
    in_break: np.ndarray  # bool: a short break inside a shift
    offline: np.ndarray  # bool: holiday or shutdown
    occupied: np.ndarray  # bool: HVAC occupied = shift or the hour before one
    product: np.ndarray  # int8: product of the shift (0 = A, 1 = B)

    @property
    def in_shift(self) -> np.ndarray:
        return self.shift > 0


def _factory_index(f: Factory) -> int:
    return plant.FACTORIES.index(f)


def _calendar(f: Factory, grid: _Grid, seed: int, times: pd.DatetimeIndex | None = None) -> _Calendar:
    """The factory's shift calendar on the UTC grid, evaluated in its local wall-clock time."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1000 + _factory_index(f), 0]))
    times = grid.times() if times is None else times
    local = times.tz_convert(ZoneInfo(f.timezone)).tz_localize(None).as_unit("us").asi8
    day, minute = np.divmod(local, _US_PER_DAY)
    minute //= _US_PER_MIN
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday
    first, last = pd.Timestamp(int(day[0]), unit="D").year, pd.Timestamp(int(day[-1]), unit="D").year
    closed = np.array(sorted(d.toordinal() - _EPOCH_ORDINAL for y in range(first - 1, last + 2)
                             for d in holidays(f.country, y)))
    off, off_before, off_after = (np.isin(day + k, closed) for k in (0, -1, 1))

    weekdays = weekday < 5
    shift = np.zeros(grid.n, dtype=np.int8)
    shift[weekdays & (minute >= 360) & (minute < 840)] = 1
    shift[weekdays & (minute >= 840) & (minute < 1320)] = 2
    start_day = day.copy()
    if f.country == "DE":
        # Night shift C: Sunday 22:00 -> Saturday 06:00 continuously; it does not start into a holiday
        # and the morning half does not run after a holiday (it started the evening before).
        evening = (weekday != 5) & (minute >= 1320) & ~off_after
        morning = (weekday != 6) & (minute < 360) & ~off_before
        shift[evening | morning] = 3
        start_day[morning] -= 1
    else:
        monday = day - weekday
        saturday_weeks = rng.random(int(monday.max() - monday.min()) // 7 + 1) < 0.35
        saturday = (weekday == 5) & (minute >= 360) & (minute < 720) & saturday_weeks[(monday - monday.min()) // 7]
        shift[saturday] = 1
    shift[off] = 0
    in_shift = shift > 0

    into = (minute - np.array([0, 360, 840, 1320])[shift]) % 1440  # minutes since the shift started
    in_break = in_shift & (((into >= 120) & (into < 135)) | ((into >= 240) & (into < 270))
                           | ((into >= 360) & (into < 375)))
    ahead = grid.intervals(1.0)
    occupied = in_shift.copy()
    occupied[:-ahead] |= in_shift[ahead:]

    key = start_day * 4 + shift
    products = (rng.random(int(key.max() - key.min()) + 1) >= 0.6).astype(np.int8)  # 60 % product A
    product = np.where(in_shift, products[key - key.min()], 0).astype(np.int8)
    return _Calendar(minute, weekday, shift, in_break, off, occupied, product)


# -------------------------------------------------------------------------------- factory context


@dataclass(frozen=True)
class _Climate:
    mean_c: float
    seasonal_c: float  # amplitude of the annual cycle
    peak_doy: float  # warmest day of the year
    daily_c: float  # half of the typical day-night swing
    daily_season: float  # the daily swing grows in summer by this fraction
    anomaly_c: float  # standard deviation of the multi-day weather anomaly
    anomaly_tau_h: float
    rh_mean: float
    rh_season: float  # humidity higher in winter by this much


_CLIMATE = {
    plant.LA: _Climate(18.5, 4.5, 228, 4.0, 0.1, 1.5, 72, 62, 4),
    plant.BERLIN: _Climate(10.0, 9.0, 200, 3.5, 0.3, 3.0, 60, 74, 9),
}
_LINE_MEAN = 0.93  # mean line rate as a fraction of the nominal rate
_LINE_UNITS_H = {plant.LA: (900.0, 700.0), plant.BERLIN: (1200.0, 1000.0)}  # per product A, B


@dataclass
class _Context:
    factory: Factory
    grid: _Grid
    times: pd.DatetimeIndex
    cal: _Calendar
    t_out: np.ndarray  # °C
    rh_out: np.ndarray  # %
    t_in: np.ndarray  # °C, the hall (HVAC-controlled)
    rh_in: np.ndarray  # %
    line_rate: np.ndarray  # fraction of the nominal rate the factory's line runs at
    activity: np.ndarray  # line activity: line_rate in shifts, low in breaks, 0 outside shifts


def _weather(f: Factory, grid: _Grid, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Outdoor temperature (°C) and humidity (%) on the grid: an hourly series, linearly interpolated."""
    c = _CLIMATE[f.name]
    h0 = grid.start.floor("h") - pd.Timedelta(hours=1)
    nh = int((grid.end - h0) / pd.Timedelta(hours=1)) + 2
    hours = pd.date_range(h0, periods=nh, freq="h")
    local = hours.tz_convert(ZoneInfo(f.timezone))
    local_hour = local.hour.to_numpy() + local.minute.to_numpy() / 60
    doy = hours.day_of_year.to_numpy() + hours.hour.to_numpy() / 24
    seasonal = np.cos(2 * np.pi * (doy - c.peak_doy) / 365.25)
    daily = np.cos(2 * np.pi * (local_hour - 15) / 24)  # warmest at 15:00 local
    cloud = np.clip(1 + 0.2 * _ar1(rng, nh, 60, 24 * 60), 0.5, 1.4)  # cloudy days swing less
    anomaly = c.anomaly_c * _ar1(rng, nh, 60, c.anomaly_tau_h * 60)
    temp = c.mean_c + c.seasonal_c * seasonal + c.daily_c * (1 + c.daily_season * seasonal) * cloud * daily + anomaly
    rh = c.rh_mean - c.rh_season * seasonal - 14 * daily - 1.5 * anomaly + 5 * _ar1(rng, nh, 60, 720)
    x = (grid.start - h0).total_seconds() / 3600 + np.arange(grid.n) * grid.dt_h
    return np.interp(x, np.arange(nh), temp), np.interp(x, np.arange(nh), np.clip(rh, 8, 100))


def _context(f: Factory, grid: _Grid, seed: int) -> _Context:
    fi = _factory_index(f)
    times = grid.times()
    cal = _calendar(f, grid, seed, times)
    t_out, rh_out = _weather(f, grid, np.random.default_rng(np.random.SeedSequence([seed, 1000 + fi, 1])))
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1000 + fi, 2]))
    n, dt = grid.n, grid.dt_min
    line = (_LINE_MEAN + 0.035 * _ar1(rng, n, dt, 120)) * _slowdowns(rng, n, dt, 3, (20, 120), (0.55, 0.8))
    line = np.clip(line, 0.3, 1.05)
    activity = np.where(cal.in_shift, np.where(cal.in_break, 0.15, line), 0.0)
    # The hall: held near 21.5 °C when occupied, drifting with the weather otherwise.
    target = np.where(cal.occupied, 21.5 + 0.06 * (t_out - 18), np.clip(21.5 + 0.35 * (t_out - 18), 15, 29))
    t_in = _lag(target, 60, dt) + 0.15 * _ar1(rng, n, dt, 30)
    rh_in = np.clip(45 + 0.25 * (rh_out - 60) + 2 * _ar1(rng, n, dt, 240), 25, 65)
    return _Context(f, grid, times, cal, t_out, rh_out, t_in, rh_in, line, activity)


# -------------------------------------------------------------------------------------------- plan

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
_FINAL_MAINTENANCE_H = {"Hydraulic-Pump-1": 6.0}  # so machine_status shows a machine in maintenance
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


def _baseline_end(grid: _Grid, baseline_days: int) -> pd.Timestamp:
    """First local midnight of the first factory at or after start + baseline_days, as UTC."""
    zone = ZoneInfo(plant.FACTORIES[0].timezone)
    t = (grid.start + pd.Timedelta(days=baseline_days)).tz_convert(zone)
    day = t.date() if t == t.normalize() else t.date() + timedelta(days=1)
    return pd.Timestamp(day).tz_localize(zone).tz_convert("UTC")


def demo_plan(config: DemoConfig) -> DemoPlan:
    """The faults, the measure and the outages of the selected machines (cheap: no time series)."""
    grid = _grid(config)
    baseline_end = _baseline_end(grid, config.baseline_days)
    calendars: dict[str, _Calendar] = {}
    faults: list[PlannedFault] = []
    measures: list[PlannedMeasure] = []
    outages: list[PlannedOutage] = []
    for idx, machine in _selected(config):
        rng = np.random.default_rng(np.random.SeedSequence([config.seed, idx, 1]))
        # Faults end before the measure on their machine and before a final maintenance block.
        limit = grid.n - (grid.intervals(_FINAL_MAINTENANCE_H[machine.name])
                          if machine.name in _FINAL_MAINTENANCE_H else 0)
        if machine.name == _MEASURE[0] and baseline_end < grid.end:
            limit = grid.index(baseline_end)
            measures.append(PlannedMeasure(1, machine.name, "electricity", _MEASURE[1], _MEASURE[2],
                                           baseline_end, _MEASURE[3]))
        if machine.factory not in calendars:
            calendars[machine.factory] = _calendar(plant.factory(machine.factory), grid, config.seed)
        windows = _plan_faults(machine, grid, calendars[machine.factory], rng, limit)
        for fid, fault_type, energy_type, i0, i1, size in windows:
            faults.append(PlannedFault(fid, machine.name, fault_type, energy_type, grid.time(i0), grid.time(i1),
                                       size, _DESCRIPTION[fault_type],
                                       _effect_text(fault_type, machine, energy_type, size)))
        for i0, i1 in _plan_outages(grid, rng, [(w[3], w[4]) for w in windows]):
            outages.append(PlannedOutage(machine.name, grid.time(i0), grid.time(i1)))
    faults.sort(key=lambda f: f.fault_id)
    return DemoPlan(grid.start, grid.end, baseline_end, tuple(faults), tuple(measures), tuple(outages))


def _plan_faults(machine: Machine, grid: _Grid, cal: _Calendar, rng: np.random.Generator,
                 limit: int) -> list[tuple[int, str, str, int, int, float]]:
    """(fault_id, type, energy_type, i0, i1, size) of one machine, scaled to the period, non-overlapping.

    A short period gets at most one fault per 12 days per machine (spread over the machine's plan), and a
    window mostly inside a holiday shutdown is dropped: a fault there would change nothing measurable.
    """
    period_h = grid.n * grid.dt_h
    gap = grid.intervals(1.0)
    busy = cal.occupied if machine.type == "hvac" else cal.in_shift
    idle_starts, idle_ends = _runs(~busy & ~cal.offline)
    running = np.flatnonzero(cal.in_shift & ~cal.in_break)
    mine = [(fid, row) for fid, row in enumerate(_FAULT_PLAN, start=1) if row[0] == machine.name]
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


def _plan_outages(grid: _Grid, rng: np.random.Generator, busy: list[tuple[int, int]]) -> list[tuple[int, int]]:
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


# ------------------------------------------------------------------------------- machine models

_OWN_UNITS_H = {"Conveyor-A": (900.0, 700.0), "Injection-Molding-1": (480.0, 360.0),
                "Hydraulic-Pump-1": (150.0, 120.0)}  # nominal rate per product A, B
_TARGET_SPEED = np.array([100.0, 90.0])  # % per product
_IM_KWH_PER_PART = np.array([0.115, 0.17])
_IM_BARREL_C = np.array([225.0, 240.0])
_HVAC_UA = {"HVAC-Main": (27.0, 0.0), "HVAC-EU-North": (30.0, 14.0)}  # kW(th)/K cooling, heating
_BOILER_MAX_KG_H = 1000.0
_STOP_REASONS = (None, "planned_maintenance", "breakdown", "electrical_trip", "sensor_failure",
                 "control_fault")
_ENV_COLUMNS = ("machine_temp_c", "pressure_bar", "pressure_setpoint_bar", "flow_rate_m3h",
                "supply_air_temp_c", "return_air_temp_c", "cop", "vibration_mm_s")


@dataclass
class _Draws:
    """The random draws of one machine's power and sensor models, made once so that the counterfactual
    and the faulty run see exactly the same noise."""

    meas: np.ndarray  # white, measurement noise
    meas2: np.ndarray
    proc: np.ndarray  # AR(1), 10 min: process fluctuation
    slow: np.ndarray  # AR(1), 2 h
    env: np.ndarray  # white, sensor noise
    env2: np.ndarray
    volt: np.ndarray  # AR(1), 30 min: supply voltage
    freq: np.ndarray  # AR(1), 5 min: grid frequency

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int, dt_min: float) -> _Draws:
        return cls(rng.standard_normal(n), rng.standard_normal(n), _ar1(rng, n, dt_min, 10),
                   _ar1(rng, n, dt_min, 120), rng.standard_normal(n), rng.standard_normal(n),
                   _ar1(rng, n, dt_min, 30), _ar1(rng, n, dt_min, 5))


_Model = Callable[[Machine, _Context, np.ndarray, np.ndarray, _Draws], tuple[dict, dict]]


def _standby(rated: float, mode: np.ndarray, d: _Draws) -> np.ndarray:
    """Near-zero power when off (controls), in a fault stop, or low during maintenance (kW)."""
    level = np.where(mode == MAINT, 0.03, np.where(mode == FAULT, 0.006, 0.004))
    return rated * level * (1 + 0.05 * d.meas)


def _compressor(m: Machine, ctx: _Context, mode: np.ndarray, load: np.ndarray, d: _Draws) -> tuple[dict, dict]:
    """Load/unload screw compressor: unloaded base ~28 % of rated plus a share proportional to the air
    demand (line activity + leaks)."""
    r, on = m.rated_power_kw, mode <= IDLE
    demand = np.clip(0.15 + 0.68 * load + 0.05 * d.proc, 0.05, 1.0)  # fraction of capacity
    power = np.where(on, r * (0.28 + 0.70 * demand) + 0.006 * r * d.meas, _standby(r, mode, d))
    capacity_m3h = r / 5.8 * 60  # ~5.8 kW per Nm³/min at 7 bar
    env = {
        "pressure_bar": np.where(on, 7.0 + 0.15 * (0.6 - demand) + 0.04 * d.env, 0.3 + 0.05 * np.abs(d.env)),
        "pressure_setpoint_bar": np.full(mode.size, 7.0),
        "flow_rate_m3h": np.where(on, demand * capacity_m3h * (1 + 0.02 * d.env2), 0.0),
        "machine_temp_c": _lag(np.where(on, 62 + 22 * demand, ctx.t_in), 20, ctx.grid.dt_min) + 0.3 * d.env,
        "vibration_mm_s": np.where(on, 1.6 + 0.8 * demand + 0.1 * d.env2, 0.05),
    }
    return {"electricity": power}, env


def _hvac(m: Machine, ctx: _Context, mode: np.ndarray, load: np.ndarray, d: _Draws) -> tuple[dict, dict]:
    """Air handling + chiller (+ heat pump): fans when occupied, cooling above ~18 °C (less below the
    setback), heating below 14 °C, each divided by a COP that worsens with the temperature lift."""
    r, occ, on = m.rated_power_kw, mode == RUN, mode <= IDLE
    ua_cool, ua_heat = _HVAC_UA[m.name]
    t = ctx.t_out
    gains = 1.2 * load  # internal gains of the running line shift the cooling change point (K)
    cool = np.where(occ, ua_cool * np.maximum(0, t - 18 + gains), 0.7 * ua_cool * np.maximum(0, t - 25))
    heat = np.where(occ, ua_heat * np.maximum(0, 14 - t), 0.8 * ua_heat * np.maximum(0, 10 - t))
    cop_cool = np.clip(5.4 - 0.09 * (t - 15), 2.3, 6.0)
    cop_heat = np.clip(3.1 + 0.05 * t, 1.8, 4.5)
    fans = np.where(occ, 0.16, 0.05) * r
    thermal = (cool / cop_cool + heat / cop_heat) * (1 + 0.08 * d.slow)
    power = np.where(on, fans * (1 + 0.02 * d.proc) + thermal + 0.004 * r * d.meas, _standby(r, mode, d))
    cooling, heating = on & (cool > 0) & (cool >= heat), on & (heat > 0) & (heat > cool)
    env = {
        "cop": np.where(cooling, cop_cool, np.where(heating, cop_heat, np.nan)) + 0.05 * d.env,
        "supply_air_temp_c": np.where(on, np.where(cooling, 13.0, np.where(heating, 32.0, 18.0)) + 0.3 * d.env,
                                      np.nan),
        "return_air_temp_c": np.where(on, ctx.t_in + 1.2 + 0.2 * d.env2, np.nan),
        "flow_rate_m3h": np.where(occ, 300.0, np.where(on, 100.0, 0.0)) * r * (1 + 0.02 * d.env2),
        "vibration_mm_s": np.where(on, np.where(occ, 1.4, 0.9) + 0.1 * d.env2, 0.05),
    }
    return {"electricity": power}, env


def _motor(m: Machine, ctx: _Context, mode: np.ndarray, load: np.ndarray, d: _Draws) -> tuple[dict, dict]:
    """Conveyor drive: base (friction) + a share proportional to the production rate; VFD standby idle."""
    r, run = m.rated_power_kw, mode == RUN
    power = np.where(run, r * (0.30 + 0.55 * load + 0.02 * d.proc + 0.008 * d.meas),
                     np.where(mode == IDLE, 0.04 * r * (1 + 0.05 * d.meas), _standby(r, mode, d)))
    hot = np.where(run, ctx.t_in + 18 + 12 * load, np.where(mode == IDLE, ctx.t_in + 4, ctx.t_in))
    env = {
        "machine_temp_c": _lag(hot, 25, ctx.grid.dt_min) + 0.3 * d.env,
        "vibration_mm_s": np.maximum(0.02, np.where(run, 2.0 + 0.6 * load, np.where(mode == IDLE, 0.3, 0.05))
                                     + 0.1 * d.env2),
    }
    return {"electricity": power}, env


def _pump(m: Machine, ctx: _Context, mode: np.ndarray, load: np.ndarray, d: _Draws) -> tuple[dict, dict]:
    """Hydraulic power unit: loaded at ~180 bar while the press runs, unloaded circulation when idle."""
    r, run, idle = m.rated_power_kw, mode == RUN, mode == IDLE
    power = np.where(run, r * (0.55 + 0.30 * load + 0.02 * d.proc + 0.008 * d.meas),
                     np.where(idle, 0.15 * r * (1 + 0.03 * d.meas), _standby(r, mode, d)))
    setpoint = np.where(run, 180.0, np.where(idle, 25.0, 0.0))
    env = {
        "pressure_bar": np.where(run, 180 - 4 * (1 - load) + 1.5 * d.env, np.where(idle, 25 + 0.5 * d.env, 0.0)),
        "pressure_setpoint_bar": setpoint,
        "flow_rate_m3h": np.where(run, 9.0 * load, np.where(idle, 1.5, 0.0)) * (1 + 0.02 * d.env2),
        "machine_temp_c": _lag(np.where(run, 48 + 6 * load, np.where(idle, 38.0, ctx.t_in)), 40, ctx.grid.dt_min)
        + 0.3 * d.env,
        "vibration_mm_s": np.maximum(0.02, np.where(run, 2.2 + 0.5 * load, np.where(idle, 1.2, 0.05))
                                     + 0.1 * d.env2),
    }
    return {"electricity": power}, env


def _injection_molding(m: Machine, ctx: _Context, mode: np.ndarray, load: np.ndarray,
                       d: _Draws) -> tuple[dict, dict]:
    """Heater bands (on while running or idle, a heat-up surge after a cold start) + hydraulics + cycle
    energy per part (kWh/part depends on the product)."""
    r, run, on = m.rated_power_kw, mode == RUN, mode <= IDLE
    product = ctx.cal.product
    idx = np.arange(mode.size)
    switched_on = on & ~np.concatenate(([True], on[:-1]))  # data starts warm
    last_on = np.maximum.accumulate(np.where(switched_on, idx, -1))
    surge = on & (last_on >= 0) & ((idx - last_on) * ctx.grid.dt_min < 45)
    heaters = np.where(surge, 0.32, 0.17) * r * (1 + 0.04 * d.meas2)
    parts_h = load * np.array(_OWN_UNITS_H[m.name])[product]
    cycle = np.where(run, _IM_KWH_PER_PART[product] * parts_h + 0.10 * r, 0.03 * r)
    power = np.where(on, heaters + cycle + r * (0.015 * d.proc + 0.006 * d.meas), _standby(r, mode, d))
    barrel = _lag(np.where(on, _IM_BARREL_C[product], ctx.t_in), 30, ctx.grid.dt_min)
    return {"electricity": power}, {"machine_temp_c": barrel + 0.5 * d.env}


def _boiler(m: Machine, ctx: _Context, mode: np.ndarray, load: np.ndarray, d: _Draws) -> tuple[dict, dict]:
    """Process steam (∝ line activity) + distribution losses + some space heating in cold weather;
    gas = steam / efficiency (~0.80-0.86, worse at low fire); electricity = burner fan and feed pumps."""
    r, run, on = m.rated_power_kw, mode == RUN, mode <= IDLE
    t = ctx.t_out
    kg_h = np.where(run, 90 + 620 * load + 30 * np.maximum(0, 15 - t),
                    np.where(on, 70 + 20 * np.maximum(0, 12 - t), 0.0)) * (1 + 0.05 * d.proc)
    kg_h = np.clip(kg_h, 0, _BOILER_MAX_KG_H)
    steam_kw = kg_h * STEAM_KWH_PER_KG
    firing = kg_h / _BOILER_MAX_KG_H
    efficiency = 0.86 - 0.06 * (1 - firing) ** 2
    gas_kw = steam_kw / efficiency * (1 + 0.01 * d.meas2)
    electricity = np.where(on, 8 + 32 * firing + 0.5 * d.meas, _standby(r, mode, d))
    env = {
        "pressure_bar": np.where(on, 8.0 + 0.08 * d.env, 0.2),
        "pressure_setpoint_bar": np.full(mode.size, 8.0),
        "flow_rate_m3h": gas_kw / GAS_KWH_PER_M3,  # natural gas m³/h
        "machine_temp_c": _lag(np.where(on, 175.0, ctx.t_in), 60, ctx.grid.dt_min) + 0.3 * d.env,
    }
    return {"electricity": electricity, "natural_gas": gas_kw, "steam": steam_kw * (1 + 0.01 * d.env2)}, env


_MODELS: dict[str, _Model] = {"compressor": _compressor, "hvac": _hvac, "motor": _motor, "pump": _pump,
                              "injection_molding": _injection_molding, "boiler": _boiler}


# ----------------------------------------------------------------------------------- one machine


@dataclass
class _Run:
    """One simulated machine: its arrays on the full grid and the rows kept (outages removed)."""

    machine: Machine
    ctx: _Context
    keep: np.ndarray
    estimated: np.ndarray
    mode: np.ndarray
    reason: np.ndarray
    count: np.ndarray
    bad: np.ndarray
    speed: np.ndarray
    target: np.ndarray
    power: dict[str, np.ndarray]  # rounded kW per energy type, as written
    env: dict[str, np.ndarray]
    draws: _Draws
    fault_rows: list[dict]
    measure_rows: list[dict]
    status: dict


def _modes(m: Machine, ctx: _Context, rng: np.random.Generator,
           keep_clear: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Mode per interval (RUN..OFF) and downtime reason index (into _STOP_REASONS). Stops and maintenance
    stay out of the ``keep_clear`` windows (short faults, whose effect a stop would wipe out)."""
    cal, grid = ctx.cal, ctx.grid

    def clear(s: int, length: int) -> bool:
        return not any(s < b and a < s + length for a, b in keep_clear)

    if m.type in _PRODUCTION_TYPES:
        mode = np.where(cal.in_shift & ~cal.in_break, RUN, IDLE)
    elif m.type == "hvac":
        mode = np.where(cal.occupied, RUN, IDLE)
    else:
        mode = np.where(cal.in_shift, RUN, IDLE)
    mode = np.where(cal.offline, OFF, mode).astype(np.int8)
    reason = np.zeros(grid.n, dtype=np.int8)
    shifts = np.flatnonzero(cal.in_shift)
    # Unplanned stops: a few per quarter, 1-6 h, starting while the factory works.
    n_stops = max(1, int(rng.poisson(3.0 * grid.n * grid.dt_h / (91 * 24))))
    starts = rng.choice(shifts, n_stops) if shifts.size else np.zeros(0, dtype=np.int64)
    lengths = [grid.intervals(h) for h in rng.uniform(1, 6, n_stops)]
    causes = rng.integers(2, len(_STOP_REASONS), n_stops)
    for s, length, cause in zip(starts, lengths, causes, strict=False):
        if clear(s, length):
            mode[s:s + length], reason[s:s + length] = FAULT, cause
    # Planned maintenance: one 4-8 h block per 30 days, starting 06:00-10:00 local on a working day.
    cand = np.flatnonzero(cal.in_shift & (cal.weekday < 5) & (cal.local_min % 60 == 0)
                          & (cal.local_min >= 360) & (cal.local_min <= 600))
    block = grid.intervals(30 * 24)
    for b0 in range(0, grid.n, block):
        u, hours = rng.random(), rng.integers(4, 9)
        here = cand[(cand >= b0) & (cand < b0 + block)]
        s, length = int(here[int(u * here.size)]) if here.size else 0, grid.intervals(hours)
        if here.size and clear(s, length):
            mode[s:s + length], reason[s:s + length] = MAINT, 1
    if m.name in _FINAL_MAINTENANCE_H:
        k = grid.intervals(_FINAL_MAINTENANCE_H[m.name])
        mode[-k:], reason[-k:] = MAINT, 1
    return mode, reason


def _production(m: Machine, ctx: _Context, mode: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Units per interval (int64), bad units, speed and target speed (%), and the model load: the
    machine's own rate fraction (production machines) or the factory's line activity (utilities)."""
    cal, n, dt = ctx.cal, ctx.grid.n, ctx.grid.dt_min
    run = mode == RUN
    nan = np.full(n, np.nan)
    if m.production_basis == "none":
        return np.zeros(n, np.int64), np.zeros(n, np.int64), nan, nan, ctx.activity
    if m.production_basis == "own output":
        rate = ctx.line_rate * (1 + 0.03 * _ar1(rng, n, dt, 20)) * _slowdowns(rng, n, dt, 2, (10, 60), (0.5, 0.85))
        rate = np.where(run, np.clip(rate, 0, 1.08), 0.0)
        units_h = np.array(_OWN_UNITS_H[m.name])[cal.product]
        target = np.where(run, _TARGET_SPEED[cal.product], 0.0)
        speed, load = np.round(target * rate, 1), rate
    else:  # a utility reports the output of the line it serves
        rate = np.where(run & ~cal.in_break, ctx.line_rate, 0.0)
        units_h = np.array(_LINE_UNITS_H[m.factory])[cal.product]
        speed, target, load = nan, nan, ctx.activity
    count = rng.poisson(rate * units_h * ctx.grid.dt_h).astype(np.int64)
    scrap = np.clip(0.03 + 0.008 * _ar1(rng, n, dt, 1440), 0.012, 0.06)
    bad = rng.binomial(count, scrap).astype(np.int64)
    return count, bad, speed, target, load


def _inject(m: Machine, ctx: _Context, mode: np.ndarray, load: np.ndarray, draws: _Draws, cf: dict,
            env: dict, faults: list[PlannedFault], measure: PlannedMeasure | None) -> dict:
    """Power with the faults and the measure applied on top of the counterfactual ``cf`` (kW per energy
    type); ``env`` is changed in place to show their side effects."""
    grid = ctx.grid
    power = {k: v.copy() for k, v in cf.items()}
    on = mode <= IDLE
    if any(f.fault_type == "left_running" for f in faults):
        # Running-level power with no production: the model re-run as if running (same draws).
        alt_load = load if m.type == "hvac" else np.full(grid.n, _LINE_MEAN)
        alt = _MODELS[m.type](m, ctx, np.where(mode == IDLE, RUN, mode).astype(np.int8), alt_load, draws)[0]
    for f in faults:
        i0, i1 = grid.index(f.start), grid.index(f.end)
        w = slice(i0, i1)
        p = power[f.energy_type]
        if f.fault_type == "left_running":
            p[w] = np.where(mode[w] == IDLE, alt[f.energy_type][w], p[w])
            continue
        ramp = np.arange(1, i1 - i0 + 1) / (i1 - i0)
        grow = ramp if f.fault_type in ("bearing_wear", "slow_drift") else np.ones(i1 - i0)
        hit = mode[w] == RUN if f.fault_type == "overload" else on[w]
        factor = np.where(hit, 1 + f.size * grow, 1.0)
        p[w] *= factor
        e = {k: v[w] for k, v in env.items()}  # views: edits land in env
        match f.fault_type:
            case "air_leak" | "seal_leak":
                e["flow_rate_m3h"] *= factor
                if f.fault_type == "seal_leak":
                    e["pressure_bar"] *= np.where(hit, 0.95, 1.0)
                    e["machine_temp_c"] += 4 * hit
            case "fouling" | "refrigerant_leak":
                if m.type == "boiler":
                    e["flow_rate_m3h"] *= factor
                else:
                    e["cop"] /= factor
            case "bearing_wear":
                e["vibration_mm_s"] *= np.where(hit, 1 + 2.5 * grow, 1.0)
                e["machine_temp_c"] += 6 * grow * hit
            case "heater_fault":
                e["machine_temp_c"] += 15 * hit
            case "overload":
                e["machine_temp_c"] += 12 * hit
                e["vibration_mm_s"] *= np.where(hit, 1.3, 1.0)
    if measure is not None:
        w = slice(grid.index(measure.start), grid.n)
        factor = np.where(on[w], 1 - measure.design_saving_fraction, 1.0)
        power[measure.energy_type][w] *= factor
        env["flow_rate_m3h"][w] *= factor
        env["pressure_bar"][w] -= 0.5 * on[w]
        env["pressure_setpoint_bar"][w] = 6.5
    return power


def _finish(power: dict[str, np.ndarray], rated_kw: float) -> dict[str, np.ndarray]:
    """Clip (electricity to 1.1 x rated) and round to the 3 decimals power_kw is stored with."""
    return {k: np.round(np.clip(v, 0, 1.1 * rated_kw if k == "electricity" else None), 3)
            for k, v in power.items()}


def _simulate_machine(idx: int, m: Machine, ctx: _Context, plan: DemoPlan, seed: int, inject: bool) -> _Run:
    """Simulate one machine; with ``inject`` the faults and the measure are applied and measured."""
    grid = ctx.grid
    rng = np.random.default_rng(np.random.SeedSequence([seed, idx, 2]))
    faults = [f for f in plan.faults if f.machine == m.name]
    short = [(grid.index(f.start), grid.index(f.end)) for f in faults if f.end - f.start < pd.Timedelta(days=3)]
    mode, reason = _modes(m, ctx, rng, short)
    count, bad, speed, target, load = _production(m, ctx, mode, rng)
    draws = _Draws.draw(rng, grid.n, grid.dt_min)
    health = 100 - rng.uniform(1, 8)
    cf_raw, env = _MODELS[m.type](m, ctx, mode, load, draws)
    cf = _finish(cf_raw, m.rated_power_kw)

    measures = [x for x in plan.measures if x.machine == m.name]
    fault_rows: list[dict] = []
    measure_rows: list[dict] = []
    power = cf
    if inject:
        power = _finish(_inject(m, ctx, mode, load, draws, cf_raw, env, faults,
                                measures[0] if measures else None), m.rated_power_kw)
        for f in faults:
            w = slice(grid.index(f.start), grid.index(f.end))
            pw, pcf = power[f.energy_type][w], cf[f.energy_type][w]
            extra = np.round(pw * grid.dt_h, 6) - np.round(pcf * grid.dt_h, 6)
            if not extra.any() or not pcf.any():
                continue  # it changed nothing (e.g. the machine stood still throughout): no truth to find
            fault_rows.append({
                "fault_id": f.fault_id, "machine_id": m.id, "machine_name": m.name, "energy_type": f.energy_type,
                "fault_type": f.fault_type, "start_time": f.start, "end_time": f.end,
                "description": f.description, "expected_effect": f.expected_effect,
                "power_change_pct": 100 * float(np.mean(pw - pcf)) / float(np.mean(pcf)),
                "extra_energy_kwh": float(extra.sum()), "in_baseline_period": bool(f.start < plan.baseline_end),
            })
    keep = np.ones(grid.n, dtype=bool)
    estimated = np.zeros(grid.n, dtype=bool)
    for o in plan.outages:
        if o.machine == m.name:
            i0, i1 = grid.index(o.start), grid.index(o.end)
            keep[i0:i1] = False
            estimated[i1:i1 + grid.intervals(0.25)] = True  # the gateway's back-filled first readings
    if inject:
        for x in measures:
            w = np.arange(grid.n) >= grid.index(x.start)
            w &= keep
            cf_kwh = float(np.round(cf[x.energy_type][w] * grid.dt_h, 6).sum())
            actual = float(np.round(power[x.energy_type][w] * grid.dt_h, 6).sum())
            measure_rows.append({
                "measure_id": x.measure_id, "machine_id": m.id, "machine_name": m.name,
                "energy_type": x.energy_type, "name": x.name, "description": x.description,
                "start_time": x.start, "end_time": pd.NaT, "design_saving_fraction": x.design_saving_fraction,
                "counterfactual_kwh": cf_kwh, "actual_kwh": actual, "saving_kwh": cf_kwh - actual,
                "saving_fraction": (cf_kwh - actual) / cf_kwh if cf_kwh else np.nan,
            })
    last = int(np.flatnonzero(keep)[-1])
    t_last = grid.time(last)
    active = inject and any(f.start <= t_last < f.end for f in faults)
    status = {"machine_id": m.id, "is_running": bool(mode[last] == RUN), "current_mode": MODES[mode[last]],
              "current_power_kw": float(power["electricity"][last]), "last_reading_time": t_last,
              "alert_level": "normal", "health_score": round(health - 30 * active, 2),
              "last_updated": t_last + pd.Timedelta(seconds=grid.step_s)}
    return _Run(m, ctx, keep, estimated, mode, reason, count, bad, speed, target, power, env, draws,
                fault_rows, measure_rows, status)



# ---------------------------------------------------------------------------------------- frames


def _const(value: str, n: int) -> pd.api.extensions.ExtensionArray:
    """A str column of one repeated value, built in Arrow (no n Python objects)."""
    return pd.array(pa.repeat(pa.scalar(value, pa.large_string()), n), dtype="str")


def _labels(labels: tuple[str, ...], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    return pd.array(pa.array(labels, pa.large_string()).take(pa.array(codes)), dtype="str")


def _nullable(labels: tuple[str | None, ...], codes: np.ndarray) -> pd.Series:
    """An object column of str or None (None stays None, not NaN)."""
    return pd.Series(np.array(labels, dtype=object)[codes], dtype=object)


def _json_amounts(amount: np.ndarray, unit: str) -> np.ndarray:
    text = pc.cast(pa.array(amount), pa.string())
    return pc.binary_join_element_wise('{"native_amount": ', text, f', "native_unit": "{unit}"}}',
                                       "").to_numpy(zero_copy_only=False)


_NATIVE = {"natural_gas": (GAS_KWH_PER_M3, "m3"), "steam": (STEAM_KWH_PER_KG, "kg")}


def _energy_frames(run: _Run) -> Iterator[pd.DataFrame]:
    """energy_readings rows, one frame per energy type (so a boiler never holds 3 x n rows at once)."""
    m, f, keep, d = run.machine, run.ctx.factory, run.keep, run.draws
    nk = int(keep.sum())
    estimated = run.estimated[keep]
    nan = np.full(nk, np.nan)
    for t in m.energy_types:
        power = run.power[t][keep]
        energy = np.round(power * run.ctx.grid.dt_h, 6)  # from the rounded power: exactly its integral
        if t == "electricity":
            volts = f.voltage_v * (1 + 0.006 * d.volt[keep])
            pf = np.clip(0.55 + 0.37 * np.sqrt(np.clip(power / m.rated_power_kw, 0, 1.2)) + 0.004 * d.env2[keep],
                         0.3, 0.99)
            electric = {"voltage_v": np.round(volts, 2),
                        "current_a": np.round(power * 1000 / (np.sqrt(3) * volts * pf), 3),
                        "power_factor": np.round(pf, 3),
                        "frequency_hz": np.round(f.frequency_hz + 0.012 * d.freq[keep], 3)}
            meta = np.full(nk, None, dtype=object)
        else:
            electric = dict.fromkeys(("voltage_v", "current_a", "power_factor", "frequency_hz"), nan)
            factor, unit = _NATIVE[t]
            meta = _json_amounts(np.round(energy / factor, 6), unit)
        yield pd.DataFrame({
            "time": run.ctx.times[keep],
            "machine_id": _const(m.id, nk),
            "energy_type": _const(t, nk),
            "power_kw": power,
            "energy_kwh": energy,
            **electric,
            "is_estimated": estimated,
            "quality_score": np.where(estimated, 0.8, 1.0),
            "source": _const(SOURCE, nk),
            "metadata": pd.Series(meta, dtype=object, copy=False),
        })


def _production_frame(run: _Run) -> pd.DataFrame:
    keep, grid = run.keep, run.ctx.grid
    mode, count, bad = run.mode[keep], run.count[keep], run.bad[keep]
    nk = mode.size
    return pd.DataFrame({
        "time": run.ctx.times[keep],
        "machine_id": _const(run.machine.id, nk),
        "production_count": count,
        "production_count_good": count - bad,
        "production_count_bad": bad,
        "throughput_units_per_hour": np.round(count / grid.dt_h, 2),
        "operating_mode": _labels(MODES, mode),
        "speed_percent": run.speed[keep],
        "target_speed_percent": run.target[keep],
        "downtime_seconds": np.where((mode == MAINT) | (mode == FAULT), grid.step_s, 0).astype(np.int64),
        "downtime_reason": _nullable(_STOP_REASONS, run.reason[keep]),
        "shift": _nullable((None, "A", "B", "C"), run.ctx.cal.shift[keep]),
    })


def _environmental_frame(run: _Run) -> pd.DataFrame:
    keep, ctx, nk = run.keep, run.ctx, int(run.keep.sum())
    nan = np.full(nk, np.nan)
    decimals = {"pressure_bar": 3, "pressure_setpoint_bar": 3, "flow_rate_m3h": 3, "vibration_mm_s": 3}
    frame = {
        "time": ctx.times[keep],
        "machine_id": _const(run.machine.id, nk),
        "outdoor_temp_c": np.round(ctx.t_out[keep], 2),
        "indoor_temp_c": np.round(ctx.t_in[keep], 2),
        "machine_temp_c": nan,
        "outdoor_humidity_percent": np.round(ctx.rh_out[keep], 2),
        "indoor_humidity_percent": np.round(ctx.rh_in[keep], 2),
    }
    for column in _ENV_COLUMNS:
        values = run.env.get(column)
        frame[column] = nan if values is None else np.round(values[keep], decimals.get(column, 2))
    return pd.DataFrame(frame)


def _slug(text: str) -> str:
    return text.lower().replace(" ", "-")


def _dimension_frames(selected: list[tuple[int, Machine]], step_s: int) -> Iterator[tuple[str, pd.DataFrame]]:
    machines = [m for _, m in selected]
    names = {m.factory for m in machines}
    factories = [f for f in plant.FACTORIES if f.name in names]
    yield "factories", pd.DataFrame([{
        "id": f.id, "name": f.name, "location": f.location, "address": f.address, "timezone": f.timezone,
        "contact_email": f.contact_email, "contact_phone": f.contact_phone, "is_active": True,
        "metadata": json.dumps({"currency": f.currency, "carbon_region": f.carbon_region, "country": f.country}),
    } for f in factories])
    rows = []
    for m in machines:
        f = plant.factory(m.factory)
        rows.append({
            "id": m.id, "factory_id": f.id, "name": m.name, "description": m.description, "type": m.type,
            "manufacturer": m.manufacturer, "model": m.model, "serial_number": m.serial_number,
            "installation_date": m.installation_date, "rated_power_kw": m.rated_power_kw,
            "rated_voltage_v": f.voltage_v,
            "rated_current_a": round(m.rated_power_kw * 1000 / (np.sqrt(3) * f.voltage_v * 0.85), 2),
            "rated_frequency_hz": f.frequency_hz, "location_in_factory": m.location_in_factory,
            "data_interval_seconds": step_s, "mqtt_topic": f"enms/{_slug(f.name)}/{_slug(m.name)}/telemetry",
            "is_active": True, "is_critical": m.is_critical,
            "metadata": json.dumps({"energy_types": list(m.energy_types), "production_unit": m.production_unit,
                                    "production_basis": m.production_basis, "source": SOURCE}),
        })
    yield "machines", pd.DataFrame(rows)
    yield "energy_sources", pd.DataFrame([{
        "id": s.id, "name": s.name, "unit": s.unit, "cost_per_unit": s.cost_per_unit,
        "carbon_factor": s.carbon_factor, "is_active": True} for s in plant.ENERGY_SOURCES])
    yield "energy_tariffs", pd.DataFrame([{
        "id": t.id, "factory_id": plant.factory_id(t.factory), "name": t.name, "rate_per_kwh": t.rate_per_kwh,
        "currency": t.currency, "is_time_of_use": t.is_time_of_use, "start_hour": t.start_hour,
        "end_hour": t.end_hour, "applicable_days": list(t.applicable_days),
        "demand_charge_per_kw": t.demand_charge_per_kw, "valid_from": t.valid_from, "valid_to": t.valid_to,
        "is_active": True} for t in plant.TARIFFS if t.factory in names])
    yield "carbon_factors", pd.DataFrame([{
        "id": c.id, "region": c.region, "grid_name": c.grid_name,
        "emission_factor_kg_co2_per_kwh": c.kg_co2_per_kwh, "source": c.source, "valid_from": c.valid_from,
        "valid_to": c.valid_to, "is_active": True} for c in plant.CARBON_FACTORS])


_UTC = "datetime64[us, UTC]"
_TRUTH_COLUMNS: dict[str, dict[str, str]] = {
    "machine_status": {
        "machine_id": "str", "is_running": "bool", "current_mode": "str", "current_power_kw": "float64",
        "last_reading_time": _UTC, "alert_level": "str", "health_score": "float64", "last_updated": _UTC},
    f"{OWN_SCHEMA}.fault_truth": {
        "fault_id": "int64", "machine_id": "str", "machine_name": "str", "energy_type": "str",
        "fault_type": "str", "start_time": _UTC, "end_time": _UTC, "description": "str",
        "expected_effect": "str", "power_change_pct": "float64", "extra_energy_kwh": "float64",
        "in_baseline_period": "bool"},
    f"{OWN_SCHEMA}.efficiency_measures": {
        "measure_id": "int64", "machine_id": "str", "machine_name": "str", "energy_type": "str", "name": "str",
        "description": "str", "start_time": _UTC, "end_time": _UTC, "design_saving_fraction": "float64",
        "counterfactual_kwh": "float64", "actual_kwh": "float64", "saving_kwh": "float64",
        "saving_fraction": "float64"},
    f"{OWN_SCHEMA}.outage_truth": {"machine_id": "str", "start_time": _UTC, "end_time": _UTC, "description": "str"},
}


def _typed(table: str, rows: list[dict]) -> pd.DataFrame:
    columns = _TRUTH_COLUMNS[table]
    frame = pd.DataFrame(rows, columns=list(columns))
    for column, dtype in columns.items():  # an all-NaT column would come out tz-naive: localize it
        frame[column] = (pd.to_datetime(frame[column], utc=True).dt.as_unit("us") if dtype == _UTC
                         else frame[column].astype(dtype))
    return frame


def simulate(config: DemoConfig) -> Iterator[tuple[str, pd.DataFrame]]:
    """Yield (table_name, frame) chunks in load order: the dimension tables, then per machine its
    energy_readings, production_data and environmental_data, then machine_status and our truth tables.

    A machine's energy_readings come as one chunk per energy type (the boiler: electricity, natural_gas,
    steam). Times are UTC (``datetime64[us, UTC]``), a reading at ``time`` covering [time, time + resolution);
    power in kW, energy in kWh (gas and steam as kWh-equivalents, native m³ / kg in metadata).
    Raises ValueError for an unknown machine name or an unusable resolution or end.
    """
    selected = _selected(config)
    grid = _grid(config)
    plan = demo_plan(config)
    yield from _dimension_frames(selected, grid.step_s)
    names = {m.name: m for _, m in selected}
    statuses: list[dict] = []
    fault_rows: list[dict] = []
    measure_rows: list[dict] = []
    ctx: _Context | None = None
    for idx, m in selected:
        if ctx is None or ctx.factory.name != m.factory:
            ctx = None  # free the previous factory's arrays before building the next
            ctx = _context(plant.factory(m.factory), grid, config.seed)
        run = _simulate_machine(idx, m, ctx, plan, config.seed, config.inject_faults)
        for frame in _energy_frames(run):
            yield "energy_readings", frame
        yield "production_data", _production_frame(run)
        yield "environmental_data", _environmental_frame(run)
        statuses.append(run.status)
        fault_rows += run.fault_rows
        measure_rows += run.measure_rows
        run = None
    ctx = None
    yield "machine_status", _typed("machine_status", statuses)
    yield f"{OWN_SCHEMA}.fault_truth", _typed(f"{OWN_SCHEMA}.fault_truth",
                                              sorted(fault_rows, key=lambda r: r["fault_id"]))
    yield f"{OWN_SCHEMA}.efficiency_measures", _typed(f"{OWN_SCHEMA}.efficiency_measures", measure_rows)
    yield f"{OWN_SCHEMA}.outage_truth", _typed(f"{OWN_SCHEMA}.outage_truth", [
        {"machine_id": names[o.machine].id, "start_time": o.start, "end_time": o.end,
         "description": "communication outage: the gateway sent no readings"} for o in plan.outages])
