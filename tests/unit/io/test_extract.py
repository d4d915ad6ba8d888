"""The extract step on the tiny plant: selection by name, clear errors for unknown names."""

from __future__ import annotations

import pandas as pd
import pytest
from plants import BOILER_ID, PRESS_ID, tiny_plant

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
