"""The untrusted hours of enms.quality (``unusable``): what is excluded, scaled or kept, and why."""

from __future__ import annotations

import pandas as pd
import pytest
from unit.quality.hourly import START, energy_rows, full_environment, hours, make_machines, mode_rows

from enms import quality as q

N_MONTH = 30 * 24  # enough hours for a 99.5th percentile that one spike does not move


def month_frames() -> dict[str, pd.DataFrame]:
    grid = hours(START, N_MONTH)
    end = START + pd.Timedelta(hours=N_MONTH)
    energy = pd.concat([energy_rows("m1", "electricity", grid), energy_rows("m2", "electricity", grid),
                        energy_rows("m2", "natural_gas", grid, kwh=30.0)], ignore_index=True)
    return {
        "machines": make_machines(),
        "window": pd.DataFrame({"start": [START], "end": [end], "baseline_start": [START], "baseline_end": [end]}),
        "energy_hourly": energy,
        "environment_hourly": full_environment(START, N_MONTH),
        "mode_hourly": pd.concat([mode_rows("m1", grid), mode_rows("m2", grid)], ignore_index=True),
    }


def at(frame: pd.DataFrame, machine_id: str, energy_type: str, hour: int) -> pd.Index:
    return frame.index[(frame["machine_id"] == machine_id) & (frame["energy_type"] == energy_type)
                       & (frame["bucket"] == START + pd.Timedelta(hours=hour))]


def test_spike_negative_duplicate_and_partial_hours_are_listed_with_what_is_used() -> None:
    frames = month_frames()
    energy = frames["energy_hourly"]
    energy.loc[at(energy, "m1", "electricity", 100), ["total_energy_kwh", "avg_power_kw"]] = 10_000.0  # ×1000
    energy.loc[at(energy, "m2", "natural_gas", 200), ["total_energy_kwh", "avg_power_kw", "min_power_kw"]] = -5.0
    energy.loc[at(energy, "m1", "electricity", 300), ["total_energy_kwh", "total_readings"]] = [20.0, 120]
    energy.loc[at(energy, "m2", "electricity", 400), ["total_energy_kwh", "total_readings"]] = [4.5, 30]
    result = q.run(frames, min_baseline_days=1)

    u = result.unusable.set_index(["machine_id", "energy_type"])
    assert len(u) == 4
    spike = u.loc[("m1", "electricity")].iloc[0]
    assert spike["bucket"] == START + pd.Timedelta(hours=100)
    assert (spike["reason"], spike["action"], spike["total_energy_kwh"], spike["used_kwh"]) == (
        "spike", "excluded", 10_000.0, 0.0)
    assert spike["detail"] == "1,000 × its 99.5th-percentile hour"
    negative = u.loc[("m2", "natural_gas")]
    assert (negative["reason"], negative["action"], negative["used_kwh"]) == (
        "negative energy; negative power", "excluded", 0.0)
    duplicated = u.loc[("m1", "electricity")].iloc[1]
    assert (duplicated["reason"], duplicated["action"]) == ("duplicate readings", "scaled to the expected readings")
    assert duplicated["used_kwh"] == pytest.approx(10.0) and duplicated["detail"] == "120 of 60 readings"
    partial = u.loc[("m2", "electricity")]
    assert (partial["reason"], partial["action"], partial["used_kwh"]) == (
        "partial hour", "kept as measured (partial hour)", 4.5)

    # every one of them is kept out of the usable hours (the boiler's gas makes its whole hour unusable)
    mask = result.normal_mask.set_index(["machine_id", "bucket"])["reason"]
    assert mask[("m1", START + pd.Timedelta(hours=100))] == "spike"
    assert mask[("m1", START + pd.Timedelta(hours=300))] == "duplicate readings"
    assert mask[("m2", START + pd.Timedelta(hours=200))] == "negative energy; negative power"
    assert mask[("m2", START + pd.Timedelta(hours=400))] == "incomplete energy"
    assert (~result.normal_mask["is_normal"]).sum() == 4


def test_a_duplicated_row_counts_once() -> None:
    frames = month_frames()
    energy = frames["energy_hourly"]
    frames["energy_hourly"] = pd.concat([energy, energy.loc[at(energy, "m1", "electricity", 7)]], ignore_index=True)
    u = q.run(frames, min_baseline_days=1).unusable
    assert len(u) == 1
    assert u[["total_energy_kwh", "used_kwh", "action"]].iloc[0].tolist() == [
        20.0, 10.0, "scaled to the expected readings"]
    assert u["detail"].iloc[0] == "60 of 60 readings in 2 rows"


def test_energy_short_of_its_power_is_replaced_by_power_times_time() -> None:
    """Half the readings of an hour stored without energy (0 kWh) while their power was measured."""
    frames = month_frames()
    energy = frames["energy_hourly"]
    energy.loc[at(energy, "m1", "electricity", 150), "total_energy_kwh"] = 5.0  # 10 kW for the hour
    result = q.run(frames, min_baseline_days=1)
    row = result.unusable.set_index(["machine_id", "energy_type"]).loc[("m1", "electricity")]
    assert (row["reason"], row["action"], row["total_energy_kwh"]) == ("energy below power", q.REPLACED, 5.0)
    assert row["used_kwh"] == pytest.approx(10.0)
    mask = result.normal_mask.set_index(["machine_id", "bucket"])["reason"]
    assert mask.loc[("m1", START + pd.Timedelta(hours=150))] == "energy below power"
