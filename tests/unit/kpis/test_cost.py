"""Time-of-use tariffs in local time and demand charges of enms.kpis; every number worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from unit.kpis.plant import (
    ALL_DAYS,
    WEEKDAYS,
    buckets,
    demand_frame,
    energy,
    make_factories,
    make_machines,
    make_sources,
    make_tariffs,
    one,
    tariff,
)
from unit.kpis.test_tables import june_frames

from enms import kpis


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


def test_a_missing_demand_charge_is_zero_and_the_month_costs_its_energy() -> None:
    # The EnMS's own tariffs leave demand_charge_per_kw NULL: the tariff has no demand charge, not an error.
    frames = june_frames()
    frames["tariffs"] = frames["tariffs"].assign(demand_charge_per_kw=None)
    assert not kpis.has_demand_charge(frames["tariffs"])
    assert kpis.has_demand_charge(make_tariffs())
    charges = kpis.demand_charges(frames["energy_15min"], make_machines(), frames["tariffs"], make_factories())
    june = one(charges, period="2026-06")
    assert june["peak_kw"] == pytest.approx(15.0) and june["demand_charge"] == 0.0
    table = kpis.kpi_table(frames, "f1", "2026-06-01", "2026-07-01", level="factory").set_index("energy_type")
    # electricity 264 h x 15 kWh x 0.25 + 456 h x 15 kWh x 0.10 = 990 + 684 = 1674 USD, and nothing more
    elec = table.loc["electricity"]
    assert elec["demand_charge"] == 0.0
    assert elec["total_cost"] == elec["energy_cost"] == pytest.approx(1674.0)
