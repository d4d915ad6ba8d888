"""The warehouse package: every SQL statement of the project, for DuckDB (embedded default) and PostgreSQL.

:class:`Warehouse` is one class made of its parts: the connection and SQL plumbing (:mod:`.connection`), the
reads (:mod:`.read`), the writes and write-back (:mod:`.write`) and the copy to PostgreSQL (:mod:`.copy`); it
adds the schema (:mod:`.schema`). Open one with :func:`connect`. No module outside this package holds SQL
(tests/unit/test_layers.py checks it).
"""

from __future__ import annotations

from enms.io.warehouse.connection import DUCKDB_LOCK_WAIT_S, WarehouseError, open_connection, redact
from enms.io.warehouse.copy import Copier
from enms.io.warehouse.imports import Importer
from enms.io.warehouse.read import Reader
from enms.io.warehouse.schema import ENUMS, OWN_SCHEMA, TABLES, TIME_SERIES_KEYS, views
from enms.io.warehouse.write import ISO50001_FRAMES as ISO50001_FRAMES
from enms.io.warehouse.write import Writer

ENMS_TABLES: tuple[str, ...] = tuple(table for table in TABLES if "." not in table)
"""The EnMS's own tables (ours live in :data:`OWN_SCHEMA`): what the statements name without a schema."""


class Warehouse(Reader, Importer, Writer, Copier):
    """An open warehouse connection (DuckDB file or PostgreSQL database)."""

    def init_schema(self) -> list[str]:
        """Create what is missing of the EnMS schema, our schema and the aggregate views (idempotent).

        Existing tables, views and materialized views (a live EnMS, its continuous aggregates) are left as they
        are, table by table: on a complete EnMS this only adds our schema; on an older one without the ISO 50001
        tables (07-, 09-, 13-, 15-) it creates those with the EnMS's DDL. Returns the names created.
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
            "on_delete_set_null": "" if duck else " ON DELETE SET NULL",
            # DuckDB cannot update a referenced row's list column (seus.feature_columns): no key to seus there.
            "seu_reference": "" if duck else " REFERENCES seus(id) ON DELETE CASCADE",
        }
        self._check_search_path()
        with self.transaction():
            self.execute(f"CREATE SCHEMA IF NOT EXISTS {self.ident(OWN_SCHEMA)}")
            for enum, labels in ENUMS.items():
                if not self._type_exists(enum):
                    values = ", ".join(map(self.literal, labels))
                    self.execute(f"CREATE TYPE {self.ident(enum)} AS ENUM ({values})")
                    created.append(enum)
            if self.dialect == "duckdb":
                self.execute("CREATE SEQUENCE IF NOT EXISTS energy_forecasts_id_seq")
            for table, columns in TABLES.items():
                if not self.relation_exists(table):
                    key = TIME_SERIES_KEYS.get(table)
                    unique = (f",\n        UNIQUE ({', '.join(map(self.ident, key))})"
                              if key and self.dialect == "postgres" else "")
                    body = columns.format(**fill, unique_time_series=unique)
                    self.execute(f"CREATE TABLE {self.ident(table)} ({body})")
                    created.append(table)
            for view, body in views(self.bucket).items():
                if not self.relation_exists(view):
                    self.execute(f"CREATE VIEW {self.ident(view)} AS {body}")
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
        """Fail clearly when the database does not hold the EnMS tables, or (PostgreSQL) when the URL's
        search_path hides them, naming the tables and the schema that holds them."""
        self._check_search_path()
        if not self.relation_exists("machines"):
            raise WarehouseError(
                f"{redact(self.url)} holds no EnMS tables: run `enms db init` (PostgreSQL) "
                "or `enms demo` (DuckDB demo plant) first."
            )

    def _check_search_path(self) -> None:
        """PostgreSQL: fail when EnMS tables exist only in schemas the session's search_path does not show (the
        statements name them without a schema), e.g. a URL with ``options=-csearch_path%3D…``."""
        if self.dialect != "postgres":
            return
        found = self.query(
            "SELECT c.relname AS name, n.nspname AS schema, pg_catalog.pg_table_is_visible(c.oid) AS visible "
            "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = ANY(%s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')", [list(ENMS_TABLES)])
        visible = set(found.loc[found["visible"].astype(bool), "name"])
        hidden = found[~found["name"].isin(visible)]
        if hidden.empty:
            return
        names = sorted(set(hidden["name"]), key=ENMS_TABLES.index)
        schemas = sorted(set(hidden["schema"]))
        path = self.query("SELECT current_setting('search_path') AS path").at[0, "path"]
        raise WarehouseError(
            f"the EnMS tables {', '.join(names)} of {redact(self.url)} are not visible: they are in schema "
            f"{', '.join(schemas)}, which the search_path ({path}) leaves out: remove the search_path option from "
            f"the URL, or name that schema in it (options=-csearch_path%3D{schemas[0]})"
        )



def connect(url: str | None, *, create: bool = False, read_only: bool = False,
            wait: float = DUCKDB_LOCK_WAIT_S) -> Warehouse:
    """Open the warehouse named by ``url`` (see :mod:`enms.io.warehouse.connection`).

    DuckDB files must exist unless ``create``, and one another process holds is waited for up to ``wait`` s;
    PostgreSQL must answer within 5 s.
    """
    return Warehouse(*open_connection(url, create=create, read_only=read_only, wait=wait))
