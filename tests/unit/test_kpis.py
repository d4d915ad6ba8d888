"""Unit tests of enms.kpis on tiny frames; every expected number is worked out by hand in the comments."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest

from enms import kpis

LA, BERLIN = "America/Los_Angeles", "Europe/Berlin"
LA_NAME, BERLIN_NAME = "Demo Manufacturing Plant", "European Production Facility"
ALL_DAYS, WEEKDAYS = [0, 1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5]


# ------------------------------------------------------------------------------------------------------ frames
def make_machines() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "machine_id": ["m1", "m2", "m3"],
            "machine_name": ["Compressor-1", "Boiler-1", "Compressor-EU-1"],
            "factory_id": ["f1", "f1", "f2"],
            "factory_name": [LA_NAME, LA_NAME, BERLIN_NAME],
            "timezone": [LA, LA, BERLIN],
            "machine_type": ["compressor", "boiler", "compressor"],
            "rated_power_kw": [55.0, 45.0, 90.0],
            "data_interval_seconds": [60, 60, 60],
            "energy_types": [["electricity"], ["electricity", "natural_gas", "steam"], ["electricity"]],
        }
    )


def make_factories(berlin_region: str = "Germany") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "factory_id": ["f1", "f2"],
            "factory_name": [LA_NAME, BERLIN_NAME],
            "location": ["Los Angeles", "Berlin"],
            "timezone": [LA, BERLIN],
            "metadata": [
                json.dumps({"carbon_region": "US-California", "country": "US", "currency": "USD"}),
                json.dumps({"carbon_region": berlin_region, "country": "DE", "currency": "EUR"}),
            ],
        }
    )


def tariff(factory_id: str, name: str, rate: float, start: int, end: int, days: list[int], demand: float,
           valid_from: str = "2020-01-01", valid_to: str | None = None, currency: str = "USD") -> dict:
    return {
        "tariff_id": f"{factory_id}-{name}-{valid_from}", "factory_id": factory_id, "name": name,
        "rate_per_kwh": rate, "currency": currency, "is_time_of_use": (start, end) != (0, 24),
        "start_hour": start, "end_hour": end, "applicable_days": days, "demand_charge_per_kw": demand,
        "valid_from": pd.Timestamp(valid_from).date(),
        "valid_to": None if valid_to is None else pd.Timestamp(valid_to).date(), "is_active": True,
    }


def make_tariffs(*extra: dict) -> pd.DataFrame:
    rows = [
        tariff("f1", "Peak", 0.25, 9, 21, WEEKDAYS, 18.50),
        tariff("f1", "Off-Peak", 0.10, 21, 9, ALL_DAYS, 0.0),
        tariff("f2", "Flat", 0.18, 0, 24, ALL_DAYS, 9.80, currency="EUR"),
        *extra,
    ]
    frame = pd.DataFrame(rows)
    frame["start_hour"] = frame["start_hour"].astype("Int64")
    frame["end_hour"] = frame["end_hour"].astype("Int64")
    return frame


def make_carbon() -> pd.DataFrame:
    rows = [
        ("US-California", 0.22, "2020-01-01", None),
        ("Germany", 0.38, "2025-01-01", "2025-12-31"),
        ("Germany", 0.35, "2026-01-01", None),
        ("default", 0.45, "2020-01-01", None),
    ]
    return pd.DataFrame(
        {
            "carbon_factor_id": [f"c{i}" for i in range(len(rows))],
            "region": [r[0] for r in rows],
            "grid_name": [r[0] for r in rows],
            "emission_factor_kg_co2_per_kwh": [r[1] for r in rows],
            "source": "test",
            "valid_from": [pd.Timestamp(r[2]).date() for r in rows],
            "valid_to": [None if r[3] is None else pd.Timestamp(r[3]).date() for r in rows],
            "is_active": True,
        }
    )


def make_sources() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "energy_source_id": ["e1", "e2", "e3", "e4"],
            "name": ["electricity", "natural_gas", "steam", "compressed_air"],
            "unit": ["kWh", "m³", "kg", "Nm³"],
            "cost_per_unit": [0.15, 0.45, 0.03, 0.02],
            "carbon_factor": [0.45, 1.90, 0.0, 0.0],
            "is_active": True,
        }
    )


def buckets(local_start: str, n: int, tz: str = LA, freq: str = "h") -> pd.DatetimeIndex:
    """n buckets from a local wall-clock start, as UTC instants (so DST days get their real length)."""
    first = pd.Timestamp(local_start, tz=tz).tz_convert("UTC")
    return pd.date_range(first, periods=n, freq=freq).as_unit("us")


def energy(machine_id: str, energy_type: str, grid: pd.DatetimeIndex, kwh: float | np.ndarray,
           max_kw: float | np.ndarray | None = None) -> pd.DataFrame:
    kwh = np.broadcast_to(np.asarray(kwh, dtype=float), (len(grid),))
    hours = (grid[1] - grid[0]) / pd.Timedelta(hours=1) if len(grid) > 1 else 0.25
    return pd.DataFrame(
        {
            "bucket": grid,
            "machine_id": machine_id,
            "energy_type": energy_type,
            "avg_power_kw": kwh / hours,
            "min_power_kw": kwh / hours,
            "max_power_kw": kwh / hours if max_kw is None else np.broadcast_to(max_kw, (len(grid),)),
            "total_energy_kwh": kwh,
            "total_readings": 15,
        }
    )


def production(machine_id: str, grid: pd.DatetimeIndex, units: float | np.ndarray) -> pd.DataFrame:
    units = np.broadcast_to(np.asarray(units, dtype=float), (len(grid),))
    return pd.DataFrame(
        {
            "bucket": grid,
            "machine_id": machine_id,
            "total_production_count": units,
            "total_production_good": units,
            "total_production_bad": 0.0,
            "total_downtime_seconds": 0.0,
            "total_readings": 60,
        }
    )


def one(frame: pd.DataFrame, **where: object) -> pd.Series:
    mask = np.ones(len(frame), dtype=bool)
    for column, value in where.items():
        mask &= (frame[column] == value).to_numpy()
    assert mask.sum() == 1, f"{mask.sum()} rows for {where}:\n{frame}"
    return frame[mask].iloc[0]


# ----------------------------------------------------------------------------------------- local periods, DST
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


# ----------------------------------------------------------------------------------------------------- tariffs
def test_tariff_day_across_the_los_angeles_spring_dst_change() -> None:
    # 2026-03-08 is a Sunday with 23 local hours (02:00 PST jumps to 03:00 PDT). Peak is Mon-Fri only, so the
    # whole Sunday is Off-Peak: 23 h x 1 kWh x 0.10 = 2.30 USD (a 24-h or UTC day would give 2.40 or a mix).
    sunday = energy("m1", "electricity", buckets("2026-03-08 00:00", 23), 1.0)
    # Monday 2026-03-09 (PDT, 24 h), 10 kWh every hour: Off-Peak 00-08 and 21-23 = 12 h x 10 x 0.10 = 12.00;
    # Peak 09-20 = 12 h x 10 x 0.25 = 30.00; day = 42.00 USD.
    monday = energy("m1", "electricity", buckets("2026-03-09 00:00", 24), 10.0)
    assert sunday["bucket"].iloc[-1] + pd.Timedelta(hours=1) == monday["bucket"].iloc[0]  # contiguous, 23 buckets
    frame = pd.concat([sunday, monday], ignore_index=True)

    cost = kpis.energy_cost(frame, make_machines(), make_factories(), make_tariffs(), make_sources(), "day")
    sun = one(cost, period="2026-03-08")
    assert sun["hours"] == 23 and sun["energy_kwh"] == 23.0
    assert sun["energy_cost"] == pytest.approx(2.30)
    mon = one(cost, period="2026-03-09")
    assert mon["hours"] == 24 and mon["energy_kwh"] == 240.0
    assert mon["energy_cost"] == pytest.approx(42.0)
    assert set(cost["currency"]) == {"USD"}

    # Fall back: Sunday 2026-11-01 has 25 local hours (01:00 twice), all Off-Peak: 25 x 1 kWh x 0.10 = 2.50 USD.
    autumn = energy("m1", "electricity", buckets("2026-11-01 00:00", 25), 1.0)
    fall = kpis.energy_cost(autumn, make_machines(), make_factories(), make_tariffs(), make_sources(), "day")
    assert fall["period"].tolist() == ["2026-11-01"] and fall["hours"].tolist() == [25.0]
    assert fall["energy_cost"].iloc[0] == pytest.approx(2.50)

    rates = kpis.tariff_rates(frame, make_machines(), make_tariffs())
    local_sunday = rates[rates["local_time"] < pd.Timestamp("2026-03-09")]
    assert sorted(local_sunday["local_time"].dt.hour) == [0, 1, *range(3, 24)]  # no 02:00 that day
    assert set(local_sunday["tariff_name"]) == {"Off-Peak"} and set(local_sunday["local_weekday"]) == {0}
    by_utc = rates.set_index("bucket")["tariff_name"]
    assert by_utc[pd.Timestamp("2026-03-09 15:00", tz="UTC")] == "Off-Peak"  # 08:00 PDT
    assert by_utc[pd.Timestamp("2026-03-09 16:00", tz="UTC")] == "Peak"  # 09:00 PDT (UTC would say 16:00)
    assert by_utc[pd.Timestamp("2026-03-10 03:00", tz="UTC")] == "Peak"  # 20:00 PDT
    assert by_utc[pd.Timestamp("2026-03-10 04:00", tz="UTC")] == "Off-Peak"  # 21:00 PDT

    # Load factor on the 23-h day: 92 intervals of 0.25 kWh = 1 kW each -> peak 1 kW, 23 kWh / (1 kW x 23 h) = 1.
    quarter = energy("m1", "electricity", buckets("2026-03-08 00:00", 92, freq="15min"), 0.25)
    peak = kpis.peak_demand(quarter, make_machines(), "day")
    assert one(peak, period="2026-03-08")["peak_kw"] == pytest.approx(1.0)
    assert one(peak, period="2026-03-08")["load_factor"] == pytest.approx(1.0)  # 23/24 = 0.958 if 24 h were used


def test_off_peak_window_21_to_9_wraps_midnight_and_covers_weekends() -> None:
    # A PDT week Mon 2026-06-01 .. Sun 2026-06-07, 1 kWh every hour.
    frame = energy("m1", "electricity", buckets("2026-06-01 00:00", 7 * 24), 1.0)
    rates = kpis.tariff_rates(frame, make_machines(), make_tariffs())
    hour, weekday = rates["local_time"].dt.hour, rates["local_weekday"]
    weekdays = weekday.between(1, 5)
    off_peak_hours = [21, 22, 23, 0, 1, 2, 3, 4, 5, 6, 7, 8]
    assert (rates.loc[weekdays & hour.isin(off_peak_hours), "tariff_name"] == "Off-Peak").all()
    assert (rates.loc[weekdays & hour.between(9, 20), "tariff_name"] == "Peak").all()
    assert (rates.loc[~weekdays, "tariff_name"] == "Off-Peak").all()  # Saturday and Sunday, all 24 h
    assert (weekdays & hour.isin(off_peak_hours)).sum() == 5 * 12 and (~weekdays).sum() == 48

    # Week: Peak 5 days x 12 h x 1 kWh x 0.25 = 15.00; Off-Peak (168 - 60) h x 0.10 = 10.80; total 25.80 USD.
    cost = kpis.energy_cost(frame, make_machines(), make_factories(), make_tariffs(), make_sources(), "week")
    week = one(cost, period="2026-W23")
    assert week["hours"] == 168 and week["energy_cost"] == pytest.approx(25.80)

    # Read strictly (a window only ever holds its own hours), the seed tariffs leave weekend 09-21 uncovered.
    with pytest.raises(ValueError, match=r"Demo Manufacturing Plant.*no tariff matches.*2026-06-06 09:00"):
        kpis.tariff_rates(frame, make_machines(), make_tariffs(), sole_tariff_covers_day=False)


def test_overlapping_or_missing_tariffs_raise_naming_the_factory_and_local_time() -> None:
    frame = energy("m1", "electricity", buckets("2026-06-01 00:00", 24), 1.0)  # Monday
    lunch = tariff("f1", "Lunch", 0.20, 12, 14, ALL_DAYS, 0.0)  # overlaps Peak 12:00-13:59
    with pytest.raises(ValueError, match=r"factory 'Demo Manufacturing Plant': 2 tariffs overlap.*"
                                         r"at local time 2026-06-01 12:00 \(Monday, America/Los_Angeles\)"):
        kpis.energy_cost(frame, make_machines(), make_factories(), make_tariffs(lunch), make_sources())

    expired = make_tariffs()
    expired["valid_to"] = pd.Timestamp("2026-05-31").date()  # valid_to is inclusive: nothing on 2026-06-01
    with pytest.raises(ValueError, match=r"Demo Manufacturing Plant.*no tariff matches.*2026-06-01 00:00"):
        kpis.tariff_rates(frame, make_machines(), expired)

    # An inactive overlapping tariff is ignored.
    idle = make_tariffs(lunch)
    idle.loc[idle["name"] == "Lunch", "is_active"] = False
    assert kpis.tariff_rates(frame, make_machines(), idle)["cost"].sum() == pytest.approx(12 * 0.10 + 12 * 0.25)


def test_tariff_validity_dates_are_local_dates() -> None:
    # Rates change on 2026-07-01 (local). 2026-07-01 06:00 UTC is still 2026-06-30 23:00 PDT: the old rate.
    tariffs = make_tariffs()
    tariffs.loc[tariffs["factory_id"] == "f1", "valid_to"] = pd.Timestamp("2026-06-30").date()
    tariffs = pd.concat([tariffs, make_tariffs(
        tariff("f1", "Peak", 0.30, 9, 21, WEEKDAYS, 20.0, valid_from="2026-07-01"),
        tariff("f1", "Off-Peak", 0.12, 21, 9, ALL_DAYS, 0.0, valid_from="2026-07-01")).tail(2)], ignore_index=True)
    grid = pd.DatetimeIndex(["2026-07-01 06:00", "2026-07-01 07:00"], tz="UTC").as_unit("us")  # 23:00, 00:00
    rates = kpis.tariff_rates(energy("m1", "electricity", grid, 1.0), make_machines(), tariffs)
    assert rates["rate_per_kwh"].tolist() == [0.10, 0.12]


# --------------------------------------------------------------------------------------- demand and charges
def demand_frame() -> pd.DataFrame:
    def at(local: str) -> pd.DatetimeIndex:
        return buckets(local, 1, freq="15min")

    return pd.concat(
        [
            # Wed 2026-06-10 10:00 PDT: m1 20 kWh + m2 10 kWh = 30 kWh -> 120 kW factory demand (the month's peak)
            energy("m1", "electricity", at("2026-06-10 10:00"), 20.0),
            energy("m2", "electricity", at("2026-06-10 10:00"), 10.0),
            # Mon 2026-06-15 14:00: m1 28 kWh alone -> 112 kW (m1's own peak), factory 112 kW
            energy("m1", "electricity", at("2026-06-15 14:00"), 28.0, max_kw=130.0),
            # Sat 2026-06-20 03:00: a 1-minute spike of 500 kW inside an interval of 2 kWh -> only 8 kW of demand
            energy("m1", "electricity", at("2026-06-20 03:00"), 2.0, max_kw=500.0),
            # gas of the boiler in the same interval as the peak: never part of electric demand
            energy("m2", "natural_gas", at("2026-06-10 10:00"), 1000.0),
        ],
        ignore_index=True,
    )


def test_peak_demand_is_the_largest_15_minute_average_not_the_largest_sample() -> None:
    peaks = kpis.peak_demand(demand_frame(), make_machines(), "month")
    m1 = one(peaks, machine_id="m1")
    assert m1["peak_kw"] == pytest.approx(28.0 / 0.25)  # 112 kW, not the 500 kW max sample
    assert m1["peak_start_local"] == pd.Timestamp("2026-06-15 14:00")
    assert m1["peak_start"] == pd.Timestamp("2026-06-15 21:00", tz="UTC")
    assert m1["energy_type"] == "electricity"
    assert one(peaks, machine_id="m2")["peak_kw"] == pytest.approx(40.0)  # 10 kWh / 0.25 h; gas ignored
    # Load factor of m1 over June (720 h): (20 + 28 + 2) kWh / (112 kW x 720 h)
    assert m1["load_factor"] == pytest.approx(50.0 / (112.0 * 720.0))

    factory = kpis.peak_demand(demand_frame(), make_machines(), "month", level="factory")
    f1 = one(factory, factory_id="f1")
    assert f1["peak_kw"] == pytest.approx(120.0)  # (20 + 10) / 0.25, coincident
    assert f1["peak_start_local"] == pd.Timestamp("2026-06-10 10:00")

    # From 1-minute data: 14 minutes at 10 kW and one at 500 kW -> (14 x 10 + 500) / 60 = 10.667 kWh in the
    # 15-minute interval -> 42.67 kW of demand.
    minute = energy("m1", "electricity", buckets("2026-06-10 10:00", 15, freq="1min"),
                    np.array([10.0] * 7 + [500.0] + [10.0] * 7) / 60)
    profile = kpis.demand_profile(minute, make_machines())
    assert len(profile) == 1
    assert profile["demand_kw"].iloc[0] == pytest.approx(640.0 / 60 / 0.25)

    hourly = energy("m1", "electricity", buckets("2026-06-10 00:00", 3), 10.0).assign(total_readings=60)
    with pytest.raises(ValueError, match="15-minute"):
        kpis.peak_demand(hourly, make_machines())


def test_a_month_demand_charge_is_the_billing_month_peak_times_the_charge() -> None:
    # An old Peak tariff (charge 99 USD/kW) expired before June: only the June-valid ones count.
    old = tariff("f1", "Peak", 0.20, 9, 21, WEEKDAYS, 99.0, valid_from="2019-01-01", valid_to="2019-12-31")
    july = energy("m1", "electricity", buckets("2026-07-01 12:00", 1, freq="15min"), 5.0)  # 20 kW in July
    frame = pd.concat([demand_frame(), july], ignore_index=True)
    charges = kpis.demand_charges(frame, make_machines(), make_tariffs(old), make_factories())
    june = one(charges, period="2026-06")
    # 120 kW x max(18.50 Peak, 0.00 Off-Peak) = 2220.00 USD
    assert june["peak_kw"] == pytest.approx(120.0)
    assert june["demand_charge_per_kw"] == 18.50
    assert june["demand_charge"] == pytest.approx(2220.0)
    assert june["currency"] == "USD" and bool(june["whole_month"])
    assert june["intervals"] == 3 and june["coverage"] == pytest.approx(3 / (720 * 4))  # 3 intervals with data
    assert june["peak_start_local"] == pd.Timestamp("2026-06-10 10:00")
    assert one(charges, period="2026-07")["demand_charge"] == pytest.approx(20.0 * 18.50)

    clipped = kpis.demand_charges(frame, make_machines(), make_tariffs(), start="2026-06-12", end="2026-07-01")
    assert clipped["peak_kw"].tolist() == [pytest.approx(112.0)] and not clipped["whole_month"].any()


# ------------------------------------------------------------------------------------------------------ SEC
def test_sec_excludes_hours_without_production_from_both_sides() -> None:
    grid = buckets("2026-06-02 00:00", 5)
    frame = pd.concat(
        [
            energy("m1", "electricity", grid[:4], [10.0, 20.0, 5.0, 30.0]),
            energy("m2", "natural_gas", grid[:4], [105.5, 105.5, 105.5, 105.5]),  # 10 m³ an hour
        ],
        ignore_index=True,
    )
    # hour 0: 100 units, hour 1: 0 units, hour 2: 50 units, hour 3: no production row, hour 4: 70 units but no
    # energy row (an outage).
    prod = pd.concat([production("m1", grid[[0, 1, 2, 4]], [100.0, 0.0, 50.0, 70.0]),
                      production("m2", grid[[0, 1, 2, 4]], [100.0, 0.0, 50.0, 70.0])], ignore_index=True)
    result = kpis.sec(frame, prod, make_machines(), "day")
    m1 = one(result, machine_id="m1")
    # (10 + 5) kWh / (100 + 50) units = 0.1 kWh/unit; 20 + 30 = 50 kWh left out; naive 65 / 220 = 0.295 is wrong
    assert m1["sec_kwh_per_unit"] == pytest.approx(0.1)
    assert m1["energy_kwh"] == 15.0 and m1["production_units"] == 150.0
    assert m1["producing_hours"] == 2 and m1["excluded_kwh"] == 50.0
    gas = one(result, machine_id="m2", energy_type="natural_gas")
    # 2 h x 105.5 kWh = 211 kWh = 20 m³ over 150 units: 1.4067 kWh/unit = 0.1333 m³/unit
    assert gas["sec_kwh_per_unit"] == pytest.approx(211.0 / 150.0)
    assert gas["sec_native_per_unit"] == pytest.approx(20.0 / 150.0) and gas["native_unit"] == "m³"

    none = kpis.sec(frame[frame["machine_id"] == "m1"], prod.assign(total_production_count=0.0), make_machines())
    assert np.isnan(none["sec_kwh_per_unit"].iloc[0]) and none["excluded_kwh"].iloc[0] == 65.0


# ------------------------------------------------------------------------------------- boiler: never summed
def boiler_frame() -> pd.DataFrame:
    grid = buckets("2026-06-02 00:00", 2)  # Tuesday 00:00-02:00 PDT: Off-Peak, 0.10 USD/kWh
    return pd.concat(
        [
            energy("m1", "electricity", grid, 10.0),  # compressor: 20 kWh
            energy("m2", "electricity", grid, 5.0),  # boiler fans and pumps: 10 kWh
            energy("m2", "natural_gas", grid, 105.5),  # 10 m³ an hour: 211 kWh = 20 m³
            energy("m2", "steam", grid, 90.4),  # 40 kg an hour: 180.8 kWh = 80 kg
        ],
        ignore_index=True,
    )


def test_boiler_gas_and_steam_are_never_summed_with_electricity() -> None:
    machines = make_machines()
    per_machine = kpis.energy_by_period(boiler_frame(), machines, "day")
    boiler = per_machine[per_machine["machine_id"] == "m2"].set_index("energy_type")
    assert sorted(boiler.index) == ["electricity", "natural_gas", "steam"]
    assert boiler.loc["electricity", "energy_kwh"] == 10.0
    assert boiler.loc["natural_gas", "energy_kwh"] == pytest.approx(211.0)
    assert boiler.loc["natural_gas", "energy_native"] == pytest.approx(20.0)
    assert boiler.loc["natural_gas", "native_unit"] == "m³"
    assert boiler.loc["steam", "energy_native"] == pytest.approx(80.0) and boiler.loc["steam", "native_unit"] == "kg"

    factory = kpis.energy_by_period(boiler_frame(), machines, "day", level="factory").set_index("energy_type")
    assert factory["energy_kwh"].to_dict() == pytest.approx({"electricity": 30.0, "natural_gas": 211.0,
                                                             "steam": 180.8})  # never 421.8 in one figure

    cost = kpis.energy_cost(boiler_frame(), machines, make_factories(), make_tariffs(), make_sources(), "day",
                            level="factory").set_index("energy_type")
    # electricity 30 kWh x 0.10 = 3.00; gas 20 m³ x 0.45 = 9.00; steam 0 (its gas is already paid)
    assert cost["energy_cost"].to_dict() == pytest.approx({"electricity": 3.0, "natural_gas": 9.0, "steam": 0.0})

    co2 = kpis.carbon(boiler_frame(), machines, make_factories(), make_carbon(), make_sources(), "day",
                      level="factory").set_index("energy_type")
    # electricity 30 kWh x 0.22 = 6.6 kg; gas 20 m³ x 1.90 = 38.0 kg; steam 0 (counted at the gas)
    assert co2["carbon_kg"].to_dict() == pytest.approx({"electricity": 6.6, "natural_gas": 38.0, "steam": 0.0})

    quarter = boiler_frame().assign(bucket=np.tile(buckets("2026-06-02 00:00", 2, freq="15min"), 4))
    peaks = kpis.peak_demand(quarter, machines, "day", level="factory")
    # electricity only: (10 + 5) kWh / 0.25 h = 60 kW; with gas and steam it would be 60 + 422 + 361.6 kW
    assert peaks["peak_kw"].tolist() == [pytest.approx(60.0)]


# --------------------------------------------------------------------------------------------------- carbon
def test_carbon_factor_switches_on_its_local_valid_from_date() -> None:
    # Berlin (UTC+1 in winter): local 2025-12-31 22:00, 23:00 at 0.38 kg/kWh; 2026-01-01 00:00, 01:00 at 0.35.
    # 1 kWh each: 2 x 0.38 + 2 x 0.35 = 1.46 kg. (By UTC date, 00:00 local = 23:00 UTC Dec 31 would take 0.38.)
    frame = energy("m3", "electricity", buckets("2025-12-31 22:00", 4, tz=BERLIN), 1.0)
    args = (frame, make_machines(), make_factories(), make_carbon(), make_sources())
    total = kpis.carbon(*args, None, start="2025-12-31", end="2026-01-02")
    assert total["carbon_kg"].iloc[0] == pytest.approx(1.46) and total["period"].iloc[0] == "2025-12-31/2026-01-02"
    daily = kpis.carbon(*args, "day")
    assert daily["carbon_kg"].tolist() == [pytest.approx(0.76), pytest.approx(0.70)]

    # A region without factors falls back to 'default' (0.45): 2 kWh x 0.45 = 0.90 kg in each month.
    mars = kpis.carbon(frame, make_machines(), make_factories("Mars"), make_carbon(), make_sources(), "month")
    assert mars["carbon_kg"].tolist() == [pytest.approx(0.90), pytest.approx(0.90)]  # December, January
    assert kpis.carbon_region(make_factories("Mars"), "f2") == "Mars"

    overlapping = pd.concat([make_carbon(), make_carbon().iloc[[2]].assign(carbon_factor_id="dup")])
    with pytest.raises(ValueError, match="European Production Facility.*overlap on 2026-01-01"):
        kpis.carbon(frame, make_machines(), make_factories(), overlapping, make_sources())


# ------------------------------------------------------------------------------------------------------- EnPI
def test_regression_enpi_improvement_and_cusum_in_kwh() -> None:
    grid = buckets("2026-06-02 00:00", 3)
    actual = energy("m1", "electricity", grid, [10.0, 12.0, 8.0])
    # The model predicted the first two hours only (the third was outside normal operation).
    expected = pd.DataFrame({"bucket": grid[:2], "machine_id": "m1", "energy_type": "electricity",
                             "expected_kwh": [12.0, 13.0]})
    enpi = one(kpis.regression_enpi(actual, expected, make_machines(), "day"), machine_id="m1")
    # actual 22, expected 25: EnPI 0.88, avoided 3 kWh, improvement 3 / 25 = 12 %
    assert (enpi["actual_kwh"], enpi["expected_kwh"], enpi["buckets"]) == (22.0, 25.0, 2)
    assert enpi["enpi"] == pytest.approx(0.88)
    assert enpi["avoided_kwh"] == pytest.approx(3.0) and enpi["improvement_pct"] == pytest.approx(12.0)

    curve = kpis.cusum(actual, expected, make_machines())
    # running sum of (expected - actual): 2, then 2 + 1 = 3 kWh
    assert curve["avoided_kwh"].tolist() == [2.0, 1.0] and curve["cusum_kwh"].tolist() == [2.0, 3.0]
    assert curve["local_time"].tolist() == [pd.Timestamp("2026-06-02 00:00"), pd.Timestamp("2026-06-02 01:00")]


def test_cusum_per_day_and_ratio_enpi_against_a_baseline_sec() -> None:
    grid = buckets("2026-06-01 00:00", 48)
    actual = energy("m1", "electricity", grid, 10.0)
    expected = pd.DataFrame({"bucket": grid, "machine_id": "m1", "energy_type": "electricity",
                             "expected_kwh": np.r_[np.full(24, 11.0), np.full(24, 9.0)]})
    days = kpis.cusum(actual, expected, make_machines(), "day")
    # day 1: 24 x (11 - 10) = 24 kWh saved; day 2: 24 x (9 - 10) = -24; CUSUM 24 then 0
    assert days["avoided_kwh"].tolist() == [24.0, -24.0] and days["cusum_kwh"].tolist() == [24.0, 0.0]

    prod = production("m1", grid, 100.0)  # 10 kWh / 100 units = 0.1 kWh/unit in the reporting period
    base_grid = buckets("2025-06-01 00:00", 24)
    baseline = kpis.sec(energy("m1", "electricity", base_grid, 20.0), production("m1", base_grid, 100.0),
                        make_machines(), None, start="2025-06-01", end="2025-06-02")  # 0.2 kWh/unit
    ratio = one(kpis.ratio_enpi(kpis.sec(actual, prod, make_machines(), "month"), baseline), machine_id="m1")
    # EnPI 0.1 / 0.2 = 0.5; expected at baseline SEC 0.2 x 4800 units = 960 kWh vs 480: 480 kWh avoided, 50 %
    assert ratio["enpi_ratio"] == pytest.approx(0.5)
    assert ratio["ratio_expected_kwh"] == pytest.approx(960.0)
    assert ratio["ratio_avoided_kwh"] == pytest.approx(480.0) and ratio["ratio_improvement_pct"] == pytest.approx(50)


# -------------------------------------------------------------------------------------------------- KPI table
def june_frames() -> dict[str, pd.DataFrame]:
    """June 2026 (PDT all month, 720 h): 22 weekdays (Mon 1st .. Tue 30th) -> 264 Peak hours, 456 Off-Peak."""
    hourly_grid = buckets("2026-06-01 00:00", 720)
    quarter_grid = buckets("2026-06-01 00:00", 720 * 4, freq="15min")
    local = hourly_grid.tz_convert(LA)
    peak_hour = (local.day_of_week < 5) & (local.hour >= 9) & (local.hour < 21)
    assert peak_hour.sum() == 264
    hourly = pd.concat([energy("m1", "electricity", hourly_grid, 10.0), energy("m2", "electricity", hourly_grid, 5.0),
                        energy("m2", "natural_gas", hourly_grid, 10.55), energy("m2", "steam", hourly_grid, 22.6)],
                       ignore_index=True)
    quarter = pd.concat([energy("m1", "electricity", quarter_grid, 2.5),
                         energy("m2", "electricity", quarter_grid, 1.25),
                         energy("m2", "natural_gas", quarter_grid, 10.55 / 4)], ignore_index=True)
    prod = production("m1", hourly_grid, np.where(peak_hour, 50.0, 0.0))  # 264 h x 50 = 13 200 units
    return {"machines": make_machines(), "factories": make_factories(), "energy_hourly": hourly,
            "energy_15min": quarter, "production_hourly": prod, "tariffs": make_tariffs(),
            "carbon_factors": make_carbon(), "energy_sources": make_sources()}


def test_kpi_table_for_a_factory_month() -> None:
    frames = june_frames()
    grid = buckets("2026-06-01 00:00", 720)
    expected = pd.DataFrame({"bucket": grid, "machine_id": "m1", "energy_type": "electricity", "expected_kwh": 11.0})
    baseline = pd.DataFrame({"machine_id": ["m1"], "energy_type": ["electricity"], "sec_kwh_per_unit": [0.25]})
    table = kpis.kpi_table(frames, LA_NAME, "2026-06-01", "2026-07-01", expected=expected, baseline_sec=baseline)
    assert len(table) == 4 and set(table["period"]) == {"2026-06"} and set(table["hours"]) == {720.0}

    m1 = one(table, machine_id="m1")
    assert m1["energy_kwh"] == 7200.0  # 720 h x 10 kWh
    assert m1["production_units"] == 13200.0
    assert m1["sec_kwh_per_unit"] == pytest.approx(0.2)  # 264 h x 10 kWh / 13 200 units
    assert m1["peak_kw"] == pytest.approx(10.0) and m1["load_factor"] == pytest.approx(1.0)  # 7200 / (10 x 720)
    assert m1["peak_start_local"] == pd.Timestamp("2026-06-01 00:00")  # flat load: the earliest interval
    # energy: 264 h x 10 x 0.25 + 456 h x 10 x 0.10 = 660 + 456 = 1116; factory peak 15 kW at 00:00 June 1st, of
    # which m1 10 kW x 18.50 = 185 -> 1301 USD
    assert m1["energy_cost"] == pytest.approx(1116.0)
    assert m1["coincident_peak_kw"] == pytest.approx(10.0) and m1["demand_charge"] == pytest.approx(185.0)
    assert m1["total_cost"] == pytest.approx(1301.0) and m1["currency"] == "USD"
    assert m1["carbon_kg"] == pytest.approx(1584.0)  # 7200 x 0.22
    assert m1["carbon_kg_per_unit"] == pytest.approx(0.12)  # 1584 / 13 200
    assert m1["enpi_ratio"] == pytest.approx(0.8) and m1["ratio_improvement_pct"] == pytest.approx(20.0)
    assert m1["expected_kwh"] == pytest.approx(7920.0) and m1["avoided_kwh"] == pytest.approx(720.0)
    assert m1["enpi"] == pytest.approx(7200 / 7920) and m1["improvement_pct"] == pytest.approx(100 * 720 / 7920)

    boiler = table[table["machine_id"] == "m2"].set_index("energy_type")
    # electricity 264 x 5 x 0.25 + 456 x 5 x 0.10 = 330 + 228 = 558; 5 kW x 18.50 = 92.50 -> 650.50
    assert boiler.loc["electricity", "total_cost"] == pytest.approx(650.5)
    assert boiler.loc["natural_gas", "energy_native"] == pytest.approx(720.0)  # m³
    assert boiler.loc["natural_gas", "energy_cost"] == pytest.approx(324.0)  # 720 m³ x 0.45
    assert boiler.loc["natural_gas", "carbon_kg"] == pytest.approx(1368.0)  # 720 m³ x 1.90
    assert np.isnan(boiler.loc["natural_gas", "demand_charge"]) and np.isnan(boiler.loc["natural_gas", "peak_kw"])
    assert boiler.loc["steam", "energy_native"] == pytest.approx(7200.0)  # kg
    assert boiler.loc["steam", "total_cost"] == 0.0 and boiler.loc["steam", "carbon_kg"] == 0.0
    assert table["demand_charge"].sum() == pytest.approx(15.0 * 18.50)  # the machines' shares add up

    factory = kpis.kpi_table(frames, "f1", "2026-06-01", "2026-07-01", level="factory").set_index("energy_type")
    elec = factory.loc["electricity"]
    assert elec["energy_kwh"] == 10800.0 and elec["peak_kw"] == pytest.approx(15.0)
    assert elec["load_factor"] == pytest.approx(1.0)  # 10 800 / (15 x 720)
    assert elec["demand_charge"] == pytest.approx(277.5) and elec["total_cost"] == pytest.approx(1674.0 + 277.5)
    assert factory.loc["natural_gas", "total_cost"] == pytest.approx(324.0)
    assert "sec_kwh_per_unit" not in factory.columns  # units differ between machines: no factory SEC

    daily = kpis.kpi_table(frames, LA_NAME, "2026-06-01", "2026-07-01", freq="day")
    assert daily["period"].nunique() == 30 and daily["demand_charge"].isna().all()  # no whole billing month
    assert daily.loc[daily["machine_id"] == "m1", "energy_cost"].sum() == pytest.approx(1116.0)

    with pytest.raises(ValueError, match="unknown factory"):
        kpis.kpi_table(frames, "Nowhere", "2026-06-01", "2026-07-01")


def test_kpi_table_of_a_factory_month_is_fast() -> None:
    # Six machines (the boiler with three energy types) over a 31-day month with a DST change: 8 hourly and
    # 8 x 4 15-minute series.
    rng = np.random.default_rng(0)
    names = ["Compressor-1", "HVAC-Main", "Conveyor-A", "Hydraulic-Pump-1", "Injection-Molding-1", "Boiler-1"]
    machines = pd.DataFrame({"machine_id": [f"x{i}" for i in range(6)], "machine_name": names, "factory_id": "f1",
                             "factory_name": LA_NAME, "timezone": LA, "machine_type": "other",
                             "rated_power_kw": 50.0, "data_interval_seconds": 60})
    hourly_grid = buckets("2026-10-20 00:00", 24 * 31)
    quarter_grid = buckets("2026-10-20 00:00", 24 * 31 * 4, freq="15min")
    series = [(m, "electricity") for m in machines["machine_id"]] + [("x5", "natural_gas"), ("x5", "steam")]
    hourly = pd.concat([energy(m, t, hourly_grid, rng.uniform(5, 50, len(hourly_grid))) for m, t in series],
                       ignore_index=True)
    quarter = pd.concat([energy(m, t, quarter_grid, rng.uniform(1, 12, len(quarter_grid))) for m, t in series],
                        ignore_index=True)
    prod = pd.concat([production(m, hourly_grid, rng.integers(0, 100, len(hourly_grid))) for m in
                      machines["machine_id"]], ignore_index=True)
    expected = hourly.rename(columns={"total_energy_kwh": "expected_kwh"})[
        ["bucket", "machine_id", "energy_type", "expected_kwh"]]
    frames = {"machines": machines, "factories": make_factories(), "energy_hourly": hourly, "energy_15min": quarter,
              "production_hourly": prod, "tariffs": make_tariffs(), "carbon_factors": make_carbon(),
              "energy_sources": make_sources()}
    kpis.kpi_table(frames, LA_NAME, "2026-10-01", "2026-12-01", freq="month")  # warm-up
    began = time.perf_counter()
    table = kpis.kpi_table(frames, LA_NAME, "2026-11-01", "2026-12-01", expected=expected)
    elapsed = time.perf_counter() - began
    assert len(table) == 8 and set(table["hours"]) == {721.0}  # November 2026 holds the fall-back day
    assert elapsed < 1.0, f"kpi_table took {elapsed:.2f} s for a factory-month"
