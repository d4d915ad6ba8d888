"""Copying a DuckDB warehouse (the demo plant) into PostgreSQL with COPY, in one transaction."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from enms.io.connection import Connection, WarehouseError, _redact
from enms.io.schema import LOAD_ORDER

if TYPE_CHECKING:
    from enms.io.warehouse import Warehouse

_ARRAY_COLUMNS = {"applicable_days", "feature_names"}


class Copier(Connection):
    """The warehouse's copy to PostgreSQL (a part of :class:`enms.io.Warehouse`)."""

    def copy_to(self, target: Warehouse, replace: bool = False,
                progress: Callable[[str], None] = print) -> dict[str, int]:
        """Copy every EnMS and own table of this DuckDB warehouse into ``target`` with COPY.

        One transaction on the target. A target that already holds machines is refused unless
        ``replace``, which first empties the copied tables (meant for a scratch database).
        Returns rows copied per table.
        """
        if self.dialect != "duckdb" or target.dialect != "postgres":
            raise WarehouseError("copy goes from a DuckDB warehouse to a PostgreSQL database")
        target.init_schema()
        counts: dict[str, int] = {}
        with target.transaction():
            if not target.query("SELECT 1 FROM machines LIMIT 1").empty:
                if not replace:
                    raise WarehouseError(
                        f"{_redact(target.url)} already holds machines: copy into an empty database, "
                        "or pass --replace to empty the copied tables first."
                    )
                for table in reversed(LOAD_ORDER):
                    target.execute(f"DELETE FROM {table}")
            with tempfile.TemporaryDirectory(prefix="enms-copy-") as folder:
                for table in LOAD_ORDER:
                    counts[table] = self._copy_table(table, target, Path(folder) / "t.csv")
                    progress(f"  {table:<32} {counts[table]:>10,} rows")
        return counts

    def _copy_table(self, table: str, target: Warehouse, scratch: Path) -> int:
        columns = [c for c in self.columns_of(table) if c in target.columns_of(table)]
        select = ", ".join(
            f"CASE WHEN {c} IS NULL THEN NULL ELSE '{{' || array_to_string({c}, ',') || '}}' END"
            if c in _ARRAY_COLUMNS else c
            for c in columns
        )
        self.connection.execute(f"COPY (SELECT {select} FROM {table}) TO '{scratch}' (HEADER false)")
        names = ", ".join(columns)
        with target.connection.cursor() as cur:
            with cur.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT csv)") as copy, scratch.open("rb") as f:
                while block := f.read(1 << 20):
                    copy.write(block)
            cur.execute(f"SELECT count(*) FROM {table}")
            return cur.fetchone()[0]
