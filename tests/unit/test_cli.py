"""The `enms` command."""

from __future__ import annotations

import duckdb

from enms.cli import main


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
