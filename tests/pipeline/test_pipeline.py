"""The Ploomber pipeline on the small test plant (data/enms-test.duckdb, built by `make data ENV=test` or here).

The first test's fixture builds the DAG of env.test.yaml in this process (three machines: Compressor-1 with its
efficiency measure, Boiler-1 with three energy types, HVAC-EU-North in Berlin), so `pytest --pdb` stops inside a
failing step; the build is incremental, so an unchanged tree rebuilds nothing. The tests assert on the products;
`make test` then runs nbval over the executed notebooks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from ploomber.constants import TaskStatus

from enms.cli import main as enms_main
from enms.environments import settings
from enms.io import connect, load_frames
from enms.pipeline import dag_from_settings, warehouse_outline
from enms.rows import plan_write_back

ROOT = Path(__file__).resolve().parents[2]
TEST_DB = ROOT / "data" / "enms-test.duckdb"
PRODUCTS = ROOT / "products" / "test"

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module", autouse=True)
def built(test_products) -> None:
    """Every test here reads the products of an up-to-date build (see tests/conftest.py)."""


def outdated(**overrides) -> set[str]:
    """Tasks a build of the test environment (plus ``overrides``) would run: rendering marks up-to-date ones
    Skipped."""
    values = settings("test")
    for section, changes in overrides.items():
        values[section] = {**values[section], **changes}
    factories, state = warehouse_outline(values)
    dag = dag_from_settings({**values, "data_state": state}, factories)
    dag.render()
    return {name for name in dag if dag[name].exec_status != TaskStatus.Skipped}


@pytest.fixture(scope="module")
def extracted() -> dict[str, pd.DataFrame]:
    return load_frames(PRODUCTS / "extract")


@pytest.fixture(scope="module")
def baselines() -> dict[str, pd.DataFrame]:
    return load_frames(PRODUCTS / "baselines")


def test_extract_holds_the_selected_machines_and_every_energy_type(extracted):
    machines = extracted["machines"]
    assert sorted(machines["machine_name"]) == ["Boiler-1", "Compressor-1", "HVAC-EU-North"]
    assert machines["factory_name"].nunique() == 2
    hourly = extracted["energy_hourly"]
    types = hourly.groupby("machine_id")["energy_type"].nunique()
    boiler = machines.loc[machines["machine_name"] == "Boiler-1", "machine_id"].item()
    assert types[boiler] == 3 and (types.drop(boiler) == 1).all()
    assert hourly["total_energy_kwh"].notna().all() and (hourly["total_energy_kwh"] >= 0).all()
    assert str(hourly["bucket"].dtype) == "datetime64[us, UTC]"
    # 15-minute energy sums to the hourly energy (same readings, finer buckets).
    fifteen = extracted["energy_15min"]["total_energy_kwh"].sum()
    assert fifteen == pytest.approx(hourly["total_energy_kwh"].sum(), rel=1e-9)
    window = extracted["window"].iloc[0]
    assert (window["end"] - window["start"]) >= pd.Timedelta(days=395)
    assert len(extracted["fault_truth"]) >= 5 and len(extracted["efficiency_measures"]) == 1


def test_quality_products(extracted):
    quality = load_frames(PRODUCTS / "quality")
    summary = quality["summary"]
    assert len(summary) == 5  # Compressor-1, HVAC-EU-North and the boiler's three energy types
    assert summary["coverage_pct"].between(90, 100).all()
    assert (summary["gap_count"] > 0).all(), "the simulator's outages must show up as gaps"
    mask = quality["normal_mask"]
    window = extracted["window"].iloc[0]
    assert len(mask) == 3 * (window["end"] - window["start"]) / pd.Timedelta(hours=1)
    assert 0.5 < mask["is_normal"].mean() < 0.99
    reasons = set(mask.loc[~mask["is_normal"], "reason"].str.split("; ").explode())
    assert {"maintenance", "fault", "offline", "incomplete energy"} <= reasons
    html = (PRODUCTS / "quality.html").read_text()
    assert "CalTRACK" in html and "image/png" in html
    assert "load_frames(" not in html, "code cells must be hidden in the HTML"


def test_every_series_has_a_validated_gated_baseline(baselines):
    candidates = baselines["candidates"]
    selected = candidates[candidates["selected"]]
    assert len(selected) == 5 and selected.groupby(["machine_id", "energy_type"]).size().eq(1).all()
    assert selected[["cv_rmse_oos", "nmbe_oos", "cv_rmse_daily_oos", "cv_rmse_holdout"]].notna().all().all()
    for gate in ("ashrae14", "enpi_lite", "nmec", "caltrack_sufficiency"):
        assert f"{gate}_passed" in selected and selected[f"{gate}_reason"].str.len().gt(0).all()
    assert not candidates.loc[candidates["model"] == "hour_of_week_mean", "selected"].any()
    assert baselines["naive_comparison"]["beats_naive"].all()
    expected = baselines["expected_hourly"]
    baseline_year = expected[(expected["period"] == "baseline") & expected["is_normal"]]
    assert (baseline_year["prediction"] == "out_of_fold").mean() > 0.9, "the baseline year is scored out of fold"


def test_the_efficiency_measure_saving_is_recovered(baselines, extracted):
    check = baselines["truth_check"].set_index(["machine_name", "energy_type"])
    compressor = check.loc[("Compressor-1", "electricity")]
    truth = 100 * extracted["efficiency_measures"]["saving_fraction"].item()
    assert compressor["truth_pct"] == pytest.approx(truth)
    assert compressor["within_2pp"] and compressor["truth_in_interval"]


def test_anomalies_are_state_aware_costed_and_evaluated(extracted):
    anomalies = load_frames(PRODUCTS / "anomalies")
    incidents = anomalies["incidents"]
    assert len(incidents) > 0 and incidents["severity"].isin(["normal", "warning", "critical"]).all()
    assert (incidents["wasted_kwh"] >= 0).all() and incidents["wasted_cost"].notna().all()
    assert incidents["confidence"].between(0, 1).all()
    evaluation = anomalies["evaluation"]
    combined = evaluation[(evaluation["detector"] == "combined") & (evaluation["window"] == "whole")]
    old = evaluation[(evaluation["detector"] == "old_isolation_forest") & (evaluation["window"] == "whole")]
    assert combined.set_index("subset").at["target", "recall"] >= 0.8
    assert (combined.set_index("subset").at["all", "precision"] > old.set_index("subset").at["all", "precision"])
    # No incident starts or ends in an hour of maintenance, fault or offline (flagged hours are eligible ones).
    modes = extracted["mode_hourly"]
    abnormal = modes.loc[(modes["n_maintenance"] + modes["n_fault"] + modes["n_offline"]) > 0, ["machine_id", "bucket"]]
    edges = pd.concat([incidents[["machine_id", "start"]].rename(columns={"start": "bucket"}),
                       incidents.assign(bucket=incidents["end"] - pd.Timedelta(hours=1))[["machine_id", "bucket"]]])
    assert edges.merge(abnormal, on=["machine_id", "bucket"]).empty


def test_publish_wrote_baselines_and_anomalies_and_is_idempotent(baselines):
    record = json.loads((PRODUCTS / "publish.json").read_text())
    assert sum(record["energy_baselines"].values()) == 5
    anomaly_rows = load_frames(PRODUCTS / "anomalies", ["anomaly_rows"])["anomaly_rows"]
    with connect(f"duckdb:{TEST_DB}") as warehouse:
        stored = warehouse.read_baselines()
        assert stored.groupby(["machine_id", "energy_type"])["is_active"].sum().le(1).all()
        assert warehouse.publish_baselines(baselines["energy_baselines_rows"]) == {"inserted": 0, "unchanged": 5}
        assert warehouse.read_baselines().equals(stored)
        assert len(warehouse.read_anomalies()) == len(anomaly_rows)
        again = warehouse.publish_anomalies(anomaly_rows, plan=plan_write_back)
        assert again == {"inserted": 0, "updated": 0, "unchanged": len(anomaly_rows)}
        forecasts = load_frames(PRODUCTS / "forecasts", ["energy_forecasts_rows", "vintages"])
        assert record["energy_forecasts"]["energy_forecasts"] == 3 * 168  # one electricity series per machine
        again = warehouse.publish_forecasts(forecasts["energy_forecasts_rows"], forecasts["vintages"])
        assert again["vintages_added"] == 0 and len(warehouse.read_forecasts()) == 3 * 168


def test_forecasts_are_backtested_and_chosen_by_mase():
    forecasts = load_frames(PRODUCTS / "forecasts", ["metrics", "forecasts"])
    metrics = forecasts["metrics"]
    day_ahead = metrics[metrics["kind"] == "day_ahead"]
    chosen = day_ahead[day_ahead["chosen"]]
    assert len(chosen) == 5 and chosen.groupby(["machine_id", "energy_type"]).size().eq(1).all()
    best = day_ahead.loc[day_ahead.groupby(["machine_id", "energy_type"])["mase"].idxmin()]
    assert set(best["model_name"]) == set(chosen["model_name"])
    assert chosen["mase"].median() < 1, "the chosen models beat seasonal naive"
    assert chosen["coverage"].between(0.6, 1).all()
    future = forecasts["forecasts"]
    assert (future["lower_kwh"] <= future["predicted_kwh"]).all()
    assert (future["predicted_kwh"] <= future["upper_kwh"]).all()


def test_each_factory_gets_a_readable_report_without_code():
    for slug in ("demo-manufacturing-plant", "european-production-facility"):
        html = (PRODUCTS / "reports" / f"{slug}-2026-10.html").read_text()
        assert "Executive summary" in html and "Methods" in html and "image/png" in html
        assert "load_frames(" not in html and "In&nbsp;[" not in html, "no code and no prompts in the report"


def test_a_second_build_rebuilds_nothing_and_a_parameter_rebuilds_only_what_depends_on_it():
    assert outdated() == set()
    reports = {"report-demo-manufacturing-plant", "report-european-production-facility"}
    assert outdated(baselines={"holdout_weeks": 6}) == {"baselines", "anomalies", "kpis", "publish", *reports}
    assert outdated(forecasts={"n_jobs": 1}) == {"forecasts", "publish", *reports}
    assert outdated(quality={"spike_factor": 3}) == {"quality", "baselines", "anomalies", "forecasts", "kpis",
                                                     "publish", *reports}


def test_enms_report_renders_any_month_from_the_products_and_refuses_a_bad_period(capsys):
    assert enms_main(["report", "--factory", "European Production Facility", "--period", "2026-09",
                      "--env", "test"]) == 0
    html = (PRODUCTS / "reports" / "european-production-facility-2026-09.html").read_text()
    assert "September 2026" in html and "Executive summary" in html and "load_frames(" not in html
    assert enms_main(["report", "--factory", "demo-manufacturing-plant", "--period", "2026-13", "--env", "test"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("enms report: error: --period (PERIOD) '2026-13'") and "Traceback" not in error


def test_a_new_reading_in_the_warehouse_reruns_the_extract(tmp_path):
    copy = tmp_path / "plant.duckdb"
    copy.write_bytes(TEST_DB.read_bytes())
    values = {**settings("test"), "warehouse": f"duckdb:{copy}"}
    factories, before = warehouse_outline(values)
    assert factories == ["Demo Manufacturing Plant", "European Production Facility"]
    with connect(f"duckdb:{copy}") as warehouse:
        warehouse.execute("INSERT INTO energy_readings (time, machine_id, power_kw, energy_kwh, energy_type) "
                          "SELECT max(time) + INTERVAL 15 MINUTE, machine_id, 1.0, 0.25, 'electricity' "
                          "FROM energy_readings GROUP BY machine_id LIMIT 1")
    assert warehouse_outline(values)[1] != before
