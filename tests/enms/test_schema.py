"""Our DDL against the EnMS's: both set-up orders load without an error, our existence checks see the EnMS's
views and materialized views, and our aggregate views have the EnMS's columns and types (NUMERIC)."""

from __future__ import annotations

import pandas as pd
import psycopg
import pytest
from pgserver import fresh_database

from enms.io import connect
from enms.io.warehouse.schema import OWN_SCHEMA, TABLES

pytestmark = pytest.mark.pg


def _columns(url: str, relation: str) -> list[tuple[str, str]]:
    """(name, type) of a relation's columns in order, as PostgreSQL reports them."""
    with psycopg.connect(url) as con:
        return con.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum", [relation],
        ).fetchall()


def test_enms_first_then_db_init_adds_only_our_schema(make_enms_database, enms_schema):
    with fresh_database("enms_conformance") as url:
        assert enms_schema.install(url) == []
        with connect(url) as warehouse:
            created = warehouse.init_schema()
            assert created and all(name.startswith(f"{OWN_SCHEMA}.") for name in created), created
            assert warehouse.init_schema() == []


def test_db_init_first_then_the_enms_scripts_load_without_an_error(make_enms_database, enms_schema):
    """Before: 4 errors here (energy_sources and energy_tariffs lacked description; ROUND(float8, 2) in the
    EnMS's views over our FLOAT8 aggregates)."""
    with make_enms_database("ours-first") as url, psycopg.connect(url) as con:
        assert con.execute("SELECT count(*) FROM machines").fetchone()[0] == 8
        assert con.execute("SELECT count(*) FROM v_today_summary").fetchone()[0] == 8


def test_our_tables_have_the_enms_columns_and_types(make_enms_database, enms_schema):
    """Every EnMS table we declare matches the EnMS's column for column and type for type."""
    with fresh_database("enms_theirs") as theirs, fresh_database("enms_ours") as ours:
        assert enms_schema.install(theirs, seed=False) == []
        with connect(ours) as warehouse:
            warehouse.init_schema()
        for table in (t for t in TABLES if "." not in t):
            assert _columns(ours, table) == _columns(theirs, table), table


def test_our_aggregates_return_numeric_as_the_enms_does(make_enms_database):
    with make_enms_database("ours-first") as url:
        hourly = dict(_columns(url, "energy_readings_1hour"))
        assert hourly["total_energy_kwh"] == hourly["avg_power_kw"] == "numeric"
        assert hourly["total_readings"] == "bigint"
        assert "energy_type" in hourly  # ours keep energy types apart
        assert dict(_columns(url, "environmental_data_1hour"))["avg_outdoor_temp_c"] == "numeric"
        assert dict(_columns(url, "production_data_1hour"))["quality_percent"] == "numeric"


def test_existence_checks_see_views_and_materialized_views(enms_schema):
    """A TimescaleDB-less EnMS may hold its aggregates as materialized views: information_schema does not list
    those, and `db init` tried to create an aggregate that exists."""
    with fresh_database("enms_matview") as url:
        assert enms_schema.install(url) == []
        with psycopg.connect(url, autocommit=True) as con:
            body = con.execute("SELECT pg_get_viewdef('energy_readings_1hour'::regclass)").fetchone()[0]
            con.execute("DROP VIEW energy_readings_1hour CASCADE")
            con.execute(f"CREATE MATERIALIZED VIEW energy_readings_1hour AS {body}")
        with connect(url) as warehouse:
            for name in ("energy_readings_1hour", "v_active_anomalies", "v_baseline_compliance",
                         "latest_forecasts", "energy_forecasts"):
                assert warehouse.relation_exists(name), name
            assert not warehouse.relation_exists("no_such_view")
            assert "avg_power_kw" in warehouse.columns_of("energy_readings_1hour")
            assert "energy_type" not in warehouse.columns_of("energy_readings_1hour")
            created = warehouse.init_schema()
            assert all(name.startswith(f"{OWN_SCHEMA}.") for name in created), created


def test_electrical_readings_are_electricity_through_the_enms_aggregates(enms_database, enms_schema):
    """The EnMS's aggregates have no energy_type: the reader takes a machine's one type from the raw readings,
    where 'electrical' (the column's default) and 'energy' are electricity."""
    machine = enms_schema.MACHINE_IDS["Conveyor-A"]
    start = pd.Timestamp("2020-01-01 00:00", tz="UTC")
    with psycopg.connect(enms_database, autocommit=True) as con:
        for minute, kind in ((0, None), (20, "energy"), (40, "electrical")):
            column, value = (", energy_type", [kind]) if kind else ("", [])
            con.execute(f"INSERT INTO energy_readings (time, machine_id, power_kw, energy_kwh{column}) "
                        f"VALUES (%s, %s, 6.0, 2.0{', %s' if kind else ''})",
                        [start + pd.Timedelta(minutes=minute), machine, *value])
    try:
        with connect(enms_database) as warehouse:
            frame = warehouse.read_energy("1 hour", start, start + pd.Timedelta(hours=1), [machine])
        assert frame["energy_type"].tolist() == ["electricity"]
        assert frame["total_energy_kwh"].item() == pytest.approx(6.0)
        assert frame["total_readings"].item() == 3
    finally:
        with psycopg.connect(enms_database, autocommit=True) as con:
            con.execute("DELETE FROM energy_readings WHERE machine_id = %s", [machine])
