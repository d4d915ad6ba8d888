"""The `enms` command."""

from __future__ import annotations

import duckdb
import pytest

from enms.cli import check_period, main


def test_cli_reports_errors_without_traceback(tmp_path, capsys):
    assert main(["extract", "--warehouse", f"duckdb:{tmp_path / 'nope.duckdb'}", "--out", str(tmp_path)]) == 2
    assert "enms extract: error: DuckDB warehouse file" in capsys.readouterr().err


def test_a_refused_connection_is_one_line_with_a_hint_and_no_password(capsys, monkeypatch):
    """Port 1 refuses: psycopg's two-line message becomes one line; the password given is never printed."""
    monkeypatch.setenv("ENMS_DATABASE_URL", "postgresql://enms:s3cret-pw@127.0.0.1:1/enms")
    assert main(["db", "init", "--url", "env"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("enms db init: error: PostgreSQL at 127.0.0.1:1/enms did not answer")
    assert "Connection refused Is the server running" in err
    assert err.rstrip().endswith("check that the server runs and that the host, port, database and password in the "
                                 "URL (ENMS_DATABASE_URL) are right")
    assert "s3cret-pw" not in err and "enms:***@" in err


def test_a_duckdb_file_without_a_table_is_one_line(tmp_path, capsys):
    path = tmp_path / "partial.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE machines (id INTEGER)")
    assert main(["info", "--warehouse", f"duckdb:{path}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("enms info: error: DuckDB: Catalog Error: Table with name energy_readings does not exist!")
    assert err.rstrip().endswith("the DuckDB file lacks a table: rebuild it with `enms demo --force`")


@pytest.mark.parametrize(("period", "period_end", "message"), [
    ("2025-13", "", "--period (PERIOD) '2025-13' is not a local month or date: give PERIOD=YYYY-MM (a local month, "
                    "e.g. 2025-10) or PERIOD=YYYY-MM-DD PERIOD_END=YYYY-MM-DD (end exclusive)"),
    ("yesterday", "", "--period (PERIOD) 'yesterday' is not a local month or date: give PERIOD=YYYY-MM"),
    ("2025-10-01", "", "--period (PERIOD) 2025-10-01 is a day: give --period-end (PERIOD_END) too, or a month "
                       "PERIOD=2025-10"),
    ("2025-10-01", "2025-10-32", "--period-end (PERIOD_END) '2025-10-32' is not a local month or date"),
    ("2025-10-08", "2025-10-01", "--period-end (PERIOD_END) 2025-10-01 is not after --period (PERIOD) 2025-10-08"),
    ("2025-10", "2025-11-01", "--period (PERIOD) 2025-10 is a whole month: leave --period-end (PERIOD_END) empty"),
])
def test_a_bad_report_period_is_one_line_before_any_notebook_runs(capsys, monkeypatch, period, period_end, message):
    import enms.pipeline

    monkeypatch.setattr(enms.pipeline, "render_report", lambda *a, **k: pytest.fail("the report was started"))
    assert main(["report", "--env", "test", "--factory", "demo-manufacturing-plant", "--period", period,
                 "--period-end", period_end]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"enms report: error: {message}")


def test_a_good_report_period_passes_the_check():
    check_period("2025-10")
    check_period(" 2025-10-01 ", "2025-10-08")


def test_an_empty_warehouse_option_is_one_line(capsys, monkeypatch):
    monkeypatch.setenv("ENMS_DATABASE_URL", "postgresql://enms:s3cret@127.0.0.1:1/enms")
    assert main(["info", "--warehouse", " "]) == 2
    assert capsys.readouterr().err == ("enms info: error: warehouse is empty: give a duckdb: path, a postgresql:// "
                                       "URL or env (which reads ENMS_DATABASE_URL)\n")


def test_a_port_that_is_not_a_number_is_one_line(capsys, monkeypatch):
    monkeypatch.setenv("ENMS_DATABASE_URL", "postgresql://enms:s3cret@localhost:abc/enms")
    assert main(["db", "init"]) == 2
    err = capsys.readouterr().err
    assert err == ("enms db init: error: the port 'abc' in the PostgreSQL URL postgresql://enms:***@localhost:abc/enms "
                   "is not a number from 1 to 65535: write it as postgresql://user@host:5432/database (5432 is "
                   "PostgreSQL's default), in the warehouse setting or ENMS_DATABASE_URL\n")


@pytest.mark.parametrize(("line", "expected"), [('warehouse: ""', None), ("warehouse: '  '", None),
                                                 ("warehouse:", "env"), ("warehouse: env", "env")])
def test_an_empty_warehouse_setting_is_refused_and_an_absent_one_is_the_variable(tmp_path, line, expected):
    """The settings `enms demo`, `enms report` and the pipeline read (enms.environments)."""
    from enms.environments import settings

    (tmp_path / "env.yaml").write_text(f"{line}\nproducts: p\nreports: r\nreport:\n  period: '2026-10'\n")
    if expected is None:
        with pytest.raises(ValueError, match=r"^warehouse is empty in env\.yaml: give a duckdb: path, a "
                                             r"postgresql:// URL or env \(which reads ENMS_DATABASE_URL\)$"):
            settings("demo", root=tmp_path)
    else:
        assert settings("demo", root=tmp_path)["warehouse"] == expected
