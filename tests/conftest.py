"""Shared fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory) -> str:
    """A three-week demo plant at 15-minute resolution in a DuckDB file; returns its warehouse URL."""
    from enms.cli import main

    path = tmp_path_factory.mktemp("demo") / "small.duckdb"
    assert main(["demo", "--days", "21", "--resolution", "15min", "--out", str(path)]) == 0
    return f"duckdb:{path}"
