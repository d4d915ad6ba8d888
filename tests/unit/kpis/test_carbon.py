"""Carbon of enms.kpis: factors per local date and region."""

from __future__ import annotations

import pandas as pd
import pytest
from unit.kpis.plant import BERLIN, buckets, energy, make_carbon, make_factories, make_machines, make_sources

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
