"""End to end on the EnMS's own schema: the demo plant's series attached by name to an EnMS installation (its
ids, 10-second machines, tariffs without demand charge, factories without our metadata), the whole pipeline with
the production environment (env.pg.yaml) from extract to publish, and the EnMS's own views reading what we wrote.
A second publish adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from enms.cli import main as enms_main
from enms.environments import settings
from enms.io import load_frames
from enms.pipeline import dag_from_settings, warehouse_outline

MACHINES = "Compressor-1,Boiler-1,HVAC-EU-North,Compressor-EU-1"


def _count(con: psycopg.Connection, statement: str) -> int:
    return con.execute(statement).fetchone()[0]


PASSWORD = "Pw-9f3c-never-in-a-product"


@pytest.fixture(scope="module")
def production_run(fresh_enms_database, test_products, tmp_path_factory) -> Iterator[tuple[str, Path, object]]:
    """The EnMS database after attaching the test plant and one pipeline run of env pg on three of its machines,
    its URL carrying a password (the server trusts local connections, so any password is accepted): the URL, the
    run's folder (products/ and reports/) and DAG."""
    demo = settings("test")["warehouse"]
    assert enms_main(["db", "copy", "--source", demo, "--target", fresh_enms_database, "--attach"]) == 0
    parts = urlsplit(fresh_enms_database)
    url = urlunsplit(parts._replace(netloc=f"{parts.username or 'postgres'}:{PASSWORD}@{parts.hostname}:"
                                           f"{parts.port or 5432}"))
    folder = tmp_path_factory.mktemp("pg-run")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ENMS_DATABASE_URL", url)
        values = {**settings("pg"), "machines": MACHINES, "products": str(folder / "products"),
                  "reports": str(folder / "reports"), "report": {"period": "2026-10"}}
        factories, state = warehouse_outline(values)
        dag = dag_from_settings({**values, "data_state": state}, factories)
        dag.build()
        yield fresh_enms_database, folder, dag


def test_the_password_in_the_url_is_in_no_product_and_no_report(production_run):
    _, folder, _ = production_run
    files = [path for path in folder.rglob("*") if path.is_file()]
    assert len(files) > 50
    leaks = [str(path) for path in files if PASSWORD.encode() in path.read_bytes()]
    assert leaks == []


def test_the_pipeline_runs_on_the_enms_schema_and_reports_each_factory(production_run):
    _, folder, dag = production_run
    assert sorted(n for n in dag if n.startswith("report-")) == ["report-demo-manufacturing-plant",
                                                                  "report-european-production-facility"]
    reports = sorted((folder / "reports").glob("*.html"))
    assert [r.name for r in reports] == ["demo-manufacturing-plant-2026-10.html",
                                         "european-production-facility-2026-10.html"]
    for report in reports:
        html = report.read_text()
        assert "Executive summary" in html and "no demand charge" in html
    quality = load_frames(folder / "products" / "quality", ["summary"])["summary"]
    assert quality["interval_note"].str.contains("declared 10 s").all(), "10 s declared, 15-min readings measured"


def test_what_we_wrote_satisfies_the_enms_and_its_views_show_it(production_run):
    url, folder, _ = production_run
    products = folder / "products"
    baselines = load_frames(products / "baselines", ["energy_baselines_rows"])["energy_baselines_rows"]
    forecasts = load_frames(products / "forecasts", ["energy_forecasts_rows"])["energy_forecasts_rows"]
    with psycopg.connect(url) as con:
        assert _count(con, "SELECT count(*) FROM energy_baselines") == len(baselines) + 1 == 6 + 1  # + the drift's
        assert _count(con, "SELECT count(*) FROM energy_baselines WHERE NOT is_active AND "
                           "metadata->'retraining'->>'trigger' = 'drift_detected'") == 1
        assert _count(con, "SELECT count(*) FROM energy_forecasts") == len(forecasts) == 4 * 168
        assert _count(con, "SELECT count(*) FROM anomalies") > 0
        assert _count(con, "SELECT count(*) FROM v_active_anomalies") == _count(con, "SELECT count(*) FROM anomalies")
        assert _count(con, "SELECT count(*) FROM v_baseline_compliance WHERE model_name IS NOT NULL") == _count(
            con, "SELECT count(*) FROM energy_baselines WHERE is_active")
        assert {name for (name,) in con.execute("SELECT DISTINCT machine_name FROM latest_forecasts")} == set(
            MACHINES.split(","))


def test_the_iso50001_engine_gets_its_seu_models_enpi_tracking_model_health_and_quality_log(production_run):
    """The fixture's SEUs: 'Compressed air' (Compressor-1 and Compressor-EU-1, two factories) and 'Boiler gas'
    (Boiler-1's natural gas) get their daily models and October's EnPI row; the series no SEU covers are listed,
    never created; the monitoring tables hold this run, and the EnMS's own views read them."""
    url, folder, _ = production_run
    performance = load_frames(folder / "products" / "performance")
    with psycopg.connect(url) as con:
        models = con.execute("SELECT name, baseline_year, baseline_start_date, baseline_end_date, r_squared, "
                             "cardinality(feature_columns), regression_coefficients IS NOT NULL, trained_by "
                             "FROM seus ORDER BY name").fetchall()
        assert [m[0] for m in models] == ["Boiler gas", "Compressed air"], "publish creates no SEU"
        for name, year, start, end, r2, features, has_coefficients, trained_by in models:
            assert year == 2025 and start.year == 2025 and 360 <= (end - start).days <= 365, name  # common local days
            assert r2 is not None and features >= 1 and has_coefficients and trained_by.startswith("enms-"), name
        months = con.execute("SELECT s.name, p.period_start, p.period_end, p.iso_status, p.expected_energy_kwh, "
                             "p.baseline_id = b.id FROM enpi_performance p JOIN seus s ON s.id = p.seu_id "
                             "JOIN enpi_baselines b ON b.seu_id = p.seu_id ORDER BY s.name").fetchall()
        assert [(m[0], str(m[1]), str(m[2])) for m in months] == [("Boiler gas", "2026-10-01", "2026-10-31"),
                                                                 ("Compressed air", "2026-10-01", "2026-10-31")]
        assert all(m[3] in ("excellent", "on_track", "requires_attention", "critical") and m[4] > 0 and m[5]
                   for m in months)
        assert _count(con, "SELECT count(*) FROM enpi_baselines") == 2
        missing = sorted(zip(performance["seus_missing"]["machine_name"], performance["seus_missing"]["energy_type"],
                             strict=True))
        assert ("HVAC-EU-North", "electricity") in missing and ("Boiler-1", "electricity") in missing
        for table in ("model_performance_metrics", "model_training_history", "data_quality_log"):
            assert _count(con, f"SELECT count(*) FROM {table}") == len(performance[table]) > 0, table
        assert _count(con, "SELECT count(*) FROM model_training_history WHERE model_id IS NULL "
                           "AND training_status = 'completed'") == 0
        assert _count(con, "SELECT count(*) FROM v_latest_model_performance") > 0
        assert _count(con, "SELECT count(*) FROM v_unresolved_model_alerts") == _count(
            con, "SELECT count(*) FROM model_alerts")


def test_a_second_publish_adds_nothing(production_run):
    url, _, dag = production_run
    tables = ("energy_baselines", "anomalies", "energy_forecasts", "enms_analytics.forecast_vintages", "seus",
              "enpi_baselines", "enpi_performance", "model_performance_metrics", "model_training_history",
              "model_alerts", "data_quality_log")
    with psycopg.connect(url) as con:
        before = {t: _count(con, f"SELECT count(*) FROM {t}") for t in tables}
    dag["publish"].build(force=True)
    with psycopg.connect(url) as con:
        assert {t: _count(con, f"SELECT count(*) FROM {t}") for t in tables} == before
