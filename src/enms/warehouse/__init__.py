"""The warehouse: every SQL statement of the project, for DuckDB (embedded default) and PostgreSQL.

A warehouse is named by a URL: ``duckdb:data/enms.duckdb`` (or a plain ``*.duckdb`` path) or
``postgresql://user@host:port/db``. The word ``env`` means "take ``ENMS_DATABASE_URL``"; a missing or
empty variable is an error, never a silent fallback to DuckDB.

Times are stored and returned in UTC (tz-aware). Buckets are UTC-aligned and half-open [bucket,
bucket + width). Reads return frames with fixed dtypes, so the same query gives equal frames from both
dialects.
"""

from __future__ import annotations

import contextlib
import json as _json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import pandas as pd
import psycopg

from enms.anomalies import plan_write_back
from enms.warehouse.schema import (
    ENUMS,
    LOAD_ORDER,
    OWN_SCHEMA,
    TABLES,
    TIME_SERIES_KEYS,
    energy_aggregate_sql,
    views,
)

DATABASE_URL_VARIABLE = "ENMS_DATABASE_URL"
_PG_ORIGIN = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"


class WarehouseError(RuntimeError):
    """The warehouse cannot be reached, opened or read as asked; the message says what to do."""


class UnknownNameError(ValueError):
    """A machine or factory named in a parameter does not exist in the warehouse."""


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


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


@dataclass
class Warehouse:
    """An open warehouse connection (DuckDB file or PostgreSQL database)."""

    url: str
    dialect: str  # "duckdb" | "postgres"
    connection: Any

    # ---------------------------------------------------------------- connection

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Warehouse:
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
        schema, _, table = name.rpartition(".")
        frame = self.query(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = %s",
            [schema or ("main" if self.dialect == "duckdb" else "public"), table],
        )
        return not frame.empty

    def columns_of(self, name: str) -> list[str]:
        schema, _, table = name.rpartition(".")
        frame = self.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s",
            [schema or ("main" if self.dialect == "duckdb" else "public"), table],
        )
        return frame["column_name"].tolist()

    # ---------------------------------------------------------------- schema

    def init_schema(self) -> list[str]:
        """Create what is missing of the EnMS schema, our schema and the aggregate views (idempotent).

        Existing tables and views (a live EnMS, its continuous aggregates) are left as they are.
        Returns the names created.
        """
        created = []
        fill = {
            "uuid_default": "gen_random_uuid()",
            "json": "JSON" if self.dialect == "duckdb" else "JSONB",
            "now": "current_timestamp",
            "bigserial": "BIGINT DEFAULT nextval('energy_forecasts_id_seq')"
            if self.dialect == "duckdb"
            else "BIGSERIAL",
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

    def require_schema(self) -> None:
        """Fail clearly when the database does not hold the EnMS tables."""
        if not self.relation_exists("machines"):
            raise WarehouseError(
                f"{_redact(self.url)} holds no EnMS tables: run `enms db init` (PostgreSQL) "
                "or `enms demo` (DuckDB demo plant) first."
            )

    # ---------------------------------------------------------------- writes

    def write_frame(self, table: str, frame: pd.DataFrame) -> None:
        """Append ``frame`` to ``table`` (columns by name); call inside :meth:`transaction`."""
        if frame.empty:
            return
        columns = ", ".join(frame.columns)
        try:
            if self.dialect == "duckdb":
                self.connection.register("_enms_frame", frame)
                self.connection.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _enms_frame")
                self.connection.unregister("_enms_frame")
            else:
                statement = f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)"
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
            columns = ", ".join(key)
            duplicate = self.query(f"SELECT {columns}, count(*) AS n FROM {table} GROUP BY ALL HAVING n > 1 LIMIT 1")
            if not duplicate.empty:
                row = duplicate.iloc[0]
                found = ", ".join(f"{c}={row[c]}" for c in key)
                raise WarehouseError(f"duplicate key in {table}: {found} appears {row['n']} times")

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

    # ---------------------------------------------------------------- write-back

    def _json(self) -> str:
        return "JSON" if self.dialect == "duckdb" else "JSONB"

    def publish_baselines(self, rows: pd.DataFrame) -> dict[str, int]:
        """Write ``energy_baselines`` rows (from :func:`enms.publish.baseline_rows`) in one transaction.

        A row whose fingerprint is already stored for its machine and energy source is skipped, so a re-run
        with unchanged inputs creates no version. Otherwise it gets model_version = latest + 1, and when it
        is active the previous active model of that machine and energy source is deactivated: exactly one
        stays active. Older EnMS databases without ``energy_source_id`` key versions by machine and tell
        energy sources apart by ``metadata.energy_type``.
        """
        has_source = "energy_source_id" in self.columns_of("energy_baselines")
        counts = {"inserted": 0, "unchanged": 0}
        with self.transaction():
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
        values = {**{k: None if isinstance(v, float) and v != v else v for k, v in row.items()},
                  "model_version": version,
                  "training_start_date": row["training_start_date"].isoformat(),
                  "training_end_date": row["training_end_date"].isoformat()}
        self.execute(
            f"INSERT INTO energy_baselines ({', '.join(columns)}) "
            f"VALUES ({', '.join(casts.get(c, '%s') for c in columns)})",
            [values[c] for c in columns],
        )

    def read_anomalies(self, machine_ids: list[str] | None = None) -> pd.DataFrame:
        """Stored anomalies (all, or of the given machines), with metadata as JSON text, oldest first."""
        where = ""
        params: list[str] = []
        if machine_ids is not None:
            where = f"WHERE machine_id::VARCHAR IN ({', '.join(['%s'] * len(machine_ids)) or 'NULL'})"
            params = list(machine_ids)
        frame = self.query(
            "SELECT id::VARCHAR AS id, machine_id::VARCHAR AS machine_id, detected_at, anomaly_type, "
            "severity::VARCHAR AS severity, metric_name, metric_value::FLOAT8 AS metric_value, "
            "expected_value::FLOAT8 AS expected_value, deviation_percent::FLOAT8 AS deviation_percent, "
            "deviation_std_dev::FLOAT8 AS deviation_std_dev, detection_method, "
            "confidence_score::FLOAT8 AS confidence_score, is_resolved, resolved_at, resolution_notes, "
            f"metadata::VARCHAR AS metadata FROM anomalies {where} ORDER BY detected_at, id", params)
        return _typed(frame, str=["id", "machine_id", "anomaly_type", "severity", "metric_name", "detection_method",
                                  "resolution_notes"], json=["metadata"], bool=["is_resolved"],
                      time=["detected_at", "resolved_at"],
                      float=["metric_value", "expected_value", "deviation_percent", "deviation_std_dev",
                             "confidence_score"])

    def publish_anomalies(self, rows: pd.DataFrame) -> dict[str, int]:
        """Write ``anomalies`` rows (from :func:`enms.anomalies.anomaly_rows`) idempotently, in one transaction.

        The table has no unique key: :func:`enms.anomalies.plan_write_back` matches each event with what is
        stored (same event key, or an overlapping event of the same machine, energy type, type and method), so
        a re-run inserts nothing, an event that grew updates its stored row, and rows people marked resolved
        are never touched.
        """
        with self.transaction():
            stored = self.read_anomalies(sorted(set(rows["machine_id"])))
            insert, update, skip = plan_write_back(rows, stored)
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

    def upsert_frame(self, table: str, frame: pd.DataFrame, keys: list[str], *, update: bool = True,
                     only_if_newer: str | None = None) -> None:
        """Insert ``frame`` into ``table``; rows whose ``keys`` exist are updated (``update``) or left alone.

        ``only_if_newer`` names a column: an existing row is updated only when the new value is not older (a
        newer forecast replaces an older one, never the reverse). Call inside :meth:`transaction`.
        """
        if frame.empty:
            return
        columns = ", ".join(frame.columns)
        conflict = f"ON CONFLICT ({', '.join(keys)}) DO NOTHING"
        if update:
            assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in frame.columns if c not in keys)
            guard = f" WHERE {table}.{only_if_newer} <= EXCLUDED.{only_if_newer}" if only_if_newer else ""
            conflict = f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {assignments}{guard}"
        if self.dialect == "duckdb":
            self.connection.register("_enms_stage", frame)
            self.connection.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _enms_stage {conflict}")
            self.connection.unregister("_enms_stage")
            return
        self.execute(f"CREATE TEMP TABLE _enms_stage (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP")
        self.write_frame("_enms_stage", frame)
        self.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _enms_stage {conflict}")
        self.execute("DROP TABLE _enms_stage")

    def publish_forecasts(self, rows: pd.DataFrame, vintages: pd.DataFrame) -> dict[str, int]:
        """Write ``energy_forecasts`` rows (the newest forecast per hour, machine and model type replaces an
        older one, as the EnMS's key implies) and every vintage into our own table, in one transaction.
        Re-running the same forecast changes nothing."""
        with self.transaction():
            before = self._count(f"{OWN_SCHEMA}.forecast_vintages")
            self.upsert_frame("energy_forecasts", rows, ["forecast_time", "machine_id", "model_type"],
                              only_if_newer="forecasted_at")
            self.upsert_frame(f"{OWN_SCHEMA}.forecast_vintages", vintages,
                              ["machine_id", "energy_type", "model_name", "forecasted_at", "forecast_time"])
            added = self._count(f"{OWN_SCHEMA}.forecast_vintages") - before
        return {"energy_forecasts": len(rows), "vintages_added": added, "vintages_kept": len(vintages) - added}

    def _count(self, table: str) -> int:
        return int(self.query(f"SELECT count(*) AS n FROM {table}").at[0, "n"])

    def read_forecasts(self) -> pd.DataFrame:
        """``energy_forecasts`` as stored (kW), by machine and forecast hour."""
        frame = self.query(
            "SELECT machine_id::VARCHAR AS machine_id, model_type::VARCHAR AS model_type, horizon::VARCHAR AS "
            "horizon, forecasted_at, forecast_time, predicted_power_kw::FLOAT8 AS predicted_power_kw, "
            "lower_bound_kw::FLOAT8 AS lower_bound_kw, upper_bound_kw::FLOAT8 AS upper_bound_kw "
            "FROM energy_forecasts ORDER BY machine_id, forecast_time")
        return _typed(frame, str=["machine_id", "model_type", "horizon"], time=["forecasted_at", "forecast_time"],
                      float=["predicted_power_kw", "lower_bound_kw", "upper_bound_kw"])

    def read_baselines(self) -> pd.DataFrame:
        """The stored baselines (id, machine, energy type, version, activity, figures), oldest first."""
        frame = self.query(
            "SELECT id::VARCHAR AS id, machine_id::VARCHAR AS machine_id, metadata->>'energy_type' AS energy_type, "
            "model_name, model_type, model_version, is_active, r_squared::FLOAT8 AS r_squared, rmse::FLOAT8 AS rmse, "
            "mae::FLOAT8 AS mae, training_samples, metadata->>'fingerprint' AS fingerprint "
            "FROM energy_baselines ORDER BY machine_id, energy_type, model_version")
        return _typed(frame, str=["id", "machine_id", "energy_type", "model_name", "model_type", "fingerprint"],
                      int=["model_version", "training_samples"], bool=["is_active"],
                      float=["r_squared", "rmse", "mae"])

    # ---------------------------------------------------------------- reads

    def read_factories(self) -> pd.DataFrame:
        frame = self.query(
            "SELECT id::VARCHAR AS factory_id, name AS factory_name, location, timezone, "
            "metadata::VARCHAR AS metadata FROM factories ORDER BY name"
        )
        return _typed(frame, str=["factory_id", "factory_name", "location", "timezone"], json=["metadata"])

    def read_machines(self) -> pd.DataFrame:
        frame = self.query(
            "SELECT m.id::VARCHAR AS machine_id, m.name AS machine_name, m.factory_id::VARCHAR AS factory_id, "
            "f.name AS factory_name, f.timezone, m.type::VARCHAR AS machine_type, "
            "m.rated_power_kw::FLOAT8 AS rated_power_kw, m.data_interval_seconds, m.is_active, "
            "m.metadata::VARCHAR AS metadata "
            "FROM machines m JOIN factories f ON f.id = m.factory_id ORDER BY f.name, m.name"
        )
        return _typed(
            frame,
            str=["machine_id", "machine_name", "factory_id", "factory_name", "timezone", "machine_type"],
            json=["metadata"],
            float=["rated_power_kw"], int=["data_interval_seconds"], bool=["is_active"],
        )

    def read_energy_sources(self) -> pd.DataFrame:
        frame = self.query(
            "SELECT id::VARCHAR AS energy_source_id, name, unit, cost_per_unit::FLOAT8 AS cost_per_unit, "
            "carbon_factor::FLOAT8 AS carbon_factor, is_active FROM energy_sources ORDER BY name"
        )
        return _typed(frame, str=["energy_source_id", "name", "unit"],
                      float=["cost_per_unit", "carbon_factor"], bool=["is_active"])

    def read_tariffs(self) -> pd.DataFrame:
        frame = self.query(
            "SELECT id::VARCHAR AS tariff_id, factory_id::VARCHAR AS factory_id, name, "
            "rate_per_kwh::FLOAT8 AS rate_per_kwh, currency, is_time_of_use, start_hour, end_hour, "
            "applicable_days, demand_charge_per_kw::FLOAT8 AS demand_charge_per_kw, valid_from, valid_to, "
            "is_active FROM energy_tariffs ORDER BY factory_id, valid_from, name"
        )
        frame["applicable_days"] = frame["applicable_days"].map(
            lambda days: None if days is None else [int(d) for d in days]
        )
        for column in ("valid_from", "valid_to"):
            frame[column] = pd.to_datetime(frame[column]).dt.date
        return _typed(frame, str=["tariff_id", "factory_id", "name", "currency"],
                      float=["rate_per_kwh", "demand_charge_per_kw"], bool=["is_time_of_use", "is_active"],
                      nullable_int=["start_hour", "end_hour"])

    def read_carbon_factors(self) -> pd.DataFrame:
        frame = self.query(
            "SELECT id::VARCHAR AS carbon_factor_id, region, grid_name, "
            "emission_factor_kg_co2_per_kwh::FLOAT8 AS emission_factor_kg_co2_per_kwh, source, "
            "valid_from, valid_to, is_active FROM carbon_factors ORDER BY region, valid_from"
        )
        for column in ("valid_from", "valid_to"):
            frame[column] = pd.to_datetime(frame[column]).dt.date
        return _typed(frame, str=["carbon_factor_id", "region", "grid_name", "source"],
                      float=["emission_factor_kg_co2_per_kwh"], bool=["is_active"])

    def read_machine_status(self) -> pd.DataFrame:
        frame = self.query(
            "SELECT machine_id::VARCHAR AS machine_id, is_running, current_mode::VARCHAR AS current_mode, "
            "current_power_kw::FLOAT8 AS current_power_kw, last_reading_time, "
            "alert_level::VARCHAR AS alert_level FROM machine_status ORDER BY machine_id"
        )
        return _typed(frame, str=["machine_id", "current_mode", "alert_level"],
                      float=["current_power_kw"], bool=["is_running"], time=["last_reading_time"])

    def data_range(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """[first reading, last reading + its interval) over all energy readings, UTC."""
        frame = self.query(
            "SELECT min(r.time) AS first, max(r.time) AS last, max(m.data_interval_seconds) AS step "
            "FROM energy_readings r JOIN machines m ON m.id = r.machine_id"
        )
        if frame["first"].isna().all():
            raise WarehouseError(f"{_redact(self.url)} holds no energy readings")
        first = pd.Timestamp(frame.at[0, "first"]).tz_convert("UTC")
        last = pd.Timestamp(frame.at[0, "last"]).tz_convert("UTC")
        return first, last + pd.Timedelta(seconds=int(frame.at[0, "step"] or 1))

    def read_energy(self, width: str, start: pd.Timestamp, end: pd.Timestamp,
                    machine_ids: list[str]) -> pd.DataFrame:
        """Energy per bucket, machine and energy type (width '15 minutes' or '1 hour'), [start, end).

        Uses the aggregate view ``energy_readings_15min`` / ``_1hour``. Where that view is the EnMS's
        continuous aggregate without ``energy_type`` (it sums a boiler's electricity, gas and steam),
        machines with several energy types are aggregated from the raw readings instead.
        """
        view = {"15 minutes": "energy_readings_15min", "1 hour": "energy_readings_1hour"}[width]
        columns = ("bucket, machine_id::VARCHAR AS machine_id, energy_type, avg_power_kw::FLOAT8 AS avg_power_kw, "
                   "min_power_kw::FLOAT8 AS min_power_kw, max_power_kw::FLOAT8 AS max_power_kw, "
                   "total_energy_kwh::FLOAT8 AS total_energy_kwh, total_readings::BIGINT AS total_readings")
        window = "bucket >= %s AND bucket < %s AND machine_id::VARCHAR IN ({ids})"
        if "energy_type" in self.columns_of(view):
            frame = self._read_window(f"SELECT {columns} FROM {view} WHERE {window}", start, end, machine_ids)
        else:
            frame = self._read_energy_without_type(view, columns, window, width, start, end, machine_ids)
        return _typed(frame.sort_values(["machine_id", "energy_type", "bucket"], ignore_index=True),
                      str=["machine_id", "energy_type"], time=["bucket"], int=["total_readings"],
                      float=["avg_power_kw", "min_power_kw", "max_power_kw", "total_energy_kwh"])

    def _read_energy_without_type(self, view: str, columns: str, window: str, width: str,
                                  start: pd.Timestamp, end: pd.Timestamp, machine_ids: list[str]) -> pd.DataFrame:
        types = self._read_window(
            "SELECT machine_id::VARCHAR AS machine_id, "
            "count(DISTINCT CASE WHEN energy_type = 'energy' THEN 'electricity' ELSE energy_type END) AS n, "
            "min(CASE WHEN energy_type = 'energy' THEN 'electricity' ELSE energy_type END) AS energy_type "
            "FROM energy_readings WHERE time >= %s AND time < %s AND machine_id::VARCHAR IN ({ids}) "
            "GROUP BY 1", start, end, machine_ids,
        )
        single = types[types["n"] == 1]
        several = types.loc[types["n"] > 1, "machine_id"].tolist()
        parts = []
        for energy_type, group in single.groupby("energy_type"):
            typed_columns = columns.replace("energy_type", f"'{energy_type}' AS energy_type")
            parts.append(self._read_window(f"SELECT {typed_columns} FROM {view} WHERE {window}",
                                           start, end, group["machine_id"].tolist()))
        if several:
            raw = energy_aggregate_sql(self.bucket(width), width, where="time >= %s AND time < %s "
                                       "AND machine_id::VARCHAR IN ({ids})")
            parts.append(self._read_window(f"SELECT {columns} FROM ({raw}) AS raw", start, end, several))
        return pd.concat(parts, ignore_index=True)

    def _read_window(self, statement: str, start: pd.Timestamp, end: pd.Timestamp,
                     machine_ids: list[str]) -> pd.DataFrame:
        ids = ", ".join(["%s"] * len(machine_ids)) or "NULL"
        return self.query(statement.format(ids=ids), [start.to_pydatetime(), end.to_pydatetime(), *machine_ids])

    def read_production_hourly(self, start: pd.Timestamp, end: pd.Timestamp,
                               machine_ids: list[str]) -> pd.DataFrame:
        """Units made per UTC hour (summed: counts are per interval, never averaged)."""
        frame = self._read_window(
            "SELECT bucket, machine_id::VARCHAR AS machine_id, total_production_count, total_production_good, "
            "total_production_bad, total_downtime_seconds, total_readings::BIGINT AS total_readings "
            "FROM production_data_1hour WHERE bucket >= %s AND bucket < %s AND machine_id::VARCHAR IN ({ids})",
            start, end, machine_ids,
        )
        counts = ["total_production_count", "total_production_good", "total_production_bad",
                  "total_downtime_seconds", "total_readings"]
        return _typed(frame.sort_values(["machine_id", "bucket"], ignore_index=True),
                      str=["machine_id"], time=["bucket"], int=counts)

    def read_environment_hourly(self, start: pd.Timestamp, end: pd.Timestamp,
                                machine_ids: list[str]) -> pd.DataFrame:
        """Hourly means of the environmental readings (°C, %, bar, m³/h, mm/s)."""
        measures = ["avg_outdoor_temp_c", "avg_indoor_temp_c", "avg_machine_temp_c", "avg_outdoor_humidity",
                    "avg_indoor_humidity", "avg_pressure_bar", "avg_flow_rate_m3h", "avg_vibration_mm_s"]
        frame = self._read_window(
            "SELECT bucket, machine_id::VARCHAR AS machine_id, "
            + ", ".join(f"{m}::FLOAT8 AS {m}" for m in measures)
            + ", total_readings::BIGINT AS total_readings FROM environmental_data_1hour "
            "WHERE bucket >= %s AND bucket < %s AND machine_id::VARCHAR IN ({ids})",
            start, end, machine_ids,
        )
        return _typed(frame.sort_values(["machine_id", "bucket"], ignore_index=True),
                      str=["machine_id"], time=["bucket"], float=measures, int=["total_readings"])

    def read_mode_hourly(self, start: pd.Timestamp, end: pd.Timestamp, machine_ids: list[str]) -> pd.DataFrame:
        """Readings per operating mode per UTC hour, from the production_data history."""
        counts = ["n_running", "n_idle", "n_maintenance", "n_fault", "n_offline", "total_readings"]
        frame = self._read_window(
            "SELECT bucket, machine_id::VARCHAR AS machine_id, "
            + ", ".join(f"{c}::BIGINT AS {c}" for c in counts)
            + f" FROM {OWN_SCHEMA}.operating_mode_1hour "
            "WHERE bucket >= %s AND bucket < %s AND machine_id::VARCHAR IN ({ids})",
            start, end, machine_ids,
        )
        frame = _typed(frame.sort_values(["machine_id", "bucket"], ignore_index=True),
                       str=["machine_id"], time=["bucket"], int=counts)
        modes = frame[counts[:-1]]
        frame["dominant_mode"] = modes.idxmax(axis=1).str.removeprefix("n_").astype("str")
        return frame

    def summary(self) -> pd.DataFrame:
        """Rows per table, machines per factory, energy types and operating-mode hours: what the warehouse holds."""
        rows = [(f"rows in {table}", self._count(table)) for table in LOAD_ORDER if self.relation_exists(table)]
        per_factory = self.query(
            "SELECT f.name || ' (' || f.timezone || ')' AS what, count(*) AS n FROM machines m "
            "JOIN factories f ON f.id = m.factory_id GROUP BY 1 ORDER BY 1")
        rows += [(f"machines in {r.what}", int(r.n)) for r in per_factory.itertuples()]
        types = self.query(
            "SELECT m.name AS what, count(DISTINCT CASE WHEN r.energy_type = 'energy' THEN 'electricity' "
            "ELSE r.energy_type END) AS n FROM energy_readings r "
            "JOIN machines m ON m.id = r.machine_id GROUP BY 1 ORDER BY 1")
        rows += [(f"energy types of {r.what}", int(r.n)) for r in types.itertuples()]
        modes = self.query(
            f"SELECT sum(n_maintenance) AS maintenance, sum(n_fault) AS fault, sum(n_offline) AS offline "
            f"FROM {OWN_SCHEMA}.operating_mode_1hour")
        step = self.query("SELECT max(data_interval_seconds) AS s FROM machines").at[0, "s"]
        rows += [(f"machine-hours in {mode}", round(float(modes.at[0, mode] or 0) * float(step) / 3600, 1))
                 for mode in modes.columns]
        faults = self.read_truth("fault_truth")
        if not faults.empty:
            rows += [("injected faults", len(faults)), ("fault types", faults["fault_type"].nunique())]
        rows.append(("efficiency measures", len(self.read_truth("efficiency_measures"))))
        return pd.DataFrame([(what, f"{value:,}") for what, value in rows], columns=["what", "value"])

    def read_truth(self, table: str) -> pd.DataFrame:
        """One of our truth tables (fault_truth, efficiency_measures, outage_truth); empty if absent."""
        name = f"{OWN_SCHEMA}.{table}"
        if not self.relation_exists(name):
            return pd.DataFrame()
        frame = self.query(f"SELECT * FROM {name}")
        frame["machine_id"] = frame["machine_id"].astype("str")
        kinds = {"int": ["fault_id", "measure_id"], "bool": ["in_baseline_period"],
                 "time": ["start_time", "end_time"],
                 "float": ["power_change_pct", "extra_energy_kwh", "design_saving_fraction", "counterfactual_kwh",
                           "actual_kwh", "saving_kwh", "saving_fraction"]}
        typed = {kind: [c for c in columns if c in frame] for kind, columns in kinds.items()}
        typed["str"] = [c for c in frame if frame[c].dtype == object and c not in sum(typed.values(), [])]
        order = "fault_id" if "fault_id" in frame else "measure_id" if "measure_id" in frame else "start_time"
        return _typed(frame.sort_values(["machine_id", order], ignore_index=True), **typed)


_ARRAY_COLUMNS = {"applicable_days", "feature_names"}


def _frame_to_pg_csv(frame: pd.DataFrame) -> str:
    out = frame.copy()
    for column in out.columns:
        if out[column].map(lambda v: isinstance(v, list | tuple)).any():
            out[column] = out[column].map(
                lambda v: None if v is None else "{" + ",".join(str(x) for x in v) + "}"
            )
    return out.to_csv(index=False, header=False, na_rep="")


def _typed(frame: pd.DataFrame, *, str: list[str] = (), float: list[str] = (), int: list[str] = (),
           bool: list[str] = (), time: list[str] = (), json: list[str] = (),
           nullable_int: list[str] = ()) -> pd.DataFrame:
    """Give read columns one dtype whatever the dialect (so DuckDB and PostgreSQL frames compare equal).

    JSON is re-serialised with sorted keys: PostgreSQL's JSONB reorders keys and spacing.
    """
    frame = frame.copy()
    for column in json:
        frame[column] = frame[column].map(lambda v: None if v is None else _json.dumps(_json.loads(v), sort_keys=True))
    for column in (*str, *json):
        frame[column] = frame[column].astype("str").where(frame[column].notna(), None)
    for column in nullable_int:
        frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    for column in float:
        frame[column] = pd.to_numeric(frame[column]).astype("float64")
    for column in int:
        frame[column] = pd.to_numeric(frame[column]).astype("int64")
    for column in bool:
        frame[column] = frame[column].astype("bool")
    for column in time:
        frame[column] = pd.to_datetime(frame[column], utc=True).astype("datetime64[us, UTC]")
    return frame


def connect(url: str | None, *, create: bool = False, read_only: bool = False) -> Warehouse:
    """Open the warehouse named by ``url`` (see the module docstring).

    DuckDB files must exist unless ``create``; PostgreSQL must answer within 5 s.
    """
    url = resolve_url(url)
    if url.startswith(("postgresql://", "postgres://")):
        return _connect_postgres(url)
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
    return Warehouse(url=f"duckdb:{path}", dialect="duckdb", connection=con)


def _connect_postgres(url: str) -> Warehouse:
    parts = urlsplit(url)
    try:
        con = psycopg.connect(url, connect_timeout=5, autocommit=True)
    except psycopg.Error as error:
        raise WarehouseError(
            f"PostgreSQL at {parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path} did not answer "
            f"({_redact(url)}): {str(error).strip()}"
        ) from error
    con.execute("SET TIME ZONE 'UTC'")
    return Warehouse(url=url, dialect="postgres", connection=con)
