"""The Ploomber pipeline on the small test plant (data/enms-test.duckdb, built by `make data ENV=test` or here).

The first test's fixture builds the DAG of env.test.yaml in this process (four machines: Compressor-1 with its
efficiency measure, Boiler-1 with three energy types, HVAC-EU-North and Compressor-EU-1, whose behaviour drifts
after the baseline year, in Berlin), so `pytest --pdb` stops inside a
failing step; the build is incremental, so an unchanged tree rebuilds nothing. The tests assert on the products;
`make test` then runs nbval over the executed notebooks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from ploomber.constants import TaskStatus

from enms import iso50001
from enms.cli import main as enms_main
from enms.environments import settings
from enms.io import connect, load_frames
from enms.io.extract import extract as extract_frames
from enms.io.warehouse import ISO50001_FRAMES
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
    assert sorted(machines["machine_name"]) == ["Boiler-1", "Compressor-1", "Compressor-EU-1", "HVAC-EU-North"]
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
    assert len(summary) == 6  # Compressor-1, Compressor-EU-1, HVAC-EU-North and the boiler's three energy types
    assert summary["coverage_pct"].between(90, 100).all()
    assert (summary["gap_count"] > 0).all(), "the simulator's outages must show up as gaps"
    mask = quality["normal_mask"]
    window = extracted["window"].iloc[0]
    assert len(mask) == 4 * (window["end"] - window["start"]) / pd.Timedelta(hours=1)
    assert 0.5 < mask["is_normal"].mean() < 0.99
    reasons = set(mask.loc[~mask["is_normal"], "reason"].str.split("; ").explode())
    assert {"maintenance", "fault", "offline", "incomplete energy"} <= reasons
    html = (PRODUCTS / "quality.html").read_text()
    assert "CalTRACK" in html and "image/png" in html
    assert "load_frames(" not in html, "code cells must be hidden in the HTML"


def test_every_series_has_a_validated_gated_baseline(baselines):
    candidates = baselines["candidates"]
    selected = candidates[candidates["selected"]]
    assert len(selected) == 6 and selected.groupby(["machine_id", "energy_type"]).size().eq(1).all()
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
    assert sum(record["energy_baselines"].values()) == 6 + 1, "the selected ones and the drifting one retrained"
    anomaly_rows = load_frames(PRODUCTS / "anomalies", ["anomaly_rows"])["anomaly_rows"]
    with connect(f"duckdb:{TEST_DB}") as warehouse:
        stored = warehouse.read_baselines()
        assert stored.groupby(["machine_id", "energy_type"])["is_active"].sum().le(1).all()
        assert warehouse.publish_baselines(baselines["energy_baselines_rows"]) == {"inserted": 0, "unchanged": 6}
        assert warehouse.read_baselines().equals(stored)
        assert len(warehouse.read_anomalies()) == len(anomaly_rows)
        again = warehouse.publish_anomalies(anomaly_rows, plan=plan_write_back)
        assert again == {"inserted": 0, "updated": 0, "unchanged": len(anomaly_rows)}
        forecasts = load_frames(PRODUCTS / "forecasts", ["energy_forecasts_rows", "vintages"])
        assert record["energy_forecasts"]["energy_forecasts"] == 4 * 168  # one electricity series per machine
        again = warehouse.publish_forecasts(forecasts["energy_forecasts_rows"], forecasts["vintages"])
        assert again["vintages_added"] == 0 and len(warehouse.read_forecasts()) == 4 * 168


def test_iso50001_seus_enpi_drift_and_quality_log_are_written_and_a_rerun_adds_nothing(extracted):
    """The demo's SEUs (the EnMS's phase 1: one per machine for electricity, none for the boiler) get their daily
    model and October's EnPI row; Compressor-1's measure shows as a saving near its truth; only the machine the
    simulator made drift (drift_truth) is flagged, alerted and retrained; a second write adds nothing."""
    performance = load_frames(PRODUCTS / "performance")
    assert sorted(performance["seu_models"]["name"]) == ["Compressor-1", "Compressor-EU-1", "HVAC-EU-North"]
    assert sorted(performance["seus_missing"]["name"]) == ["Boiler-1", "Boiler-1 natural_gas", "Boiler-1 steam"]
    months = performance["enpi_performance"].set_index("seu_name")
    assert (months["period_start"].astype(str) == "2026-10-01").all() and len(months) == 3
    truth = 100 * extracted["efficiency_measures"]["saving_fraction"].item()
    assert abs(-months.at["Compressor-1", "deviation_percent"] - truth) < 2
    assert months.at["Compressor-1", "iso_status"] == "excellent"
    drift = performance["drift"]
    planted = set(extracted["drift_truth"]["machine_name"])
    assert planted == {"Compressor-EU-1"} and set(drift.loc[drift["drifting"], "machine_name"]) == planted
    alerts = performance["model_alerts"]
    assert alerts["alert_type"].tolist() == ["drift_detected"] and alerts["auto_action_taken"].all()
    history = performance["model_training_history"]
    assert history["trigger_type"].value_counts().to_dict() == {"scheduled": 6, "drift_detected": 1}
    assert not performance["retrained_baselines"]["is_active"].any()
    days = performance["data_quality_log"].groupby("machine_id")["check_date"].nunique()
    assert len(days) == 4 and days.min() >= 399
    with connect(f"duckdb:{TEST_DB}") as warehouse:
        stored = warehouse.query("SELECT name FROM seus WHERE r_squared IS NOT NULL AND cardinality(feature_columns) "
                                 "> 0 ORDER BY name")  # the plant has all eight machines' SEUs; the run four
        assert stored["name"].tolist() == ["Compressor-1", "Compressor-EU-1", "HVAC-EU-North"]
        again = warehouse.publish_iso50001({name: performance[name] for name in ISO50001_FRAMES})
    assert all(counts["inserted"] == counts["updated"] == 0 for counts in again.values()), again


def test_an_approved_baseline_adjustment_scales_the_expected_energy_from_its_date_on(tmp_path):
    """The path an energy team takes: an adjustment stored in the warehouse, read by the extract and applied by
    the ISO 50001 step to the run's own products. Approved from 1 October (the whole month), factor 0.8: October's
    expected energy is exactly 0.8 of the unadjusted one; a pending one changes nothing."""
    copy = tmp_path / "plant.duckdb"
    copy.write_bytes(TEST_DB.read_bytes())
    products = {step: load_frames(PRODUCTS / step) for step in ("quality", "baselines", "kpis")}
    seu = "aaaaaaaa-1111-1111-1111-111111111111"  # Compressor-1's, from the EnMS's phase-1 seed
    insert = ("INSERT INTO baseline_adjustments (seu_id, adjustment_date, adjustment_type, adjustment_reason, "
              "adjustment_factor, approved_by, approved_at) VALUES (%s, DATE '2026-10-01', "
              "'production_capacity_change', 'a line moved to another plant', 0.8, %s, %s)")

    def october(approved: bool) -> pd.Series:
        with connect(f"duckdb:{copy}") as warehouse:
            warehouse.execute("DELETE FROM baseline_adjustments WHERE seu_id = %s", [seu])
            warehouse.execute(insert, [seu, *(("energy manager", "2026-11-01 09:00:00+00") if approved
                                                else (None, None))])
        with connect(f"duckdb:{copy}", read_only=True) as warehouse:
            extract = extract_frames(warehouse, machines=settings("test")["machines"])
        out = iso50001.run(extract, products["baselines"], products["kpis"], quality=products["quality"])
        rows = out["enpi_performance"].set_index("seu_id").loc[seu]
        return rows[["expected_energy_kwh", "actual_energy_kwh", "adjustment_factor"]]

    pending, approved = october(approved=False), october(approved=True)
    assert pending["adjustment_factor"] == 1 and approved["adjustment_factor"] == pytest.approx(0.8)
    assert approved["actual_energy_kwh"] == pending["actual_energy_kwh"]
    assert approved["expected_energy_kwh"] == pytest.approx(0.8 * pending["expected_energy_kwh"], abs=1e-3)


def test_enms_seus_lists_the_active_baselines_without_an_seu_and_creates_them_only_when_asked(tmp_path, capsys):
    copy = tmp_path / "plant.duckdb"
    copy.write_bytes(TEST_DB.read_bytes())
    url = f"duckdb:{copy}"
    assert enms_main(["seus", "--warehouse", url]) == 0
    assert "3 active baseline(s) without an SEU" in capsys.readouterr().out
    with connect(url, read_only=True) as warehouse:
        assert not warehouse.read_seus()["name"].str.startswith("Boiler-1").any(), "listing creates nothing"
    assert enms_main(["seus", "--warehouse", url, "--create"]) == 0
    assert capsys.readouterr().out.startswith("3 SEU(s) created")
    assert enms_main(["seus", "--warehouse", url, "--create"]) == 0
    assert capsys.readouterr().out.startswith("every machine and energy source with an active baseline")
    with connect(url, read_only=True) as warehouse:
        boiler = warehouse.read_seus().query("name.str.startswith('Boiler-1')", engine="python")
    assert sorted(boiler["name"]) == ["Boiler-1", "Boiler-1 natural_gas", "Boiler-1 steam"]
    assert (boiler["baseline_year"] == 2025).all() and boiler["machine_ids"].map(len).eq(1).all()


def test_forecasts_are_backtested_and_chosen_by_mase():
    forecasts = load_frames(PRODUCTS / "forecasts", ["metrics", "forecasts"])
    metrics = forecasts["metrics"]
    day_ahead = metrics[metrics["kind"] == "day_ahead"]
    chosen = day_ahead[day_ahead["chosen"]]
    assert len(chosen) == 6 and chosen.groupby(["machine_id", "energy_type"]).size().eq(1).all()
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
    assert outdated(baselines={"holdout_weeks": 6}) == {"baselines", "anomalies", "kpis", "performance", "publish",
                                                        *reports}
    assert outdated(forecasts={"n_jobs": 1}) == {"forecasts", "performance", "publish", *reports}
    assert outdated(quality={"spike_factor": 3}) == {"quality", "baselines", "anomalies", "forecasts", "kpis",
                                                     "performance", "publish", *reports}
    assert outdated(monitoring={"trigger": "manual"}) == {"performance", "publish", *reports}


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
