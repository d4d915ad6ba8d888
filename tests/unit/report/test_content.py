"""Unit tests of enms.report.content: the executive summary of a hand-made factory-month whose totals are worked
out by hand in the comments, performance in the baseline year, next week's forecast (frames: conftest)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from enms import report

PLANT = "Demo Manufacturing Plant"


def test_executive_summary_of_a_hand_made_factory_month(frames, hourly, baselines, plant_incidents) -> None:
    scope = report.report_scope(frames, "demo-manufacturing-plant", "2026-06-01", "2026-07-01")
    assert scope.hours == 720.0 and scope.currency == "USD" and scope.mv_status == "reporting"
    summary = report.executive_summary(frames, scope, expected_hourly=hourly, candidates=baselines,
                                       incidents=plant_incidents)
    energy = summary["energy"].set_index("energy_type")
    assert list(energy.index) == ["electricity", "natural_gas", "steam"]
    # electricity 720 h x 10 kWh; gas 720 h x 10.55 kWh = 720 m³; steam 720 h x 22.6 kWh = 7 200 kg
    assert energy.loc["electricity", "energy_kwh"] == pytest.approx(7200.0)
    assert energy.loc["natural_gas", "energy_native"] == pytest.approx(720.0)
    assert energy.loc["natural_gas", "native_unit"] == "m³"
    assert energy.loc["steam", "energy_native"] == pytest.approx(7200.0)
    # electricity: 264 Peak h x 10 kWh x 0.25 + 456 Off-Peak h x 10 kWh x 0.10 = 660 + 456 = 1 116 USD;
    # demand charge: peak 2.5 kWh / 0.25 h = 10 kW x 18.50 = 185 USD; gas 720 m³ x 0.45 = 324 USD; steam 0
    assert energy.loc["electricity", "energy_cost"] == pytest.approx(1116.0)
    assert energy.loc["electricity", "demand_charge"] == pytest.approx(185.0)
    assert energy.loc["natural_gas", "total_cost"] == pytest.approx(324.0)
    assert energy.loc["steam", "total_cost"] == 0.0
    assert summary["total_cost"] == pytest.approx(1116.0 + 185.0 + 324.0)
    # CO₂: 7 200 kWh x 0.22 + 720 m³ x 1.90 = 1 584 + 1 368 = 2 952 kg
    assert energy.loc["electricity", "carbon_t"] == pytest.approx(1.584)
    assert summary["carbon_t"] == pytest.approx(2.952)
    assert energy.loc["electricity", "peak_kw"] == pytest.approx(10.0)
    assert energy.loc["electricity", "load_factor"] == pytest.approx(1.0)  # 7 200 / (10 x 720)

    perf = summary["performance"]
    series = perf["series"].set_index("machine_id")
    assert series.loc["m2", "status"] == "inactive baseline"  # shown, never counted
    compressor = series.loc["m1"]
    # 700 normal hours: expected 700 x 11 = 7 700, actual 700 x 10 = 7 000 -> avoided 700 kWh = 9.09 %
    assert compressor["status"] == "reporting" and compressor["m"] == 700
    assert compressor["expected_kwh"] == pytest.approx(7700.0) and compressor["avoided_kwh"] == pytest.approx(700.0)
    assert compressor["avoided_pct"] == pytest.approx(100 * 700 / 7700)
    assert compressor["enpi"] == pytest.approx(7000 / 7700)
    # ASHRAE 14 at 90 %: 1.26 x t(0.95, 1000 dof) x 0.10 x sqrt((1000/1000)(1 + 2/1000)/700) x 7 700 = 60.4 kWh
    half = 1.26 * stats.t.ppf(0.95, 1000) * 0.10 * math.sqrt(1.002 / 700) * 7700
    assert half == pytest.approx(60.4, abs=0.1)
    assert compressor["lower_kwh"] == pytest.approx(700 - half) and compressor["upper_kwh"] == pytest.approx(700 + half)
    assert not compressor["contains_zero"]
    by_energy = perf["by_energy"].set_index("energy_type")
    assert list(by_energy.index) == ["electricity"]  # the gas baseline is inactive
    assert by_energy.loc["electricity", "avoided_kwh"] == pytest.approx(700.0)

    # incidents overlapping June (local): 80 (boiler) and 50 and 7 (compressor); May and the other factory are out
    top = summary["anomalies"]
    assert list(top["wasted_cost"]) == [80.0, 50.0, 7.0]
    assert summary["anomaly_count"] == 3 and summary["wasted_cost"] == pytest.approx(137.0)
    assert summary["forecast"] is None

    text = report.summary_markdown(summary)
    assert "1,625 USD, of which 185 USD demand charge" in text
    assert "3.0 t CO₂e" in text
    assert "**saved 700 kWh**, 9.1 %" in text
    assert "Not counted (baseline failed its quality gates): Boiler-1" in text
    assert "3 incidents" in text


def test_performance_in_the_baseline_year_is_not_a_saving(frames, hourly, baselines) -> None:
    frames["window"] = frames["window"].assign(baseline_end=pd.Timestamp("2026-07-01 07:00", tz="UTC"))
    scope = report.report_scope(frames, PLANT, "2026-06")
    assert scope.mv_status == "baseline"
    baseline = hourly.assign(period="baseline")
    summary = report.executive_summary(frames, scope, expected_hourly=baseline, candidates=baselines)
    assert set(summary["performance"]["series"]["status"]) == {"baseline period"}
    assert summary["performance"]["by_energy"].empty
    assert "none yet" in report.summary_markdown(summary) and "baseline year" in report.summary_markdown(summary)


def test_next_week_forecast_takes_the_latest_week_ahead_vintage(frames) -> None:
    scope = report.report_scope(frames, PLANT, "2026-06")
    origin = pd.Timestamp("2026-07-01 07:00", tz="UTC")  # local midnight, 1 July
    hours = pd.date_range(origin, periods=168, freq="h")
    rows = []
    for made, value in ((origin - pd.Timedelta(days=1), 99.0), (origin, 2.0)):  # an older vintage, the latest
        rows.append(pd.DataFrame({"machine_id": "m1", "energy_type": "electricity", "model_name": "gbm",
                                  "horizon": "week_ahead", "forecasted_at": made, "forecast_time": hours,
                                  "predicted_kwh": value, "lower_kwh": value - 1, "upper_kwh": value + 1}))
    rows.append(rows[-1].assign(horizon="day_ahead", predicted_kwh=50.0))  # day-ahead rows are not the outlook
    rows.append(rows[-1].assign(machine_id="m3"))  # another factory
    outlook = report.forecast_outlook(pd.concat(rows, ignore_index=True), frames["machines"], scope)
    totals = outlook["totals"].set_index("energy_type")
    assert totals.loc["electricity", "predicted_kwh"] == pytest.approx(336.0)  # 168 h x 2 kWh
    assert totals.loc["electricity", "lower_kwh"] == pytest.approx(168.0)
    assert len(outlook["daily"]) == 7 and set(outlook["daily"]["hours"]) == {24}
    assert outlook["start_local"] == pd.Timestamp("2026-07-01 00:00")
    assert report.forecast_outlook(None, frames["machines"], scope) is None


def test_kpi_tables_of_the_whole_data_with_cusum_over_the_reporting_period_only(frames, hourly, baselines) -> None:
    from enms import kpis

    # frames: June 2026; the baseline year ends at local midnight on 16 June
    frames["machines"] = frames["machines"][frames["machines"]["factory_id"] == "f1"]  # the plant only: faster
    reporting = pd.Timestamp("2026-06-16 07:00", tz="UTC")
    frames["window"] = frames["window"].assign(baseline_start=pd.Timestamp("2026-06-01 07:00", tz="UTC"),
                                               baseline_end=reporting)
    hourly["period"] = np.where(hourly["bucket"] >= reporting, "reporting", "baseline")
    tables = kpis.run(frames, hourly, baselines, freqs=("day", "month"))
    assert set(tables) == {"machine_day", "machine_month", "factory_day", "factory_month", "baseline_sec",
                           "carbon_regions", "data_issues"}
    daily = tables["machine_day"]
    compressor = daily[daily["machine_id"] == "m1"].set_index("period")
    assert compressor["complete"].all() and len(compressor) == 30
    assert compressor.loc["2026-06-15", ["expected_kwh", "enpi", "cusum_kwh"]].isna().all()  # baseline year
    # from 16 June: 24 h x (11 - 10) kWh avoided per day, running sum in kWh
    assert compressor.loc["2026-06-16", "avoided_kwh"] == pytest.approx(24.0)
    assert compressor.loc["2026-06-18", "cusum_kwh"] == pytest.approx(72.0)
    assert compressor.loc["2026-06-30", "cusum_kwh"] == pytest.approx(15 * 24.0)
    # ratio EnPI against the baseline SEC: 10 kWh / 50 units every hour in both periods -> 1
    assert compressor["enpi_ratio"].to_numpy() == pytest.approx(np.ones(30))
    boiler = daily[(daily["machine_id"] == "m2") & (daily["energy_type"] == "natural_gas")]
    assert boiler["enpi"].isna().all()  # its baseline is inactive: no regression EnPI
    month = tables["factory_month"].set_index("energy_type")
    assert month.loc["electricity", "complete"] and month.loc["electricity", "demand_charge"] == pytest.approx(185.0)
    assert month.loc["electricity", "cusum_kwh"] == pytest.approx(360.0)
