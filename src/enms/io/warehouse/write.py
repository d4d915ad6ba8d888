"""Writes: bulk loads (COPY on PostgreSQL), upserts, and the write-back of baselines, anomalies, forecasts and the
ISO 50001 tables (SEU models, EnPI baselines and performance, model monitoring, data-quality log).

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
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import numpy as np
import pandas as pd
import psycopg

from enms.io.warehouse.connection import Connection, WarehouseError
from enms.io.warehouse.schema import OWN_SCHEMA, TABLES, TIME_SERIES_KEYS

Plan = Callable[[pd.DataFrame, pd.DataFrame], tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]]
"""(new rows, stored rows) → (insert, update, unchanged): what an idempotent anomaly write does."""

PUBLISH_LOCK_KEY = int.from_bytes(hashlib.sha256(b"enms_analytics.publish").digest()[:8], "big", signed=True)
"""The PostgreSQL advisory lock key of a publish (64-bit, from the name, so every version uses the same)."""
_DUCKDB_PUBLISHES: dict[str, threading.RLock] = {}
_DUCKDB_PUBLISHES_GUARD = threading.Lock()

SEU_MODEL_COLUMNS: tuple[str, ...] = (
    "baseline_year", "baseline_start_date", "baseline_end_date", "regression_coefficients", "intercept",
    "feature_columns", "r_squared", "rmse", "mae", "trained_at", "trained_by")
"""The columns of a ``seus`` row the ISO 50001 write-back sets (the SEU's annual baseline model); the rest (name,
machines, energy source, activity) belong to the EnMS's operator."""
_SEU_MODEL_TYPES = {"baseline_year": "INTEGER", "baseline_start_date": "DATE", "baseline_end_date": "DATE",
                    "intercept": "DECIMAL(15,6)", "feature_columns": "TEXT[]", "r_squared": "DECIMAL(6,4)",
                    "rmse": "DECIMAL(15,4)", "mae": "DECIMAL(15,4)", "trained_at": "TIMESTAMPTZ",
                    "trained_by": "VARCHAR(100)"}
"""SQL types the bound values of :data:`SEU_MODEL_COLUMNS` are cast to, so they compare as stored (JSON: per
dialect)."""


@dataclass(frozen=True)
class _Iso50001Table:
    """How the write-back writes one frame: into ``table``, these columns (those the frame holds), matched on
    ``key``; ``update``: a stored row that differs is updated (else it is left as it is, e.g. people resolve
    alerts)."""

    table: str
    columns: tuple[str, ...]
    key: tuple[str, ...] = ("id",)
    update: bool = True


ISO50001_TABLES: dict[str, _Iso50001Table] = {
    "enpi_baselines": _Iso50001Table("enpi_baselines", (
        "id", "seu_id", "baseline_year", "baseline_start_date", "baseline_end_date", "baseline_energy_kwh",
        "baseline_production_units", "baseline_operating_hours", "baseline_sec", "baseline_avg_temp_c",
        "baseline_degree_days", "is_active", "notes", "created_by"), key=("seu_id", "baseline_year")),
    "enpi_performance": _Iso50001Table("enpi_performance", (
        "id", "seu_id", "baseline_id", "period_start", "period_end", "period_type", "actual_energy_kwh",
        "actual_production_units", "actual_operating_hours", "actual_sec", "expected_energy_kwh", "expected_sec",
        "deviation_kwh", "deviation_percent", "cumulative_savings_kwh", "cumulative_savings_usd", "iso_status",
        "compliance_notes")),
    "model_performance_metrics": _Iso50001Table("model_performance_metrics", (
        "id", "model_id", "model_type", "machine_id", "model_version", "evaluation_date", "evaluation_start",
        "evaluation_end", "sample_count", "metrics", "r_squared", "rmse", "mae", "mape", "precision_score",
        "recall_score", "f1_score", "true_positives", "false_positives", "true_negatives", "false_negatives",
        "drift_detected", "drift_score", "drift_threshold", "data_completeness", "outlier_percentage",
        "evaluation_notes", "created_by", "metadata"), update=False),
    "model_training_history": _Iso50001Table("model_training_history", (
        "id", "model_id", "model_type", "machine_id", "model_version", "training_start", "training_end",
        "training_duration_seconds", "training_status", "training_data_start", "training_data_end",
        "training_samples", "hyperparameters", "feature_names", "training_metrics", "validation_metrics",
        "initial_r_squared", "initial_rmse", "initial_mae", "error_message", "error_traceback", "trigger_type",
        "triggered_by", "metadata"), update=False),
    "model_alerts": _Iso50001Table("model_alerts", (
        "id", "alert_type", "severity", "model_id", "model_type", "machine_id", "model_version", "alert_timestamp",
        "alert_message", "alert_details", "current_metric_value", "threshold_value", "baseline_metric_value",
        "is_resolved", "auto_action_taken", "auto_action_type", "auto_action_result", "metadata"), update=False),
    "data_quality_log": _Iso50001Table("data_quality_log", (
        "id", "check_date", "machine_id", "missing_data_percent", "outlier_count", "correlation_score",
        "overall_score", "issues")),
}
"""The frames of the ISO 50001 write-back besides ``seu_models``, in the order they are written (baselines before
the performance rows that name them)."""
ISO50001_FRAMES: tuple[str, ...] = ("seu_models", *ISO50001_TABLES)
"""The frames :meth:`Writer.publish_iso50001` writes, by product name (the ``performance`` step saves them)."""
_SEU_COLUMNS = ("id", "name", "description", "energy_source_id", "machine_ids", "baseline_year")
"""What :meth:`Writer.create_seus` inserts."""
_NO_BASELINE_MODEL = "no stored energy_baselines row with the model's machine and fingerprint"


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
                vintages: pd.DataFrame, *, plan_anomalies: Plan,
                iso50001: Mapping[str, pd.DataFrame] | None = None) -> dict[str, dict[str, object]]:
        """The publish step: create what is missing of the schema (e.g. a table of ours added since the warehouse
        was made), then write the baselines, the anomalies, the forecasts with their vintages and (``iso50001``)
        the ISO 50001 frames, all in one transaction (all land or none), one publish into the warehouse at a
        time. Returns what each write did (the ISO 50001 counts per table under "iso50001")."""
        with self._publishing():
            self.init_schema()
            counts = {"energy_baselines": self.publish_baselines(baselines),
                      "anomalies": self.publish_anomalies(anomalies, plan=plan_anomalies),
                      "energy_forecasts": self.publish_forecasts(forecasts, vintages)}
            if iso50001 is not None:
                # After the baselines: monitoring rows name the energy_baselines rows just written.
                counts["iso50001"] = self.publish_iso50001(iso50001)
            return counts

    def publish_iso50001(self, frames: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, int | str]]:
        """Write the ISO 50001 frames (:func:`enms.iso50001.run`, :func:`enms.monitoring.run`) idempotently, in
        one transaction with the rest of a publish. Returns {table: {"inserted", "updated", "unchanged"}} for each
        non-empty frame, with "skipped" and its "reason" where rows were left out.

        - ``seu_models``: the SEU's baseline model set on its ``seus`` row (:data:`SEU_MODEL_COLUMNS`), matched
          by id; never inserted (:meth:`create_seus` does that when the operator asks).
        - ``enpi_baselines``: inserted, or updated on its key (seu_id, baseline_year), whatever the stored id.
        - ``enpi_performance``: ``baseline_id`` is the stored enpi_baselines row's of (seu_id, baseline_year);
          upserted by id.
        - ``model_performance_metrics``, ``model_training_history``, ``model_alerts``: inserted when the id is
          new, else left as stored (people resolve alerts). A row with ``model_fingerprint`` gets model_id and
          model_version from the energy_baselines row of its machine with that fingerprint; without one the
          metrics and history rows are skipped (counted), an alert is written without model_id.
        - ``data_quality_log``: upserted by id (a day checked again with more data updates its row).

        A table the warehouse lacks (an older EnMS) is skipped: {"skipped": 1, "reason": "table absent"}. Only
        each table's own columns are written; display columns are ignored.
        """
        counts: dict[str, dict[str, int | str]] = {}
        with self._publishing():
            seu_models = frames.get("seu_models")
            if seu_models is not None and not seu_models.empty:
                counts["seus"] = (self._update_seu_models(seu_models) if self.relation_exists("seus")
                                  else {"skipped": 1, "reason": "table absent"})
            for name, spec in ISO50001_TABLES.items():
                frame = frames.get(name)
                if frame is None or frame.empty:
                    continue
                if not self.relation_exists(spec.table):
                    counts[spec.table] = {"skipped": 1, "reason": "table absent"}
                    continue
                frame, skipped, reason = self._resolved(name, frame)
                counts[spec.table] = self._write_rows(spec, frame)
                if skipped:
                    counts[spec.table].update(skipped=skipped, reason=reason)
        return counts

    def create_seus(self, rows: pd.DataFrame) -> int:
        """Insert SEUs the operator asked for (``enms seus --create``): rows with id (deterministic, from the
        caller), name, description, energy_source_id, machine_ids (list of str) and baseline_year. An id already
        stored is left as it is. Returns the SEUs inserted."""
        if rows.empty:
            return 0
        with self._publishing():
            counts = self._write_rows(_Iso50001Table("seus", _SEU_COLUMNS, update=False), rows)
        return int(counts["inserted"])

    def _update_seu_models(self, frame: pd.DataFrame) -> dict[str, int | str]:
        """Set :data:`SEU_MODEL_COLUMNS` on the stored ``seus`` rows of the frame's ids where a value differs."""
        types = {**_SEU_MODEL_TYPES, "regression_coefficients": self._json()}
        columns = [c for c in SEU_MODEL_COLUMNS if c in frame]
        typed = [f"CAST(%s AS {types[c]})" for c in columns]
        differs = " OR ".join(f"{self.ident(c)} IS DISTINCT FROM {t}" for c, t in zip(columns, typed, strict=True))
        assignments = ", ".join(f"{self.ident(c)} = {t}" for c, t in zip(columns, typed, strict=True))
        counts: dict[str, int | str] = {"inserted": 0, "updated": 0, "unchanged": 0}
        missing = 0
        for row in frame.to_dict("records"):
            values = [_bindable(row[c]) for c in columns]
            stored = self.query(f"SELECT ({differs}) AS differs FROM seus WHERE id = CAST(%s AS UUID)",
                                [*values, row["id"]])
            if stored.empty:
                missing += 1
            elif bool(stored.at[0, "differs"]):
                self._run(f"UPDATE seus SET {assignments}, updated_at = now() WHERE id = CAST(%s AS UUID)",
                          [*values, row["id"]], "seus")
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
        if missing:
            counts.update(skipped=missing, reason="SEU not in the EnMS (create it with `enms seus --create`)")
        return counts

    def _resolved(self, name: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, int, str | None]:
        """The frame with the ids it names resolved against what is stored → (frame, rows skipped, why).

        enpi_performance: baseline_id of (seu_id, baseline_year). Monitoring rows with ``model_fingerprint``:
        model_id and model_version of the energy_baselines row of their machine with that fingerprint."""
        if name == "enpi_performance" and "baseline_year" in frame:
            stored = self.query("SELECT id::VARCHAR AS id, seu_id::VARCHAR AS seu_id, baseline_year "
                                "FROM enpi_baselines")
            ids = {(seu, int(year)): i for i, seu, year in stored[["id", "seu_id", "baseline_year"]].itertuples(
                index=False)}
            resolved = [ids.get((str(seu), int(year))) if pd.notna(year) else None
                        for seu, year in zip(frame["seu_id"], frame["baseline_year"], strict=True)]
            return frame.assign(baseline_id=resolved), 0, None
        if name.startswith("model_") and "model_fingerprint" in frame:
            fingerprints = frame["model_fingerprint"].map(lambda v: None if pd.isna(v) else str(v))
            stored = self.query(
                "SELECT id::VARCHAR AS id, machine_id::VARCHAR AS machine_id, model_version, "
                "metadata->>'fingerprint' AS fingerprint FROM energy_baselines "
                "WHERE metadata->>'fingerprint' IS NOT NULL ORDER BY model_version")
            models = {(m, f): (i, int(v)) for i, m, v, f in stored.itertuples(index=False)}  # the newest wins
            found = [models.get((str(m), f)) if f is not None else None
                     for m, f in zip(frame["machine_id"], fingerprints, strict=True)]
            wanted = fingerprints.notna().to_numpy()
            frame = frame.copy()
            for position, column in enumerate(("model_id", "model_version")):
                given = frame[column] if column in frame else pd.Series(None, index=frame.index, dtype=object)
                frame[column] = [hit[position] if hit else (None if want else value)
                                 for hit, want, value in zip(found, wanted, given, strict=True)]
            lost = wanted & np.array([hit is None for hit in found])
            if name == "model_alerts" or not lost.any():
                return frame, 0, None
            return frame[~lost].reset_index(drop=True), int(lost.sum()), _NO_BASELINE_MODEL
        return frame, 0, None

    def _write_rows(self, spec: _Iso50001Table, frame: pd.DataFrame) -> dict[str, int]:
        """Insert ``frame``'s rows into ``spec.table``, staged in a typed temporary table so that stored and new
        values compare as the table stores them; a row whose key is stored is updated when a value differs
        (``spec.update``), else left alone. Returns {"inserted", "updated", "unchanged"}."""
        q, table = self.ident, spec.table
        columns = [c for c in spec.columns if c in frame]
        rows = _integral(frame[columns].drop_duplicates(list(spec.key), keep="last"), table)
        stage, target = q("_enms_iso_stage"), q(table)
        own = [c for c in columns if c not in spec.key and c != "id"]  # a row's id never changes on update
        on_key = " AND ".join(f"t.{q(k)} = s.{q(k)}" for k in spec.key)
        differs = " OR ".join(f"t.{q(c)} IS DISTINCT FROM s.{q(c)}" for c in own) or "FALSE"
        names = ", ".join(map(q, columns))
        # A rollback drops the stage with the rest (DDL is transactional in both dialects).
        self._run(f"CREATE TEMP TABLE {stage} AS SELECT {names} FROM {target} LIMIT 0", [], table)
        self.write_frame("_enms_iso_stage", rows)
        both = self.query(f"SELECT count(*) AS n, count(*) FILTER (WHERE {differs}) AS changed "
                          f"FROM {stage} s JOIN {target} t ON {on_key}")
        stored, changed = int(both.at[0, "n"]), int(both.at[0, "changed"]) if spec.update else 0
        conflict = f"ON CONFLICT ({', '.join(map(q, spec.key))}) DO NOTHING"
        if spec.update and own:
            assignments = ", ".join(f"{q(c)} = EXCLUDED.{q(c)}" for c in own)
            if "updated_at" in self.columns_of(table):
                assignments += ", updated_at = now()"
            guard = " OR ".join(f"t.{q(c)} IS DISTINCT FROM EXCLUDED.{q(c)}" for c in own)
            conflict = f"ON CONFLICT ({', '.join(map(q, spec.key))}) DO UPDATE SET {assignments} WHERE {guard}"
        self._run(f"INSERT INTO {target} AS t ({names}) SELECT {names} FROM {stage} {conflict}", [], table)
        self._run(f"DROP TABLE {stage}", [], table)
        return {"inserted": len(rows) - stored, "updated": changed, "unchanged": stored - changed}

    def _run(self, statement: str, params: list[object], table: str) -> None:
        """:meth:`execute`, a driver error raised as :class:`WarehouseError` naming the table."""
        try:
            self.execute(statement, params)
        except (duckdb.Error, psycopg.Error) as error:
            raise WarehouseError(f"writing {table} failed: {str(error).strip()}") from error

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


def _bindable(value: object) -> object:
    """:func:`_plain`, with a pandas time as a ``datetime`` (NaT: NULL), for a bound parameter."""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if value is pd.NaT:
        return None
    return _plain(value)


def _integer_columns(table: str) -> set[str]:
    """The INTEGER columns of one of our DDL's tables (CSV must carry their values without a decimal point)."""
    return set(re.findall(r"(?:^|,)\s*(\w+) INTEGER", TABLES.get(table, ""), re.M))


def _integral(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """``frame`` with its INTEGER columns as nullable integers (a float 3.0 of a frame is written 3, NaN NULL)."""
    frame = frame.copy()
    for column in _integer_columns(table) & set(frame.columns):
        frame[column] = pd.to_numeric(frame[column]).round().astype("Int64")
    return frame


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
