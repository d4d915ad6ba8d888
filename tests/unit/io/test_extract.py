"""The extract step on the tiny plant: selection by name, clear errors for unknown names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from plants import BOILER_ID, PRESS_ID, START, tiny_plant

from enms import quality
from enms.io import UnknownNameError, connect, extract


def test_extract_selects_by_name_and_rejects_unknown_names(warehouse):
    frames = extract(warehouse, machines="Boiler")
    assert frames["machines"]["machine_name"].tolist() == ["Boiler"]
    assert list(frames["machines"]["energy_types"].item()) == ["electricity", "natural_gas"]
    assert set(frames["energy_hourly"]["machine_id"]) == {BOILER_ID}
    with pytest.raises(UnknownNameError, match="unknown machine 'Boyler'; known: Boiler, Press"):
        extract(warehouse, machines="Boyler")
    with pytest.raises(UnknownNameError, match="unknown factory 'Nowhere'"):
        extract(warehouse, factories="Nowhere")


def _ten_second_plant() -> list[tuple[str, pd.DataFrame]]:
    """The tiny plant's press alone, read every 10 s (data_interval_seconds 10) from 12:00:00 to 12:34:50 UTC,
    its rows spelled as the EnMS schema's default energy type 'electrical'."""
    tables = dict(tiny_plant())
    times = pd.date_range("2026-03-01 12:00", "2026-03-01 12:34:50", freq="10s", tz="UTC")
    machines = tables["machines"].iloc[[0]].assign(data_interval_seconds=10)
    readings = pd.DataFrame({"time": times, "machine_id": PRESS_ID, "energy_type": "electrical",
                             "power_kw": 6.0, "energy_kwh": 6.0 * 10 / 3600})
    return [("factories", tables["factories"]), ("machines", machines), ("energy_readings", readings)]


def test_window_lands_on_whole_hours_whatever_the_reading_interval(tmp_path):
    with connect(f"duckdb:{tmp_path / 'ten.duckdb'}", create=True) as warehouse:
        warehouse.load(_ten_second_plant(), progress=lambda _: None)
        assert warehouse.data_range()[1] == pd.Timestamp("2026-03-01 12:35", tz="UTC")  # last reading + 10 s
        frames = extract(warehouse)
        # user-given bounds off the hour are rounded the same way: start down, end up
        clipped = extract(warehouse, start="2026-03-01 12:10", end="2026-03-01 12:20:30")
    window = frames["window"].iloc[0]
    assert window["start"] == pd.Timestamp("2026-03-01 12:00", tz="UTC")
    assert window["end"] == pd.Timestamp("2026-03-01 13:00", tz="UTC")  # ceiled, not 12:35:00
    assert (clipped["window"].iloc[0]["start"], clipped["window"].iloc[0]["end"]) == (window["start"], window["end"])
    hourly = frames["energy_hourly"]
    assert hourly["energy_type"].tolist() == ["electricity"]  # 'electrical' is electricity
    assert hourly["total_readings"].tolist() == [210]
    # the quality step now accepts the window (it refused 12:35:00): one incomplete hour of 360 readings
    coverage = quality.run(frames).coverage
    assert coverage[["present_hours", "complete_hours"]].values.tolist() == [[1, 0]]
    assert coverage["completeness_pct"].item() == pytest.approx(100 * 210 / 360)


def _three_hour_plant(*, half_null_last_hour: bool = False) -> list[tuple[str, pd.DataFrame]]:
    """The tiny plant's press and boiler, one reading a minute for three hours from 00:00 UTC; with
    ``half_null_last_hour``, every other reading of the last hour (02:00, 02:02, …) has a NULL energy_kwh (its
    power is still there)."""
    tables = dict(tiny_plant())
    minutes = pd.date_range(START, periods=180, freq="1min")
    null = half_null_last_hour & (np.arange(180) >= 120) & (np.arange(180) % 2 == 0)
    press = pd.DataFrame({"time": minutes, "machine_id": PRESS_ID, "energy_type": "electricity",
                          "power_kw": 6.0, "energy_kwh": np.where(null, np.nan, 0.1)})
    boiler = pd.concat([press.assign(machine_id=BOILER_ID), press.assign(machine_id=BOILER_ID,
                                                                          energy_type="natural_gas")])
    return [("factories", tables["factories"]), ("machines", tables["machines"]),
            ("energy_readings", pd.concat([press, boiler], ignore_index=True))]


def test_readings_with_null_energy_are_not_counted(tmp_path):
    # Half the readings NULL: the aggregate views count(*) 60 an hour and the hour looked complete at half its
    # energy; now it has 30 readings and the quality step sees a partial hour.
    with connect(f"duckdb:{tmp_path / 'nulls.duckdb'}", create=True) as warehouse:
        # the EnMS declares energy_kwh NOT NULL; a database that dropped the constraint holds NULLs
        warehouse.init_schema()
        warehouse.connection.execute("ALTER TABLE energy_readings ALTER COLUMN energy_kwh DROP NOT NULL")
        warehouse.load(_three_hour_plant(half_null_last_hour=True), progress=lambda _: None)
        assert (warehouse.query("SELECT total_readings FROM energy_readings_1hour")["total_readings"] == 60).all()
        frames = extract(warehouse, now=pd.Timestamp("2026-03-02", tz="UTC"))
    hourly, quarter = frames["energy_hourly"], frames["energy_15min"]
    last = pd.Timestamp("2026-03-01 02:00", tz="UTC")
    assert hourly["total_readings"].tolist() == [60, 60, 30] * 3
    assert hourly["total_energy_kwh"].to_numpy() == pytest.approx([6, 6, 3] * 3)
    # 02:00, 02:02 … are NULL: a quarter of the last hour starting on an even minute counts 7 of 15, an odd one 8
    late = quarter["bucket"] >= last
    assert (quarter.loc[~late, "total_readings"] == 15).all()
    assert (quarter.loc[late, "total_readings"] == np.where(quarter.loc[late, "bucket"].dt.minute % 30, 8, 7)).all()
    result = quality.run(frames, min_baseline_days=1)
    assert result.coverage["complete_hours"].tolist() == [2, 2, 2]
    u = result.unusable
    assert (u["bucket"] == last).all() and len(u) == 3 and set(u["action"]) == {quality.PARTIAL}


def test_readings_in_the_future_are_left_out_and_counted(tmp_path):
    with connect(f"duckdb:{tmp_path / 'future.duckdb'}", create=True) as warehouse:
        warehouse.load(_three_hour_plant(), progress=lambda _: None)
        frames = extract(warehouse, now=pd.Timestamp("2026-03-01 02:10:30", tz="UTC"))
        with pytest.raises(ValueError, match="every reading from 2026-03-01 00:00:00\\+00:00 on is in the future"):
            extract(warehouse, now=pd.Timestamp("2026-03-01 00:40", tz="UTC"))
    window = frames["window"].iloc[0]
    assert (window["start"], window["end"]) == (START, pd.Timestamp("2026-03-01 02:00", tz="UTC"))
    assert window["future_readings"] == 3 * 49  # 02:11 … 02:59, three series
    assert frames["energy_hourly"]["bucket"].max() == pd.Timestamp("2026-03-01 01:00", tz="UTC")
    assert frames["energy_15min"]["bucket"].max() == pd.Timestamp("2026-03-01 01:45", tz="UTC")
    assert quality.run(frames, min_baseline_days=1).coverage["complete_hours"].tolist() == [2, 2, 2]


def test_baseline_dates_are_local_midnights_in_every_zone():
    from enms.io.extract import analysis_window
    from enms.localtime import baseline_begin, baseline_boundary

    first, end = pd.Timestamp("2024-01-01 00:00", tz="UTC"), pd.Timestamp("2025-03-01 00:00", tz="UTC")
    window = analysis_window(first, end, baseline_start="2024-02-01", baseline_end="2024-12-01")
    for zone in ("Europe/Berlin", "America/Los_Angeles", "Pacific/Kiritimati", "Pacific/Pago_Pago"):
        begin, boundary = baseline_begin(window, zone), baseline_boundary(window, zone)
        assert begin.tz_convert(zone) == pd.Timestamp("2024-02-01", tz=zone), zone
        assert boundary.tz_convert(zone) == pd.Timestamp("2024-12-01", tz=zone), zone
    default = analysis_window(first, end)
    assert (default["baseline_start"], default["baseline_end"]) == (first, pd.Timestamp("2025-01-01", tz="UTC"))
    assert baseline_begin(default, "Europe/Berlin") == first  # the data's start, as before
    only_start = analysis_window(first, end, baseline_start="2024-03-01")
    assert baseline_boundary(only_start, "Europe/Berlin").tz_convert("Europe/Berlin") == pd.Timestamp(
        "2025-03-01", tz="Europe/Berlin")  # 12 months, clipped to the data's end, at its local midnight
    with pytest.raises(ValueError, match="not a local date"):
        analysis_window(first, end, baseline_start="1 March")
    with pytest.raises(ValueError, match="empty baseline period"):
        analysis_window(first, end, baseline_start="2024-06-01", baseline_end="2024-05-01")
