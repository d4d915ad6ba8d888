"""Unit tests of enms.plots: each step figure draws from tiny frames with its spans in local time."""

from __future__ import annotations

import pandas as pd

from enms import plots

ZONE = "America/Los_Angeles"
HOURS = pd.date_range("2026-06-01 07:00", periods=72, freq="h", tz="UTC")


def hourly() -> pd.DataFrame:
    return pd.DataFrame({"bucket": HOURS, "machine_id": "m1", "energy_type": "electricity", "total_energy_kwh": 2.0,
                         "actual_kwh": 2.0, "expected_kwh": 1.5, "is_normal": True})


def test_quality_figure_shades_each_gap_in_local_time() -> None:
    machine = pd.Series({"machine_id": "m1", "machine_name": "Press-1", "factory_name": "Plant", "timezone": ZONE})
    gaps = pd.DataFrame({"machine_id": ["m1", "m2"], "gap_start": [HOURS[10], HOURS[5]],
                         "gap_end": [HOURS[20], HOURS[8]]})
    fig = plots.machine_quality_figure(machine, hourly(), hourly()[["bucket", "machine_id", "is_normal"]], gaps)
    top = fig.axes[0]
    assert len(top.patches) == 1  # the other machine's gap is not drawn
    assert top.get_ylabel() == "kWh per local day" and "data gaps in red" in top.get_title()


def test_anomaly_timeline_shades_incidents_and_lists_faults() -> None:
    incidents = pd.DataFrame({"start": [HOURS[3], HOURS[30]], "end": [HOURS[6], HOURS[40]]})
    truth = pd.DataFrame({"start_time": [HOURS[2]], "end_time": [HOURS[8]], "fault_type": ["leak"]})
    fig = plots.anomaly_timeline("Press-1 (electricity)", ZONE, hourly(), incidents, truth)
    top, bottom = fig.axes
    assert len(top.patches) == 2 and top.get_title() == "Press-1 (electricity): detected incidents in red"
    assert [t.get_text() for t in bottom.texts] == [" leak"]


def test_forecast_figure_draws_actual_forecast_and_interval() -> None:
    forecast = pd.DataFrame({"bucket": HOURS[-24:] + pd.Timedelta(days=3), "predicted_kwh": 2.0, "lower_kwh": 1.0,
                             "upper_kwh": 3.0})
    fig = plots.forecast_figure("Press-1", ZONE, hourly(), forecast)
    axis = fig.axes[0]
    assert [line.get_label() for line in axis.get_lines()] == ["actual", "forecast"]
    assert axis.get_xlabel() == f"local time ({ZONE})"
