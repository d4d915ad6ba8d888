"""Closure days and inferred normal operation of machines without a mode history (enms.quality.closures)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from unit.quality.hourly import START, energy_rows, full_energy, hours, make_machines, mode_rows

from enms import quality as q
from enms.quality.closures import closure_dates, closure_days, machines_without_modes, read_calendar

ZONE = "America/Los_Angeles"  # make_machines' zone


def _weeks(n_weeks: int, low: dict[str, float]) -> pd.DataFrame:
    """m1's hourly energy over ``n_weeks`` local weeks: 10 kWh/h on weekdays, 2 at weekends, and the local dates
    of ``low`` at that share of a weekday."""
    local = pd.date_range("2024-01-01", periods=24 * 7 * n_weeks, freq="h", tz=ZONE)
    kwh = np.where(local.day_of_week < 5, 10.0, 2.0)
    for day, share in low.items():
        kwh[np.asarray(local.strftime("%Y-%m-%d") == day)] = 10.0 * share
    return energy_rows("m1", "electricity", local.tz_convert("UTC").as_unit("us"), kwh=kwh)


def test_a_day_below_40_percent_of_its_weekday_median_is_a_closure_and_weekends_are_not():
    energy = _weeks(10, {"2024-01-31": 0.2, "2024-02-14": 0.5})  # Wednesdays: 20 % closes, 50 % does not
    found = closure_days(energy, make_machines(), ["m1"])
    assert found["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-31"]
    row = found.iloc[0]
    assert row["source"] == "inferred"
    assert row["day_kwh"] == pytest.approx(24 * 2.0)
    assert row["typical_kwh"] == pytest.approx(240.0)


def test_public_holidays_join_the_inferred_days_and_a_calendar_replaces_both():
    energy = _weeks(10, {"2024-01-31": 0.2})
    holidays = {"f1": {date(2024, 1, 31), date(2024, 2, 19), date(2025, 1, 1)}}  # the last: outside the data
    found = closure_days(energy, make_machines(), ["m1"], holidays=holidays)
    # 19 February was worked through (its energy as usual): no closure; 31 January closed: inferred and a holiday
    assert found[["date", "source"]].astype(str).values.tolist() == [["2024-01-31", "inferred; public holiday"]]
    energy = energy[~energy["bucket"].dt.tz_convert(ZONE).dt.strftime("%Y-%m-%d").eq("2024-02-19")]
    found = closure_days(energy, make_machines(), ["m1"], holidays=holidays)  # no data that day: the calendar says
    assert dict(zip(found["date"].dt.strftime("%Y-%m-%d"), found["source"], strict=True)) == {
        "2024-01-31": "inferred; public holiday", "2024-02-19": "public holiday"}
    assert np.isnan(found.loc[1, "day_kwh"])
    calendar = closure_days(energy, make_machines(), ["m1"], holidays=holidays, calendar=[date(2024, 3, 1)])
    assert calendar[["date", "source"]].astype(str).values.tolist() == [["2024-03-01", "calendar"]]
    assert closure_dates(found) == {"m1": {date(2024, 1, 31), date(2024, 2, 19)}}


def test_a_machine_with_a_mode_history_gets_no_inference_and_no_closure_rows():
    grid = hours(START, 4)
    assert machines_without_modes(mode_rows("m2", grid), ["m1", "m2"]) == ["m1"]
    found = closure_days(full_energy(START, 4), make_machines(), [])
    assert found.empty and list(found.columns) == ["machine_id", "date", "day_kwh", "typical_kwh", "source"]


def test_without_a_mode_history_every_complete_trusted_hour_is_normal():
    n = 6
    grid = hours(START, n)
    energy = full_energy(START, n)
    energy.loc[energy.index[energy["machine_id"] == "m1"][2], "total_readings"] = 30
    mask = q.normal_operation_mask(mode_rows("m2", grid[:3]), energy, make_machines(), START,
                                   START + pd.Timedelta(hours=n))
    r1 = mask[mask["machine_id"] == "m1"]["reason"].tolist()
    assert r1 == ["", "", "incomplete energy", "", "", ""]  # m1 has no mode history: judged on its energy alone
    r2 = mask[mask["machine_id"] == "m2"]["reason"].tolist()
    assert r2 == ["", "", "", "no mode data", "no mode data", "no mode data"]  # m2's history has a gap


def test_a_calendar_file_gives_local_dates_and_names_a_bad_line(tmp_path):
    good = tmp_path / "closed.csv"
    good.write_text("date,why\n2024-12-24,Christmas Eve\n2024-12-31,\n2024-12-24,twice\n", encoding="utf-8")
    assert read_calendar(good) == [date(2024, 12, 24), date(2024, 12, 31)]
    bad = tmp_path / "bad.csv"
    bad.write_text("day\n2024-12-24\n24.12.2024\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 3: '24.12.2024' is not a date"):
        read_calendar(bad)


def test_a_machine_without_readings_has_no_closure_but_its_calendar_dates():
    empty = _weeks(1, {}).iloc[:0]
    assert closure_days(empty, make_machines(), ["m1"], holidays={"f1": {date(2024, 1, 1)}}).empty
    listed = closure_days(empty, make_machines(), ["m1"], calendar=[date(2024, 1, 1)])
    assert listed["source"].tolist() == ["calendar"] and listed["day_kwh"].isna().all()
