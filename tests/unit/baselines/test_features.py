"""Unit tests of enms.baselines.features: local-day degree-days, DST days, driver frames and the leak guard."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from enms.baselines import features as ft

LA = "America/Los_Angeles"
BERLIN = "Europe/Berlin"


def hours(start: str, n: int) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(start, tz="UTC"), periods=n, freq="h").as_unit("us")


def machines() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "machine_id": ["line", "comp", "eu"],
            "machine_name": ["Conveyor-A", "Compressor-1", "Compressor-EU-1"],
            "factory_id": ["f1", "f1", "f2"],
            "factory_name": ["Demo", "Demo", "EU"],
            "timezone": [LA, LA, BERLIN],
            "machine_type": ["motor", "compressor", "compressor"],
            "rated_power_kw": [22.0, 55.0, 90.0],
            "data_interval_seconds": [60, 60, 60],
            "energy_types": [["electricity"]] * 3,
        }
    )


def temperature(machine_id: str, buckets: pd.DatetimeIndex, temps: object) -> pd.DataFrame:
    return pd.DataFrame(
        {"bucket": buckets, "machine_id": machine_id, "avg_outdoor_temp_c": np.broadcast_to(temps, len(buckets))}
    )


# ------------------------------------------------------------------------------------------------ leak guard
@pytest.mark.parametrize("column", ["load_factor", "avg_power_kw", "total_energy_kwh", "peak_demand_kw", "Energy"])
def test_leak_guard_refuses_target_derived_names(column: str) -> None:
    with pytest.raises(ValueError, match=f"'{column}'"):
        ft.check_drivers(["production", column])


def test_leak_guard_explicit_list_and_accepted_drivers() -> None:
    with pytest.raises(ValueError, match="'units_from_meter'.*listed as derived"):
        ft.check_drivers(["production", "units_from_meter"], target_derived=["units_from_meter"])
    ok = ["production", "factory_production", "hdd", "cdd", "operating_hours", "outdoor_temp_c", "hour_of_week"]
    assert ft.check_drivers(ok) == ok


# ------------------------------------------------------------------------------------------------ degree-days
def test_degree_days_from_the_daily_mean_not_per_sample() -> None:
    # 2024-01-10 in Los Angeles (PST, UTC-8) starts at 08:00 UTC: 12 h at 10 °C then 12 h at 20 °C
    buckets = hours("2024-01-10 08:00", 24)
    temps = np.r_[np.full(12, 10.0), np.full(12, 20.0)]
    dd = ft.degree_days(temperature("line", buckets, temps), machines())
    assert len(dd) == 1
    day = dd.iloc[0]
    assert day["date"] == pd.Timestamp("2024-01-10") and day["hours_in_day"] == 24
    assert day["outdoor_temp_c"] == pytest.approx(15.0)
    assert day["hdd"] == pytest.approx(3.0)  # max(0, 18 - 15), not the per-sample sum
    assert day["cdd"] == pytest.approx(0.0)
    # the per-hour degree-hours (in degree-days) of the hourly frame sum to 12 · 8 / 24 = 4 ≠ 3
    energy = pd.DataFrame(
        {"bucket": buckets, "machine_id": "line", "energy_type": "electricity", "total_energy_kwh": 1.0}
    )
    hourly = ft.hourly_drivers(energy, machines(), temperature=temperature("line", buckets, temps))
    assert hourly["hdd"].sum() == pytest.approx(4.0)
    assert ft.degree_days(temperature("line", buckets, temps), LA, base_c=15.5)["hdd"].iloc[0] == pytest.approx(0.5)


def test_dst_day_of_23_hours_is_one_local_day() -> None:
    # LA springs forward on 2024-03-10: local midnights at 08:00 UTC (Mar 9, Mar 10) and 07:00 UTC (Mar 11, 12)
    buckets = hours("2024-03-09 08:00", 24 + 23 + 24)
    temps = np.r_[np.full(24, 8.0), np.full(23, 12.0), np.full(24, 20.0)]
    dd = ft.degree_days(temperature("line", buckets, temps), machines())
    assert dd["date"].tolist() == list(pd.to_datetime(["2024-03-09", "2024-03-10", "2024-03-11"]))
    assert dd["hours_in_day"].tolist() == [24, 23, 24]
    assert dd["temperature_hours"].tolist() == [24, 23, 24]
    assert dd["hdd"].tolist() == pytest.approx([10.0, 6.0, 0.0])
    assert dd["cdd"].tolist() == pytest.approx([0.0, 0.0, 2.0])
    assert dd["day_start"].iloc[1] == pd.Timestamp("2024-03-10 08:00", tz="UTC")
    assert dd["day_end"].iloc[1] == pd.Timestamp("2024-03-11 07:00", tz="UTC")


def test_short_temperature_day_is_nan() -> None:
    buckets = hours("2024-01-10 08:00", 10)  # 10 of 24 hours < 50 %
    dd = ft.degree_days(temperature("line", buckets, 5.0), machines())
    assert np.isnan(dd["outdoor_temp_c"].iloc[0]) and np.isnan(dd["hdd"].iloc[0])


# ------------------------------------------------------------------------------------------------ driver frames
def _inputs() -> dict[str, pd.DataFrame]:
    grid = hours("2024-03-09 08:00", 71)  # the three LA local days around the DST change
    n = len(grid)
    energy = pd.concat(
        [
            pd.DataFrame({"bucket": grid, "machine_id": mid, "energy_type": "electricity", "total_energy_kwh": kwh})
            for mid, kwh in (("line", 2.0), ("comp", 5.0))
        ],
        ignore_index=True,
    )
    energy["total_readings"] = 60
    # a duplicated bucket with fewer readings: counts once (the row with the most readings)
    dup = energy.iloc[[0]].assign(total_energy_kwh=99.0, total_readings=10)
    energy = pd.concat([energy, dup], ignore_index=True)
    production = pd.concat(
        [
            pd.DataFrame({"bucket": grid, "machine_id": "line", "total_production_count": 10}),
            pd.DataFrame({"bucket": grid, "machine_id": "comp", "total_production_count": 3}),
        ],
        ignore_index=True,
    )
    production = production.drop(index=[5])  # the line's production of hour 5 is unknown
    modes = pd.DataFrame(
        {
            "bucket": np.r_[grid, grid],
            "machine_id": ["line"] * n + ["comp"] * n,
            "n_running": 45,
            "n_idle": 15,
            "n_maintenance": 0,
            "n_fault": 0,
            "n_offline": 0,
            "total_readings": 60,
        }
    )
    temps = pd.concat([temperature(mid, grid, np.linspace(5, 15, n)) for mid in ("line", "comp")], ignore_index=True)
    mask = pd.DataFrame({"bucket": grid, "machine_id": "line", "is_normal": True, "reason": ""})
    mask.loc[30, "is_normal"] = False
    return {"energy": energy, "production": production, "modes": modes, "temps": temps, "mask": mask}


def test_hourly_drivers() -> None:
    d = _inputs()
    hourly = ft.hourly_drivers(
        d["energy"],
        machines(),
        production_hourly=d["production"],
        mode_hourly=d["modes"],
        temperature=d["temps"],
        normal_mask=d["mask"],
    )
    assert len(hourly) == 2 * 71  # the duplicated bucket counts once
    line = hourly[hourly["machine_id"] == "line"].reset_index(drop=True)
    first = line.iloc[0]
    # 2024-03-09 08:00 UTC is Saturday 00:00 in Los Angeles: hour of week 5 · 24
    assert first["energy_kwh"] == 2.0 and first["hour_of_week"] == 120 and first["is_weekend"]
    assert first["operating_hours"] == pytest.approx(0.75) and first["occupied"]
    assert first["factory_production"] == 13  # line 10 + compressor 3
    assert np.isnan(line.loc[5, "production"]) and line.loc[5, "factory_production"] == 3  # never a zero
    assert line.loc[30, "is_normal"] == False  # noqa: E712
    assert hourly.loc[hourly["machine_id"] == "comp", "is_normal"].eq(False).all()  # no mask row: not normal
    assert line["hdd"].iloc[0] == pytest.approx((18 - 5) / 24)
    # after the DST change local 03:00 follows 01:00
    local_hours = line["hour"].iloc[24:28].tolist()
    assert local_hours == [0, 1, 3, 4]


def test_daily_drivers_sum_local_days_with_dst() -> None:
    d = _inputs()
    hourly = ft.hourly_drivers(
        d["energy"], machines(), production_hourly=d["production"], mode_hourly=d["modes"], normal_mask=d["mask"]
    )
    daily = ft.daily_drivers(hourly, machines(), temperature=d["temps"])
    line = daily[daily["machine_id"] == "line"].reset_index(drop=True)
    assert line["hours_in_day"].tolist() == [24, 23, 24]
    assert line["present_hours"].tolist() == [24, 23, 24]
    assert line["energy_kwh"].tolist() == pytest.approx([48.0, 46.0, 48.0])
    assert line["production"].tolist() == pytest.approx([230.0, 230.0, 240.0])  # one unknown hour on day 1
    assert line["factory_production"].tolist() == pytest.approx([302.0, 299.0, 312.0])
    assert line["operating_hours"].tolist() == pytest.approx([18.0, 17.25, 18.0])
    assert line["is_complete"].all() and line["is_normal"].tolist() == [True, False, True]  # hour 30 is on day 2
    assert line["weekday"].tolist() == [5, 6, 0] and line["is_weekend"].tolist() == [True, True, False]
    assert not line["offline_day"].any()
    temps = np.linspace(5, 15, 71)
    assert line["outdoor_temp_c"].tolist() == pytest.approx([temps[:24].mean(), temps[24:47].mean(), temps[47:].mean()])
    assert line["hdd"].tolist() == pytest.approx(np.maximum(0, 18 - line["outdoor_temp_c"]).tolist())


def test_hourly_drivers_require_tz_aware_buckets_and_columns() -> None:
    energy = pd.DataFrame(
        {
            "bucket": pd.date_range("2024-01-01", periods=3, freq="h"),
            "machine_id": "line",
            "energy_type": "electricity",
            "total_energy_kwh": 1.0,
        }
    )
    with pytest.raises(ValueError, match="tz-aware"):
        ft.hourly_drivers(energy, machines())
    with pytest.raises(ValueError, match="total_energy_kwh"):
        ft.hourly_drivers(energy.drop(columns="total_energy_kwh"), machines())
