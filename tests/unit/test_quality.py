"""Unit tests of enms.quality on tiny hand-made hourly frames with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from enms import quality as q

START = pd.Timestamp("2024-01-08 00:00", tz="UTC")  # a Monday
N = 48
END = START + pd.Timedelta(hours=N)


def hours(start: pd.Timestamp, n: int) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="h").as_unit("us")


def make_machines(**overrides: object) -> pd.DataFrame:
    machines = pd.DataFrame(
        {
            "machine_id": ["m1", "m2"],
            "machine_name": ["Compressor-1", "Boiler-1"],
            "factory_id": ["f1", "f1"],
            "factory_name": ["Demo Manufacturing Plant"] * 2,
            "timezone": ["America/Los_Angeles"] * 2,
            "machine_type": ["compressor", "boiler"],
            "rated_power_kw": [55.0, 45.0],
            "data_interval_seconds": [60, 60],
            "energy_types": [["electricity"], ["electricity", "natural_gas"]],
        }
    )
    for column, value in overrides.items():
        machines[column] = value
    return machines


def energy_rows(
    machine_id: str,
    energy_type: str,
    buckets: pd.DatetimeIndex,
    *,
    kwh: float | np.ndarray = 10.0,
    readings: int | np.ndarray = 60,
) -> pd.DataFrame:
    kwh = np.broadcast_to(np.asarray(kwh, dtype=float), (len(buckets),))
    return pd.DataFrame(
        {
            "bucket": buckets,
            "machine_id": machine_id,
            "energy_type": energy_type,
            "avg_power_kw": kwh,  # one hour: kW == kWh
            "min_power_kw": kwh * 0.5,
            "max_power_kw": kwh * 1.5,
            "total_energy_kwh": kwh,
            "total_readings": np.broadcast_to(np.asarray(readings), (len(buckets),)).astype(np.int64),
        }
    )


def full_energy(start: pd.Timestamp = START, n: int = N) -> pd.DataFrame:
    grid = hours(start, n)
    return pd.concat(
        [
            energy_rows("m1", "electricity", grid),
            energy_rows("m2", "electricity", grid),
            energy_rows("m2", "natural_gas", grid, kwh=30.0),
        ],
        ignore_index=True,
    )


def environment_rows(machine_id: str, buckets: pd.DatetimeIndex, temps: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "bucket": buckets,
            "machine_id": machine_id,
            "avg_outdoor_temp_c": np.asarray(temps, dtype=float),
            "total_readings": 60,
        }
    )


def full_environment(start: pd.Timestamp = START, n: int = N) -> pd.DataFrame:
    grid = hours(start, n)
    temps = np.arange(n, dtype=float)
    return pd.concat([environment_rows("m1", grid, temps), environment_rows("m2", grid, temps)], ignore_index=True)


def row(frame: pd.DataFrame, machine_id: str, energy_type: str = "electricity") -> pd.Series:
    sel = frame[(frame["machine_id"] == machine_id) & (frame["energy_type"] == energy_type)]
    assert len(sel) == 1
    return sel.iloc[0]


# --------------------------------------------------------------------------------------------- coverage, gaps
def test_three_hour_gap_is_found_and_coverage_is_exact() -> None:
    energy = full_energy()
    missing = START + pd.to_timedelta([10, 11, 12], unit="h")
    energy = energy[~((energy["machine_id"] == "m1") & energy["bucket"].isin(missing))]

    cov = q.hourly_coverage(energy, make_machines(), START, END)
    assert len(cov) == 3  # m1 electricity, m2 electricity, m2 natural_gas
    m1 = row(cov, "m1")
    assert m1["expected_hours"] == N
    assert m1["present_hours"] == N - 3
    assert m1["coverage_pct"] == 100.0 * (N - 3) / N
    assert m1["gap_count"] == 1
    assert m1["longest_gap_hours"] == 3
    assert m1["first_bucket"] == START and m1["last_bucket"] == END - pd.Timedelta(hours=1)
    assert row(cov, "m2")["coverage_pct"] == 100.0
    assert row(cov, "m2", "natural_gas")["gap_count"] == 0
    assert str(cov["first_bucket"].dtype) == "datetime64[us, UTC]"

    gaps = q.find_gaps(energy, make_machines(), START, END)
    assert gaps[["machine_id", "machine_name", "energy_type", "hours"]].to_dict("records") == [
        {"machine_id": "m1", "machine_name": "Compressor-1", "energy_type": "electricity", "hours": 3}
    ]
    assert gaps["gap_start"].iloc[0] == START + pd.Timedelta(hours=10)
    assert gaps["gap_end"].iloc[0] == START + pd.Timedelta(hours=13)  # half-open


def test_edge_gaps_and_a_declared_type_without_rows() -> None:
    energy = full_energy()
    energy = energy[energy["energy_type"] != "natural_gas"]  # the boiler's gas: no rows at all
    energy = energy[~((energy["machine_id"] == "m1") & (energy["bucket"] < START + pd.Timedelta(hours=2)))]

    cov = q.hourly_coverage(energy, make_machines(), START, END)
    gas = row(cov, "m2", "natural_gas")
    assert gas["present_hours"] == 0 and gas["coverage_pct"] == 0.0 and gas["completeness_pct"] == 0.0
    assert gas["gap_count"] == 1 and gas["longest_gap_hours"] == N
    assert pd.isna(gas["first_bucket"]) and pd.isna(gas["last_bucket"])

    gaps = q.find_gaps(energy, make_machines(), START, END)
    lead = gaps[gaps["machine_id"] == "m1"].iloc[0]
    assert (lead["gap_start"], lead["gap_end"], lead["hours"]) == (START, START + pd.Timedelta(hours=2), 2)
    whole = gaps[gaps["energy_type"] == "natural_gas"].iloc[0]
    assert (whole["gap_start"], whole["gap_end"], whole["hours"]) == (START, END, N)


def test_duplicated_bucket_and_excess_readings() -> None:
    energy = full_energy()
    m1 = energy[(energy["machine_id"] == "m1")].index
    dup = energy.loc[[m1[5]]]
    energy.loc[m1[7], "total_readings"] = 61  # duplicated raw timestamp inside the hour
    energy.loc[m1[9], "total_readings"] = 30  # half an hour of readings
    energy = pd.concat([energy, dup], ignore_index=True)

    cov = q.hourly_coverage(energy, make_machines(), START, END)
    r = row(cov, "m1")
    assert r["duplicate_buckets"] == 1
    assert r["present_hours"] == N and r["coverage_pct"] == 100.0  # a duplicate counts once
    assert r["excess_reading_hours"] == 1
    assert r["complete_hours"] == N - 2  # the 61- and the 30-reading hours
    assert r["completeness_pct"] == pytest.approx(100.0 * (N * 60 - 30) / (N * 60))  # excess capped
    assert row(cov, "m2")["duplicate_buckets"] == 0

    suff = q.caltrack_sufficiency(energy, full_environment(), make_machines(), START, END)
    s = row(suff, "m1")
    assert s["duplicate_timestamps"] == 1 and not s["duplicates_pass"] and not s["sufficient"]
    assert "1 duplicate energy timestamps" in s["reasons"]
    assert row(suff, "m2")["sufficient"]


# --------------------------------------------------------------------------------------------- outliers
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


# --------------------------------------------------------------------------------------------- sufficiency
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


def test_interpolation_leaves_edge_gaps_and_respects_max_gap() -> None:
    grid = hours(START, 10)
    env = environment_rows("m1", grid[[2, 5, 6, 9]], [2.0, 5.0, 6.0, 9.0])  # edges 0-1 missing, 3-4, 7-8
    temp = q.interpolate_temperature(env, START, START + pd.Timedelta(hours=10), max_gap_hours=2)
    values = temp["avg_outdoor_temp_c"].to_numpy()
    assert np.isnan(values[:2]).all()
    assert values[2:].tolist() == pytest.approx([2, 3, 4, 5, 6, 7, 8, 9])
    temp = q.interpolate_temperature(env, START, START + pd.Timedelta(hours=10), max_gap_hours=1)
    assert temp["avg_outdoor_temp_c"].isna().sum() == 6


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


# --------------------------------------------------------------------------------------------- operating state
def mode_rows(machine_id: str, buckets: pd.DatetimeIndex) -> pd.DataFrame:
    n = len(buckets)
    return pd.DataFrame(
        {
            "bucket": buckets,
            "machine_id": machine_id,
            "n_running": np.full(n, 50),
            "n_idle": np.full(n, 10),
            "n_maintenance": np.zeros(n, dtype=int),
            "n_fault": np.zeros(n, dtype=int),
            "n_offline": np.zeros(n, dtype=int),
            "total_readings": np.full(n, 60),
            "dominant_mode": "running",
        }
    )


def test_normal_operation_mask() -> None:
    n = 8
    end = START + pd.Timedelta(hours=n)
    grid = hours(START, n)
    mode = pd.concat([mode_rows("m1", grid), mode_rows("m2", grid)], ignore_index=True)
    m1 = mode.index[mode["machine_id"] == "m1"]
    mode.loc[m1[2], ["n_running", "n_maintenance"]] = [59, 1]  # one maintenance minute
    mode.loc[m1[4], ["n_running", "n_fault", "n_offline"]] = [40, 5, 5]
    mode = mode.drop(index=m1[3])  # no mode data
    energy = full_energy(START, n)
    e1 = energy.index[energy["machine_id"] == "m1"]
    energy.loc[e1[5], "total_readings"] = 59
    gas = energy.index[energy["energy_type"] == "natural_gas"]
    energy = energy.drop(index=gas[1])  # the boiler's electricity is complete, its gas is not

    mask = q.normal_operation_mask(mode, energy, make_machines(), START, end)
    assert len(mask) == 2 * n and list(mask.columns) == ["bucket", "machine_id", "is_normal", "reason"]
    r1 = mask[mask["machine_id"] == "m1"]["reason"].tolist()
    assert r1 == ["", "", "maintenance", "no mode data", "fault; offline", "incomplete energy", "", ""]
    r2 = mask[mask["machine_id"] == "m2"]["reason"].tolist()
    assert r2 == ["", "incomplete energy", "", "", "", "", "", ""]
    assert mask["is_normal"].tolist() == [r == "" for r in r1 + r2]
    assert (mask["bucket"].iloc[:n] == grid.tz_convert("UTC")).all()


# --------------------------------------------------------------------------------------------- summary, errors
def test_quality_summary_joins_the_tables() -> None:
    energy = full_energy()
    energy.loc[energy.index[energy["machine_id"] == "m1"][3], "avg_power_kw"] = 100.0
    machines = make_machines()
    grid = hours(START, N)
    mode = pd.concat([mode_rows("m1", grid), mode_rows("m2", grid)], ignore_index=True)
    mode.loc[mode.index[mode["machine_id"] == "m2"][:12], "n_offline"] = 60
    summary = q.quality_summary(
        q.hourly_coverage(energy, machines, START, END),
        q.find_outliers(energy, machines),
        q.caltrack_sufficiency(energy, full_environment(), machines, START, END),
        q.normal_operation_mask(mode, energy, machines, START, END),
    )
    assert len(summary) == 3
    assert row(summary, "m1")["outlier_hours"] == 1 and row(summary, "m2")["outlier_hours"] == 0
    assert summary["sufficient"].all() and (summary["coverage_pct"] == 100.0).all()
    assert row(summary, "m1")["normal_hours_pct"] == 100.0
    assert row(summary, "m2", "natural_gas")["normal_hours_pct"] == 100.0 * (N - 12) / N


def test_missing_columns_are_named() -> None:
    machines = make_machines()
    with pytest.raises(ValueError, match="total_readings"):
        q.hourly_coverage(full_energy().drop(columns="total_readings"), machines, START, END)
    with pytest.raises(ValueError, match="timezone"):
        q.caltrack_sufficiency(full_energy(), full_environment(), machines.drop(columns="timezone"), START, END)
    with pytest.raises(ValueError, match="avg_outdoor_temp_c"):
        q.interpolate_temperature(full_environment().drop(columns="avg_outdoor_temp_c"), START, END)
    mode = mode_rows("m1", hours(START, N)).drop(columns="n_fault")
    with pytest.raises(ValueError, match="n_fault"):
        q.normal_operation_mask(mode, full_energy(), machines, START, END)
    with pytest.raises(ValueError, match="rated_power_kw"):
        q.find_outliers(full_energy(), machines.drop(columns="rated_power_kw"))
    with pytest.raises(ValueError, match="data_interval_seconds"):
        q.find_gaps(full_energy(), make_machines(data_interval_seconds=[60, None]), START, END)
    with pytest.raises(ValueError, match="timezone"):
        q.daily_presence(full_energy(), make_machines(timezone=["America/Los_Angeles", None]), START, END)
