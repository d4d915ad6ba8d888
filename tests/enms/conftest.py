"""The conformance tier's fixtures: PostgreSQL databases holding the EnMS's own schema (tests/enms/enms_schema.py),
each of its own name and dropped at the end (server and skip/fail rule: tests/pgserver.py, ENMS_REQUIRE_PG).

- ``enms_database`` (session): the EnMS installed and seeded, then ``enms db init``; its URL. Tests that write
  must leave it as they found it, or use the per-module one.
- ``fresh_enms_database`` (module): the same, fresh for one test module (the end-to-end test attaches the demo
  plant to it and runs the pipeline).
- ``enms_installation``: the context manager behind both, for a test that needs another set-up order.
- ``enms_schema``: the module with the EnMS's DDL, seed ids and names.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from pgserver import fresh_database

from enms.io import connect


def _load_schema() -> ModuleType:
    # tests/enms cannot be imported as a package: ``enms`` is the project's own package.
    name = "enms_conformance_schema"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("enms_schema.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


SCHEMA = _load_schema()


@contextlib.contextmanager
def enms_installation(order: str = "enms-first", *, seed: bool = True) -> Iterator[str]:
    """A fresh database with the EnMS installed and ``enms db init`` run, in ``order`` ('enms-first' or
    'ours-first'); fails on any error of either. Yields the URL; the database is dropped on exit."""
    with fresh_database("enms_conformance") as url:
        if order == "ours-first":
            with connect(url) as warehouse:
                warehouse.init_schema()
        errors = SCHEMA.install(url, seed=seed)
        assert errors == [], f"the EnMS's installation failed ({order}):\n" + "\n".join(errors)
        if order == "enms-first":
            with connect(url) as warehouse:
                warehouse.init_schema()
        yield url


@pytest.fixture(scope="session")
def enms_schema() -> ModuleType:
    return SCHEMA


@pytest.fixture(scope="session")
def enms_database() -> Iterator[str]:
    with enms_installation() as url:
        yield url


@pytest.fixture(scope="module")
def fresh_enms_database() -> Iterator[str]:
    with enms_installation() as url:
        yield url


@pytest.fixture(scope="session")
def make_enms_database():
    """``enms_installation`` itself, for a test that builds its own database (any order)."""
    return enms_installation
