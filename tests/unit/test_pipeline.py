"""The pipeline's entry point: settings merged from the env files, per-notebook code fingerprints."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from enms.environments import ROOT, previous_month, settings, warehouse_name
from enms.pipeline import PACKAGE, code_fingerprint, dag_from_settings, imported_files, last_full_month

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))


def test_each_environment_file_holds_only_what_differs_and_inherits_the_rest():
    demo, test = settings("demo"), settings("test")
    assert test["baselines"] == demo["baselines"] and test["quality"] == demo["quality"]
    assert test["machines"] == "Compressor-1,Boiler-1,HVAC-EU-North,Compressor-EU-1" and demo["machines"] == ""
    assert test["products"] == str(ROOT / "products" / "test") and demo["products"] == str(ROOT / "products" / "demo")
    assert demo["warehouse"] == f"duckdb:{ROOT / 'data' / 'enms.duckdb'}"


def test_the_production_environment_names_the_variable_never_the_url_and_reports_last_month(monkeypatch):
    monkeypatch.setenv("ENMS_DATABASE_URL", "postgresql://enms:s3cret@db:5432/enms")
    pg = settings("pg")
    assert pg["warehouse"] == "env", "the notebooks get the variable's name, so no product holds the password"
    assert "s3cret" not in str(pg)
    assert pg["report"]["period"] == previous_month()


def test_previous_month_wraps_the_year():
    assert previous_month(datetime(2027, 1, 15, tzinfo=UTC)) == "2026-12"
    assert previous_month(datetime(2026, 11, 30, tzinfo=UTC)) == "2026-10"


def test_an_unknown_environment_is_refused():
    with pytest.raises(ValueError, match="unknown environment 'prod'; known: demo, pg, test"):
        settings("prod")


FACTORIES = ["Demo Manufacturing Plant", "European Production Facility"]


def test_every_step_gets_the_fingerprint_of_its_own_notebook():
    dag = dag_from_settings(settings("test"), FACTORIES)
    for name in dag:
        notebook = Path(str(dag[name].source.loc))
        assert dag[name].params["code_version"] == code_fingerprint(notebook), name


def test_each_factory_of_the_warehouse_gets_its_own_report_task():
    dag = dag_from_settings(settings("demo"), ["Alpha Works", "Werk Süd"])
    reports = sorted(name for name in dag if name.startswith("report-"))
    assert reports == ["report-alpha-works", "report-werk-sud"]
    task = dag["report-werk-sud"]
    assert task.params["factory"] == "werk-sud"
    assert str(task.product["html"]) == str(ROOT / "reports" / "werk-sud-2026-10.html")
    assert set(task.upstream) == {"extract", "quality", "baselines", "anomalies", "forecasts", "kpis", "performance"}


def test_editing_a_figure_changes_only_the_fingerprints_of_the_notebooks_that_draw_it(tmp_path):
    package = tmp_path / "enms"
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    before = {nb.stem: code_fingerprint(nb, package) for nb in NOTEBOOKS}
    with (package / "plots.py").open("a", encoding="utf-8") as plots:
        plots.write("\n# a figure was restyled\n")
    after = {nb.stem: code_fingerprint(nb, package) for nb in NOTEBOOKS}
    changed = {name for name in before if before[name] != after[name]}
    drawing = {nb.stem for nb in NOTEBOOKS if package / "plots.py" in imported_files(nb.read_text(), package)}
    assert changed == drawing
    assert "quality" in changed and not {"extract", "publish"} & changed


def test_the_extract_step_depends_on_no_analytics_code():
    files = imported_files((ROOT / "notebooks" / "extract.py").read_text())
    modules = {str(f.relative_to(PACKAGE)) for f in files}
    assert modules and all(m.startswith(("io/", "__init__", "localtime", "frames", "units")) for m in modules), modules


def test_another_warehouse_keeps_the_settings_but_its_own_products_reports_and_machines(monkeypatch):
    monkeypatch.delenv("ENMS_WAREHOUSE", raising=False)
    mine = settings("test", warehouse="duckdb:data/mine.duckdb")
    assert mine["warehouse"] == f"duckdb:{ROOT / 'data' / 'mine.duckdb'}"
    assert mine["products"] == str(ROOT / "products" / "mine")
    assert mine["reports"] == str(ROOT / "products" / "test" / "reports" / "mine")
    assert (mine["machines"], mine["factories"], mine["report"]["period"]) == ("", "", "last")
    assert mine["baselines"] == settings("test")["baselines"]
    monkeypatch.setenv("ENMS_WAREHOUSE", "postgresql://enms@db.example.com:5432/plant")
    pg = settings("demo")
    assert pg["products"] == str(ROOT / "products" / "pg-db.example.com-plant")
    assert pg["reports"] == str(ROOT / "reports" / "pg-db.example.com-plant")
    monkeypatch.setenv("ENMS_WAREHOUSE", "  ")
    assert settings("demo")["products"] == str(ROOT / "products" / "demo")  # blank: the environment's own
    monkeypatch.setenv("ENMS_WAREHOUSE", "duckdb:data/mine.duckdb")
    assert settings("demo", warehouse="")["warehouse"] == f"duckdb:{ROOT / 'data' / 'enms.duckdb'}"  # enms demo's


def test_the_run_trigger_is_scheduled_unless_the_variable_says_manual_and_nothing_else(monkeypatch):
    monkeypatch.delenv("ENMS_TRIGGER", raising=False)
    assert settings("demo")["monitoring"]["trigger"] == "scheduled"
    monkeypatch.setenv("ENMS_TRIGGER", "manual")
    assert settings("test")["monitoring"]["trigger"] == "manual"
    monkeypatch.setenv("ENMS_TRIGGER", "drift_detected")  # the pipeline's own trigger, never a run's
    with pytest.raises(ValueError, match="trigger is 'drift_detected': give one of scheduled, manual"):
        settings("demo")


def test_a_closure_calendar_is_a_path_from_the_project_folder(tmp_path):
    (tmp_path / "env.yaml").write_text((ROOT / "env.yaml").read_text(encoding="utf-8").replace(
        'calendar: ""', 'calendar: "data/closed.csv"'), encoding="utf-8")
    assert settings("demo", tmp_path, warehouse="")["calendar"] == str(tmp_path / "data" / "closed.csv")
    assert settings("demo")["calendar"] == ""


def test_a_warehouse_url_with_a_password_is_refused_before_it_reaches_a_product():
    with pytest.raises(ValueError, match="holds a password") as caught:
        settings("demo", warehouse="postgresql://enms:s3cret@db/plant")
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize("url,name", [("duckdb:/tmp/x/My Meters.duckdb", "My-Meters"),
                                      ("postgresql://u@h/db", "pg-h-db"), ("env", "env")])
def test_warehouse_names_are_file_safe(url, name):
    assert warehouse_name(url) == name


def test_the_last_full_month_allows_a_day_for_the_zone():
    assert last_full_month(pd.Timestamp("2025-02-28 23:00", tz="UTC")) == "2025-02"
    assert last_full_month(pd.Timestamp("2025-02-15", tz="UTC")) == "2025-01"
