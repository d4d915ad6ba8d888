"""Opening a warehouse and the SQL plumbing both dialects share (placeholders, transactions, reads in blocks).

A warehouse is named by a URL: ``duckdb:data/enms.duckdb`` (or a plain ``*.duckdb`` path) or
``postgresql://user@host:port/db``. The word ``env`` means "take ``ENMS_DATABASE_URL``"; a missing or
empty variable is an error, never a silent fallback to DuckDB.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

import duckdb
import pandas as pd
import psycopg

DATABASE_URL_VARIABLE = "ENMS_DATABASE_URL"
_PG_ORIGIN = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"


class WarehouseError(RuntimeError):
    """The warehouse cannot be reached, opened or read as asked; the message says what to do."""


class UnknownNameError(ValueError):
    """A machine or factory named in a parameter does not exist in the warehouse."""


_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def resolve_url(url: str | None) -> str:
    """Turn a warehouse parameter into a URL; ``env`` (or None) reads ``ENMS_DATABASE_URL``."""
    if url is None or url.strip() in ("", "env"):
        value = os.environ.get(DATABASE_URL_VARIABLE, "").strip()
        if not value:
            raise WarehouseError(
                f"{DATABASE_URL_VARIABLE} is not set (or empty): set it to the PostgreSQL URL, e.g. "
                f"postgresql://enms@db.example:5432/enms, or use the DuckDB default (env.yaml)."
            )
        return value
    return url.strip()


def redact(url: str) -> str:
    """``url`` with its password masked, in the user part (``user:***@``) and in the query (``password=***``)."""
    parts = urlsplit(url)
    if parts.password:
        url = url.replace(f":{parts.password}@", ":***@")
    return _QUERY_PASSWORD.sub(r"\1***", url)


def open_connection(url: str | None, *, create: bool = False, read_only: bool = False) -> tuple[str, str, Any]:
    """Open the database named by ``url`` → (url, dialect, driver connection), both sessions in UTC.

    DuckDB files must exist unless ``create``; PostgreSQL must answer within 5 s.
    """
    url = resolve_url(url)
    if url.startswith(("postgresql://", "postgres://")):
        return url, "postgres", _open_postgres(url)
    path = Path(url.removeprefix("duckdb:").removeprefix("//"))
    if not create and not path.exists():
        raise WarehouseError(
            f"DuckDB warehouse file {path} does not exist: build the demo plant with `make data` "
            f"(or `enms demo --out {path}`), or point the pipeline at PostgreSQL."
        )
    try:
        con = duckdb.connect(str(path), read_only=read_only and path.exists())
    except duckdb.Error as error:
        raise WarehouseError(f"cannot open DuckDB warehouse file {path}: {error}") from error
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET memory_limit = '1GB'")
    return f"duckdb:{path}", "duckdb", con


def _open_postgres(url: str) -> psycopg.Connection:
    parts = urlsplit(url)
    try:
        con = psycopg.connect(url, connect_timeout=5, autocommit=True)
    except psycopg.Error as error:
        raise WarehouseError(
            f"PostgreSQL at {parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path} did not answer "
            f"({redact(url)}): {str(error).strip()}"
        ) from error
    con.execute("SET TIME ZONE 'UTC'")
    return con


@dataclass
class Connection:
    """An open DuckDB file or PostgreSQL database: statements with bound parameters, in either dialect."""

    url: str
    dialect: str  # "duckdb" | "postgres"
    connection: Any

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All statements inside commit together or not at all."""
        if self.dialect == "duckdb":
            self.connection.execute("BEGIN TRANSACTION")
            try:
                yield
            except BaseException:
                self.connection.execute("ROLLBACK")
                raise
            self.connection.execute("COMMIT")
        else:
            with self.connection.transaction():
                yield

    def _sql(self, statement: str) -> str:
        return statement.replace("%s", "?") if self.dialect == "duckdb" else statement

    def _json(self) -> str:
        return "JSON" if self.dialect == "duckdb" else "JSONB"

    def execute(self, statement: str, params: Iterable[Any] = ()) -> None:
        if self.dialect == "duckdb":
            self.connection.execute(self._sql(statement), list(params))
        else:
            with self.connection.cursor() as cur:
                cur.execute(statement, list(params))

    def query(self, statement: str, params: Iterable[Any] = ()) -> pd.DataFrame:
        """Run a SELECT and return a frame (PostgreSQL: a server-side cursor, fetched in blocks)."""
        if self.dialect == "duckdb":
            return self.connection.execute(self._sql(statement), list(params)).df()
        blocks = []
        with self.connection.transaction(), self.connection.cursor(name="enms_read") as cur:
            cur.itersize = 50_000
            cur.execute(statement, list(params))
            columns = [c.name for c in cur.description]
            while rows := cur.fetchmany(50_000):
                blocks.append(pd.DataFrame(rows, columns=columns))
        return pd.concat(blocks, ignore_index=True) if blocks else pd.DataFrame(columns=columns)

    def bucket(self, width: str, column: str = "time") -> str:
        """SQL for the UTC-aligned bucket start of ``column`` (width like '1 hour', '15 minutes')."""
        if self.dialect == "duckdb":
            return f"time_bucket(INTERVAL '{width}', {column}, 'UTC')"
        return f"date_bin(INTERVAL '{width}', {column}, {_PG_ORIGIN})"

    def relation_exists(self, name: str) -> bool:
        """Whether a table, view or materialized view of that name exists (``schema.name``, default public/main).

        PostgreSQL: pg_class, because information_schema.tables does not list materialized views (the EnMS's
        continuous aggregates without TimescaleDB are often those).
        """
        schema, _, table = name.rpartition(".")
        if self.dialect == "duckdb":
            frame = self.query(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = %s",
                [schema or "main", table])
        else:
            frame = self.query(
                "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
                [schema or "public", table])
        return not frame.empty

    def columns_of(self, name: str) -> list[str]:
        """Column names of a table, view or materialized view, in order (pg_attribute on PostgreSQL, which,
        unlike information_schema.columns, lists a materialized view's)."""
        schema, _, table = name.rpartition(".")
        if self.dialect == "duckdb":
            frame = self.query(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
                "ORDER BY ordinal_position", [schema or "main", table])
        else:
            frame = self.query(
                "SELECT a.attname AS column_name FROM pg_catalog.pg_attribute a "
                "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
                "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped "
                "ORDER BY a.attnum", [schema or "public", table])
        return frame["column_name"].tolist()

    def _count(self, table: str) -> int:
        return int(self.query(f"SELECT count(*) AS n FROM {table}").at[0, "n"])
