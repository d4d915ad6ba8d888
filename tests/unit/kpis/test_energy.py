"""Energy per type and SEC of enms.kpis: gas and steam never summed with electricity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from unit.kpis.plant import (
    buckets,
    energy,
    make_carbon,
    make_factories,
    make_machines,
    make_sources,
    make_tariffs,
    one,
    production,
)

from enms import kpis


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
