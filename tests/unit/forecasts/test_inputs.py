"""The planned schedule, the typical plan and the temperature outlook."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest
from forecast_frames import TZ, synthetic_frame

from enms import forecasts as fx
from enms.localtime import local_calendar


def mode_frame() -> pd.DataFrame:
    b = pd.date_range("2026-10-05", periods=4, freq="h", tz="UTC")
    return pd.DataFrame({
        "bucket": b, "machine_id": "m1",
        "n_running": [60, 20, 0, 0], "n_idle": [0, 10, 0, 0], "n_maintenance": [0, 0, 60, 0],
        "n_fault": [0, 30, 0, 0], "n_offline": [0, 0, 0, 60], "total_readings": 60, "dominant_mode": "running",
    })


def test_planned_schedule_turns_fault_into_running() -> None:
    s = fx.planned_schedule(mode_frame())
    assert s["plan_running"].tolist() == [1.0, 50 / 60, 0.0, 0.0]
    assert s["plan_idle"].tolist() == [0.0, 10 / 60, 0.0, 0.0]
    assert s["plan_maintenance"].tolist() == [0.0, 0.0, 1.0, 0.0]
    assert s["plan_offline"].tolist() == [0.0, 0.0, 0.0, 1.0]
    assert "fault" not in " ".join(s.columns)
    np.testing.assert_allclose(s[list(fx.PLAN_COLUMNS)].sum(axis=1), 1.0)


def test_planned_schedule_never_reads_production() -> None:
    assert list(inspect.signature(fx.planned_schedule).parameters) == ["mode_hourly"]
    m = mode_frame()
    with_prod = m.assign(total_production_count=[100, 0, 5, 7], production=[1, 2, 3, 4])
    changed = with_prod.assign(total_production_count=[0, 999, 0, 0], production=[9, 9, 9, 9])
    pd.testing.assert_frame_equal(fx.planned_schedule(with_prod), fx.planned_schedule(changed))
    production_hourly = pd.DataFrame({"bucket": m["bucket"], "machine_id": "m1", "total_production_count": 5})
    with pytest.raises(ValueError, match="n_running"):
        fx.planned_schedule(production_hourly)


def test_typical_schedule_repeats_the_shift_pattern_and_closes_holidays() -> None:
    frame = synthetic_frame(days=35, start="2026-09-07")
    sched = frame[["bucket", *fx.PLAN_COLUMNS]].assign(machine_id="m1")
    machines = pd.DataFrame({"machine_id": ["m1"], "factory_id": ["f1"], "timezone": [TZ]})
    start = frame["bucket"].iloc[-1] + pd.Timedelta(hours=1)
    end = start + pd.Timedelta(days=7)
    holiday = (start + pd.Timedelta(days=2)).tz_convert(TZ).date()
    plan = fx.typical_schedule(sched, machines, start, end, holidays={"f1": [holiday]})
    assert len(plan) == 168
    cal = local_calendar(plan["bucket"], TZ)
    on_day = (cal["date"].dt.date == holiday).to_numpy()
    assert (plan.loc[on_day, "plan_offline"] == 1).all() and (plan.loc[on_day, "plan_source"] == "holiday").all()
    shift = ((cal["weekday"] < 5) & (cal["hour"] >= 6) & (cal["hour"] < 22)).to_numpy()
    np.testing.assert_allclose(plan.loc[~on_day, "plan_running"], shift[~on_day].astype(float))
    temp = frame[["bucket", "outdoor_temp_c"]].assign(machine_id="m1").rename(
        columns={"outdoor_temp_c": "avg_outdoor_temp_c"})
    out = fx.temperature_outlook(temp, machines, start, end, days=7)
    assert len(out) == 168 and out["outdoor_temp_c"].notna().all()


def test_a_machine_without_modes_is_planned_running_but_offline_on_its_closure_days():
    from datetime import date

    from enms.forecasts.inputs import inferred_schedule

    machines = pd.DataFrame({"machine_id": ["m1"], "factory_id": ["f1"], "timezone": ["Europe/Berlin"]})
    start = pd.Timestamp("2024-12-24 23:00", tz="UTC")  # local midnight of 25 December
    plan = inferred_schedule(machines, ["m1"], start, start + pd.Timedelta(hours=72),
                             {"m1": {date(2024, 12, 26)}})
    assert len(plan) == 72 and str(plan["bucket"].dtype) == "datetime64[ns, UTC]"
    assert plan["plan_offline"].tolist() == [0.0] * 24 + [1.0] * 24 + [0.0] * 24
    assert (plan["plan_running"] + plan["plan_offline"] == 1.0).all()
    typical = fx.typical_schedule(plan, machines, start + pd.Timedelta(hours=72), start + pd.Timedelta(hours=96),
                                  weeks=1, holidays={"m1": {date(2024, 12, 28)}})
    assert typical["plan_source"].unique().tolist() == ["holiday"]


def test_a_series_never_measured_gets_the_constant_temperature_in_history_and_outlook():
    from enms.forecasts.inputs import NO_TEMPERATURE_C

    machines = pd.DataFrame({"machine_id": ["m1"], "factory_id": ["f1"], "timezone": ["UTC"],
                             "data_interval_seconds": [3600]})
    buckets = pd.date_range("2025-01-01", periods=48, freq="h", tz="UTC")
    energy = pd.DataFrame({"bucket": buckets, "machine_id": "m1", "energy_type": "electricity",
                           "total_energy_kwh": 5.0, "total_readings": 1})
    none = pd.DataFrame({"bucket": buckets, "machine_id": "m1", "avg_outdoor_temp_c": np.nan})
    schedule = fx.planned_schedule(pd.DataFrame(columns=["bucket", "machine_id", "n_running", "n_idle",
                                                         "n_maintenance", "n_fault", "n_offline"]).astype(
        {"bucket": "datetime64[us, UTC]"}))
    assert schedule.empty and str(schedule["bucket"].dtype) == "datetime64[ns, UTC]"
    inputs = fx.forecast_inputs(energy, machines, schedule, none)
    assert (inputs["outdoor_temp_c"] == NO_TEMPERATURE_C).all()
    outlook = fx.temperature_outlook(none, machines, buckets[-1], buckets[-1] + pd.Timedelta(hours=5))
    assert outlook["outdoor_temp_c"].tolist() == [NO_TEMPERATURE_C] * 5
    empty = fx.temperature_outlook(none.iloc[:0], machines.iloc[:0], buckets[-1], buckets[-1] + pd.Timedelta(hours=5))
    assert str(empty["bucket"].dtype) == "datetime64[ns, UTC]"
