"""The demo-plant simulator: determinism, energy bookkeeping, modes, truth against the counterfactual, DST,
the fault plan. Small configs (15-minute resolution, a few machines) keep it fast."""

from __future__ import annotations

import dataclasses
import json
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from enms.demo import DemoConfig, demo_plan, plant, simulate
from enms.units import GAS_KWH_PER_M3

SMALL = DemoConfig(days=40, baseline_days=30, resolution="15min",
                   machines=("Compressor-1", "Conveyor-A", "Boiler-1", "HVAC-EU-North"))
IDS = {m.name: m.id for m in plant.MACHINES}
ZONES = {m.name: ZoneInfo(plant.factory(m.factory).timezone) for m in plant.MACHINES}


def collect(config: DemoConfig) -> dict[str, pd.DataFrame]:
    chunks: dict[str, list[pd.DataFrame]] = {}
    for table, frame in simulate(config):
        chunks.setdefault(table, []).append(frame)
    return {table: pd.concat(frames, ignore_index=True) for table, frames in chunks.items()}


@pytest.fixture(scope="module")
def small() -> dict[str, pd.DataFrame]:
    return collect(SMALL)


@pytest.fixture(scope="module")
def small_counterfactual() -> dict[str, pd.DataFrame]:
    return collect(dataclasses.replace(SMALL, inject_faults=False))


def test_load_order_and_columns(small):
    assert list(small)[:5] == ["factories", "machines", "energy_sources", "energy_tariffs", "carbon_factors"]
    assert list(small)[-5:] == ["machine_status", "enms_analytics.fault_truth",
                                "enms_analytics.efficiency_measures", "enms_analytics.outage_truth",
                                "enms_analytics.drift_truth"]
    energy = small["energy_readings"]
    assert list(energy.columns) == ["time", "machine_id", "energy_type", "power_kw", "energy_kwh", "voltage_v",
                                    "current_a", "power_factor", "frequency_hz", "is_estimated", "quality_score",
                                    "source", "metadata"]
    for table in ("energy_readings", "production_data", "environmental_data"):
        assert str(small[table]["time"].dtype) == "datetime64[us, UTC]"
        assert not small[table].duplicated(
            ["machine_id", "time"] + (["energy_type"] if table == "energy_readings" else [])).any()
    assert small["production_data"]["production_count"].dtype == np.int64
    assert set(small["machines"]["data_interval_seconds"]) == {900}
    boiler = json.loads(small["machines"].set_index("name").loc["Boiler-1", "metadata"])
    assert boiler["energy_types"] == ["electricity", "natural_gas", "steam"]


def test_same_seed_same_frames_other_seed_other_frames(small):
    again = collect(SMALL)
    assert again.keys() == small.keys()
    for table in small:
        pd.testing.assert_frame_equal(again[table], small[table])
    other = collect(dataclasses.replace(SMALL, seed=8))
    assert not np.array_equal(other["energy_readings"]["power_kw"].to_numpy()[:500],
                              small["energy_readings"]["power_kw"].to_numpy()[:500])


def test_a_subset_reproduces_the_same_machine(small):
    alone = collect(dataclasses.replace(SMALL, machines=("Conveyor-A",)))
    for table in ("energy_readings", "production_data", "environmental_data"):
        mine = small[table][small[table]["machine_id"] == IDS["Conveyor-A"]].reset_index(drop=True)
        pd.testing.assert_frame_equal(alone[table], mine)


def test_energy_is_the_rounded_power_integrated_over_the_interval(small):
    energy = small["energy_readings"]
    power = energy["power_kw"].to_numpy()
    assert np.array_equal(power, np.round(power, 3))
    assert np.array_equal(energy["energy_kwh"].to_numpy(), np.round(power * 0.25, 6))
    gas = energy[energy["energy_type"] == "natural_gas"]
    native = np.array([json.loads(text)["native_amount"] for text in gas["metadata"]])
    assert np.allclose(native, np.round(gas["energy_kwh"].to_numpy() / GAS_KWH_PER_M3, 6), atol=1e-9)
    assert energy.loc[energy["energy_type"] == "electricity", "metadata"].map(lambda v: v is None).all()
    assert set(energy.loc[energy["machine_id"] == IDS["Boiler-1"], "energy_type"]) == {
        "electricity", "natural_gas", "steam"}


def test_production_only_while_running_and_every_mode_occurs():
    # Thanksgiving and the Christmas shutdown (offline) fall into these 120 days.
    frames = collect(DemoConfig(days=120, end=pd.Timestamp("2026-01-15", tz="UTC"), resolution="15min",
                                machines=("Conveyor-A", "Compressor-EU-1")))
    production = frames["production_data"]
    assert (production.loc[production["operating_mode"] != "running", "production_count"] == 0).all()
    assert (production["production_count"] == production["production_count_good"]
            + production["production_count_bad"]).all()
    for _, modes in production.groupby("machine_id")["operating_mode"]:
        assert set(modes) == {"running", "idle", "maintenance", "fault", "offline"}
    stopped = production["operating_mode"].isin(["maintenance", "fault"])
    assert (production.loc[stopped, "downtime_seconds"] == 900).all()
    assert (production.loc[~stopped, "downtime_seconds"] == 0).all()
    bad_share = production["production_count_bad"].sum() / production["production_count"].sum()
    assert 0.015 < bad_share < 0.05


def _windows(times: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    return ((times >= start) & (times < end)).to_numpy(copy=True)


def test_truth_is_the_measured_difference_to_the_counterfactual(small, small_counterfactual):
    truth = small["enms_analytics.fault_truth"]
    assert len(truth) >= 3
    assert small_counterfactual["enms_analytics.fault_truth"].empty
    assert small_counterfactual["enms_analytics.efficiency_measures"].empty
    pd.testing.assert_frame_equal(small_counterfactual["enms_analytics.outage_truth"],
                                  small["enms_analytics.outage_truth"])
    with_, without = small["energy_readings"], small_counterfactual["energy_readings"]
    assert with_[["time", "machine_id", "energy_type"]].equals(without[["time", "machine_id", "energy_type"]])
    changed = np.zeros(len(with_), dtype=bool)
    for row in truth.itertuples():
        here = _windows(with_["time"], row.start_time, row.end_time)
        here &= (with_["machine_id"] == row.machine_id).to_numpy()
        here &= (with_["energy_type"] == row.energy_type).to_numpy()
        assert here.any()
        changed |= here
        pw, pc = with_["power_kw"].to_numpy()[here], without["power_kw"].to_numpy()[here]
        assert 100 * (pw - pc).mean() / pc.mean() == pytest.approx(row.power_change_pct, rel=1e-9)
        extra = with_["energy_kwh"].to_numpy()[here] - without["energy_kwh"].to_numpy()[here]
        assert extra.sum() == pytest.approx(row.extra_energy_kwh, rel=1e-9)
        assert row.power_change_pct > 3  # every fault costs energy
    measure = small["enms_analytics.efficiency_measures"].iloc[0]
    after = (with_["time"] >= measure.start_time).to_numpy() & (with_["machine_id"] == measure.machine_id).to_numpy()
    changed |= after
    assert np.array_equal(with_["power_kw"].to_numpy()[~changed], without["power_kw"].to_numpy()[~changed])
    cf_kwh = without["energy_kwh"].to_numpy()[after].sum()
    actual = with_["energy_kwh"].to_numpy()[after].sum()
    assert measure.counterfactual_kwh == pytest.approx(cf_kwh)
    assert measure.saving_kwh == pytest.approx(cf_kwh - actual)
    assert measure.saving_fraction == pytest.approx(0.12, abs=0.01)
    assert pd.isna(measure.end_time)
    # Production never depends on the faults: they change energy only.
    pd.testing.assert_frame_equal(small["production_data"], small_counterfactual["production_data"])


def test_outages_remove_rows_of_all_three_tables(small):
    outages = small["enms_analytics.outage_truth"]
    assert len(outages) >= 2 * len(SMALL.machines)
    assert ((outages["end_time"] - outages["start_time"]) <= pd.Timedelta(hours=8)).all()
    for table in ("energy_readings", "production_data", "environmental_data"):
        frame = small[table]
        for row in outages.itertuples():
            hit = _windows(frame["time"], row.start_time, row.end_time) & (frame["machine_id"] == row.machine_id)
            assert not hit.any()
    faults = small["enms_analytics.fault_truth"]
    for row in outages.itertuples():
        mine = faults[faults["machine_id"] == row.machine_id]
        assert not ((mine["start_time"] < row.end_time) & (row.start_time < mine["end_time"])).any()


@pytest.fixture(scope="module")
def dst_plant() -> dict[str, pd.DataFrame]:
    return collect(DemoConfig(resolution="15min", machines=("Conveyor-A", "Compressor-EU-1")))


@pytest.mark.parametrize(("machine", "day", "hours", "monday_after"), [
    ("Conveyor-A", "2026-03-08", 23, "2026-03-09"),
    ("Conveyor-A", "2025-11-02", 25, "2025-11-03"),
    ("Compressor-EU-1", "2026-03-29", 23, "2026-03-30"),
    ("Compressor-EU-1", "2025-10-26", 25, "2025-10-27"),
])
def test_dst_days_have_23_or_25_local_hours(dst_plant, machine, day, hours, monday_after):
    zone = ZONES[machine]
    production = dst_plant["production_data"]
    mine = production[production["machine_id"] == IDS[machine]]
    local = mine["time"].dt.tz_convert(zone)
    on_day = local.dt.strftime("%Y-%m-%d") == day
    outages = dst_plant["enms_analytics.outage_truth"]
    start = pd.Timestamp(day).tz_localize(zone).tz_convert("UTC")
    end = (pd.Timestamp(day) + pd.Timedelta(days=1)).tz_localize(zone).tz_convert("UTC")
    assert end - start == pd.Timedelta(hours=hours)
    missing = sum(
        (min(row.end_time, end) - max(row.start_time, start)) // pd.Timedelta(minutes=15)
        for row in outages[outages["machine_id"] == IDS[machine]].itertuples()
        if row.start_time < end and start < row.end_time)
    assert on_day.sum() + missing == hours * 4
    # The early shift starts at 06:00 local on the Monday after the change, as on the Monday before.
    for monday in (monday_after, str((pd.Timestamp(monday_after) - pd.Timedelta(days=7)).date())):
        shift_a = local[(local.dt.strftime("%Y-%m-%d") == monday) & (mine["shift"] == "A").to_numpy()]
        assert shift_a.min().strftime("%H:%M") == "06:00"


def test_short_periods_plan_fewer_faults_without_failing():
    plan = demo_plan(DemoConfig(days=3, resolution="15min"))
    assert len(plan.faults) < 20
    assert not plan.measures
    frames = collect(DemoConfig(days=1, resolution="15min", machines=("Boiler-1",)))
    assert len(frames["production_data"]) == 96


def test_pump_is_in_maintenance_at_the_end():
    status = collect(DemoConfig(days=5, resolution="15min", machines=("Hydraulic-Pump-1",)))["machine_status"]
    row = status.iloc[0]
    assert row["current_mode"] == "maintenance" and not row["is_running"]
    assert row["last_reading_time"] == pd.Timestamp("2026-11-01 23:45", tz="UTC")


def test_unknown_machine_is_named():
    with pytest.raises(ValueError, match="Compressor-9"):
        list(simulate(DemoConfig(machines=("Compressor-1", "Compressor-9"))))
    with pytest.raises(ValueError, match="resolution"):
        list(simulate(DemoConfig(resolution="7min")))
