"""The KPI table of one factory over a local month (enms.kpis.kpi_table); worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from unit.kpis.plant import LA, LA_NAME, buckets, energy, kpi_frames, make_machines, one, production

from enms import kpis


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
    return kpi_frames(make_machines(), hourly, quarter, prod)


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


def test_kpi_table_of_a_plant_month_holds_the_fall_back_hour() -> None:
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
    frames = kpi_frames(machines, hourly, quarter, prod)
    table = kpis.kpi_table(frames, LA_NAME, "2026-11-01", "2026-12-01", expected=expected)
    assert len(table) == 8 and set(table["hours"]) == {721.0}  # November 2026 holds the fall-back day


def test_imported_hourly_meters_without_tariff_or_carbon_factor_get_energy_and_unknown_money() -> None:
    """An hourly meter has no 15-minute demand and a factory without tariff or carbon factor no cost or CO₂: NaN,
    where a demo-plant gap is an error; the energy is counted as always."""
    frames = june_frames()
    hourly = frames["energy_hourly"].assign(total_readings=1)
    frames.update(machines=frames["machines"].assign(data_interval_seconds=3600), energy_hourly=hourly,
                  energy_15min=hourly, tariffs=frames["tariffs"].iloc[:0],
                  carbon_factors=frames["carbon_factors"].iloc[:0])
    table = kpis.kpi_table(frames, LA_NAME, "2026-06-01", "2026-07-01")
    m1 = one(table, machine_id="m1")
    assert m1["energy_kwh"] == 7200.0
    assert np.isnan(m1["peak_kw"]) and np.isnan(m1["energy_cost"]) and np.isnan(m1["carbon_kg"])
    with pytest.raises(ValueError, match="15-minute"):  # asked for explicitly, hourly demand is still refused
        kpis.peak_demand(hourly, frames["machines"])
