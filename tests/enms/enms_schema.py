"""The EnMS's database as a real installation without TimescaleDB looks, written from its init scripts
(RaptorBlingx/enms database/init: 02-schema, 03-timescaledb-setup, 05-views, 06-seed-data, 07-iso50001-schema,
09-production-enhancements, 12-forecast-predictions, 13-model-performance-tracking, 14-fix-multi-energy-baselines,
15-enpi-tracking-tables), not copied from them.

Differences from those scripts, each what a TimescaleDB-less installation has: hypertables are plain tables;
the continuous aggregates are plain views grouped by machine only (no energy_type), with ``date_bin`` for
``time_bucket``. Every statement has IF NOT EXISTS / CREATE OR REPLACE semantics (an aggregate is created only
when no relation of its name exists), so the scripts can run after ``enms db init`` (the order a user may pick)
as well as before it. Rows are seed-style: the seed's two factories and eight machines (ids and names), every
machine at ``data_interval_seconds`` 10, tariffs without demand charge, factories without our metadata; two
SEUs ('Compressed air', 'Boiler gas') and a 2026 target of 5 % for 'Boiler gas'. Left out: 13's model_ab_tests
and its view, the updated_at triggers.
"""

from __future__ import annotations

import psycopg

FACTORY_IDS = {"Demo Manufacturing Plant": "11111111-1111-1111-1111-111111111111",
               "European Production Facility": "22222222-2222-2222-2222-222222222222"}

MACHINES = [  # id suffix, factory, name, type, rated kW (06-seed-data.sql)
    (1, "Demo Manufacturing Plant", "Compressor-1", "compressor", 55.0),
    (2, "Demo Manufacturing Plant", "HVAC-Main", "hvac", 150.0),
    (3, "Demo Manufacturing Plant", "Conveyor-A", "motor", 22.0),
    (4, "Demo Manufacturing Plant", "Hydraulic-Pump-1", "pump", 45.0),
    (5, "Demo Manufacturing Plant", "Injection-Molding-1", "injection_molding", 120.0),
    (8, "Demo Manufacturing Plant", "Boiler-1", "boiler", 45.0),
    (6, "European Production Facility", "Compressor-EU-1", "compressor", 90.0),
    (7, "European Production Facility", "HVAC-EU-North", "hvac", 200.0),
]
MACHINE_IDS = {name: f"c0000000-0000-0000-0000-{n:012d}" for n, _, name, _, _ in MACHINES}

INTERVAL_SECONDS = 10

_ENUM = """DO $$ BEGIN CREATE TYPE {name} AS ENUM ({labels});
EXCEPTION WHEN duplicate_object THEN NULL; END $$"""

ENUMS = [
    _ENUM.format(name="machine_type", labels="'compressor', 'hvac', 'motor', 'pump', 'injection_molding', "
                 "'conveyor', 'other'"),
    "ALTER TYPE machine_type ADD VALUE IF NOT EXISTS 'boiler'",
    _ENUM.format(name="alert_level", labels="'normal', 'warning', 'critical'"),
    _ENUM.format(name="operating_mode", labels="'idle', 'running', 'maintenance', 'fault', 'offline'"),
    _ENUM.format(name="forecast_model_type", labels="'ARIMA', 'Prophet', 'LSTM', 'Other'"),
    _ENUM.format(name="forecast_horizon", labels="'short', 'medium', 'long'"),
]

TABLES = [
    """CREATE TABLE IF NOT EXISTS factories (
        id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), name VARCHAR(255) NOT NULL, location VARCHAR(255),
        address TEXT, timezone VARCHAR(50) DEFAULT 'UTC', contact_email VARCHAR(255), contact_phone VARCHAR(50),
        created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
        is_active BOOLEAN DEFAULT TRUE, metadata JSONB DEFAULT '{}'::jsonb,
        CONSTRAINT factories_name_unique UNIQUE (name))""",
    """CREATE TABLE IF NOT EXISTS machines (
        id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
        factory_id UUID NOT NULL REFERENCES factories(id) ON DELETE CASCADE, name VARCHAR(255) NOT NULL,
        description TEXT, type machine_type NOT NULL, manufacturer VARCHAR(255), model VARCHAR(255),
        serial_number VARCHAR(255), installation_date DATE, rated_power_kw DECIMAL(10, 2) NOT NULL,
        rated_voltage_v DECIMAL(10, 2), rated_current_a DECIMAL(10, 2), rated_frequency_hz DECIMAL(5, 2) DEFAULT 50.0,
        location_in_factory VARCHAR(255), data_interval_seconds INTEGER NOT NULL DEFAULT 10,
        mqtt_topic VARCHAR(255), is_active BOOLEAN DEFAULT TRUE, is_critical BOOLEAN DEFAULT FALSE,
        created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
        metadata JSONB DEFAULT '{}'::jsonb, CONSTRAINT machines_factory_name_unique UNIQUE (factory_id, name))""",
    """CREATE TABLE IF NOT EXISTS energy_readings (
        time TIMESTAMPTZ NOT NULL, machine_id UUID NOT NULL REFERENCES machines(id) ON DELETE CASCADE,
        power_kw DECIMAL(10, 3) NOT NULL, energy_kwh DECIMAL(12, 6) NOT NULL DEFAULT 0,
        voltage_v DECIMAL(10, 2), current_a DECIMAL(10, 2), power_factor DECIMAL(5, 4), frequency_hz DECIMAL(6, 3),
        thd_voltage_percent DECIMAL(6, 3), thd_current_percent DECIMAL(6, 3),
        voltage_l1_v DECIMAL(10, 2), voltage_l2_v DECIMAL(10, 2), voltage_l3_v DECIMAL(10, 2),
        current_l1_a DECIMAL(10, 2), current_l2_a DECIMAL(10, 2), current_l3_a DECIMAL(10, 2),
        is_estimated BOOLEAN DEFAULT FALSE, quality_score DECIMAL(3, 2) DEFAULT 1.0,
        source VARCHAR(50) DEFAULT 'sensor', metadata JSONB DEFAULT '{}'::jsonb)""",
    # The multi-energy column the EnMS added later, its default 'electrical', and the key seed-schema.md names.
    "ALTER TABLE energy_readings ADD COLUMN IF NOT EXISTS energy_type VARCHAR(50) NOT NULL DEFAULT 'electrical'",
    "CREATE UNIQUE INDEX IF NOT EXISTS energy_readings_machine_time_type ON energy_readings "
    "(machine_id, time, energy_type)",
    """CREATE TABLE IF NOT EXISTS production_data (
        time TIMESTAMPTZ NOT NULL, machine_id UUID NOT NULL REFERENCES machines(id) ON DELETE CASCADE,
        production_count INTEGER DEFAULT 0, production_count_good INTEGER DEFAULT 0,
        production_count_bad INTEGER DEFAULT 0, throughput_units_per_hour DECIMAL(10, 2),
        operating_mode operating_mode DEFAULT 'idle', recipe_id VARCHAR(100), batch_id VARCHAR(100),
        product_id VARCHAR(100), speed_percent DECIMAL(5, 2), target_speed_percent DECIMAL(5, 2),
        quality_score DECIMAL(5, 2), downtime_seconds INTEGER DEFAULT 0, downtime_reason VARCHAR(255),
        operator_id VARCHAR(100), shift VARCHAR(50), metadata JSONB DEFAULT '{}'::jsonb)""",
    "CREATE UNIQUE INDEX IF NOT EXISTS production_data_machine_time ON production_data (machine_id, time)",
    """CREATE TABLE IF NOT EXISTS environmental_data (
        time TIMESTAMPTZ NOT NULL, machine_id UUID NOT NULL REFERENCES machines(id) ON DELETE CASCADE,
        outdoor_temp_c DECIMAL(5, 2), indoor_temp_c DECIMAL(5, 2), machine_temp_c DECIMAL(5, 2),
        outdoor_humidity_percent DECIMAL(5, 2), indoor_humidity_percent DECIMAL(5, 2),
        pressure_bar DECIMAL(10, 3), pressure_setpoint_bar DECIMAL(10, 3), flow_rate_m3h DECIMAL(10, 3),
        supply_air_temp_c DECIMAL(5, 2), return_air_temp_c DECIMAL(5, 2), chilled_water_supply_temp_c DECIMAL(5, 2),
        chilled_water_return_temp_c DECIMAL(5, 2), cop DECIMAL(5, 2), vibration_mm_s DECIMAL(8, 4),
        metadata JSONB DEFAULT '{}'::jsonb)""",
    "CREATE UNIQUE INDEX IF NOT EXISTS environmental_data_machine_time ON environmental_data (machine_id, time)",
    """CREATE TABLE IF NOT EXISTS machine_status (
        machine_id UUID PRIMARY KEY REFERENCES machines(id) ON DELETE CASCADE, is_running BOOLEAN DEFAULT FALSE,
        current_mode operating_mode DEFAULT 'offline', current_power_kw DECIMAL(10, 3) DEFAULT 0,
        operating_hours_total DECIMAL(12, 2) DEFAULT 0, energy_total_kwh DECIMAL(15, 3) DEFAULT 0,
        production_total_units BIGINT DEFAULT 0, last_reading_time TIMESTAMPTZ, last_production_time TIMESTAMPTZ,
        alert_level alert_level DEFAULT 'normal', alert_message TEXT, alert_timestamp TIMESTAMPTZ,
        health_score DECIMAL(5, 2) DEFAULT 100.0, uptime_percent_24h DECIMAL(5, 2),
        availability_percent_24h DECIMAL(5, 2), last_updated TIMESTAMPTZ DEFAULT NOW(),
        metadata JSONB DEFAULT '{}'::jsonb)""",
    """CREATE TABLE IF NOT EXISTS energy_baselines (
        id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
        machine_id UUID NOT NULL REFERENCES machines(id) ON DELETE CASCADE, model_name VARCHAR(100) NOT NULL,
        model_type VARCHAR(50) DEFAULT 'linear_regression', model_version INTEGER DEFAULT 1,
        training_start_date TIMESTAMPTZ NOT NULL, training_end_date TIMESTAMPTZ NOT NULL,
        training_samples INTEGER NOT NULL, coefficients JSONB NOT NULL, intercept DECIMAL(15, 6),
        feature_names TEXT[] NOT NULL, r_squared DECIMAL(5, 4), rmse DECIMAL(12, 6), mae DECIMAL(12, 6),
        is_active BOOLEAN DEFAULT TRUE, created_at TIMESTAMPTZ DEFAULT NOW(), trained_by VARCHAR(100),
        metadata JSONB DEFAULT '{}'::jsonb,
        CONSTRAINT energy_baselines_machine_version_unique UNIQUE (machine_id, model_version))""",
    """CREATE TABLE IF NOT EXISTS anomalies (
        id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
        machine_id UUID NOT NULL REFERENCES machines(id) ON DELETE CASCADE, detected_at TIMESTAMPTZ NOT NULL,
        anomaly_type VARCHAR(100) NOT NULL, severity alert_level NOT NULL, metric_name VARCHAR(100),
        metric_value DECIMAL(15, 6), expected_value DECIMAL(15, 6), deviation_percent DECIMAL(8, 2),
        deviation_std_dev DECIMAL(8, 2), detection_method VARCHAR(100), confidence_score DECIMAL(5, 4),
        is_resolved BOOLEAN DEFAULT FALSE, resolved_at TIMESTAMPTZ, resolution_notes TEXT,
        created_at TIMESTAMPTZ DEFAULT NOW(), metadata JSONB DEFAULT '{}'::jsonb)""",
    """CREATE TABLE IF NOT EXISTS energy_tariffs (
        id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
        factory_id UUID NOT NULL REFERENCES factories(id) ON DELETE CASCADE, name VARCHAR(255) NOT NULL,
        description TEXT, rate_per_kwh DECIMAL(10, 6) NOT NULL, currency VARCHAR(3) DEFAULT 'USD',
        is_time_of_use BOOLEAN DEFAULT FALSE, start_hour INTEGER, end_hour INTEGER, applicable_days INTEGER[],
        demand_charge_per_kw DECIMAL(10, 6), valid_from DATE NOT NULL, valid_to DATE,
        is_active BOOLEAN DEFAULT TRUE, created_at TIMESTAMPTZ DEFAULT NOW(), metadata JSONB DEFAULT '{}'::jsonb)""",
    """CREATE TABLE IF NOT EXISTS carbon_factors (
        id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), region VARCHAR(255) NOT NULL, grid_name VARCHAR(255),
        emission_factor_kg_co2_per_kwh DECIMAL(10, 6) NOT NULL, source VARCHAR(255), valid_from DATE NOT NULL,
        valid_to DATE, is_active BOOLEAN DEFAULT TRUE, created_at TIMESTAMPTZ DEFAULT NOW(),
        metadata JSONB DEFAULT '{}'::jsonb)""",
    """CREATE TABLE IF NOT EXISTS audit_log (
        id BIGSERIAL PRIMARY KEY, timestamp TIMESTAMPTZ NOT NULL DEFAULT NOW(), event_type VARCHAR(100) NOT NULL,
        entity_type VARCHAR(100), entity_id UUID, user_id VARCHAR(100), system_component VARCHAR(100),
        action VARCHAR(50) NOT NULL, old_values JSONB, new_values JSONB, ip_address INET, user_agent TEXT,
        metadata JSONB DEFAULT '{}'::jsonb)""",
    # 07-iso50001-schema.sql
    """CREATE TABLE IF NOT EXISTS energy_sources (
        id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), name VARCHAR(50) UNIQUE NOT NULL, unit VARCHAR(20) NOT NULL,
        cost_per_unit DECIMAL(10,4), carbon_factor DECIMAL(10,6), description TEXT, is_active BOOLEAN DEFAULT true,
        created_at TIMESTAMPTZ DEFAULT NOW(), updated_at TIMESTAMPTZ DEFAULT NOW())""",
    """CREATE TABLE IF NOT EXISTS seus (
        id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), name VARCHAR(255) NOT NULL, description TEXT,
        energy_source_id UUID REFERENCES energy_sources(id) ON DELETE RESTRICT NOT NULL,
        machine_ids UUID[] NOT NULL, baseline_year INTEGER, baseline_start_date DATE, baseline_end_date DATE,
        regression_coefficients JSONB, intercept DECIMAL(15,6), feature_columns TEXT[], r_squared DECIMAL(6,4),
        rmse DECIMAL(15,4), mae DECIMAL(15,4), trained_at TIMESTAMPTZ, trained_by VARCHAR(100),
        is_active BOOLEAN DEFAULT true, created_at TIMESTAMPTZ DEFAULT NOW(), updated_at TIMESTAMPTZ DEFAULT NOW(),
        CONSTRAINT seus_baseline_year_check CHECK (baseline_year >= 2020 AND baseline_year <= 2100),
        CONSTRAINT seus_machine_ids_not_empty CHECK (array_length(machine_ids, 1) > 0))""",
    """CREATE TABLE IF NOT EXISTS seu_energy_performance (
        id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), seu_id UUID REFERENCES seus(id) ON DELETE CASCADE NOT NULL,
        report_period VARCHAR(20) NOT NULL, period_start DATE NOT NULL, period_end DATE NOT NULL,
        baseline_year INTEGER NOT NULL, actual_consumption DECIMAL(15,4) NOT NULL,
        expected_consumption DECIMAL(15,4) NOT NULL, deviation_kwh DECIMAL(15,4), deviation_percent DECIMAL(6,2),
        compliance_status VARCHAR(20), notes TEXT, generated_at TIMESTAMPTZ DEFAULT NOW(),
        generated_by VARCHAR(100), UNIQUE (seu_id, report_period),
        CONSTRAINT seu_perf_compliance_status_check
            CHECK (compliance_status IN ('compliant', 'warning', 'critical', NULL)))""",
    # 09-production-enhancements.sql: the performance columns it adds, the adjustments and the quality log.
    *[f"ALTER TABLE seu_energy_performance ADD COLUMN IF NOT EXISTS {column}" for column in (
        "heating_degree_days DECIMAL(10,2) DEFAULT NULL", "cooling_degree_days DECIMAL(10,2) DEFAULT NULL",
        "cusum_deviation DECIMAL(10,2) DEFAULT 0.0", "expected_lower_95ci DECIMAL(15,4) DEFAULT NULL",
        "expected_upper_95ci DECIMAL(15,4) DEFAULT NULL", "data_quality_score DECIMAL(3,2) DEFAULT NULL",
        "data_completeness_percent DECIMAL(5,2) DEFAULT NULL", "enpi_value DECIMAL(15,6) DEFAULT NULL",
        "enpi_unit VARCHAR(50) DEFAULT NULL", "product_mix_factor DECIMAL(8,4) DEFAULT 1.0000")],
    """CREATE TABLE IF NOT EXISTS baseline_adjustments (
        id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), seu_id UUID NOT NULL REFERENCES seus(id) ON DELETE CASCADE,
        adjustment_date DATE NOT NULL, adjustment_type VARCHAR(50) NOT NULL, adjustment_reason TEXT NOT NULL,
        old_baseline_year INTEGER, new_baseline_year INTEGER, adjustment_factor DECIMAL(8,4) DEFAULT 1.0000,
        approved_by VARCHAR(100), approved_at TIMESTAMPTZ, created_at TIMESTAMPTZ DEFAULT NOW(),
        updated_at TIMESTAMPTZ DEFAULT NOW(),
        CONSTRAINT chk_adjustment_type CHECK (adjustment_type IN ('equipment_upgrade', 'process_change',
            'operating_schedule_change', 'production_capacity_change', 'energy_source_change',
            'control_system_upgrade', 'maintenance_impact', 'other')),
        CONSTRAINT chk_adjustment_factor CHECK (adjustment_factor > 0 AND adjustment_factor < 10))""",
    """CREATE TABLE IF NOT EXISTS data_quality_log (
        id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), check_date DATE NOT NULL,
        machine_id UUID NOT NULL REFERENCES machines(id) ON DELETE CASCADE,
        missing_data_percent DECIMAL(5,2) DEFAULT 0.00, outlier_count INTEGER DEFAULT 0,
        correlation_score DECIMAL(3,2) DEFAULT NULL, overall_score DECIMAL(3,2) DEFAULT NULL, issues TEXT[],
        created_at TIMESTAMPTZ DEFAULT NOW(),
        CONSTRAINT chk_missing_data CHECK (missing_data_percent >= 0 AND missing_data_percent <= 100),
        CONSTRAINT chk_outlier_count CHECK (outlier_count >= 0),
        CONSTRAINT chk_correlation_score
            CHECK (correlation_score IS NULL OR (correlation_score >= -1 AND correlation_score <= 1)),
        CONSTRAINT chk_overall_score CHECK (overall_score IS NULL OR (overall_score >= 0 AND overall_score <= 1)))""",
    # 13-model-performance-tracking.sql (model_ab_tests, which we never write, left out)
    """CREATE TABLE IF NOT EXISTS model_performance_metrics (
        id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), model_id UUID NOT NULL, model_type VARCHAR(50) NOT NULL,
        machine_id UUID NOT NULL REFERENCES machines(id) ON DELETE CASCADE, model_version INTEGER NOT NULL,
        evaluation_date TIMESTAMPTZ NOT NULL DEFAULT NOW(), evaluation_start TIMESTAMPTZ NOT NULL,
        evaluation_end TIMESTAMPTZ NOT NULL, sample_count INTEGER NOT NULL,
        metrics JSONB NOT NULL DEFAULT '{}'::jsonb, r_squared DECIMAL(5, 4), rmse DECIMAL(12, 6),
        mae DECIMAL(12, 6), mape DECIMAL(6, 2), precision_score DECIMAL(5, 4), recall_score DECIMAL(5, 4),
        f1_score DECIMAL(5, 4), true_positives INTEGER, false_positives INTEGER, true_negatives INTEGER,
        false_negatives INTEGER, drift_detected BOOLEAN DEFAULT FALSE, drift_score DECIMAL(8, 6),
        drift_threshold DECIMAL(8, 6), data_completeness DECIMAL(5, 4), outlier_percentage DECIMAL(5, 4),
        evaluation_notes TEXT, created_at TIMESTAMPTZ DEFAULT NOW(), created_by VARCHAR(100),
        metadata JSONB DEFAULT '{}'::jsonb)""",
    """CREATE TABLE IF NOT EXISTS model_training_history (
        id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), model_id UUID, model_type VARCHAR(50) NOT NULL,
        machine_id UUID NOT NULL REFERENCES machines(id) ON DELETE CASCADE, model_version INTEGER,
        training_start TIMESTAMPTZ NOT NULL, training_end TIMESTAMPTZ, training_duration_seconds INTEGER,
        training_status VARCHAR(50) NOT NULL, training_data_start TIMESTAMPTZ NOT NULL,
        training_data_end TIMESTAMPTZ NOT NULL, training_samples INTEGER, hyperparameters JSONB DEFAULT '{}'::jsonb,
        feature_names TEXT[], training_metrics JSONB DEFAULT '{}'::jsonb,
        validation_metrics JSONB DEFAULT '{}'::jsonb, initial_r_squared DECIMAL(5, 4),
        initial_rmse DECIMAL(12, 6), initial_mae DECIMAL(12, 6), error_message TEXT, error_traceback TEXT,
        trigger_type VARCHAR(50) NOT NULL, triggered_by VARCHAR(100), created_at TIMESTAMPTZ DEFAULT NOW(),
        metadata JSONB DEFAULT '{}'::jsonb)""",
    """CREATE TABLE IF NOT EXISTS model_alerts (
        id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), alert_type VARCHAR(100) NOT NULL,
        severity alert_level NOT NULL, model_id UUID, model_type VARCHAR(50) NOT NULL,
        machine_id UUID NOT NULL REFERENCES machines(id) ON DELETE CASCADE, model_version INTEGER,
        alert_timestamp TIMESTAMPTZ NOT NULL DEFAULT NOW(), alert_message TEXT NOT NULL,
        alert_details JSONB DEFAULT '{}'::jsonb, current_metric_value DECIMAL(12, 6),
        threshold_value DECIMAL(12, 6), baseline_metric_value DECIMAL(12, 6), is_resolved BOOLEAN DEFAULT FALSE,
        resolved_at TIMESTAMPTZ, resolution_action VARCHAR(255), resolved_by VARCHAR(100), resolution_notes TEXT,
        auto_action_taken BOOLEAN DEFAULT FALSE, auto_action_type VARCHAR(100), auto_action_result JSONB,
        created_at TIMESTAMPTZ DEFAULT NOW(), metadata JSONB DEFAULT '{}'::jsonb)""",
    # 15-enpi-tracking-tables.sql
    """CREATE TABLE IF NOT EXISTS enpi_baselines (
        id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), seu_id UUID NOT NULL REFERENCES seus(id) ON DELETE CASCADE,
        baseline_year INTEGER NOT NULL CHECK (baseline_year >= 2020 AND baseline_year <= 2100),
        baseline_start_date DATE NOT NULL, baseline_end_date DATE NOT NULL,
        baseline_energy_kwh NUMERIC(15, 4) NOT NULL CHECK (baseline_energy_kwh >= 0),
        baseline_production_units INTEGER CHECK (baseline_production_units >= 0),
        baseline_operating_hours NUMERIC(10, 2) CHECK (baseline_operating_hours >= 0),
        baseline_sec NUMERIC(10, 6) CHECK (baseline_sec >= 0), baseline_avg_temp_c NUMERIC(5, 2),
        baseline_degree_days NUMERIC(10, 2), is_active BOOLEAN DEFAULT true, notes TEXT, created_by VARCHAR(100),
        created_at TIMESTAMPTZ DEFAULT NOW(), updated_at TIMESTAMPTZ DEFAULT NOW(),
        CONSTRAINT enpi_baselines_dates_valid CHECK (baseline_end_date > baseline_start_date),
        CONSTRAINT enpi_baselines_unique_seu_year UNIQUE (seu_id, baseline_year))""",
    """CREATE TABLE IF NOT EXISTS enpi_performance (
        id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), seu_id UUID NOT NULL REFERENCES seus(id) ON DELETE CASCADE,
        baseline_id UUID REFERENCES enpi_baselines(id) ON DELETE SET NULL, period_start DATE NOT NULL,
        period_end DATE NOT NULL, period_type VARCHAR(20) CHECK (period_type IN ('monthly', 'quarterly', 'annual')),
        actual_energy_kwh NUMERIC(15, 4) NOT NULL CHECK (actual_energy_kwh >= 0),
        actual_production_units INTEGER CHECK (actual_production_units >= 0),
        actual_operating_hours NUMERIC(10, 2) CHECK (actual_operating_hours >= 0),
        actual_sec NUMERIC(10, 6) CHECK (actual_sec >= 0),
        expected_energy_kwh NUMERIC(15, 4) CHECK (expected_energy_kwh >= 0),
        expected_sec NUMERIC(10, 6) CHECK (expected_sec >= 0), deviation_kwh NUMERIC(15, 4),
        deviation_percent NUMERIC(6, 2), cumulative_savings_kwh NUMERIC(15, 4),
        cumulative_savings_usd NUMERIC(12, 2),
        iso_status VARCHAR(50) CHECK (iso_status IN ('excellent', 'on_track', 'requires_attention', 'critical')),
        compliance_notes TEXT, created_at TIMESTAMPTZ DEFAULT NOW(), updated_at TIMESTAMPTZ DEFAULT NOW(),
        CONSTRAINT enpi_performance_dates_valid CHECK (period_end > period_start))""",
    """CREATE TABLE IF NOT EXISTS energy_targets (
        id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), seu_id UUID REFERENCES seus(id) ON DELETE CASCADE,
        factory_id UUID REFERENCES factories(id) ON DELETE CASCADE,
        target_type VARCHAR(20) CHECK (target_type IN ('seu', 'factory')),
        target_year INTEGER NOT NULL CHECK (target_year >= 2020 AND target_year <= 2100),
        target_description TEXT NOT NULL,
        baseline_year INTEGER CHECK (baseline_year >= 2020 AND baseline_year <= 2100),
        baseline_energy_kwh NUMERIC(15, 4) CHECK (baseline_energy_kwh >= 0),
        target_reduction_percent NUMERIC(5, 2) NOT NULL
            CHECK (target_reduction_percent >= 0 AND target_reduction_percent <= 100),
        target_energy_kwh NUMERIC(15, 4) CHECK (target_energy_kwh >= 0),
        target_savings_kwh NUMERIC(15, 4) CHECK (target_savings_kwh >= 0), current_energy_kwh NUMERIC(15, 4),
        current_savings_kwh NUMERIC(15, 4), progress_percent NUMERIC(5, 2),
        status VARCHAR(20) CHECK (status IN ('active', 'achieved', 'missed', 'cancelled')), deadline DATE,
        created_by VARCHAR(100), created_at TIMESTAMPTZ DEFAULT NOW(), updated_at TIMESTAMPTZ DEFAULT NOW(),
        CONSTRAINT energy_targets_seu_or_factory
            CHECK ((seu_id IS NOT NULL AND factory_id IS NULL) OR (seu_id IS NULL AND factory_id IS NOT NULL)))""",
    # 12-forecast-predictions.sql
    """CREATE TABLE IF NOT EXISTS energy_forecasts (
        id BIGSERIAL, machine_id UUID NOT NULL REFERENCES machines(id) ON DELETE CASCADE,
        model_type forecast_model_type NOT NULL, model_version INTEGER DEFAULT 1, horizon forecast_horizon NOT NULL,
        forecasted_at TIMESTAMPTZ NOT NULL, forecast_time TIMESTAMPTZ NOT NULL,
        predicted_power_kw DECIMAL(10, 3) NOT NULL, lower_bound_kw DECIMAL(10, 3), upper_bound_kw DECIMAL(10, 3),
        confidence_level DECIMAL(5, 2) DEFAULT 0.95, training_samples INTEGER, rmse DECIMAL(10, 3),
        mape DECIMAL(5, 2), r2 DECIMAL(5, 4), metadata JSONB DEFAULT '{}'::jsonb,
        created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), PRIMARY KEY (forecast_time, machine_id, model_type))""",
]

# 14-fix-multi-energy-baselines.sql: energy_source_id, NOT NULL, and the key by energy source.
BASELINE_MIGRATION = [
    "ALTER TABLE energy_baselines ADD COLUMN IF NOT EXISTS energy_source_id UUID "
    "REFERENCES energy_sources(id) ON DELETE RESTRICT",
    "UPDATE energy_baselines SET energy_source_id = (SELECT id FROM energy_sources WHERE name = 'electricity') "
    "WHERE energy_source_id IS NULL",
    "ALTER TABLE energy_baselines ALTER COLUMN energy_source_id SET NOT NULL",
    "ALTER TABLE energy_baselines DROP CONSTRAINT IF EXISTS energy_baselines_machine_version_unique",
    """DO $$ BEGIN
        ALTER TABLE energy_baselines ADD CONSTRAINT energy_baselines_machine_energy_version_unique
            UNIQUE (machine_id, energy_source_id, model_version);
    EXCEPTION WHEN duplicate_table OR duplicate_object THEN NULL; END $$""",
]


def _energy_aggregate(width: str, columns: str) -> str:
    return f"""SELECT date_bin(INTERVAL '{width}', time, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket, machine_id,
        AVG(power_kw) AS avg_power_kw, MIN(power_kw) AS min_power_kw, MAX(power_kw) AS max_power_kw,
        {columns}
        COUNT(*) AS total_readings
        FROM energy_readings GROUP BY bucket, machine_id"""


_LOAD = "CASE WHEN MAX(power_kw) > 0 THEN AVG(power_kw) / MAX(power_kw) ELSE 0 END"
_PRODUCTION = """SELECT date_bin(INTERVAL '{width}', time, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
        machine_id, SUM(production_count) AS total_production_count,
        SUM(production_count_good) AS total_production_good, SUM(production_count_bad) AS total_production_bad,
        CASE WHEN SUM(production_count) > 0
             THEN (SUM(production_count_good)::DECIMAL / SUM(production_count)) * 100 ELSE 0 END AS quality_percent,
        AVG(throughput_units_per_hour) AS avg_throughput, {speed}
        SUM(downtime_seconds) AS total_downtime_seconds,
        CASE WHEN ({seconds} - SUM(downtime_seconds)) > 0
             THEN (({seconds} - SUM(downtime_seconds))::DECIMAL / {seconds}) * 100 ELSE 0 END AS availability_percent,
        COUNT(*) AS total_readings
        FROM production_data GROUP BY bucket, machine_id"""

# 03-timescaledb-setup.sql's continuous aggregates, as plain views grouped by machine only.
AGGREGATES = {
    "energy_readings_1min": _energy_aggregate(
        "1 minute", "STDDEV(power_kw) AS stddev_power_kw, SUM(energy_kwh) AS total_energy_kwh, "
        "AVG(voltage_v) AS avg_voltage_v, AVG(current_a) AS avg_current_a, AVG(power_factor) AS avg_power_factor, "
        "AVG(frequency_hz) AS avg_frequency_hz, COUNT(*) FILTER (WHERE is_estimated = TRUE) AS estimated_count,"
    ).replace("COUNT(*) AS total_readings", "COUNT(*) AS reading_count"),
    "energy_readings_15min": _energy_aggregate(
        "15 minutes", "MAX(power_kw) AS peak_demand_kw, SUM(energy_kwh) AS total_energy_kwh, "
        "AVG(voltage_v) AS avg_voltage_v, AVG(current_a) AS avg_current_a, AVG(power_factor) AS avg_power_factor, "
        f"AVG(frequency_hz) AS avg_frequency_hz, {_LOAD} AS load_factor,"),
    "energy_readings_1hour": _energy_aggregate(
        "1 hour", "MAX(power_kw) AS peak_demand_kw, SUM(energy_kwh) AS total_energy_kwh, "
        "AVG(voltage_v) AS avg_voltage_v, AVG(current_a) AS avg_current_a, AVG(power_factor) AS avg_power_factor, "
        f"{_LOAD} AS avg_load_factor,"),
    "energy_readings_1day": _energy_aggregate(
        "1 day", "MAX(power_kw) AS peak_demand_kw, SUM(energy_kwh) AS total_energy_kwh, "
        f"AVG(voltage_v) AS avg_voltage_v, AVG(power_factor) AS avg_power_factor, {_LOAD} AS avg_load_factor,"),
    "production_data_1hour": _PRODUCTION.format(width="1 hour", seconds=3600,
                                                speed="AVG(speed_percent) AS avg_speed_percent,"),
    "production_data_1day": _PRODUCTION.format(width="1 day", seconds=86400, speed=""),
    "environmental_data_1hour": """SELECT date_bin(INTERVAL '1 hour', time, TIMESTAMPTZ '2000-01-01 00:00:00+00')
        AS bucket, machine_id, AVG(outdoor_temp_c) AS avg_outdoor_temp_c, AVG(indoor_temp_c) AS avg_indoor_temp_c,
        AVG(machine_temp_c) AS avg_machine_temp_c, AVG(outdoor_humidity_percent) AS avg_outdoor_humidity,
        AVG(indoor_humidity_percent) AS avg_indoor_humidity, AVG(pressure_bar) AS avg_pressure_bar,
        AVG(flow_rate_m3h) AS avg_flow_rate_m3h, AVG(vibration_mm_s) AS avg_vibration_mm_s,
        COUNT(*) AS total_readings FROM environmental_data GROUP BY bucket, machine_id""",
}

# 05-views.sql (the views over what we write, and two that compute on the aggregates' NUMERIC columns) and
# 12-forecast-predictions.sql's latest_forecasts.
VIEWS = {
    "v_active_anomalies": """SELECT a.id AS anomaly_id, a.machine_id, m.name AS machine_name, m.type AS machine_type,
        f.name AS factory_name, a.detected_at, a.anomaly_type, a.severity, a.metric_name, a.metric_value,
        a.expected_value, a.deviation_percent, a.detection_method, a.confidence_score, ms.current_power_kw,
        ms.current_mode
        FROM anomalies a JOIN machines m ON a.machine_id = m.id JOIN factories f ON m.factory_id = f.id
        LEFT JOIN machine_status ms ON m.id = ms.machine_id
        WHERE a.is_resolved = FALSE ORDER BY a.severity DESC, a.detected_at DESC""",
    "v_baseline_compliance": """SELECT m.id AS machine_id, m.name AS machine_name, m.type AS machine_type,
        eb.model_name, eb.model_version, eb.r_squared, eb.is_active, eb.training_end_date AS last_trained,
        CASE WHEN eb.is_active AND eb.training_end_date >= NOW() - INTERVAL '30 days' THEN 'current'
             WHEN eb.is_active AND eb.training_end_date >= NOW() - INTERVAL '90 days' THEN 'aging'
             WHEN eb.is_active THEN 'outdated' ELSE 'none' END AS baseline_status
        FROM machines m LEFT JOIN energy_baselines eb ON m.id = eb.machine_id AND eb.is_active = TRUE
        WHERE m.is_active = TRUE""",
    "latest_forecasts": """SELECT DISTINCT ON (machine_id, model_type) ef.id, ef.machine_id, m.name AS machine_name,
        ef.model_type, ef.horizon, ef.forecasted_at, ef.forecast_time, ef.predicted_power_kw, ef.lower_bound_kw,
        ef.upper_bound_kw, ef.confidence_level, ef.rmse, ef.mape, ef.r2
        FROM energy_forecasts ef JOIN machines m ON ef.machine_id = m.id
        ORDER BY machine_id, model_type, forecasted_at DESC""",
    # 13-model-performance-tracking.sql's views over what monitoring writes.
    "v_latest_model_performance": """SELECT DISTINCT ON (machine_id, model_type) mpm.*, m.name AS machine_name,
        m.type AS machine_type
        FROM model_performance_metrics mpm JOIN machines m ON m.id = mpm.machine_id
        ORDER BY machine_id, model_type, evaluation_date DESC""",
    "v_unresolved_model_alerts": """SELECT ma.*, m.name AS machine_name, m.type AS machine_type,
        EXTRACT(EPOCH FROM (NOW() - ma.alert_timestamp)) / 3600 AS age_hours
        FROM model_alerts ma JOIN machines m ON m.id = ma.machine_id
        WHERE ma.is_resolved = FALSE ORDER BY ma.severity DESC, ma.alert_timestamp DESC""",
    "v_today_summary": """SELECT m.id AS machine_id, m.name AS machine_name, m.type AS machine_type,
        f.name AS factory_name, COALESCE(SUM(er.total_energy_kwh), 0) AS energy_today_kwh,
        COALESCE(AVG(er.avg_power_kw), 0) AS avg_power_today_kw,
        COALESCE(MAX(er.peak_demand_kw), 0) AS peak_demand_today_kw,
        COALESCE(SUM(pd.total_production_count), 0) AS production_today_units,
        ROUND(COALESCE(SUM(er.total_energy_kwh), 0) * 0.15, 2) AS cost_today,
        COALESCE(SUM(er.total_energy_kwh), 0) * 0.45 AS co2_today_kg
        FROM machines m LEFT JOIN factories f ON m.factory_id = f.id
        LEFT JOIN energy_readings_1hour er ON m.id = er.machine_id AND er.bucket >= date_trunc('day', NOW())
        LEFT JOIN production_data_1hour pd ON m.id = pd.machine_id AND pd.bucket = er.bucket
        WHERE m.is_active = TRUE GROUP BY m.id, m.name, m.type, f.name""",
    "v_monthly_cost_breakdown": """SELECT date_trunc('month', er.bucket) AS month, m.id AS machine_id,
        m.name AS machine_name, SUM(er.total_energy_kwh) AS total_energy_kwh, MAX(er.peak_demand_kw) AS peak_demand_kw,
        ROUND(SUM(er.total_energy_kwh) * 0.15, 2) AS energy_cost, ROUND(MAX(er.peak_demand_kw) * 10, 2) AS demand_charge
        FROM energy_readings_1day er JOIN machines m ON er.machine_id = m.id
        GROUP BY date_trunc('month', er.bucket), m.id, m.name""",
}

SEED = [
    """INSERT INTO factories (id, name, location, address, timezone, contact_email, metadata) VALUES
        ('11111111-1111-1111-1111-111111111111', 'Demo Manufacturing Plant', 'Silicon Valley, CA, USA',
         '1234 Industrial Parkway, San Jose, CA 95131', 'America/Los_Angeles', 'operations@demoplant.com',
         '{"industry": "manufacturing", "size": "medium", "employees": 250}'),
        ('22222222-2222-2222-2222-222222222222', 'European Production Facility', 'Munich, Germany',
         'Industriestraße 45, 80331 München, Germany', 'Europe/Berlin', 'facility@europlant.eu',
         '{"industry": "automotive", "size": "large", "employees": 500}')
        ON CONFLICT DO NOTHING""",
    """INSERT INTO machine_status (machine_id, is_running, current_mode, current_power_kw, alert_level,
        health_score) SELECT id, FALSE, 'offline', 0.0, 'normal', 100.0 FROM machines ON CONFLICT DO NOTHING""",
    """INSERT INTO energy_sources (name, unit, cost_per_unit, carbon_factor, description) VALUES
        ('electricity', 'kWh', 0.15, 0.450000, 'Electrical power from grid'),
        ('natural_gas', 'm³', 0.50, 2.030000, 'Natural gas for heating/boilers'),
        ('compressed_air', 'Nm³', 0.03, 0.120000, 'Compressed air for pneumatic systems'),
        ('steam', 'kg', 0.08, 0.350000, 'Process steam')
        ON CONFLICT (name) DO NOTHING""",
    """INSERT INTO energy_tariffs (factory_id, name, description, rate_per_kwh, currency, is_time_of_use,
        start_hour, end_hour, applicable_days, valid_from, is_active) VALUES
        ('11111111-1111-1111-1111-111111111111', 'Peak Hours Rate', 'Weekday peak hours (9 AM - 9 PM)', 0.25, 'USD',
         TRUE, 9, 21, ARRAY[1, 2, 3, 4, 5], '2024-01-01', TRUE),
        ('11111111-1111-1111-1111-111111111111', 'Off-Peak Rate', 'Nights and weekends', 0.10, 'USD',
         TRUE, 21, 9, ARRAY[0, 1, 2, 3, 4, 5, 6], '2024-01-01', TRUE),
        ('22222222-2222-2222-2222-222222222222', 'Standard Industrial Rate', 'Fixed rate for industrial customers',
         0.18, 'EUR', FALSE, NULL, NULL, NULL, '2024-01-01', TRUE)""",
    """INSERT INTO carbon_factors (region, grid_name, emission_factor_kg_co2_per_kwh, source, valid_from, is_active)
        VALUES ('US-California', 'CAISO', 0.22, 'EPA eGRID 2023', '2024-01-01', TRUE),
               ('Germany', 'Germany National Grid', 0.35, 'European Environment Agency 2023', '2024-01-01', TRUE),
               ('default', 'Global Average', 0.45, 'IEA 2023 Global Average', '2024-01-01', TRUE)""",
    # Significant energy users referencing energy_sources (ON DELETE RESTRICT): what blocks a careless delete.
    """INSERT INTO seus (name, energy_source_id, machine_ids, baseline_year)
        SELECT 'Compressed air', id, ARRAY['c0000000-0000-0000-0000-000000000001'::UUID,
               'c0000000-0000-0000-0000-000000000006'::UUID], 2025 FROM energy_sources WHERE name = 'electricity'""",
    """INSERT INTO seus (name, energy_source_id, machine_ids, baseline_year)
        SELECT 'Boiler gas', id, ARRAY['c0000000-0000-0000-0000-000000000008'::UUID], 2025
        FROM energy_sources WHERE name = 'natural_gas'""",
    # A target the EnMS's operator set (15-): 5 % less gas for the boiler in 2026 than in its baseline year.
    """INSERT INTO energy_targets (seu_id, target_type, target_year, target_description, baseline_year,
        target_reduction_percent, status, deadline)
        SELECT id, 'seu', 2026, 'Boiler gas: 5 % below the 2025 baseline', 2025, 5.00, 'active', '2026-12-31'
        FROM seus WHERE name = 'Boiler gas'""",
]


def _machines_insert() -> tuple[str, list[object]]:
    rows = ", ".join(["(%s, %s, %s, %s::machine_type, %s, %s, %s, TRUE, FALSE)"] * len(MACHINES))
    params: list[object] = []
    for _, factory, name, kind, kw in MACHINES:
        params += [MACHINE_IDS[name], FACTORY_IDS[factory], name, kind, kw, 400.0, INTERVAL_SECONDS]
    return (f"INSERT INTO machines (id, factory_id, name, type, rated_power_kw, rated_voltage_v, "
            f"data_interval_seconds, is_active, is_critical) VALUES {rows} ON CONFLICT DO NOTHING", params)


def statements(seed: bool = True) -> list[tuple[str, list[object]]]:
    """The installation in order: extensions, enums, tables, the baselines migration, aggregates (only when no
    relation has the name), views (CREATE OR REPLACE), and the seed rows."""
    out: list[tuple[str, list[object]]] = [('CREATE EXTENSION IF NOT EXISTS "uuid-ossp"', [])]
    out += [(s, []) for s in [*ENUMS, *TABLES, *BASELINE_MIGRATION[:1]]]
    if seed:
        out += [(SEED[0], []), _machines_insert(), *[(s, []) for s in SEED[1:]]]
    out += [(s, []) for s in BASELINE_MIGRATION[1:]]
    for name, body in AGGREGATES.items():
        create = f"CREATE VIEW {name} AS {body}".replace("'", "''")
        out.append((f"DO $$ BEGIN IF to_regclass('public.{name}') IS NULL THEN EXECUTE '{create}'; END IF; END $$",
                    []))
    out += [(f"CREATE OR REPLACE VIEW {name} AS {body}", []) for name, body in VIEWS.items()]
    return out


def install(url: str, *, seed: bool = True) -> list[str]:
    """Run the EnMS's installation on ``url`` statement by statement; returns the errors (empty when clean)."""
    errors = []
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("SET TIME ZONE 'UTC'")
        for statement, params in statements(seed):
            try:
                con.execute(statement, params or None)
            except psycopg.Error as error:
                errors.append(f"{statement.split(chr(10))[0][:80]}: {str(error).strip().splitlines()[0]}")
    return errors
