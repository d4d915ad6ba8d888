"""The warehouse on a real PostgreSQL server: schema, COPY loads, the demo plant copied in, and extract
giving the same frames as DuckDB, also against an EnMS-style aggregate that lacks energy_type."""

from __future__ import annotations

import pandas as pd
import pytest
from plants import (
    BOILER_ID,
    PRESS_ID,
    START,
    baseline_row,
    check_anomaly_publishing,
    check_baseline_publishing,
    check_forecast_publishing,
    tiny_plant,
    tiny_sources,
)

from enms.cli import main
from enms.io import WarehouseError, connect, extract

pytestmark = pytest.mark.pg
QUIET = {"progress": lambda _: None}


def assert_same_extract(left: dict[str, pd.DataFrame], right: dict[str, pd.DataFrame]) -> None:
    assert left.keys() == right.keys()
    for name in left:
        a, b = left[name], right[name]
        if "energy_types" in a:
            a = a.assign(energy_types=a["energy_types"].map(list))
            b = b.assign(energy_types=b["energy_types"].map(list))
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, obj=name)


def test_schema_init_is_idempotent(pg_url):
    with connect(pg_url) as warehouse:
        created = warehouse.init_schema()
        assert {"factories", "energy_readings", "energy_baselines", "anomalies", "energy_forecasts",
                "energy_readings_15min", "enms_analytics.fault_truth", "operating_mode"} <= set(created)
        assert warehouse.init_schema() == []
        modes = warehouse.query("SELECT unnest(enum_range(NULL::operating_mode))::text AS mode")
        assert modes["mode"].tolist() == ["idle", "running", "maintenance", "fault", "offline"]


def test_copy_load_and_aggregates_match_duckdb(pg_url, tmp_path):
    with connect(pg_url) as pg, connect(f"duckdb:{tmp_path / 't.duckdb'}", create=True) as duck:
        pg.load(tiny_plant(), **QUIET)
        duck.load(tiny_plant(), **QUIET)
        span = (START, START + pd.Timedelta(hours=1))
        for width in ("15 minutes", "1 hour"):
            pd.testing.assert_frame_equal(pg.read_energy(width, *span, [PRESS_ID, BOILER_ID]),
                                          duck.read_energy(width, *span, [PRESS_ID, BOILER_ID]))
        assert_same_extract(extract(pg), extract(duck))


def test_demo_plant_copied_in_gives_equal_extract(pg_url, small_demo):
    assert main(["db", "copy", "--source", small_demo, "--target", pg_url]) == 0
    with connect(small_demo, read_only=True) as duck, connect(pg_url) as pg:
        assert pg.summary().equals(duck.summary())
        assert_same_extract(extract(pg), extract(duck))
        assert_same_extract(extract(pg, machines="Boiler-1"), extract(duck, machines="Boiler-1"))


def test_copy_refuses_a_full_database_and_replace_is_idempotent(pg_url, small_demo):
    assert main(["db", "copy", "--source", small_demo, "--target", pg_url]) == 0
    with connect(small_demo, read_only=True) as duck, connect(pg_url) as pg:
        before = pg.summary()
        with pytest.raises(WarehouseError, match="already holds machines"):
            duck.copy_to(pg, **QUIET)
        duck.copy_to(pg, replace=True, **QUIET)
        assert pg.summary().equals(before)


def test_enms_continuous_aggregate_without_energy_type(pg_url, tmp_path):
    """A live EnMS's 1-hour aggregate groups by machine only (gas + steam + electricity summed); the
    multi-energy machine must then be read from the raw readings, the others from the aggregate."""
    with connect(pg_url) as pg:
        pg.init_schema()
        pg.execute("DROP VIEW energy_readings_1hour")
        pg.execute(
            "CREATE VIEW energy_readings_1hour AS SELECT date_bin('1 hour', time, TIMESTAMPTZ '2000-01-01') "
            "AS bucket, machine_id, avg(power_kw) AS avg_power_kw, min(power_kw) AS min_power_kw, "
            "max(power_kw) AS max_power_kw, sum(energy_kwh) AS total_energy_kwh, count(*) AS total_readings "
            "FROM energy_readings GROUP BY 1, 2"
        )
        pg.load(tiny_plant(), **QUIET)
        with connect(f"duckdb:{tmp_path / 't.duckdb'}", create=True) as duck:
            duck.load(tiny_plant(), **QUIET)
            span = (START, START + pd.Timedelta(hours=1))
            pd.testing.assert_frame_equal(pg.read_energy("1 hour", *span, [PRESS_ID, BOILER_ID]),
                                          duck.read_energy("1 hour", *span, [PRESS_ID, BOILER_ID]))


def test_baseline_publishing_versions_and_activation(pg_url):
    with connect(pg_url) as pg:
        pg.load([*tiny_plant(), ("energy_sources", tiny_sources())], **QUIET)
        check_baseline_publishing(pg)


def test_baseline_publishing_on_an_older_enms_without_energy_source_id(pg_url):
    """Older EnMS databases lack energy_source_id: versions count per machine, activity per energy type."""
    with connect(pg_url) as pg:
        pg.init_schema()
        pg.execute("ALTER TABLE energy_baselines DROP COLUMN energy_source_id")
        pg.load(tiny_plant(), **QUIET)
        rows = pd.DataFrame([baseline_row("a", active=True)]).drop(columns="energy_source_id")
        assert pg.publish_baselines(rows) == {"inserted": 1, "unchanged": 0}
        assert pg.publish_baselines(rows) == {"inserted": 0, "unchanged": 1}
        pg.publish_baselines(pd.DataFrame([baseline_row("b", active=True)]).drop(columns="energy_source_id"))
        stored = pg.read_baselines()
        assert stored["model_version"].tolist() == [1, 2] and stored["is_active"].tolist() == [False, True]


def test_anomaly_publishing_is_idempotent_and_spares_resolved_rows(pg_url):
    with connect(pg_url) as pg:
        pg.load(tiny_plant(), **QUIET)
        check_anomaly_publishing(pg)


def test_forecast_publishing_keeps_the_newest_and_every_vintage(pg_url):
    with connect(pg_url) as pg:
        pg.load(tiny_plant(), **QUIET)
        check_forecast_publishing(pg)


def test_baselines_read_back_from_parquet_publish(pg_url, tmp_path):
    """What a run leaves: parquet gives TEXT[] back as a numpy array and numbers as numpy scalars (before:
    ``cannot adapt type 'ndarray'``, and nothing was published)."""
    path = tmp_path / "energy_baselines_rows.parquet"
    pd.DataFrame([baseline_row("a", active=True)]).to_parquet(path)
    rows = pd.read_parquet(path)
    assert type(rows["feature_names"].iloc[0]).__name__ == "ndarray"
    with connect(pg_url) as pg:
        pg.load([*tiny_plant(), ("energy_sources", tiny_sources())], **QUIET)
        assert pg.publish_baselines(rows) == {"inserted": 1, "unchanged": 0}
        stored = pg.query("SELECT feature_names, training_samples FROM energy_baselines")
    assert list(stored.at[0, "feature_names"]) == ["production", "outdoor_temp_c"]
    assert stored.at[0, "training_samples"] == 8000
