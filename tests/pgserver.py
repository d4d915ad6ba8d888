"""The PostgreSQL server of the test tiers (tests/pg, tests/enms): fresh databases, created and dropped here.

The server comes from ENMS_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres). Where none
answers the tests skip with the reason, unless ENMS_REQUIRE_PG=1 (CI), where they fail.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

ADMIN_URL = os.environ.get("ENMS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def admin_connection() -> psycopg.Connection:
    """A connection to the server's admin database; skips (or fails under ENMS_REQUIRE_PG=1) without a server."""
    try:
        return psycopg.connect(ADMIN_URL, connect_timeout=3, autocommit=True)
    except psycopg.Error as error:
        reason = f"no PostgreSQL at {ADMIN_URL}: {str(error).strip()}"
        if os.environ.get("ENMS_REQUIRE_PG") == "1":
            pytest.fail(f"ENMS_REQUIRE_PG=1 but {reason}")
        pytest.skip(reason)


@contextlib.contextmanager
def fresh_database(prefix: str = "enms_test") -> Iterator[str]:
    """URL of a new, empty database of its own name, dropped (even with open sessions) on exit."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(ADMIN_URL)._replace(path=f"/{name}"))
    finally:
        with admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
