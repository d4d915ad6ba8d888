"""Opening a warehouse and the SQL plumbing both dialects share (placeholders, transactions, reads in blocks).

A warehouse is named by a URL: ``duckdb:data/enms.duckdb`` (or a plain ``*.duckdb`` path) or
``postgresql://user@host:port/db``. The word ``env`` (or None) means "take ``ENMS_DATABASE_URL``"; a missing or
empty variable is an error, never a silent fallback to DuckDB, and so is an empty warehouse parameter.

Identifiers in SQL text are quoted here, in one place (:meth:`Connection.ident`: psycopg's ``sql.Identifier`` on
PostgreSQL, doubled quotes on DuckDB); values are always bound parameters.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

import duckdb
import pandas as pd
import psycopg
from psycopg import sql

DATABASE_URL_VARIABLE = "ENMS_DATABASE_URL"
_PG_ORIGIN = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"
_BUCKET_WIDTHS = frozenset({"15 minutes", "1 hour", "1 day"})
DUCKDB_LOCK_WAIT_S = 60.0
"""How long opening a DuckDB file another process holds waits for it (s): a publish or an extract takes less."""


class WarehouseError(RuntimeError):
    """The warehouse cannot be reached, opened or read as asked; the message says what to do."""


class UnknownNameError(ValueError):
    """A machine or factory named in a parameter does not exist in the warehouse."""


_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def resolve_url(url: str | None) -> str:
    """Turn a warehouse parameter into a URL; ``env`` (or None) reads ``ENMS_DATABASE_URL``.

    An empty parameter is an error, not the variable: a blank setting must not send a run to PostgreSQL.
    """
    if url is not None and not url.strip():
        raise WarehouseError("warehouse is empty: give a duckdb: path, a postgresql:// URL or env "
                             f"(which reads {DATABASE_URL_VARIABLE})")
    if url is None or url.strip() == "env":
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


def quote_duckdb(name: str) -> str:
    """A possibly schema-qualified name quoted for DuckDB (each part in double quotes, inner quotes doubled)."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))


def open_connection(url: str | None, *, create: bool = False, read_only: bool = False,
                    wait: float = DUCKDB_LOCK_WAIT_S) -> tuple[str, str, Any]:
    """Open the database named by ``url`` → (url, dialect, driver connection), both sessions in UTC.

    DuckDB files must exist unless ``create``; one another process holds is waited for up to ``wait`` s (DuckDB
    lets one process open a file for writing). PostgreSQL must answer within 5 s.
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
    con = _open_duckdb(path, read_only=read_only and path.exists(), wait=wait)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET memory_limit = '1GB'")
    return f"duckdb:{path}", "duckdb", con


def _open_duckdb(path: Path, *, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    """Connect, retrying while another process holds the file's lock, for at most ``wait`` s."""
    deadline = time.monotonic() + wait
    pause = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise WarehouseError(f"cannot open DuckDB warehouse file {path}: {error}") from error
            if time.monotonic() >= deadline:
                holder = re.search(r"\(PID (\d+)\)", str(error))
                raise WarehouseError(
                    f"DuckDB warehouse file {path} is still held by another process"
                    f"{f' (PID {holder[1]})' if holder else ''} after {wait:g} s: DuckDB lets one process at a "
                    "time open it for writing; wait until that run or `enms` command ends, or stop it, then retry"
                ) from error
        except duckdb.Error as error:
            raise WarehouseError(f"cannot open DuckDB warehouse file {path}: {error}") from error
        time.sleep(min(pause, max(deadline - time.monotonic(), 0)))
        pause = min(pause * 2, 1.0)


def _server(url: str) -> str:
    """``host:port/database`` of a PostgreSQL URL, for messages (no user, no password, no query)."""
    parts = urlsplit(url)
    hosts = parts.netloc.rpartition("@")[2] or "localhost"
    return f"{hosts if ':' in hosts.rpartition(']')[2] else f'{hosts}:5432'}{parts.path}"


def _check_postgres_url(url: str) -> None:
    """Fail, naming the setting, on a port that is not a number from 1 to 65535 (libpq's own message does not
    say where the value came from). Each host of a multi-host URL (``h1:5432,h2:5433``) is checked."""
    for host in urlsplit(url).netloc.rpartition("@")[2].split(","):
        port = host.rpartition("]")[2].partition(":")[2]
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            raise WarehouseError(
                f"the port {port!r} in the PostgreSQL URL {redact(url)} is not a number from 1 to 65535: write "
                f"it as postgresql://user@host:5432/database (5432 is PostgreSQL's default), in the warehouse "
                f"setting or {DATABASE_URL_VARIABLE}"
            )


def _open_postgres(url: str) -> psycopg.Connection:
    _check_postgres_url(url)
    try:
        con = psycopg.connect(url, connect_timeout=5, autocommit=True)
    except psycopg.Error as error:
        raise WarehouseError(
            f"PostgreSQL at {_server(url)} did not answer ({redact(url)}): {str(error).strip()}"
        ) from error
    con.execute("SET TIME ZONE 'UTC'")
    return con


@dataclass
class Connection:
    """An open DuckDB file or PostgreSQL database: statements with bound parameters, in either dialect."""

    url: str
    dialect: str  # "duckdb" | "postgres"
    connection: Any
    _depth: int = field(default=0, init=False, repr=False)  # DuckDB: open transaction() blocks

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All statements inside commit together or not at all. Nested blocks join the outer transaction
        (PostgreSQL: as a savepoint; DuckDB, which has none: as part of it)."""
        if self.dialect == "postgres":
            with self.connection.transaction():
                yield
            return
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.connection.execute("BEGIN TRANSACTION")
        self._depth = 1
        try:
            yield
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0
        self.connection.execute("COMMIT")

    def ident(self, name: str) -> str:
        """A table or column name (``schema.name`` allowed) quoted for this dialect's SQL text."""
        if self.dialect == "duckdb":
            return quote_duckdb(name)
        return sql.Identifier(*name.split(".")).as_string(self.connection)

    def literal(self, value: str) -> str:
        """A string as an SQL literal, for the DDL that cannot take parameters (enum labels)."""
        if self.dialect == "duckdb":
            return "'" + value.replace("'", "''") + "'"
        return sql.Literal(value).as_string(self.connection)

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
        """SQL for the UTC-aligned bucket start of ``column`` (width '15 minutes', '1 hour' or '1 day')."""
        if width not in _BUCKET_WIDTHS:
            raise ValueError(f"bucket width {width!r} is not one of {', '.join(sorted(_BUCKET_WIDTHS))}")
        column = self.ident(column)
        if self.dialect == "duckdb":
            return f"time_bucket(INTERVAL '{width}', {column}, 'UTC')"
        return f"date_bin(INTERVAL '{width}', {column}, {_PG_ORIGIN})"

    def relation_exists(self, name: str) -> bool:
        """Whether a table, view or materialized view of that name exists (``schema.name``; without a schema:
        DuckDB's main, PostgreSQL's search_path, where the statements find it).

        PostgreSQL: pg_class, because information_schema.tables does not list materialized views (the EnMS's
        continuous aggregates without TimescaleDB are often those).
        """
        if self.dialect == "duckdb":
            schema, _, table = name.rpartition(".")
            frame = self.query(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = %s",
                [schema or "main", table])
        else:
            frame = self.query(
                "SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = to_regclass(%s) "
                "AND c.relkind IN ('r', 'p', 'v', 'm', 'f')", [self.ident(name)])
        return not frame.empty

    def columns_of(self, name: str) -> list[str]:
        """Column names of a table, view or materialized view, in order (pg_attribute on PostgreSQL, which,
        unlike information_schema.columns, lists a materialized view's)."""
        if self.dialect == "duckdb":
            schema, _, table = name.rpartition(".")
            frame = self.query(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
                "ORDER BY ordinal_position", [schema or "main", table])
        else:
            frame = self.query(
                "SELECT a.attname AS column_name FROM pg_catalog.pg_attribute a "
                "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped "
                "ORDER BY a.attnum", [self.ident(name)])
        return frame["column_name"].tolist()

    def _count(self, table: str) -> int:
        return int(self.query(f"SELECT count(*) AS n FROM {self.ident(table)}").at[0, "n"])
