"""The `enms` command."""

from __future__ import annotations

from enms.cli import main


def test_cli_reports_errors_without_traceback(tmp_path, capsys):
    assert main(["extract", "--warehouse", f"duckdb:{tmp_path / 'nope.duckdb'}", "--out", str(tmp_path)]) == 2
    assert "enms extract: error: DuckDB warehouse file" in capsys.readouterr().err
