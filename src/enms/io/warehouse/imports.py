"""The statements of `enms import` (:mod:`enms.io.imports`): machine updates, replacing a file's span of
readings, and merging one column of a time series into the rows already there.

Both raw-series writes key rows as the EnMS does (UNIQUE (machine_id, time[, energy_type])) without needing the
constraint, which DuckDB tables here lack (see :data:`~enms.io.warehouse.schema.TIME_SERIES_KEYS`). Call them
inside :meth:`transaction`.
"""

from __future__ import annotations

import pandas as pd

from enms.io.warehouse.schema import energy_type_sql
from enms.io.warehouse.write import Writer

_STAGE = "_enms_import_stage"


class Importer(Writer):
    """The warehouse's import writes (a part of :class:`enms.io.Warehouse`)."""

    def update_machines(self, rows: pd.DataFrame) -> None:
        """Set rated_power_kw (kW), data_interval_seconds and metadata (JSON text) of machines by ``id``."""
        for row in rows.to_dict("records"):
            self.execute(
                f"UPDATE machines SET rated_power_kw = %s, data_interval_seconds = %s, "
                f"metadata = CAST(%s AS {self._json()}), updated_at = current_timestamp WHERE id = CAST(%s AS UUID)",
                [row["rated_power_kw"], int(row["data_interval_seconds"]), row["metadata"], row["id"]])

    def delete_readings(self, spans: pd.DataFrame) -> int:
        """Delete the energy readings of each span (machine_id, energy_type, start, end: UTC, half-open); the
        EnMS's names for electricity count as electricity. Returns the number of rows deleted."""
        kind, aliases = energy_type_sql()
        where = f"machine_id = CAST(%s AS UUID) AND {kind} = %s AND time >= %s AND time < %s"
        deleted = 0
        for span in spans.itertuples():
            params = [span.machine_id, *aliases, span.energy_type, span.start, span.end]
            deleted += int(self.query(f"SELECT count(*) AS n FROM energy_readings WHERE {where}", params).at[0, "n"])
            self.execute(f"DELETE FROM energy_readings WHERE {where}", params)
        return deleted

    def merge_series(self, table: str, rows: pd.DataFrame, keys: tuple[str, ...],
                     nulls: tuple[str, ...] = ()) -> tuple[int, int]:
        """Write ``rows`` (``keys`` and value columns) into ``table``: a row whose keys exist gets the value
        columns and keeps its others; a new row is inserted with the ``nulls`` columns NULL (not their defaults,
        which would claim an 'idle' mode or zero production nobody recorded). Returns (inserted, updated)."""
        if rows.empty:
            return 0, 0
        values = [c for c in rows.columns if c not in keys]
        target, stage = self.ident(table), self.ident(_STAGE)
        if self.dialect == "duckdb":
            self.execute(f"CREATE TEMP TABLE {stage} AS SELECT * FROM {target} LIMIT 0")
        else:
            self.execute(f"CREATE TEMP TABLE {stage} (LIKE {target} INCLUDING DEFAULTS) ON COMMIT DROP")
        self.write_frame(_STAGE, rows)
        match = " AND ".join(f"t.{self.ident(k)} = s.{self.ident(k)}" for k in keys)
        updated = int(self.query(f"SELECT count(*) AS n FROM {target} AS t JOIN {stage} AS s ON {match}").at[0, "n"])
        assign = ", ".join(f"{self.ident(c)} = s.{self.ident(c)}" for c in values)
        self.execute(f"UPDATE {target} AS t SET {assign} FROM {stage} AS s WHERE {match}")
        columns = ", ".join(self.ident(c) for c in (*keys, *values, *nulls))
        selected = ", ".join([*(f"s.{self.ident(c)}" for c in (*keys, *values)), *(["NULL"] * len(nulls))])
        self.execute(f"INSERT INTO {target} ({columns}) SELECT {selected} FROM {stage} AS s "
                     f"WHERE NOT EXISTS (SELECT 1 FROM {target} AS t WHERE {match})")
        self.execute(f"DROP TABLE {stage}")
        return len(rows) - updated, updated
