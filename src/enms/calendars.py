"""Closing days of the factories: public holidays per country and the Christmas–New-Year shutdown.

The EnMS has no calendar table; the demo plant closes on these days, and forecasts use them as the plan.
Local dates (no time zone: a holiday is a day of the factory's own calendar).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import pandas as pd

from enms.frames import parse_metadata


def _easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (b - (b + 8) // 25 + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    m = (32 + 2 * e + 2 * i - h - k) % 7
    q = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * q + 114, 31)
    return date(year, month, day + 1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """n-th (1-based; -1 = last) ``weekday`` (Monday = 0) of a month."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(d: date) -> date:
    """US rule: a fixed-date holiday on Saturday is taken on Friday, on Sunday on Monday."""
    return d - timedelta(days=1) if d.weekday() == 5 else d + timedelta(days=1) if d.weekday() == 6 else d


def holidays(country: str, year: int) -> set[date]:
    """Local dates the factory is closed: public holidays plus the Dec 24 - Jan 1 shutdown."""
    days = {date(year, 12, 24) + timedelta(days=k) for k in range(8)} | {date(year, 1, 1)}
    if country == "US":
        days |= {_observed(date(year, 7, 4)), _observed(date(year, 1, 1)), _observed(date(year, 12, 25)),
                 _nth_weekday(year, 5, 0, -1), _nth_weekday(year, 9, 0, 1), _nth_weekday(year, 11, 3, 4)}
    elif country == "DE":
        easter = _easter(year)
        days |= {date(year, 3, 8),  # Internationaler Frauentag, a Berlin holiday
                 date(year, 5, 1), date(year, 10, 3), date(year, 12, 25), date(year, 12, 26)}
        days |= {easter + timedelta(days=k) for k in (-2, 1, 39, 50)}  # Good Friday .. Whit Monday
    else:
        raise ValueError(f"no holiday calendar for country {country!r}")
    return days


def factory_holidays(factories: pd.DataFrame, years: Iterable[int]) -> dict[str, set[date]]:
    """Closing days per factory_id, from the ``country`` in each factory's metadata (JSON); factories without
    a known country get none."""
    out: dict[str, set[date]] = {}
    for factory in factories.itertuples(index=False):
        country = parse_metadata(factory.metadata).get("country")
        if country in ("US", "DE"):
            out[str(factory.factory_id)] = set().union(*(holidays(country, year) for year in years))
    return out
