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
