"""The tiny plant in a DuckDB warehouse, for the io tests."""

from __future__ import annotations

import pytest
from plants import tiny_plant, tiny_sources

from enms.io import connect


@pytest.fixture
def warehouse(tmp_path):
    with connect(f"duckdb:{tmp_path / 'tiny.duckdb'}", create=True) as opened:
        opened.load([*tiny_plant(), ("energy_sources", tiny_sources())], progress=lambda _: None)
        yield opened
