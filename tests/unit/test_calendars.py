import json
import warnings
from datetime import date, timedelta

import pandas as pd
import pytest

from enms.calendars import (
    ZONE_SUBDIVISIONS,
    closing_days,
    factory_holidays,
    factory_places,
    holidays,
    locate,
    public_holidays,
    shutdown_days,
)
from enms.demo import plant


def _factories(*rows: tuple[str, str | None, str | None, dict]) -> pd.DataFrame:
    return pd.DataFrame([{"factory_id": fid, "factory_name": fid, "location": location, "timezone": zone,
                          "metadata": json.dumps(meta)} for fid, location, zone, meta in rows])


def test_berlin_has_easter_monday_and_its_own_womens_day() -> None:
    berlin = public_holidays("DE", [2026], subdivision="BE")
    assert berlin[date(2026, 4, 6)] == ("Easter Monday",)
    assert berlin[date(2026, 3, 8)] == ("Women's Day",)  # Internationaler Frauentag
    assert date(2026, 3, 8) not in public_holidays("DE", [2026])
    assert date(2026, 3, 8) not in public_holidays("DE", [2026], subdivision="BY")
    assert date(2026, 1, 6) in public_holidays("DE", [2026], subdivision="BY")  # Epiphany: Bavaria, not Berlin
    assert date(2026, 1, 6) not in berlin


def test_us_holidays_count_on_their_observed_day() -> None:
    us = public_holidays("US", [2026])
    assert us[date(2026, 11, 26)] == ("Thanksgiving Day",)
    assert us[date(2026, 7, 3)] == ("Independence Day",)  # Saturday 4 July is taken on Friday
    assert date(2026, 7, 4) not in us
    assert len(us) == 11  # the federal holidays


def test_location_and_time_zone_give_country_and_subdivision() -> None:
    assert locate({}, "Berlin, Germany", "Europe/Berlin").code == "DE-BE"
    assert locate({}, "Los Angeles, CA, USA", "America/Los_Angeles").code == "US-CA"
    assert locate({}, "1200 Industrial Way, Los Angeles, CA 90058, USA", None).code == "US-CA"
    assert locate({}, "Los Angeles, CA", "America/Los_Angeles").code == "US-CA"  # CA: California, not Canada
    assert locate({}, "Munich, Germany", None).code == "DE"  # a city, not a state: national holidays
    assert locate({}, None, "Europe/Berlin").code == "DE"
    assert locate({}, None, "America/Los_Angeles").code == "US"  # the zone also covers OR, WA, NV
    assert locate({}, None, "Australia/Perth").code == "AU-WA"
    # An explicit setting wins; a null subdivision means the national holidays.
    assert locate({"country": "DE", "subdivision": "BY"}, "Berlin, Germany", "Europe/Berlin").code == "DE-BY"
    assert locate({"subdivision": "DE-HH"}, "Berlin, Germany", None).code == "DE-HH"
    assert locate({"country": "de", "subdivision": "Bayern"}, None, None).code == "DE-BY"
    assert locate({"subdivision": None}, "Berlin, Germany", None).code == "DE"
    assert locate({"country": "FR"}, "Berlin, Germany", "Europe/Berlin").code == "FR"


def test_zone_subdivisions_are_subdivisions_of_the_zones_country() -> None:
    for zone, sub in ZONE_SUBDIVISIONS.items():
        assert locate({}, None, zone).subdivision == sub, zone


def test_a_factory_in_lyon_gets_french_holidays() -> None:
    days = factory_holidays(_factories(("lyon", "Lyon, France", "Europe/Paris", {})), [2026])["lyon"]
    assert date(2026, 7, 14) in days
    assert date(2026, 12, 24) not in days  # no shutdown unless the metadata says so
    assert date(2026, 7, 3) not in days
    assert factory_places(_factories(("lyon", "Lyon, France", "Europe/Paris", {})))["lyon"].note == (
        "FR from the location, national holidays")


def test_an_unknown_country_gives_no_public_holidays_and_says_why() -> None:
    frame = _factories(("x", "Atlantis", "UTC", {}),
                       ("y", None, None, {"country": "XX", "shutdown": ["08-01", "08-03"]}))
    with pytest.warns(UserWarning) as caught:
        days = factory_holidays(frame, [2026])
    assert "x" not in days
    assert days["y"] == {date(2026, 8, 1), date(2026, 8, 2), date(2026, 8, 3)}  # the shutdown only
    notes = [str(w.message) for w in caught]
    assert notes == ["factory x: no public holidays: no country in the metadata, the location ('Atlantis') or "
                     "the time zone ('UTC')",
                     "factory y: no public holidays: the holidays package has no calendar for country 'XX' "
                     "(from the metadata)"]
    with pytest.warns(UserWarning, match="unknown subdivision 'ZZ'"):
        assert holidays("US", 2026, subdivision="ZZ") == set(public_holidays("US", [2026]))


def test_closed_on_and_shutdown_make_the_closure_policy() -> None:
    days = holidays("US", 2026, closed_on=["Independence Day", "Labor Day"], shutdown=["12-24", "01-01"])
    shutdown = {date(2026, 1, 1)} | {date(2026, 12, 24) + timedelta(days=k) for k in range(8)}
    assert days == {date(2026, 7, 3), date(2026, 9, 7)} | shutdown
    assert shutdown_days(["12-24", "01-01"], [2026]) == shutdown
    assert shutdown_days(["07-27", "07-31"], [2025, 2026]) == {date(y, 7, d) for y in (2025, 2026)
                                                              for d in range(27, 32)}
    assert shutdown_days(None, [2026]) == set()


def test_the_demo_plant_keeps_its_hand_written_closing_days() -> None:
    """The simulator's closures are the demo's truth: the dates the hand-written calendars gave in 2025-2026."""
    shutdown = {date(2025, 1, 1), date(2026, 1, 1)} | {date(y, 12, d) for y in (2025, 2026) for d in range(24, 32)}
    expected = {
        "US": shutdown | {date(2025, 5, 26), date(2025, 7, 4), date(2025, 9, 1), date(2025, 11, 27),
                          date(2026, 5, 25), date(2026, 7, 3), date(2026, 9, 7), date(2026, 11, 26)},
        # 8 May 2025, Berlin's one-off holiday the old list lacked, is before the demo's first day (2025-09-28).
        "DE": shutdown | {date(2025, 3, 8), date(2025, 4, 18), date(2025, 4, 21), date(2025, 5, 1), date(2025, 5, 8),
                          date(2025, 5, 29), date(2025, 6, 9), date(2025, 10, 3),
                          date(2026, 3, 8), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 1), date(2026, 5, 14),
                          date(2026, 5, 25), date(2026, 10, 3)},
    }
    for f in plant.FACTORIES:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            days, where = closing_days(f.metadata, f.location, f.timezone, [2025, 2026])
        assert days == expected[f.country], f.name
        assert where.code == {"US": "US-CA", "DE": "DE-BE"}[f.country]
