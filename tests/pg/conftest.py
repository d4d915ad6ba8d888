"""PostgreSQL fixtures: each test module gets a database of its own, created and dropped here.

The server comes from ENMS_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres). Where none
answers the tests skip with the reason, unless ENMS_REQUIRE_PG=1 (CI), where they fail.
"""

from __future__ import annotations

import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

ADMIN_URL = os.environ.get("ENMS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _admin_connection() -> psycopg.Connection:
    try:
        return psycopg.connect(ADMIN_URL, connect_timeout=3, autocommit=True)
    except psycopg.Error as error:
        reason = f"no PostgreSQL at {ADMIN_URL}: {str(error).strip()}"
        if os.environ.get("ENMS_REQUIRE_PG") == "1":
            pytest.fail(f"ENMS_REQUIRE_PG=1 but {reason}")
        pytest.skip(reason)


@pytest.fixture
def pg_url():
    """URL of a fresh, empty database, dropped after the test."""
    name = f"enms_test_{uuid.uuid4().hex[:12]}"
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(ADMIN_URL)
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
