"""Imports into a warehouse (DuckDB, and PostgreSQL where one answers): what is created, idempotent re-imports,
nothing written from a bad file, and how weather, production and modes share the EnMS's rows."""

from __future__ import annotations

import pandas as pd
import pytest

from enms.cli import main
from enms.frames import parse_metadata
from enms.io import connect
from enms.io.imports import ImportProblems, Layout, open_target
from enms.io.imports.build import machine_id

METERS = """timestamp,meter,value
            2025-03-01 10:00,press,1.0
            2025-03-01 10:15,press,2.5
            2025-03-01 10:30,press,1.5
            2025-03-01 10:00,oven,10
            2025-03-01 11:00,oven,12
            2025-03-01 12:00,oven,11"""


def counts(url: str) -> dict[str, int]:
    with open_target(url, "meters") as warehouse:
        return {name: int(warehouse.query(f"SELECT count(*) AS n FROM {name}").at[0, "n"]) for name in
                ("factories", "machines", "energy_sources", "energy_readings", "production_data",
                 "environmental_data")}


def test_meters_create_the_factory_machines_and_readings(url, write, do_import, table):
    outcome = do_import(url, "meters", write(METERS), unit="kWh", location="Fresno, CA")
    assert outcome.lines == [
        "factories: 'Site' created (America/Los_Angeles)",
        "machines: 2 created, 0 updated, 0 as they were",
        "energy_sources: 'electricity' added (unit kWh, no cost or carbon factor)",
        "energy_readings: 6 rows written (0 replaced) for 2 meters (electricity, kWh), "
        "[2025-03-01 18:00, 2025-03-01 21:00) UTC, every 15 min (1 meter), 1 h (1 meter)",
    ]
    machines = table(url, "machines", "name").set_index("name")
    assert str(machines.loc["press", "id"]) == machine_id("Site", "press")
    # Peak power: 2.5 kWh in a quarter hour = 10 kW; the oven's 12 kWh in an hour = 12 kW.
    assert machines["rated_power_kw"].astype(float).to_dict() == {"oven": 12.0, "press": 10.0}
    assert machines["data_interval_seconds"].to_dict() == {"oven": 3600, "press": 900}
    assert machines["type"].astype(str).tolist() == ["other", "other"]
    assert parse_metadata(machines.loc["press", "metadata"]) == {
        "energy_types": ["electricity"], "source": "import", "rated_power_basis": "peak of imported data"}
    readings = table(url, "energy_readings", "machine_id, time")
    press = readings[readings["machine_id"].astype(str) == machine_id("Site", "press")]
    assert press["energy_kwh"].astype(float).tolist() == [1.0, 2.5, 1.5]
    assert press["power_kw"].astype(float).tolist() == [4.0, 10.0, 6.0]
    assert set(readings["source"]) == {"import"} and set(readings["energy_type"]) == {"electricity"}
    factory = table(url, "factories", "name")
    assert factory[["name", "timezone", "location"]].values.tolist() == [["Site", "America/Los_Angeles", "Fresno, CA"]]


def test_a_re_import_of_the_same_file_changes_nothing(url, write, do_import, table):
    path = write(METERS)
    do_import(url, "meters", path, unit="kWh")
    before = {name: table(url, name, order) for name, order in
              (("energy_readings", "machine_id, time"), ("machines", "name"), ("factories", "name"))}
    outcome = do_import(url, "meters", path, unit="kWh")
    assert outcome.lines[1:2] == ["machines: 0 created, 0 updated, 2 as they were"]
    assert "6 rows written (6 replaced)" in outcome.lines[-1]
    for name, frame in before.items():
        pd.testing.assert_frame_equal(table(url, name, "machine_id, time" if name == "energy_readings" else "name"),
                                      frame)


def test_a_bad_file_leaves_the_warehouse_unchanged(url, write, do_import, table):
    do_import(url, "meters", write(METERS), unit="kWh")
    before, readings = counts(url), table(url, "energy_readings")
    # Good rows for a new meter and new times of the old ones, and one bad timestamp: none of it is written.
    bad = write("""timestamp,meter,value
                   2025-03-01 10:45,press,3
                   2025-03-01 11:00,press,3
                   2025-03-01 10:00,mixer,1
                   2025-03-01 10:15,mixer,1
                   2025-03-01 1O:30,mixer,1""", "bad.csv")
    with pytest.raises(ImportProblems, match="line 6: unparseable timestamp '2025-03-01 1O:30'"):
        do_import(url, "meters", bad, unit="kWh")
    assert counts(url) == before
    pd.testing.assert_frame_equal(table(url, "energy_readings"), readings)


def test_a_wide_file_and_a_long_file_write_the_same_rows(tmp_path, write, do_import, table):
    wide = write("""timestamp,press,oven
                    2025-03-01 10:00,1,10
                    2025-03-01 10:15,2,11""", "wide.csv")
    long = write("""timestamp,meter,value
                    2025-03-01 10:15,oven,11
                    2025-03-01 10:15,press,2
                    2025-03-01 10:00,oven,10
                    2025-03-01 10:00,press,1""", "long.csv")
    a, b = f"duckdb:{tmp_path / 'a.duckdb'}", f"duckdb:{tmp_path / 'b.duckdb'}"
    do_import(a, "meters", wide, unit="kWh", layout=Layout(wide=True))
    do_import(b, "meters", long, unit="kWh")
    for name, order in (("energy_readings", "machine_id, time"), ("machines", "name")):
        left, right = table(a, name, order), table(b, name, order)
        drop = [c for c in ("created_at", "updated_at") if c in left.columns]
        pd.testing.assert_frame_equal(left.drop(columns=drop), right.drop(columns=drop))
    assert len(table(a, "energy_readings")) == 4


def test_a_later_file_replaces_its_span_and_raises_the_rating(url, write, do_import, table):
    do_import(url, "meters", write(METERS), unit="kWh")
    # An hourly re-reading of the press over 10:00-11:00 replaces its three quarter hours; the peak rises to 20 kW.
    later = write("""timestamp,value
                     2025-03-01 10:00,20
                     2025-03-01 11:00,5""", "press.csv")
    outcome = do_import(url, "meters", later, unit="kWh", layout=Layout(meter="press"))
    assert outcome.lines[1] == "machines: 0 created, 1 updated, 0 as they were"
    assert "2 rows written (3 replaced)" in outcome.lines[-1]
    machines = table(url, "machines", "name").set_index("name")
    assert float(machines.loc["press", "rated_power_kw"]) == 20.0
    assert int(machines.loc["press", "data_interval_seconds"]) == 3600
    press = table(url, "energy_readings")
    press = press[press["machine_id"].astype(str) == machine_id("Site", "press")]
    assert press["energy_kwh"].astype(float).tolist() == [20.0, 5.0]


def test_weather_goes_to_every_machine_production_and_modes_share_rows(url, write, do_import, table):
    do_import(url, "meters", write(METERS), unit="kWh")
    weather = write("""timestamp,temperature
                       2025-03-01 10:00,50
                       2025-03-01 11:00,59""", "weather.csv")
    assert do_import(url, "weather", weather, unit="F").lines == [
        "environmental_data: 4 rows written (4 new, 0 updated) of outdoor temperature for the factory's 2 machines, "
        "[2025-03-01 18:00, 2025-03-01 20:00) UTC, every 1 h"]
    temps = table(url, "environmental_data")
    assert temps.groupby(temps["machine_id"].astype(str))["outdoor_temp_c"].apply(
        lambda s: [float(v) for v in s]).to_dict() == {machine_id("Site", "press"): [10.0, 15.0],
                                                       machine_id("Site", "oven"): [10.0, 15.0]}
    production = write("""timestamp,count
                           2025-03-01 10:00,7
                           2025-03-01 10:15,8""", "press.csv")
    modes = write("""timestamp,mode
                     2025-03-01 10:15,idle
                     2025-03-01 10:30,running
                     2025-03-01 10:45,running""", "press-modes.csv")
    do_import(url, "production", production, layout=Layout(meter="press"))
    outcome = do_import(url, "modes", modes, layout=Layout(meter="press"))
    assert outcome.lines[0].startswith("production_data: 3 rows of operating_mode written (2 new, 1 updated)")
    rows = table(url, "production_data", "time")
    assert rows["production_count"].tolist()[:2] == [7, 8] and pd.isna(rows["production_count"].iloc[2])
    assert [None if pd.isna(m) else str(m) for m in rows["operating_mode"]] == [None, "idle", "running", "running"]
    # Columns nobody imported stay NULL, not the schema's zero defaults.
    assert rows["production_count_good"].isna().all() and rows["downtime_seconds"].isna().all()
    again = do_import(url, "modes", modes, layout=Layout(meter="press"))
    assert again.lines[0].startswith("production_data: 3 rows of operating_mode written (0 new, 3 updated)")
    pd.testing.assert_frame_equal(table(url, "production_data", "time"), rows)


def test_production_names_a_machine_of_the_factory(url, write, do_import):
    do_import(url, "meters", write(METERS), unit="kWh")
    counts_file = write("""timestamp,meter,count
                           2025-03-01 10:00,lathe,1
                           2025-03-01 10:15,lathe,2""", "counts.csv")
    with pytest.raises(ValueError, match="'lathe' is no machine of 'Site' \\(its machines: oven, press\\)"):
        do_import(url, "production", counts_file)


def test_weather_before_meters_is_an_error_that_creates_nothing(tmp_path, write, do_import):
    weather = write("""timestamp,value
                       2025-03-01 10:00,5
                       2025-03-01 11:00,6""")
    with pytest.raises(ValueError, match="no warehouse at .*mine.duckdb: import the meters first"):
        do_import(f"duckdb:{tmp_path / 'mine.duckdb'}", "weather", weather, unit="C")
    assert not (tmp_path / "mine.duckdb").exists()


def test_a_meter_named_like_an_enms_machine_attaches_to_it_untouched(warehouse, write, do_import, table):
    """The tiny plant stands in for an EnMS: its Press (rated 20 kW, 60 s) keeps its id, type and rating."""
    warehouse.close()
    url = warehouse.url
    path = write("""timestamp,value
                    2026-03-02 00:00,30
                    2026-03-02 00:15,30""", "press.csv")
    outcome = do_import(url, "meters", path, unit="kWh", factory="Tiny Works", layout=Layout(meter="Press"))
    assert outcome.lines[:2] == ["factories: 'Tiny Works' found (America/Los_Angeles)",
                                 "machines: 0 created, 0 updated, 1 as they were"]
    assert outcome.warnings == ["meters 'Press' matched machines the import did not create: their type, rating and "
                                "interval were left as they are"]
    with connect(url) as opened:
        press = opened.read_machines().set_index("machine_name").loc["Press"]
        assert (press["machine_type"], press["rated_power_kw"], press["data_interval_seconds"]) == (
            "injection_molding", 20.0, 60)
        readings = opened.query("SELECT count(*) AS n FROM energy_readings WHERE machine_id = CAST(? AS UUID) "
                                "AND time >= TIMESTAMPTZ '2026-03-02 08:00+00'", [press["machine_id"]])
        assert readings.at[0, "n"] == 2


def test_the_command_prints_a_line_per_table_and_each_problem(tmp_path, write, capsys):
    url = f"duckdb:{tmp_path / 'data' / 'mine.duckdb'}"
    good = write("""timestamp,value
                    2025-03-01 10:00,400
                    2025-03-01 10:15,800""", "compressor.csv")
    assert main(["import", "meters", str(good), "--factory", "Site", "--tz", "Europe/Berlin", "--unit", "W",
                 "--warehouse", url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == ("energy_readings: 2 rows written (0 replaced) for 1 meter (electricity, W), "
                       "[2025-03-01 09:00, 2025-03-01 09:30) UTC, every 15 min")
    bad = write("""timestamp,value
                   2025-03-01 10:00,1
                   2025-03-01 10:15,-1
                   2025-03-01 10:30,x""", "bad.csv")
    assert main(["import", "meters", str(bad), "--factory", "Site", "--tz", "Europe/Berlin", "--unit", "kWh",
                 "--warehouse", url]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["line 3: negative energy -1 kWh", "line 4: unparseable value 'x'",
                   "enms import: error: bad.csv: 2 problems, nothing written; first: line 3: negative energy -1 kWh"]


def test_gas_in_cubic_metres_keeps_its_native_amount_and_not_the_rating(url, write, do_import, table):
    electricity = write("""timestamp,value
                           2025-03-01 10:00,2
                           2025-03-01 11:00,1.5""", "boiler.csv")
    gas = write("""timestamp,value
                   2025-03-01 10:00,2
                   2025-03-01 11:00,0.5""", "boiler-gas.csv")
    do_import(url, "meters", electricity, unit="kWh", machine_type="boiler", layout=Layout(meter="boiler"))
    outcome = do_import(url, "meters", gas, unit="m3", energy_type="natural_gas", layout=Layout(meter="boiler"))
    assert outcome.lines[1:3] == ["machines: 0 created, 1 updated, 0 as they were",
                                  "energy_sources: 'natural_gas' added (unit m³, no cost or carbon factor)"]
    readings = table(url, "energy_readings", "energy_type, time")
    gas_rows = readings[readings["energy_type"] == "natural_gas"]
    assert gas_rows["energy_kwh"].astype(float).tolist() == pytest.approx([21.1, 5.275])
    assert [parse_metadata(m) for m in gas_rows["metadata"]] == [{"native_amount": 2.0, "native_unit": "m3"},
                                                                 {"native_amount": 0.5, "native_unit": "m3"}]
    assert len(readings) == 4
    boiler = table(url, "machines", "name").iloc[0]
    # The rating stays the electric peak (2 kW), not the gas's 21.1 kW equivalent; both energy types are listed.
    assert (str(boiler["type"]), float(boiler["rated_power_kw"])) == ("boiler", 2.0)
    assert parse_metadata(boiler["metadata"])["energy_types"] == ["electricity", "natural_gas"]


def test_the_default_warehouse_is_data_mine_duckdb_in_the_repository(tmp_path, write, monkeypatch, capsys):
    monkeypatch.setattr("enms.environments.ROOT", tmp_path)
    path = write("""timestamp,value
                    2025-03-01 10:00,1
                    2025-03-01 10:15,1""")
    assert main(["import", "meters", str(path), "--factory", "Site", "--tz", "UTC", "--unit", "kWh"]) == 0
    assert (tmp_path / "data" / "mine.duckdb").exists()
    assert capsys.readouterr().out.splitlines()[0] == "factories: 'Site' created (UTC)"
