"""A factory on the simulation grid: its shift calendar in local time, its weather, its line activity.

Randomness is seeded per factory (``SeedSequence([seed, 1000 + factory_index, stream])``), so every machine
of a factory sees the same calendar, weather and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from enms.calendars import closing_days
from enms.demo import plant
from enms.demo.config import Grid
from enms.demo.plant import Factory
from enms.demo.signals import ar1, lag, slowdowns

_US_PER_MIN = 60_000_000
_US_PER_DAY = 86_400_000_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


# -------------------------------------------------------------------------------------------- calendar


@dataclass
class Calendar:
    """A factory's calendar, one value per grid interval."""

    local_min: np.ndarray  # int64 minute of the local day
    weekday: np.ndarray  # int64, Monday = 0 (local)
    shift: np.ndarray  # int8: 0 = no shift, 1 = A, 2 = B, 3 = C
    in_break: np.ndarray  # bool: a short break inside a shift, covering the whole interval
    offline: np.ndarray  # bool: holiday or shutdown
    occupied: np.ndarray  # bool: HVAC occupied = shift or the hour before one
    product: np.ndarray  # int8: product of the shift (0 = A, 1 = B)

    @property
    def in_shift(self) -> np.ndarray:
        return self.shift > 0


def factory_index(f: Factory) -> int:
    """Position of the factory in the seed plant (it seeds the factory's random streams)."""
    return plant.FACTORIES.index(f)


def factory_calendar(f: Factory, grid: Grid, seed: int, times: pd.DatetimeIndex | None = None,
                     site: Site | None = None) -> Calendar:
    """The factory's shift calendar on the UTC grid, evaluated in its local wall-clock time; ``site`` says how it
    is simulated (default: the seed factory's, `seed_site`)."""
    site = seed_site(f) if site is None else site
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1000 + site.index, 0]))
    times = grid.times() if times is None else times
    local = times.tz_convert(ZoneInfo(f.timezone)).tz_localize(None).as_unit("us").asi8
    day, minute = np.divmod(local, _US_PER_DAY)
    minute //= _US_PER_MIN
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday
    first, last = pd.Timestamp(int(day[0]), unit="D").year, pd.Timestamp(int(day[-1]), unit="D").year
    # The same closing days as the warehouse's factory metadata gives the forecasts (enms.calendars).
    days, _ = closing_days(f.metadata, f.location, f.timezone, range(first - 1, last + 2))
    closed = np.array(sorted(d.toordinal() - _EPOCH_ORDINAL for d in days))
    off, off_before, off_after = (np.isin(day + k, closed) for k in (0, -1, 1))

    weekdays = weekday < 5
    shift = np.zeros(grid.n, dtype=np.int8)
    shift[weekdays & (minute >= 360) & (minute < 840)] = 1
    shift[weekdays & (minute >= 840) & (minute < 1320)] = 2
    start_day = day.copy()
    if site.night_shift:
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
    # A break marks the intervals it covers whole (at 1-15 min all of it; an hourly grid has none).
    last = into + grid.dt_min
    in_break = in_shift & (((into >= 120) & (last <= 135)) | ((into >= 240) & (last <= 270))
                           | ((into >= 360) & (last <= 375)))
    ahead = grid.intervals(1.0)
    occupied = in_shift.copy()
    occupied[:-ahead] |= in_shift[ahead:]

    key = start_day * 4 + shift
    products = (rng.random(int(key.max() - key.min()) + 1) >= 0.6).astype(np.int8)  # 60 % product A
    product = np.where(in_shift, products[key - key.min()], 0).astype(np.int8)
    return Calendar(minute, weekday, shift, in_break, off, occupied, product)


# -------------------------------------------------------------------------------- factory context


@dataclass(frozen=True)
class Climate:
    """A factory's weather parameters (°C, %, days of the year, hours)."""

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
    plant.LA: Climate(18.5, 4.5, 228, 4.0, 0.1, 1.5, 72, 62, 4),
    plant.BERLIN: Climate(10.0, 9.0, 200, 3.5, 0.3, 3.0, 60, 74, 9),
}
LINE_MEAN = 0.93  # mean line rate as a fraction of the nominal rate
LINE_UNITS_H = {plant.LA: (900.0, 700.0), plant.BERLIN: (1200.0, 1000.0)}  # per product A, B


@dataclass(frozen=True)
class Site:
    """How a factory is simulated: ``index`` seeds its random streams (``SeedSequence([seed, 1000 + index, k])``),
    its climate, its line's nominal rate (units/h per product A, B) and its shift pattern (``night_shift``:
    Berlin's three shifts around the clock; else Los Angeles's two shifts and some Saturday mornings)."""

    index: int
    climate: Climate
    line_units_h: tuple[float, float]
    night_shift: bool


def seed_site(f: Factory) -> Site:
    """The site of a seed factory, looked up by its name (KeyError for another factory)."""
    return Site(factory_index(f), _CLIMATE[f.name], LINE_UNITS_H[f.name], f.country == "DE")


@dataclass
class Context:
    factory: Factory
    grid: Grid
    times: pd.DatetimeIndex
    cal: Calendar
    t_out: np.ndarray  # °C
    rh_out: np.ndarray  # %
    t_in: np.ndarray  # °C, the hall (HVAC-controlled)
    rh_in: np.ndarray  # %
    line_rate: np.ndarray  # fraction of the nominal rate the factory's line runs at
    activity: np.ndarray  # line activity: line_rate in shifts, low in breaks, 0 outside shifts
    site: Site


def _weather(f: Factory, c: Climate, grid: Grid, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Outdoor temperature (°C) and humidity (%) on the grid: an hourly series, linearly interpolated."""
    h0 = grid.start.floor("h") - pd.Timedelta(hours=1)
    nh = int((grid.end - h0) / pd.Timedelta(hours=1)) + 2
    hours = pd.date_range(h0, periods=nh, freq="h")
    local = hours.tz_convert(ZoneInfo(f.timezone))
    local_hour = local.hour.to_numpy() + local.minute.to_numpy() / 60
    doy = hours.day_of_year.to_numpy() + hours.hour.to_numpy() / 24
    seasonal = np.cos(2 * np.pi * (doy - c.peak_doy) / 365.25)
    daily = np.cos(2 * np.pi * (local_hour - 15) / 24)  # warmest at 15:00 local
    cloud = np.clip(1 + 0.2 * ar1(rng, nh, 60, 24 * 60), 0.5, 1.4)  # cloudy days swing less
    anomaly = c.anomaly_c * ar1(rng, nh, 60, c.anomaly_tau_h * 60)
    temp = c.mean_c + c.seasonal_c * seasonal + c.daily_c * (1 + c.daily_season * seasonal) * cloud * daily + anomaly
    rh = c.rh_mean - c.rh_season * seasonal - 14 * daily - 1.5 * anomaly + 5 * ar1(rng, nh, 60, 720)
    x = (grid.start - h0).total_seconds() / 3600 + np.arange(grid.n) * grid.dt_h
    return np.interp(x, np.arange(nh), temp), np.interp(x, np.arange(nh), np.clip(rh, 8, 100))


def factory_context(f: Factory, grid: Grid, seed: int, site: Site | None = None) -> Context:
    """The factory's calendar, weather and line on the grid; ``site`` default: the seed factory's (`seed_site`)."""
    site = seed_site(f) if site is None else site
    fi = site.index
    times = grid.times()
    cal = factory_calendar(f, grid, seed, times, site)
    t_out, rh_out = _weather(f, site.climate, grid,
                             np.random.default_rng(np.random.SeedSequence([seed, 1000 + fi, 1])))
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1000 + fi, 2]))
    n, dt = grid.n, grid.dt_min
    line = (LINE_MEAN + 0.035 * ar1(rng, n, dt, 120)) * slowdowns(rng, n, dt, 3, (20, 120), (0.55, 0.8))
    line = np.clip(line, 0.3, 1.05)
    activity = np.where(cal.in_shift, np.where(cal.in_break, 0.15, line), 0.0)
    # The hall: held near 21.5 °C when occupied, drifting with the weather otherwise.
    target = np.where(cal.occupied, 21.5 + 0.06 * (t_out - 18), np.clip(21.5 + 0.35 * (t_out - 18), 15, 29))
    t_in = lag(target, 60, dt) + 0.15 * ar1(rng, n, dt, 30)
    rh_in = np.clip(45 + 0.25 * (rh_out - 60) + 2 * ar1(rng, n, dt, 240), 25, 65)
    return Context(f, grid, times, cal, t_out, rh_out, t_in, rh_in, line, activity, site)
