"""The warehouse package: every SQL statement of the project, for DuckDB (embedded default) and PostgreSQL.

:class:`Warehouse` is one class made of its parts: the connection and SQL plumbing (:mod:`.connection`), the
reads (:mod:`.read`), the writes and write-back (:mod:`.write`) and the copy to PostgreSQL (:mod:`.copy`); it
adds the schema (:mod:`.schema`). Open one with :func:`connect`. No module outside this package holds SQL
(tests/unit/test_layers.py checks it).
"""

from __future__ import annotations

from enms.io.warehouse.connection import WarehouseError, open_connection, redact
from enms.io.warehouse.copy import Copier
from enms.io.warehouse.read import Reader
from enms.io.warehouse.schema import ENUMS, OWN_SCHEMA, TABLES, TIME_SERIES_KEYS, views
from enms.io.warehouse.write import Writer


class Warehouse(Reader, Writer, Copier):
    """An open warehouse connection (DuckDB file or PostgreSQL database)."""

    def init_schema(self) -> list[str]:
        """Create what is missing of the EnMS schema, our schema and the aggregate views (idempotent).

        Existing tables, views and materialized views (a live EnMS, its continuous aggregates) are left as they
        are: on an EnMS this only adds our schema. Returns the names created.
        """
        created = []
        duck = self.dialect == "duckdb"
        fill = {
            "uuid_default": "gen_random_uuid()",
            "json": "JSON" if duck else "JSONB",
            "empty_json": "'{}'::JSON" if duck else "'{}'::JSONB",
            "now": "current_timestamp",
            "bigserial": "BIGINT DEFAULT nextval('energy_forecasts_id_seq')" if duck else "BIGSERIAL",
            # DuckDB refuses ON DELETE actions; its foreign keys are checks only.
            "on_delete_cascade": "" if duck else " ON DELETE CASCADE",
            "on_delete_restrict": "" if duck else " ON DELETE RESTRICT",
        }
        with self.transaction():
            self.execute(f"CREATE SCHEMA IF NOT EXISTS {OWN_SCHEMA}")
            for enum, labels in ENUMS.items():
                if not self._type_exists(enum):
                    values = ", ".join(f"'{label}'" for label in labels)
                    self.execute(f"CREATE TYPE {enum} AS ENUM ({values})")
                    created.append(enum)
            if self.dialect == "duckdb":
                self.execute("CREATE SEQUENCE IF NOT EXISTS energy_forecasts_id_seq")
            for table, columns in TABLES.items():
                if not self.relation_exists(table):
                    key = TIME_SERIES_KEYS.get(table)
                    unique = f",\n        UNIQUE ({', '.join(key)})" if key and self.dialect == "postgres" else ""
                    self.execute(f"CREATE TABLE {table} ({columns.format(**fill, unique_time_series=unique)})")
                    created.append(table)
            for view, body in views(self.bucket).items():
                if not self.relation_exists(view):
                    self.execute(f"CREATE VIEW {view} AS {body}")
                    created.append(view)
        return created

    def _type_exists(self, name: str) -> bool:
        if self.dialect == "duckdb":
            found = self.query("SELECT 1 FROM duckdb_types() WHERE type_name = %s", [name])
        else:
            found = self.query("SELECT 1 FROM pg_type WHERE typname = %s", [name])
        return not found.empty

    def checkpoint(self) -> None:
        """DuckDB: write the log into the database file, so the file is complete on its own (before a rename)."""
        if self.dialect == "duckdb":
            self.execute("CHECKPOINT")

    def require_schema(self) -> None:
        """Fail clearly when the database does not hold the EnMS tables."""
        if not self.relation_exists("machines"):
            raise WarehouseError(
                f"{redact(self.url)} holds no EnMS tables: run `enms db init` (PostgreSQL) "
                "or `enms demo` (DuckDB demo plant) first."
            )



def connect(url: str | None, *, create: bool = False, read_only: bool = False) -> Warehouse:
    """Open the warehouse named by ``url`` (see :mod:`enms.io.warehouse.connection`).

    DuckDB files must exist unless ``create``; PostgreSQL must answer within 5 s.
    """
    return Warehouse(*open_connection(url, create=create, read_only=read_only))
