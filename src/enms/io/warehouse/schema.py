"""The EnMS schema (seed-schema.md) as DDL for DuckDB and PostgreSQL.

Table and column names are a contract with the EnMS database: a live EnMS must be readable and writable
without a migration. Our own tables live in the schema ``enms_analytics`` so they cannot clash.
Aggregates are plain views here (DuckDB computes them fast; on PostgreSQL without TimescaleDB a view
keeps them exact), with the columns and NUMERIC types of the EnMS's continuous aggregates. Unlike those they
group by ``energy_type`` as well, so a boiler's electricity, gas and steam are never summed.

Either set-up order works: ``enms db init`` then the EnMS's scripts, or the EnMS first, then ``enms db init``,
which then only adds the schema ``enms_analytics`` (tests/enms/ checks both).
"""

from __future__ import annotations

import re

from enms.units import LEGACY_ENERGY_TYPES

OWN_SCHEMA = "enms_analytics"

ELECTRICITY_ALIASES: tuple[str, ...] = tuple(sorted(LEGACY_ENERGY_TYPES))
"""Names the EnMS's readings give electricity besides 'electricity' ('energy', 'electrical': its default)."""

ENUMS: dict[str, tuple[str, ...]] = {
    "machine_type": (
        # 'boiler' last: the EnMS adds it to its original enum (02-schema.sql) with ALTER TYPE … ADD VALUE.
        "compressor", "hvac", "motor", "pump", "injection_molding", "conveyor", "other", "boiler",
    ),
    "operating_mode": ("idle", "running", "maintenance", "fault", "offline"),
    "alert_level": ("normal", "warning", "critical"),
    "forecast_model_type": ("ARIMA", "Prophet", "LSTM", "Other"),
    "forecast_horizon": ("short", "medium", "long"),
}

# The EnMS's unique keys of the raw time series. PostgreSQL enforces them with UNIQUE; DuckDB's indexes live
# in memory (4.6 GB for the demo plant), so there the warehouse verifies them after each load instead.
TIME_SERIES_KEYS: dict[str, tuple[str, ...]] = {
    "energy_readings": ("machine_id", "time", "energy_type"),
    "production_data": ("machine_id", "time"),
    "environmental_data": ("machine_id", "time"),
}

# {uuid_default}, {json}, {empty_json}, {now}, {bigserial}, {on_delete_*}, {seu_reference} and {unique_time_series}
# are filled per dialect and table (DuckDB has no ON DELETE actions: there the clause is left out). Columns, types,
# defaults, NOT NULLs, UNIQUEs and CHECKs are the EnMS's (database/init/02-schema.sql, 07-, 09-, 12-, 13-, 14-,
# 15-; NUMERIC written DECIMAL, the same type, so DECIMALS below reads it), columns its migrations add come last.
TABLES: dict[str, str] = {
    "factories": """
        id UUID PRIMARY KEY DEFAULT {uuid_default},
        name VARCHAR(255) NOT NULL UNIQUE,
        location VARCHAR(255),
        address TEXT,
        timezone VARCHAR(50) DEFAULT 'UTC',
        contact_email VARCHAR(255),
        contact_phone VARCHAR(50),
        created_at TIMESTAMPTZ NOT NULL DEFAULT {now},
        updated_at TIMESTAMPTZ NOT NULL DEFAULT {now},
        is_active BOOLEAN DEFAULT TRUE,
        metadata {json} DEFAULT {empty_json}""",
    "machines": """
        id UUID PRIMARY KEY DEFAULT {uuid_default},
        factory_id UUID NOT NULL REFERENCES factories(id){on_delete_cascade},
        name VARCHAR(255) NOT NULL,
        description TEXT,
        type machine_type NOT NULL,
        manufacturer VARCHAR(255),
        model VARCHAR(255),
        serial_number VARCHAR(255),
        installation_date DATE,
        rated_power_kw DECIMAL(10,2) NOT NULL,
        rated_voltage_v DECIMAL(10,2),
        rated_current_a DECIMAL(10,2),
        rated_frequency_hz DECIMAL(5,2) DEFAULT 50.0,
        location_in_factory VARCHAR(255),
        data_interval_seconds INTEGER NOT NULL DEFAULT 10,
        mqtt_topic VARCHAR(255),
        is_active BOOLEAN DEFAULT TRUE,
        is_critical BOOLEAN DEFAULT FALSE,
        created_at TIMESTAMPTZ NOT NULL DEFAULT {now},
        updated_at TIMESTAMPTZ NOT NULL DEFAULT {now},
        metadata {json} DEFAULT {empty_json},
        UNIQUE (factory_id, name)""",
    "energy_sources": """
        id UUID PRIMARY KEY DEFAULT {uuid_default},
        name VARCHAR(50) NOT NULL UNIQUE,
        unit VARCHAR(20) NOT NULL,
        cost_per_unit DECIMAL(10,4),
        carbon_factor DECIMAL(10,6),
        description TEXT,
        is_active BOOLEAN DEFAULT TRUE,
        created_at TIMESTAMPTZ DEFAULT {now},
        updated_at TIMESTAMPTZ DEFAULT {now}""",
    "energy_tariffs": """
        id UUID PRIMARY KEY DEFAULT {uuid_default},
        factory_id UUID NOT NULL REFERENCES factories(id){on_delete_cascade},
        name VARCHAR(255) NOT NULL,
        description TEXT,
        rate_per_kwh DECIMAL(10,6) NOT NULL,
        currency VARCHAR(3) DEFAULT 'USD',
        is_time_of_use BOOLEAN DEFAULT FALSE,
        start_hour INTEGER,
        end_hour INTEGER,
        applicable_days INTEGER[],
        demand_charge_per_kw DECIMAL(10,6),
        valid_from DATE NOT NULL,
        valid_to DATE,
        is_active BOOLEAN DEFAULT TRUE,
        created_at TIMESTAMPTZ DEFAULT {now},
        metadata {json} DEFAULT {empty_json}""",
    "carbon_factors": """
        id UUID PRIMARY KEY DEFAULT {uuid_default},
        region VARCHAR(255) NOT NULL,
        grid_name VARCHAR(255),
        emission_factor_kg_co2_per_kwh DECIMAL(10,6) NOT NULL,
        source VARCHAR(255),
        valid_from DATE NOT NULL,
        valid_to DATE,
        is_active BOOLEAN DEFAULT TRUE,
        created_at TIMESTAMPTZ DEFAULT {now},
        metadata {json} DEFAULT {empty_json}""",
    "energy_readings": """
        time TIMESTAMPTZ NOT NULL,
        machine_id UUID NOT NULL REFERENCES machines(id){on_delete_cascade},
        power_kw DECIMAL(10,3) NOT NULL,
        energy_kwh DECIMAL(12,6) NOT NULL DEFAULT 0,
        voltage_v DECIMAL(10,2),
        current_a DECIMAL(10,2),
        power_factor DECIMAL(5,4),
        frequency_hz DECIMAL(6,3),
        thd_voltage_percent DECIMAL(6,3),
        thd_current_percent DECIMAL(6,3),
        voltage_l1_v DECIMAL(10,2),
        voltage_l2_v DECIMAL(10,2),
        voltage_l3_v DECIMAL(10,2),
        current_l1_a DECIMAL(10,2),
        current_l2_a DECIMAL(10,2),
        current_l3_a DECIMAL(10,2),
        is_estimated BOOLEAN DEFAULT FALSE,
        quality_score DECIMAL(3,2) DEFAULT 1.0,
        source VARCHAR(50) DEFAULT 'sensor',
        metadata {json} DEFAULT {empty_json},
        energy_type VARCHAR(50) NOT NULL DEFAULT 'electrical'{unique_time_series}""",
    "production_data": """
        time TIMESTAMPTZ NOT NULL,
        machine_id UUID NOT NULL REFERENCES machines(id){on_delete_cascade},
        production_count INTEGER DEFAULT 0,
        production_count_good INTEGER DEFAULT 0,
        production_count_bad INTEGER DEFAULT 0,
        throughput_units_per_hour DECIMAL(10,2),
        operating_mode operating_mode DEFAULT 'idle',
        recipe_id VARCHAR(100),
        batch_id VARCHAR(100),
        product_id VARCHAR(100),
        speed_percent DECIMAL(5,2),
        target_speed_percent DECIMAL(5,2),
        quality_score DECIMAL(5,2),
        downtime_seconds INTEGER DEFAULT 0,
        downtime_reason VARCHAR(255),
        operator_id VARCHAR(100),
        shift VARCHAR(50),
        metadata {json} DEFAULT {empty_json}{unique_time_series}""",
    "environmental_data": """
        time TIMESTAMPTZ NOT NULL,
        machine_id UUID NOT NULL REFERENCES machines(id){on_delete_cascade},
        outdoor_temp_c DECIMAL(5,2),
        indoor_temp_c DECIMAL(5,2),
        machine_temp_c DECIMAL(5,2),
        outdoor_humidity_percent DECIMAL(5,2),
        indoor_humidity_percent DECIMAL(5,2),
        pressure_bar DECIMAL(10,3),
        pressure_setpoint_bar DECIMAL(10,3),
        flow_rate_m3h DECIMAL(10,3),
        supply_air_temp_c DECIMAL(5,2),
        return_air_temp_c DECIMAL(5,2),
        chilled_water_supply_temp_c DECIMAL(5,2),
        chilled_water_return_temp_c DECIMAL(5,2),
        cop DECIMAL(5,2),
        vibration_mm_s DECIMAL(8,4),
        metadata {json} DEFAULT {empty_json}{unique_time_series}""",
    "machine_status": """
        machine_id UUID PRIMARY KEY REFERENCES machines(id){on_delete_cascade},
        is_running BOOLEAN DEFAULT FALSE,
        current_mode operating_mode DEFAULT 'offline',
        current_power_kw DECIMAL(10,3) DEFAULT 0,
        operating_hours_total DECIMAL(12,2) DEFAULT 0,
        energy_total_kwh DECIMAL(15,3) DEFAULT 0,
        production_total_units BIGINT DEFAULT 0,
        last_reading_time TIMESTAMPTZ,
        last_production_time TIMESTAMPTZ,
        alert_level alert_level DEFAULT 'normal',
        alert_message TEXT,
        alert_timestamp TIMESTAMPTZ,
        health_score DECIMAL(5,2) DEFAULT 100.0,
        uptime_percent_24h DECIMAL(5,2),
        availability_percent_24h DECIMAL(5,2),
        last_updated TIMESTAMPTZ DEFAULT {now},
        metadata {json} DEFAULT {empty_json}""",
    "energy_baselines": """
        id UUID PRIMARY KEY DEFAULT {uuid_default},
        machine_id UUID NOT NULL REFERENCES machines(id){on_delete_cascade},
        model_name VARCHAR(100) NOT NULL,
        model_type VARCHAR(50) DEFAULT 'linear_regression',
        model_version INTEGER DEFAULT 1,
        training_start_date TIMESTAMPTZ NOT NULL,
        training_end_date TIMESTAMPTZ NOT NULL,
        training_samples INTEGER NOT NULL,
        coefficients {json} NOT NULL,
        intercept DECIMAL(15,6),
        feature_names TEXT[] NOT NULL,
        r_squared DECIMAL(5,4),
        rmse DECIMAL(12,6),
        mae DECIMAL(12,6),
        is_active BOOLEAN DEFAULT TRUE,
        created_at TIMESTAMPTZ DEFAULT {now},
        trained_by VARCHAR(100),
        metadata {json} DEFAULT {empty_json},
        energy_source_id UUID NOT NULL REFERENCES energy_sources(id){on_delete_restrict},
        UNIQUE (machine_id, energy_source_id, model_version)""",
    "anomalies": """
        id UUID PRIMARY KEY DEFAULT {uuid_default},
        machine_id UUID NOT NULL REFERENCES machines(id){on_delete_cascade},
        detected_at TIMESTAMPTZ NOT NULL,
        anomaly_type VARCHAR(100) NOT NULL,
        severity alert_level NOT NULL,
        metric_name VARCHAR(100),
        metric_value DECIMAL(15,6),
        expected_value DECIMAL(15,6),
        deviation_percent DECIMAL(8,2),
        deviation_std_dev DECIMAL(8,2),
        detection_method VARCHAR(100),
        confidence_score DECIMAL(5,4),
        is_resolved BOOLEAN DEFAULT FALSE,
        resolved_at TIMESTAMPTZ,
        resolution_notes TEXT,
        created_at TIMESTAMPTZ DEFAULT {now},
        metadata {json} DEFAULT {empty_json}""",
    "energy_forecasts": """
        id {bigserial},
        machine_id UUID NOT NULL REFERENCES machines(id){on_delete_cascade},
        model_type forecast_model_type NOT NULL,
        model_version INTEGER DEFAULT 1,
        horizon forecast_horizon NOT NULL,
        forecasted_at TIMESTAMPTZ NOT NULL,
        forecast_time TIMESTAMPTZ NOT NULL,
        predicted_power_kw DECIMAL(10,3) NOT NULL,
        lower_bound_kw DECIMAL(10,3),
        upper_bound_kw DECIMAL(10,3),
        confidence_level DECIMAL(5,2) DEFAULT 0.95,
        training_samples INTEGER,
        rmse DECIMAL(10,3),
        mape DECIMAL(5,2),
        r2 DECIMAL(5,4),
        metadata {json} DEFAULT {empty_json},
        created_at TIMESTAMPTZ NOT NULL DEFAULT {now},
        PRIMARY KEY (forecast_time, machine_id, model_type)""",
    # The ISO 50001 engine's tables (07-iso50001-schema.sql, 09-production-enhancements.sql,
    # 13-model-performance-tracking.sql, 15-enpi-tracking-tables.sql). {seu_reference}: DuckDB refuses to UPDATE
    # a list column (seus.feature_columns) of a row another table references, so there the key to seus is
    # left out (DuckDB's foreign keys are checks only anyway); PostgreSQL keeps it with the EnMS's ON DELETE CASCADE.
    "seus": """
        id UUID PRIMARY KEY DEFAULT {uuid_default},
        name VARCHAR(255) NOT NULL,
        description TEXT,
        energy_source_id UUID NOT NULL REFERENCES energy_sources(id){on_delete_restrict},
        machine_ids UUID[] NOT NULL,
        baseline_year INTEGER,
        baseline_start_date DATE, baseline_end_date DATE,
        regression_coefficients {json},
        intercept DECIMAL(15,6),
        feature_columns TEXT[],
        r_squared DECIMAL(6,4),
        rmse DECIMAL(15,4),
        mae DECIMAL(15,4),
        trained_at TIMESTAMPTZ,
        trained_by VARCHAR(100),
        is_active BOOLEAN DEFAULT TRUE,
        created_at TIMESTAMPTZ DEFAULT {now}, updated_at TIMESTAMPTZ DEFAULT {now},
        CHECK (baseline_year >= 2020 AND baseline_year <= 2100),
        CHECK (array_length(machine_ids, 1) > 0)""",
    "baseline_adjustments": """
        id UUID PRIMARY KEY DEFAULT {uuid_default},
        seu_id UUID NOT NULL{seu_reference},
        adjustment_date DATE NOT NULL,
        adjustment_type VARCHAR(50) NOT NULL,
        adjustment_reason TEXT NOT NULL,
        old_baseline_year INTEGER, new_baseline_year INTEGER,
        adjustment_factor DECIMAL(8,4) DEFAULT 1.0000,
        approved_by VARCHAR(100),
        approved_at TIMESTAMPTZ,
        created_at TIMESTAMPTZ DEFAULT {now}, updated_at TIMESTAMPTZ DEFAULT {now},
        CHECK (adjustment_type IN ('equipment_upgrade', 'process_change', 'operating_schedule_change',
            'production_capacity_change', 'energy_source_change', 'control_system_upgrade', 'maintenance_impact',
            'other')),
        CHECK (adjustment_factor > 0 AND adjustment_factor < 10)""",
    "data_quality_log": """
        id UUID PRIMARY KEY DEFAULT {uuid_default},
        check_date DATE NOT NULL,
        machine_id UUID NOT NULL REFERENCES machines(id){on_delete_cascade},
        missing_data_percent DECIMAL(5,2) DEFAULT 0.00,
        outlier_count INTEGER DEFAULT 0,
        correlation_score DECIMAL(3,2) DEFAULT NULL,
        overall_score DECIMAL(3,2) DEFAULT NULL,
        issues TEXT[],
        created_at TIMESTAMPTZ DEFAULT {now},
        CHECK (missing_data_percent >= 0 AND missing_data_percent <= 100),
        CHECK (outlier_count >= 0),
        CHECK (correlation_score IS NULL OR (correlation_score >= -1 AND correlation_score <= 1)),
        CHECK (overall_score IS NULL OR (overall_score >= 0 AND overall_score <= 1))""",
    "model_performance_metrics": """
        id UUID PRIMARY KEY DEFAULT {uuid_default},
        model_id UUID NOT NULL,
        model_type VARCHAR(50) NOT NULL,
        machine_id UUID NOT NULL REFERENCES machines(id){on_delete_cascade},
        model_version INTEGER NOT NULL,
        evaluation_date TIMESTAMPTZ NOT NULL DEFAULT {now},
        evaluation_start TIMESTAMPTZ NOT NULL,
        evaluation_end TIMESTAMPTZ NOT NULL,
        sample_count INTEGER NOT NULL,
        metrics {json} NOT NULL DEFAULT {empty_json},
        r_squared DECIMAL(5,4),
        rmse DECIMAL(12,6),
        mae DECIMAL(12,6),
        mape DECIMAL(6,2),
        precision_score DECIMAL(5,4),
        recall_score DECIMAL(5,4),
        f1_score DECIMAL(5,4),
        true_positives INTEGER,
        false_positives INTEGER,
        true_negatives INTEGER,
        false_negatives INTEGER,
        drift_detected BOOLEAN DEFAULT FALSE,
        drift_score DECIMAL(8,6),
        drift_threshold DECIMAL(8,6),
        data_completeness DECIMAL(5,4),
        outlier_percentage DECIMAL(5,4),
        evaluation_notes TEXT,
        created_at TIMESTAMPTZ DEFAULT {now},
        created_by VARCHAR(100),
        metadata {json} DEFAULT {empty_json}""",
    "model_training_history": """
        id UUID PRIMARY KEY DEFAULT {uuid_default},
        model_id UUID,
        model_type VARCHAR(50) NOT NULL,
        machine_id UUID NOT NULL REFERENCES machines(id){on_delete_cascade},
        model_version INTEGER,
        training_start TIMESTAMPTZ NOT NULL,
        training_end TIMESTAMPTZ,
        training_duration_seconds INTEGER,
        training_status VARCHAR(50) NOT NULL,
        training_data_start TIMESTAMPTZ NOT NULL,
        training_data_end TIMESTAMPTZ NOT NULL,
        training_samples INTEGER,
        hyperparameters {json} DEFAULT {empty_json},
        feature_names TEXT[],
        training_metrics {json} DEFAULT {empty_json},
        validation_metrics {json} DEFAULT {empty_json},
        initial_r_squared DECIMAL(5,4),
        initial_rmse DECIMAL(12,6),
        initial_mae DECIMAL(12,6),
        error_message TEXT,
        error_traceback TEXT,
        trigger_type VARCHAR(50) NOT NULL,
        triggered_by VARCHAR(100),
        created_at TIMESTAMPTZ DEFAULT {now},
        metadata {json} DEFAULT {empty_json}""",
    "model_alerts": """
        id UUID PRIMARY KEY DEFAULT {uuid_default},
        alert_type VARCHAR(100) NOT NULL,
        severity alert_level NOT NULL,
        model_id UUID,
        model_type VARCHAR(50) NOT NULL,
        machine_id UUID NOT NULL REFERENCES machines(id){on_delete_cascade},
        model_version INTEGER,
        alert_timestamp TIMESTAMPTZ NOT NULL DEFAULT {now},
        alert_message TEXT NOT NULL,
        alert_details {json} DEFAULT {empty_json},
        current_metric_value DECIMAL(12,6),
        threshold_value DECIMAL(12,6),
        baseline_metric_value DECIMAL(12,6),
        is_resolved BOOLEAN DEFAULT FALSE,
        resolved_at TIMESTAMPTZ,
        resolution_action VARCHAR(255),
        resolved_by VARCHAR(100),
        resolution_notes TEXT,
        auto_action_taken BOOLEAN DEFAULT FALSE,
        auto_action_type VARCHAR(100),
        auto_action_result {json},
        created_at TIMESTAMPTZ DEFAULT {now},
        metadata {json} DEFAULT {empty_json}""",
    "enpi_baselines": """
        id UUID PRIMARY KEY DEFAULT {uuid_default},
        seu_id UUID NOT NULL{seu_reference},
        baseline_year INTEGER NOT NULL CHECK (baseline_year >= 2020 AND baseline_year <= 2100),
        baseline_start_date DATE NOT NULL, baseline_end_date DATE NOT NULL,
        baseline_energy_kwh DECIMAL(15,4) NOT NULL CHECK (baseline_energy_kwh >= 0),
        baseline_production_units INTEGER CHECK (baseline_production_units >= 0),
        baseline_operating_hours DECIMAL(10,2) CHECK (baseline_operating_hours >= 0),
        baseline_sec DECIMAL(10,6) CHECK (baseline_sec >= 0),
        baseline_avg_temp_c DECIMAL(5,2),
        baseline_degree_days DECIMAL(10,2),
        is_active BOOLEAN DEFAULT TRUE,
        notes TEXT,
        created_by VARCHAR(100),
        created_at TIMESTAMPTZ DEFAULT {now}, updated_at TIMESTAMPTZ DEFAULT {now},
        CHECK (baseline_end_date > baseline_start_date),
        UNIQUE (seu_id, baseline_year)""",
    "enpi_performance": """
        id UUID PRIMARY KEY DEFAULT {uuid_default},
        seu_id UUID NOT NULL{seu_reference},
        baseline_id UUID REFERENCES enpi_baselines(id){on_delete_set_null},
        period_start DATE NOT NULL, period_end DATE NOT NULL,
        period_type VARCHAR(20) CHECK (period_type IN ('monthly', 'quarterly', 'annual')),
        actual_energy_kwh DECIMAL(15,4) NOT NULL CHECK (actual_energy_kwh >= 0),
        actual_production_units INTEGER CHECK (actual_production_units >= 0),
        actual_operating_hours DECIMAL(10,2) CHECK (actual_operating_hours >= 0),
        actual_sec DECIMAL(10,6) CHECK (actual_sec >= 0),
        expected_energy_kwh DECIMAL(15,4) CHECK (expected_energy_kwh >= 0),
        expected_sec DECIMAL(10,6) CHECK (expected_sec >= 0),
        deviation_kwh DECIMAL(15,4),
        deviation_percent DECIMAL(6,2),
        cumulative_savings_kwh DECIMAL(15,4),
        cumulative_savings_usd DECIMAL(12,2),
        iso_status VARCHAR(50) CHECK (iso_status IN ('excellent', 'on_track', 'requires_attention', 'critical')),
        compliance_notes TEXT,
        created_at TIMESTAMPTZ DEFAULT {now}, updated_at TIMESTAMPTZ DEFAULT {now},
        CHECK (period_end > period_start)""",
    "energy_targets": """
        id UUID PRIMARY KEY DEFAULT {uuid_default},
        seu_id UUID{seu_reference},
        factory_id UUID REFERENCES factories(id){on_delete_cascade},
        target_type VARCHAR(20) CHECK (target_type IN ('seu', 'factory')),
        target_year INTEGER NOT NULL CHECK (target_year >= 2020 AND target_year <= 2100),
        target_description TEXT NOT NULL,
        baseline_year INTEGER CHECK (baseline_year >= 2020 AND baseline_year <= 2100),
        baseline_energy_kwh DECIMAL(15,4) CHECK (baseline_energy_kwh >= 0),
        target_reduction_percent DECIMAL(5,2) NOT NULL
            CHECK (target_reduction_percent >= 0 AND target_reduction_percent <= 100),
        target_energy_kwh DECIMAL(15,4) CHECK (target_energy_kwh >= 0),
        target_savings_kwh DECIMAL(15,4) CHECK (target_savings_kwh >= 0),
        current_energy_kwh DECIMAL(15,4),
        current_savings_kwh DECIMAL(15,4),
        progress_percent DECIMAL(5,2),
        status VARCHAR(20) CHECK (status IN ('active', 'achieved', 'missed', 'cancelled')),
        deadline DATE,
        created_by VARCHAR(100),
        created_at TIMESTAMPTZ DEFAULT {now}, updated_at TIMESTAMPTZ DEFAULT {now},
        CHECK ((seu_id IS NOT NULL AND factory_id IS NULL) OR (seu_id IS NULL AND factory_id IS NOT NULL))""",
    # Tables of our own: the simulator's truth, so detectors and M&V are measured against it.
    f"{OWN_SCHEMA}.fault_truth": """
        fault_id INTEGER PRIMARY KEY,
        machine_id UUID NOT NULL,
        machine_name VARCHAR(255) NOT NULL,
        energy_type VARCHAR(50) NOT NULL,
        fault_type VARCHAR(50) NOT NULL,
        start_time TIMESTAMPTZ NOT NULL,
        end_time TIMESTAMPTZ NOT NULL,
        description TEXT,
        expected_effect TEXT,
        power_change_pct FLOAT8,
        extra_energy_kwh FLOAT8,
        in_baseline_period BOOLEAN""",
    # The demo plant's permanent shifts after the baseline year: where model monitoring must find drift.
    f"{OWN_SCHEMA}.drift_truth": """
        drift_id INTEGER PRIMARY KEY,
        machine_id UUID NOT NULL,
        machine_name VARCHAR(255),
        energy_type VARCHAR(50),
        start_time TIMESTAMPTZ NOT NULL,
        description TEXT,
        expected_effect TEXT,
        counterfactual_kwh FLOAT8, actual_kwh FLOAT8, saving_kwh FLOAT8, saving_fraction FLOAT8""",
    f"{OWN_SCHEMA}.efficiency_measures": """
        measure_id INTEGER PRIMARY KEY,
        machine_id UUID NOT NULL,
        machine_name VARCHAR(255) NOT NULL,
        energy_type VARCHAR(50) NOT NULL,
        name VARCHAR(255) NOT NULL,
        description TEXT,
        start_time TIMESTAMPTZ NOT NULL,
        end_time TIMESTAMPTZ,
        design_saving_fraction FLOAT8,
        counterfactual_kwh FLOAT8,
        actual_kwh FLOAT8,
        saving_kwh FLOAT8,
        saving_fraction FLOAT8""",
    # Every forecast ever made (energy_forecasts keeps only the newest per hour), so past forecasts can be
    # scored against what happened.
    f"{OWN_SCHEMA}.forecast_vintages": """
        forecasted_at TIMESTAMPTZ NOT NULL,
        forecast_time TIMESTAMPTZ NOT NULL,
        machine_id UUID NOT NULL,
        energy_type VARCHAR(50) NOT NULL,
        model_name VARCHAR(100) NOT NULL,
        horizon VARCHAR(20) NOT NULL,
        predicted_kwh DOUBLE PRECISION NOT NULL,
        lower_kwh DOUBLE PRECISION,
        upper_kwh DOUBLE PRECISION,
        confidence_level DOUBLE PRECISION,
        created_at TIMESTAMPTZ DEFAULT {now},
        PRIMARY KEY (machine_id, energy_type, model_name, forecasted_at, forecast_time)""",
    f"{OWN_SCHEMA}.outage_truth": """
        machine_id UUID NOT NULL,
        start_time TIMESTAMPTZ NOT NULL,
        end_time TIMESTAMPTZ NOT NULL,
        description TEXT""",
}

# Load order respects the foreign keys; the reverse order empties the tables.
LOAD_ORDER: tuple[str, ...] = tuple(TABLES)


def _decimal_columns(ddl: str) -> dict[str, tuple[int, int]]:
    return {m[1]: (int(m[2]), int(m[3])) for m in re.finditer(r"^\s*(\w+) DECIMAL\((\d+),(\d+)\)", ddl, re.M)}


DECIMALS: dict[str, dict[str, tuple[int, int]]] = {
    table: columns for table, ddl in TABLES.items() if (columns := _decimal_columns(ddl))
}
"""(precision, scale) of every DECIMAL column per table, read from the DDL above: the one place the limits live."""


def _electricity_case(bound: bool) -> str:
    """The reading's energy type with the EnMS's names for electricity mapped to 'electricity'.

    ``bound``: the aliases are placeholders (pass :data:`ELECTRICITY_ALIASES` as parameters, in order); view DDL
    cannot take parameters, so there they are quoted literals of that constant.
    """
    if bound:
        values = ", ".join(["%s"] * len(ELECTRICITY_ALIASES))
    else:
        values = ", ".join("'" + alias.replace("'", "''") + "'" for alias in ELECTRICITY_ALIASES)
    return f"CASE WHEN energy_type IN ({values}) THEN 'electricity' ELSE energy_type END"


def energy_type_sql() -> tuple[str, list[str]]:
    """(SQL, parameters) for the energy type read as the pipeline names it ('energy', 'electrical' → electricity)."""
    return _electricity_case(bound=True), list(ELECTRICITY_ALIASES)


def energy_aggregate_sql(bucket: str, width: str, where: str = "", *, bound: bool = False) -> str:
    """The EnMS energy aggregate of one bucket width (03-timescaledb-setup.sql: its columns, in its order, NUMERIC
    as the EnMS's), grouped by energy type too, with electricity's aliases mapped.

    ``bound``: the aliases are placeholders before those of ``where`` (see :func:`energy_type_sql`).
    """
    electrical = {
        "15 minutes": "avg(voltage_v) AS avg_voltage_v, avg(current_a) AS avg_current_a, "
                      "avg(power_factor) AS avg_power_factor, avg(frequency_hz) AS avg_frequency_hz,",
        "1 hour": "avg(voltage_v) AS avg_voltage_v, avg(current_a) AS avg_current_a, "
                  "avg(power_factor) AS avg_power_factor,",
        "1 day": "avg(voltage_v) AS avg_voltage_v, avg(power_factor) AS avg_power_factor,",
    }[width]
    load = "load_factor" if width == "15 minutes" else "avg_load_factor"
    return f"""
        SELECT {bucket} AS bucket, machine_id,
               {_electricity_case(bound)} AS energy_type,
               avg(power_kw) AS avg_power_kw,
               min(power_kw) AS min_power_kw,
               max(power_kw) AS max_power_kw,
               max(power_kw) AS peak_demand_kw,
               sum(energy_kwh) AS total_energy_kwh,
               {electrical}
               avg(power_kw) / NULLIF(max(power_kw), 0) AS {load},
               count(*) AS total_readings
        FROM energy_readings
        {f"WHERE {where}" if where else ""}
        GROUP BY 1, 2, 3"""


def views(bucket_expr) -> dict[str, str]:
    """The aggregate views, given the dialect's ``bucket_expr(width, column)`` (UTC-aligned buckets).

    Columns and types are the EnMS's continuous aggregates' (NUMERIC averages, BIGINT sums and counts), so its
    own views over them (05-views.sql: ROUND(…, 2) of a sum) work on ours.
    """
    hour = bucket_expr("1 hour", "time")
    return {
        "energy_readings_15min": energy_aggregate_sql(bucket_expr("15 minutes", "time"), "15 minutes"),
        "energy_readings_1hour": energy_aggregate_sql(hour, "1 hour"),
        "energy_readings_1day": energy_aggregate_sql(bucket_expr("1 day", "time"), "1 day"),
        # availability_percent is the share of readings in 'running' (the EnMS assumes 3600 s minus downtime).
        "production_data_1hour": f"""
            SELECT {hour} AS bucket, machine_id,
                   sum(production_count)::BIGINT AS total_production_count,
                   sum(production_count_good)::BIGINT AS total_production_good,
                   sum(production_count_bad)::BIGINT AS total_production_bad,
                   100.0 * sum(production_count_good) / NULLIF(sum(production_count), 0) AS quality_percent,
                   avg(throughput_units_per_hour) AS avg_throughput,
                   avg(speed_percent) AS avg_speed_percent,
                   sum(downtime_seconds)::BIGINT AS total_downtime_seconds,
                   100.0 * count(*) FILTER (WHERE operating_mode = 'running') / count(*) AS availability_percent,
                   count(*) AS total_readings
            FROM production_data
            GROUP BY 1, 2""",
        "environmental_data_1hour": f"""
            SELECT {hour} AS bucket, machine_id,
                   avg(outdoor_temp_c) AS avg_outdoor_temp_c,
                   avg(indoor_temp_c) AS avg_indoor_temp_c,
                   avg(machine_temp_c) AS avg_machine_temp_c,
                   avg(outdoor_humidity_percent) AS avg_outdoor_humidity,
                   avg(indoor_humidity_percent) AS avg_indoor_humidity,
                   avg(pressure_bar) AS avg_pressure_bar,
                   avg(flow_rate_m3h) AS avg_flow_rate_m3h,
                   avg(vibration_mm_s) AS avg_vibration_mm_s,
                   count(*) AS total_readings
            FROM environmental_data
            GROUP BY 1, 2""",
        # Ours: the mode history per hour, counted from production_data (machine_status has no history).
        f"{OWN_SCHEMA}.operating_mode_1hour": f"""
            SELECT {hour} AS bucket, machine_id,
                   count(*) FILTER (WHERE operating_mode = 'running') AS n_running,
                   count(*) FILTER (WHERE operating_mode = 'idle') AS n_idle,
                   count(*) FILTER (WHERE operating_mode = 'maintenance') AS n_maintenance,
                   count(*) FILTER (WHERE operating_mode = 'fault') AS n_fault,
                   count(*) FILTER (WHERE operating_mode = 'offline') AS n_offline,
                   count(*) AS total_readings
            FROM production_data
            GROUP BY 1, 2""",
    }
