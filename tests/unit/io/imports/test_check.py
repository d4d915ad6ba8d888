"""A file's checks before the warehouse is opened: each rule with a small file, its exact row-level message."""

from __future__ import annotations

import pandas as pd
import pytest

from enms.io.imports import ImportProblems, Layout, check

TZ = "America/Los_Angeles"


@pytest.fixture
def problems_of(request_for):
    """``problems_of(path, kind, **options)``: the ImportProblems the file's check raises."""

    def _problems_of(path, kind="meters", **options) -> ImportProblems:
        with pytest.raises(ImportProblems) as raised:
            check(request_for(kind, path, **options))
        return raised.value

    return _problems_of


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_an_unparseable_timestamp_names_its_line(write, problems_of):
    path = write("""timestamp,value
                    2025-03-01 10:00,1
                    yesterday,2
                    2025-03-01 10:30,3""")
    error = problems_of(path, unit="kWh")
    assert error.lines == ["line 3: unparseable timestamp 'yesterday'"]
    assert str(error) == "site.csv: 1 problem, nothing written; first: line 3: unparseable timestamp 'yesterday'"


def test_a_duplicate_with_another_value_is_an_error_an_identical_one_is_dropped(write, problems_of, request_for):
    path = write("""timestamp,value
                    2025-03-01 10:00,2
                    2025-03-01 10:00,5
                    2025-03-01 10:15,1
                    2025-03-01 10:15,1
                    2025-03-01 10:30,1""")
    assert problems_of(path, unit="kWh").lines == [
        "line 3: duplicate timestamp 2025-03-01 10:00 with a different value (5 here, 2 at line 2)"]
    fixed = write(path.read_text().replace(",5\n", ",2\n"), "fixed.csv")
    checked = check(request_for("meters", fixed, unit="kWh"))
    assert len(checked.readings) == 3
    assert checked.notes.lines == ["2 identical duplicate readings dropped (first at line 3)"]


def test_negative_energy_and_power_are_errors_in_the_file_unit(write, problems_of):
    path = write("""timestamp,value
                    2025-03-01 10:00,1
                    2025-03-01 10:15,-3.2
                    2025-03-01 10:30,1""")
    assert problems_of(path, unit="kWh").lines == ["line 3: negative energy -3.2 kWh"]
    assert problems_of(path, unit="W").lines == ["line 3: negative power -3.2 W"]


def test_mixed_intervals_name_the_line_where_the_step_changes(write, problems_of):
    rows = [f"2025-03-01 {h:02d}:{m:02d},1" for h in (10, 11) for m in (0, 15, 30, 45)]
    rows += ["2025-03-01 12:00,1", "2025-03-01 12:05,1", "2025-03-01 12:10,1"]
    path = write("timestamp,value\n" + "\n".join(rows))
    assert problems_of(path, unit="kWh").lines == [
        "line 11: meter 'site': the step changes from 15 min to 5 min (mixed intervals)"]


def test_a_run_of_longer_steps_is_a_change_of_resolution_a_single_one_a_gap(write, problems_of, request_for):
    five = [f"2025-03-01 10:{m:02d},1" for m in range(0, 60, 5)]
    quarters = ["2025-03-01 11:55,1", "2025-03-01 12:10,1", "2025-03-01 12:25,1", "2025-03-01 12:40,1"]
    assert problems_of(write("timestamp,value\n" + "\n".join(five + quarters)), unit="kWh").lines == [
        "line 15: meter 'site': the step changes from 5 min to 15 min (mixed intervals)"]
    gap = check(request_for("meters", write("timestamp,value\n" + "\n".join(five + quarters[:2]), "gap.csv"),
                            unit="kWh"))
    assert gap.readings["interval_s"].unique().tolist() == [300]
    assert gap.notes.lines == ["2 gaps in the readings (13 intervals without a reading)"]


def test_resolutions_outside_1_to_60_minutes_and_a_single_reading_are_errors(write, problems_of):
    daily = write("""timestamp,meter,value
                     2025-03-01,a,1
                     2025-03-02,a,1
                     2025-03-03,a,1
                     2025-03-01,b,1""")
    assert problems_of(daily, unit="kWh").lines == [
        "line 3: meter 'a': readings every 24 h; an import takes 1 to 60 whole minutes",
        "line 5: meter 'b' has one reading: its interval cannot be detected"]


def test_a_spring_forward_time_that_does_not_exist_is_an_error(write, problems_of):
    path = write("""timestamp,value
                    2025-03-09 01:30,1
                    2025-03-09 01:45,1
                    2025-03-09 02:00,1
                    2025-03-09 03:00,1
                    2025-03-09 03:15,1""")
    assert problems_of(path, unit="kWh").lines == [
        f"line 4: local time 2025-03-09 02:00 does not exist in {TZ} (clocks spring forward over it)"]


def test_the_repeated_fall_back_hour_is_daylight_time_first_standard_time_second(write, request_for):
    path = write("""timestamp,value
                    2025-11-02 00:30,1
                    2025-11-02 01:00,2
                    2025-11-02 01:30,3
                    2025-11-02 01:00,4
                    2025-11-02 01:30,5
                    2025-11-02 02:00,6""")
    checked = check(request_for("meters", path, unit="kWh"))
    # PDT is UTC-7, PST UTC-8: six half hours in a row, none lost, none doubled.
    assert checked.readings["time"].tolist() == [utc(f"2025-11-02 {t}") for t in
                                                 ("07:30", "08:00", "08:30", "09:00", "09:30", "10:00")]
    assert checked.readings["value"].tolist() == [1, 2, 3, 4, 5, 6]
    assert checked.notes.lines == [
        f"4 readings at fall-back local times in {TZ} (first at line 3): the first occurrence of each read as "
        "daylight time, the 2 repeats as standard time"]


def test_timestamps_with_an_offset_are_converted_as_written(write, request_for):
    path = write("""timestamp,value
                    2025-03-01T10:00:00+01:00,1
                    2025-03-01T10:15:00+01:00,1
                    2025-03-01T09:30:00Z,1
                    2025-03-01 09:45 UTC,1""")
    checked = check(request_for("meters", path, unit="kWh"))
    assert checked.readings["time"].tolist() == [utc("2025-03-01 09:00"), utc("2025-03-01 09:15"),
                                                 utc("2025-03-01 09:30"), utc("2025-03-01 09:45")]
    assert checked.notes.lines == []


def test_label_end_shifts_each_value_to_its_interval_start(write, request_for):
    path = write("""timestamp,value
                    2025-03-01 10:15,1
                    2025-03-01 10:30,2
                    2025-03-01 10:45,3""")
    start = check(request_for("meters", path, unit="kWh", tz="UTC"))
    end = check(request_for("meters", path, unit="kWh", tz="UTC", label="end"))
    assert start.readings["time"].tolist() == [
        utc("2025-03-01 10:15"), utc("2025-03-01 10:30"), utc("2025-03-01 10:45")]
    assert end.readings["time"].tolist() == [utc("2025-03-01 10:00"), utc("2025-03-01 10:15"),
                                             utc("2025-03-01 10:30")]
    assert end.readings["value"].tolist() == [1, 2, 3]


def test_power_in_watts_and_energy_in_kwh_give_the_same_readings(write, request_for):
    watts = write("""timestamp,value
                     2025-03-01 10:00,4000
                     2025-03-01 10:15,8000""", "watts.csv")
    kwh = write("""timestamp,value
                   2025-03-01 10:00,1
                   2025-03-01 10:15,2""", "kwh.csv")
    a = check(request_for("meters", watts, unit="W", layout=Layout(meter="m"))).readings
    b = check(request_for("meters", kwh, unit="kWh", layout=Layout(meter="m"))).readings
    # 4 kW for a quarter hour is 1 kWh; either way power_kw = energy / interval.
    assert a["energy_kwh"].tolist() == pytest.approx([1.0, 2.0])
    assert a["power_kw"].tolist() == pytest.approx([4.0, 8.0])
    pd.testing.assert_frame_equal(a.drop(columns=["value", "line"]), b.drop(columns=["value", "line"]))


def test_a_wide_file_and_a_long_file_give_the_same_readings(write, request_for):
    wide = write("""timestamp,boiler,press
                    2025-03-01 10:00,1,10
                    2025-03-01 10:15,2,
                    2025-03-01 10:30,3,30""", "wide.csv")
    long = write("""timestamp,meter,value
                    2025-03-01 10:30,press,30
                    2025-03-01 10:00,boiler,1
                    2025-03-01 10:15,boiler,2
                    2025-03-01 10:30,boiler,3
                    2025-03-01 10:15,press,
                    2025-03-01 10:00,press,10""", "long.csv")
    a = check(request_for("meters", wide, unit="kWh", layout=Layout(wide=True)))
    b = check(request_for("meters", long, unit="kWh"))
    assert a.notes.lines == ["1 empty values skipped (first at line 3)"]
    assert b.notes.lines == ["1 empty values skipped (first at line 6)"]
    columns = ["meter", "time", "energy_kwh", "power_kw", "interval_s"]
    pd.testing.assert_frame_equal(a.readings[columns], b.readings[columns])
    assert a.readings.groupby("meter")["interval_s"].first().to_dict() == {"boiler": 900, "press": 900}


def test_a_long_row_without_a_meter_is_an_error(write, problems_of):
    path = write("""timestamp,meter,value
                    2025-03-01 10:00,a,1
                    2025-03-01 10:15,,1
                    2025-03-01 10:15,a,1""")
    assert problems_of(path, unit="kWh").lines == ["line 3: the meter cell is empty"]


def test_every_problem_is_counted_and_the_first_twenty_listed(write, problems_of):
    rows = [f"2025-03-01 10:{m:02d},{'x' if m % 2 else 1}" for m in range(50)]
    error = problems_of(write("timestamp,value\n" + "\n".join(rows)), unit="kWh")
    assert error.total == 25 and len(error.lines) == 20
    assert error.lines[0] == "line 3: unparseable value 'x'" and error.lines[-1] == "line 41: unparseable value 'x'"
    assert str(error).startswith("site.csv: 25 problems (the first 20 listed), nothing written; first: line 3")


def test_a_reading_the_schema_cannot_hold_is_an_error(write, problems_of):
    big = write("""timestamp,value
                   2025-03-01 10:00,1
                   2025-03-01 10:15,1500""", "big.csv")
    assert problems_of(big, unit="MWh").lines == [
        "line 3: 1500 MWh is 1,500,000 kWh per reading: energy_readings.energy_kwh holds less than 1,000,000 kWh"]


def test_gas_in_cubic_metres_becomes_kwh_with_the_projects_factor(write, request_for):
    path = write("""timestamp,value
                    2025-03-01 10:00,2
                    2025-03-01 11:00,1""")
    checked = check(request_for("meters", path, unit="m3", energy_type="natural_gas"))
    assert checked.readings["energy_kwh"].tolist() == pytest.approx([21.1, 10.55])
    assert checked.readings["power_kw"].tolist() == pytest.approx([21.1, 10.55])
    with pytest.raises(ValueError, match="unknown unit 'm3' for electricity"):
        check(request_for("meters", path, unit="m3"))


def test_semicolon_files_with_decimal_commas(write, request_for):
    path = write("""Zeit;Wert
                    2025-03-01 10:00;1,5
                    2025-03-01 10:15;1.002,25""")
    checked = check(request_for("meters", path, unit="kWh", layout=Layout(timestamp_col="Zeit")))
    assert checked.readings["energy_kwh"].tolist() == [1.5, 1002.25]


def test_parquet_with_naive_and_aware_timestamps(tmp_path, problems_of, request_for):
    times = pd.date_range("2025-03-01 10:00", periods=3, freq="15min")
    pd.DataFrame({"timestamp": times, "value": [1.0, 2.0, 3.0]}).to_parquet(tmp_path / "naive.parquet")
    pd.DataFrame({"timestamp": times.tz_localize("Europe/Berlin"), "value": [1.0, 2.0, 3.0]}).to_parquet(
        tmp_path / "aware.parquet")
    naive = check(request_for("meters", tmp_path / "naive.parquet", unit="kWh", tz="Europe/Berlin"))
    aware = check(request_for("meters", tmp_path / "aware.parquet", unit="kWh"))
    assert naive.readings["time"].tolist() == aware.readings["time"].tolist() == [
        utc("2025-03-01 09:00"), utc("2025-03-01 09:15"), utc("2025-03-01 09:30")]
    negative = tmp_path / "negative.parquet"
    pd.DataFrame({"timestamp": times, "value": [1.0, -2.0, 3.0]}).to_parquet(negative)
    assert problems_of(negative, unit="kWh").lines == ["row 2: negative energy -2 kWh"]


def test_weather_in_fahrenheit_and_a_celsius_value_out_of_range(write, problems_of, request_for):
    path = write("""timestamp,temperature
                    2025-03-01 10:00,50
                    2025-03-01 11:00,68""")
    assert check(request_for("weather", path, unit="F")).readings["value"].tolist() == pytest.approx([10.0, 20.0])
    error = problems_of(write(path.read_text().replace(",68", ",212"), "hot.csv"), kind="weather", unit="F")
    assert error.lines == ["line 3: outdoor temperature 100.0 °C is outside -90 to 60 °C"]
    celsius = problems_of(write("""timestamp,temperature
                                   2025-03-01 10:00,10
                                   2025-03-01 11:00,75""", "c.csv"), kind="weather", unit="C")
    assert celsius.lines == ["line 3: outdoor temperature 75.0 °C is outside -90 to 60 °C (is the file in °F? "
                             "pass --unit F)"]


def test_modes_other_spellings_and_fractional_counts_are_errors(write, problems_of):
    modes = write("""timestamp,mode
                     2025-03-01 10:00,Running
                     2025-03-01 10:15,run
                     2025-03-01 10:30,idle""", "modes.csv")
    assert problems_of(modes, kind="modes").lines == [
        "line 3: unknown operating mode 'run' (expected one of idle, running, maintenance, fault, offline)"]
    counts = write("""timestamp,count
                      2025-03-01 10:00,3
                      2025-03-01 10:15,2.5
                      2025-03-01 10:30,-1""", "counts.csv")
    assert problems_of(counts, kind="production").lines == [
        "line 3: production count 2.5 is not a whole number", "line 4: negative production count -1"]


def test_options_that_cannot_work_are_errors_before_the_file_is_read(write, request_for):
    path = write("timestamp,value\n2025-03-01 10:00,1")
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        check(request_for("meters", path, unit="kWh", tz="Mars/Olympus"))
    with pytest.raises(ValueError, match="unknown unit 'kVA'"):
        check(request_for("meters", path, unit="kVA"))
    with pytest.raises(ValueError, match="unknown temperature unit 'K'"):
        check(request_for("weather", path, unit="K"))
    with pytest.raises(ValueError, match="has no value column 'kwh' \\(--value-col\\); its columns: timestamp, value"):
        check(request_for("meters", path, unit="kWh", layout=Layout(value_col="kwh")))
