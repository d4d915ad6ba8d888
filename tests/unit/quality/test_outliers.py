"""The outlier screen of enms.quality: implausible values flagged, plausible ones left to the anomaly step."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from unit.quality.hourly import (
    START,
    energy_rows,
    full_energy,
    hours,
    make_machines,
)

from enms import quality as q


def test_over_rated_and_negative_power_are_flagged() -> None:
    energy = full_energy()
    m1 = energy.index[energy["machine_id"] == "m1"]
    gas = energy.index[energy["energy_type"] == "natural_gas"]
    energy.loc[m1[3], ["avg_power_kw", "total_energy_kwh"]] = 61.0  # > 1.1 x 55 kW = 60.5 kW
    energy.loc[m1[4], ["avg_power_kw", "total_energy_kwh"]] = 60.5  # exactly 1.1 x rated: not above
    energy.loc[m1[6], "min_power_kw"] = -1.0
    energy.loc[gas[2], ["avg_power_kw", "total_energy_kwh"]] = 100.0  # gas: rating is electric, not compared

    out = q.find_outliers(energy, make_machines())
    assert list(out.columns) == [
        "bucket",
        "machine_id",
        "machine_name",
        "energy_type",
        "total_energy_kwh",
        "avg_power_kw",
        "reason",
        "spike_ratio",
        "power_kwh",
    ]
    got = dict(zip(out["bucket"], out["reason"], strict=True))
    assert got == {
        START + pd.Timedelta(hours=3): "over rated power",
        START + pd.Timedelta(hours=6): "negative power",
    }


def test_a_unit_error_spike_is_flagged_but_a_plausible_night_value_is_not() -> None:
    n = 10 * 168
    grid = hours(START, n)
    rng = np.random.default_rng(7)
    local_hour = grid.tz_convert("America/Los_Angeles").hour.to_numpy()
    kwh = np.where((local_hour >= 6) & (local_hour < 18), 40.0, 5.0) + rng.normal(0, 0.5, n)
    night = int(np.flatnonzero(local_hour == 2)[20])
    kwh[night] = 40.0  # left running at 02:00: plausible for the machine, the anomaly step's business
    spike = int(np.flatnonzero(local_hour == 12)[30])
    kwh[spike] = 400.0  # a unit error: 10 x the machine's 99.5th percentile (~41 kWh)
    machines = make_machines().iloc[[0]]
    machines = machines.assign(rated_power_kw=1000.0)  # keep 'over rated power' out of this test
    energy = energy_rows("m1", "electricity", grid, kwh=kwh)

    out = q.find_outliers(energy, machines)
    assert out["bucket"].tolist() == [grid[spike]]
    assert out["reason"].iloc[0] == "spike" and out["spike_ratio"].iloc[0] == pytest.approx(400 / 41, rel=0.05)
    assert q.find_outliers(energy, machines, spike_factor=20).empty


def test_energy_short_of_its_power_is_flagged_with_the_energy_the_power_implies() -> None:
    """Readings stored without energy hold 0 kWh (the schema's default) while their power is real: an hour whose
    30 of 60 one-minute readings lost their energy sums half of what 30 kW over the hour gives."""
    grid = hours(START, 4)
    energy = energy_rows("m1", "electricity", grid, kwh=30.0)
    energy["avg_power_kw"] = 30.0
    energy.loc[1, "total_energy_kwh"] = 15.0  # every other reading 0 kWh
    energy.loc[2, "total_energy_kwh"] = 24.0  # 20 % short: inside the tolerance (meters sample power)
    out = q.find_outliers(energy, make_machines().iloc[[0]])
    assert out["bucket"].tolist() == [grid[1]]
    assert out["reason"].iloc[0] == "energy below power"
    assert out["power_kwh"].iloc[0] == pytest.approx(30.0)  # 30 kW x 60 readings x 60 s
    without_interval = make_machines().iloc[[0]].drop(columns="data_interval_seconds")
    assert q.find_outliers(energy, without_interval).empty
