"""Local periods of enms.kpis: real lengths across DST, buckets in their local day."""

from __future__ import annotations

import pandas as pd
from unit.kpis.plant import LA, energy, make_machines, one

from enms import kpis


def test_local_periods_have_their_real_length_across_dst() -> None:
    # One bucket per local day from 2026-03-01 to 2026-11-30, LA: periods come from the calendar, not the data.
    days = pd.date_range("2026-03-01", "2026-11-30", freq="D")
    grid = pd.DatetimeIndex([pd.Timestamp(d, tz=LA).tz_convert("UTC") + pd.Timedelta(hours=12) for d in days])
    frame = energy("m1", "electricity", grid.as_unit("us"), 1.0)

    daily = kpis.energy_by_period(frame, make_machines(), "day")
    assert one(daily, period="2026-03-08")["hours"] == 23  # spring forward (Sunday)
    assert one(daily, period="2026-11-01")["hours"] == 25  # fall back (Sunday)
    assert one(daily, period="2026-03-09")["hours"] == 24
    spring = one(daily, period="2026-03-08")
    assert spring["start_utc"] == pd.Timestamp("2026-03-08 08:00", tz="UTC")  # 00:00 PST = UTC-8
    assert spring["end_utc"] == pd.Timestamp("2026-03-09 07:00", tz="UTC")  # 00:00 PDT = UTC-7
    assert spring["period_start"] == pd.Timestamp("2026-03-08") and spring["period_end"] == pd.Timestamp("2026-03-09")

    weekly = kpis.energy_by_period(frame, make_machines(), "week")
    week = one(weekly, period="2026-W10")  # ISO week 10 = Mon 2026-03-02 .. Sun 2026-03-08 (holds the 23-h day)
    assert week["period_start"] == pd.Timestamp("2026-03-02") and week["hours"] == 7 * 24 - 1
    assert week["energy_kwh"] == 7.0

    monthly = kpis.energy_by_period(frame, make_machines(), "month")
    assert one(monthly, period="2026-03")["hours"] == 31 * 24 - 1  # 743
    assert one(monthly, period="2026-11")["hours"] == 30 * 24 + 1  # 721
    assert one(monthly, period="2026-06")["hours"] == 30 * 24
    assert one(monthly, period="2026-06")["energy_kwh"] == 30.0
    assert str(monthly["start_utc"].dtype) == "datetime64[us, UTC]"


def test_a_bucket_belongs_to_its_local_day_not_its_utc_day() -> None:
    # 2026-06-02 03:00 UTC is 2026-06-01 20:00 PDT: a Monday-evening hour, not a Tuesday one.
    grid = pd.DatetimeIndex([pd.Timestamp("2026-06-02 03:00", tz="UTC")]).as_unit("us")
    daily = kpis.energy_by_period(energy("m1", "electricity", grid, 5.0), make_machines(), "day")
    assert daily["period"].tolist() == ["2026-06-01"]
