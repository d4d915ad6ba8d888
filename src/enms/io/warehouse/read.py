"""Reads: every SELECT of the extract and of the write-back checks, as frames with fixed dtypes.

Times are returned in UTC (tz-aware); buckets are UTC-aligned and half-open [bucket, bucket + width). The same
query gives equal frames from DuckDB and PostgreSQL.
"""

from __future__ import annotations

import json as _json

import pandas as pd

from enms.io.warehouse.connection import Connection, WarehouseError, redact
from enms.io.warehouse.schema import LOAD_ORDER, OWN_SCHEMA, energy_aggregate_sql, energy_type_sql

_ENERGY_VIEWS = {"15 minutes": "energy_readings_15min", "1 hour": "energy_readings_1hour"}
"""The energy aggregate view of each bucket width the reads use."""
_TRUTH_TABLES = ("fault_truth", "efficiency_measures", "outage_truth", "drift_truth")
"""Our truth tables (schema ``enms_analytics``) :meth:`Reader.read_truth` reads."""


SEU_COLUMNS = ["id", "name", "description", "energy_source_id", "machine_ids", "baseline_year",
               "baseline_start_date", "baseline_end_date", "is_active"]
"""The extract's ``seus`` frame (:meth:`Reader.read_seus`)."""
ADJUSTMENT_COLUMNS = ["id", "seu_id", "adjustment_date", "adjustment_type", "adjustment_reason", "old_baseline_year",
                      "new_baseline_year", "adjustment_factor", "approved_by", "approved_at"]
"""The extract's ``baseline_adjustments`` frame (:meth:`Reader.read_baseline_adjustments`)."""
TARGET_COLUMNS = ["id", "seu_id", "factory_id", "target_type", "target_year", "target_description", "baseline_year",
                  "baseline_energy_kwh", "target_reduction_percent", "target_energy_kwh", "target_savings_kwh",
                  "status", "deadline"]
"""The extract's ``energy_targets`` frame (:meth:`Reader.read_energy_targets`)."""


def _checked_width(width: str) -> str:
    """A bucket width the reads know ('15 minutes', '1 hour'): it is formatted into SQL as an interval."""
    if width not in _ENERGY_VIEWS:
        raise ValueError(f"unknown bucket width {width!r}; known: {', '.join(_ENERGY_VIEWS)}")
    return width


class Reader(Connection):
    """The warehouse's reads (a part of :class:`enms.io.Warehouse`)."""

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

    def data_range(self, before: pd.Timestamp | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
        """[first reading, last reading + its interval) over all energy readings, UTC; with ``before`` (UTC, e.g.
        now) over the readings before it only, so a reading stamped in the future does not stretch the range."""
        before_clause, parameters = ("WHERE r.time < %s", [before.to_pydatetime()]) if before is not None else ("", [])
        frame = self.query(
            "SELECT min(r.time) AS first, max(r.time) AS last, max(m.data_interval_seconds) AS step "
            f"FROM energy_readings r JOIN machines m ON m.id = r.machine_id {before_clause}", parameters
        )
        if frame["first"].isna().all():
            when = "" if before is None else f" before {before}"
            raise WarehouseError(f"{redact(self.url)} holds no energy readings{when}")
        first = pd.Timestamp(frame.at[0, "first"]).tz_convert("UTC")
        last = pd.Timestamp(frame.at[0, "last"]).tz_convert("UTC")
        return first, last + pd.Timedelta(seconds=int(frame.at[0, "step"] or 1))

    def read_energy(self, width: str, start: pd.Timestamp, end: pd.Timestamp,
                    machine_ids: list[str]) -> pd.DataFrame:
        """Energy per bucket, machine and energy type (width '15 minutes' or '1 hour'), [start, end).

        Uses the aggregate view ``energy_readings_15min`` / ``_1hour``. Where that view is the EnMS's
        continuous aggregate without ``energy_type`` (it sums a boiler's electricity, gas and steam),
        machines with several energy types are aggregated from the raw readings instead.

        ``total_readings`` counts readings with a non-NULL ``energy_kwh``: the EnMS's aggregates count
        ``count(*)``, so a bucket whose readings are half NULL would look complete while its energy sums half of
        them. The NULL readings are counted from ``energy_readings`` (:meth:`null_energy_readings`) and
        subtracted (on PostgreSQL only while the raw readings are kept, 90 days in the EnMS).
        """
        view = _ENERGY_VIEWS[_checked_width(width)]
        columns = ("bucket, machine_id::VARCHAR AS machine_id, energy_type, avg_power_kw::FLOAT8 AS avg_power_kw, "
                   "min_power_kw::FLOAT8 AS min_power_kw, max_power_kw::FLOAT8 AS max_power_kw, "
                   "total_energy_kwh::FLOAT8 AS total_energy_kwh, total_readings::BIGINT AS total_readings")
        window = "bucket >= %s AND bucket < %s AND machine_id::VARCHAR IN ({ids})"
        if "energy_type" in self.columns_of(view):
            frame = self._read_window(f"SELECT {columns} FROM {view} WHERE {window}", start, end, machine_ids)
        else:
            frame = self._read_energy_without_type(view, columns, window, width, start, end, machine_ids)
        frame = _typed(frame, str=["machine_id", "energy_type"], time=["bucket"])
        nulls = self.null_energy_readings(width, start, end, machine_ids)
        if not nulls.empty:
            frame = frame.merge(nulls, on=["bucket", "machine_id", "energy_type"], how="left")
            counted = pd.to_numeric(frame["total_readings"]) - frame.pop("null_readings").fillna(0)
            frame["total_readings"] = counted.clip(lower=0)
        return _typed(frame.sort_values(["machine_id", "energy_type", "bucket"], ignore_index=True),
                      str=["machine_id", "energy_type"], time=["bucket"], int=["total_readings"],
                      float=["avg_power_kw", "min_power_kw", "max_power_kw", "total_energy_kwh"])

    def null_energy_readings(self, width: str, start: pd.Timestamp, end: pd.Timestamp,
                             machine_ids: list[str]) -> pd.DataFrame:
        """Readings with a NULL ``energy_kwh`` per bucket (width '15 minutes' or '1 hour'), machine and energy type
        (electricity's aliases mapped) in [start, end): bucket, machine_id, energy_type, null_readings."""
        kind, aliases = energy_type_sql()
        frame = self._read_window(
            f"SELECT {self.bucket(_checked_width(width))} AS bucket, machine_id::VARCHAR AS machine_id, "
            f"{kind} AS energy_type, count(*) AS null_readings FROM energy_readings "
            "WHERE energy_kwh IS NULL AND time >= %s AND time < %s AND machine_id::VARCHAR IN ({ids}) "
            "GROUP BY 1, 2, 3", start, end, machine_ids, first=aliases)
        return _typed(frame, str=["machine_id", "energy_type"], time=["bucket"], int=["null_readings"])

    def count_readings_after(self, instant: pd.Timestamp, machine_ids: list[str]) -> int:
        """Energy readings of the machines timestamped after ``instant`` (UTC): readings in the future."""
        ids = ", ".join(["%s"] * len(machine_ids)) or "NULL"
        frame = self.query(f"SELECT count(*) AS n FROM energy_readings WHERE time > %s "
                           f"AND machine_id::VARCHAR IN ({ids})", [instant.to_pydatetime(), *machine_ids])
        return int(frame.at[0, "n"])

    def _read_energy_without_type(self, view: str, columns: str, window: str, width: str,
                                  start: pd.Timestamp, end: pd.Timestamp, machine_ids: list[str]) -> pd.DataFrame:
        kind, aliases = energy_type_sql()
        types = self._read_window(
            f"SELECT machine_id::VARCHAR AS machine_id, count(DISTINCT {kind}) AS n, min({kind}) AS energy_type "
            "FROM energy_readings WHERE time >= %s AND time < %s AND machine_id::VARCHAR IN ({ids}) "
            "GROUP BY 1", start, end, machine_ids, first=[*aliases, *aliases],
        )
        single = types[types["n"] == 1]
        several = types.loc[types["n"] > 1, "machine_id"].tolist()
        parts = []
        for energy_type, group in single.groupby("energy_type"):
            # The view has no energy type: the machine's one type is a bound value, never formatted in.
            typed_columns = columns.replace("energy_type", "CAST(%s AS VARCHAR) AS energy_type")
            parts.append(self._read_window(f"SELECT {typed_columns} FROM {view} WHERE {window}",
                                           start, end, group["machine_id"].tolist(), first=[energy_type]))
        if several:
            raw = energy_aggregate_sql(self.bucket(width), width, where="time >= %s AND time < %s "
                                       "AND machine_id::VARCHAR IN ({ids})", bound=True)
            parts.append(self._read_window(f"SELECT {columns} FROM ({raw}) AS raw", start, end, several,
                                           first=aliases))
        if not parts:
            return pd.DataFrame(columns=["bucket", "machine_id", "energy_type", "avg_power_kw", "min_power_kw",
                                         "max_power_kw", "total_energy_kwh", "total_readings"])
        return pd.concat(parts, ignore_index=True)

    def _read_window(self, statement: str, start: pd.Timestamp, end: pd.Timestamp,
                     machine_ids: list[str], first: list[object] = ()) -> pd.DataFrame:
        """Run ``statement`` with ``first`` (parameters that come before the window), start, end and the ids."""
        ids = ", ".join(["%s"] * len(machine_ids)) or "NULL"
        return self.query(statement.format(ids=ids),
                          [*first, start.to_pydatetime(), end.to_pydatetime(), *machine_ids])

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
        kind, aliases = energy_type_sql()
        types = self.query(
            f"SELECT m.name AS what, count(DISTINCT {kind}) AS n FROM energy_readings "
            "JOIN machines m ON m.id = energy_readings.machine_id GROUP BY 1 ORDER BY 1", aliases)
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
        """One of our truth tables (fault_truth, efficiency_measures, outage_truth, drift_truth); empty if absent."""
        if table not in _TRUTH_TABLES:  # the name is formatted into SQL: only our own tables' names
            raise ValueError(f"unknown truth table {table!r}; known: {', '.join(_TRUTH_TABLES)}")
        name = f"{OWN_SCHEMA}.{table}"
        if not self.relation_exists(name):
            return pd.DataFrame()
        frame = self.query(f"SELECT * FROM {name}")
        frame["machine_id"] = frame["machine_id"].astype("str")
        kinds = {"int": ["fault_id", "measure_id", "drift_id"], "bool": ["in_baseline_period"],
                 "time": ["start_time", "end_time"],
                 "float": ["power_change_pct", "extra_energy_kwh", "design_saving_fraction", "counterfactual_kwh",
                           "actual_kwh", "saving_kwh", "saving_fraction"]}
        typed = {kind: [c for c in columns if c in frame] for kind, columns in kinds.items()}
        typed["str"] = [c for c in frame if frame[c].dtype == object and c not in sum(typed.values(), [])]
        order = "fault_id" if "fault_id" in frame else "measure_id" if "measure_id" in frame else "start_time"
        return _typed(frame.sort_values(["machine_id", order], ignore_index=True), **typed)

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

    def read_forecasts(self) -> pd.DataFrame:
        """``energy_forecasts`` as stored (kW), by machine and forecast hour."""
        frame = self.query(
            "SELECT machine_id::VARCHAR AS machine_id, model_type::VARCHAR AS model_type, horizon::VARCHAR AS "
            "horizon, forecasted_at, forecast_time, predicted_power_kw::FLOAT8 AS predicted_power_kw, "
            "lower_bound_kw::FLOAT8 AS lower_bound_kw, upper_bound_kw::FLOAT8 AS upper_bound_kw "
            "FROM energy_forecasts ORDER BY machine_id, forecast_time")
        return _typed(frame, str=["machine_id", "model_type", "horizon"], time=["forecasted_at", "forecast_time"],
                      float=["predicted_power_kw", "lower_bound_kw", "upper_bound_kw"])

    def read_seus(self) -> pd.DataFrame:
        """The EnMS's significant energy uses: id, name, description, energy_source_id, machine_ids (list of str),
        baseline_year, baseline_start_date and baseline_end_date (local dates of the factory, the end included),
        is_active. Empty with these columns where the table is absent (an EnMS older than 07-)."""
        if not self.relation_exists("seus"):
            return pd.DataFrame(columns=SEU_COLUMNS)
        frame = self.query(
            "SELECT id::VARCHAR AS id, name, description, energy_source_id::VARCHAR AS energy_source_id, "
            "CAST(machine_ids AS VARCHAR[]) AS machine_ids, baseline_year, baseline_start_date, baseline_end_date, "
            "is_active FROM seus ORDER BY name, id")
        frame["machine_ids"] = frame["machine_ids"].map(lambda ids: [] if ids is None else [str(i) for i in ids])
        return _typed(_dated(frame, ["baseline_start_date", "baseline_end_date"]),
                      str=["id", "name", "description", "energy_source_id"], nullable_int=["baseline_year"],
                      bool=["is_active"])[SEU_COLUMNS]

    def read_baseline_adjustments(self) -> pd.DataFrame:
        """The EnMS's non-routine baseline adjustments (09-): id, seu_id, adjustment_date (local date),
        adjustment_type, adjustment_reason, old_baseline_year, new_baseline_year, adjustment_factor (multiplier),
        approved_by, approved_at (UTC; NULL: not approved). Empty with these columns where the table is absent."""
        if not self.relation_exists("baseline_adjustments"):
            return pd.DataFrame(columns=ADJUSTMENT_COLUMNS)
        frame = self.query(
            "SELECT id::VARCHAR AS id, seu_id::VARCHAR AS seu_id, adjustment_date, adjustment_type, "
            "adjustment_reason, old_baseline_year, new_baseline_year, adjustment_factor::FLOAT8 AS adjustment_factor, "
            "approved_by, approved_at FROM baseline_adjustments ORDER BY seu_id, adjustment_date, id")
        return _typed(_dated(frame, ["adjustment_date"]),
                      str=["id", "seu_id", "adjustment_type", "adjustment_reason", "approved_by"],
                      nullable_int=["old_baseline_year", "new_baseline_year"], float=["adjustment_factor"],
                      time=["approved_at"])[ADJUSTMENT_COLUMNS]

    def read_energy_targets(self) -> pd.DataFrame:
        """The EnMS's energy targets (15-), per SEU or per factory: kWh, % and the deadline (local date). Empty
        with the columns of :data:`TARGET_COLUMNS` where the table is absent."""
        if not self.relation_exists("energy_targets"):
            return pd.DataFrame(columns=TARGET_COLUMNS)
        kwh = ["baseline_energy_kwh", "target_reduction_percent", "target_energy_kwh", "target_savings_kwh"]
        frame = self.query(
            "SELECT id::VARCHAR AS id, seu_id::VARCHAR AS seu_id, factory_id::VARCHAR AS factory_id, target_type, "
            "target_year, target_description, baseline_year, "
            + ", ".join(f"{c}::FLOAT8 AS {c}" for c in kwh)
            + ", status, deadline FROM energy_targets ORDER BY target_year, id")
        return _typed(_dated(frame, ["deadline"]),
                      str=["id", "seu_id", "factory_id", "target_type", "target_description", "status"],
                      int=["target_year"], nullable_int=["baseline_year"], float=kwh)[TARGET_COLUMNS]

    def read_baselines(self) -> pd.DataFrame:
        """The stored baselines (id, machine, energy type, version, activity, figures), oldest first."""
        frame = self.query(
            "SELECT id::VARCHAR AS id, machine_id::VARCHAR AS machine_id, metadata->>'energy_type' AS energy_type, "
            "model_name, model_type, model_version, is_active, r_squared::FLOAT8 AS r_squared, rmse::FLOAT8 AS rmse, "
            "mae::FLOAT8 AS mae, training_samples, training_start_date, metadata->>'fingerprint' AS fingerprint "
            "FROM energy_baselines ORDER BY machine_id, energy_type, model_version")
        return _typed(frame, str=["id", "machine_id", "energy_type", "model_name", "model_type", "fingerprint"],
                      int=["model_version", "training_samples"], bool=["is_active"],
                      float=["r_squared", "rmse", "mae"], time=["training_start_date"])


def _dated(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """DATE columns as ``datetime.date`` (None where NULL) whatever the driver returns (DuckDB: timestamps)."""
    frame = frame.copy()
    for column in columns:
        frame[column] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in frame[column]]
        frame[column] = frame[column].astype(object)
    return frame


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

