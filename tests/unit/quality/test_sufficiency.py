"""Daily presence in local days (DST) and the CalTRACK sufficiency checks of enms.quality."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from unit.quality.hourly import (
    END,
    START,
    N,
    energy_rows,
    environment_rows,
    full_energy,
    full_environment,
    hours,
    make_machines,
    row,
)

from enms import quality as q

DST_START = pd.Timestamp("2024-03-09 00:00", tz="America/Los_Angeles").tz_convert("UTC")
DST_END = pd.Timestamp("2024-03-12 00:00", tz="America/Los_Angeles").tz_convert("UTC")


def test_dst_local_day_has_23_hours_and_counts_as_complete() -> None:
    n = int((DST_END - DST_START) / pd.Timedelta(hours=1))
    assert n == 24 + 23 + 24
    grid = hours(DST_START, n)
    local_day = grid.tz_convert("America/Los_Angeles").normalize().tz_localize(None)
    drop = np.flatnonzero(local_day == pd.Timestamp("2024-03-10"))[[3, 4]]  # 21 of 23 hours: 91.3 %
    energy = energy_rows("m1", "electricity", grid.delete(drop))
    machines = make_machines().iloc[[0]]

    days = q.daily_presence(energy, machines, DST_START, DST_END)
    assert days["expected_hours"].tolist() == [24, 23, 24]
    assert days["present_hours"].tolist() == [24, 21, 24]
    assert days["is_present"].tolist() == [True, True, True]  # 21 / 24 would have failed

    env = environment_rows("m1", grid, np.full(n, 12.0))
    s = q.caltrack_sufficiency(energy, env, machines, DST_START, DST_END).iloc[0]
    assert s["local_days"] == 3 and s["days_present_pct"] == 100.0 and s["days_present_pass"]
    assert s["hours_present_pct"] == pytest.approx(100.0 * (n - 2) / n)
    assert s["sufficient"] and s["reasons"] == ""

    energy = energy_rows("m1", "electricity", grid.delete(np.flatnonzero(local_day == pd.Timestamp("2024-03-10"))[:3]))
    s = q.caltrack_sufficiency(energy, env, machines, DST_START, DST_END, min_days_pct=90).iloc[0]
    assert s["days_present_pct"] == pytest.approx(200.0 / 3)  # 20 of 23 hours: 87 %, the day fails
    assert not s["sufficient"] and s["reasons"].startswith("days present 66.67% < 90%")


def test_fall_back_day_has_25_hours() -> None:
    start = pd.Timestamp("2024-11-03 00:00", tz="America/Los_Angeles").tz_convert("UTC")
    end = pd.Timestamp("2024-11-04 00:00", tz="America/Los_Angeles").tz_convert("UTC")
    energy = energy_rows("m1", "electricity", hours(start, 25))
    days = q.daily_presence(energy, make_machines().iloc[[0]], start, end)
    assert days["expected_hours"].tolist() == [25] and days["is_present"].all()


def test_temperature_gap_of_7_hours_fails_and_of_5_hours_passes_and_is_interpolated() -> None:
    grid = hours(START, N)
    temps = np.arange(N, dtype=float)  # linear, so an interpolated hour equals its hour index
    gap7 = np.arange(20, 27)
    gap5 = np.arange(20, 25)
    env = pd.concat(
        [
            environment_rows("m1", grid.delete(gap7), np.delete(temps, gap7)),
            environment_rows("m2", grid.delete(gap5), np.delete(temps, gap5)),
        ],
        ignore_index=True,
    )
    suff = q.caltrack_sufficiency(full_energy(), env, make_machines(), START, END)
    m1 = row(suff, "m1")
    assert m1["longest_temperature_gap_hours"] == 7 and not m1["temperature_gap_pass"]
    assert not m1["sufficient"] and m1["reasons"] == "outdoor temperature gap 7 h > 6 h"
    for energy_type in ("electricity", "natural_gas"):
        m2 = row(suff, "m2", energy_type)
        assert m2["longest_temperature_gap_hours"] == 5 and m2["sufficient"] and m2["reasons"] == ""

    temp = q.interpolate_temperature(env, START, END)
    assert len(temp) == 2 * N
    t1 = temp[temp["machine_id"] == "m1"].reset_index(drop=True)
    t2 = temp[temp["machine_id"] == "m2"].reset_index(drop=True)
    assert t1.loc[gap7, "avg_outdoor_temp_c"].isna().all() and not t1["is_interpolated"].any()
    assert t2.loc[gap5, "avg_outdoor_temp_c"].tolist() == pytest.approx(gap5.astype(float))
    assert t2["is_interpolated"].sum() == 5 and t2.loc[gap5, "is_interpolated"].all()
    assert t2["avg_outdoor_temp_c"].notna().all()


def test_naive_buckets_fail_the_timezone_check_and_are_refused_elsewhere() -> None:
    energy = full_energy()
    energy["bucket"] = energy["bucket"].dt.tz_localize(None)
    suff = q.caltrack_sufficiency(energy, full_environment(), make_machines(), START, END)
    assert not suff["timezone_aware"].any() and not suff["sufficient"].any()
    assert (suff["hours_present_pct"] == 100.0).all()
    assert suff["reasons"].eq("timestamps not timezone-aware").all()
    with pytest.raises(ValueError, match="tz-aware"):
        q.hourly_coverage(energy, make_machines(), START, END)
    with pytest.raises(ValueError, match="tz-aware"):
        q.hourly_coverage(full_energy(), make_machines(), START.tz_localize(None), END)
