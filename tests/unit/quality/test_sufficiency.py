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
    mode_rows,
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


def _fit_frames(days: int = 5) -> dict[str, pd.DataFrame]:
    """Two machines in Los Angeles, ``days`` whole local days of clean hourly data, the baseline = the window."""
    start = pd.Timestamp("2024-01-08 00:00", tz="America/Los_Angeles").tz_convert("UTC")
    n = 24 * days
    grid = hours(start, n)
    end = start + pd.Timedelta(hours=n)
    return {
        "machines": make_machines(),
        "window": pd.DataFrame({"start": [start], "end": [end], "baseline_start": [start], "baseline_end": [end]}),
        "energy_hourly": full_energy(start, n),
        "environment_hourly": full_environment(start, n),
        "mode_hourly": pd.concat([mode_rows("m1", grid), mode_rows("m2", grid)], ignore_index=True),
    }


def _fit(result: q.QualityResult, machine_id: str, energy_type: str = "electricity") -> pd.Series:
    return row(result.sufficiency, machine_id, energy_type)


def test_fittable_needs_enough_local_days_with_usable_hours() -> None:
    frames = _fit_frames(days=5)
    result = q.run(frames, min_baseline_days=5)
    m1 = _fit(result, "m1")
    assert (m1["usable_hours"], m1["usable_days"], m1["fittable"], m1["fit_reason"]) == (120, 5, True, "")
    assert m1["sufficient"] and m1["reasons"] == ""

    short = _fit(q.run(frames, min_baseline_days=6), "m1")
    assert not short["fittable"] and short["fit_reason"] == "5 days of usable history < 6 needed"
    assert not short["sufficient"] and short["reasons"].endswith("5 days of usable history < 6 needed")


def test_a_day_counts_with_one_usable_hour_and_only_in_the_baseline_period() -> None:
    frames = _fit_frames(days=5)
    modes = frames["mode_hourly"]
    day3 = modes["bucket"].dt.tz_convert("America/Los_Angeles").dt.day == 10
    modes.loc[(modes["machine_id"] == "m1") & day3, "n_fault"] = 1  # every hour of local day 3 in fault …
    first_of_day3 = modes.index[(modes["machine_id"] == "m1") & day3][0]
    modes.loc[first_of_day3, "n_fault"] = 0  # … but one
    frames["window"]["baseline_end"] = frames["window"]["start"] + pd.Timedelta(days=4)
    m1 = _fit(q.run(frames, min_baseline_days=1), "m1")
    assert m1["usable_hours"] == 3 * 24 + 1 and m1["usable_days"] == 4


def test_no_readings_no_mode_data_and_fault_all_period_are_not_fittable() -> None:
    frames = _fit_frames(days=3)
    energy = frames["energy_hourly"]
    frames["energy_hourly"] = energy[energy["energy_type"] != "natural_gas"].reset_index(drop=True)
    result = q.run(frames, min_baseline_days=1)
    gas = _fit(result, "m2", "natural_gas")
    assert (gas["fittable"], gas["fit_reason"], gas["usable_hours"]) == (False, "no readings", 0)
    assert "no readings" in gas["reasons"] and not gas["sufficient"]
    # the mask is per machine: the missing gas makes m2's electricity hours abnormal too (incomplete energy)
    assert _fit(result, "m2")["fit_reason"] == "no normal hours: incomplete energy"

    frames = _fit_frames(days=3)
    modes = frames["mode_hourly"]
    m1 = modes.index[modes["machine_id"] == "m1"]
    modes.loc[m1[0], ["n_running", "n_idle", "n_offline"]] = [0, 0, 60]  # m1's history: one offline hour
    frames["mode_hourly"] = modes.drop(index=m1[1:]).reset_index(drop=True)
    modes = frames["mode_hourly"]
    modes.loc[modes["machine_id"] == "m2", "n_fault"] = 5
    result = q.run(frames, min_baseline_days=1)
    assert _fit(result, "m1")["fit_reason"] == "no normal hours: no mode data"
    assert _fit(result, "m2")["fit_reason"] == "no normal hours: fault"
    assert _fit(result, "m2", "natural_gas")["fit_reason"] == "no normal hours: fault"
    assert not result.sufficiency["fittable"].any() and (result.sufficiency["usable_days"] == 0).all()
    # without any mode reading m1 has no history to judge by: its operation is inferred and it can be fitted
    frames["mode_hourly"] = modes[modes["machine_id"] != "m1"].reset_index(drop=True)
    assert _fit(q.run(frames, min_baseline_days=1), "m1")["fittable"]
