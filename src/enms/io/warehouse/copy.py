"""Copying a DuckDB warehouse (the demo plant) into PostgreSQL with COPY, in one transaction.

Two ways in:

- **copy** (an empty database): every table but the pipeline's output, with the demo's ids. The ids of the
  dimension rows it creates are recorded in ``enms_analytics.copies``, so ``--replace`` deletes exactly those
  (and what hangs on them) and refuses a database holding any factory, machine, energy source, tariff or carbon
  factor it did not create.
- **attach** (an EnMS that already has its factories and machines): only the demo's time series and our truth
  tables, with ``machine_id`` rewritten to the EnMS's machine of the same factory name and machine name.
  Rows go through a staging table and ``INSERT … ON CONFLICT DO NOTHING``, so a rerun adds nothing and the
  EnMS's own rows are never deleted or changed. Machines without a namesake are listed and skipped, not guessed.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from psycopg import sql

from enms.io.warehouse.connection import Connection, WarehouseError, quote_duckdb, redact
from enms.io.warehouse.schema import LOAD_ORDER, OWN_SCHEMA

if TYPE_CHECKING:
    from enms.io.warehouse import Warehouse

_ARRAY_COLUMNS = {"applicable_days", "feature_names", "machine_ids", "feature_columns", "issues"}

# The EnMS's reference rows: attach never touches them; copy records the ones it creates.
DIMENSIONS: tuple[str, ...] = ("factories", "machines", "energy_sources", "energy_tariffs", "carbon_factors")
# What each dimension row is called in a message.
_LABELS: dict[str, str] = {
    "factories": "name",
    "machines": "name || ' (' || (SELECT f.name FROM factories f WHERE f.id = factory_id) || ')'",
    "energy_sources": "name",
    "energy_tariffs": "name",
    "carbon_factors": "region",
}
SERIES: tuple[str, ...] = ("energy_readings", "production_data", "environmental_data", "machine_status")
# Written by the pipeline, not by the plant: attach leaves them for the pipeline run on the EnMS to fill.
PIPELINE_OUTPUT: frozenset[str] = frozenset(
    {"energy_baselines", "anomalies", "energy_forecasts", f"{OWN_SCHEMA}.forecast_vintages", "enpi_baselines",
     "enpi_performance", "model_performance_metrics", "model_training_history", "model_alerts", "data_quality_log"}
)
COPIES = f"{OWN_SCHEMA}.copies"
_COPIES_DDL = sql.SQL("""CREATE TABLE IF NOT EXISTS {} (
    id BIGSERIAL PRIMARY KEY,
    copied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    mode VARCHAR(10) NOT NULL,
    source TEXT NOT NULL,
    created JSONB NOT NULL,
    counts JSONB NOT NULL)""")
_STAGE = "enms_copy_stage"
_MAP = "enms_copy_machine_map"
_SHOWN = 5  # names listed per table in a refusal; the rest are counted


@dataclass
class Attached:
    """What an attach did: rows per table and the machines matched or not, as (factory, machine) names."""

    matched: list[tuple[str, str]]
    unmatched: list[tuple[str, str]]  # the demo's machines the EnMS does not have: skipped
    without_data: list[tuple[str, str]]  # the EnMS's machines the demo does not have
    rows: dict[str, dict[str, int]] = field(default_factory=dict)  # table -> staged, added, present, skipped


def _ident(name: str) -> sql.Identifier:
    """A possibly schema-qualified table name, quoted for PostgreSQL."""
    return sql.Identifier(*name.split("."))


def names_of(pairs: list[tuple[str, str]]) -> str:
    """(factory, machine) pairs as 'machine (factory), …', or 'none'."""
    return ", ".join(f"{machine} ({factory})" for factory, machine in pairs) or "none"


def machines_by_name(warehouse: Connection) -> pd.DataFrame:
    """Every machine with its factory's name: columns factory, machine, id (text)."""
    return warehouse.query(
        "SELECT f.name AS factory, m.name AS machine, CAST(m.id AS VARCHAR) AS id "
        "FROM machines m JOIN factories f ON f.id = m.factory_id ORDER BY 1, 2"
    )


def tables_with_column(target: Connection, column: str) -> list[str]:
    """The target's base tables (public and our schema) that have ``column``, schema-qualified where ours."""
    frame = target.query(
        "SELECT c.table_schema, c.table_name FROM information_schema.columns c "
        "JOIN information_schema.tables t USING (table_schema, table_name) "
        "WHERE c.column_name = %s AND t.table_type = 'BASE TABLE' AND c.table_schema IN ('public', %s) "
        "ORDER BY 1, 2",
        [column, OWN_SCHEMA],
    )
    return [t if s == "public" else f"{s}.{t}" for s, t in zip(frame["table_schema"], frame["table_name"], strict=True)]


def created_by_copies(target: Connection) -> dict[str, set[str]]:
    """Ids of the dimension rows earlier copies created, per table (empty before the first copy)."""
    created: dict[str, set[str]] = {table: set() for table in DIMENSIONS}
    frame = target.query(f"SELECT created FROM {target.ident(COPIES)} WHERE mode = 'copy'")
    for record in frame["created"]:
        for table, ids in (json.loads(record) if isinstance(record, str) else record).items():
            created.setdefault(table, set()).update(ids)
    return created


def rows_not_created_by_us(target: Connection, created: dict[str, set[str]]) -> dict[str, list[str]]:
    """The target's dimension rows no copy created, named per table (the EnMS's own rows)."""
    foreign: dict[str, list[str]] = {}
    for table in DIMENSIONS:
        if not target.relation_exists(table):
            continue
        frame = target.query(
            sql.SQL("SELECT CAST(id AS TEXT) AS id, {} AS label FROM {} ORDER BY 2")
            .format(sql.SQL(_LABELS[table]), _ident(table)).as_string(target.connection)
        )
        names = [str(label) for id_, label in zip(frame["id"], frame["label"], strict=True)
                 if id_ not in created[table]]
        if names:
            foreign[table] = names
    return foreign


def _describe(foreign: dict[str, list[str]]) -> str:
    parts = []
    for table, names in foreign.items():
        more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
        parts.append(f"{table}: {', '.join(names[:_SHOWN])}{more}")
    return "; ".join(parts)


class Copier(Connection):
    """The warehouse's copy to PostgreSQL (a part of :class:`enms.io.Warehouse`)."""

    def _check_copy(self, target: Warehouse) -> None:
        if self.dialect != "duckdb" or target.dialect != "postgres":
            raise WarehouseError("copy goes from a DuckDB warehouse to a PostgreSQL database")
        target.init_schema()
        target.execute(_COPIES_DDL.format(_ident(COPIES)).as_string(target.connection))

    def copy_to(self, target: Warehouse, replace: bool = False,
                progress: Callable[[str], None] = print) -> dict[str, int]:
        """Copy the demo plant (every EnMS and own table of this DuckDB warehouse but the pipeline's output)
        into an empty ``target`` with COPY.

        One transaction on the target. A target holding dimension rows no copy created (an EnMS's own) is
        refused, saying which; one holding an earlier copy is refused unless ``replace``, which deletes what
        earlier copies created (and the rows hanging on it) first. Returns rows copied per table.
        """
        self._check_copy(target)
        counts: dict[str, int] = {}
        with target.transaction():
            created = created_by_copies(target)
            foreign = rows_not_created_by_us(target, created)
            url = redact(target.url)
            if foreign and replace:
                raise WarehouseError(
                    f"--replace deletes only what `enms db copy` created, and {url} holds rows it did not "
                    f"create ({_describe(foreign)}): use --attach to add the demo's readings to them, "
                    "or copy into an empty database"
                )
            if foreign:
                raise WarehouseError(
                    f"{url} already holds an EnMS's own rows ({_describe(foreign)}): use --attach to add the "
                    "demo's readings to its machines by name, or copy into an empty database"
                )
            if any(created.values()):
                if not replace:
                    raise WarehouseError(
                        f"{url} already holds machines from an earlier `enms db copy`: pass --replace to "
                        "replace them, or copy into an empty database"
                    )
                self._delete_copied(target, created)
            with tempfile.TemporaryDirectory(prefix="enms-copy-") as folder:
                for table in LOAD_ORDER:
                    # Pipeline output stays behind: the run on PostgreSQL writes its own, in the target's schema.
                    if table in PIPELINE_OUTPUT:
                        progress(f"  {table:<36} not copied (pipeline output)")
                    elif self.relation_exists(table) and target.relation_exists(table):
                        counts[table] = self._copy_table(table, target, Path(folder) / "t.csv")
                        progress(f"  {table:<36} {counts[table]:>10,} rows")
            self._record(target, "copy", self._dimension_ids(target), counts)
        return counts

    @staticmethod
    def _dimension_ids(target: Warehouse) -> dict[str, list[str]]:
        """Every dimension row's id: right after a copy into a database without foreign rows, all are ours."""
        return {
            table: target.query(
                sql.SQL("SELECT CAST(id AS TEXT) AS id FROM {}").format(_ident(table)).as_string(target.connection)
            )["id"].tolist()
            for table in DIMENSIONS if target.relation_exists(table)
        }

    def _record(self, target: Warehouse, mode: str, created: dict[str, list[str]], counts: dict[str, object]) -> None:
        target.execute(
            sql.SQL("INSERT INTO {} (mode, source, created, counts) VALUES (%s, %s, %s, %s)")
            .format(_ident(COPIES)).as_string(target.connection),
            [mode, redact(self.url), json.dumps(created), json.dumps(counts)],
        )

    @staticmethod
    def _delete_copied(target: Warehouse, created: dict[str, set[str]]) -> None:
        """Delete the rows earlier copies created and every row that names their machines (readings, status,
        published baselines, anomalies, forecasts, our truth tables); tariffs and carbon factors before the
        factories they belong to."""
        con = target.connection
        machines = sorted(created["machines"])
        for table in tables_with_column(target, "machine_id"):
            target.execute(
                sql.SQL("DELETE FROM {} WHERE machine_id = ANY(%s::uuid[])").format(_ident(table)).as_string(con),
                [machines],
            )
        if "energy_source_id" in target.columns_of("energy_baselines"):
            target.execute("DELETE FROM energy_baselines WHERE energy_source_id = ANY(%s::uuid[])",
                           [sorted(created["energy_sources"])])
        if target.relation_exists("seus"):  # its rows hold our energy sources (ON DELETE RESTRICT); EnPI rows cascade
            target.execute("DELETE FROM seus WHERE energy_source_id = ANY(%s::uuid[])",
                           [sorted(created["energy_sources"])])
        for table in ("energy_tariffs", "carbon_factors", "machines", "energy_sources", "factories"):
            if target.relation_exists(table):
                target.execute(
                    sql.SQL("DELETE FROM {} WHERE id = ANY(%s::uuid[])").format(_ident(table)).as_string(con),
                    [sorted(created[table])],
                )
        target.execute(sql.SQL("DELETE FROM {} WHERE mode = 'copy'").format(_ident(COPIES)).as_string(con))

    def _export(self, table: str, columns: list[str], scratch: Path) -> None:
        """Write ``columns`` of this DuckDB table to a headerless CSV file (arrays as PostgreSQL literals, each
        element double-quoted with its quotes and backslashes escaped, so a comma or brace stays inside it)."""
        element = r"""'"' || replace(replace(CAST(x AS VARCHAR), '\', '\\'), '"', '\"') || '"'"""
        select = ", ".join(
            f"CASE WHEN {quote_duckdb(c)} IS NULL THEN NULL "
            f"ELSE '{{' || array_to_string(list_transform({quote_duckdb(c)}, lambda x: {element}), ',') || '}}' END"
            if c in _ARRAY_COLUMNS else quote_duckdb(c)
            for c in columns
        )
        self.connection.execute(
            f"COPY (SELECT {select} FROM {quote_duckdb(table)}) TO {self.literal(str(scratch))} (HEADER false)")

    @staticmethod
    def _copy_in(cur, table: sql.Composable, columns: list[str], scratch: Path) -> int:
        """COPY the CSV file into ``table`` → rows copied."""
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
            table, sql.SQL(", ").join(map(sql.Identifier, columns)))
        with cur.copy(statement) as copy, scratch.open("rb") as f:
            while block := f.read(1 << 20):
                copy.write(block)
        return cur.rowcount

    def _copy_table(self, table: str, target: Warehouse, scratch: Path) -> int:
        columns = [c for c in self.columns_of(table) if c in target.columns_of(table)]
        self._export(table, columns, scratch)
        with target.connection.cursor() as cur:
            return self._copy_in(cur, _ident(table), columns, scratch)

    def attach_to(self, target: Warehouse, progress: Callable[[str], None] = print) -> Attached:
        """Add this demo plant's time series and truth tables to the machines of an EnMS (``target``) that
        has them, matched by factory name and machine name, machine ids rewritten to the EnMS's.

        One transaction; the EnMS's rows are never deleted or changed (``ON CONFLICT DO NOTHING``), so a rerun
        adds nothing. The demo's machines without a namesake are skipped and listed in the result.
        """
        self._check_copy(target)
        with target.transaction():
            attached, pairs = self._match(target)
            if not attached.matched:
                raise WarehouseError(
                    f"none of the demo's machines ({names_of(attached.unmatched)}) exists in "
                    f"{redact(target.url)} under the same factory and machine name: nothing to attach"
                )
            self._machine_map(target, pairs)
            own = [t for t in LOAD_ORDER if t.startswith(f"{OWN_SCHEMA}.") and t not in PIPELINE_OUTPUT]
            with tempfile.TemporaryDirectory(prefix="enms-attach-") as folder:
                for table in (*SERIES, *own):
                    if self.relation_exists(table) and target.relation_exists(table):
                        attached.rows[table] = rows = self._attach_table(table, target, Path(folder) / "t.csv")
                        progress(f"  {table:<36} {rows['added']:>10,} added, {rows['present']:>8,} already there, "
                                 f"{rows['skipped']:>8,} of unmatched machines skipped")
            self._record(target, "attach", {}, {"rows": attached.rows, "unmatched": attached.unmatched})
        return attached

    def _match(self, target: Warehouse) -> tuple[Attached, pd.DataFrame]:
        """The demo's and the EnMS's machines side by side by (factory, machine) name; the id pairs matched."""
        ours, theirs = machines_by_name(self), machines_by_name(target)
        both = ours.merge(theirs, on=["factory", "machine"], how="outer", suffixes=("_demo", "_enms"),
                          indicator=True)
        pairs = {side: list(zip(rows["factory"], rows["machine"], strict=True))
                 for side, rows in both.groupby("_merge", observed=True)}
        attached = Attached(matched=pairs.get("both", []), unmatched=pairs.get("left_only", []),
                            without_data=pairs.get("right_only", []))
        return attached, both.loc[both["_merge"] == "both", ["id_demo", "id_enms"]]

    @staticmethod
    def _machine_map(target: Warehouse, pairs: pd.DataFrame) -> None:
        """A temporary table demo machine id → EnMS machine id, dropped at commit."""
        with target.connection.cursor() as cur:
            cur.execute(sql.SQL("CREATE TEMP TABLE {} (source_id UUID PRIMARY KEY, target_id UUID NOT NULL) "
                                "ON COMMIT DROP").format(sql.Identifier(_MAP)))
            with cur.copy(sql.SQL("COPY {} (source_id, target_id) FROM STDIN").format(sql.Identifier(_MAP))) as copy:
                for source_id, target_id in pairs.itertuples(index=False):
                    copy.write_row((source_id, target_id))

    def _attach_table(self, table: str, target: Warehouse, scratch: Path) -> dict[str, int]:
        """Stage the demo table, then insert its rows of matched machines with the EnMS's machine ids."""
        columns = [c for c in self.columns_of(table) if c in target.columns_of(table)]
        if "machine_id" not in columns:
            raise WarehouseError(f"{table} has no machine_id column in both databases: cannot attach it by machine")
        self._export(table, columns, scratch)
        stage, mapped = sql.Identifier(_STAGE), sql.Identifier(_MAP)
        names = sql.SQL(", ").join(map(sql.Identifier, columns))
        values = sql.SQL(", ").join(
            sql.SQL("m.target_id") if c == "machine_id" else sql.Identifier("s", c) for c in columns)
        with target.connection.cursor() as cur:
            cur.execute(sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA")
                        .format(stage, names, _ident(table)))
            staged = self._copy_in(cur, stage, columns, scratch)
            cur.execute(sql.SQL("SELECT count(*) FROM {} s JOIN {} m ON m.source_id = s.machine_id")
                        .format(stage, mapped))
            matched = cur.fetchone()[0]
            cur.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} s JOIN {} m ON m.source_id = s.machine_id {}")
                        .format(_ident(table), names, values, stage, mapped, _unseen(target, table, columns)))
            added = cur.rowcount
            cur.execute(sql.SQL("DROP TABLE {}").format(stage))
        return {"staged": staged, "added": added, "present": matched - added, "skipped": staged - matched}


def _unseen(target: Warehouse, table: str, columns: list[str]) -> sql.Composable:
    """The clause that keeps rows already in ``table`` out: ON CONFLICT DO NOTHING where the table has a
    unique key (the EnMS's time series, machine_status, our truth tables), else a NOT EXISTS over the
    comparable columns (json has no equality)."""
    con = target.connection
    unique = target.query(
        "SELECT 1 FROM pg_index WHERE indrelid = to_regclass(%s) AND indisunique",
        [_ident(table).as_string(con)],
    )
    if not unique.empty:
        return sql.SQL("ON CONFLICT DO NOTHING")
    schema, _, name = table.rpartition(".")
    kinds = target.query(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = %s AND table_name = %s",
        [schema or "public", name],
    ).set_index("column_name")["data_type"]
    same = [
        sql.SQL("t.{} IS NOT DISTINCT FROM {}").format(
            sql.Identifier(c), sql.SQL("m.target_id") if c == "machine_id" else sql.Identifier("s", c))
        for c in columns if kinds.get(c) not in ("json", "jsonb")
    ]
    return sql.SQL("WHERE NOT EXISTS (SELECT 1 FROM {} t WHERE {})").format(
        _ident(table), sql.SQL(" AND ").join(same))
