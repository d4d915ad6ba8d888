"""Carbon of enms.kpis: factors per local date and region."""

from __future__ import annotations

import pandas as pd
import pytest
from unit.kpis.plant import BERLIN, LA, buckets, energy, make_carbon, make_factories, make_machines, make_sources

from enms import kpis


def test_carbon_factor_switches_on_its_local_valid_from_date() -> None:
    # Berlin (UTC+1 in winter): local 2025-12-31 22:00, 23:00 at 0.38 kg/kWh; 2026-01-01 00:00, 01:00 at 0.35.
    # 1 kWh each: 2 x 0.38 + 2 x 0.35 = 1.46 kg. (By UTC date, 00:00 local = 23:00 UTC Dec 31 would take 0.38.)
    frame = energy("m3", "electricity", buckets("2025-12-31 22:00", 4, tz=BERLIN), 1.0)
    args = (frame, make_machines(), make_factories(), make_carbon(), make_sources())
    total = kpis.carbon(*args, None, start="2025-12-31", end="2026-01-02")
    assert total["carbon_kg"].iloc[0] == pytest.approx(1.46) and total["period"].iloc[0] == "2025-12-31/2026-01-02"
    daily = kpis.carbon(*args, "day")
    assert daily["carbon_kg"].tolist() == [pytest.approx(0.76), pytest.approx(0.70)]

    # A region without factors falls back to 'default' (0.45): 2 kWh x 0.45 = 0.90 kg in each month.
    mars = kpis.carbon(frame, make_machines(), make_factories("Mars"), make_carbon(), make_sources(), "month")
    assert mars["carbon_kg"].tolist() == [pytest.approx(0.90), pytest.approx(0.90)]  # December, January
    assert kpis.carbon_region(make_factories("Mars"), "f2") == "Mars"

    overlapping = pd.concat([make_carbon(), make_carbon().iloc[[2]].assign(carbon_factor_id="dup")])
    with pytest.raises(ValueError, match="European Production Facility.*overlap on 2026-01-01"):
        kpis.carbon(frame, make_machines(), make_factories(), overlapping, make_sources())


def enms_factories() -> pd.DataFrame:
    """The factories as the EnMS seeds them (06-seed-data.sql): no carbon_region in their metadata."""
    return pd.DataFrame({
        "factory_id": ["f1", "f2"], "factory_name": ["Demo Manufacturing Plant", "European Production Facility"],
        "location": ["Los Angeles, CA, USA", "Munich, Germany"], "timezone": [LA, BERLIN],
        "metadata": ['{"industry": "manufacturing"}', '{"industry": "automotive"}']})


def test_a_factory_without_metadata_gets_its_region_from_location_or_time_zone() -> None:
    # Before: both fell silently to 'default' (0.45). Now Los Angeles takes US-California (0.22), Munich Germany.
    frame = pd.concat([energy("m1", "electricity", buckets("2026-06-01 00:00", 2), 1.0),
                       energy("m3", "electricity", buckets("2026-06-01 00:00", 2, tz=BERLIN), 1.0)])
    carbon = kpis.carbon(frame, make_machines(), enms_factories(), make_carbon(), make_sources(), None,
                         level="factory", start="2026-06-01", end="2026-06-02").set_index("factory_id")
    assert carbon.loc["f1", "carbon_kg"] == pytest.approx(2 * 0.22)
    assert carbon.loc["f2", "carbon_kg"] == pytest.approx(2 * 0.35)
    choice = kpis.choose_carbon_region(enms_factories(), "f1", make_carbon())
    assert (choice.region, choice.chosen_by) == ("US-California", "location")
    assert choice.note == "region 'US-California' from the factory's location 'Los Angeles, CA, USA'"

    # No location: the time zone decides; the EnMS's own location text "Silicon Valley, CA, USA" works too
    by_zone = enms_factories().assign(location=None)
    assert kpis.choose_carbon_region(by_zone, "f2", make_carbon()) == kpis.RegionChoice(
        "Germany", "timezone", "the factory's time zone 'Europe/Berlin'")
    assert kpis.carbon_region(by_zone, "f1", make_carbon()) == "US-California"
    seeded = enms_factories().assign(location=["Silicon Valley, CA, USA", "Munich, Germany"])
    assert kpis.carbon_region(seeded, "f1", make_carbon()) == "US-California"

    # Nothing found (or a region without factors): 'default', and it says so
    lost = by_zone.assign(timezone=["Pacific/Fiji", "Pacific/Fiji"])
    with pytest.warns(UserWarning, match="f1: no carbon region found .* the 'default' factor is used"):
        regions = kpis.carbon_regions(lost, make_carbon(), ["f1"])
    assert regions[["region", "chosen_by"]].values.tolist() == [["default", "default"]]
    texan = enms_factories().assign(location=["Austin, TX, USA", "Munich, Germany"], timezone="Pacific/Fiji")
    assert kpis.carbon_region(texan, "f1", make_carbon()) == "default"  # no US-Texas factor in carbon_factors
    assert kpis.carbon_region(texan, "f1") == "US-Texas"  # what the location names, without factors to check
