"""Small import files written by each test, and the warehouses they go into (DuckDB; PostgreSQL where marked)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from pgserver import fresh_database

from enms.io.imports import Layout, Outcome, Request, open_target, run

TZ = "America/Los_Angeles"


@pytest.fixture
def write(tmp_path) -> Callable[..., Path]:
    """``write(text, name)``: a file of that text (lines stripped of the test's indentation) in tmp_path."""

    def _write(text: str, name: str = "site.csv") -> Path:
        path = tmp_path / name
        path.write_text("\n".join(line.strip() for line in text.strip().splitlines()) + "\n", encoding="utf-8")
        return path

    return _write


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.pg)])
def url(request, tmp_path) -> str:
    """An empty warehouse: a DuckDB file not yet created, or a fresh PostgreSQL database."""
    if request.param == "duckdb":
        yield f"duckdb:{tmp_path / 'mine.duckdb'}"
        return
    with fresh_database("enms_import") as database:
        yield database


def _request_for(kind: str, path: Path, *, factory: str = "Site", tz: str = TZ, layout: Layout | None = None,
                 **options) -> Request:
    return Request(kind, path, factory, tz, layout=layout or Layout(), **options)


def _do_import(url: str, kind: str, path: Path, **options) -> Outcome:
    return run(url, _request_for(kind, path, **options))


def _table(url: str, name: str, order: str = "machine_id, time") -> pd.DataFrame:
    with open_target(url, "meters") as warehouse:
        return warehouse.query(f"SELECT * FROM {name} ORDER BY {order}")


@pytest.fixture
def request_for() -> Callable[..., Request]:
    """``request_for(kind, path, **options)``: a Request for factory 'Site' in Los Angeles unless told."""
    return _request_for


@pytest.fixture
def do_import() -> Callable[..., Outcome]:
    """``do_import(url, kind, path, **options)``: one `enms import` of ``path`` into ``url``."""
    return _do_import


@pytest.fixture
def table() -> Callable[..., pd.DataFrame]:
    """``table(url, name, order)``: all rows of a table as stored, in a stable order."""
    return _table
