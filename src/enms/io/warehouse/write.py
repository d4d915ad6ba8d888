"""Writes: bulk loads (COPY on PostgreSQL), upserts, and the write-back of baselines, anomalies and forecasts.

The write-back is transactional and idempotent: re-running with unchanged inputs writes nothing new. Publishes
into one warehouse run one at a time: on PostgreSQL a transaction-scoped advisory lock serializes them across
processes; on DuckDB one process holds the file (others wait at the open, :mod:`.connection`) and a lock per file
serializes its threads. The warehouse decides nothing about the analytics: the anomaly write plans what to
insert and update with the planner it is given (:func:`enms.rows.plan_write_back`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json as _json
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

import duckdb
import numpy as np
import pandas as pd
import psycopg

from enms.io.warehouse.connection import Connection, WarehouseError
from enms.io.warehouse.schema import OWN_SCHEMA, TIME_SERIES_KEYS

Plan = Callable[[pd.DataFrame, pd.DataFrame], tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]]
"""(new rows, stored rows) → (insert, update, unchanged): what an idempotent anomaly write does."""

PUBLISH_LOCK_KEY = int.from_bytes(hashlib.sha256(b"enms_analytics.publish").digest()[:8], "big", signed=True)
"""The PostgreSQL advisory lock key of a publish (64-bit, from the name, so every version uses the same)."""
_DUCKDB_PUBLISHES: dict[str, threading.RLock] = {}
_DUCKDB_PUBLISHES_GUARD = threading.Lock()


class Writer(Connection):
    """The warehouse's writes (a part of :class:`enms.io.Warehouse`, which adds the schema and the reads)."""

    def write_frame(self, table: str, frame: pd.DataFrame) -> None:
        """Append ``frame`` to ``table`` (columns by name); call inside :meth:`transaction`."""
        if frame.empty:
            return
        columns = ", ".join(map(self.ident, frame.columns))
        try:
            if self.dialect == "duckdb":
                self.connection.register("_enms_frame", frame)
                self.connection.execute(
                    f"INSERT INTO {self.ident(table)} ({columns}) SELECT {columns} FROM _enms_frame")
                self.connection.unregister("_enms_frame")
            else:
                statement = f"COPY {self.ident(table)} ({columns}) FROM STDIN (FORMAT csv)"
                with self.connection.cursor() as cur, cur.copy(statement) as copy:
                    copy.write(_frame_to_pg_csv(frame))
        except (duckdb.Error, psycopg.Error) as error:
            raise WarehouseError(f"writing {len(frame):,} rows to {table} failed: {error}".strip()) from error

    def load(self, chunks: Iterable[tuple[str, pd.DataFrame]], progress: Callable[[str], None] = print,
             one_transaction: bool = True) -> None:
        """Write (table, frame) chunks in one transaction: all of them land, or none (a failure raises
        :class:`WarehouseError` naming the table and the violated column).

        ``one_transaction=False`` commits chunk by chunk, for a file that is built aside and renamed into
        place when complete (DuckDB holds an open transaction's rows in memory: 3 GB for the demo plant).
        """
        self.init_schema()
        started = time.perf_counter()
        with self.transaction() if one_transaction else contextlib.nullcontext():
            for table, frame in chunks:
                self.write_frame(table, frame)
                progress(f"  {time.perf_counter() - started:6.1f} s  {table:<32} +{len(frame):>10,} rows")
            self.verify_unique_keys()

    def verify_unique_keys(self) -> None:
        """Fail, naming the table, machine and time, if a raw time series holds a duplicate key (DuckDB does
        not index them; PostgreSQL's UNIQUE constraints already refuse them)."""
        if self.dialect != "duckdb":
            return
        for table, key in TIME_SERIES_KEYS.items():
            columns = ", ".join(map(self.ident, key))
            duplicate = self.query(
                f"SELECT {columns}, count(*) AS n FROM {self.ident(table)} GROUP BY ALL HAVING n > 1 LIMIT 1")
            if not duplicate.empty:
                row = duplicate.iloc[0]
                found = ", ".join(f"{c}={row[c]}" for c in key)
                raise WarehouseError(f"duplicate key in {table}: {found} appears {row['n']} times")

    def publish_baselines(self, rows: pd.DataFrame) -> dict[str, int]:
        """Write ``energy_baselines`` rows (from :func:`enms.rows.baseline_rows`) in one transaction.

        A row whose fingerprint is already stored for its machine and energy source is skipped, so a re-run
        with unchanged inputs creates no version. Otherwise it gets model_version = latest + 1, and when it
        is active the previous active model of that machine and energy source is deactivated: exactly one
        stays active. Older EnMS databases without ``energy_source_id`` key versions by machine and tell
        energy sources apart by ``metadata.energy_type``.
        """
        counts = {"inserted": 0, "unchanged": 0}
        with self._publishing():
            has_source = "energy_source_id" in self.columns_of("energy_baselines")
            for row in rows.to_dict("records"):
                same_machine = "machine_id = CAST(%s AS UUID)"
                if has_source:
                    same_source, source_params = "energy_source_id = CAST(%s AS UUID)", [row["energy_source_id"]]
                else:
                    energy_type = _json.loads(row["metadata"])["energy_type"]
                    same_source, source_params = "metadata->>'energy_type' = %s", [energy_type]
                stored = self.query(
                    f"SELECT model_version, metadata->>'fingerprint' AS fingerprint FROM energy_baselines "
                    f"WHERE {same_machine} AND {same_source}", [row["machine_id"], *source_params])
                if row["fingerprint"] in set(stored["fingerprint"]):
                    counts["unchanged"] += 1
                    continue
                version_scope = f"{same_machine} AND {same_source}" if has_source else same_machine
                latest = self.query(f"SELECT max(model_version) AS v FROM energy_baselines WHERE {version_scope}",
                                    [row["machine_id"], *(source_params if has_source else [])]).at[0, "v"]
                version = 1 if pd.isna(latest) else int(latest) + 1
                if row["is_active"]:
                    self.execute(f"UPDATE energy_baselines SET is_active = FALSE WHERE {same_machine} AND "
                                 f"{same_source} AND is_active", [row["machine_id"], *source_params])
                self._insert_baseline(row, version, has_source)
                counts["inserted"] += 1
        return counts

    def _insert_baseline(self, row: dict, version: int, has_source: bool) -> None:
        columns = ["machine_id", "model_name", "model_type", "model_version", "training_start_date",
                   "training_end_date", "training_samples", "coefficients", "intercept", "feature_names",
                   "r_squared", "rmse", "mae", "is_active", "trained_by", "metadata"]
        casts = {"machine_id": "CAST(%s AS UUID)", "energy_source_id": "CAST(%s AS UUID)",
                 "coefficients": f"CAST(%s AS {self._json()})", "metadata": f"CAST(%s AS {self._json()})",
                 "training_start_date": "CAST(%s AS TIMESTAMPTZ)", "training_end_date": "CAST(%s AS TIMESTAMPTZ)"}
        if has_source:
            columns.insert(1, "energy_source_id")
        values = {**{k: _plain(v) for k, v in row.items()},
                  "model_version": version,
                  "training_start_date": row["training_start_date"].isoformat(),
                  "training_end_date": row["training_end_date"].isoformat()}
        self.execute(
            f"INSERT INTO energy_baselines ({', '.join(columns)}) "
            f"VALUES ({', '.join(casts.get(c, '%s') for c in columns)})",
            [values[c] for c in columns],
        )

    def publish_anomalies(self, rows: pd.DataFrame, *, plan: Plan) -> dict[str, int]:
        """Write ``anomalies`` rows (from :func:`enms.rows.anomaly_rows`) idempotently, in one transaction.

        The table has no unique key: ``plan`` (:func:`enms.rows.plan_write_back`) matches each event with what
        is stored (same event key, or an overlapping event of the same machine, energy type, type and method),
        so a re-run inserts nothing, an event that grew updates its stored row, and rows people marked resolved
        are never touched. A stored start or end that is not a time (hand-edited) is ignored with a warning
        naming the row, never a failure (see :func:`_matchable`).
        """
        with self._publishing():
            stored = _matchable(self.read_anomalies(sorted(set(rows["machine_id"]))))
            insert, update, skip = plan(rows, stored)
            columns = ["id", "machine_id", "detected_at", "anomaly_type", "severity", "metric_name", "metric_value",
                       "expected_value", "deviation_percent", "deviation_std_dev", "detection_method",
                       "confidence_score", "is_resolved", "metadata"]
            if len(insert):
                frame = insert[columns].copy()
                for column in ("deviation_percent", "deviation_std_dev"):
                    frame[column] = pd.to_numeric(frame[column]).astype("float64")
                self.write_frame("anomalies", frame)
            measures = ["severity", "metric_value", "expected_value", "deviation_percent", "deviation_std_dev",
                        "confidence_score", "metadata"]
            for row in update.to_dict("records"):
                values = [None if isinstance(row[c], float) and row[c] != row[c] else row[c] for c in measures]
                self.execute(
                    f"UPDATE anomalies SET severity = CAST(%s AS alert_level), metric_value = %s, "
                    f"expected_value = %s, deviation_percent = %s, deviation_std_dev = %s, confidence_score = %s, "
                    f"metadata = CAST(%s AS {self._json()}) WHERE id = CAST(%s AS UUID) AND NOT is_resolved",
                    [*values, row["id"]])
        return {"inserted": len(insert), "updated": len(update), "unchanged": len(skip)}

    def publish(self, baselines: pd.DataFrame, anomalies: pd.DataFrame, forecasts: pd.DataFrame,
                vintages: pd.DataFrame, *, plan_anomalies: Plan) -> dict[str, dict[str, int]]:
        """The publish step: create what is missing of the schema (e.g. a table of ours added since the warehouse
        was made), then write the baselines, the anomalies and the forecasts with their vintages, all in one
        transaction (all land or none), one publish into the warehouse at a time. Returns what each write did."""
        with self._publishing():
            self.init_schema()
            return {"energy_baselines": self.publish_baselines(baselines),
                    "anomalies": self.publish_anomalies(anomalies, plan=plan_anomalies),
                    "energy_forecasts": self.publish_forecasts(forecasts, vintages)}

    @contextlib.contextmanager
    def _publishing(self) -> Iterator[None]:
        """A transaction that no other publish into this warehouse runs alongside: what it reads to decide
        (stored versions, events, counts) is read after the other one committed. Nested ones join it.

        PostgreSQL: ``pg_advisory_xact_lock``, released at commit or rollback (a killed publish never leaves it
        behind). DuckDB: a lock per file for the threads of this process (they share its database).
        """
        if self.dialect == "postgres":
            with self.transaction():
                self.execute("SELECT pg_advisory_xact_lock(%s)", [PUBLISH_LOCK_KEY])
                yield
            return
        with _DUCKDB_PUBLISHES_GUARD:
            lock = _DUCKDB_PUBLISHES.setdefault(os.path.realpath(self.url.removeprefix("duckdb:")), threading.RLock())
        with lock, self.transaction():
            yield

    def upsert_frame(self, table: str, frame: pd.DataFrame, keys: list[str], *, update: bool = True,
                     only_if_newer: str | None = None) -> None:
        """Insert ``frame`` into ``table``; rows whose ``keys`` exist are updated (``update``) or left alone.

        ``only_if_newer`` names a column: an existing row is updated only when the new value is not older (a
        newer forecast replaces an older one, never the reverse). Call inside :meth:`transaction`.
        """
        if frame.empty:
            return
        q = self.ident
        target, columns, key = q(table), ", ".join(map(q, frame.columns)), ", ".join(map(q, keys))
        conflict = f"ON CONFLICT ({key}) DO NOTHING"
        if update:
            assignments = ", ".join(f"{q(c)} = EXCLUDED.{q(c)}" for c in frame.columns if c not in keys)
            guard = f" WHERE {target}.{q(only_if_newer)} <= EXCLUDED.{q(only_if_newer)}" if only_if_newer else ""
            conflict = f"ON CONFLICT ({key}) DO UPDATE SET {assignments}{guard}"
        if self.dialect == "duckdb":
            self.connection.register("_enms_stage", frame)
            self.connection.execute(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM _enms_stage {conflict}")
            self.connection.unregister("_enms_stage")
            return
        self.execute(f"CREATE TEMP TABLE _enms_stage (LIKE {target} INCLUDING DEFAULTS) ON COMMIT DROP")
        self.write_frame("_enms_stage", frame)
        self.execute(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM _enms_stage {conflict}")
        self.execute("DROP TABLE _enms_stage")

    def publish_forecasts(self, rows: pd.DataFrame, vintages: pd.DataFrame) -> dict[str, int]:
        """Write ``energy_forecasts`` rows (the newest forecast per hour, machine and model type replaces an
        older one, as the EnMS's key implies) and every vintage into our own table, in one transaction.
        Re-running the same forecast changes nothing."""
        with self._publishing():
            before = self._count(f"{OWN_SCHEMA}.forecast_vintages")
            self.upsert_frame("energy_forecasts", rows, ["forecast_time", "machine_id", "model_type"],
                              only_if_newer="forecasted_at")
            self.upsert_frame(f"{OWN_SCHEMA}.forecast_vintages", vintages,
                              ["machine_id", "energy_type", "model_name", "forecasted_at", "forecast_time"])
            added = self._count(f"{OWN_SCHEMA}.forecast_vintages") - before
        return {"energy_forecasts": len(rows), "vintages_added": added, "vintages_kept": len(vintages) - added}



def _plain(value: object) -> object:
    """A value the drivers can bind: rows read back from parquet hold numpy arrays (TEXT[] columns) and numpy
    scalars; NaN is NULL."""
    if isinstance(value, np.ndarray | list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def _pg_array(values: Iterable[object]) -> str:
    """A PostgreSQL array literal, each element double-quoted (a comma, brace or quote stays inside it)."""
    quoted = ("NULL" if v is None else '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return "{" + ",".join(quoted) + "}"


def _frame_to_pg_csv(frame: pd.DataFrame) -> str:
    out = frame.copy()
    for column in out.columns:
        if out[column].map(lambda v: isinstance(v, list | tuple | np.ndarray)).any():
            out[column] = out[column].map(lambda v: None if v is None else _pg_array(v))
    return out.to_csv(index=False, header=False, na_rep="")


def _utc_iso(value: object) -> str | None:
    """An ISO 8601 time in any of its forms ('2025-10-03T14:00Z', '2025-10-03 14:00:00+00', …) in one form, UTC
    (a time without offset is UTC, as the pipeline writes); None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat(timespec="microseconds")


def _matchable(stored: pd.DataFrame) -> pd.DataFrame:
    """The stored anomalies as the planner can compare them: ``metadata`` start and end in one ISO form (UTC).

    People edit these rows by hand. A start or end that is not a time is ignored, with a warning naming the row:
    the row is then matched by its event key (its id, where the metadata lost it) and counts as ending at its
    ``detected_at``, so a later publish of the same event rewrites its end (unless it is resolved).
    """
    texts = []
    for row_id, detected_at, text in zip(stored["id"], stored["detected_at"], stored["metadata"], strict=True):
        meta = _json.loads(text) if isinstance(text, str) and text else {}
        problems = []
        if not isinstance(meta, dict):
            problems.append(f"metadata {text} is not a JSON object")
            meta = {}
        meta.setdefault("event_key", row_id)  # our rows' id is their event key (enms.rows.event_key)
        for key in ("start", "end"):
            if meta.get(key) is None:
                continue
            parsed = _utc_iso(meta[key])
            if parsed is None:
                problems.append(f"metadata.{key} {meta[key]!r} is not an ISO time")
                parsed = pd.Timestamp(detected_at).isoformat(timespec="microseconds") if key == "end" else None
            meta[key] = parsed
        if problems:
            warnings.warn(f"anomaly {row_id}: {' and '.join(problems)}: ignored for matching (the row counts as "
                          "ending at its detected_at); write it as e.g. 2025-10-03T14:00:00+00:00", stacklevel=3)
        texts.append(_json.dumps(meta, sort_keys=True))
    return stored.assign(metadata=texts)
