"""Closing days of the factories: the public holidays of the factory's country and subdivision (the ``holidays``
package) and the factory's own closure policy.

The EnMS has no calendar table; the demo plant closes on these days, and forecasts use them as the plan.
Local dates (no time zone: a holiday is a day of the factory's own calendar).

Where a factory is (its ``Place``), first found wins:

1. its metadata: ``country`` (ISO 3166-1 alpha-2, e.g. ``"DE"``) and ``subdivision`` (ISO 3166-2 without the
   country, e.g. ``"BE"``, or ``"DE-BE"``; JSON ``null`` = national holidays only);
2. its ``location`` text, read from the end: the last comma-separated part names the country (English name,
   alpha-2 or alpha-3 code, a few common names: ``Germany``, ``USA``, ``UK``), an earlier part a subdivision
   (code or name: ``'Los Angeles, CA, USA'`` → US-CA, ``'Berlin, Germany'`` → DE-BE; a city that is not a
   subdivision's name gives the national holidays only);
3. its IANA ``timezone``: the country from the tz database's ``zone.tab`` (package ``tzdata``, else the system's),
   a subdivision only for the few zones of ``ZONE_SUBDIVISIONS`` that lie within one (``America/Los_Angeles``
   also covers Oregon, Washington and Nevada: US only; ``Europe/Berlin`` → DE).

The closure policy, also from the metadata:

- ``closed_on``: names of the public holidays the factory closes on (English where the ``holidays`` package has
  English names, else its default language); default: every public holiday;
- ``shutdown``: ``["MM-DD", "MM-DD"]``, first and last day of the factory's annual shutdown, inclusive, across
  the new year when the last precedes the first (the demo plant: ``["12-24", "01-01"]``); default: none.

A holiday the law moves to an observed day (in the US a Saturday holiday to Friday, a Sunday one to Monday; the
UK's substitute days) closes the factory on the observed day only: its own date is a weekend day, which the
weekly schedule already covers.
"""

from __future__ import annotations

import importlib.resources
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import holidays as holidays_lib
import pandas as pd
from holidays.registry import COUNTRIES

from enms.frames import parse_metadata

ZONE_SUBDIVISIONS: dict[str, str] = {
    "America/Phoenix": "AZ", "Pacific/Honolulu": "HI",
    "America/Vancouver": "BC", "America/Regina": "SK", "America/St_Johns": "NL",
    "Australia/Melbourne": "VIC", "Australia/Brisbane": "QLD", "Australia/Adelaide": "SA",
    "Australia/Perth": "WA", "Australia/Hobart": "TAS", "Australia/Darwin": "NT",
}
"""IANA zones that lie within one subdivision of their country (zone.tab's comments), e.g. Australia's states,
whose holidays differ. Zones shared by several subdivisions (America/Los_Angeles, Australia/Sydney with the
ACT) give none."""

_COUNTRY_ALIASES = {"unitedstatesofamerica": "US", "america": "US", "greatbritain": "GB", "britain": "GB",
                    "england": "GB", "scotland": "GB", "wales": "GB", "deutschland": "DE", "holland": "NL"}
"""Common names of a country the ``holidays`` registry does not spell (normalised: lower case, letters only)."""

_SYSTEM_ZONE_TABLE = Path("/usr/share/zoneinfo/zone.tab")
_OBSERVED_REACH = 7  # days an observed day may lie from its holiday's own date


@dataclass(frozen=True)
class Place:
    """Where a factory's public holidays come from: ``country`` None = none; ``note`` says how it was found."""

    country: str | None
    subdivision: str | None
    note: str

    @property
    def code(self) -> str:
        """``"DE-BE"``, ``"FR"`` or ``"none"``."""
        return "-".join(p for p in (self.country, self.subdivision) if p) or "none"


def _key(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.casefold())


@cache
def _country_names() -> dict[str, str]:
    """Normalised country name or code → alpha-2, from the ``holidays`` registry (class names such as
    ``UnitedStates``, alpha-2, alpha-3 and aliases such as ``UK``)."""
    names = dict(_COUNTRY_ALIASES)
    for class_name, *codes in COUNTRIES.values():
        alpha2 = codes[0]
        names[_key(class_name)] = alpha2
        names.update({_key(code): alpha2 for code in codes if not code.startswith("Holidays")})
    return names


@cache
def _zone_countries() -> dict[str, str]:
    """IANA zone → alpha-2 from ``zone.tab`` (one country per zone); empty when no table is found."""
    try:
        text = importlib.resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        text = _SYSTEM_ZONE_TABLE.read_text("utf-8") if _SYSTEM_ZONE_TABLE.is_file() else ""
    rows = (line.split("\t") for line in text.splitlines() if line and not line.startswith("#"))
    return {row[2]: row[0] for row in rows if len(row) >= 3}


@cache
def _calendar(country: str) -> holidays_lib.HolidayBase | None:
    try:
        return holidays_lib.country_holidays(country)
    except NotImplementedError:
        return None


def _subdivision(country: str, text: str) -> str | None:
    """The subdivision code of ``country`` that ``text`` names (its code or one of its names), else None."""
    cal = _calendar(country)
    if cal is None:
        return None
    words = re.sub(r"\d", "", text).strip()  # '… CA 90058' → 'CA'
    codes = {code.casefold(): code for code in cal.subdivisions}
    if words.casefold() in codes:
        return codes[words.casefold()]
    aliases = {_key(name): code for name, code in getattr(cal, "subdivisions_aliases", {}).items()}
    return aliases.get(_key(words)) if _key(words) else None


def _from_location(location: str, hint: str | None) -> tuple[str | None, str | None]:
    """(country, subdivision) that a location text names; ``hint``: the country known otherwise (metadata or
    time zone), which also reads a text without a country ('Los Angeles, CA')."""
    parts = [p.strip() for p in location.split(",") if p.strip()]
    if not parts:
        return None, None
    named = _country_names().get(_key(parts[-1]))
    if hint and named != hint and (named is None or _subdivision(hint, parts[-1])):
        # no country named, or a code that is also a subdivision of the known country ('Los Angeles, CA' in US)
        country, rest = hint, parts
    elif named:
        country, rest = named, parts[:-1]
    else:
        return None, None
    return country, next((s for p in reversed(rest) if (s := _subdivision(country, p))), None)


def _declared_subdivision(country: str, value: object) -> str:
    """A metadata ``subdivision`` as the package's code: ``"DE-BE"``, ``"be"`` and ``"Berlin"`` → ``"BE"``."""
    text = str(value).strip()
    text = text[len(country) + 1:] if text.upper().startswith(f"{country}-") else text
    return _subdivision(country, text) or text


def locate(metadata: Mapping[str, object], location: str | None = None, timezone: str | None = None) -> Place:
    """The factory's country and subdivision: metadata, else location text, else time zone (module docstring)."""
    zone_country = _zone_countries().get(timezone or "")
    meta_country = str(metadata["country"]).strip().upper() if metadata.get("country") else None
    hint = meta_country or zone_country
    loc_country, loc_sub = _from_location(location, hint) if location else (None, None)
    country = meta_country or loc_country or zone_country
    if country is None:
        return Place(None, None, f"no public holidays: no country in the metadata, the location ({location!r}) "
                                 f"or the time zone ({timezone!r})")
    how = "metadata" if meta_country else "location" if loc_country else f"time zone {timezone}"
    if "subdivision" in metadata:
        sub = _declared_subdivision(country, metadata["subdivision"]) if metadata["subdivision"] else None
        sub_how = "metadata"
    elif loc_sub and loc_country == country:
        sub, sub_how = loc_sub, f"location {location!r}"
    elif timezone in ZONE_SUBDIVISIONS and zone_country == country:
        sub, sub_how = ZONE_SUBDIVISIONS[timezone], f"time zone {timezone}"
    else:
        sub, sub_how = None, None
    cal = _calendar(country)
    if cal is None:
        return Place(None, None, f"no public holidays: the holidays package has no calendar for country "
                                 f"{country!r} (from the {how})")
    if sub is not None and sub not in cal.subdivisions:
        return Place(country, None, f"{country} from the {how}; unknown subdivision {sub!r} (from the {sub_how}): "
                                    "national holidays only")
    return Place(country, sub, f"{country} from the {how}"
                 + (f", subdivision {sub} from the {sub_how}" if sub else ", national holidays"))


def public_holidays(country: str, years: Iterable[int], *, subdivision: str | None = None,
                    closed_on: Iterable[str] | None = None) -> dict[date, tuple[str, ...]]:
    """Public holidays (local dates → names) of a country, or of one of its subdivisions, in ``years``; a holiday
    moved to an observed day counts on that day only, under its own name; ``closed_on``: keep only these names.
    Raises ``NotImplementedError`` for a country or subdivision the ``holidays`` package does not know."""
    years = sorted(set(years))
    if not years:
        return {}
    span = range(years[0] - 1, years[-1] + 2)  # an observed day may cross the new year
    cal = _calendar(country)
    language = "en_US" if cal is not None and "en_US" in cal.supported_languages else None
    observed = holidays_lib.country_holidays(country, subdiv=subdivision, years=span, language=language)
    actual = holidays_lib.country_holidays(country, subdiv=subdivision, years=span, language=language,
                                           observed=False)
    days = {d: set(actual.get_list(d)) for d in actual}
    for moved_to in sorted(set(observed) - set(actual)):
        labels = observed.get_list(moved_to)  # e.g. 'Independence Day (observed)'
        names: set[str] = set()
        for k in range(-_OBSERVED_REACH, _OBSERVED_REACH + 1):
            own = moved_to + timedelta(days=k)
            moved = {n for n in days.get(own, ()) if any(n in label for label in labels)}
            if moved:
                days[own] -= moved
                names |= moved
        days[moved_to] = names or set(labels)
    keep = set(closed_on) if closed_on is not None else None
    out = {d: tuple(sorted(n for n in names if keep is None or n in keep)) for d, names in days.items()
           if d.year in years}
    return {d: names for d, names in sorted(out.items()) if names}


def shutdown_days(shutdown: Iterable[str] | None, years: Iterable[int]) -> set[date]:
    """Local dates of an annual shutdown ``["MM-DD", "MM-DD"]`` (inclusive, across the new year when the last
    precedes the first) that fall in ``years``."""
    if not shutdown:
        return set()
    first, last = ((int(m), int(d)) for m, d in (s.split("-") for s in shutdown))
    out: set[date] = set()
    for year in years:
        spans = ([(date(year, *first), date(year, *last))] if first <= last
                 else [(date(year, 1, 1), date(year, *last)), (date(year, *first), date(year, 12, 31))])
        for a, b in spans:
            out |= {a + timedelta(days=k) for k in range((b - a).days + 1)}
    return out


def closing_days(metadata: Mapping[str, object], location: str | None, timezone: str | None,
                 years: Iterable[int]) -> tuple[set[date], Place]:
    """A factory's closing days in ``years`` (its public holidays it closes on and its shutdown) and its place."""
    years = list(years)
    where = locate(metadata, location, timezone)
    days = shutdown_days(metadata.get("shutdown"), years)
    if where.country is not None:
        closed_on = metadata.get("closed_on")
        days |= set(public_holidays(where.country, years, subdivision=where.subdivision, closed_on=closed_on))
    return days, where


def holidays(country: str, year: int, *, subdivision: str | None = None, closed_on: Iterable[str] | None = None,
             shutdown: Iterable[str] | None = None) -> set[date]:
    """Local dates a factory in ``country`` (and ``subdivision``) is closed in ``year``: the public holidays it
    closes on plus its shutdown. An unknown country or subdivision warns and gives the shutdown only."""
    meta = {"country": country, "subdivision": subdivision, "closed_on": closed_on, "shutdown": shutdown}
    days, where = closing_days(meta, None, None, [year])
    if where.country is None or subdivision and where.subdivision is None:
        warnings.warn(where.note, stacklevel=2)
    return days


def _text(row: object, column: str) -> str | None:
    """A factory's text column; None where the frame lacks it or the cell is empty (NULL, NaN, blank)."""
    value = getattr(row, column, None)
    return (value.strip() or None) if isinstance(value, str) else None


def factory_places(factories: pd.DataFrame) -> dict[str, Place]:
    """Place per factory_id, from each factory's ``metadata`` (JSON), ``location`` and ``timezone``."""
    return {str(f.factory_id): locate(parse_metadata(f.metadata), _text(f, "location"), _text(f, "timezone"))
            for f in factories.itertuples(index=False)}


def factory_holidays(factories: pd.DataFrame, years: Iterable[int]) -> dict[str, set[date]]:
    """Closing days per factory_id (local dates) in ``years``; a factory without public holidays (no country
    found, or one the ``holidays`` package lacks) warns with the reason, and without a shutdown it gets none."""
    years = list(years)
    out: dict[str, set[date]] = {}
    for f in factories.itertuples(index=False):
        days, where = closing_days(parse_metadata(f.metadata), _text(f, "location"), _text(f, "timezone"), years)
        if where.country is None:
            warnings.warn(f"factory {f.factory_id}: {where.note}", stacklevel=2)
        if days:
            out[str(f.factory_id)] = days
    return out
