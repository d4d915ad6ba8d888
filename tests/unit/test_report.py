"""Unit tests of enms.report on tiny frames: periods in local time, factory names, file names, and the executive
summary of a hand-made factory-month whose totals are worked out by hand in the comments."""

from __future__ import annotations

import json
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from enms import report

LA = "America/Los_Angeles"
PLANT, OTHER = "Demo Manufacturing Plant", "Werk Düsseldorf"


# ------------------------------------------------------------------------------------------- periods and names
def test_last_full_month_is_taken_in_local_time_across_a_dst_month() -> None:
    # March 2026 in Los Angeles: DST starts on the 8th, so the month has 743 h and ends at 07:00 UTC (PDT).
    assert report.last_full_month(pd.Timestamp("2026-04-01 07:00", tz="UTC"), LA) == (date(2026, 3, 1),
                                                                                     date(2026, 4, 1))
    # Half an hour earlier it is still 31 March, 23:30 local: March is not over (a UTC calendar would say it is).
    assert report.last_full_month(pd.Timestamp("2026-04-01 06:30", tz="UTC"), LA) == (date(2026, 2, 1),
                                                                                     date(2026, 3, 1))
    # November (fall back on the 1st) ends at 08:00 UTC (PST).
    assert report.last_full_month(pd.Timestamp("2026-12-01 08:00", tz="UTC"), LA) == (date(2026, 11, 1),
                                                                                     date(2026, 12, 1))
    assert report.last_full_month(pd.Timestamp("2026-12-01 07:59", tz="UTC"), LA)[0] == date(2026, 10, 1)
    # The demo plant: data to 2026-11-02 00:00 UTC = 1 Nov 17:00 PDT -> October 2026.
    assert report.last_full_month(pd.Timestamp("2026-11-02", tz="UTC"), LA) == (date(2026, 10, 1), date(2026, 11, 1))
    with pytest.raises(ValueError, match="no full local month"):
        report.last_full_month(pd.Timestamp("2026-04-01 07:00", tz="UTC"), LA,
                               window_start_utc=pd.Timestamp("2026-03-05", tz="UTC"))
    with pytest.raises(ValueError, match="tz-aware"):
        report.last_full_month(pd.Timestamp("2026-04-01"), LA)


def test_a_report_period_has_its_real_length_in_hours() -> None:
    frames = tiny_frames()
    frames["window"] = pd.DataFrame({"start": [pd.Timestamp("2026-01-01", tz="UTC")],
                                     "end": [pd.Timestamp("2026-12-15", tz="UTC")],
                                     "baseline_start": [pd.Timestamp("2026-01-01", tz="UTC")],
                                     "baseline_end": [pd.Timestamp("2026-05-15 12:00", tz="UTC")]})
    assert report.report_scope(frames, "demo-manufacturing-plant", "2026-03").hours == 743.0
    november = report.report_scope(frames, PLANT, "2026-11-01", "2026-12-01")
    assert november.hours == 721.0 and november.label == "November 2026"
    assert november.start_utc == pd.Timestamp("2026-11-01 07:00", tz="UTC")  # local midnight, PDT
    assert november.end_utc == pd.Timestamp("2026-12-01 08:00", tz="UTC")  # local midnight, PST
    assert report.report_scope(frames, PLANT).start == date(2026, 11, 1)  # default: the last full month
    # the baseline year ends on 15 May, 05:00 local: the reporting period starts at the next local midnight
    may = report.report_scope(frames, PLANT, "2026-05")
    assert may.mv_status == "mixed" and may.reporting_start_local == date(2026, 5, 16)
    assert report.report_scope(frames, PLANT, "2026-04").mv_status == "baseline"
    assert report.report_scope(frames, PLANT, "2026-06").mv_status == "reporting"
    with pytest.raises(ValueError, match="no data in"):
        report.report_scope(frames, PLANT, "2027-01")


def test_resolve_period_forms_and_errors() -> None:
    end = pd.Timestamp("2026-11-02", tz="UTC")
    assert report.resolve_period("", "", end, LA) == (date(2026, 10, 1), date(2026, 11, 1))
    assert report.resolve_period(None, None, end, LA) == (date(2026, 10, 1), date(2026, 11, 1))
    assert report.resolve_period("2025-10", "", end, LA) == (date(2025, 10, 1), date(2025, 11, 1))
    assert report.resolve_period("2026-10-05", "2026-10-20", end, LA) == (date(2026, 10, 5), date(2026, 10, 20))
    with pytest.raises(ValueError, match="not after"):
        report.resolve_period("2026-10-05", "2026-10-05", end, LA)
    with pytest.raises(ValueError, match="give both"):
        report.resolve_period("2026-10-05", "", end, LA)
    with pytest.raises(ValueError, match="local date"):
        report.resolve_period("October", "2026-11-01", end, LA)


def test_resolve_factory_by_slug_name_or_id_and_errors_name_the_known_factories() -> None:
    frames = tiny_frames()
    assert report.resolve_factory(frames, "demo-manufacturing-plant")["factory_id"] == "f1"
    assert report.resolve_factory(frames, PLANT)["factory_id"] == "f1"
    assert report.resolve_factory(frames, "demo manufacturing PLANT")["factory_id"] == "f1"
    assert report.resolve_factory(frames, "f2")["factory_name"] == OTHER
    assert report.resolve_factory(frames, "werk-dusseldorf")["timezone"] == "Europe/Berlin"
    with pytest.raises(ValueError) as error:
        report.resolve_factory(frames, "Springfield Plant")
    message = str(error.value)
    assert "unknown factory 'Springfield Plant'" in message
    assert PLANT in message and "demo-manufacturing-plant" in message and "werk-dusseldorf" in message
    with pytest.raises(ValueError, match="no factory given"):
        report.resolve_factory(frames, "")


def test_report_filename() -> None:
    assert report.slug("Demo Manufacturing Plant") == "demo-manufacturing-plant"
    assert report.slug(" Werk Düsseldorf (Nord) ") == "werk-dusseldorf-nord"
    assert report.report_filename(PLANT, "2026-10") == "demo-manufacturing-plant-2026-10.html"
    assert report.report_filename(PLANT, "2026-10-01") == "demo-manufacturing-plant-2026-10.html"
    month = report.report_filename(PLANT, date(2026, 10, 1), date(2026, 11, 1))
    assert month == "demo-manufacturing-plant-2026-10.html"
    assert report.report_filename(PLANT, "2026-10-05", "2026-10-20") == \
        "demo-manufacturing-plant-2026-10-05_2026-10-20.html"
    assert report.report_filename(PLANT, "2026-10-01", "2026-12-01") == \
        "demo-manufacturing-plant-2026-10-01_2026-12-01.html"


# --------------------------------------------------------------------------------------------- executive summary
def grid(local_start: str, n: int, freq: str = "h") -> pd.DatetimeIndex:
    first = pd.Timestamp(local_start, tz=LA).tz_convert("UTC")
    return pd.date_range(first, periods=n, freq=freq).as_unit("us")


def energy(machine_id: str, energy_type: str, buckets: pd.DatetimeIndex, kwh: float) -> pd.DataFrame:
    return pd.DataFrame({"bucket": buckets, "machine_id": machine_id, "energy_type": energy_type,
                         "total_energy_kwh": kwh, "total_readings": 15})


def tiny_frames() -> dict[str, pd.DataFrame]:
    """Two factories; the plant (Los Angeles) has a compressor (electricity) and a boiler (gas and steam), with
    flat loads over June 2026 (PDT all month: 720 h, 22 weekdays -> 264 Peak hours and 456 Off-Peak hours)."""
    machines = pd.DataFrame({
        "machine_id": ["m1", "m2", "m3"], "machine_name": ["Compressor-1", "Boiler-1", "Compressor-EU-1"],
        "factory_id": ["f1", "f1", "f2"], "factory_name": [PLANT, PLANT, OTHER],
        "timezone": [LA, LA, "Europe/Berlin"], "machine_type": ["compressor", "boiler", "compressor"],
        "rated_power_kw": [55.0, 45.0, 90.0], "data_interval_seconds": 60,
        "energy_types": [["electricity"], ["natural_gas", "steam"], ["electricity"]]})
    factories = pd.DataFrame({
        "factory_id": ["f1", "f2"], "factory_name": [PLANT, OTHER], "location": ["Los Angeles", "Düsseldorf"],
        "timezone": [LA, "Europe/Berlin"],
        "metadata": [json.dumps({"carbon_region": "US-California", "currency": "USD"}),
                     json.dumps({"carbon_region": "Germany", "currency": "EUR"})]})
    weekdays, every_day = [1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5, 6]
    tariffs = pd.DataFrame({
        "tariff_id": ["t1", "t2", "t3"], "factory_id": ["f1", "f1", "f2"], "name": ["Peak", "Off-Peak", "Flat"],
        "rate_per_kwh": [0.25, 0.10, 0.18], "currency": ["USD", "USD", "EUR"], "is_time_of_use": [True, True, False],
        "start_hour": pd.array([9, 21, 0], dtype="Int64"), "end_hour": pd.array([21, 9, 24], dtype="Int64"),
        "applicable_days": [weekdays, every_day, every_day], "demand_charge_per_kw": [18.5, 0.0, 9.8],
        "valid_from": [date(2020, 1, 1)] * 3, "valid_to": [None] * 3, "is_active": True})
    carbon = pd.DataFrame({"carbon_factor_id": ["c1", "c2"], "region": ["US-California", "default"],
                           "grid_name": ["CAISO", "default"], "emission_factor_kg_co2_per_kwh": [0.22, 0.45],
                           "source": "test", "valid_from": [date(2020, 1, 1)] * 2, "valid_to": [None] * 2,
                           "is_active": True})
    sources = pd.DataFrame({"energy_source_id": ["e1", "e2", "e3"], "name": ["electricity", "natural_gas", "steam"],
                            "unit": ["kWh", "m³", "kg"], "cost_per_unit": [0.15, 0.45, 0.03],
                            "carbon_factor": [0.45, 1.90, 0.0], "is_active": True})
    hours, quarters = grid("2026-06-01", 720), grid("2026-06-01", 720 * 4, "15min")
    hourly = pd.concat([energy("m1", "electricity", hours, 10.0), energy("m2", "natural_gas", hours, 10.55),
                        energy("m2", "steam", hours, 22.6)], ignore_index=True)
    production = pd.DataFrame({"bucket": np.concatenate([hours, hours]), "machine_id": ["m1"] * 720 + ["m2"] * 720,
                               "total_production_count": 50.0})
    window = pd.DataFrame({"start": [pd.Timestamp("2026-05-01", tz="UTC")],
                           "end": [pd.Timestamp("2026-07-03", tz="UTC")],
                           "baseline_start": [pd.Timestamp("2025-06-01", tz="UTC")],
                           "baseline_end": [pd.Timestamp("2026-06-01", tz="UTC")]})  # reporting from 1 June local
    return {"machines": machines, "factories": factories, "energy_hourly": hourly,
            "energy_15min": energy("m1", "electricity", quarters, 2.5), "production_hourly": production,
            "tariffs": tariffs, "carbon_factors": carbon, "energy_sources": sources, "window": window}


def expected_hourly() -> pd.DataFrame:
    """The compressor's baseline expects 11 kWh every hour; its first 20 hours are outside normal operation. The
    boiler's gas has a baseline too, but it failed its gates (inactive)."""
    hours = grid("2026-06-01", 720)
    normal = np.ones(720, dtype=bool)
    normal[:20] = False
    return pd.concat([
        pd.DataFrame({"bucket": hours, "machine_id": "m1", "energy_type": "electricity", "actual_kwh": 10.0,
                      "expected_kwh": 11.0, "is_normal": normal, "period": "reporting"}),
        pd.DataFrame({"bucket": hours, "machine_id": "m2", "energy_type": "natural_gas", "actual_kwh": 10.55,
                      "expected_kwh": 12.0, "is_normal": True, "period": "reporting"}),
    ], ignore_index=True)


def candidates() -> pd.DataFrame:
    return pd.DataFrame({
        "machine_id": ["m1", "m1", "m2"], "machine_name": ["Compressor-1", "Compressor-1", "Boiler-1"],
        "energy_type": ["electricity", "electricity", "natural_gas"], "model": ["towt", "regression_ols", "towt"],
        "resolution": ["hourly", "daily", "hourly"], "best_hourly": [True, False, True],
        "selected": [True, False, True], "is_active": [True, False, False], "cv_rmse_oos": [0.10, 0.05, 0.2],
        "nmbe_oos": [0.0, 0.0, 0.0], "r2_oos": [0.9, 0.9, 0.5], "n_in": [1000, 300, 1000],
        "rho_in": [0.0, 0.0, 0.0], "n_params": [0, 7, 0]})


def incidents() -> pd.DataFrame:
    def one(machine_id: str, start: str, hours: int, cost: float) -> dict:
        begin = pd.Timestamp(start, tz="UTC")
        return {"machine_id": machine_id, "energy_type": "electricity", "start": begin,
                "end": begin + pd.Timedelta(hours=hours), "anomaly_type": "left_running", "severity": "critical",
                "deviation_percent": 40.0, "wasted_kwh": cost * 10, "wasted_cost": cost, "currency": "USD"}

    return pd.DataFrame([one("m1", "2026-06-10 08:00", 5, 50.0), one("m2", "2026-06-20 08:00", 3, 80.0),
                         one("m1", "2026-05-10 08:00", 5, 999.0),  # before the period
                         one("m1", "2026-05-31 20:00", 24, 7.0),  # starts before the period, overlaps it
                         one("m3", "2026-06-10 08:00", 5, 500.0)])  # another factory


def test_executive_summary_of_a_hand_made_factory_month() -> None:
    frames = tiny_frames()
    scope = report.report_scope(frames, "demo-manufacturing-plant", "2026-06-01", "2026-07-01")
    assert scope.hours == 720.0 and scope.currency == "USD" and scope.mv_status == "reporting"
    summary = report.executive_summary(frames, scope, expected_hourly=expected_hourly(), candidates=candidates(),
                                       incidents=incidents())
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


def test_performance_in_the_baseline_year_is_not_a_saving() -> None:
    frames = tiny_frames()
    frames["window"] = frames["window"].assign(baseline_end=pd.Timestamp("2026-07-01 07:00", tz="UTC"))
    scope = report.report_scope(frames, PLANT, "2026-06")
    assert scope.mv_status == "baseline"
    baseline = expected_hourly().assign(period="baseline")
    summary = report.executive_summary(frames, scope, expected_hourly=baseline, candidates=candidates())
    assert set(summary["performance"]["series"]["status"]) == {"baseline period"}
    assert summary["performance"]["by_energy"].empty
    assert "none yet" in report.summary_markdown(summary) and "baseline year" in report.summary_markdown(summary)


def test_an_interval_holding_zero_is_no_significant_change() -> None:
    row = {"avoided_kwh": -10.0, "avoided_pct": -0.2, "lower_pct": -0.7, "upper_pct": 0.3, "contains_zero": True}
    text = report.performance_sentence(row)
    assert "no significant change" in text and "includes zero" in text


def test_next_week_forecast_takes_the_latest_week_ahead_vintage() -> None:
    frames = tiny_frames()
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


def test_kpi_tables_of_the_whole_data_with_cusum_over_the_reporting_period_only() -> None:
    from enms import kpis

    frames = tiny_frames()  # June 2026; the baseline year ends at local midnight on 16 June
    frames["machines"] = frames["machines"][frames["machines"]["factory_id"] == "f1"]  # the plant only: faster
    reporting = pd.Timestamp("2026-06-16 07:00", tz="UTC")
    frames["window"] = frames["window"].assign(baseline_start=pd.Timestamp("2026-06-01 07:00", tz="UTC"),
                                               baseline_end=reporting)
    hourly = expected_hourly()
    hourly["period"] = np.where(hourly["bucket"] >= reporting, "reporting", "baseline")
    tables = kpis.kpi_tables(frames, hourly, candidates(), freqs=("day", "month"))
    assert set(tables) == {"machine_day", "machine_month", "factory_day", "factory_month", "baseline_sec"}
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
