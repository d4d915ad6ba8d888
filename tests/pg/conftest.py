"""PostgreSQL fixtures: each test gets a database of its own, created and dropped here (see tests/pgserver.py
for the server and the ENMS_REQUIRE_PG rule)."""

from __future__ import annotations

import pytest
from pgserver import fresh_database


@pytest.fixture
def pg_url():
    """URL of a fresh, empty database, dropped after the test."""
    with fresh_database() as url:
        yield url
