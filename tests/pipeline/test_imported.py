"""The whole pipeline on imported meters (issue 11): two CSVs made here (14 months of hourly kWh of two meters with a
weekly pattern and planted closure days, and the outdoor temperature), loaded with `enms import` into a DuckDB
warehouse of their own, without a mode history, production or tariff; then the DAG of the demo settings on that
warehouse, built in this process into temporary products."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ploomber.constants import TaskStatus

from enms.cli import main as enms_main
from enms.environments import settings
from enms.io import load_frames
from enms.pipeline import dag_from_settings, warehouse_outline

pytestmark = pytest.mark.pipeline

ZONE = "Europe/Berlin"
PLANTED = ("2024-06-12", "2024-10-30")
"""Wednesdays (no public holiday in Germany) on which both meters are planted at their night load."""


def _csvs(folder) -> tuple:
    """meters.csv (wide: Press, Oven, kWh per hour, UTC stamps) and weather.csv (°C)."""
    rng = np.random.default_rng(11)
    local = pd.date_range("2024-01-01", "2025-03-01", freq="h", inclusive="left", tz=ZONE)
    day = local.tz_localize(None).normalize()
    closed = np.asarray((local.day_of_week >= 5) | day.isin(pd.to_datetime(PLANTED)))
    working = np.asarray((local.hour >= 6) & (local.hour < 22)) & ~closed
    temperature = np.asarray(10 - 8 * np.cos(2 * np.pi * (local.day_of_year - 15) / 365), dtype=float)
    temperature = temperature + rng.normal(0, 1, len(local))
    press = np.where(working, 120.0, 25.0) + rng.normal(0, 4, len(local)) + np.clip(15 - temperature, 0, None)
    oven = np.where(working, 60.0, 8.0) + rng.normal(0, 2, len(local))
    stamps = local.tz_convert("UTC").strftime("%Y-%m-%dT%H:%MZ")
    meters, weather = folder / "meters.csv", folder / "weather.csv"
    pd.DataFrame({"timestamp": stamps, "Press": press.clip(0.1).round(2), "Oven": oven.clip(0.1).round(2)}).to_csv(
        meters, index=False)
    pd.DataFrame({"timestamp": stamps, "temp": temperature.round(1)}).to_csv(weather, index=False)
    return meters, weather


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """The products and reports folders of a pipeline built on the imported warehouse, and the DAG."""
    folder = tmp_path_factory.mktemp("imported")
    meters, weather = _csvs(folder)
    url = f"duckdb:{folder / 'mine.duckdb'}"
    common = ["--factory", "My Plant", "--tz", ZONE, "--warehouse", url]
    assert enms_main(["import", "meters", str(meters), "--unit", "kWh", "--wide", *common]) == 0
    assert enms_main(["import", "weather", str(weather), "--unit", "C", "--value-col", "temp", *common]) == 0
    values = settings("demo", warehouse=url)
    values.update(products=str(folder / "products"), reports=str(folder / "reports"))
    factories, state = warehouse_outline(values)
    dag = dag_from_settings({**values, "data_state": state}, factories)
    dag.build()
    return folder, dag, values


def test_the_settings_keep_products_and_reports_apart_per_warehouse():
    values = settings("demo", warehouse="duckdb:data/mine.duckdb")
    assert values["products"].endswith("products/mine")
    assert values["reports"].endswith("reports/mine")
    assert values["report"]["period"] == "last"


def test_every_step_ran_and_reported_on_the_last_full_month(imported):
    _, dag, values = imported
    assert {dag[name].exec_status for name in dag} == {TaskStatus.Executed}
    assert values["report"]["period"] == "2025-02"
    assert sorted(dag) == ["anomalies", "baselines", "extract", "forecasts", "kpis", "performance", "publish",
                           "quality", "report-my-plant"]


def test_normal_operation_and_the_planted_closures_are_inferred(imported):
    folder, _, _ = imported
    quality = load_frames(folder / "products" / "quality", ["summary", "closures", "normal_mask"])
    assert quality["summary"]["operation"].str.startswith("inferred from energy").all()
    assert quality["normal_mask"]["is_normal"].mean() > 0.99  # complete, trusted hours: no 'no mode data'
    closures = quality["closures"]
    for machine_id, days in closures.groupby("machine_id"):
        inferred = days[days["source"].str.contains("inferred")]
        assert set(pd.to_datetime(PLANTED)) <= set(inferred["date"]), machine_id
        assert not inferred["date"].dt.day_of_week.isin([5, 6]).any()  # a weekend is the usual week, no closure


def test_each_meter_has_a_fitted_baseline_using_closures_and_a_forecast(imported):
    folder, _, _ = imported
    baselines = load_frames(folder / "products" / "baselines", ["status", "candidates"])
    assert (baselines["status"]["status"] == "fitted").all() and len(baselines["status"]) == 2
    candidates = baselines["candidates"]
    assert candidates.groupby("machine_name")["selected"].sum().to_dict() == {"Oven": 1, "Press": 1}
    forecasts = load_frames(folder / "products" / "forecasts", ["status", "forecasts"])
    assert (forecasts["status"]["status"] == "forecast").all() and len(forecasts["status"]) == 2
    assert forecasts["forecasts"]["machine_id"].nunique() == 2


def test_the_report_says_which_inputs_were_absent(imported):
    folder, _, _ = imported
    (report,) = (folder / "reports").glob("my-plant-2025-02.html")
    text = report.read_text(encoding="utf-8")
    assert "No operating-mode history" in text
    assert "No production data" in text
    assert "No tariff" in text
    assert "No outdoor temperature" not in text  # the weather file was imported


def test_anomalies_are_looked_for_on_the_inferred_normal_hours(imported):
    folder, _, _ = imported
    anomalies = load_frames(folder / "products" / "anomalies", ["status", "incidents"])
    status = anomalies["status"]
    assert (status["status"] == "detected").all() and (status["n_reference_hours"] > 8000).all()
    days = pd.to_datetime(anomalies["incidents"]["start"], utc=True).dt.tz_convert(ZONE).dt.strftime("%Y-%m-%d")
    assert not days.isin(PLANTED).any()  # the closure driver expects the closed days: no false alarm on them
