"""15-minute peak demand and load factor of enms.kpis; every number worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from unit.kpis.plant import buckets, demand_frame, energy, make_machines, one

from enms import kpis


def test_peak_demand_is_the_largest_15_minute_average_not_the_largest_sample() -> None:
    peaks = kpis.peak_demand(demand_frame(), make_machines(), "month")
    m1 = one(peaks, machine_id="m1")
    assert m1["peak_kw"] == pytest.approx(28.0 / 0.25)  # 112 kW, not the 500 kW max sample
    assert m1["peak_start_local"] == pd.Timestamp("2026-06-15 14:00")
    assert m1["peak_start"] == pd.Timestamp("2026-06-15 21:00", tz="UTC")
    assert m1["energy_type"] == "electricity"
    assert one(peaks, machine_id="m2")["peak_kw"] == pytest.approx(40.0)  # 10 kWh / 0.25 h; gas ignored
    # Load factor of m1 over June (720 h): (20 + 28 + 2) kWh / (112 kW x 720 h)
    assert m1["load_factor"] == pytest.approx(50.0 / (112.0 * 720.0))

    factory = kpis.peak_demand(demand_frame(), make_machines(), "month", level="factory")
    f1 = one(factory, factory_id="f1")
    assert f1["peak_kw"] == pytest.approx(120.0)  # (20 + 10) / 0.25, coincident
    assert f1["peak_start_local"] == pd.Timestamp("2026-06-10 10:00")

    # From 1-minute data: 14 minutes at 10 kW and one at 500 kW -> (14 x 10 + 500) / 60 = 10.667 kWh in the
    # 15-minute interval -> 42.67 kW of demand.
    minute = energy("m1", "electricity", buckets("2026-06-10 10:00", 15, freq="1min"),
                    np.array([10.0] * 7 + [500.0] + [10.0] * 7) / 60)
    profile = kpis.demand_profile(minute, make_machines())
    assert len(profile) == 1
    assert profile["demand_kw"].iloc[0] == pytest.approx(640.0 / 60 / 0.25)

    hourly = energy("m1", "electricity", buckets("2026-06-10 00:00", 3), 10.0).assign(total_readings=60)
    with pytest.raises(ValueError, match="15-minute"):
        kpis.peak_demand(hourly, make_machines())
    # A machine declaring 60 s but read every second: 900 readings a 15-minute bucket are not an hourly bucket
    quarter = energy("m1", "electricity", buckets("2026-06-10 00:00", 3, freq="15min"), 10.0)
    peaks = kpis.peak_demand(quarter.assign(total_readings=900), make_machines(), None,
                             start="2026-06-10", end="2026-06-11")
    assert peaks["peak_kw"].tolist() == [pytest.approx(40.0)]
