"""Shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The tests run on their own plants: a warehouse the user points the pipeline at must not redirect them, nor a
# trigger they give their runs (make run TRIGGER=manual) change what the tests record.
os.environ.pop("ENMS_WAREHOUSE", None)
os.environ.pop("ENMS_TRIGGER", None)


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory) -> str:
    """A three-week demo plant at 15-minute resolution in a DuckDB file; returns its warehouse URL."""
    from enms.cli import main

    path = tmp_path_factory.mktemp("demo") / "small.duckdb"
    assert main(["demo", "--days", "21", "--resolution", "15min", "--out", str(path)]) == 0
    return f"duckdb:{path}"


@pytest.fixture(scope="session")
def test_products() -> Path:
    """The test environment's products after an up-to-date build: the small plant (data/enms-test.duckdb) built
    if absent, then the pipeline of env.test.yaml built in this process (incremental, so the tiers that need it
    share one build and `pytest --pdb` stops inside a failing step). Returns the products folder."""
    from enms.cli import main
    from enms.environments import settings
    from enms.pipeline import make

    assert main(["demo", "--env", "test"]) == 0
    make("test").build()
    return Path(settings("test")["products"])
